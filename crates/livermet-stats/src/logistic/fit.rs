//! Fitting one logistic model and the tests built on refits: dropping each predictor, and the
//! univariable model of each candidate.

use rayon::prelude::*;
use serde::Serialize;

use crate::StatsError;
use crate::hypothesis::{chi_square_sf, normal_sf};
use crate::linalg::Cholesky;

use super::design::{Design, Term, TermKind};
use super::newton::{expit, newton};
use super::separation::{check_divergence, check_rank, check_single_columns, check_two_classes};
use super::{FitOptions, Z_975};

/// One coefficient of a fitted logistic model with its Wald inference.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Coefficient {
    /// `intercept`, a numeric predictor's name, or `term[level]`.
    pub name: String,
    /// Log odds (ratio) `b`.
    pub coef: f64,
    /// `se = sqrt([(X^T W X)^{-1}]_jj)` at the MLE.
    pub se: f64,
    /// Wald `z = b / se`.
    pub z: f64,
    /// Two-sided `p = 2 (1 - Phi(|z|))`.
    pub p: f64,
    /// `b - 1.959964 se`.
    pub ci_low: f64,
    /// `b + 1.959964 se`.
    pub ci_high: f64,
    /// `exp(b)`.
    pub odds_ratio: f64,
    /// `exp(ci_low)`.
    pub or_ci_low: f64,
    /// `exp(ci_high)`.
    pub or_ci_high: f64,
}

/// A chi-square test that all coefficients of one predictor are zero: the likelihood-ratio
/// `2 (l_with - l_without)`, or the joint Wald `chi2 = b^T V^{-1} b` with `V` their covariance
/// block (SPSS's overall Wald of a categorical variable; for one column `chi2 = z^2`);
/// `df` = the predictor's number of columns.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct TermTest {
    /// Wald chi-square.
    pub chi2: f64,
    /// Degrees of freedom.
    pub df: usize,
    /// `P(chi2_df >= chi2)`.
    pub p: f64,
}

/// A fitted logistic regression `logit P(y = 1) = X b` (maximum likelihood by Newton-Raphson).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LogisticFit {
    /// Subjects.
    pub n: usize,
    /// Subjects with `y = 1`.
    pub events: usize,
    /// The predictors in the model (not the intercept).
    pub predictors: Vec<Term>,
    /// `intercept` first, then each predictor's columns.
    pub coefficients: Vec<Coefficient>,
    /// `(X^T W X)^{-1}` at the MLE, rows and columns in `coefficients` order.
    pub covariance: Vec<Vec<f64>>,
    /// `l = sum y log mu + (1 - y) log(1 - mu)`.
    pub log_likelihood: f64,
    /// Intercept-only `l_0 = e log(e / n) + (n - e) log(1 - e / n)`.
    pub null_log_likelihood: f64,
    /// `LR = 2 (l - l_0)`.
    pub lr_chi2: f64,
    /// Its degrees of freedom: the number of non-intercept columns.
    pub lr_df: usize,
    /// `P(chi2_lr_df >= LR)`.
    pub lr_p: f64,
    /// `AIC = -2 l + 2 k` (`k` = all coefficients, intercept included).
    pub aic: f64,
    /// `BIC = -2 l + k ln n` (statsmodels' definition).
    pub bic: f64,
    /// Newton-Raphson stopped because every step component fell below `tolerance`.
    pub converged: bool,
    /// Newton iterations used.
    pub iterations: usize,
    /// The convergence tolerance on the step.
    pub tolerance: f64,
    /// The iteration cap.
    pub max_iterations: usize,
}

impl LogisticFit {
    /// Names of the predictors in the model.
    pub fn predictor_names(&self) -> Vec<String> {
        self.predictors.iter().map(|t| t.name.clone()).collect()
    }

    /// The coefficient called `name`.
    pub fn coefficient(&self, name: &str) -> Option<&Coefficient> {
        self.coefficients.iter().find(|c| c.name == name)
    }

    /// Joint Wald test of predictor `term` (see [`TermTest`]); `None` if it is not in the model.
    pub fn wald_test(&self, term: &str) -> Option<TermTest> {
        let t = self.predictors.iter().find(|t| t.name == term)?;
        let idx: Vec<usize> = t
            .columns
            .iter()
            .map(|c| self.coefficients.iter().position(|k| &k.name == c))
            .collect::<Option<_>>()?;
        let k = idx.len();
        let b: Vec<f64> = idx.iter().map(|&i| self.coefficients[i].coef).collect();
        let v: Vec<f64> = idx
            .iter()
            .flat_map(|&i| idx.iter().map(move |&j| (i, j)))
            .map(|(i, j)| self.covariance[i][j])
            .collect();
        let chol = Cholesky::factor(&v, k, 0.0).ok()?;
        let chi2: f64 = b.iter().zip(chol.solve(&b)).map(|(a, c)| a * c).sum();
        Some(TermTest {
            chi2,
            df: k,
            p: chi_square_sf(chi2, k as f64),
        })
    }

