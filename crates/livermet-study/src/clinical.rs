//! The clinical side of the protocol, fitted on training patients only: the standardisation of
//! the clinical vector (the Combined network's input) and the CF logistic model (univariable
//! screen at p < 0.1, then backward stepwise LR with removal at p > 0.10; Sun et al. 2025,
//! "Statistical analysis"; [`livermet_stats::stepwise::cf_model_with_exclusions`]).

use livermet_cohort::{CLINICAL_FEATURES, Patient};
use livermet_stats::logistic::Design;
use livermet_stats::stepwise::{CfFitted, CfSelection, cf_model_with_exclusions};
use serde::{Deserialize, Serialize};

use crate::StudyError;

/// Named numeric features of a set of patients: `values[i][j]` is patient `i`, feature `j`.
#[derive(Debug, Clone, PartialEq)]
pub struct FeatureTable {
    pub names: Vec<String>,
    pub values: Vec<Vec<f64>>,
}

impl FeatureTable {
    /// The five CF candidates ([`CLINICAL_FEATURES`]) of `patients`.
    pub fn clinical(patients: &[&Patient]) -> Self {
        FeatureTable {
            names: CLINICAL_FEATURES.iter().map(|s| s.to_string()).collect(),
            values: patients
                .iter()
                .map(|p| p.clinical.features().to_vec())
                .collect(),
        }
    }

    /// The rows `rows`, in that order.
    pub fn rows(&self, rows: &[usize]) -> Self {
        FeatureTable {
            names: self.names.clone(),
            values: rows.iter().map(|&i| self.values[i].clone()).collect(),
        }
    }

    /// The columns named `names`, in that order.
    pub fn columns(&self, names: &[String]) -> Self {
        let idx: Vec<usize> = names
            .iter()
            .map(|n| {
                self.names
                    .iter()
                    .position(|m| m == n)
                    .expect("known column")
            })
            .collect();
        FeatureTable {
            names: names.to_vec(),
            values: self
                .values
                .iter()
                .map(|r| idx.iter().map(|&j| r[j]).collect())
                .collect(),
        }
    }

    fn column(&self, j: usize) -> Vec<f64> {
        self.values.iter().map(|r| r[j]).collect()
    }

    /// The features as a logistic-regression design, one numeric term per feature.
    pub fn design(&self) -> Result<Design, StudyError> {
        let mut design = Design::new(self.values.len());
        for (j, name) in self.names.iter().enumerate() {
            design.add_numeric(name, &self.column(j))?;
        }
        Ok(design)
    }
}

/// Mean and SD (n - 1) of each feature over the training patients. A constant feature gets
/// SD 1, so it standardises to 0 instead of dividing by zero.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Standardisation {
    pub features: Vec<String>,
    pub mean: Vec<f64>,
    pub sd: Vec<f64>,
}

impl Standardisation {
    /// Fitted on `train` (never on the patients it will be applied to for evaluation).
    pub fn fit(train: &FeatureTable) -> Self {
        let n = train.values.len().max(1) as f64;
        let k = train.names.len();
        let mean: Vec<f64> = (0..k)
            .map(|j| train.column(j).iter().sum::<f64>() / n)
            .collect();
        let sd = (0..k)
            .map(|j| {
                let ss: f64 = train.column(j).iter().map(|v| (v - mean[j]).powi(2)).sum();
                let v = ss / (n - 1.0).max(1.0);
                if v > 0.0 { v.sqrt() } else { 1.0 }
            })
            .collect();
        Standardisation {
            features: train.names.clone(),
            mean,
            sd,
        }
    }

    /// `(x - mean) / sd` of one patient's features.
    pub fn apply(&self, x: &[f64]) -> Vec<f32> {
        x.iter()
            .zip(self.mean.iter().zip(&self.sd))
            .map(|(v, (m, s))| ((v - m) / s) as f32)
            .collect()
    }
}

/// A fitted CF model: the selection record and the final logistic model's coefficients.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CfFit {
    /// Candidates left out before the screen because no univariable model exists on these
    /// training patients (a constant value, or complete separation), with the reason.
    #[serde(default)]
    pub excluded: Vec<(String, String)>,
    /// Candidates that passed the univariable screen.
    pub screened_in: Vec<String>,
    /// Predictors of the final model (may be empty: intercept only).
    pub predictors: Vec<String>,
    /// Intercept then one coefficient per predictor (log odds).
    pub coefficients: Vec<f64>,
    /// The whole selection (univariable fits, screen, elimination path, final fit) as JSON.
    pub selection: serde_json::Value,
}

impl CfFit {
    /// SLM probability of each row of `table` (which must hold the predictors' columns).
    pub fn predict(&self, table: &FeatureTable) -> Vec<f64> {
        self.linear_predictor(table)
            .into_iter()
            .map(|eta| 1.0 / (1.0 + (-eta).exp()))
            .collect()
    }

