//! Decision curve analysis (Vickers & Elkin 2006, Med Decis Making 26:565) exactly as the Python
//! package `dcurves` (1.1.7, `dcurves.dca`, binary outcome, no harm, nper = 1) computes it:
//!
//! - a subject is test-positive at threshold probability pt when its risk >= pt, where a risk
//!   of exactly 0 counts as 0 − ε and exactly 1 as 1 + ε (ε = machine epsilon; dcurves'
//!   `_rectify_model_risk_boundaries`);
//! - tp_rate = (TP / events) · prevalence, fp_rate = (FP / non-events) · (1 − prevalence),
//!   prevalence = events / n (so tp_rate = TP / n and fp_rate = FP / n);
//! - net benefit NB = tp_rate − fp_rate · pt / (1 − pt);
//! - treat-all is the risk 1 for everyone, treat-none the risk 0 (NB = 0);
//! - net interventions avoided NIA = (NB − NB_all) / (pt / (1 − pt)) (per subject; dcurves'
//!   `nper` scaling, e.g. per 100, is left to the caller).

use serde::Serialize;

use crate::StatsError;

/// Name of the treat-all curve (as in dcurves).
pub const TREAT_ALL: &str = "all";
/// Name of the treat-none curve (as in dcurves).
pub const TREAT_NONE: &str = "none";

/// One point of a decision curve.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DecisionCurvePoint {
    /// The model (score name, `all` or `none`).
    pub model: String,
    /// Threshold probability pt.
    pub threshold: f64,
    /// Net benefit at pt.
    pub net_benefit: f64,
    /// Net interventions avoided at pt (per subject).
    pub net_intervention_avoided: f64,
}

/// The curve of `model` among `points`: `(threshold, net benefit)` in threshold order.
pub fn net_benefit_curve(points: &[DecisionCurvePoint], model: &str) -> Vec<(f64, f64)> {
    points
        .iter()
        .filter(|d| d.model == model)
        .map(|d| (d.threshold, d.net_benefit))
        .collect()
}

/// The grid written START:STOP:STEP (e.g. `0.01:0.99:0.01`), as [`threshold_grid`] makes it.
pub fn parse_grid(s: &str) -> Result<Vec<f64>, StatsError> {
    let parts: Vec<f64> = s
        .split(':')
        .map(|p| p.trim().parse::<f64>())
        .collect::<Result<_, _>>()
        .ok()
        .filter(|v: &Vec<f64>| v.len() == 3)
        .ok_or_else(|| {
            StatsError::InvalidValue(format!(
                "thresholds `{s}`: write START:STOP:STEP, e.g. 0.01:0.99:0.01"
            ))
        })?;
    threshold_grid(parts[0], parts[1], parts[2])
}

/// The curves as CSV: `model,threshold,net_benefit,net_intervention_avoided`.
pub fn to_csv(points: &[DecisionCurvePoint]) -> Result<Vec<u8>, csv::Error> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record([
        "model",
        "threshold",
        "net_benefit",
        "net_intervention_avoided",
    ])?;
    for p in points {
        w.write_record([
            p.model.clone(),
            p.threshold.to_string(),
            p.net_benefit.to_string(),
            p.net_intervention_avoided.to_string(),
        ])?;
    }
    w.into_inner().map_err(|e| e.into_error().into())
}

/// Thresholds start, start + step, ..., up to stop (inclusive), computed in decimal steps so
/// that 0.01:0.99:0.01 gives exactly the doubles i / 100 (as dcurves' and numpy's grids), which
/// matters when a risk equals a threshold. Every threshold must lie in (0, 1).
pub fn threshold_grid(start: f64, stop: f64, step: f64) -> Result<Vec<f64>, StatsError> {
    // Written so that NaN fails too.
    let ordered = step > 0.0 && start <= stop;
    if !ordered {
        return Err(StatsError::InvalidValue(format!(
            "thresholds {start}:{stop}:{step}: need start <= stop and a positive step"
        )));
    }
    if !(start > 0.0 && stop < 1.0) {
        return Err(StatsError::InvalidValue(format!(
            "thresholds {start}:{stop}:{step}: threshold probabilities must lie in (0, 1)"
        )));
    }
    // The fewest decimals that write all three exactly (up to 12).
    let is_int = |x: f64| (x - x.round()).abs() < 1e-9 * x.abs().max(1.0);
    let decimals = (0..=12)
        .find(|&d| {
            let s = 10f64.powi(d);
            is_int(start * s) && is_int(stop * s) && is_int(step * s)
        })
        .unwrap_or(12);
    let scale = 10f64.powi(decimals);
    let (a, b, z) = (
        (start * scale).round(),
        (step * scale).round(),
        (stop * scale).round(),
    );
    let count = ((z - a) / b).floor() as usize + 1;
    if count > 100_000 {
        return Err(StatsError::InvalidValue(format!(
            "thresholds {start}:{stop}:{step} give {count} points; use a larger step"
        )));
    }
    Ok((0..count).map(|i| (a + i as f64 * b) / scale).collect())
}

