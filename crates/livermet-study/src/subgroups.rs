//! Performance in subgroups and centres (TRIPOD+AI 12d, 14, 23a-b): each model's AUC with its
//! DeLong 95% CI ([`livermet_stats::roc::roc_analysis`], the one AUC) and the 2x2 metrics at the
//! cohort's median-score threshold (the paper's rule; the threshold is the whole cohort's, not
//! re-chosen in the subgroup, as a clinician would apply it), per sex, age band and band of
//! tumour distance from the anal verge; per centre on the pooled cohorts; and the sensitivity
//! for liver metastases under and at or over 3 cm (the paper's "SEN ... for patients with liver
//! metastasis smaller than 3 cm"), from the optional `lesion_size_cm` column.
//!
//! A subgroup without events or without non-events has no AUC: it is reported with its counts
//! and a note saying so, never with a number.

use std::collections::BTreeMap;

use livermet_cohort::{Patient, SMALL_LESION_CM, Sex};
use livermet_stats::roc::{AucEstimate, roc_analysis};
use livermet_stats::thresholds::{Proportion, ThresholdMetrics, ThresholdRule, threshold_metrics};
use serde::Serialize;

use crate::StudyError;
use crate::evaluate::in_score_order;
use crate::scores::CohortScores;
use crate::settings::ModelName;

/// Age bands, years: lower bounds of `< 50`, `50-64`, `>= 65`.
pub const AGE_BANDS: [(f64, &str); 3] = [(0.0, "< 50"), (50.0, "50-64"), (65.0, ">= 65")];

/// Bands of tumour distance from the anal verge, cm, as rectal cancers are usually called low
/// (< 5 cm), mid (5-10 cm) and high (> 10 cm) (e.g. the ESMO rectal cancer guideline, Glynne-Jones
/// et al. 2017, Ann Oncol 28 suppl 4).
pub fn distance_band(cm: f64) -> &'static str {
    if cm < 5.0 {
        "low (< 5 cm)"
    } else if cm <= 10.0 {
        "mid (5-10 cm)"
    } else {
        "high (> 10 cm)"
    }
}

/// The age band of `years` ([`AGE_BANDS`]).
pub fn age_band(years: f64) -> &'static str {
    AGE_BANDS
        .iter()
        .rev()
        .find(|(lo, _)| years >= *lo)
        .map_or(AGE_BANDS[0].1, |(_, name)| name)
}

/// One model in one subgroup.
#[derive(Debug, Clone, Serialize)]
pub struct SubgroupModel {
    /// `None` when the subgroup lacks events or non-events (see [`Subgroup::note`]).
    pub auc: Option<AucEstimate>,
    /// At the cohort's median threshold of this model.
    pub threshold_metrics: ThresholdMetrics,
}

/// One subgroup (a level of one variable) of a cohort.
#[derive(Debug, Clone, Serialize)]
pub struct Subgroup {
    /// `sex`, `age band`, `tumour distance band` or `centre`.
    pub variable: String,
    pub level: String,
    pub n: usize,
    pub events: usize,
    pub models: BTreeMap<ModelName, SubgroupModel>,
    /// Why there is no AUC (no events, no non-events), or what limits it.
    pub note: Option<String>,
}

/// One model's sensitivity for small and large liver metastases.
#[derive(Debug, Clone, Serialize)]
pub struct LesionSensitivity {
    pub model: ModelName,
    /// The cohort's median threshold.
    pub threshold: f64,
    /// SLM patients with `lesion_size_cm` < 3 called high risk, of those patients.
    pub under_3cm: Proportion,
    /// SLM patients with `lesion_size_cm` >= 3.
    pub at_least_3cm: Proportion,
    /// Every SLM patient (the cohort's sensitivity, for comparison).
    pub all: Proportion,
}

/// The sensitivity by lesion size in one cohort.
#[derive(Debug, Clone, Serialize)]
pub struct LesionSizeAnalysis {
    /// SLM patients with a size recorded, and without.
    pub with_size: usize,
    pub without_size: usize,
    pub models: Vec<LesionSensitivity>,
}

