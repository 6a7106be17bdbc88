//! Mann-Whitney U test (Mann & Whitney 1947), two-sided, as `scipy.stats.mannwhitneyu` with its
//! defaults (`use_continuity=True`, `method="auto"`).
//!
//! U1 = R1 - n1 (n1 + 1) / 2 from midranks (ties get their average rank). scipy's "auto" rule:
//! the exact null distribution when either sample has at most 8 values and there are no ties,
//! otherwise the normal approximation with the tie-corrected variance
//! n1 n2 / 12 ((n + 1) - sum(t^3 - t) / (n (n - 1))) and a continuity correction of 1/2.
//! Two-sided p = 2 P(U >= max(U1, U2)), clipped to 1.

use serde::Serialize;

use super::normal_sf;
use crate::StatsError;

/// How the p-value was computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MannWhitneyMethod {
    Exact,
    Asymptotic,
}

/// Result of [`mann_whitney_u`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MannWhitney {
    /// U of the first sample (scipy's `statistic`).
    pub statistic: f64,
    pub p_value: f64,
    pub method: MannWhitneyMethod,
    /// The standardised statistic, for the asymptotic method.
    pub z: Option<f64>,
}

/// Two-sided Mann-Whitney U test of `a` against `b`.
pub fn mann_whitney_u(a: &[f64], b: &[f64]) -> Result<MannWhitney, StatsError> {
    if a.is_empty() || b.is_empty() {
        return Err(StatsError::InsufficientData(
            "a Mann-Whitney U test needs values in both groups".into(),
        ));
    }
    let (n1, n2) = (a.len(), b.len());
    let (ranks, tie_sizes) = midranks(a.iter().chain(b).copied().collect());
    let r1: f64 = ranks[..n1].iter().sum();
    let u1 = r1 - (n1 * (n1 + 1)) as f64 / 2.0;
    let u2 = (n1 * n2) as f64 - u1;
    let u = u1.max(u2);
    let ties = tie_sizes.iter().any(|&t| t > 1);
    let exact = (n1 <= 8 || n2 <= 8) && !ties;
    let (p, method, z) = if exact {
        let k = (n1 * n2) as f64 - u;
        (
            2.0 * exact_cdf(n1, n2, k.round() as usize),
            MannWhitneyMethod::Exact,
            None,
        )
    } else {
        let z = asymptotic_z(u, n1, n2, &tie_sizes);
        (2.0 * normal_sf(z), MannWhitneyMethod::Asymptotic, Some(z))
    };
    Ok(MannWhitney {
        statistic: u1,
        p_value: p.clamp(0.0, 1.0),
        method,
        z,
    })
}

/// Midranks (1-based, ties averaged) of `values` in their given order, and the size of each tie
/// group (1 for an untied value).
fn midranks(values: Vec<f64>) -> (Vec<f64>, Vec<usize>) {
    let mut order: Vec<usize> = (0..values.len()).collect();
    order.sort_by(|&i, &j| values[i].total_cmp(&values[j]));
    let mut ranks = vec![0.0; values.len()];
    let mut tie_sizes = Vec::new();
    let mut start = 0;
    while start < order.len() {
        let mut end = start + 1;
        while end < order.len() && values[order[end]] == values[order[start]] {
            end += 1;
        }
        // Positions start..end hold ranks start+1..=end; their average is (start + 1 + end) / 2.
        let rank = (start + 1 + end) as f64 / 2.0;
        for &i in &order[start..end] {
            ranks[i] = rank;
        }
        tie_sizes.push(end - start);
        start = end;
    }
    (ranks, tie_sizes)
}

/// z = (U - n1 n2 / 2 - 1/2) / sigma with the tie-corrected sigma (scipy `_get_mwu_z`).
fn asymptotic_z(u: f64, n1: usize, n2: usize, tie_sizes: &[usize]) -> f64 {
    let (n1, n2) = (n1 as f64, n2 as f64);
    let n = n1 + n2;
    let tie_term: f64 = tie_sizes.iter().map(|&t| (t * t * t - t) as f64).sum();
    let sigma = (n1 * n2 / 12.0 * ((n + 1.0) - tie_term / (n * (n - 1.0)))).sqrt();
    let numerator = u - n1 * n2 / 2.0 - 0.5;
    // sigma = 0 (every value tied): numerator is -1/2, z = -inf, p = 1, as scipy.
    numerator / sigma
}

/// P(U <= k) under the null for samples of sizes n1 and n2 without ties.
///
/// c(i, j; u), the number of orderings of i values of one sample and j of the other in which
/// the first beats u pairs, obeys c(i, j; u) = c(i - 1, j; u - j) + c(i, j - 1; u): the largest
/// value belongs to the first sample (beating all j) or to the second (Mann & Whitney 1947,
/// eq. 1; scipy's exact distribution counts the same frequencies). Only additions of positive
/// counts, so the tail keeps full relative accuracy; counts are kept for u <= k only.
fn exact_cdf(n1: usize, n2: usize, k: usize) -> f64 {
    let (m, big) = (n1.min(n2), n1.max(n2));
    let len = k + 1;
    // rows[i] = c(i, j; 0..=k) for the current j, starting at j = 0 where only u = 0 occurs.
    let mut rows = vec![vec![0.0f64; len]; m + 1];
    for row in &mut rows {
        row[0] = 1.0;
    }
    for j in 1..=big {
        for i in 1..=m {
            let (done, rest) = rows.split_at_mut(i);
            let (prev, cur) = (&done[i - 1], &mut rest[0]);
            for u in j..len {
                cur[u] += prev[u - j];
            }
        }
    }
    let below: f64 = rows[m].iter().sum();
    below / binomial(m + big, m)
}

/// The binomial coefficient C(n, k) in floating point: prod (n - k + t) / t.
fn binomial(n: usize, k: usize) -> f64 {
    (1..=k).fold(1.0, |acc, t| acc * (n - k + t) as f64 / t as f64)
}
