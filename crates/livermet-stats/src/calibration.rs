//! Calibration of predicted probabilities against observed outcomes (Steyerberg, *Clinical
//! Prediction Models*, 2nd ed., ch. 15; Van Calster et al. 2019, BMC Med 17:230): calibration-
//! in-the-large, calibration slope, Brier score, a binned calibration curve and the
//! Hosmer-Lemeshow test. Checked against statsmodels, scikit-learn and an explicit
//! Hosmer-Lemeshow in `fixtures/stats/calibration/` (made by `fixtures/stats/logistic/make_reference.py`).

use serde::Serialize;

use crate::StatsError;
use crate::hypothesis::chi_square_sf;
use crate::logistic::{Design, FitOptions, Z_975, fit_logistic, newton, wald_coefficient};

/// An estimated calibration parameter with Wald inference.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Estimate {
    /// The maximum-likelihood estimate.
    pub estimate: f64,
    /// Its standard error from the inverse information.
    pub se: f64,
    /// Wald z against 0.
    pub z: f64,
    /// Two-sided p of `z` (for a slope, the test of slope = 0, as statsmodels prints it).
    pub p: f64,
    /// `estimate - 1.959964 se`.
    pub ci_low: f64,
    /// `estimate + 1.959964 se`.
    pub ci_high: f64,
}

impl Estimate {
    /// `b` with standard error `se`: `z = b / se`, `p = 2 (1 - Phi(|z|))`, `b -/+ 1.959964 se`.
    pub fn wald(b: f64, se: f64) -> Self {
        let c = wald_coefficient("", b, se);
        Estimate {
            estimate: c.coef,
            se: c.se,
            z: c.z,
            p: c.p,
            ci_low: c.ci_low,
            ci_high: c.ci_high,
        }
    }
}

/// Lengths equal, both outcome classes present, probabilities finite and strictly inside (0, 1)
/// (the logit of 0 or 1 is infinite: clamp such predictions explicitly before calling).
fn check(prob: &[f64], y: &[bool]) -> Result<(), StatsError> {
    if prob.len() != y.len() {
        return Err(StatsError::LengthMismatch {
            what: "predicted probabilities".into(),
            expected: y.len(),
            got: prob.len(),
        });
    }
    let events = y.iter().filter(|&&v| v).count();
    if events == 0 || events == y.len() {
        return Err(StatsError::InsufficientData(format!(
            "{events} events among {} subjects: calibration needs events and non-events",
            y.len()
        )));
    }
    if let Some(i) = prob.iter().position(|&p| !(p > 0.0 && p < 1.0)) {
        return Err(StatsError::InvalidValue(format!(
            "predicted probability of subject {} is {}: it must lie strictly between 0 and 1",
            i + 1,
            prob[i]
        )));
    }
    Ok(())
}

fn logit(p: f64) -> f64 {
    (p / (1.0 - p)).ln()
}

/// Calibration-in-the-large: `a` in `logit P(y = 1) = a + logit(p)` (slope fixed at 1 by using
/// `logit(p)` as an offset); 0 when the mean prediction matches the event rate, > 0 when the
/// model under-predicts. Matches statsmodels `GLM(y, 1, Binomial, offset=logit(p))`.
pub fn calibration_in_the_large(
    prob: &[f64],
    y: &[bool],
    opts: &FitOptions,
) -> Result<Estimate, StatsError> {
    check(prob, y)?;
    let offset: Vec<f64> = prob.iter().map(|&p| logit(p)).collect();
    let ones = vec![1.0; y.len()];
    let fit = newton(&ones, 1, y, Some(&offset), vec![0.0], opts)
        .map_err(|_| StatsError::Singular("calibration-in-the-large: zero information".into()))?;
    if !fit.converged {
        return Err(StatsError::NotConverged(format!(
            "calibration-in-the-large after {} iterations",
            fit.iterations
        )));
    }
    Ok(Estimate::wald(fit.beta[0], fit.cov[0].sqrt()))
}

