//! Evaluation of a finished study, per cohort (cross-validated primary, external) and model
//! (CF, MRI, Combined), as the paper reports it: AUC with its DeLong 95% CI, paired DeLong
//! tests (Combined vs MRI, Combined vs CF, CF vs MRI), ACC/SEN/SPE/PPV/NPV at the median score
//! with counts, decision curves with treat-all/none, calibration, Table 1, and the univariable
//! logistic association of the DL score with each clinical characteristic.

use std::collections::BTreeMap;

use livermet_cohort::{CLINICAL_FEATURES, Patient, Sex};
use livermet_stats::calibration::{Calibration, calibration};
use livermet_stats::dca::{DecisionCurvePoint, decision_curves, default_thresholds};
use livermet_stats::logistic::{Coefficient, Design, FitOptions, univariable_fits};
use livermet_stats::roc::{AucEstimate, RocPoint, roc_analysis, roc_curve};
use livermet_stats::roc_report::NamedComparison;
use livermet_stats::table1::{Table1, Variable, VariableKind, table1};
use livermet_stats::thresholds::{ThresholdMetrics, ThresholdRule, threshold_metrics};
use serde::Serialize;

use livermet_stats::bootstrap::Resamples;
use livermet_stats::reclassification::{
    Reclassification, ReclassificationBootstrap, RiskCut, reclassification,
    reclassification_bootstrap,
};

use crate::StudyError;
use crate::bayes_limit::BayesLimit;
use crate::scores::CohortScores;
use crate::settings::ModelName;
use crate::subgroups::{LesionSizeAnalysis, Subgroup};

/// Pairs compared by DeLong's test, as the paper lists them.
pub const COMPARISONS: [(ModelName, ModelName); 3] = [
    (ModelName::Combined, ModelName::MRI),
    (ModelName::Combined, ModelName::CF),
    (ModelName::CF, ModelName::MRI),
];

/// Calibration bins and Hosmer-Lemeshow groups (deciles, by convention).
const CALIBRATION_BINS: usize = 10;

/// One model in one cohort.
#[derive(Debug, Clone, Serialize)]
pub struct ModelEvaluation {
    /// AUC with its DeLong SE and 95% CI (flattened: `auc`, `se`, `ci_low`, ...).
    #[serde(flatten)]
    pub estimate: AucEstimate,
    /// At the median score of this cohort (the paper's threshold): the 2x2 table and ACC, SEN,
    /// SPE, PPV and NPV, each with its count and Clopper-Pearson CI.
    pub threshold_metrics: ThresholdMetrics,
    pub roc: Vec<RocPoint>,
    /// `None` when the scores cannot be assessed (e.g. fewer than 3 distinct risks).
    pub calibration: Option<Calibration>,
    /// Why calibration is missing, if it is.
    pub calibration_note: Option<String>,
    /// Why the AUC's CI is missing or says less than it seems, if it does (a constant score,
    /// perfect separation).
    pub auc_note: Option<String>,
}

/// A paired DeLong test of model `a` against model `b`.
pub type Comparison = NamedComparison<ModelName>;

/// Univariable logistic regression of "DL score high" (at or above the cohort's median) on one
/// clinical characteristic.
#[derive(Debug, Clone, Serialize)]
pub struct ScoreAssociation {
    /// Which network's score.
    pub model: ModelName,
    pub characteristic: String,
    pub coefficient: Coefficient,
}

/// Everything evaluated in one cohort.
#[derive(Debug, Clone, Serialize)]
pub struct CohortEvaluation {
    pub n: usize,
    pub events: usize,
    pub models: BTreeMap<ModelName, ModelEvaluation>,
    pub comparisons: Vec<Comparison>,
    /// Net benefit of every model, treat-all (`all`) and treat-none (`none`), pt 0.01..0.99.
    pub decision_curves: Vec<DecisionCurvePoint>,
    pub table1: Table1,
    pub score_associations: Vec<ScoreAssociation>,
    /// On the synthetic twin only: the AUC of the true posteriors and each model's gap to it.
    pub bayes_limit: Option<BayesLimit>,
    /// Per sex, age band and tumour-distance band ([`crate::subgroups`]).
    pub subgroups: Vec<Subgroup>,
    /// Sensitivity for liver metastases < 3 cm and >= 3 cm (`lesion_size_cm` given).
    pub lesion_size: Option<LesionSizeAnalysis>,
    /// NRI and IDI of each pair of [`COMPARISONS`] (the second model as the old one).
    pub reclassification: Vec<PairReclassification>,
}

