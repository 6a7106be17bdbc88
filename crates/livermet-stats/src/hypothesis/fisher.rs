//! Fisher's exact test for a 2x2 table, two-sided as `scipy.stats.fisher_exact`.
//!
//! With the margins fixed, the top-left count X is hypergeometric (Fisher 1935). The two-sided
//! p-value is the total probability of the tables no more likely than the observed one:
//! sum of P(X = x) over x with P(X = x) <= P(X = x_obs) (1 + 1e-14), the relative tolerance
//! scipy uses so that tables equally likely in exact arithmetic are counted despite rounding.

use serde::Serialize;

use crate::StatsError;

/// scipy's relative tolerance when comparing table probabilities.
const RELATIVE_TOLERANCE: f64 = 1e-14;

/// Result of [`fisher_exact`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FisherExact {
    /// Sample odds ratio a d / (b c): infinite when b c = 0 < a d; missing for an empty margin.
    pub odds_ratio: Option<f64>,
    pub p_value: f64,
}

/// Two-sided Fisher's exact test of `[[a, b], [c, d]]`.
///
/// As scipy, a table with an empty row or column gives p = 1 (and no odds ratio).
pub fn fisher_exact(table: [[u64; 2]; 2]) -> Result<FisherExact, StatsError> {
    let [[a, b], [c, d]] = table;
    let (row0, row1, col0) = (a + b, c + d, a + c);
    if row0 == 0 || row1 == 0 || col0 == 0 || b + d == 0 {
        return Ok(FisherExact {
            odds_ratio: None,
            p_value: 1.0,
        });
    }
    let odds_ratio = if b > 0 && c > 0 {
        (a as f64 * d as f64) / (b as f64 * c as f64)
    } else {
        f64::INFINITY
    };
    let lo = col0.saturating_sub(row1);
    let hi = row0.min(col0);
    let probs = hypergeometric_pmf(row0, row1, col0, lo, hi);
    let observed = probs[(a - lo) as usize];
    let threshold = observed * (1.0 + RELATIVE_TOLERANCE);
    let p: f64 = probs.iter().filter(|&&p| p <= threshold).sum();
    Ok(FisherExact {
        odds_ratio: Some(odds_ratio),
        p_value: p.min(1.0),
    })
}

/// P(X = x) for x in lo..=hi, X ~ Hypergeometric(row0 + row1 balls, row0 white, col0 drawn).
///
/// Built from the ratio r(x) = P(x + 1) / P(x) = (row0 - x)(col0 - x) / ((x + 1)(row1 - col0 +
/// x + 1)), walking outwards from the mode with weight 1 there (so weights never exceed 1 and
/// cannot overflow), then normalised: no factorials, and each probability keeps ~1e-15 relative
/// accuracy, so tables equally likely in exact arithmetic stay equal within scipy's tolerance.
fn hypergeometric_pmf(row0: u64, row1: u64, col0: u64, lo: u64, hi: u64) -> Vec<f64> {
    let ratio = |x: u64| {
        (row0 - x) as f64 * (col0 - x) as f64 / ((x + 1) as f64 * (row1 + x + 1 - col0) as f64)
    };
    // The mode of the hypergeometric: floor((col0 + 1)(row0 + 1) / (N + 2)), clamped to support.
    let n = row0 + row1;
    let mode = ((col0 + 1) * (row0 + 1) / (n + 2)).clamp(lo, hi);
    let mut w = vec![0.0; (hi - lo + 1) as usize];
    w[(mode - lo) as usize] = 1.0;
    for x in mode..hi {
        w[(x + 1 - lo) as usize] = w[(x - lo) as usize] * ratio(x);
    }
    for x in (lo..mode).rev() {
        w[(x - lo) as usize] = w[(x + 1 - lo) as usize] / ratio(x);
    }
    let total: f64 = w.iter().sum();
    w.iter().map(|v| v / total).collect()
}