/// The calibration slope `b` (and its intercept `a`) of `logit P(y = 1) = a + b logit(p)`:
/// 1 is ideal, < 1 means predictions too extreme (overfitting). Matches statsmodels
/// `Logit(y, [1, logit(p)])`; predictions that separate the outcomes are a `Separation` error.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct CalibrationSlope {
    /// `b`.
    pub slope: Estimate,
    /// `a` of the same model (not calibration-in-the-large).
    pub intercept: Estimate,
}

/// Fit the calibration slope model (see [`CalibrationSlope`]).
pub fn calibration_slope(
    prob: &[f64],
    y: &[bool],
    opts: &FitOptions,
) -> Result<CalibrationSlope, StatsError> {
    check(prob, y)?;
    let lp: Vec<f64> = prob.iter().map(|&p| logit(p)).collect();
    let mut design = Design::new(y.len());
    design.add_numeric("logit_p", &lp)?;
    let fit = fit_logistic(&design, y, opts)?;
    let (a, b) = (&fit.coefficients[0], &fit.coefficients[1]);
    Ok(CalibrationSlope {
        slope: Estimate::wald(b.coef, b.se),
        intercept: Estimate::wald(a.coef, a.se),
    })
}

/// Brier score `mean (p_i - y_i)^2` (sklearn `brier_score_loss`); probabilities in [0, 1].
pub fn brier_score(prob: &[f64], y: &[bool]) -> Result<f64, StatsError> {
    if prob.len() != y.len() || y.is_empty() {
        return Err(StatsError::LengthMismatch {
            what: "predicted probabilities".into(),
            expected: y.len(),
            got: prob.len(),
        });
    }
    if let Some(p) = prob.iter().find(|p| !(0.0..=1.0).contains(*p)) {
        return Err(StatsError::InvalidValue(format!(
            "probability {p} is outside [0, 1]"
        )));
    }
    let s: f64 = prob
        .iter()
        .zip(y)
        .map(|(&p, &v)| (p - f64::from(u8::from(v))).powi(2))
        .sum();
    Ok(s / y.len() as f64)
}

/// The `bins + 1` quantile edges of `prob`, computed exactly as numpy's
/// `np.percentile(prob, np.linspace(0, 1, bins + 1) * 100)` (linear interpolation, Hyndman &
/// Fan type 7, numpy's two-sided lerp) so that subjects tied at an edge fall in the same bin.
fn quantile_edges(prob: &[f64], bins: usize) -> Vec<f64> {
    let mut s = prob.to_vec();
    s.sort_by(f64::total_cmp);
    let n = s.len();
    (0..=bins)
        .map(|k| {
            let q = if k == bins {
                1.0
            } else {
                k as f64 * (1.0 / bins as f64)
            };
            let q = (q * 100.0) / 100.0;
            let vi = (n - 1) as f64 * q;
            if vi >= (n - 1) as f64 {
                return s[n - 1];
            }
            let lo = vi.floor();
            let (a, b, g) = (s[lo as usize], s[lo as usize + 1], vi - lo);
            let d = b - a;
            if g >= 0.5 {
                b - d * (1.0 - g)
            } else {
                a + d * g
            }
        })
        .collect()
}

/// Group subjects by quantile bins of `prob`: bin `k` holds `edge_k < p <= edge_{k+1}` (the
/// first bin also `p = edge_0`), i.e. right-closed intervals, so ties never straddle bins. Empty
/// bins (duplicated edges under ties) are dropped. Returns the bins' subject indices.
fn quantile_groups(prob: &[f64], bins: usize) -> Vec<Vec<usize>> {
    let edges = quantile_edges(prob, bins);
    let inner = &edges[1..bins];
    let mut groups = vec![Vec::new(); bins];
    for (i, &p) in prob.iter().enumerate() {
        groups[inner.partition_point(|&e| e < p)].push(i);
    }
    groups.retain(|g| !g.is_empty());
    groups
}

