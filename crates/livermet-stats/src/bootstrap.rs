//! Bootstrap resamples ([`Resamples`]: simple, stratified by outcome, or given) and the
//! stratified bootstrap CI of the AUC (as pROC's `ci.auc(method = "bootstrap")`, stratified):
//! each resample draws m positives from the positives and n negatives from the negatives with
//! replacement, so every resample keeps the cohort's class sizes; the CI is the percentile
//! interval of the resampled AUCs (quantiles by linear interpolation, R's type 7).
//!
//! Resample b uses its own ChaCha8 stream (seed, stream b), so the result is the same for a
//! seed whatever the number of threads or their scheduling.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use serde::Serialize;

use crate::StatsError;
use crate::roc::check_inputs;

/// Default number of bootstrap resamples (pROC's default).
pub const DEFAULT_RESAMPLES: usize = 2000;

/// How the bootstrap resamples are drawn. Resample `b` of a seeded scheme comes from its own
/// ChaCha8 stream (seed, stream b), so it does not depend on threads or on the other resamples.
#[derive(Debug, Clone, PartialEq)]
pub enum Resamples {
    /// `count` resamples of all n subjects drawn with replacement (Efron's bootstrap; rms's
    /// `validate`).
    Simple { count: usize, seed: u64 },
    /// `count` resamples that draw the events from the events and the non-events from the
    /// non-events, with replacement (events first): every resample keeps the class sizes
    /// (pROC's `stratified = TRUE`).
    Stratified { count: usize, seed: u64 },
    /// Resamples given as 0-based subject indices, e.g. another program's, so that both compute
    /// on the very same draws.
    Given(Vec<Vec<usize>>),
}

/// The scheme of [`Resamples`], as recorded in results.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ResampleScheme {
    Simple,
    Stratified,
    Given,
}

impl Resamples {
    /// Number of resamples.
    pub fn count(&self) -> usize {
        match self {
            Self::Simple { count, .. } | Self::Stratified { count, .. } => *count,
            Self::Given(r) => r.len(),
        }
    }

    /// The seed of a drawn scheme.
    pub fn seed(&self) -> Option<u64> {
        match self {
            Self::Simple { seed, .. } | Self::Stratified { seed, .. } => Some(*seed),
            Self::Given(_) => None,
        }
    }

    /// Which scheme.
    pub fn scheme(&self) -> ResampleScheme {
        match self {
            Self::Simple { .. } => ResampleScheme::Simple,
            Self::Stratified { .. } => ResampleScheme::Stratified,
            Self::Given(_) => ResampleScheme::Given,
        }
    }

    /// At least 2 resamples; given ones index subjects `0..n`.
    pub(crate) fn check(&self, n: usize) -> Result<(), StatsError> {
        if self.count() < 2 {
            return Err(StatsError::InvalidValue(format!(
                "the bootstrap needs at least 2 resamples (got {})",
                self.count()
            )));
        }
        if let Self::Given(r) = self
            && let Some((b, &i)) = r
                .iter()
                .enumerate()
                .find_map(|(b, s)| s.iter().find(|&&i| i >= n).map(|i| (b, i)))
        {
            return Err(StatsError::InvalidValue(format!(
                "resample {b} holds subject index {i}, but there are only {n} subjects"
            )));
        }
        Ok(())
    }

    /// Resample `b` (0-based subject indices) of the subjects with these outcomes.
    pub(crate) fn draw(&self, b: usize, outcomes: &[bool]) -> Vec<usize> {
        let stream = |seed: u64| {
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            rng.set_stream(b as u64);
            rng
        };
        match self {
            Self::Simple { seed, .. } => {
                let mut rng = stream(*seed);
                let n = outcomes.len();
                (0..n).map(|_| rng.random_range(0..n)).collect()
            }
            Self::Stratified { seed, .. } => {
                let mut rng = stream(*seed);
                let mut out = Vec::with_capacity(outcomes.len());
                for class in [true, false] {
                    let members: Vec<usize> = (0..outcomes.len())
                        .filter(|&i| outcomes[i] == class)
                        .collect();
                    let k = members.len();
                    out.extend((0..k).map(|_| members[rng.random_range(0..k)]));
                }
                out
            }
            Self::Given(r) => r[b].clone(),
        }
    }
}

