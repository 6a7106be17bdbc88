//! Seeded random streams and the few distributions the synthetic cohort needs.
//!
//! Every patient gets its own ChaCha8 stream derived from `(seed, centre, index, purpose)`, so a
//! cohort is identical whatever the number of threads and whichever patients are drawn first.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// What a stream is used for; separate streams keep `--clinical-only` and a full run drawing the
/// same clinical values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// The order of the classes within a centre (one stream per centre).
    ClassOrder = 0,
    /// A patient's clinical values and latent imaging score.
    Clinical = 1,
    /// A patient's anatomy, tumour, transforms and noise.
    Images = 2,
    /// An SLM patient's largest liver metastasis (`lesion_size_cm`): a stream of its own, added
    /// after the others, so that every value drawn before it stays bit for bit what it was.
    LesionSize = 3,
}

/// The stream for `(seed, centre, index, purpose)`: ChaCha8 keyed by the seed, with a stream
/// number packing centre (8 bits), purpose (8 bits) and patient index (48 bits).
pub fn stream(seed: u64, centre: u8, index: u64, purpose: Purpose) -> ChaCha8Rng {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(((centre as u64) << 56) | ((purpose as u64) << 48) | (index & 0xFFFF_FFFF_FFFF));
    rng
}

/// A standard normal deviate (Box-Muller; one of the pair is discarded to keep streams simple).
pub fn standard_normal<R: Rng + ?Sized>(rng: &mut R) -> f64 {
    // 1 - u in (0, 1] so the log is finite.
    let u1: f64 = 1.0 - rng.random::<f64>();
    let u2: f64 = rng.random::<f64>();
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

/// Two independent standard normal deviates (both of Box-Muller's pair).
pub fn standard_normal_pair<R: Rng + ?Sized>(rng: &mut R) -> (f64, f64) {
    let u1: f64 = 1.0 - rng.random::<f64>();
    let u2: f64 = rng.random::<f64>();
    let r = (-2.0 * u1.ln()).sqrt();
    let (s, c) = (std::f64::consts::TAU * u2).sin_cos();
    (r * c, r * s)
}

/// A normal deviate with the given mean and standard deviation.
pub fn normal<R: Rng + ?Sized>(rng: &mut R, mean: f64, sd: f64) -> f64 {
    mean + sd * standard_normal(rng)
}

/// A log-normal deviate with the given median and log-scale sigma, truncated to `[lo, hi)` by
/// rejection (the callers' windows hold at least a few percent of the mass; after 10,000
/// rejections the value is clamped so the draw always ends).
pub fn lognormal_truncated<R: Rng + ?Sized>(
    rng: &mut R,
    median: f64,
    sigma: f64,
    lo: f64,
    hi: f64,
) -> f64 {
    let mu = median.ln();
    for _ in 0..10_000 {
        let v = (mu + sigma * standard_normal(rng)).exp();
        if v >= lo && v < hi {
            return v;
        }
    }
    median.clamp(lo, hi)
}

/// The log-scale sigma of a log-normal whose interquartile range is `iqr` around `median`:
/// Q3 - Q1 = median * (e^{z sigma} - e^{-z sigma}) = 2 median sinh(z sigma), z = 0.6745.
pub fn lognormal_sigma_from_iqr(median: f64, iqr: f64) -> f64 {
    const Z75: f64 = 0.674_489_750_196_081_7;
    (iqr / (2.0 * median)).asinh() / Z75
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_differ_by_every_key_and_repeat_for_the_same_key() {
        let a: u64 = stream(7, 0, 3, Purpose::Clinical).random();
        assert_eq!(a, stream(7, 0, 3, Purpose::Clinical).random::<u64>());
        assert_ne!(a, stream(8, 0, 3, Purpose::Clinical).random::<u64>());
        assert_ne!(a, stream(7, 1, 3, Purpose::Clinical).random::<u64>());
        assert_ne!(a, stream(7, 0, 4, Purpose::Clinical).random::<u64>());
        assert_ne!(a, stream(7, 0, 3, Purpose::Images).random::<u64>());
    }

    #[test]
    fn normal_has_unit_variance() {
        let mut rng = stream(1, 0, 0, Purpose::Clinical);
        let xs: Vec<f64> = (0..50_000).map(|_| standard_normal(&mut rng)).collect();
        let m = xs.iter().sum::<f64>() / xs.len() as f64;
        let v = xs.iter().map(|x| (x - m).powi(2)).sum::<f64>() / xs.len() as f64;
        assert!(m.abs() < 0.02, "mean {m}");
        assert!((v - 1.0).abs() < 0.03, "variance {v}");
    }

    #[test]
    fn sigma_from_iqr_reproduces_the_iqr() {
        let s = lognormal_sigma_from_iqr(6.35, 5.0);
        let z = 0.674_489_750_196_081_7;
        let iqr = 6.35 * ((z * s).exp() - (-z * s).exp());
        assert!((iqr - 5.0).abs() < 1e-12);
    }
}
