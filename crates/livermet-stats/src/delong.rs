//! DeLong's variance and covariance of AUCs (DeLong, DeLong & Clarke-Pearson 1988, Biometrics
//! 44:837) computed by the fast midrank algorithm of Sun & Xu (2014, IEEE Signal Processing
//! Letters 21:1389, "Fast implementation of DeLong's algorithm for comparing the areas under
//! correlated receiver operating characteristic curves"), and the tests built on them.
//!
//! With m positives X and n negatives Y, for each score:
//! - Tz = midranks of all m + n scores, Tx = midranks within X, Ty = midranks within Y;
//! - V10_i = (Tz_i − Tx_i) / n for positive i, V01_j = 1 − (Tz_j − Ty_j) / m for negative j
//!   (the placement values: the share of the other class a subject beats, ties counting 1/2);
//! - AUC = mean(V10) = mean(V01);
//! - S10, S01 = sample covariance matrices (denominator m − 1, n − 1) of V10 and V01 across
//!   scores; Cov(AUC) = S10 / m + S01 / n.
//!
//! One sort per score gives all three midranks (the within-class orders are the combined order
//! filtered by class), so the cost is O(k (m + n) log(m + n)) for k scores.

use rayon::prelude::*;
use serde::Serialize;
use statrs::function::erf::erfc;

use crate::StatsError;
use crate::roc::{Z95, check_all_inputs};

/// DeLong's structural components and the AUC covariance for k scores on the same subjects.
#[derive(Debug, Clone, Serialize)]
pub struct DelongFit {
    /// Number of positives (outcome true), m.
    pub positives: usize,
    /// Number of negatives, n.
    pub negatives: usize,
    /// AUC of each score (ties count 1/2).
    pub auc: Vec<f64>,
    /// `V10[k][i]`: placement value of positive i under score k.
    #[serde(skip)]
    pub v10: Vec<Vec<f64>>,
    /// `V01[k][j]`: placement value of negative j under score k.
    #[serde(skip)]
    pub v01: Vec<Vec<f64>>,
    /// S10: k x k sample covariance of the V10 (denominator m − 1).
    pub s10: Vec<Vec<f64>>,
    /// S01: k x k sample covariance of the V01 (denominator n − 1).
    pub s01: Vec<Vec<f64>>,
    /// Cov(AUC) = S10 / m + S01 / n; the diagonal holds each AUC's variance.
    pub covariance: Vec<Vec<f64>>,
}

/// A two-sided z-test of a difference of AUCs (paired DeLong or unpaired), with its 95% CI.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AucComparison {
    /// AUC of the first score (a).
    pub auc_a: f64,
    /// AUC of the second score (b).
    pub auc_b: f64,
    /// auc_a − auc_b.
    pub auc_diff: f64,
    /// Standard error of the difference.
    pub se: f64,
    /// z = (auc_a − auc_b) / se; `None` when se is 0 and the difference is not (undefined).
    /// When both are 0 the AUCs are identical in every resample of the model: z = 0.
    pub z: Option<f64>,
    /// Two-sided p = 2 (1 − Φ(|z|)); `None` when z is.
    pub p: Option<f64>,
    /// 95% CI of the difference: auc_diff ± 1.96 se.
    pub ci_low: f64,
    /// Upper end of the 95% CI of the difference.
    pub ci_high: f64,
}

/// Midranks (1-based, ties get the mean of the ranks they span) of the combined sample, of the
/// positives among themselves and of the negatives among themselves, from one sort.
/// Returns (V10, V01) in the subjects' order within each class.
fn placement_values(score: &[f64], outcomes: &[bool], m: usize, n: usize) -> (Vec<f64>, Vec<f64>) {
    // Class-wise index of each subject, so V10/V01 line up across scores.
    let mut class_index = Vec::with_capacity(score.len());
    let (mut ip, mut ineg) = (0u32, 0u32);
    for &o in outcomes {
        if o {
            class_index.push(ip);
            ip += 1;
        } else {
            class_index.push(ineg);
            ineg += 1;
        }
    }
    let mut order: Vec<(f64, u32)> = score
        .iter()
        .enumerate()
        .map(|(i, &s)| (s, i as u32))
        .collect();
    order.par_sort_unstable_by(|a, b| a.0.total_cmp(&b.0));

    let (mf, nf) = (m as f64, n as f64);
    let mut v10 = vec![0.0; m];
    let mut v01 = vec![0.0; n];
    // Ranks before the current tie group: combined (z), within positives (x), negatives (y).
    let (mut z0, mut x0, mut y0) = (0usize, 0usize, 0usize);
    let mut start = 0;
    while start < order.len() {
        let mut end = start + 1;
        while end < order.len() && order[end].0 == order[start].0 {
            end += 1;
        }
        let group = &order[start..end];
        let gp = group.iter().filter(|&&(_, i)| outcomes[i as usize]).count();
        let gn = group.len() - gp;
        // Midrank of a group spanning ranks r0+1..=r0+g is r0 + (g + 1) / 2.
        let tz = z0 as f64 + (group.len() as f64 + 1.0) / 2.0;
        let tx = x0 as f64 + (gp as f64 + 1.0) / 2.0;
        let ty = y0 as f64 + (gn as f64 + 1.0) / 2.0;
        for &(_, i) in group {
            let k = class_index[i as usize] as usize;
            if outcomes[i as usize] {
                v10[k] = (tz - tx) / nf;
            } else {
                v01[k] = 1.0 - (tz - ty) / mf;
            }
        }
        z0 += group.len();
        x0 += gp;
        y0 += gn;
        start = end;
    }
    (v10, v01)
}

