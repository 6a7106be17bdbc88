//! The ROC analysis of several named scores on the same subjects, as `livermet stats roc`
//! reports it: each AUC with its DeLong 95% CI (and optionally a stratified bootstrap CI), the
//! paired DeLong test of every pair, and the metrics at a threshold. Each number is held once,
//! in the struct that computes it ([`AucEstimate`], [`AucComparison`], [`ThresholdMetrics`]).

use serde::Serialize;

use crate::StatsError;
use crate::bootstrap::{BootstrapCi, bootstrap_auc_ci};
use crate::delong::AucComparison;
use crate::roc::{AucEstimate, roc_analysis};
use crate::thresholds::{ThresholdMetrics, ThresholdRule, threshold_metrics};
use std::fmt::Write as _;

/// One score's AUC with its DeLong CI and, when asked for, its bootstrap CI.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NamedEstimate {
    pub name: String,
    #[serde(flatten)]
    pub estimate: AucEstimate,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bootstrap: Option<BootstrapCi>,
}

/// A paired test of the AUC of score `a` against that of score `b` (DeLong's, on the same
/// subjects). `N` names the scores: column names here, the study's model names there.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NamedComparison<N> {
    pub a: N,
    pub b: N,
    #[serde(flatten)]
    pub test: AucComparison,
}

/// One score's 2x2 table and metrics at the threshold its rule picked.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NamedThreshold {
    pub name: String,
    /// `median` (of this score) or `value` (a fixed threshold).
    pub rule: &'static str,
    #[serde(flatten)]
    pub metrics: ThresholdMetrics,
}

/// The whole analysis.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RocReport {
    pub n: usize,
    pub positives: usize,
    pub negatives: usize,
    pub scores: Vec<NamedEstimate>,
    /// Paired DeLong tests of every pair (a before b in the order given); empty with fewer
    /// than 2 subjects in a class.
    pub comparisons: Vec<NamedComparison<String>>,
    pub thresholds: Vec<NamedThreshold>,
}

/// The bootstrap of [`roc_report`]: resamples and seed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BootstrapSettings {
    pub resamples: usize,
    pub seed: u64,
}

/// ROC analysis of `scores[k]` (named `names[k]`) against `outcomes`, with the threshold
/// metrics of `rule` and, if `bootstrap` is given, 95% stratified bootstrap CIs.
pub fn roc_report(
    names: &[String],
    scores: &[&[f64]],
    outcomes: &[bool],
    rule: ThresholdRule,
    bootstrap: Option<BootstrapSettings>,
) -> Result<RocReport, StatsError> {
    if names.len() != scores.len() {
        return Err(StatsError::LengthMismatch {
            what: "score names".into(),
            expected: scores.len(),
            got: names.len(),
        });
    }
    let analysis = roc_analysis(scores, outcomes)?;
    let boot = match bootstrap {
        Some(b) => Some(bootstrap_auc_ci(
            scores,
            outcomes,
            b.resamples,
            b.seed,
            0.95,
        )?),
        None => None,
    };
    let comparisons = analysis
        .delong
        .as_ref()
        .map(|f| f.delong_tests())
        .unwrap_or_default()
        .into_iter()
        .map(|(a, b, test)| NamedComparison {
            a: names[a].clone(),
            b: names[b].clone(),
            test,
        })
        .collect();
    let thresholds = names
        .iter()
        .zip(scores)
        .map(|(name, s)| {
            Ok(NamedThreshold {
                name: name.clone(),
                rule: match rule {
                    ThresholdRule::Median => "median",
                    ThresholdRule::Value(_) => "value",
                },
                metrics: threshold_metrics(s, outcomes, rule)?,
            })
        })
        .collect::<Result<_, StatsError>>()?;
    Ok(RocReport {
        n: outcomes.len(),
        positives: analysis.positives,
        negatives: analysis.negatives,
        scores: names
            .iter()
            .zip(analysis.estimates)
            .enumerate()
            .map(|(k, (name, estimate))| NamedEstimate {
                name: name.clone(),
                estimate,
                bootstrap: boot.as_ref().map(|b| b[k].clone()),
            })
            .collect(),
        comparisons,
        thresholds,
    })
}

impl RocReport {
    /// The analysis as text tables (what `livermet stats roc` prints): the AUCs with their
    /// CIs, the paired tests, and the metrics at the threshold.
    pub fn text(&self) -> String {
        let num = |x: Option<f64>, digits: usize| {
            x.map_or_else(|| "NA".into(), |v| format!("{v:.digits$}"))
        };
        let w = self
            .scores
            .iter()
            .map(|s| s.name.len())
            .max()
            .unwrap_or(5)
            .max(5);
        let mut out = String::new();
        let _ = writeln!(
            out,
            "{:w$}  {:>6}  {:>6}  {:<15}  note",
            "score", "AUC", "SE", "95% CI (DeLong)"
        );
        for s in &self.scores {
            let e = &s.estimate;
            let ci = format!("{} - {}", num(e.ci_low, 3), num(e.ci_high, 3));
            let mut note = Vec::new();
            if e.clipped {
                note.push("CI clipped to [0, 1]".to_string());
            }
            if e.zero_variance {
                note.push(
                    "SE is 0: perfect separation, the CI understates the uncertainty".to_string(),
                );
            }
            if let Some(b) = &s.bootstrap {
                note.push(format!("bootstrap {:.3} - {:.3}", b.ci_low, b.ci_high));
            }
            let _ = writeln!(
                out,
                "{:w$}  {:>6.3}  {:>6}  {ci:<15}  {}",
                s.name,
                e.auc,
                num(e.se, 4),
                note.join("; ")
            );
        }
        if !self.comparisons.is_empty() {
            let _ = writeln!(out, "\nPaired DeLong tests (z = (AUC a - AUC b) / SE)");
            let _ = writeln!(
                out,
                "{:w$}  {:w$}  {:>7}  {:>6}  {:>7}  {:>7}  95% CI",
                "a", "b", "diff", "SE", "z", "p"
            );
            for c in &self.comparisons {
                let t = &c.test;
                let p = match t.p {
                    Some(p) if p < 0.001 => "<0.001".into(),
                    other => num(other, 3),
                };
                let _ = writeln!(
                    out,
                    "{:w$}  {:w$}  {:>7.3}  {:>6.4}  {:>7}  {p:>7}  {:.3} - {:.3}",
                    c.a,
                    c.b,
                    t.auc_diff,
                    t.se,
                    num(t.z, 2),
                    t.ci_low,
                    t.ci_high
                );
            }
        }
        let rule = match self.thresholds.first() {
            Some(t) if t.rule == "value" => format!("{}", t.metrics.threshold),
            _ => "the median score".to_string(),
        };
        let _ = writeln!(
            out,
            "\nAt threshold {rule} (positive when score >= threshold)"
        );
        let _ = writeln!(
            out,
            "{:w$}  {:>9}  ACC / SEN / SPE / PPV / NPV",
            "score", "threshold"
        );
        for t in &self.thresholds {
            let m = &t.metrics;
            let cells: Vec<String> = [&m.accuracy, &m.sensitivity, &m.specificity, &m.ppv, &m.npv]
                .iter()
                .map(|p| p.percent_label())
                .collect();
            let _ = writeln!(
                out,
                "{:w$}  {:>9.4}  {}",
                t.name,
                m.threshold,
                cells.join("  ")
            );
        }
        out
    }
}