    /// Predicted probabilities `1 / (1 + exp(-X b))` for the subjects of `design`, which must hold
    /// every predictor of the model (categorical ones with the same reference level and no level
    /// the model has not seen).
    pub fn predict(&self, design: &Design) -> Result<Vec<f64>, StatsError> {
        Ok(self
            .linear_predictor(design)?
            .into_iter()
            .map(expit)
            .collect())
    }

    /// The linear predictor `X b` (log odds) for the subjects of `design` (as [`Self::predict`]).
    pub fn linear_predictor(&self, design: &Design) -> Result<Vec<f64>, StatsError> {
        for t in &self.predictors {
            let d = design
                .term_index(&t.name)
                .map(|i| &design.terms()[i])
                .ok_or_else(|| {
                    StatsError::InvalidValue(format!("the data have no predictor `{}`", t.name))
                })?;
            match (&t.kind, &d.kind) {
                (TermKind::Numeric, TermKind::Numeric) => {}
                (
                    TermKind::Categorical { levels, reference },
                    TermKind::Categorical {
                        levels: new_levels,
                        reference: new_ref,
                    },
                ) => {
                    if new_ref != reference {
                        return Err(StatsError::InvalidValue(format!(
                            "`{}` has reference `{new_ref}`, the model was fitted with `{reference}`",
                            t.name
                        )));
                    }
                    if let Some(l) = new_levels.iter().find(|l| !levels.contains(l)) {
                        return Err(StatsError::InvalidValue(format!(
                            "`{}` level `{l}` did not occur when the model was fitted",
                            t.name
                        )));
                    }
                }
                _ => {
                    return Err(StatsError::InvalidValue(format!(
                        "`{}` is numeric in one and categorical in the other",
                        t.name
                    )));
                }
            }
        }
        let mut eta = vec![self.coefficients[0].coef; design.n()];
        for c in &self.coefficients[1..] {
            // A dummy absent from `design` is a level no subject there has: its column is 0.
            if let Some(col) = design.column(&c.name) {
                eta.iter_mut().zip(col).for_each(|(e, v)| *e += c.coef * v);
            }
        }
        Ok(eta)
    }
}

/// Fit the logistic model of `y` on every predictor of `design` (plus the intercept).
pub fn fit_logistic(
    design: &Design,
    y: &[bool],
    opts: &FitOptions,
) -> Result<LogisticFit, StatsError> {
    let all: Vec<usize> = (0..design.terms().len()).collect();
    fit_terms(design, y, &all, opts)
}

/// Fit the logistic model of `y` on the named predictors of `design` (plus the intercept).
pub fn fit_logistic_with(
    design: &Design,
    y: &[bool],
    predictors: &[&str],
    opts: &FitOptions,
) -> Result<LogisticFit, StatsError> {
    let idx = term_indices(design, predictors)?;
    fit_terms(design, y, &idx, opts)
}

pub(crate) fn term_indices(design: &Design, names: &[&str]) -> Result<Vec<usize>, StatsError> {
    names
        .iter()
        .map(|n| {
            design.term_index(n).ok_or_else(|| {
                StatsError::InvalidValue(format!("no predictor `{n}` in the design"))
            })
        })
        .collect()
}