/// The median threshold of each model in `scores` (what the cohort's performance table uses).
fn thresholds(scores: &CohortScores) -> Result<BTreeMap<ModelName, f64>, StudyError> {
    scores
        .scores
        .iter()
        .map(|(m, s)| Ok((*m, livermet_stats::thresholds::median(s)?)))
        .collect()
}

/// The subgroup of the patients at `rows` of `scores`.
fn subgroup(
    variable: &str,
    level: &str,
    rows: &[usize],
    scores: &CohortScores,
    cuts: &BTreeMap<ModelName, f64>,
) -> Result<Subgroup, StudyError> {
    let y: Vec<bool> = rows.iter().map(|&i| scores.slm[i]).collect();
    let events = y.iter().filter(|&&v| v).count();
    let columns: Vec<(ModelName, Vec<f64>)> = scores
        .scores
        .iter()
        .map(|(m, s)| (*m, rows.iter().map(|&i| s[i]).collect()))
        .collect();
    let note = if events == 0 {
        Some(format!(
            "no patient with SLM among these {}: no AUC or sensitivity",
            y.len()
        ))
    } else if events == y.len() {
        Some(format!(
            "every one of these {} patients has SLM: no AUC or specificity",
            y.len()
        ))
    } else {
        None
    };
    let aucs = match note {
        Some(_) => None,
        None => {
            let refs: Vec<&[f64]> = columns.iter().map(|(_, s)| s.as_slice()).collect();
            Some(roc_analysis(&refs, &y)?.estimates)
        }
    };
    let mut models = BTreeMap::new();
    for (k, (m, s)) in columns.iter().enumerate() {
        let t = threshold_metrics(s, &y, ThresholdRule::Value(cuts[m]))?;
        models.insert(
            *m,
            SubgroupModel {
                auc: aucs.as_ref().map(|a| a[k].clone()),
                threshold_metrics: t,
            },
        );
    }
    let note = note.or_else(|| {
        (events < 2 || y.len() - events < 2).then(|| {
            "fewer than 2 patients with or without SLM: the AUC has no DeLong CI".to_string()
        })
    });
    Ok(Subgroup {
        variable: variable.into(),
        level: level.into(),
        n: y.len(),
        events,
        models,
        note,
    })
}

/// Groups the rows of `scores` by `key` of their patient, levels in `order` (others after, by
/// name), and evaluates each.
fn by(
    variable: &str,
    scores: &CohortScores,
    patients: &[&Patient],
    cuts: &BTreeMap<ModelName, f64>,
    order: &[&str],
    key: &dyn Fn(&Patient) -> String,
) -> Result<Vec<Subgroup>, StudyError> {
    let mut groups: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (i, p) in patients.iter().enumerate() {
        groups.entry(key(p)).or_default().push(i);
    }
    let mut levels: Vec<String> = order
        .iter()
        .map(|s| s.to_string())
        .filter(|l| groups.contains_key(l))
        .collect();
    levels.extend(
        groups
            .keys()
            .filter(|k| !order.contains(&k.as_str()))
            .cloned(),
    );
    levels
        .iter()
        .map(|l| subgroup(variable, l, &groups[l], scores, cuts))
        .collect()
}

/// Sex, age band and tumour-distance band subgroups of one cohort's scores.
pub fn cohort_subgroups(
    scores: &CohortScores,
    patients: &[Patient],
) -> Result<Vec<Subgroup>, StudyError> {
    let cuts = thresholds(scores)?;
    let ps = in_score_order(scores, patients)?;
    let sex = |p: &Patient| match p.clinical.sex {
        Sex::Male => "male".to_string(),
        Sex::Female => "female".to_string(),
    };
    let ages: Vec<&str> = AGE_BANDS.iter().map(|(_, n)| *n).collect();
    let mut out = by("sex", scores, &ps, &cuts, &["male", "female"], &sex)?;
    out.extend(by("age band", scores, &ps, &cuts, &ages, &|p| {
        age_band(p.clinical.age_years).into()
    })?);
    out.extend(by(
        "tumour distance band",
        scores,
        &ps,
        &cuts,
        &["low (< 5 cm)", "mid (5-10 cm)", "high (> 10 cm)"],
        &|p| distance_band(p.clinical.tumour_distance_cm).into(),
    )?);
    Ok(out)
}

