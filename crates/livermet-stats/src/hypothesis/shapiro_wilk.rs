//! Shapiro-Wilk W test of normality by Royston's algorithm AS R94 (Royston 1995, Applied
//! Statistics 44:547-551; coefficients and p-value approximation from Royston 1992), following
//! scipy's double-precision translation (`scipy.stats.shapiro`, `_ansari_swilk_statistics.pyx`)
//! line by line so W and p agree with scipy to rounding. Valid for 3 <= n <= 5000.

use serde::Serialize;

use crate::StatsError;

/// Result of [`shapiro_wilk`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ShapiroWilk {
    pub statistic: f64,
    pub p_value: f64,
}

// Royston's polynomial coefficients, constant term first (see `poly`).
const C1: [f64; 6] = [0.0, 0.221157, -0.147981, -2.071190, 4.434685, -2.706056];
const C2: [f64; 6] = [0.0, 0.042981, -0.293762, -1.752461, 5.682633, -3.582633];
const C3: [f64; 4] = [0.5440, -0.39978, 0.025054, -0.0006714];
const C4: [f64; 4] = [1.3822, -0.77857, 0.062767, -0.0020322];
const C5: [f64; 4] = [-1.5861, -0.31082, -0.083751, 0.0038915];
const C6: [f64; 3] = [-0.4803, -0.082676, 0.0030302];
const G: [f64; 2] = [-2.273, 0.459];
/// AS R94's "small": p reported for W beyond the n <= 11 approximation's range, and the least
/// range it accepts.
const SMALL: f64 = 1e-19;

/// Shapiro-Wilk W and its p-value for `data` (any order).
///
/// Errors: n < 3 or n > 5000 (outside the algorithm's range), or all values identical (zero
/// range: W is undefined; scipy returns W = p = 1 with a warning instead).
pub fn shapiro_wilk(data: &[f64]) -> Result<ShapiroWilk, StatsError> {
    let n = data.len();
    if !(3..=5000).contains(&n) {
        return Err(StatsError::InsufficientData(format!(
            "Shapiro-Wilk needs 3 to 5000 values, got {n}"
        )));
    }
    // scipy sorts, then subtracts x[n / 2] of the unsorted input to keep the sums small.
    let centre = data[n / 2];
    let mut x: Vec<f64> = data.iter().map(|v| v - centre).collect();
    x.sort_by(f64::total_cmp);
    let range = x[n - 1] - x[0];
    if range < SMALL {
        return Err(StatsError::InvalidValue(
            "all values are identical: Shapiro-Wilk W is undefined".into(),
        ));
    }
    let a = coefficients(n);
    let w1 = one_minus_w(&x, &a, range);
    let w = 1.0 - w1;
    if n == 3 && w < 0.75 {
        // W >= 3/4 in theory for n = 3; scipy clamps rounding below it to W = 3/4, p = 0.
        return Ok(ShapiroWilk {
            statistic: 0.75,
            p_value: 0.0,
        });
    }
    Ok(ShapiroWilk {
        statistic: w,
        p_value: p_value(w, w1, n),
    })
}

/// The half-vector of W's coefficients a_1..a_{n/2} (signs as AS R94 keeps them: a_1 > 0 and
/// the rest negative), from Blom's normal scores m_i = Phi^-1((i - 3/8) / (n + 1/4)) with
/// Royston's polynomial corrections of the two extreme coefficients.
fn coefficients(n: usize) -> Vec<f64> {
    let nn2 = n / 2;
    let mut a = vec![0.0; nn2];
    if n == 3 {
        a[0] = std::f64::consts::SQRT_2 / 2.0;
        return a;
    }
    let an = n as f64;
    let an25 = an + 0.25;
    let mut summ2 = 0.0;
    for (i, ai) in a.iter_mut().enumerate() {
        *ai = ppnd((i as f64 + 1.0 - 0.375) / an25);
        summ2 += *ai * *ai;
    }
    summ2 *= 2.0;
    let ssumm2 = summ2.sqrt();
    let rsn = 1.0 / an.sqrt();
    let a1 = poly(&C1, rsn) - a[0] / ssumm2;
    let (first_scaled, fac) = if n > 5 {
        let a2 = -a[1] / ssumm2 + poly(&C2, rsn);
        let fac = ((summ2 - 2.0 * a[0] * a[0] - 2.0 * a[1] * a[1])
            / (1.0 - 2.0 * a1 * a1 - 2.0 * a2 * a2))
            .sqrt();
        a[1] = a2;
        (2, fac)
    } else {
        (
            1,
            ((summ2 - 2.0 * a[0] * a[0]) / (1.0 - 2.0 * a1 * a1)).sqrt(),
        )
    };
    a[0] = a1;
    for ai in &mut a[first_scaled..] {
        *ai *= -1.0 / fac;
    }
    a
}

