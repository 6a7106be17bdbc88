//! Scores of patients under each model: what the fitted models produce, what evaluation reads,
//! and what `DIR/scores_<cohort>.csv` holds.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::settings::ModelName;

/// One cohort's patients with their labels, folds (cross-validation only) and scores.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CohortScores {
    /// `primary_cv` or `external`.
    pub cohort: String,
    pub patient_ids: Vec<String>,
    pub slm: Vec<bool>,
    /// The held-out fold of each patient (empty for the external cohort).
    pub fold: Vec<usize>,
    /// SLM probability per model, in patient order.
    pub scores: BTreeMap<ModelName, Vec<f64>>,
}

impl CohortScores {
    /// As CSV: `patient_id,slm,fold,<model>...` (fold empty for the external cohort).
    pub fn to_csv(&self) -> String {
        let models: Vec<&ModelName> = self.scores.keys().collect();
        let mut text = String::from("patient_id,slm,fold");
        for m in &models {
            text.push(',');
            text.push_str(m.as_str());
        }
        text.push('\n');
        for (i, id) in self.patient_ids.iter().enumerate() {
            let fold = self.fold.get(i).map_or(String::new(), |f| f.to_string());
            text.push_str(&format!("{id},{},{fold}", u8::from(self.slm[i])));
            for m in &models {
                text.push_str(&format!(",{}", self.scores[m][i]));
            }
            text.push('\n');
        }
        text
    }
}

/// The scores of one fitted unit (a model in a fold, or a final model on a cohort).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UnitScores {
    pub patient_ids: Vec<String>,
    pub scores: Vec<f64>,
}
