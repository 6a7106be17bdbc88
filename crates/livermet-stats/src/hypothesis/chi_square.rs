//! Pearson's chi-square test of independence for an r x c contingency table.
//!
//! X^2 = sum (O - E)^2 / E with E_ij = row_i col_j / n, df = (r - 1)(c - 1) (Pearson 1900).
//! Uncorrected by default: that is SPSS's "Pearson Chi-Square" row and scipy's
//! `chi2_contingency(..., correction=False)`. scipy's default `correction=True` applies Yates's
//! continuity correction when df = 1; [`chi_square_independence`] does so only when asked.

use serde::Serialize;

use super::chi_square_sf;
use crate::StatsError;

/// Result of [`chi_square_independence`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChiSquareTest {
    pub statistic: f64,
    pub df: usize,
    pub p_value: f64,
    /// Expected counts under independence, same shape as the table.
    pub expected: Vec<Vec<f64>>,
    /// The smallest expected count (Cochran's rule looks at expected counts below 5).
    pub min_expected: f64,
    /// Whether Yates's continuity correction was applied (asked for and df = 1).
    pub yates: bool,
}

/// Pearson chi-square test of independence on `table` (rows x columns of counts).
///
/// With `yates`, a 2x2 table (df = 1) has each |O - E| reduced by up to 1/2, exactly as scipy:
/// `O + sign(E - O) * min(1/2, |E - O|)`. A row or column summing to zero leaves an expected
/// count of zero and the test undefined: an error (scipy raises too).
pub fn chi_square_independence(
    table: &[Vec<u64>],
    yates: bool,
) -> Result<ChiSquareTest, StatsError> {
    let (rows, cols) = shape(table)?;
    let row_sums: Vec<f64> = table.iter().map(|r| r.iter().sum::<u64>() as f64).collect();
    let col_sums: Vec<f64> = (0..cols)
        .map(|j| table.iter().map(|r| r[j]).sum::<u64>() as f64)
        .collect();
    if row_sums.iter().chain(&col_sums).any(|&s| s == 0.0) {
        return Err(StatsError::InsufficientData(
            "a row or column of the contingency table is empty (expected count 0)".into(),
        ));
    }
    let n: f64 = row_sums.iter().sum();
    let expected: Vec<Vec<f64>> = row_sums
        .iter()
        .map(|r| col_sums.iter().map(|c| r * c / n).collect())
        .collect();
    let df = (rows - 1) * (cols - 1);
    let correct = yates && df == 1;
    let mut statistic = 0.0;
    for (obs_row, exp_row) in table.iter().zip(&expected) {
        for (&o, &e) in obs_row.iter().zip(exp_row) {
            let o = if correct {
                yates_adjusted(o as f64, e)
            } else {
                o as f64
            };
            statistic += (o - e) * (o - e) / e;
        }
    }
    let min_expected = expected
        .iter()
        .flatten()
        .copied()
        .fold(f64::INFINITY, f64::min);
    let p_value = chi_square_sf(statistic, df as f64);
    Ok(ChiSquareTest {
        statistic,
        df,
        p_value,
        expected,
        min_expected,
        yates: correct,
    })
}

/// Yates's correction as scipy applies it: move O towards E by at most 1/2.
fn yates_adjusted(o: f64, e: f64) -> f64 {
    let diff = e - o;
    if diff == 0.0 {
        o
    } else {
        o + diff.signum() * diff.abs().min(0.5)
    }
}

/// Rows and columns of a rectangular table with at least 2 of each.
fn shape(table: &[Vec<u64>]) -> Result<(usize, usize), StatsError> {
    let rows = table.len();
    let cols = table.first().map_or(0, Vec::len);
    if let Some(bad) = table.iter().find(|r| r.len() != cols) {
        return Err(StatsError::LengthMismatch {
            what: "contingency table row".into(),
            expected: cols,
            got: bad.len(),
        });
    }
    if rows < 2 || cols < 2 {
        return Err(StatsError::InsufficientData(format!(
            "a chi-square test needs at least a 2x2 table, got {rows}x{cols}"
        )));
    }
    Ok((rows, cols))
}
