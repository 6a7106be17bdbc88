//! Reclassification of a new model against an old one on the same subjects (Pencina et al. 2008,
//! Stat Med 27:157): the net reclassification improvement (NRI), category-free and at risk
//! categories, and the integrated discrimination improvement (IDI), with the standard errors,
//! z, p and 95% CIs of R's `Hmisc::improveProb(x1 = old, x2 = new, y)` (Hmisc 4.8 source, and
//! its print method for z, p and the CI), and optional percentile bootstrap CIs.
//! Checked against Hmisc in `fixtures/stats/reclassification/`.
//!
//! With `a` events and `b` non-events, and "up" meaning the new model moves a subject to a higher
//! probability (category-free NRI) or a higher risk category (categorical NRI):
//! - `NRI_events = (up_e - down_e) / a`, `NRI_non-events = (down_n - up_n) / b`, `NRI` = their sum;
//! - `Var(NRI_events) = (up_e + down_e) / a^2 - (up_e - down_e)^2 / a^3` (likewise for the
//!   non-events; Hmisc's multinomial variance of a difference of two proportions, which is
//!   Pencina's `(p_up + p_down) / a` less the square of the estimate over `a`), and `Var(NRI)`
//!   their sum;
//! - `IDI = mean_events(p_new - p_old) - mean_non-events(p_new - p_old)`, with
//!   `Var(IDI) = s_e^2 / a + s_n^2 / b` (sample variances of the differences, `n - 1`);
//! - `z = estimate / se`, `p = 2 (1 - Phi(|z|))`, CI `estimate -/+ qnorm(0.975) se`.
//!
//! A zero standard error (nobody reclassified) gives an infinite or undefined `z` and `p`, as
//! in R; they are written as JSON null.

use std::fmt::Write;

use rayon::prelude::*;
use serde::Serialize;

use crate::StatsError;
use crate::bootstrap::{ResampleScheme, Resamples, quantile_sorted};
use crate::calibration::Estimate;
use crate::thresholds::median;

/// The risk categories of the categorical NRI. A subject is in category `k` when its probability
/// is at or above exactly `k` of the cut-offs (the paper's "high risk when score >= threshold").
#[derive(Debug, Clone, PartialEq)]
pub enum RiskCut {
    /// Each model split at the median of its own probabilities (the paper's threshold rule):
    /// two categories, low and high.
    Median,
    /// The same increasing cut-offs for both models.
    Common(Vec<f64>),
    /// Each model with its own increasing cut-offs (as many for both).
    PerModel { old: Vec<f64>, new: Vec<f64> },
}

impl std::str::FromStr for RiskCut {
    type Err = String;

    /// `median`, or common cut-offs as comma-separated numbers (`0.2,0.5`).
    fn from_str(s: &str) -> Result<Self, String> {
        if s == "median" {
            return Ok(RiskCut::Median);
        }
        s.split(',')
            .map(|c| c.trim().parse::<f64>().ok().filter(|v| v.is_finite()))
            .collect::<Option<Vec<f64>>>()
            .map(RiskCut::Common)
            .ok_or_else(|| format!("`{s}` is neither `median` nor comma-separated numbers"))
    }
}

/// An NRI with the counts it comes from.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Nri {
    /// Events the new model moves up.
    pub up_events: usize,
    /// Events the new model moves down.
    pub down_events: usize,
    /// Non-events moved up.
    pub up_non_events: usize,
    /// Non-events moved down.
    pub down_non_events: usize,
    /// `NRI_events + NRI_non-events` (Hmisc's `nri`).
    pub overall: Estimate,
    /// `(up_e - down_e) / a` (Hmisc's `nri.ev`).
    pub events: Estimate,
    /// `(down_n - up_n) / b` (Hmisc's `nri.ne`).
    pub non_events: Estimate,
}

/// The categorical NRI and the reclassification tables behind it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CategoricalNri {
    /// Cut-offs applied to the old model's probabilities.
    pub cuts_old: Vec<f64>,
    /// Cut-offs applied to the new model's probabilities.
    pub cuts_new: Vec<f64>,
    /// Counts of events: row = old category, column = new category (lowest first).
    pub events_table: Vec<Vec<usize>>,
    /// The same for the non-events.
    pub non_events_table: Vec<Vec<usize>>,
    /// The NRI over the categories.
    pub nri: Nri,
}

/// The IDI and its two halves.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Idi {
    /// `mean_events(p_new - p_old)` (Hmisc's `improveSens`).
    pub improvement_sensitivity: f64,
    /// `-mean_non-events(p_new - p_old)` (Hmisc's `improveSpec`).
    pub improvement_specificity: f64,
    /// Their sum, the difference of the two models' discrimination slopes.
    pub idi: Estimate,
}

