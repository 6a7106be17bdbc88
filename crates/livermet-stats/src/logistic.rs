//! Logistic regression as SPSS's `LOGISTIC REGRESSION` computes it (and statsmodels' `Logit`,
//! against which `fixtures/stats/logistic/` checks it): maximum likelihood by Newton-Raphson,
//! Wald inference, likelihood-ratio tests, and refusal of separated data.
//!
//! Model: `logit P(y_i = 1) = x_i^T b`, log-likelihood `l(b) = sum y_i log mu_i + (1 - y_i)
//! log(1 - mu_i)`, `mu_i = 1 / (1 + exp(-x_i^T b))`; `Var(b) = (X^T W X)^{-1}` at the MLE with
//! `W = diag(mu_i (1 - mu_i))`.

mod design;
mod fit;
mod newton;
mod separation;

pub use design::{Design, Term, TermKind};
pub use fit::{
    Coefficient, DropTest, LogisticFit, TermTest, UnivariableFit, drop_tests, fit_logistic,
    fit_logistic_with, univariable_fits,
};

pub(crate) use fit::{fit_terms, term_indices, wald_coefficient};
pub(crate) use newton::newton;

/// `Phi^{-1}(0.975)`, the normal quantile of a two-sided 95% interval (scipy's `norm.ppf(0.975)`).
pub const Z_975: f64 = 1.959_963_984_540_054;

/// Settings of the Newton-Raphson fit.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FitOptions {
    /// Converged when every component of a Newton step is below this (statsmodels: 1e-8).
    pub tolerance: f64,
    /// Iteration cap; a fit that reaches it unconverged is reported with `converged = false`,
    /// or as separation when its fitted probabilities reach 0 or 1.
    pub max_iterations: usize,
}

impl Default for FitOptions {
    /// `tolerance = 1e-8`, `max_iterations = 50`.
    fn default() -> Self {
        Self {
            tolerance: 1e-8,
            max_iterations: 50,
        }
    }
}