/// The default grid 0.01, 0.02, ..., 0.99.
pub fn default_thresholds() -> Vec<f64> {
    (1..100).map(|i| i as f64 / 100.0).collect()
}

/// dcurves' boundary rule: a risk of exactly 0 is 0 − ε, of exactly 1 is 1 + ε.
fn rectified(risk: f64) -> f64 {
    if risk == 0.0 {
        -f64::EPSILON
    } else if risk == 1.0 {
        1.0 + f64::EPSILON
    } else {
        risk
    }
}

/// Net benefit of `risks` at each threshold, as dcurves' `_calc_tp_rate`/`_calc_fp_rate`.
fn net_benefits(risks: &[f64], outcomes: &[bool], thresholds: &[f64]) -> Vec<f64> {
    let events = outcomes.iter().filter(|&&o| o).count() as f64;
    let non_events = outcomes.len() as f64 - events;
    let prevalence = events / outcomes.len() as f64;
    thresholds
        .iter()
        .map(|&pt| {
            let (mut tp, mut fp) = (0usize, 0usize);
            for (&r, &o) in risks.iter().zip(outcomes) {
                if rectified(r) >= pt {
                    if o { tp += 1 } else { fp += 1 }
                }
            }
            let tp_rate = tp as f64 / events * prevalence;
            let fp_rate = fp as f64 / non_events * (1.0 - prevalence);
            tp_rate - pt / (1.0 - pt) * fp_rate
        })
        .collect()
}

/// Decision curves of each named model (risks in [0, 1], same subjects as `outcomes`), then of
/// treat-all (`all`) and treat-none (`none`), over `thresholds` (each in (0, 1)); rows are
/// grouped by model in that order, thresholds ascending as given.
pub fn decision_curves(
    models: &[(&str, &[f64])],
    outcomes: &[bool],
    thresholds: &[f64],
) -> Result<Vec<DecisionCurvePoint>, StatsError> {
    let events = outcomes.iter().filter(|&&o| o).count();
    if events == 0 || events == outcomes.len() {
        return Err(StatsError::InsufficientData(format!(
            "decision curves need both outcomes, but all {} subjects have outcome {}",
            outcomes.len(),
            u8::from(events > 0)
        )));
    }
    if let Some(t) = thresholds.iter().find(|&&t| !(t > 0.0 && t < 1.0)) {
        return Err(StatsError::InvalidValue(format!(
            "threshold probability {t} is not in (0, 1)"
        )));
    }
    for (name, risks) in models {
        if risks.len() != outcomes.len() {
            return Err(StatsError::LengthMismatch {
                what: format!("risks of `{name}`"),
                expected: outcomes.len(),
                got: risks.len(),
            });
        }
        if let Some(r) = risks.iter().find(|&&r| !(0.0..=1.0).contains(&r)) {
            return Err(StatsError::InvalidValue(format!(
                "`{name}` has the value {r}: decision curves need predicted risks in [0, 1] \
                 (turn the score into a probability first, e.g. with a logistic model)"
            )));
        }
    }
    let all = vec![1.0; outcomes.len()];
    let none = vec![0.0; outcomes.len()];
    let nb_all = net_benefits(&all, outcomes, thresholds);
    let named = models
        .iter()
        .map(|&(n, r)| (n, r))
        .chain([(TREAT_ALL, &all[..]), (TREAT_NONE, &none[..])]);
    let mut out = Vec::with_capacity((models.len() + 2) * thresholds.len());
    for (name, risks) in named {
        let nb = net_benefits(risks, outcomes, thresholds);
        for ((&pt, &nb), &nb_all) in thresholds.iter().zip(&nb).zip(&nb_all) {
            out.push(DecisionCurvePoint {
                model: name.to_string(),
                threshold: pt,
                net_benefit: nb,
                net_intervention_avoided: (nb - nb_all) / (pt / (1.0 - pt)),
            });
        }
    }
    Ok(out)
}