/// One bin of the calibration curve.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct CalibrationBin {
    /// Subjects in the bin.
    pub n: usize,
    /// Events in the bin.
    pub events: usize,
    /// Mean predicted probability.
    pub mean_predicted: f64,
    /// Observed event rate `events / n`.
    pub observed: f64,
    /// Wilson 95% score interval of the observed rate (statsmodels `proportion_confint(...,
    /// method="wilson")`): `(q + z^2/2n +- z sqrt(q(1-q)/n + z^2/4n^2)) / (1 + z^2/n)`.
    pub ci_low: f64,
    /// Upper Wilson limit.
    pub ci_high: f64,
}

/// Binned calibration curve with `bins` quantile bins (sklearn `calibration_curve(...,
/// strategy="quantile")`: same edges, same right-closed bins, empty bins dropped), each with its
/// count and a Wilson 95% interval of the observed rate.
pub fn calibration_curve(
    prob: &[f64],
    y: &[bool],
    bins: usize,
) -> Result<Vec<CalibrationBin>, StatsError> {
    check(prob, y)?;
    if bins < 1 {
        return Err(StatsError::InvalidValue(
            "the calibration curve needs at least 1 bin".into(),
        ));
    }
    let z2 = Z_975 * Z_975;
    Ok(quantile_groups(prob, bins)
        .into_iter()
        .map(|g| {
            let n = g.len();
            let events = g.iter().filter(|&&i| y[i]).count();
            let nf = n as f64;
            let q = events as f64 / nf;
            let denom = 1.0 + z2 / nf;
            let center = (q + z2 / (2.0 * nf)) / denom;
            let half = Z_975 * (q * (1.0 - q) / nf + z2 / (4.0 * nf * nf)).sqrt() / denom;
            CalibrationBin {
                n,
                events,
                mean_predicted: g.iter().map(|&i| prob[i]).sum::<f64>() / nf,
                observed: q,
                ci_low: center - half,
                ci_high: center + half,
            }
        })
        .collect())
}

/// The Hosmer-Lemeshow goodness-of-fit test.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HosmerLemeshow {
    /// `C = sum_g (O_g - E_g)^2 / E_g + ((n_g - O_g) - (n_g - E_g))^2 / (n_g - E_g)`.
    pub chi2: f64,
    /// `groups - 2`.
    pub df: usize,
    /// `P(chi2_df >= C)`.
    pub p: f64,
    /// Non-empty groups used.
    pub groups: usize,
    /// Subjects per group.
    pub group_n: Vec<usize>,
    /// Observed events `O_g`.
    pub group_observed: Vec<usize>,
    /// Expected events `E_g = sum p`.
    pub group_expected: Vec<f64>,
}

/// Hosmer-Lemeshow test with `groups` groups by quantiles of predicted risk (deciles for 10), as
/// R's `ResourceSelection::hoslem.test`: cut points = the quantiles of `p` (type 7), right-closed
/// groups with the lowest value included. Ties: subjects with equal `p` always share a group;
/// duplicated cut points are merged and empty groups dropped, and `df = groups used - 2`
/// (hoslem.test stops with an error there instead). Fewer than 3 groups is an error.
pub fn hosmer_lemeshow(
    prob: &[f64],
    y: &[bool],
    groups: usize,
) -> Result<HosmerLemeshow, StatsError> {
    check(prob, y)?;
    let gs = quantile_groups(prob, groups_checked(groups)?);
    if gs.len() < 3 {
        return Err(StatsError::InsufficientData(format!(
            "Hosmer-Lemeshow needs at least 3 groups of distinct predicted risk; the predictions \
             form {}",
            gs.len()
        )));
    }
    let mut hl = HosmerLemeshow {
        chi2: 0.0,
        df: gs.len() - 2,
        p: 1.0,
        groups: gs.len(),
        group_n: Vec::new(),
        group_observed: Vec::new(),
        group_expected: Vec::new(),
    };
    for g in &gs {
        let n = g.len() as f64;
        let o1 = g.iter().filter(|&&i| y[i]).count();
        let e1: f64 = g.iter().map(|&i| prob[i]).sum();
        let (o1f, o0, e0) = (o1 as f64, n - o1 as f64, n - e1);
        hl.chi2 += (o1f - e1).powi(2) / e1 + (o0 - e0).powi(2) / e0;
        hl.group_n.push(g.len());
        hl.group_observed.push(o1);
        hl.group_expected.push(e1);
    }
    hl.p = chi_square_sf(hl.chi2, hl.df as f64);
    Ok(hl)
}