/// A percentile bootstrap CI of one AUC.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BootstrapCi {
    /// Lower end of the interval.
    pub ci_low: f64,
    /// Upper end of the interval.
    pub ci_high: f64,
    /// Coverage of the interval (0.95 for a 95% CI).
    pub level: f64,
    /// Number of resamples.
    pub resamples: usize,
    /// The seed of the resampling.
    pub seed: u64,
}

/// A score's subjects sorted by score, cut into runs of equal scores, for the weighted AUC.
struct SortedScore {
    order: Vec<u32>,
    /// End (exclusive) of each run of tied scores in `order`.
    group_ends: Vec<u32>,
}

impl SortedScore {
    fn new(score: &[f64]) -> Self {
        let mut order: Vec<u32> = (0..score.len() as u32).collect();
        order.sort_unstable_by(|&a, &b| score[a as usize].total_cmp(&score[b as usize]));
        let mut group_ends = Vec::new();
        for k in 1..order.len() {
            if score[order[k] as usize] != score[order[k - 1] as usize] {
                group_ends.push(k as u32);
            }
        }
        group_ends.push(order.len() as u32);
        SortedScore { order, group_ends }
    }

    /// AUC of the resample in which subject i appears `weights[i]` times: the Mann-Whitney
    /// count of (positive, negative) pairs with the positive higher, ties counting 1/2.
    fn weighted_auc(&self, weights: &[u32], outcomes: &[bool], m: usize, n: usize) -> f64 {
        let mut below = 0.0; // negatives (with multiplicity) below the current run
        let mut pairs = 0.0;
        let mut start = 0usize;
        for &end in &self.group_ends {
            let (mut wp, mut wn) = (0u64, 0u64);
            for &i in &self.order[start..end as usize] {
                let w = weights[i as usize] as u64;
                if outcomes[i as usize] {
                    wp += w
                } else {
                    wn += w
                }
            }
            pairs += wp as f64 * (below + wn as f64 / 2.0);
            below += wn as f64;
            start = end as usize;
        }
        pairs / (m as f64 * n as f64)
    }
}

/// Linear-interpolation quantile (R type 7, numpy's default) of sorted values.
pub(crate) fn quantile_sorted(sorted: &[f64], q: f64) -> f64 {
    let h = (sorted.len() - 1) as f64 * q;
    let lo = h.floor() as usize;
    let hi = (lo + 1).min(sorted.len() - 1);
    sorted[lo] + (h - lo as f64) * (sorted[hi] - sorted[lo])
}

/// Stratified percentile bootstrap CIs (coverage `level`) of the AUC of each of `scores`
/// (same subjects; every score uses the same resamples). `resamples` must be at least 2.
pub fn bootstrap_auc_ci(
    scores: &[&[f64]],
    outcomes: &[bool],
    resamples: usize,
    seed: u64,
    level: f64,
) -> Result<Vec<BootstrapCi>, StatsError> {
    if resamples < 2 {
        return Err(StatsError::InvalidValue(format!(
            "the bootstrap needs at least 2 resamples (got {resamples})"
        )));
    }
    if !(level > 0.0 && level < 1.0) {
        return Err(StatsError::InvalidValue(format!(
            "CI level {level} is not in (0, 1)"
        )));
    }
    let (mut m, mut n) = (0, 0);
    for s in scores {
        (m, n) = check_inputs(s, outcomes)?;
    }
    let draws = Resamples::Stratified {
        count: resamples,
        seed,
    };
    let sorted: Vec<SortedScore> = scores.iter().map(|s| SortedScore::new(s)).collect();

    // aucs[b][k]: AUC of score k in resample b; collected in b order, whatever the threads did.
    let aucs: Vec<Vec<f64>> = (0..resamples)
        .into_par_iter()
        .map_init(
            || vec![0u32; outcomes.len()],
            |weights, b| {
                weights.iter_mut().for_each(|w| *w = 0);
                for i in draws.draw(b, outcomes) {
                    weights[i] += 1;
                }
                sorted
                    .iter()
                    .map(|s| s.weighted_auc(weights, outcomes, m, n))
                    .collect()
            },
        )
        .collect();

    let alpha = 1.0 - level;
    Ok((0..scores.len())
        .map(|k| {
            let mut v: Vec<f64> = aucs.iter().map(|a| a[k]).collect();
            v.sort_unstable_by(f64::total_cmp);
            BootstrapCi {
                ci_low: quantile_sorted(&v, alpha / 2.0),
                ci_high: quantile_sorted(&v, 1.0 - alpha / 2.0),
                level,
                resamples,
                seed,
            }
        })
        .collect())
}
