//! Newton-Raphson for the logistic log-likelihood (equivalently IRLS; McCullagh & Nelder 1989,
//! section 4.4): with `eta = X b + offset`, `mu = 1 / (1 + exp(-eta))`, `W = diag(mu (1 - mu))`,
//! the step is `delta = (X^T W X)^{-1} X^T (y - mu)`, halved while it lowers the log-likelihood.

use crate::linalg::Cholesky;

use super::FitOptions;

/// What Newton-Raphson ended with.
#[derive(Debug, Clone)]
pub(crate) struct NewtonResult {
    pub beta: Vec<f64>,
    /// `(X^T W X)^{-1}` at `beta` (row-major `p x p`).
    pub cov: Vec<f64>,
    pub loglik: f64,
    pub iterations: usize,
    pub converged: bool,
    /// Linear predictor at `beta`.
    pub eta: Vec<f64>,
    /// The last full Newton step: along a separating direction it does not shrink.
    pub last_step: Vec<f64>,
}

/// Newton-Raphson failed because `X^T W X` lost rank at iteration `iteration` (column `column`).
#[derive(Debug, Clone, Copy)]
pub(crate) struct NewtonSingular {
    pub column: usize,
    pub iteration: usize,
    /// Linear predictor when it failed (for the separation diagnosis).
    pub max_abs_eta: f64,
}

/// `log(1 + exp(x))` without overflow.
fn softplus(x: f64) -> f64 {
    if x > 0.0 {
        x + (-x).exp().ln_1p()
    } else {
        x.exp().ln_1p()
    }
}

/// The logistic function `1 / (1 + exp(-x))` without overflow.
pub(crate) fn expit(x: f64) -> f64 {
    if x >= 0.0 {
        1.0 / (1.0 + (-x).exp())
    } else {
        let e = x.exp();
        e / (1.0 + e)
    }
}

/// Bernoulli log-likelihood `sum y log mu + (1 - y) log(1 - mu)` written as `-softplus(-+eta)`.
pub(crate) fn loglik(eta: &[f64], y: &[bool]) -> f64 {
    eta.iter()
        .zip(y)
        .map(|(&e, &yi)| if yi { -softplus(-e) } else { -softplus(e) })
        .sum()
}

fn linear_predictor(x: &[f64], p: usize, beta: &[f64], offset: Option<&[f64]>) -> Vec<f64> {
    x.chunks_exact(p)
        .enumerate()
        .map(|(i, row)| {
            let e: f64 = row.iter().zip(beta).map(|(a, b)| a * b).sum();
            e + offset.map_or(0.0, |o| o[i])
        })
        .collect()
}

/// Score `X^T (y - mu)` and information `X^T W X` (row-major) at `eta`.
fn score_information(x: &[f64], p: usize, y: &[bool], eta: &[f64]) -> (Vec<f64>, Vec<f64>) {
    let mut grad = vec![0.0; p];
    let mut info = vec![0.0; p * p];
    for ((row, &e), &yi) in x.chunks_exact(p).zip(eta).zip(y) {
        // y - mu and mu (1 - mu), each computed on the side that keeps its precision.
        let r = if yi { expit(-e) } else { -expit(e) };
        let q = (-e.abs()).exp();
        let w = q / ((1.0 + q) * (1.0 + q));
        for a in 0..p {
            grad[a] += row[a] * r;
            let wa = w * row[a];
            for b in 0..=a {
                info[a * p + b] += wa * row[b];
            }
        }
    }
    for a in 0..p {
        for b in 0..a {
            info[b * p + a] = info[a * p + b];
        }
    }
    (grad, info)
}

/// Relative pivot tolerance for `X^T W X`: below it a column is treated as lost.
const PIVOT_TOL: f64 = 1e-13;

/// Maximise the logistic log-likelihood of `y` on the row-major `n x p` matrix `x` (plus an
/// optional fixed `offset`) from `start`. Converged when every component of the accepted step is
/// below `opts.tolerance` in absolute value (statsmodels' Newton criterion).
pub(crate) fn newton(
    x: &[f64],
    p: usize,
    y: &[bool],
    offset: Option<&[f64]>,
    start: Vec<f64>,
    opts: &FitOptions,
) -> Result<NewtonResult, NewtonSingular> {
    let mut beta = start;
    let mut eta = linear_predictor(x, p, &beta, offset);
    let mut ll = loglik(&eta, y);
    let mut iterations = 0;
    let mut converged = false;
    let mut last_step = vec![0.0; p];
    let max_abs = |eta: &[f64]| eta.iter().fold(0.0f64, |m, e| m.max(e.abs()));
    while iterations < opts.max_iterations {
        let (grad, info) = score_information(x, p, y, &eta);
        let chol = Cholesky::factor(&info, p, PIVOT_TOL).map_err(|column| NewtonSingular {
            column,
            iteration: iterations,
            max_abs_eta: max_abs(&eta),
        })?;
        let step = chol.solve(&grad);
        // Step-halving (never needed near the optimum, where Newton converges quadratically).
        let mut t = 1.0;
        let (mut new_beta, mut new_eta, mut new_ll);
        loop {
            new_beta = beta
                .iter()
                .zip(&step)
                .map(|(b, s)| b + t * s)
                .collect::<Vec<_>>();
            new_eta = linear_predictor(x, p, &new_beta, offset);
            new_ll = loglik(&new_eta, y);
            if new_ll >= ll - 1e-12 * (1.0 + ll.abs()) || t < 1e-8 {
                break;
            }
            t *= 0.5;
        }
        iterations += 1;
        let max_change = step.iter().fold(0.0f64, |m, s| m.max((t * s).abs()));
        last_step = step;
        beta = new_beta;
        eta = new_eta;
        ll = new_ll;
        if max_change < opts.tolerance {
            converged = true;
            break;
        }
    }
    let (_, info) = score_information(x, p, y, &eta);
    let chol = Cholesky::factor(&info, p, PIVOT_TOL).map_err(|column| NewtonSingular {
        column,
        iteration: iterations,
        max_abs_eta: max_abs(&eta),
    })?;
    Ok(NewtonResult {
        beta,
        cov: chol.inverse(),
        loglik: ll,
        iterations,
        converged,
        eta,
        last_step,
    })
}
