//! Exact Shapley values of a cooperative game with few players (Shapley 1953): player i gets
//! `phi_i = sum over S not containing i of |S|! (n - |S| - 1)! / n! * (v(S + i) - v(S))`,
//! every one of the 2^n coalitions evaluated once, no sampling. Efficiency holds by
//! construction: `sum_i phi_i = v(all) - v(none)`.
//!
//! livermet uses it for the Combined model's attribution (docs/DESIGN.md "Explaining one
//! patient"): players {clinical values, images}, or the five clinical features.

use crate::StatsError;

/// The most players [`exact`] takes (2^12 coalitions).
pub const MAX_PLAYERS: usize = 12;

/// The Shapley value of each of `n` players for the game `value`, called once per coalition
/// with the coalition's members as a bit mask (bit i = player i).
pub fn exact(n: usize, value: impl Fn(u32) -> f64) -> Result<Vec<f64>, StatsError> {
    if n > MAX_PLAYERS {
        return Err(StatsError::InvalidValue(format!(
            "exact Shapley values of {n} players need 2^{n} coalitions; at most {MAX_PLAYERS} players"
        )));
    }
    let v: Vec<f64> = (0..1u32 << n).map(&value).collect();
    let factorial = |k: usize| (1..=k).map(|i| i as f64).product::<f64>();
    // weight[s] = s! (n - s - 1)! / n! for a coalition of s players joined by one more.
    let weight: Vec<f64> = (0..n)
        .map(|s| factorial(s) * factorial(n - s - 1) / factorial(n))
        .collect();
    Ok((0..n)
        .map(|i| {
            let bit = 1u32 << i;
            (0..1u32 << n)
                .filter(|s| s & bit == 0)
                .map(|s| weight[s.count_ones() as usize] * (v[(s | bit) as usize] - v[s as usize]))
                .sum()
        })
        .collect())
}