/// Fit on the terms `terms` (indices into `design`). Checks, in order: both outcome classes
/// present, full column rank, no single column separating the outcome; then Newton-Raphson, and
/// a diverging fit is reported as separation.
pub(crate) fn fit_terms(
    design: &Design,
    y: &[bool],
    terms: &[usize],
    opts: &FitOptions,
) -> Result<LogisticFit, StatsError> {
    if y.len() != design.n() {
        return Err(StatsError::LengthMismatch {
            what: "outcome".into(),
            expected: design.n(),
            got: y.len(),
        });
    }
    check_two_classes(y)?;
    let n = y.len();
    let events = y.iter().filter(|&&v| v).count();
    let (x, p) = design.matrix(terms);
    let names = design.column_names(terms);
    check_rank(&x, p, &names)?;
    check_single_columns(&x, p, y, &names)?;
    let rate = events as f64 / n as f64;
    let mut start = vec![0.0; p];
    start[0] = (rate / (1.0 - rate)).ln();
    let res = newton(&x, p, y, None, start, opts).map_err(|s| {
        StatsError::Separation(format!(
            "the information matrix lost rank at `{}` after {} iterations with fitted \
             probabilities reaching 0 or 1 (|logit| up to {:.1}): complete or quasi-complete \
             separation; remove or recode the predictor(s), or use penalised (Firth) regression",
            names[s.column], s.iteration, s.max_abs_eta
        ))
    })?;
    check_divergence(&res, &x, p, &names)?;
    let coefficients = names
        .iter()
        .enumerate()
        .map(|(j, name)| wald_coefficient(name, res.beta[j], res.cov[j * p + j].sqrt()))
        .collect();
    let null_ll = events as f64 * rate.ln() + (n - events) as f64 * (1.0 - rate).ln();
    let lr_chi2 = 2.0 * (res.loglik - null_ll);
    let k = p as f64;
    Ok(LogisticFit {
        n,
        events,
        predictors: terms.iter().map(|&t| design.terms()[t].clone()).collect(),
        coefficients,
        covariance: res.cov.chunks_exact(p).map(<[f64]>::to_vec).collect(),
        log_likelihood: res.loglik,
        null_log_likelihood: null_ll,
        lr_chi2,
        lr_df: p - 1,
        lr_p: if p > 1 {
            chi_square_sf(lr_chi2, (p - 1) as f64)
        } else {
            1.0
        },
        aic: -2.0 * res.loglik + 2.0 * k,
        bic: -2.0 * res.loglik + k * (n as f64).ln(),
        converged: res.converged,
        iterations: res.iterations,
        tolerance: opts.tolerance,
        max_iterations: opts.max_iterations,
    })
}

/// Wald inference for one coefficient `b` with standard error `se`.
pub(crate) fn wald_coefficient(name: &str, b: f64, se: f64) -> Coefficient {
    let z = b / se;
    let (lo, hi) = (b - Z_975 * se, b + Z_975 * se);
    Coefficient {
        name: name.to_string(),
        coef: b,
        se,
        z,
        p: 2.0 * normal_sf(z.abs()),
        ci_low: lo,
        ci_high: hi,
        odds_ratio: b.exp(),
        or_ci_low: lo.exp(),
        or_ci_high: hi.exp(),
    }
}

/// The likelihood-ratio test for dropping one predictor from a model.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DropTest {
    /// The predictor dropped.
    pub name: String,
    /// `2 (l_full - l_without)`.
    pub chi2: f64,
    /// The predictor's number of columns.
    pub df: usize,
    /// `P(chi2_df >= chi2)`.
    pub p: f64,
}

/// For each predictor of `fit`, refit without it (same subjects) and test the change:
/// `chi2 = 2 (l_full - l_reduced)` on as many df as the predictor has columns.
pub fn drop_tests(
    design: &Design,
    y: &[bool],
    fit: &LogisticFit,
    opts: &FitOptions,
) -> Result<Vec<DropTest>, StatsError> {
    let names = fit.predictor_names();
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    let idx = term_indices(design, &refs)?;
    // The refits are independent: run them in parallel (results in predictor order).
    idx.par_iter()
        .map(|&t| {
            let rest: Vec<usize> = idx.iter().copied().filter(|&u| u != t).collect();
            let reduced = fit_terms(design, y, &rest, opts)?;
            let chi2 = (2.0 * (fit.log_likelihood - reduced.log_likelihood)).max(0.0);
            let df = design.terms()[t].columns.len();
            Ok(DropTest {
                name: design.terms()[t].name.clone(),
                chi2,
                df,
                p: chi_square_sf(chi2, df as f64),
            })
        })
        .collect()
}

/// A candidate's univariable (one-predictor) logistic model and its two tests against the null.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UnivariableFit {
    /// The candidate.
    pub name: String,
    /// Its model `logit P = b0 + b x`.
    pub fit: LogisticFit,
    /// LR test against the intercept-only model (`fit.lr_chi2`, `fit.lr_p`).
    pub lr: TermTest,
    /// Joint Wald test of the candidate's coefficient(s).
    pub wald: TermTest,
}

/// The univariable model of every predictor of `design`, in order.
pub fn univariable_fits(
    design: &Design,
    y: &[bool],
    opts: &FitOptions,
) -> Result<Vec<UnivariableFit>, StatsError> {
    (0..design.terms().len())
        .map(|t| {
            let fit = fit_terms(design, y, &[t], opts)?;
            let name = design.terms()[t].name.clone();
            let wald = fit.wald_test(&name).ok_or_else(|| {
                StatsError::Singular(format!("covariance of `{name}` is not positive definite"))
            })?;
            let lr = TermTest {
                chi2: fit.lr_chi2,
                df: fit.lr_df,
                p: fit.lr_p,
            };
            Ok(UnivariableFit {
                name,
                fit,
                lr,
                wald,
            })
        })
        .collect()
}