/// 1 - W as AS R94 computes it: W is the squared correlation between the sorted data (scaled
/// by the range) and the full antisymmetric coefficient vector; 1 - W = (SSA SSX - SAX^2) /
/// (SSA SSX) is kept unrounded because the p-value works on log(1 - W).
fn one_minus_w(x: &[f64], a: &[f64], range: f64) -> f64 {
    let n = x.len();
    // Full coefficient for position i: -a[i] in the lower half, +a[n-1-i] in the upper half,
    // 0 at the middle of an odd sample.
    let coef = |i: usize| {
        let mirror = n - 1 - i;
        match i.cmp(&mirror) {
            std::cmp::Ordering::Less => -a[i],
            std::cmp::Ordering::Greater => a[mirror],
            std::cmp::Ordering::Equal => 0.0,
        }
    };
    let nf = n as f64;
    let sa = (0..n).map(coef).sum::<f64>() / nf;
    let sx = x.iter().map(|v| v / range).sum::<f64>() / nf;
    let (mut ssa, mut ssx, mut sax) = (0.0, 0.0, 0.0);
    for (i, xi) in x.iter().enumerate() {
        let asa = coef(i) - sa;
        let xsx = xi / range - sx;
        ssa += asa * asa;
        ssx += xsx * xsx;
        sax += asa * xsx;
    }
    let ssassx = (ssa * ssx).sqrt();
    (ssassx - sax) * (ssassx + sax) / (ssa * ssx)
}

/// p-value of W (Royston 1992): exact for n = 3; for 4 <= n <= 11 a normal approximation of
/// -log(gamma - log(1 - W)); for n >= 12 a normal approximation of log(1 - W).
fn p_value(w: f64, w1: f64, n: usize) -> f64 {
    if n == 3 {
        // P(W <= w) = 1 - (6 / pi) acos(sqrt(w)) for W >= 3/4.
        return 1.0 - 6.0 / std::f64::consts::PI * w.sqrt().acos();
    }
    let an = n as f64;
    let mut y = w1.ln();
    let (m, s) = if n <= 11 {
        let gamma = poly(&G, an);
        if y >= gamma {
            return SMALL;
        }
        y = -(gamma - y).ln();
        (poly(&C3, an), poly(&C4, an).exp())
    } else {
        let xx = an.ln();
        (poly(&C5, xx), poly(&C6, xx).exp())
    };
    alnorm_upper((y - m) / s)
}

/// c[0] + c[1] x + ... + c[k] x^k by Horner's rule, AS 181's POLY with the operation order of
/// scipy's `_poly` (so rounding matches).
fn poly(c: &[f64], x: f64) -> f64 {
    let nord = c.len();
    let mut res = c[0];
    if nord == 1 {
        return res;
    }
    let mut p = x * c[nord - 1];
    if nord == 2 {
        return res + p;
    }
    for ind in (1..=nord - 2).rev() {
        p = (p + c[ind]) * x;
    }
    res += p;
    res
}

/// Upper normal tail by Hill's algorithm AS 66 (Hill 1973), as AS R94 and scipy use it (with the
/// 2001 extension of the upper cut-off to 38).
fn alnorm_upper(x: f64) -> f64 {
    const LTONE: f64 = 7.0;
    const UTZERO: f64 = 38.0;
    const CON: f64 = 1.28;
    let mut upper = true;
    let mut z = x;
    // Written as in AS 66 so that a NaN argument takes the lower branch, as scipy's does.
    if z.partial_cmp(&0.0) != Some(std::cmp::Ordering::Greater) {
        upper = false;
        z = -z;
    }
    if !(z <= LTONE || (upper && z <= UTZERO)) {
        return if upper { 0.0 } else { 1.0 };
    }
    let y = 0.5 * z * z;
    let temp = if z <= CON {
        0.5 - z
            * (0.398942280444
                - 0.399903438504 * y
                    / (y + 5.75885480458
                        - 29.8213557808
                            / (y + 2.62433121679 + 48.6959930692 / (y + 5.92885724438))))
    } else {
        0.398942280385 * (-y).exp()
            / (z - 3.8052e-8
                + 1.00000615302
                    / (z + 3.98064794e-4
                        + 1.98615381364
                            / (z - 0.151679116635
                                + 5.29330324926
                                    / (z + 4.8385912808
                                        - 15.1508972451
                                            / (z + 0.742380924027
                                                + 30.789933034 / (z + 3.99019417011))))))
    };
    if upper { temp } else { 1.0 - temp }
}

/// Normal quantile by Beasley & Springer's AS 111 (accurate to ~1e-7), the routine AS R94 uses
/// for the normal scores; kept (rather than an exact quantile) so the coefficients match scipy.
fn ppnd(p: f64) -> f64 {
    let q = p - 0.5;
    if q.abs() <= 0.42 {
        let r = q * q;
        let num =
            q * (((-25.44106049637 * r + 41.39119773534) * r - 18.61500062529) * r + 2.50662823884);
        let den = (((3.13082909833 * r - 21.06224101826) * r + 23.08336743743) * r - 8.47351093090)
            * r
            + 1.0;
        return num / den;
    }
    let mut r = if q > 0.0 { 1.0 - p } else { p };
    if r <= 0.0 {
        return 0.0;
    }
    r = (-r.ln()).sqrt();
    let num = ((2.32121276858 * r + 4.85014127135) * r - 2.29796479134) * r - 2.78718931138;
    let den = (1.63706781897 * r + 3.54388924762) * r + 1.0;
    let t = num / den;
    if q < 0.0 { -t } else { t }
}
