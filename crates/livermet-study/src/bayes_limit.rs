//! The Bayes limit of a study on the synthetic twin: how well the best possible model would do
//! on the same patients, beside what each fitted model did.
//!
//! `livermet synth` writes each patient's true probability of SLM into `truth.json`
//! ([`livermet_synth::posterior`]: from the clinical values alone, and from the clinical values
//! plus the latent imaging score the images express). A study whose cohort CSV has such a file
//! beside it reports, per cohort, the AUC of both true posteriors (with DeLong CIs) and each
//! model's gap to the clinical + latent one. A real cohort has no truth file, and nothing is
//! reported.

use std::collections::BTreeMap;
use std::path::Path;

use livermet_stats::roc::{AucEstimate, roc_analysis};
use livermet_synth::Truth;
use livermet_synth::posterior::Posterior;
use serde::Serialize;

use crate::StudyError;
use crate::scores::CohortScores;
use crate::settings::ModelName;

/// The file `livermet synth` writes beside its cohort CSVs.
pub const TRUTH_FILE: &str = "truth.json";

/// Each twin patient's true posterior, by patient ID.
pub type TwinTruth = BTreeMap<String, Posterior>;

/// One cohort's Bayes limits and every model's distance to the full one.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BayesLimit {
    /// AUC (DeLong CI) of the true posterior from the clinical values alone (what the CF model
    /// could reach).
    pub bayes_limit_clinical: AucEstimate,
    /// AUC (DeLong CI) of the true posterior from the clinical values and the latent imaging
    /// score (what the Combined model could reach).
    pub bayes_limit_clinical_latent: AucEstimate,
    /// `bayes_limit_clinical_latent.auc - AUC of the model`, per model.
    pub gap_to_bayes_limit: BTreeMap<ModelName, f64>,
}

/// The truth of the twin beside `csv`, if there is one that holds a posterior for every
/// patient it lists (an older `truth.json` without posteriors gives `None`).
pub fn read_twin_truth(csv: &Path) -> Result<Option<TwinTruth>, StudyError> {
    let path = csv.parent().unwrap_or(Path::new(".")).join(TRUTH_FILE);
    if !path.exists() {
        return Ok(None);
    }
    let truth: Truth = livermet_io::read_json(&path)?;
    Ok(truth
        .patients
        .iter()
        .map(|p| p.posterior.map(|post| (p.patient_id.clone(), post)))
        .collect())
}

/// The Bayes limit of `scores`' patients, when `truth` knows every one of them.
pub fn bayes_limit(
    scores: &CohortScores,
    truth: &TwinTruth,
) -> Result<Option<BayesLimit>, StudyError> {
    let Some(posteriors) = scores
        .patient_ids
        .iter()
        .map(|id| truth.get(id))
        .collect::<Option<Vec<&Posterior>>>()
    else {
        return Ok(None);
    };
    let clinical: Vec<f64> = posteriors.iter().map(|p| p.clinical).collect();
    let latent: Vec<f64> = posteriors.iter().map(|p| p.clinical_latent).collect();
    let mut roc = roc_analysis(&[&clinical, &latent], &scores.slm)?;
    let limit = roc.estimates.pop().expect("two scores");
    let clinical_limit = roc.estimates.pop().expect("two scores");
    let models = scores.scores.keys().copied().collect::<Vec<_>>();
    let columns: Vec<&[f64]> = models.iter().map(|m| scores.scores[m].as_slice()).collect();
    let model_roc = roc_analysis(&columns, &scores.slm)?;
    Ok(Some(BayesLimit {
        gap_to_bayes_limit: models
            .iter()
            .zip(&model_roc.estimates)
            .map(|(m, e)| (*m, limit.auc - e.auc))
            .collect(),
        bayes_limit_clinical: clinical_limit,
        bayes_limit_clinical_latent: limit,
    }))
}