/// Per centre (the cohort CSVs' `centre` column) on the pooled scores of every cohort: the
/// primary cohort's out-of-fold scores with the external cohort's scores by the final models.
/// The threshold is the pooled median of each model.
pub fn centre_subgroups(
    cohorts: &[(&CohortScores, &[Patient])],
) -> Result<Vec<Subgroup>, StudyError> {
    let mut pooled = CohortScores {
        cohort: "pooled".into(),
        patient_ids: Vec::new(),
        slm: Vec::new(),
        fold: Vec::new(),
        scores: Default::default(),
    };
    let mut patients: Vec<&Patient> = Vec::new();
    let models: Vec<ModelName> = cohorts
        .first()
        .map(|(s, _)| s.scores.keys().copied().collect())
        .unwrap_or_default();
    for (scores, ps) in cohorts {
        patients.extend(in_score_order(scores, ps)?);
        pooled
            .patient_ids
            .extend(scores.patient_ids.iter().cloned());
        pooled.slm.extend(&scores.slm);
        for m in &models {
            let col = scores.scores.get(m).ok_or_else(|| {
                StudyError::Mismatch(format!("cohort {} has no {m} scores", scores.cohort))
            })?;
            pooled.scores.entry(*m).or_default().extend(col);
        }
    }
    let cuts = thresholds(&pooled)?;
    by("centre", &pooled, &patients, &cuts, &[], &|p| {
        p.centre.clone()
    })
}

/// Each model's sensitivity for metastases under 3 cm and at least 3 cm, at the cohort's median
/// threshold; `None` when no SLM patient of the cohort has a recorded size.
pub fn lesion_size_analysis(
    scores: &CohortScores,
    patients: &[Patient],
) -> Result<Option<LesionSizeAnalysis>, StudyError> {
    let ps = in_score_order(scores, patients)?;
    let slm: Vec<usize> = (0..ps.len()).filter(|&i| scores.slm[i]).collect();
    let with_size = slm
        .iter()
        .filter(|&&i| ps[i].lesion_size_cm.is_some())
        .count();
    if with_size == 0 {
        return Ok(None);
    }
    let cuts = thresholds(scores)?;
    let mut models = Vec::new();
    for (m, s) in &scores.scores {
        let t = cuts[m];
        let called = |pick: &dyn Fn(&Patient) -> bool| {
            let rows: Vec<usize> = slm.iter().copied().filter(|&i| pick(ps[i])).collect();
            let hit = rows.iter().filter(|&&i| s[i] >= t).count();
            Proportion::new(hit as u64, rows.len() as u64)
        };
        models.push(LesionSensitivity {
            model: *m,
            threshold: t,
            under_3cm: called(&|p| p.lesion_size_cm.is_some_and(|v| v < SMALL_LESION_CM)),
            at_least_3cm: called(&|p| p.lesion_size_cm.is_some_and(|v| v >= SMALL_LESION_CM)),
            all: called(&|_| true),
        });
    }
    Ok(Some(LesionSizeAnalysis {
        with_size,
        without_size: slm.len() - with_size,
        models,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bands_have_their_documented_edges() {
        assert_eq!(age_band(49.9), "< 50");
        assert_eq!(age_band(50.0), "50-64");
        assert_eq!(age_band(64.9), "50-64");
        assert_eq!(age_band(65.0), ">= 65");
        assert_eq!(distance_band(4.9), "low (< 5 cm)");
        assert_eq!(distance_band(5.0), "mid (5-10 cm)");
        assert_eq!(distance_band(10.0), "mid (5-10 cm)");
        assert_eq!(distance_band(10.1), "high (> 10 cm)");
    }
}