/// Reclassification of `new` against `old`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Reclassification {
    /// Subjects with the event.
    pub events: usize,
    /// Subjects without.
    pub non_events: usize,
    /// The category-free ("continuous") NRI: up means a higher probability.
    pub continuous: Nri,
    /// The NRI over risk categories.
    pub categorical: CategoricalNri,
    /// The IDI.
    pub idi: Idi,
}

/// Lengths, NaN, the [0, 1] range (Hmisc refuses probabilities outside it), both classes.
fn check(y: &[bool], p_old: &[f64], p_new: &[f64]) -> Result<(usize, usize), StatsError> {
    for (what, p) in [("old model", p_old), ("new model", p_new)] {
        if p.len() != y.len() {
            return Err(StatsError::LengthMismatch {
                what: format!("{what} probabilities"),
                expected: y.len(),
                got: p.len(),
            });
        }
        if let Some(i) = p.iter().position(|v| !(0.0..=1.0).contains(v)) {
            return Err(StatsError::InvalidValue(format!(
                "{what} probability of subject {} is {}: it must lie in [0, 1]",
                i + 1,
                p[i]
            )));
        }
    }
    let a = y.iter().filter(|&&v| v).count();
    let b = y.len() - a;
    if a == 0 || b == 0 {
        return Err(StatsError::InsufficientData(format!(
            "{a} events among {} subjects: reclassification needs events and non-events",
            y.len()
        )));
    }
    Ok((a, b))
}

fn check_cuts(what: &str, cuts: &[f64]) -> Result<(), StatsError> {
    if cuts.is_empty() {
        return Err(StatsError::InvalidValue(format!(
            "no cut-offs for the {what}: give at least one"
        )));
    }
    if cuts.iter().any(|c| !c.is_finite()) || cuts.windows(2).any(|w| w[0] >= w[1]) {
        return Err(StatsError::InvalidValue(format!(
            "cut-offs of the {what} must be finite and increasing, got {cuts:?}"
        )));
    }
    Ok(())
}

impl RiskCut {
    /// The cut-offs of the old and new model on these probabilities.
    fn resolve(&self, p_old: &[f64], p_new: &[f64]) -> Result<(Vec<f64>, Vec<f64>), StatsError> {
        let (old, new) = match self {
            Self::Median => (vec![median(p_old)?], vec![median(p_new)?]),
            Self::Common(c) => (c.clone(), c.clone()),
            Self::PerModel { old, new } => (old.clone(), new.clone()),
        };
        check_cuts("old model", &old)?;
        check_cuts("new model", &new)?;
        if old.len() != new.len() {
            return Err(StatsError::InvalidValue(format!(
                "the old model has {} cut-offs, the new {}: both need the same categories",
                old.len(),
                new.len()
            )));
        }
        Ok((old, new))
    }
}

/// Category of `p`: the number of cut-offs at or below it.
fn category(p: f64, cuts: &[f64]) -> usize {
    cuts.partition_point(|&c| c <= p)
}

/// Hmisc's NRI from the counts of moves.
fn nri(up_e: usize, down_e: usize, up_n: usize, down_n: usize, a: usize, b: usize) -> Nri {
    let (a, b) = (a as f64, b as f64);
    let (ue, de, un, dn) = (up_e as f64, down_e as f64, up_n as f64, down_n as f64);
    let var_e = (ue + de) / (a * a) - (ue - de).powi(2) / (a * a * a);
    let var_n = (dn + un) / (b * b) - (dn - un).powi(2) / (b * b * b);
    let (nri_e, nri_n) = (ue / a - de / a, dn / b - un / b);
    Nri {
        up_events: up_e,
        down_events: down_e,
        up_non_events: up_n,
        down_non_events: down_n,
        // Hmisc: pup.ev - pdown.ev - (pup.ne - pdown.ne).
        overall: Estimate::wald(ue / a - de / a - (un / b - dn / b), (var_e + var_n).sqrt()),
        events: Estimate::wald(nri_e, var_e.sqrt()),
        non_events: Estimate::wald(nri_n, var_n.sqrt()),
    }
}

/// Count the moves: `order(i)` is `Greater` when subject i moved up.
fn moves(y: &[bool], a: usize, b: usize, order: impl Fn(usize) -> std::cmp::Ordering) -> Nri {
    use std::cmp::Ordering::{Greater, Less};
    let mut c = [[0usize; 2]; 2]; // [event?][up?]
    for (i, &event) in y.iter().enumerate() {
        match order(i) {
            Greater => c[usize::from(event)][1] += 1,
            Less => c[usize::from(event)][0] += 1,
            _ => {}
        }
    }
    nri(c[1][1], c[1][0], c[0][1], c[0][0], a, b)
}

