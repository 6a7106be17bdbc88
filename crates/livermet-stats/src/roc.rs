//! ROC analysis: curve points, AUC (ties count 1/2) and its DeLong standard error and 95% CI.
//!
//! A subject is called positive at threshold t when its score >= t (the paper's convention,
//! and scikit-learn's `roc_curve`).

use serde::Serialize;

use crate::StatsError;
use crate::delong::{DelongFit, delong};

/// The normal quantile used for 95% intervals: 1.96, the rounded 97.5% point that clinical
/// papers and their software print (docs/DESIGN.md, "The protocol", metrics).
pub const Z95: f64 = 1.96;

/// Check one score vector against the outcomes: one score per subject, none NaN.
pub fn check_scores(scores: &[f64], outcomes: &[bool]) -> Result<(), StatsError> {
    if scores.len() != outcomes.len() {
        return Err(StatsError::LengthMismatch {
            what: "scores".into(),
            expected: outcomes.len(),
            got: scores.len(),
        });
    }
    if let Some(i) = scores.iter().position(|s| s.is_nan()) {
        return Err(StatsError::InvalidValue(format!(
            "score {i} (0-based) is NaN: drop the subject or fill in the score"
        )));
    }
    Ok(())
}

/// [`check_inputs`] of every score vector (at least one); returns (positives, negatives).
pub fn check_all_inputs(
    scores: &[&[f64]],
    outcomes: &[bool],
) -> Result<(usize, usize), StatsError> {
    if scores.is_empty() {
        return Err(StatsError::InsufficientData("no scores given".into()));
    }
    let mut counts = (0, 0);
    for s in scores {
        counts = check_inputs(s, outcomes)?;
    }
    Ok(counts)
}

/// Check one score vector against the outcomes: [`check_scores`], and both classes present.
/// Returns (positives, negatives).
pub fn check_inputs(scores: &[f64], outcomes: &[bool]) -> Result<(usize, usize), StatsError> {
    check_scores(scores, outcomes)?;
    let m = outcomes.iter().filter(|&&o| o).count();
    let n = outcomes.len() - m;
    if m == 0 || n == 0 {
        let only = if m == 0 { "negatives" } else { "positives" };
        return Err(StatsError::InsufficientData(format!(
            "ROC analysis needs both outcomes, but all {} subjects are {only}",
            outcomes.len()
        )));
    }
    Ok((m, n))
}

/// One point of the ROC curve: the rates when subjects with score >= `threshold` are positive.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct RocPoint {
    /// False positive rate, FP / negatives.
    pub fpr: f64,
    /// True positive rate (sensitivity), TP / positives.
    pub tpr: f64,
    /// The threshold; +inf for the first point (0, 0) (serialised as null).
    pub threshold: f64,
}

/// The ROC curve as scikit-learn's `roc_curve(..., drop_intermediate=False)`: the point (0, 0)
/// at threshold +inf, then one point per distinct score, from the highest down.
pub fn roc_curve(scores: &[f64], outcomes: &[bool]) -> Result<Vec<RocPoint>, StatsError> {
    let (m, n) = check_inputs(scores, outcomes)?;
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_unstable_by(|&a, &b| scores[b].total_cmp(&scores[a]));
    let mut points = vec![RocPoint {
        fpr: 0.0,
        tpr: 0.0,
        threshold: f64::INFINITY,
    }];
    let (mut tp, mut fp) = (0usize, 0usize);
    for (k, &i) in order.iter().enumerate() {
        if outcomes[i] {
            tp += 1;
        } else {
            fp += 1;
        }
        // Emit a point at the end of each run of equal scores.
        let last_of_group = order.get(k + 1).is_none_or(|&j| scores[j] != scores[i]);
        if last_of_group {
            points.push(RocPoint {
                fpr: fp as f64 / n as f64,
                tpr: tp as f64 / m as f64,
                threshold: scores[i],
            });
        }
    }
    Ok(points)
}