fn mean(v: &[f64]) -> f64 {
    v.iter().sum::<f64>() / v.len() as f64
}

/// Sample covariance matrix (denominator len − 1) of the rows of `v` (one row per score).
fn covariance_matrix(v: &[Vec<f64>], means: &[f64]) -> Vec<Vec<f64>> {
    let k = v.len();
    let len = v[0].len() as f64;
    let mut s = vec![vec![0.0; k]; k];
    for r in 0..k {
        for c in r..k {
            let sum: f64 = v[r]
                .iter()
                .zip(&v[c])
                .map(|(a, b)| (a - means[r]) * (b - means[c]))
                .sum();
            s[r][c] = sum / (len - 1.0);
            s[c][r] = s[r][c];
        }
    }
    s
}

/// DeLong's AUCs, structural components and covariance for `scores` (each a score of the same
/// subjects, in the order of `outcomes`). Needs at least 2 positives and 2 negatives (the
/// sample covariances S10, S01 need two of each); NaN scores are an error.
pub fn delong(scores: &[&[f64]], outcomes: &[bool]) -> Result<DelongFit, StatsError> {
    let (m, n) = check_all_inputs(scores, outcomes)?;
    if m < 2 || n < 2 {
        return Err(StatsError::InsufficientData(format!(
            "DeLong's variance needs at least 2 positives and 2 negatives (got {m} and {n})"
        )));
    }
    let (v10, v01): (Vec<_>, Vec<_>) = scores
        .par_iter()
        .map(|s| placement_values(s, outcomes, m, n))
        .unzip();
    let auc: Vec<f64> = v10.iter().map(|v| mean(v)).collect();
    let auc01: Vec<f64> = v01.iter().map(|v| mean(v)).collect();
    let s10 = covariance_matrix(&v10, &auc);
    let s01 = covariance_matrix(&v01, &auc01);
    let k = scores.len();
    let mut covariance = vec![vec![0.0; k]; k];
    for r in 0..k {
        for c in 0..k {
            covariance[r][c] = s10[r][c] / m as f64 + s01[r][c] / n as f64;
        }
    }
    Ok(DelongFit {
        positives: m,
        negatives: n,
        auc,
        v10,
        v01,
        s10,
        s01,
        covariance,
    })
}

/// z-test of a difference `diff` with standard error `se`: two-sided p and 95% CI.
pub(crate) fn z_test(auc_a: f64, auc_b: f64, se: f64) -> AucComparison {
    let diff = auc_a - auc_b;
    let z = if se > 0.0 {
        Some(diff / se)
    } else if diff == 0.0 {
        Some(0.0)
    } else {
        None
    };
    // 2 (1 − Φ(|z|)) = erfc(|z| / √2), without the cancellation of 1 − Φ for large |z|.
    let p = z.map(|z| erfc(z.abs() / std::f64::consts::SQRT_2));
    AucComparison {
        auc_a,
        auc_b,
        auc_diff: diff,
        se,
        z,
        p,
        ci_low: diff - Z95 * se,
        ci_high: diff + Z95 * se,
    }
}

impl DelongFit {
    /// Number of scores.
    pub fn len(&self) -> usize {
        self.auc.len()
    }

    /// True when the fit holds no scores (never, for a fit `delong` returned).
    pub fn is_empty(&self) -> bool {
        self.auc.is_empty()
    }

    /// Variance of score k's AUC.
    pub fn variance(&self, k: usize) -> f64 {
        self.covariance[k][k]
    }

    /// Paired DeLong test of score `a` against score `b` (same subjects):
    /// Var(a − b) = Var(a) + Var(b) − 2 Cov(a, b), z = (auc_a − auc_b) / SE.
    pub fn delong_test(&self, a: usize, b: usize) -> Result<AucComparison, StatsError> {
        let k = self.len();
        if a >= k || b >= k {
            return Err(StatsError::InvalidValue(format!(
                "score index {} out of range: the fit has {k} scores",
                a.max(b)
            )));
        }
        let c = &self.covariance;
        // Rounding can leave a tiny negative variance when the scores are (almost) identical.
        let var = (c[a][a] + c[b][b] - 2.0 * c[a][b]).max(0.0);
        Ok(z_test(self.auc[a], self.auc[b], var.sqrt()))
    }

    /// Paired DeLong tests of every pair (a, b) with a before b, in the order the scores were
    /// given: (0,1), (0,2), ..., (1,2), ...
    pub fn delong_tests(&self) -> Vec<(usize, usize, AucComparison)> {
        let k = self.len();
        let mut out = Vec::new();
        for a in 0..k {
            for b in a + 1..k {
                // Indices are in range by construction.
                if let Ok(t) = self.delong_test(a, b) {
                    out.push((a, b, t));
                }
            }
        }
        out
    }
}

/// Unpaired comparison of two AUCs from different cohorts (independent samples):
/// z = (auc_a − auc_b) / sqrt(Var(a) + Var(b)), each variance DeLong's.
pub fn unpaired_test(auc_a: f64, var_a: f64, auc_b: f64, var_b: f64) -> AucComparison {
    z_test(auc_a, auc_b, (var_a.max(0.0) + var_b.max(0.0)).sqrt())
}