fn categorical(
    y: &[bool],
    p_old: &[f64],
    p_new: &[f64],
    cut: &RiskCut,
    (a, b): (usize, usize),
) -> Result<CategoricalNri, StatsError> {
    let (cuts_old, cuts_new) = cut.resolve(p_old, p_new)?;
    let k_old: Vec<usize> = p_old.iter().map(|&p| category(p, &cuts_old)).collect();
    let k_new: Vec<usize> = p_new.iter().map(|&p| category(p, &cuts_new)).collect();
    let k = cuts_old.len() + 1;
    let mut tables = [vec![vec![0usize; k]; k], vec![vec![0usize; k]; k]];
    for i in 0..y.len() {
        tables[usize::from(y[i])][k_old[i]][k_new[i]] += 1;
    }
    let [non_events_table, events_table] = tables;
    Ok(CategoricalNri {
        cuts_old,
        cuts_new,
        events_table,
        non_events_table,
        nri: moves(y, a, b, |i| k_new[i].cmp(&k_old[i])),
    })
}

fn idi(y: &[bool], p_old: &[f64], p_new: &[f64], (a, b): (usize, usize)) -> Idi {
    let d = |event: bool| -> Vec<f64> {
        (0..y.len())
            .filter(|&i| y[i] == event)
            .map(|i| p_new[i] - p_old[i])
            .collect()
    };
    let (de, dn) = (d(true), d(false));
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
    // Sample variance (n - 1), as R's var(); undefined (NaN) for a single value.
    let var =
        |v: &[f64], m: f64| v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (v.len() as f64 - 1.0);
    let (me, mn) = (mean(&de), mean(&dn));
    let se = (var(&de, me) / a as f64 + var(&dn, mn) / b as f64).sqrt();
    Idi {
        improvement_sensitivity: me,
        improvement_specificity: -mn,
        idi: Estimate::wald(me - mn, se),
    }
}

/// NRI (category-free and at the risk categories `cut`) and IDI of `p_new` against `p_old`
/// (probabilities in [0, 1] of the same subjects, outcome `y`).
pub fn reclassification(
    y: &[bool],
    p_old: &[f64],
    p_new: &[f64],
    cut: &RiskCut,
) -> Result<Reclassification, StatsError> {
    let counts = check(y, p_old, p_new)?;
    let (a, b) = counts;
    Ok(Reclassification {
        events: a,
        non_events: b,
        continuous: moves(y, a, b, |i| p_new[i].total_cmp(&p_old[i])),
        categorical: categorical(y, p_old, p_new, cut, counts)?,
        idi: idi(y, p_old, p_new, counts),
    })
}

/// A percentile interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Interval {
    pub ci_low: f64,
    pub ci_high: f64,
}

/// Percentile intervals of an NRI's three parts.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct NriIntervals {
    pub overall: Interval,
    pub events: Interval,
    pub non_events: Interval,
}

/// Percentile bootstrap CIs of the reclassification measures.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReclassificationBootstrap {
    /// How the resamples were drawn.
    pub scheme: ResampleScheme,
    /// Resamples drawn.
    pub resamples: usize,
    /// Resamples left out because they lack events or non-events (only possible when not
    /// stratified).
    pub unusable: usize,
    /// The seed of drawn resamples.
    pub seed: Option<u64>,
    /// Coverage of the intervals.
    pub level: f64,
    /// Category-free NRI.
    pub continuous: NriIntervals,
    /// Categorical NRI; with [`RiskCut::Median`] the medians are recomputed in every resample
    /// (the rule, not the value, is what the analysis fixes).
    pub categorical: NriIntervals,
    /// IDI.
    pub idi: Interval,
}