    /// The log-odds `b0 + sum b_j x_j` of each row of `table` (the Combined model's offset,
    /// [`livermet_model::Fusion::Offset`]).
    pub fn linear_predictor(&self, table: &FeatureTable) -> Vec<f64> {
        let idx: Vec<usize> = self
            .predictors
            .iter()
            .map(|n| {
                table
                    .names
                    .iter()
                    .position(|m| m == n)
                    .expect("predictor column")
            })
            .collect();
        table
            .values
            .iter()
            .map(|row| {
                self.coefficients[0]
                    + idx
                        .iter()
                        .zip(&self.coefficients[1..])
                        .map(|(&j, b)| b * row[j])
                        .sum::<f64>()
            })
            .collect()
    }
}

/// The paper's CF model selection on `train` with outcomes `y`. A candidate with no univariable
/// model on these patients (constant, or perfectly separating: small folds can make either) is
/// excluded before the screen and recorded in [`CfFit::excluded`].
pub fn fit_cf(train: &FeatureTable, y: &[bool]) -> Result<CfFit, StudyError> {
    let design = train.design()?;
    let CfFitted { excluded, model } =
        cf_model_with_exclusions(&design, y, &CfSelection::default())?;
    let fit = &model.stepwise.fit;
    let coefficients = fit.coefficients.iter().map(|c| c.coef).collect();
    Ok(CfFit {
        excluded: excluded.into_iter().map(|e| (e.name, e.reason)).collect(),
        screened_in: model.screened_in.clone(),
        predictors: model.stepwise.final_predictors.clone(),
        coefficients,
        selection: serde_json::to_value(&model).unwrap_or(serde_json::Value::Null),
    })
}

/// Out-of-fold CF probabilities: for each fold, the whole selection is fitted on the other
/// folds' patients and scores this fold's. `fold_of[i]` is patient `i`'s fold.
pub fn cross_validated_cf(
    table: &FeatureTable,
    y: &[bool],
    fold_of: &[usize],
    k: usize,
) -> Result<Vec<f64>, StudyError> {
    let mut out = vec![f64::NAN; y.len()];
    for fold in 0..k {
        let train: Vec<usize> = (0..y.len()).filter(|&i| fold_of[i] != fold).collect();
        let test: Vec<usize> = (0..y.len()).filter(|&i| fold_of[i] == fold).collect();
        let y_train: Vec<bool> = train.iter().map(|&i| y[i]).collect();
        let fit = fit_cf(&table.rows(&train), &y_train)?;
        for (&i, p) in test.iter().zip(fit.predict(&table.rows(&test))) {
            out[i] = p;
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn standardisation_uses_the_sample_sd_and_survives_a_constant_feature() {
        let t = FeatureTable {
            names: vec!["a".into(), "b".into()],
            values: vec![vec![1.0, 3.0], vec![2.0, 3.0], vec![3.0, 3.0]],
        };
        let s = Standardisation::fit(&t);
        assert_eq!(s.mean, vec![2.0, 3.0]);
        assert_eq!(s.sd, vec![1.0, 1.0]);
        assert_eq!(s.apply(&[4.0, 3.0]), vec![2.0, 0.0]);
    }

    #[test]
    fn the_cf_prediction_is_the_logistic_of_the_final_model() {
        // y depends on x0 strongly, not on x1 (noise): the screen or the elimination drops x1.
        let n = 200;
        let mut values = Vec::new();
        let mut y = Vec::new();
        for i in 0..n {
            let x0 = (i % 20) as f64 / 2.0;
            let x1 = ((i * 7919) % 13) as f64;
            values.push(vec![x0, x1]);
            y.push((i * 31 % 100) as f64 / 10.0 < x0);
        }
        let t = FeatureTable {
            names: vec!["x0".into(), "x1".into()],
            values,
        };
        let fit = fit_cf(&t, &y).unwrap();
        assert_eq!(fit.predictors, vec!["x0".to_string()]);
        let p = fit.predict(&t);
        let eta = fit.coefficients[0] + fit.coefficients[1] * t.values[5][0];
        assert!((p[5] - 1.0 / (1.0 + (-eta).exp())).abs() < 1e-15);
        assert!(fit.coefficients[1] > 0.0);
        assert!(fit.excluded.is_empty());
    }

    #[test]
    fn a_constant_candidate_is_excluded_not_fatal() {
        let t = FeatureTable {
            names: vec!["x".into(), "male".into()],
            values: (0..40).map(|i| vec![(i % 7) as f64, 1.0]).collect(),
        };
        let y: Vec<bool> = (0..40).map(|i| i % 7 > 3 || i % 5 == 0).collect();
        let fit = fit_cf(&t, &y).unwrap();
        assert_eq!(fit.excluded.len(), 1);
        assert_eq!(fit.excluded[0].0, "male");
        assert!(!fit.predictors.contains(&"male".to_string()));
    }
}