/// Reclassification of model `new` against model `old` (Pencina et al. 2008): category-free
/// NRI, NRI at each model's median (the paper's threshold rule) and IDI, with the Wald CIs of
/// Hmisc's `improveProb` and percentile bootstrap CIs stratified by outcome.
#[derive(Debug, Clone, Serialize)]
pub struct PairReclassification {
    pub new: ModelName,
    pub old: ModelName,
    pub reclassification: Reclassification,
    pub bootstrap: Option<ReclassificationBootstrap>,
    /// Why there is no bootstrap (or no reclassification at all), if so.
    pub note: Option<String>,
}

/// NRI and IDI of every pair of [`COMPARISONS`] that `scores` holds, with `resamples`
/// stratified bootstrap resamples drawn with `seed`; a failed bootstrap is a note.
pub fn reclassifications(
    scores: &CohortScores,
    resamples: usize,
    seed: u64,
) -> Result<Vec<PairReclassification>, StudyError> {
    let y = &scores.slm;
    let mut out = Vec::new();
    for (new, old) in COMPARISONS {
        let (Some(pn), Some(po)) = (scores.scores.get(&new), scores.scores.get(&old)) else {
            continue;
        };
        let r = reclassification(y, po, pn, &RiskCut::Median)?;
        let draws = Resamples::Stratified {
            count: resamples,
            seed,
        };
        let (bootstrap, note) =
            match reclassification_bootstrap(y, po, pn, &RiskCut::Median, &draws, 0.95) {
                Ok(b) => (Some(b), None),
                Err(e) => (None, Some(format!("no bootstrap CIs: {e}"))),
            };
        out.push(PairReclassification {
            new,
            old,
            reclassification: r,
            bootstrap,
            note,
        });
    }
    Ok(out)
}

/// Evaluates one cohort's scores; `patients` are the cohort's patients in any order.
pub fn evaluate_cohort(
    scores: &CohortScores,
    patients: &[Patient],
) -> Result<CohortEvaluation, StudyError> {
    let y = &scores.slm;
    let models: Vec<ModelName> = scores.scores.keys().copied().collect();
    let columns: Vec<&[f64]> = models.iter().map(|m| scores.scores[m].as_slice()).collect();
    let roc = roc_analysis(&columns, y)?;
    let mut evaluated = BTreeMap::new();
    for (k, m) in models.iter().enumerate() {
        let s = columns[k];
        let t = threshold_metrics(s, y, ThresholdRule::Median)?;
        let (calibration, note) = match calibration(
            s,
            y,
            CALIBRATION_BINS,
            CALIBRATION_BINS,
            &FitOptions::default(),
        ) {
            Ok(c) => (Some(c), None),
            Err(e) => (None, Some(e.to_string())),
        };
        // DeLong's SE is 0 for a constant score and for perfect separation: the CI then has
        // zero width. A constant score ranks no one, so it gets no CI at all.
        let constant = s.iter().all(|v| *v == s[0]);
        let mut estimate = roc.estimates[k].clone();
        let auc_note = match (estimate.zero_variance, constant) {
            (_, true) => Some(format!(
                "every patient has the same {m} score: the model ranks no one, so the AUC of 0.5 has no CI"
            )),
            (true, false) => Some(format!(
                "the {m} scores separate the classes perfectly: DeLong's SE is 0 and the zero-width CI understates the uncertainty"
            )),
            _ => None,
        };
        if constant {
            (estimate.ci_low, estimate.ci_high) = (None, None);
        }
        evaluated.insert(
            *m,
            ModelEvaluation {
                estimate,
                auc_note,
                roc: roc_curve(s, y)?,
                threshold_metrics: t,
                calibration,
                calibration_note: note,
            },
        );
    }
    let mut comparisons = Vec::new();
    if let Some(fit) = &roc.delong {
        for (a, b) in COMPARISONS {
            let (Some(ia), Some(ib)) = (
                models.iter().position(|m| *m == a),
                models.iter().position(|m| *m == b),
            ) else {
                continue;
            };
            comparisons.push(Comparison {
                a,
                b,
                test: fit.delong_test(ia, ib)?,
            });
        }
    }
    let named: Vec<(&str, &[f64])> = models
        .iter()
        .zip(&columns)
        .map(|(m, s)| (m.as_str(), *s))
        .collect();
    let decision_curves = decision_curves(&named, y, &default_thresholds())?;
    let ordered = in_score_order(scores, patients)?;
    Ok(CohortEvaluation {
        n: y.len(),
        events: y.iter().filter(|&&v| v).count(),
        models: evaluated,
        comparisons,
        decision_curves,
        table1: clinical_table1(&ordered, y)?,
        score_associations: score_associations(scores, &ordered)?,
        bayes_limit: None,
        subgroups: Vec::new(),
        lesion_size: None,
        reclassification: Vec::new(),
    })
}