/// Percentile bootstrap CIs (coverage `level`, quantiles by R's type 7) of every NRI part and
/// the IDI of [`reclassification`], recomputed in each of `resamples` (stratified by outcome is
/// the natural choice: each part is a proportion within a class).
pub fn reclassification_bootstrap(
    y: &[bool],
    p_old: &[f64],
    p_new: &[f64],
    cut: &RiskCut,
    resamples: &Resamples,
    level: f64,
) -> Result<ReclassificationBootstrap, StatsError> {
    if !(level > 0.0 && level < 1.0) {
        return Err(StatsError::InvalidValue(format!(
            "CI level {level} is not in (0, 1)"
        )));
    }
    check(y, p_old, p_new)?;
    resamples.check(y.len())?;
    cut.resolve(p_old, p_new)?;
    // Seven statistics per usable resample, in resample order whatever the threads did.
    let stats: Vec<Option<[f64; 7]>> = (0..resamples.count())
        .into_par_iter()
        .map(|b| {
            let idx = resamples.draw(b, y);
            let yb: Vec<bool> = idx.iter().map(|&i| y[i]).collect();
            let ob: Vec<f64> = idx.iter().map(|&i| p_old[i]).collect();
            let nb: Vec<f64> = idx.iter().map(|&i| p_new[i]).collect();
            let r = reclassification(&yb, &ob, &nb, cut).ok()?;
            let (c, k) = (&r.continuous, &r.categorical.nri);
            Some([
                c.overall.estimate,
                c.events.estimate,
                c.non_events.estimate,
                k.overall.estimate,
                k.events.estimate,
                k.non_events.estimate,
                r.idi.idi.estimate,
            ])
        })
        .collect();
    let usable: Vec<[f64; 7]> = stats.iter().flatten().copied().collect();
    if usable.len() < 2 {
        return Err(StatsError::InsufficientData(format!(
            "only {} of {} resamples have both events and non-events: stratify the resamples",
            usable.len(),
            stats.len()
        )));
    }
    let alpha = 1.0 - level;
    let interval = |k: usize| {
        let mut v: Vec<f64> = usable.iter().map(|s| s[k]).collect();
        v.sort_unstable_by(f64::total_cmp);
        Interval {
            ci_low: quantile_sorted(&v, alpha / 2.0),
            ci_high: quantile_sorted(&v, 1.0 - alpha / 2.0),
        }
    };
    let three = |k: usize| NriIntervals {
        overall: interval(k),
        events: interval(k + 1),
        non_events: interval(k + 2),
    };
    Ok(ReclassificationBootstrap {
        scheme: resamples.scheme(),
        resamples: resamples.count(),
        unusable: stats.len() - usable.len(),
        seed: resamples.seed(),
        level,
        continuous: three(0),
        categorical: three(3),
        idi: interval(6),
    })
}

impl Reclassification {
    /// The NRIs and the IDI as text (what `livermet stats nri` prints under its title), each
    /// estimate with its SE, Wald CI and p, and the percentile interval of `boot` beside it.
    pub fn text(&self, boot: Option<&ReclassificationBootstrap>) -> String {
        let mut out = String::new();
        nri_block(
            &mut out,
            "Category-free NRI (up = a higher probability)",
            &self.continuous,
            boot.map(|b| &b.continuous),
        );
        let c = &self.categorical;
        let cuts = |v: &[f64]| {
            v.iter()
                .map(|x| format!("{x:.4}"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        nri_block(
            &mut out,
            &format!(
                "Categorical NRI at cut-offs {} (old), {} (new); higher category when p >= cut-off",
                cuts(&c.cuts_old),
                cuts(&c.cuts_new)
            ),
            &c.nri,
            boot.map(|b| &b.categorical),
        );
        out.push_str("IDI\n");
        let _ = writeln!(
            out,
            "  improvement in sensitivity {:.4}, in specificity {:.4}",
            self.idi.improvement_sensitivity, self.idi.improvement_specificity
        );
        estimate_line(&mut out, "IDI", &self.idi.idi, boot.map(|b| b.idi));
        out
    }
}

/// `  LABEL  estimate  SE  95% CI  p` and the bootstrap interval when there is one.
fn estimate_line(out: &mut String, label: &str, e: &Estimate, boot: Option<Interval>) {
    let boot = boot.map_or(String::new(), |i| {
        format!("  bootstrap {:.4} to {:.4}", i.ci_low, i.ci_high)
    });
    let _ = writeln!(
        out,
        "  {label:<26} {:>8.4}  SE {:.4}  95% CI {:.4} to {:.4}  p {}{boot}",
        e.estimate,
        e.se,
        e.ci_low,
        e.ci_high,
        crate::table1::text::p_text(Some(e.p))
    );
}

/// An NRI's title, its up/down counts and its three estimates.
fn nri_block(out: &mut String, title: &str, n: &Nri, boot: Option<&NriIntervals>) {
    let _ = writeln!(out, "{title}");
    let _ = writeln!(
        out,
        "  events: {} up, {} down; non-events: {} up, {} down",
        n.up_events, n.down_events, n.up_non_events, n.down_non_events
    );
    estimate_line(out, "NRI", &n.overall, boot.map(|i| i.overall));
    estimate_line(out, "NRI, events", &n.events, boot.map(|i| i.events));
    estimate_line(
        out,
        "NRI, non-events",
        &n.non_events,
        boot.map(|i| i.non_events),
    );
}
