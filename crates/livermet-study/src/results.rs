//! `results.json`: every number of the report, built from a finished [`StudyRun`].

use std::collections::BTreeMap;

use livermet_model::{Fusion, Protocol};
use serde::Serialize;

use crate::StudyError;
use crate::bayes_limit::bayes_limit;
use crate::bundle::CardAuc;
use crate::clinical::FeatureTable;
use crate::evaluate::{CohortEvaluation, evaluate_cohort, reclassifications};
use crate::provenance::{CF_BOOTSTRAP_RESAMPLES, Provenance, RECLASSIFICATION_RESAMPLES};
use crate::run::StudyRun;
use crate::settings::{ModelName, StudySettings};
use crate::subgroups::{Subgroup, centre_subgroups, cohort_subgroups, lesion_size_analysis};
use livermet_cohort::Patient;
use livermet_stats::validation::{OptimismTable, bootstrap_validate_cf};

/// A setting of this study that differs from the paper's protocol.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SettingDifference {
    pub setting: String,
    pub this_study: String,
    pub paper: String,
}

/// The CF model of one fit: its screen, elimination path and final coefficients.
#[derive(Debug, Clone, Serialize)]
pub struct CfReport {
    /// Candidates without a univariable model on the primary cohort, with the reason.
    pub excluded: Vec<(String, String)>,
    pub screened_in: Vec<String>,
    pub predictors: Vec<String>,
    /// The whole selection record (univariable fits, screen, steps, final fit with odds
    /// ratios), as `livermet stats logistic --backward --json` prints it.
    pub selection: serde_json::Value,
}

/// Everything the report shows.
#[derive(Debug, Clone, Serialize)]
pub struct StudyResults {
    pub livermet_version: String,
    pub seed: u64,
    pub protocol: Protocol,
    pub folds: usize,
    pub settings: StudySettings,
    pub settings_differing_from_paper: Vec<SettingDifference>,
    /// `primary_cv` (out-of-fold scores) and `external` (models refitted on the primary cohort).
    pub cohorts: BTreeMap<String, CohortEvaluation>,
    /// The final CF model (fitted on the whole primary cohort).
    pub cf_model: Option<CfReport>,
    /// The predictors the CF selection kept in each cross-validation fold.
    pub cf_predictors_per_fold: Vec<Vec<String>>,
    /// The CF model's internal validation by the bootstrap on the primary cohort.
    pub cf_internal_validation: Option<CfValidation>,
    /// Per centre, on the primary cohort's out-of-fold and the external cohort's scores pooled.
    pub centres: Vec<Subgroup>,
    /// Which build, inputs, seeds and machine produced these results, and when (set by the
    /// report step; [`crate::provenance`]).
    pub provenance: Option<Provenance>,
}

/// Harrell's bootstrap optimism correction of the CF model (the univariable screen and the
/// backward elimination repeated in every resample; [`bootstrap_validate_cf`]).
#[derive(Debug, Clone, Serialize)]
pub struct CfValidation {
    /// Bootstrap resamples B.
    pub resamples: usize,
    pub seed: u64,
    /// `None` when the procedure could not be validated (see `note`).
    pub table: Option<OptimismTable>,
    pub note: Option<String>,
}

/// The CF validation on `patients` (the whole primary cohort).
fn cf_validation(patients: &[Patient], seed: u64) -> CfValidation {
    let all: Vec<&Patient> = patients.iter().collect();
    let y: Vec<bool> = patients.iter().map(|p| p.slm == Some(true)).collect();
    let table = FeatureTable::clinical(&all);
    let result = table.design().and_then(|design| {
        bootstrap_validate_cf(&design, &y, CF_BOOTSTRAP_RESAMPLES, seed).map_err(StudyError::from)
    });
    let (table, note) = match result {
        Ok(t) => {
            let note = (!t.failures.is_empty()).then(|| {
                format!(
                    "the procedure failed in {} of {} resamples (left out; first: {})",
                    t.failures.len(),
                    t.resamples,
                    t.failures[0].error
                )
            });
            (Some(t), note)
        }
        Err(e) => (None, Some(format!("not validated: {e}"))),
    };
    CfValidation {
        resamples: CF_BOOTSTRAP_RESAMPLES,
        seed,
        table,
        note,
    }
}

