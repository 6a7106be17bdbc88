//! Checks made before and after a logistic fit so that a model whose maximum-likelihood estimate
//! does not exist is reported, never returned as huge coefficients.
//!
//! Albert & Anderson (1984, Biometrika 71:1-10): the MLE exists and is unique iff the data
//! *overlap*; under complete separation (some `b` with `x_i b > 0` for every event and `< 0` for
//! every non-event) or quasi-complete separation (the same with `>= 0`/`<= 0`, equality for some
//! subjects) the log-likelihood keeps rising as `|b|` grows along `b`.

use crate::StatsError;
use crate::linalg::Cholesky;

use super::newton::NewtonResult;

/// Relative pivot below which a design column counts as a linear combination of earlier ones.
const COLLINEAR_TOL: f64 = 1e-10;

/// |linear predictor| beyond which a fitted probability is within 3e-7 of 0 or 1.
const EXTREME_ETA: f64 = 15.0;

/// The outcome must have both classes.
pub(crate) fn check_two_classes(y: &[bool]) -> Result<(), StatsError> {
    let events = y.iter().filter(|&&v| v).count();
    if y.is_empty() || events == 0 || events == y.len() {
        return Err(StatsError::InsufficientData(format!(
            "the outcome has {events} events among {} subjects: a logistic model needs both \
             events and non-events",
            y.len()
        )));
    }
    Ok(())
}

/// Full column rank of the (unweighted) design `X^T X`, else `Singular` naming the first column
/// that is constant or a linear combination of the columns before it.
pub(crate) fn check_rank(x: &[f64], p: usize, names: &[String]) -> Result<(), StatsError> {
    let mut xtx = vec![0.0; p * p];
    for row in x.chunks_exact(p) {
        for a in 0..p {
            for b in 0..=a {
                xtx[a * p + b] += row[a] * row[b];
            }
        }
    }
    for a in 0..p {
        for b in 0..a {
            xtx[b * p + a] = xtx[a * p + b];
        }
    }
    Cholesky::factor(&xtx, p, COLLINEAR_TOL)
        .map(|_| ())
        .map_err(|j| {
            StatsError::Singular(format!(
                "`{}` is constant or a linear combination of {} (collinear predictors): remove it",
                names[j],
                names[..j]
                    .iter()
                    .map(|n| format!("`{n}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
        })
}

/// A single design column that separates the outcome on its own (with the intercept): all
/// events at or above every non-event, or all at or below. Exact, and sufficient for the MLE of
/// any model containing that column not to exist.
pub(crate) fn check_single_columns(
    x: &[f64],
    p: usize,
    y: &[bool],
    names: &[String],
) -> Result<(), StatsError> {
    for j in 1..p {
        let (mut min1, mut max1, mut min0, mut max0) = (
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::INFINITY,
            f64::NEG_INFINITY,
        );
        for (row, &yi) in x.chunks_exact(p).zip(y) {
            let v = row[j];
            if yi {
                min1 = min1.min(v);
                max1 = max1.max(v);
            } else {
                min0 = min0.min(v);
                max0 = max0.max(v);
            }
        }
        let name = &names[j];
        let (kind, rule) = if max0 < min1 {
            (
                "complete",
                format!("every event has {name} >= {min1} and every non-event <= {max0}"),
            )
        } else if min0 > max1 {
            (
                "complete",
                format!("every event has {name} <= {max1} and every non-event >= {min0}"),
            )
        } else if max0 == min1 {
            (
                "quasi-complete",
                format!("no non-event has {name} above {max0}, no event below it"),
            )
        } else if min0 == max1 {
            (
                "quasi-complete",
                format!("no event has {name} above {max1}, no non-event below it"),
            )
        } else {
            continue;
        };
        return Err(separation_error(std::slice::from_ref(name), kind, &rule));
    }
    Ok(())
}

fn separation_error(names: &[String], kind: &str, rule: &str) -> StatsError {
    StatsError::Separation(format!(
        "{kind} separation by {}: {rule}; the maximum-likelihood estimate does not exist \
         (coefficients would diverge): remove or recode the predictor(s), or use penalised \
         (Firth) regression",
        names
            .iter()
            .map(|n| format!("`{n}`"))
            .collect::<Vec<_>>()
            .join(", ")
    ))
}

/// After Newton-Raphson: a fit that did not converge while fitted probabilities reached 0 or 1
/// (`|eta| > 15`), or one that converged with probabilities exactly 0/1 in `f64` (`|eta| > 36`),
/// is separated by a combination of columns. The columns named are those whose standardised
/// component of the last Newton step is at least a tenth of the largest: along a separating
/// direction the steps do not shrink, while the other coefficients settle.
pub(crate) fn check_divergence(
    fit: &NewtonResult,
    x: &[f64],
    p: usize,
    names: &[String],
) -> Result<(), StatsError> {
    let max_eta = fit.eta.iter().fold(0.0f64, |m, e| m.max(e.abs()));
    let diverged = (!fit.converged && max_eta > EXTREME_ETA) || max_eta > 36.0;
    if !diverged {
        return Ok(());
    }
    Err(separation_error(
        &diverging_columns(&fit.last_step, x, p, names),
        "complete or quasi-complete",
        &format!("fitted probabilities reach 0 or 1 (|logit| up to {max_eta:.1})"),
    ))
}

/// Columns (not the intercept) whose step, scaled by the column's standard deviation, is large.
pub(crate) fn diverging_columns(
    step: &[f64],
    x: &[f64],
    p: usize,
    names: &[String],
) -> Vec<String> {
    let n = (x.len() / p) as f64;
    let scaled: Vec<f64> = (1..p)
        .map(|j| {
            let mean = x.chunks_exact(p).map(|r| r[j]).sum::<f64>() / n;
            let var = x
                .chunks_exact(p)
                .map(|r| (r[j] - mean).powi(2))
                .sum::<f64>()
                / n;
            (step[j] * var.sqrt()).abs()
        })
        .collect();
    let top = scaled.iter().fold(0.0f64, |m, &s| m.max(s));
    let named: Vec<String> = scaled
        .iter()
        .enumerate()
        .filter(|&(_, &s)| top > 0.0 && s >= 0.1 * top)
        .map(|(j, _)| names[j + 1].clone())
        .collect();
    if named.is_empty() {
        vec!["a combination of the predictors".to_string()]
    } else {
        named
    }
}