/// AUC of one score with ties counted 1/2: the Mann-Whitney statistic U / (m n), from midranks.
/// Defined with a single positive or negative (where DeLong's variance is not).
pub fn auc(scores: &[f64], outcomes: &[bool]) -> Result<f64, StatsError> {
    let (m, n) = check_inputs(scores, outcomes)?;
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_unstable_by(|&a, &b| scores[a].total_cmp(&scores[b]));
    // Sum of the positives' midranks in the combined sample.
    let mut rank_sum = 0.0;
    let mut start = 0;
    while start < order.len() {
        let mut end = start + 1;
        while end < order.len() && scores[order[end]] == scores[order[start]] {
            end += 1;
        }
        let midrank = (start + end + 1) as f64 / 2.0;
        let pos = order[start..end].iter().filter(|&&i| outcomes[i]).count();
        rank_sum += midrank * pos as f64;
        start = end;
    }
    let (mf, nf) = (m as f64, n as f64);
    Ok((rank_sum - mf * (mf + 1.0) / 2.0) / (mf * nf))
}

/// An AUC with its DeLong standard error and the 95% CI AUC ± 1.96 SE.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AucEstimate {
    /// Area under the ROC curve (ties count 1/2).
    pub auc: f64,
    /// DeLong variance; `None` with fewer than 2 positives or 2 negatives.
    pub variance: Option<f64>,
    /// DeLong standard error, sqrt(variance).
    pub se: Option<f64>,
    /// Lower end of the 95% CI, clipped to [0, 1].
    pub ci_low: Option<f64>,
    /// Upper end of the 95% CI, clipped to [0, 1].
    pub ci_high: Option<f64>,
    /// True when AUC ± 1.96 SE reached outside [0, 1] and was clipped.
    pub clipped: bool,
    /// True when the SE is 0 (perfect separation or all scores tied): the CI is a single
    /// point and understates the uncertainty; use the bootstrap CI or report it as such.
    pub zero_variance: bool,
}

impl AucEstimate {
    /// Build from an AUC and its variance (if known).
    pub fn new(auc: f64, variance: Option<f64>) -> Self {
        let se = variance.map(|v| v.max(0.0).sqrt());
        let raw = se.map(|se| (auc - Z95 * se, auc + Z95 * se));
        let clipped = raw.is_some_and(|(lo, hi)| lo < 0.0 || hi > 1.0);
        AucEstimate {
            auc,
            variance,
            se,
            ci_low: raw.map(|(lo, _)| lo.max(0.0)),
            ci_high: raw.map(|(_, hi)| hi.min(1.0)),
            clipped,
            zero_variance: se == Some(0.0),
        }
    }

    /// "0.812 (0.701-0.923)": the AUC and its 95% CI to 3 decimals, as the paper prints them
    /// (the AUC alone when there is no CI).
    pub fn label(&self) -> String {
        match (self.ci_low, self.ci_high) {
            (Some(l), Some(h)) => format!("{:.3} ({l:.3}-{h:.3})", self.auc),
            _ => format!("{:.3}", self.auc),
        }
    }
}

/// ROC analysis of k scores on the same subjects: each AUC with its DeLong CI, and (with at
/// least 2 of each class) the DeLong fit for paired tests.
#[derive(Debug, Clone, Serialize)]
pub struct RocAnalysis {
    /// Number of positives (outcome true).
    pub positives: usize,
    /// Number of negatives.
    pub negatives: usize,
    /// One estimate per score, in the order given.
    pub estimates: Vec<AucEstimate>,
    /// DeLong's components; `None` with fewer than 2 positives or 2 negatives.
    #[serde(skip)]
    pub delong: Option<DelongFit>,
}

/// AUC, DeLong SE and 95% CI of each score; one class only or NaN scores are errors.
pub fn roc_analysis(scores: &[&[f64]], outcomes: &[bool]) -> Result<RocAnalysis, StatsError> {
    let (m, n) = check_all_inputs(scores, outcomes)?;
    if m < 2 || n < 2 {
        // AUC is defined, its DeLong variance is not.
        let estimates = scores
            .iter()
            .map(|s| auc(s, outcomes).map(|a| AucEstimate::new(a, None)))
            .collect::<Result<_, _>>()?;
        return Ok(RocAnalysis {
            positives: m,
            negatives: n,
            estimates,
            delong: None,
        });
    }
    let fit = delong(scores, outcomes)?;
    let estimates = (0..fit.len())
        .map(|k| AucEstimate::new(fit.auc[k], Some(fit.variance(k))))
        .collect();
    Ok(RocAnalysis {
        positives: m,
        negatives: n,
        estimates,
        delong: Some(fit),
    })
}