impl StudyResults {
    /// The study in a few lines: a header, the AUC (95% CI) of each model in each cohort, and
    /// the DeLong test of Combined against MRI.
    pub fn summary_lines(&self) -> Vec<String> {
        let cohorts: Vec<(&str, &CohortEvaluation)> = [
            ("primary_cv", "primary, 5-fold CV"),
            ("external", "external validation"),
        ]
        .into_iter()
        .filter_map(|(k, title)| self.cohorts.get(k).map(|c| (title, c)))
        .collect();
        let mut header = format!("{:<10}", "AUC");
        for (title, _) in &cohorts {
            header.push_str(&format!("{title:<24}"));
        }
        let mut lines = vec![header.trim_end().to_string()];
        for m in ModelName::ALL {
            let mut line = format!("{:<10}", m.as_str());
            for (_, c) in &cohorts {
                let cell = c
                    .models
                    .get(&m)
                    .map_or("-".to_string(), |e| e.estimate.label());
                line.push_str(&format!("{cell:<24}"));
            }
            lines.push(line.trim_end().to_string());
        }
        lines.extend(bayes_limit_lines(&cohorts));
        for other in [ModelName::MRI, ModelName::CF] {
            let p: Vec<String> = cohorts
                .iter()
                .map(|(title, c)| {
                    let p = c
                        .comparisons
                        .iter()
                        .find(|c| c.a == ModelName::Combined && c.b == other)
                        .and_then(|c| c.test.p)
                        .map_or("-".into(), |p| format!("{p:.3}"));
                    format!("{title} p = {p}")
                })
                .collect();
            lines.push(format!("DeLong Combined vs {other}: {}", p.join(", ")));
        }
        lines
    }

    /// The card's validation summary: cohort -> model -> AUC and CI.
    pub fn validation_summary(&self) -> BTreeMap<String, BTreeMap<ModelName, CardAuc>> {
        self.cohorts
            .iter()
            .map(|(c, e)| {
                let models = e
                    .models
                    .iter()
                    .map(|(m, v)| {
                        (
                            *m,
                            CardAuc {
                                auc: v.estimate.auc,
                                ci_low: v.estimate.ci_low,
                                ci_high: v.estimate.ci_high,
                            },
                        )
                    })
                    .collect();
                (c.clone(), models)
            })
            .collect()
    }
}

/// On the synthetic twin: the Bayes limits as two more rows of the summary's AUC table
/// (`limit`: clinical values + latent imaging score; `limit CF`: clinical values alone), then
/// each model's gap to the first.
fn bayes_limit_lines(cohorts: &[(&str, &CohortEvaluation)]) -> Vec<String> {
    if cohorts.iter().all(|(_, c)| c.bayes_limit.is_none()) {
        return Vec::new();
    }
    let mut lines = Vec::new();
    for (title, full) in [("limit", true), ("limit CF", false)] {
        let mut line = format!("{title:<10}");
        for (_, c) in cohorts {
            let cell = c.bayes_limit.as_ref().map_or("-".into(), |l| {
                if full {
                    l.bayes_limit_clinical_latent.label()
                } else {
                    l.bayes_limit_clinical.label()
                }
            });
            line.push_str(&format!("{cell:<24}"));
        }
        lines.push(line.trim_end().to_string());
    }
    let gaps: Vec<String> = cohorts
        .iter()
        .filter_map(|(title, c)| {
            let l = c.bayes_limit.as_ref()?;
            let g: Vec<String> = l
                .gap_to_bayes_limit
                .iter()
                .map(|(m, g)| format!("{m} {g:.3}"))
                .collect();
            Some(format!("{title}: {}", g.join(", ")))
        })
        .collect();
    lines.push(format!(
        "gap to the Bayes limit (the AUC of the twin's true probability of SLM): {}",
        gaps.join("; ")
    ));
    lines
}