/// Everything [`calibration`] reports.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Calibration {
    /// Subjects.
    pub n: usize,
    /// Events.
    pub events: usize,
    /// See [`calibration_in_the_large`].
    pub calibration_in_the_large: Estimate,
    /// See [`calibration_slope`].
    pub calibration_slope: CalibrationSlope,
    /// See [`brier_score`].
    pub brier: f64,
    /// See [`calibration_curve`].
    pub curve: Vec<CalibrationBin>,
    /// See [`hosmer_lemeshow`].
    pub hosmer_lemeshow: HosmerLemeshow,
}

/// All calibration measures of predictions `prob` against outcomes `y`: the curve with `bins`
/// quantile bins and Hosmer-Lemeshow with `hl_groups` groups (both 10 by convention).
pub fn calibration(
    prob: &[f64],
    y: &[bool],
    bins: usize,
    hl_groups: usize,
    opts: &FitOptions,
) -> Result<Calibration, StatsError> {
    Ok(Calibration {
        n: y.len(),
        events: y.iter().filter(|&&v| v).count(),
        calibration_in_the_large: calibration_in_the_large(prob, y, opts)?,
        calibration_slope: calibration_slope(prob, y, opts)?,
        brier: brier_score(prob, y)?,
        curve: calibration_curve(prob, y, bins)?,
        hosmer_lemeshow: hosmer_lemeshow(prob, y, hl_groups)?,
    })
}

fn groups_checked(g: usize) -> Result<usize, StatsError> {
    if g < 3 {
        return Err(StatsError::InvalidValue(format!(
            "Hosmer-Lemeshow needs >= 3 groups, got {g}"
        )));
    }
    Ok(g)
}

impl Calibration {
    /// The calibration as text, one measure per line, then the binned curve (what
    /// `livermet stats calibration` prints).
    pub fn text(&self) -> String {
        use std::fmt::Write as _;
        let mut out = String::new();
        let e = &self.calibration_in_the_large;
        writeln!(
            out,
            "  calibration-in-the-large {:>8.4}  (95% CI {:.4} to {:.4}; 0 is ideal)",
            e.estimate, e.ci_low, e.ci_high
        )
        .ok();
        let s = &self.calibration_slope.slope;
        writeln!(
            out,
            "  calibration slope        {:>8.4}  (95% CI {:.4} to {:.4}; 1 is ideal)",
            s.estimate, s.ci_low, s.ci_high
        )
        .ok();
        writeln!(out, "  Brier score              {:>8.4}", self.brier).ok();
        let h = &self.hosmer_lemeshow;
        writeln!(
            out,
            "  Hosmer-Lemeshow          chi2 = {:.4} (df {}, {} groups), p = {:.4}",
            h.chi2, h.df, h.groups, h.p
        )
        .ok();
        writeln!(
            out,
            "\n  {:>4} {:>6} {:>7} {:>10} {:>9} {:>19}",
            "bin", "n", "events", "predicted", "observed", "observed 95% CI"
        )
        .ok();
        for (i, b) in self.curve.iter().enumerate() {
            writeln!(
                out,
                "  {:>4} {:>6} {:>7} {:>10.4} {:>9.4}   {:.4} to {:.4}",
                i + 1,
                b.n,
                b.events,
                b.mean_predicted,
                b.observed,
                b.ci_low,
                b.ci_high
            )
            .ok();
        }
        writeln!(
            out,
            "  (Wilson score intervals; bins are quantiles of the predicted probability)"
        )
        .ok();
        out
    }
}
