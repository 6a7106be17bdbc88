//! Fast backward elimination on the Wald statistics of a single fit (Lawless & Singhal 1978,
//! Biometrics 34:318), as R's `rms::fastbw(fit, rule = "p")` (rms 6.5 source), which
//! `rms::validate(..., bw = TRUE)` repeats in every bootstrap resample. No model is refitted
//! during the elimination: with `b`, `V` the full model's coefficients and covariance, dropping
//! the parameter set `D` and keeping `K` approximates the reduced model by
//! `b_K - V_KD V_DD^{-1} b_D` with covariance `V_KK - V_KD V_DD^{-1} V_DK`.
//!
//! Each step computes, in the current approximate model, every predictor's Wald chi-square
//! `b_q^T V_qq^{-1} b_q` and picks the one with the largest p (the first among equal ones). It
//! is removed when ([`StopRule`]):
//! - `Residual` (rms's default `type = "residual"`): the residual Wald chi-square of everything
//!   removed so far plus it, `b_D^T V_DD^{-1} b_D` from the full model, has p > `sls`;
//! - `Individual`: its own Wald p > `sls`.
//!
//! This differs from SPSS's backward LR elimination ([`super::backward_stepwise_lr`]): Wald
//! instead of likelihood-ratio tests, no refits, and (with `Residual`) a joint stopping test,
//! so it can remove a predictor whose own p is below `sls`. It is here to compare with rms.

use serde::Serialize;

use crate::StatsError;
use crate::hypothesis::chi_square_sf;
use crate::linalg::Cholesky;
use crate::logistic::LogisticFit;
use statrs::function::gamma::gamma_lr;

/// When [`fast_backward`] stops (rms's `type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StopRule {
    /// Remove while the residual chi-square of all removed predictors has p > `sls`.
    Residual,
    /// Remove while the candidate's own Wald p > `sls`.
    Individual,
}

/// Settings of [`fast_backward`]; `sls` is rms's "significance level for staying".
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct FastBackward {
    pub sls: f64,
    pub stop: StopRule,
}

impl Default for FastBackward {
    /// rms's `validate(..., bw = TRUE, rule = "p", sls = 0.1)`: residual rule, `sls = 0.1`.
    fn default() -> Self {
        Self {
            sls: 0.1,
            stop: StopRule::Residual,
        }
    }
}

/// One removal, as a row of rms's `fastbw` table.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FastBackwardStep {
    /// The predictor removed.
    pub removed: String,
    /// Its Wald chi-square in the approximate model it was removed from.
    pub chi2: f64,
    /// Its number of columns.
    pub df: usize,
    /// `P(chi2_df >= chi2)`.
    pub p: f64,
    /// Wald chi-square (full model) of everything removed so far, it included.
    pub residual_chi2: f64,
    /// Columns removed so far.
    pub residual_df: usize,
    /// `P(chi2_residual_df >= residual_chi2)`.
    pub residual_p: f64,
}

/// The result of [`fast_backward`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FastElimination {
    /// Removals in order.
    pub steps: Vec<FastBackwardStep>,
    /// Predictors kept, in their original order.
    pub kept: Vec<String>,
    /// The approximate coefficients of the kept columns (intercept first), named as the fit's.
    /// Not a refit: the caller refits the kept predictors for the final model.
    pub approximate_coefficients: Vec<(String, f64)>,
}

/// `m[rows, cols]` of a row-major square matrix of side `k`.
fn block(m: &[f64], k: usize, rows: &[usize], cols: &[usize]) -> Vec<f64> {
    rows.iter()
        .flat_map(|&i| cols.iter().map(move |&j| m[i * k + j]))
        .collect()
}

fn singular(what: &str) -> StatsError {
    StatsError::Singular(format!(
        "fast backward elimination: the covariance block of {what} is not positive definite"
    ))
}

/// `b^T A^{-1} b` for the symmetric positive-definite `A` (side `b.len()`).
fn quadratic(a: &[f64], b: &[f64], what: &str) -> Result<f64, StatsError> {
    let chol = Cholesky::factor(a, b.len(), 0.0).map_err(|_| singular(what))?;
    Ok(b.iter().zip(chol.solve(b)).map(|(x, y)| x * y).sum())
}

