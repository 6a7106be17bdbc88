//! Threshold metrics: the 2x2 table at a threshold (positive when score >= threshold, the
//! paper's convention) and ACC, SEN, SPE, PPV, NPV as counted fractions with exact
//! Clopper-Pearson 95% CIs (Clopper & Pearson 1934, Biometrika 26:404).

use serde::Serialize;
use statrs::distribution::{Beta, ContinuousCDF};

use crate::StatsError;

/// How the threshold is chosen.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ThresholdRule {
    /// The sample median of all scores (the paper's rule).
    Median,
    /// A fixed value.
    Value(f64),
}

impl std::str::FromStr for ThresholdRule {
    type Err = String;

    /// `median` or a finite number.
    fn from_str(s: &str) -> Result<Self, String> {
        if s == "median" {
            return Ok(ThresholdRule::Median);
        }
        s.parse::<f64>()
            .ok()
            .filter(|t| t.is_finite())
            .map(ThresholdRule::Value)
            .ok_or_else(|| format!("`{s}` is neither `median` nor a number"))
    }
}

/// A proportion numerator / denominator with its exact 95% CI; the ratio and CI are `None`
/// (JSON null) when the denominator is 0.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Proportion {
    /// Count of successes.
    pub numerator: u64,
    /// Count of trials.
    pub denominator: u64,
    /// numerator / denominator, `None` when the denominator is 0.
    pub estimate: Option<f64>,
    /// Clopper-Pearson lower bound.
    pub ci_low: Option<f64>,
    /// Clopper-Pearson upper bound.
    pub ci_high: Option<f64>,
}

impl Proportion {
    /// The proportion x / n with its Clopper-Pearson 95% CI.
    pub fn new(x: u64, n: u64) -> Self {
        let ci = clopper_pearson(x, n, 0.95);
        Proportion {
            numerator: x,
            denominator: n,
            estimate: (n > 0).then(|| x as f64 / n as f64),
            ci_low: ci.map(|c| c.0),
            ci_high: ci.map(|c| c.1),
        }
    }

    /// As the paper writes it: `61.1% (44/72)`, or `NA (0/0)`.
    pub fn percent_label(&self) -> String {
        match self.estimate {
            Some(p) => format!(
                "{:.1}% ({}/{})",
                100.0 * p,
                self.numerator,
                self.denominator
            ),
            None => format!("NA ({}/{})", self.numerator, self.denominator),
        }
    }
}

/// Exact (Clopper-Pearson) CI of x successes in n trials at coverage `level`:
/// lower = Beta(α/2; x, n − x + 1) quantile (0 when x = 0),
/// upper = Beta(1 − α/2; x + 1, n − x) quantile (1 when x = n). `None` when n = 0.
pub fn clopper_pearson(x: u64, n: u64, level: f64) -> Option<(f64, f64)> {
    if n == 0 || x > n {
        return None;
    }
    let alpha = 1.0 - level;
    let (xf, nf) = (x as f64, n as f64);
    let low = if x == 0 {
        0.0
    } else {
        Beta::new(xf, nf - xf + 1.0).ok()?.inverse_cdf(alpha / 2.0)
    };
    let high = if x == n {
        1.0
    } else {
        Beta::new(xf + 1.0, nf - xf)
            .ok()?
            .inverse_cdf(1.0 - alpha / 2.0)
    };
    Some((low, high))
}

/// The usual sample median: the middle value, or the mean of the two middle values.
pub fn median(scores: &[f64]) -> Result<f64, StatsError> {
    if scores.is_empty() {
        return Err(StatsError::InsufficientData(
            "the median of no scores".into(),
        ));
    }
    if scores.iter().any(|s| s.is_nan()) {
        return Err(StatsError::InvalidValue("a score is NaN".into()));
    }
    let mut v = scores.to_vec();
    v.sort_unstable_by(f64::total_cmp);
    let k = v.len() / 2;
    Ok(if v.len() % 2 == 1 {
        v[k]
    } else {
        (v[k - 1] + v[k]) / 2.0
    })
}

/// The 2x2 table at a threshold and the five metrics of the paper.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ThresholdMetrics {
    /// The threshold; positive when score >= threshold.
    pub threshold: f64,
    /// True positives: outcome 1, score >= threshold.
    pub tp: u64,
    /// False positives: outcome 0, score >= threshold.
    pub fp: u64,
    /// True negatives: outcome 0, score < threshold.
    pub tn: u64,
    /// False negatives: outcome 1, score < threshold.
    #[serde(rename = "fn")]
    pub fn_: u64,
    /// ACC = (TP + TN) / all.
    pub accuracy: Proportion,
    /// SEN = TP / (TP + FN).
    pub sensitivity: Proportion,
    /// SPE = TN / (TN + FP).
    pub specificity: Proportion,
    /// PPV = TP / (TP + FP).
    pub ppv: Proportion,
    /// NPV = TN / (TN + FN).
    pub npv: Proportion,
}

impl ThresholdMetrics {
    /// The metrics of a 2x2 table.
    pub fn from_counts(threshold: f64, tp: u64, fp: u64, tn: u64, fn_: u64) -> Self {
        ThresholdMetrics {
            threshold,
            tp,
            fp,
            tn,
            fn_,
            accuracy: Proportion::new(tp + tn, tp + fp + tn + fn_),
            sensitivity: Proportion::new(tp, tp + fn_),
            specificity: Proportion::new(tn, tn + fp),
            ppv: Proportion::new(tp, tp + fp),
            npv: Proportion::new(tn, tn + fn_),
        }
    }
}

/// The threshold a rule picks for these scores.
pub fn choose_threshold(scores: &[f64], rule: ThresholdRule) -> Result<f64, StatsError> {
    match rule {
        ThresholdRule::Median => median(scores),
        ThresholdRule::Value(t) if t.is_nan() => {
            Err(StatsError::InvalidValue("the threshold is NaN".into()))
        }
        ThresholdRule::Value(t) => Ok(t),
    }
}

/// Threshold metrics of `scores` against `outcomes` with the threshold from `rule`.
/// Works with one class only (the undefined ratios are `None`); NaN scores are an error.
pub fn threshold_metrics(
    scores: &[f64],
    outcomes: &[bool],
    rule: ThresholdRule,
) -> Result<ThresholdMetrics, StatsError> {
    crate::roc::check_scores(scores, outcomes)?;
    let t = choose_threshold(scores, rule)?;
    let (mut tp, mut fp, mut tn, mut fn_) = (0, 0, 0, 0);
    for (&s, &o) in scores.iter().zip(outcomes) {
        match (s >= t, o) {
            (true, true) => tp += 1,
            (true, false) => fp += 1,
            (false, false) => tn += 1,
            (false, true) => fn_ += 1,
        }
    }
    Ok(ThresholdMetrics::from_counts(t, tp, fp, tn, fn_))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_parse_as_the_command_line_writes_them() {
        assert_eq!("median".parse(), Ok(ThresholdRule::Median));
        assert_eq!("0.25".parse(), Ok(ThresholdRule::Value(0.25)));
        for bad in ["x", "inf", "NaN", ""] {
            assert!(bad.parse::<ThresholdRule>().is_err(), "{bad}");
        }
        use crate::reclassification::RiskCut;
        assert_eq!("median".parse(), Ok(RiskCut::Median));
        assert_eq!("0.2, 0.5".parse(), Ok(RiskCut::Common(vec![0.2, 0.5])));
        assert!("0.2,x".parse::<RiskCut>().is_err());
    }
}
