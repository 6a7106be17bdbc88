//! Descriptive statistics for Table 1: n (%), mean ± SD, median (IQR).
//!
//! Quantiles use numpy's default ("linear", Hyndman & Fan 1996 type 7): the value at the virtual
//! index h = (n - 1) q, interpolated linearly between the order statistics around it. SPSS's
//! EXAMINE procedure defaults to the weighted average at (n + 1) q (type 6), so its quartiles,
//! and hence its IQR, differ from these on small samples; the median is the same in both.

use serde::Serialize;

/// Arithmetic mean; `None` for an empty sample.
pub fn mean(values: &[f64]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    Some(values.iter().sum::<f64>() / values.len() as f64)
}

/// Sum of squared deviations from the mean (0 for one value); `None` for an empty sample.
pub fn sum_of_squares(values: &[f64]) -> Option<f64> {
    let m = mean(values)?;
    Some(values.iter().map(|v| (v - m) * (v - m)).sum())
}

/// Sample variance (denominator n - 1, numpy `ddof=1`); `None` below two values.
pub fn sample_variance(values: &[f64]) -> Option<f64> {
    if values.len() < 2 {
        return None;
    }
    Some(sum_of_squares(values)? / (values.len() - 1) as f64)
}

/// Sample standard deviation (denominator n - 1, as SPSS and numpy `ddof=1`); `None` below two.
pub fn sample_sd(values: &[f64]) -> Option<f64> {
    sample_variance(values).map(f64::sqrt)
}

/// Quantile `q` in [0, 1] of an ascending-sorted sample, numpy's default linear method.
///
/// The interpolation mirrors numpy's `_lerp` (which interpolates from the upper neighbour when
/// the fraction is >= 0.5) so results agree with `np.quantile` to the last bit in most cases.
pub fn quantile_sorted(sorted: &[f64], q: f64) -> Option<f64> {
    if sorted.is_empty() || !(0.0..=1.0).contains(&q) {
        return None;
    }
    let h = (sorted.len() - 1) as f64 * q;
    let lo = h.floor() as usize;
    let hi = (lo + 1).min(sorted.len() - 1);
    let t = h - lo as f64;
    let (a, b) = (sorted[lo], sorted[hi]);
    let diff = b - a;
    Some(if t >= 0.5 {
        b - diff * (1.0 - t)
    } else {
        a + diff * t
    })
}

/// Median of an ascending-sorted sample (mean of the two middle values for even n, as numpy).
pub fn median_sorted(sorted: &[f64]) -> Option<f64> {
    let n = sorted.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(sorted[n / 2]),
        _ => Some((sorted[n / 2 - 1] + sorted[n / 2]) / 2.0),
    }
}

/// A copy of `values` sorted ascending (values must be finite).
pub fn sorted(values: &[f64]) -> Vec<f64> {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    v
}

/// The continuous summaries Table 1 can show for one sample.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Continuous {
    /// Non-missing values.
    pub n: usize,
    pub mean: Option<f64>,
    /// Sample SD (n - 1); missing below two values.
    pub sd: Option<f64>,
    pub median: Option<f64>,
    /// First quartile (numpy linear).
    pub q1: Option<f64>,
    /// Third quartile (numpy linear).
    pub q3: Option<f64>,
    pub min: Option<f64>,
    pub max: Option<f64>,
}

impl Continuous {
    /// Summarise one sample.
    pub fn of(values: &[f64]) -> Self {
        let s = sorted(values);
        Self {
            n: s.len(),
            mean: mean(&s),
            sd: sample_sd(&s),
            median: median_sorted(&s),
            q1: quantile_sorted(&s, 0.25),
            q3: quantile_sorted(&s, 0.75),
            min: s.first().copied(),
            max: s.last().copied(),
        }
    }

    /// Interquartile range q3 - q1.
    pub fn iqr(&self) -> Option<f64> {
        Some(self.q3? - self.q1?)
    }
}

/// One level of a categorical variable: its count and percentage of the column's non-missing n.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LevelCount {
    pub level: String,
    pub n: usize,
    /// 100 n / column total; missing when the column has no values.
    pub percent: Option<f64>,
}

/// Counts and column percentages of `levels` among `values`.
pub fn level_counts(values: &[&str], levels: &[String]) -> Vec<LevelCount> {
    let total = values.len();
    levels
        .iter()
        .map(|level| {
            let n = values.iter().filter(|v| **v == level.as_str()).count();
            let percent = (total > 0).then(|| 100.0 * n as f64 / total as f64);
            LevelCount {
                level: level.clone(),
                n,
                percent,
            }
        })
        .collect()
}

/// Midranks (1-based; tied values share the mean of their ranks), as R's `rank()` and scipy's
/// `rankdata` with the default "average" method.
pub fn midranks(values: &[f64]) -> Vec<f64> {
    let mut order: Vec<usize> = (0..values.len()).collect();
    order.sort_unstable_by(|&a, &b| values[a].total_cmp(&values[b]));
    let mut ranks = vec![0.0; values.len()];
    let mut start = 0;
    while start < order.len() {
        let mut end = start + 1;
        while end < order.len() && values[order[end]] == values[order[start]] {
            end += 1;
        }
        let midrank = (start + end + 1) as f64 / 2.0;
        for &i in &order[start..end] {
            ranks[i] = midrank;
        }
        start = end;
    }
    ranks
}

/// Pearson's correlation; `None` for fewer than two pairs, different lengths or a constant.
pub fn pearson(x: &[f64], y: &[f64]) -> Option<f64> {
    if x.len() != y.len() || x.len() < 2 {
        return None;
    }
    let (mx, my) = (mean(x)?, mean(y)?);
    let sxy: f64 = x.iter().zip(y).map(|(a, b)| (a - mx) * (b - my)).sum();
    let (sxx, syy) = (sum_of_squares(x)?, sum_of_squares(y)?);
    (sxx > 0.0 && syy > 0.0).then(|| sxy / (sxx * syy).sqrt())
}

/// Spearman's rank correlation: Pearson's correlation of the midranks (R's
/// `cor(method = "spearman")`, scipy's `spearmanr`); `None` as [`pearson`].
pub fn spearman(x: &[f64], y: &[f64]) -> Option<f64> {
    pearson(&midranks(x), &midranks(y))
}