/// rms's `fastbw(fit, rule = "p", type, sls)` on the fitted full model `fit` (its predictors are
/// the candidates; the intercept always stays).
pub fn fast_backward(
    fit: &LogisticFit,
    settings: &FastBackward,
) -> Result<FastElimination, StatsError> {
    if !(0.0..=1.0).contains(&settings.sls) {
        return Err(StatsError::InvalidValue(format!(
            "sls = {} is not in [0, 1]",
            settings.sls
        )));
    }
    let k = fit.coefficients.len();
    let b: Vec<f64> = fit.coefficients.iter().map(|c| c.coef).collect();
    let v: Vec<f64> = fit.covariance.iter().flatten().copied().collect();
    // Each predictor's parameter indices into `b`.
    let params: Vec<Vec<usize>> = fit
        .predictors
        .iter()
        .map(|t| {
            t.columns
                .iter()
                .map(|c| fit.coefficients.iter().position(|k| &k.name == c))
                .collect::<Option<Vec<usize>>>()
                .ok_or_else(|| singular(&t.name))
        })
        .collect::<Result<_, _>>()?;

    let mut factors_in: Vec<usize> = (0..fit.predictors.len()).collect();
    // Parameters in the current approximate model (original indices, increasing) with their
    // approximate coefficients and covariance (side `kept.len()`).
    let mut kept: Vec<usize> = (0..k).collect();
    let (mut beta, mut cov) = (b.clone(), v.clone());
    let mut steps = Vec::new();
    while !factors_in.is_empty() {
        // The predictor with the smallest P(chi2 <= chi2_j) (largest p); the first on ties.
        let mut best: Option<(usize, f64, f64)> = None; // (position in factors_in, chi2, cdf)
        for (pos, &f) in factors_in.iter().enumerate() {
            let q: Vec<usize> = params[f]
                .iter()
                .map(|p| kept.iter().position(|x| x == p).expect("kept parameter"))
                .collect();
            let bq: Vec<f64> = q.iter().map(|&i| beta[i]).collect();
            let chi2 = quadratic(
                &block(&cov, kept.len(), &q, &q),
                &bq,
                &fit.predictors[f].name,
            )?;
            // rms ranks by pchisq(chi2, df), the lower tail: kept as is so that ties match.
            let cdf = gamma_lr(q.len() as f64 / 2.0, chi2 / 2.0);
            if best.is_none_or(|(_, _, c)| cdf < c) {
                best = Some((pos, chi2, cdf));
            }
        }
        let (pos, chi2, _) = best.expect("a predictor is left");
        let f = factors_in[pos];
        let df = params[f].len();
        let p = chi_square_sf(chi2, df as f64);
        let candidate: Vec<usize> = kept
            .iter()
            .copied()
            .filter(|i| !params[f].contains(i))
            .collect();
        let removed: Vec<usize> = (0..k).filter(|i| !candidate.contains(i)).collect();
        let b_d: Vec<f64> = removed.iter().map(|&i| b[i]).collect();
        let v_dd = block(&v, k, &removed, &removed);
        let residual_chi2 = quadratic(&v_dd, &b_d, "the removed predictors")?;
        let residual_df = removed.len();
        let residual_p = chi_square_sf(residual_chi2, residual_df as f64);
        let remove = match settings.stop {
            StopRule::Residual => residual_p > settings.sls,
            StopRule::Individual => p > settings.sls,
        };
        if !remove {
            break;
        }
        steps.push(FastBackwardStep {
            removed: fit.predictors[f].name.clone(),
            chi2,
            df,
            p,
            residual_chi2,
            residual_df,
            residual_p,
        });
        factors_in.remove(pos);
        // b_K - V_KD V_DD^{-1} b_D and V_KK - V_KD V_DD^{-1} V_DK, from the full model.
        let inv = Cholesky::factor(&v_dd, residual_df, 0.0)
            .map_err(|_| singular("the removed predictors"))?
            .inverse();
        let v_kd = block(&v, k, &candidate, &removed);
        let w: Vec<f64> = (0..candidate.len())
            .flat_map(|i| {
                let (v_kd, inv) = (&v_kd, &inv);
                (0..residual_df).map(move |j| {
                    (0..residual_df)
                        .map(|m| v_kd[i * residual_df + m] * inv[m * residual_df + j])
                        .sum::<f64>()
                })
            })
            .collect();
        beta = (0..candidate.len())
            .map(|i| {
                b[candidate[i]]
                    - (0..residual_df)
                        .map(|j| w[i * residual_df + j] * b_d[j])
                        .sum::<f64>()
            })
            .collect();
        let nk = candidate.len();
        cov = (0..nk * nk)
            .map(|ij| {
                let (i, j) = (ij / nk, ij % nk);
                v[candidate[i] * k + candidate[j]]
                    - (0..residual_df)
                        .map(|m| w[i * residual_df + m] * v_kd[j * residual_df + m])
                        .sum::<f64>()
            })
            .collect();
        kept = candidate;
    }
    let removed: Vec<&str> = steps.iter().map(|s| s.removed.as_str()).collect();
    Ok(FastElimination {
        kept: fit
            .predictors
            .iter()
            .map(|t| t.name.clone())
            .filter(|n| !removed.contains(&n.as_str()))
            .collect(),
        approximate_coefficients: kept
            .iter()
            .zip(&beta)
            .map(|(&i, &c)| (fit.coefficients[i].name.clone(), c))
            .collect(),
        steps,
    })
}
