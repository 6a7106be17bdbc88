//! Two-sample t-tests: Student's (pooled variance) and Welch's (unequal variances).
//!
//! Student (1908): t = (m1 - m2) / sqrt(s_p^2 (1/n1 + 1/n2)), s_p^2 = (SS1 + SS2) / (n1 + n2 - 2),
//! df = n1 + n2 - 2. Welch (1947): t = (m1 - m2) / sqrt(v1/n1 + v2/n2) with the
//! Welch-Satterthwaite df. Two-sided p from the t distribution, as `scipy.stats.ttest_ind`.

use serde::Serialize;

use super::t_two_sided_p;
use crate::StatsError;
use crate::describe::{mean, sum_of_squares};

/// Result of a two-sample t-test.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TTest {
    /// t for `a` minus `b`.
    pub statistic: f64,
    pub df: f64,
    pub p_value: f64,
}

/// Student's t-test assuming equal variances (scipy `ttest_ind(a, b)`).
///
/// Needs n1 + n2 >= 3. A group of one contributes no spread (SS = 0) to the pooled variance:
/// well defined, though scipy returns NaN there (its per-group variance is NaN for n = 1).
pub fn student_t_test(a: &[f64], b: &[f64]) -> Result<TTest, StatsError> {
    let (ma, mb) = group_means(a, b)?;
    let (na, nb) = (a.len() as f64, b.len() as f64);
    if a.len() + b.len() < 3 {
        return Err(StatsError::InsufficientData(
            "Student's t-test needs at least 3 values in all".into(),
        ));
    }
    let df = na + nb - 2.0;
    let ss = sum_of_squares(a).unwrap_or(0.0) + sum_of_squares(b).unwrap_or(0.0);
    let pooled = ss / df;
    let se = (pooled * (1.0 / na + 1.0 / nb)).sqrt();
    finish(ma - mb, se, df)
}

/// Welch's t-test for unequal variances (scipy `ttest_ind(a, b, equal_var=False)`).
pub fn welch_t_test(a: &[f64], b: &[f64]) -> Result<TTest, StatsError> {
    let (ma, mb) = group_means(a, b)?;
    if a.len() < 2 || b.len() < 2 {
        return Err(StatsError::InsufficientData(
            "Welch's t-test needs at least 2 values in each group".into(),
        ));
    }
    let (na, nb) = (a.len() as f64, b.len() as f64);
    let va = sum_of_squares(a).unwrap_or(0.0) / (na - 1.0) / na;
    let vb = sum_of_squares(b).unwrap_or(0.0) / (nb - 1.0) / nb;
    // Welch-Satterthwaite degrees of freedom.
    let df = (va + vb).powi(2) / (va * va / (na - 1.0) + vb * vb / (nb - 1.0));
    finish(ma - mb, (va + vb).sqrt(), df)
}

fn group_means(a: &[f64], b: &[f64]) -> Result<(f64, f64), StatsError> {
    match (mean(a), mean(b)) {
        (Some(ma), Some(mb)) => Ok((ma, mb)),
        _ => Err(StatsError::InsufficientData(
            "a t-test needs values in both groups".into(),
        )),
    }
}

/// t = diff / se; both groups constant (se = 0) leaves t undefined unless the means differ.
fn finish(diff: f64, se: f64, df: f64) -> Result<TTest, StatsError> {
    if se == 0.0 && diff == 0.0 {
        return Err(StatsError::InvalidValue(
            "t undefined: both groups are constant and equal".into(),
        ));
    }
    let statistic = diff / se;
    Ok(TTest {
        statistic,
        df,
        p_value: t_two_sided_p(statistic, df),
    })
}