/// The patients in the order of `scores.patient_ids`.
pub(crate) fn in_score_order<'a>(
    scores: &CohortScores,
    patients: &'a [Patient],
) -> Result<Vec<&'a Patient>, StudyError> {
    scores
        .patient_ids
        .iter()
        .map(|id| {
            patients.iter().find(|p| &p.id == id).ok_or_else(|| {
                StudyError::Mismatch(format!("patient {id} has scores but is not in the cohort"))
            })
        })
        .collect()
}

/// Table 1 of the paper: sex, age, tumour distance, CEA and CA19-9 (normal/elevated) by SLM.
pub fn clinical_table1(patients: &[&Patient], slm: &[bool]) -> Result<Table1, StudyError> {
    let cat = |name: &str, f: &dyn Fn(&Patient) -> String| Variable {
        name: name.into(),
        cells: patients.iter().map(|p| Some(f(p))).collect(),
        kind: Some(VariableKind::Categorical),
    };
    let num = |name: &str, f: &dyn Fn(&Patient) -> f64| Variable {
        name: name.into(),
        cells: patients.iter().map(|p| Some(f(p).to_string())).collect(),
        kind: Some(VariableKind::Continuous),
    };
    let level = |elevated: bool, normal: &str, high: &str| {
        if elevated {
            high.to_string()
        } else {
            normal.to_string()
        }
    };
    let variables = [
        cat("Sex", &|p| {
            if p.clinical.sex == Sex::Male {
                "Male"
            } else {
                "Female"
            }
            .into()
        }),
        num("Age, years", &|p| p.clinical.age_years),
        num("Tumour distance from the anal verge, cm", &|p| {
            p.clinical.tumour_distance_cm
        }),
        cat("CEA level", &|p| {
            level(
                p.clinical.cea_elevated(),
                "Normal (<5 ng/ml)",
                "Elevated (>=5 ng/ml)",
            )
        }),
        cat("CA19-9 level", &|p| {
            level(
                p.clinical.ca199_elevated(),
                "Normal (<37 U/ml)",
                "Elevated (>=37 U/ml)",
            )
        }),
    ];
    let group: Vec<Option<String>> = slm
        .iter()
        .map(|&s| Some(if s { "SLM" } else { "Non-SLM" }.to_string()))
        .collect();
    Ok(table1("group", &group, &variables)?)
}

/// For each network score: univariable logistic regression of "score >= cohort median" on each
/// clinical characteristic (the paper: "Univariate logistic regression was used to analyze the
/// association between biological characteristics and DL scores").
fn score_associations(
    scores: &CohortScores,
    patients: &[&Patient],
) -> Result<Vec<ScoreAssociation>, StudyError> {
    let mut out = Vec::new();
    for model in [ModelName::MRI, ModelName::Combined] {
        let Some(s) = scores.scores.get(&model) else {
            continue;
        };
        let median = livermet_stats::thresholds::median(s)?;
        let high: Vec<bool> = s.iter().map(|&v| v >= median).collect();
        if high.iter().all(|&h| h) || high.iter().all(|&h| !h) {
            continue;
        }
        for (j, name) in CLINICAL_FEATURES.iter().enumerate() {
            let mut design = Design::new(patients.len());
            let col: Vec<f64> = patients.iter().map(|p| p.clinical.features()[j]).collect();
            design.add_numeric(name, &col)?;
            // A characteristic that is constant or separates the groups perfectly has no
            // finite odds ratio: it is left out of the table (and the report says so).
            let Ok(fits) = univariable_fits(&design, &high, &FitOptions::default()) else {
                continue;
            };
            if let Some(c) = fits.first().and_then(|f| f.fit.coefficient(name)) {
                out.push(ScoreAssociation {
                    model,
                    characteristic: name.to_string(),
                    coefficient: c.clone(),
                });
            }
        }
    }
    Ok(out)
}
