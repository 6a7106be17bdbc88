//! The hypothesis tests Table 1 uses, each matching its scipy.stats counterpart (fixtures under
//! `fixtures/stats/table1/`, made by `make_reference.py`).
//!
//! | here | scipy |
//! |---|---|
//! | [`chi_square_independence`] | `chi2_contingency(table, correction=False)` (Yates optional) |
//! | [`fisher_exact`] | `fisher_exact(table)` (two-sided) |
//! | [`fisher_freeman_halton`] | R `fisher.test(table)` of an r x c table (`fixtures/stats/table1/make_fisher_rxc.R`) |
//! | [`student_t_test`], [`welch_t_test`] | `ttest_ind(a, b)`, `ttest_ind(a, b, equal_var=False)` |
//! | [`mann_whitney_u`] | `mannwhitneyu(a, b)` (two-sided, method "auto") |
//! | [`shapiro_wilk`] | `shapiro(x)` |

mod chi_square;
mod fisher;
mod fisher_rxc;
mod mann_whitney;
mod shapiro_wilk;
mod t_test;

pub use chi_square::{ChiSquareTest, chi_square_independence};
pub use fisher::{FisherExact, fisher_exact};
pub use fisher_rxc::{
    DEFAULT_MAX_TABLES, FisherFreemanHalton, fisher_freeman_halton,
    fisher_freeman_halton_with_limit,
};
pub use mann_whitney::{MannWhitney, MannWhitneyMethod, mann_whitney_u};
pub use shapiro_wilk::{ShapiroWilk, shapiro_wilk};
pub use t_test::{TTest, student_t_test, welch_t_test};

use statrs::function::{beta::beta_reg, erf::erfc, gamma::gamma_ur};

/// Upper tail of the chi-square distribution, P(X >= x) = Q(df/2, x/2) (regularised upper
/// incomplete gamma), computed directly so small p-values keep their relative accuracy.
pub fn chi_square_sf(x: f64, df: f64) -> f64 {
    if x <= 0.0 {
        return 1.0;
    }
    gamma_ur(df / 2.0, x / 2.0)
}

/// Upper tail of the standard normal, P(Z >= z) = erfc(z / sqrt 2) / 2.
pub fn normal_sf(z: f64) -> f64 {
    0.5 * erfc(z / std::f64::consts::SQRT_2)
}

/// Two-sided p of Student's t with `df` degrees of freedom: P(|T| >= |t|) = I_{df/(df+t^2)}(df/2,
/// 1/2) (regularised incomplete beta; Abramowitz & Stegun 26.7.1), exact in the far tail.
pub fn t_two_sided_p(t: f64, df: f64) -> f64 {
    if t.is_infinite() {
        return 0.0;
    }
    beta_reg(df / 2.0, 0.5, df / (df + t * t))
}