/// Evaluates both cohorts of `run`.
pub fn study_results(run: &StudyRun) -> Result<StudyResults, StudyError> {
    let mut cohorts = BTreeMap::new();
    let mut evaluated = vec![("primary_cv", &run.primary_cv, &run.primary)];
    if let Some(ext) = &run.external_scores {
        evaluated.push(("external", ext, &run.external));
    }
    let seed = run.settings.seed;
    for (name, scores, patients) in &evaluated {
        let mut e = evaluate_cohort(scores, patients)?;
        if let Some(truth) = &run.twin_truth {
            e.bayes_limit = bayes_limit(scores, truth)?;
        }
        e.subgroups = cohort_subgroups(scores, patients)?;
        e.lesion_size = lesion_size_analysis(scores, patients)?;
        e.reclassification = reclassifications(scores, RECLASSIFICATION_RESAMPLES, seed)?;
        cohorts.insert(name.to_string(), e);
    }
    let pooled: Vec<(&crate::CohortScores, &[Patient])> = evaluated
        .iter()
        .map(|(_, s, p)| (*s, p.as_slice()))
        .collect();
    let centres = centre_subgroups(&pooled)?;
    let cf_internal_validation = run
        .settings
        .fits(ModelName::CF)
        .then(|| cf_validation(&run.primary, seed));
    Ok(StudyResults {
        livermet_version: env!("CARGO_PKG_VERSION").into(),
        seed: run.settings.seed,
        protocol: run.settings.protocol,
        folds: run.folds.k,
        settings: run.settings.clone(),
        settings_differing_from_paper: differences_from_paper(&run.settings),
        cohorts,
        cf_model: run.final_cf.as_ref().map(|cf| CfReport {
            excluded: cf.excluded.clone(),
            screened_in: cf.screened_in.clone(),
            predictors: cf.predictors.clone(),
            selection: cf.selection.clone(),
        }),
        cf_predictors_per_fold: run.cf_per_fold.clone(),
        cf_internal_validation,
        centres,
        provenance: None,
    })
}

/// Every network, training and validation setting of `s` that is not the paper's.
pub fn differences_from_paper(s: &StudySettings) -> Vec<SettingDifference> {
    let paper = StudySettings {
        protocol: Protocol::Paper,
        training: Default::default(),
        network: Default::default(),
        ..s.clone()
    };
    let (a, b) = (
        s.net(ModelName::Combined, 5),
        paper.net(ModelName::Combined, 5),
    );
    let (ta, tb) = (s.train(), paper.train());
    let mut out = Vec::new();
    let mut diff = |name: &str, x: String, y: String| {
        if x != y {
            out.push(SettingDifference {
                setting: name.into(),
                this_study: x,
                paper: y,
            });
        }
    };
    diff(
        "network widths",
        format!("{:?}", a.widths),
        format!("{:?}", b.widths),
    );
    diff(
        "patch size (pixels)",
        a.patch_size.to_string(),
        b.patch_size.to_string(),
    );
    diff(
        "clinical units",
        a.clinical_units.to_string(),
        b.clinical_units.to_string(),
    );
    diff("dropout", a.dropout.to_string(), b.dropout.to_string());
    diff(
        "fusion of the clinical values (Combined)",
        s.fusion.as_str().into(),
        Fusion::Paper.as_str().into(),
    );
    diff("epochs", ta.epochs.to_string(), tb.epochs.to_string());
    diff(
        "augmented copies per slice",
        ta.copies_per_slice.to_string(),
        tb.copies_per_slice.to_string(),
    );
    diff(
        "initial learning rate",
        ta.lr0.to_string(),
        tb.lr0.to_string(),
    );
    diff(
        "batch size",
        ta.batch_size.to_string(),
        tb.batch_size.to_string(),
    );
    diff("L1 penalty", ta.l1.to_string(), tb.l1.to_string());
    diff("L2 penalty", ta.l2.to_string(), tb.l2.to_string());
    diff("folds", s.folds.to_string(), "5".into());
    let all = ModelName::ALL.to_vec();
    diff("models", format!("{:?}", s.models), format!("{all:?}"));
    out
}
