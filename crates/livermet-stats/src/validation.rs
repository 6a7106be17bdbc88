//! Internal validation by the bootstrap: Harrell's optimism correction (Harrell, Lee & Mark 1996,
//! Stat Med 15:361; Efron & Tibshirani 1993, ch. 17; Steyerberg, *Clinical Prediction Models*,
//! 2nd ed., ch. 17), with the whole model-building procedure, variable selection included,
//! repeated in every resample, as R's `rms::validate` does.
//!
//! 1. Apparent performance: the procedure on the original data, evaluated on the same data.
//! 2. In each resample b: the procedure on the resample; its performance on the resample
//!    ("training") and on the original data ("test"); optimism_b = training_b - test_b.
//! 3. Optimism = mean of optimism_b; corrected = apparent - optimism. The Monte-Carlo standard
//!    error of the optimism is SD(optimism_b) / sqrt(B).
//!
//! Indexes, as `rms::validate.lrm` computes them from the linear predictor `lp` (log odds):
//! AUC (ties 1/2) and Somers' `Dxy = 2 (AUC - 0.5)`; the calibration intercept and slope of the
//! logistic refit `logit P(y) = a + b lp` (exactly 0 and 1 on the data the model was fitted on,
//! so training and apparent values are those); Brier `mean (y - expit(lp))^2`.
//! An intercept-only model has a constant `lp`: its slope is not estimable and is set to 1 (as
//! rms), and its intercept is the recalibration intercept with slope 1, `logit(mean y) - lp`
//! (rms takes `logit(mean y)` without subtracting `lp`).
//!
//! A resample in which the procedure fails (separation, a singular design) is left out, counted
//! and named; rms leaves out the resamples whose fits fail too, but fits separated data that
//! livermet refuses (`crate::logistic`), so the two can leave out different resamples.
//! Resamples run in parallel; each one's numbers depend only on its own draws, and the means are
//! taken in resample order, so the table is the same for a seed whatever the threads.

use std::fmt::Write;

use rayon::prelude::*;
use serde::Serialize;

use crate::StatsError;
use crate::bootstrap::{ResampleScheme, Resamples};
use crate::calibration::brier_score;
use crate::logistic::{Design, FitOptions, LogisticFit, fit_logistic, fit_logistic_with};
use crate::roc::auc;
use crate::stepwise::{CfSelection, FastBackward, cf_model_with_exclusions, fast_backward};

/// The model-building procedure that the bootstrap repeats.
#[derive(Debug, Clone, PartialEq)]
pub enum Procedure {
    /// The paper's CF procedure as the study fits it ([`cf_model_with_exclusions`]): candidates
    /// with no univariable model excluded, univariable screen, backward LR elimination.
    Cf(CfSelection),
    /// rms's `validate(fit, bw = TRUE, rule = "p", sls)`: the full model, fast backward
    /// elimination on its Wald statistics ([`fast_backward`]), then the refit on the kept
    /// predictors.
    FastBackward {
        elimination: FastBackward,
        fit: FitOptions,
    },
    /// Every predictor, no selection.
    Full(FitOptions),
}

impl Procedure {
    /// The names [`Procedure::named`] takes.
    pub const NAMES: [&'static str; 3] = ["cf", "fastbw", "full"];

    /// `cf` (the paper's, with its defaults), `fastbw` (rms's fast backward elimination) or
    /// `full`, with the default fit options; `None` for another name.
    pub fn named(name: &str) -> Option<Self> {
        Some(match name {
            "cf" => Self::Cf(CfSelection::default()),
            "fastbw" => Self::FastBackward {
                elimination: FastBackward::default(),
                fit: FitOptions::default(),
            },
            "full" => Self::Full(FitOptions::default()),
            _ => return None,
        })
    }

    /// The final model of the procedure on `design`, `y`.
    fn fit(&self, design: &Design, y: &[bool]) -> Result<LogisticFit, StatsError> {
        match self {
            Self::Cf(selection) => Ok(cf_model_with_exclusions(design, y, selection)?
                .model
                .stepwise
                .fit),
            Self::FastBackward { elimination, fit } => {
                let full = fit_logistic(design, y, fit)?;
                let kept = fast_backward(&full, elimination)?.kept;
                let names: Vec<&str> = kept.iter().map(String::as_str).collect();
                fit_logistic_with(design, y, &names, fit)
            }
            Self::Full(fit) => fit_logistic(design, y, fit),
        }
    }

    fn options(&self) -> &FitOptions {
        match self {
            Self::Cf(s) => &s.fit,
            Self::FastBackward { fit, .. } | Self::Full(fit) => fit,
        }
    }
}

/// The performance indexes of one linear predictor against outcomes.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Indexes {
    pub auc: f64,
    pub dxy: f64,
    pub intercept: f64,
    pub slope: f64,
    pub brier: f64,
}

impl Indexes {
    fn as_array(&self) -> [f64; 5] {
        [self.auc, self.dxy, self.intercept, self.slope, self.brier]
    }

    /// On the data the model was fitted on: intercept 0 and slope 1 by the likelihood equations.
    fn on_training(lp: &[f64], y: &[bool]) -> Result<Self, StatsError> {
        let (a, brier) = discrimination(lp, y)?;
        Ok(Indexes {
            auc: a,
            dxy: 2.0 * (a - 0.5),
            intercept: 0.0,
            slope: 1.0,
            brier,
        })
    }

    /// On other data: the calibration refit of `y` on `lp`.
    fn on_test(lp: &[f64], y: &[bool], opts: &FitOptions) -> Result<Self, StatsError> {
        let (a, brier) = discrimination(lp, y)?;
        let (intercept, slope) = if lp.iter().all(|&v| v == lp[0]) {
            let rate = y.iter().filter(|&&v| v).count() as f64 / y.len() as f64;
            ((rate / (1.0 - rate)).ln() - lp[0], 1.0)
        } else {
            let mut d = Design::new(y.len());
            d.add_numeric("lp", lp)?;
            let fit = fit_logistic(&d, y, opts)?;
            (fit.coefficients[0].coef, fit.coefficients[1].coef)
        };
        Ok(Indexes {
            auc: a,
            dxy: 2.0 * (a - 0.5),
            intercept,
            slope,
            brier,
        })
    }
}

fn discrimination(lp: &[f64], y: &[bool]) -> Result<(f64, f64), StatsError> {
    let p: Vec<f64> = lp.iter().map(|&e| 1.0 / (1.0 + (-e).exp())).collect();
    Ok((auc(lp, y)?, brier_score(&p, y)?))
}

/// One index through the optimism correction.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct OptimismRow {
    /// On the original data, by the model built on it.
    pub apparent: f64,
    /// Mean over resamples of the resample model on its resample.
    pub training: f64,
    /// Mean over resamples of the resample model on the original data.
    pub test: f64,
    /// `training - test`.
    pub optimism: f64,
    /// `apparent - optimism`.
    pub corrected: f64,
    /// Monte-Carlo SE of `optimism`: SD of the per-resample optimism / sqrt(resamples used).
    pub optimism_se: f64,
}

/// How often a candidate was in a resample's final model.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SelectionCount {
    pub name: String,
    /// Resamples (of those used) whose final model holds it.
    pub selected: usize,
}

/// A resample left out.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ResampleFailure {
    /// 0-based resample number.
    pub resample: usize,
    pub error: String,
}

/// The optimism-corrected performance of a model-building procedure.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OptimismTable {
    /// How the resamples were drawn.
    pub scheme: ResampleScheme,
    /// Resamples drawn (B).
    pub resamples: usize,
    /// Resamples used (B less the failed ones).
    pub used: usize,
    /// The failed resamples.
    pub failures: Vec<ResampleFailure>,
    /// Seed of drawn resamples.
    pub seed: Option<u64>,
    /// Predictors of the model built on the original data.
    pub apparent_model: Vec<String>,
    /// For each candidate, how many resample models held it.
    pub selection: Vec<SelectionCount>,
    pub auc: OptimismRow,
    /// Somers' Dxy = 2 (AUC - 0.5).
    pub dxy: OptimismRow,
    /// Calibration intercept of `logit P(y) = a + b lp`.
    pub calibration_intercept: OptimismRow,
    /// Calibration slope `b`.
    pub calibration_slope: OptimismRow,
    pub brier: OptimismRow,
}

impl OptimismTable {
    /// The table as text (what `livermet stats optimism` prints under its title): the model on
    /// all subjects, each index apparent / training / test / optimism / corrected with the
    /// Monte Carlo SE of the optimism, and how often each candidate was selected.
    pub fn text(&self) -> String {
        let mut out = String::new();
        let model = self.apparent_model.join(", ");
        let model = if model.is_empty() {
            "intercept only"
        } else {
            &model
        };
        let _ = writeln!(out, "Model on all subjects: {model}");
        let _ = writeln!(
            out,
            "\n  {:<22} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9}",
            "index", "apparent", "training", "test", "optimism", "corrected", "MC SE"
        );
        for (name, r) in [
            ("AUC", &self.auc),
            ("Somers' Dxy", &self.dxy),
            ("calibration intercept", &self.calibration_intercept),
            ("calibration slope", &self.calibration_slope),
            ("Brier score", &self.brier),
        ] {
            let _ = writeln!(
                out,
                "  {name:<22} {:>9.4} {:>9.4} {:>9.4} {:>9.4} {:>9.4} {:>9.4}",
                r.apparent, r.training, r.test, r.optimism, r.corrected, r.optimism_se
            );
        }
        out.push_str("\n  selected in resamples:\n");
        for s in &self.selection {
            let _ = writeln!(out, "    {:<20} {:>5} of {}", s.name, s.selected, self.used);
        }
        out
    }
}

/// Harrell's bootstrap optimism correction of `procedure` on the candidates of `design` and
/// outcomes `y`, over `resamples` (rms uses simple resamples, [`Resamples::Simple`]).
pub fn bootstrap_validate(
    design: &Design,
    y: &[bool],
    procedure: &Procedure,
    resamples: &Resamples,
) -> Result<OptimismTable, StatsError> {
    if y.len() != design.n() {
        return Err(StatsError::LengthMismatch {
            what: "outcome".into(),
            expected: design.n(),
            got: y.len(),
        });
    }
    resamples.check(y.len())?;
    let opts = procedure.options();
    let original = procedure.fit(design, y)?;
    let apparent = Indexes::on_training(&original.linear_predictor(design)?, y)?;

    type Outcome = Result<(Indexes, Indexes, Vec<String>), StatsError>;
    let outcomes: Vec<Outcome> = (0..resamples.count())
        .into_par_iter()
        .map(|b| {
            let idx = resamples.draw(b, y);
            let (d, yb) = (
                design.rows(&idx),
                idx.iter().map(|&i| y[i]).collect::<Vec<_>>(),
            );
            let model = procedure.fit(&d, &yb)?;
            let training = Indexes::on_training(&model.linear_predictor(&d)?, &yb)?;
            let test = Indexes::on_test(&model.linear_predictor(design)?, y, opts)?;
            Ok((training, test, model.predictor_names()))
        })
        .collect();

    let mut failures = Vec::new();
    let mut used = Vec::new();
    for (b, o) in outcomes.into_iter().enumerate() {
        match o {
            Ok(v) => used.push(v),
            Err(e) => failures.push(ResampleFailure {
                resample: b,
                error: e.to_string(),
            }),
        }
    }
    if used.len() < 2 {
        return Err(StatsError::InsufficientData(format!(
            "the procedure failed in {} of {} resamples (first: {})",
            failures.len(),
            resamples.count(),
            failures.first().map_or("", |f| f.error.as_str())
        )));
    }
    let n = used.len() as f64;
    let app = apparent.as_array();
    let rows: Vec<OptimismRow> = (0..5)
        .map(|k| {
            let train: Vec<f64> = used.iter().map(|u| u.0.as_array()[k]).collect();
            let test: Vec<f64> = used.iter().map(|u| u.1.as_array()[k]).collect();
            let opt: Vec<f64> = train.iter().zip(&test).map(|(a, b)| a - b).collect();
            let mean = |v: &[f64]| v.iter().sum::<f64>() / n;
            let m = mean(&opt);
            let sd = (opt.iter().map(|o| (o - m).powi(2)).sum::<f64>() / (n - 1.0)).sqrt();
            OptimismRow {
                apparent: app[k],
                training: mean(&train),
                test: mean(&test),
                optimism: m,
                corrected: app[k] - m,
                optimism_se: sd / n.sqrt(),
            }
        })
        .collect();
    let selection = design
        .terms()
        .iter()
        .map(|t| SelectionCount {
            name: t.name.clone(),
            selected: used.iter().filter(|u| u.2.contains(&t.name)).count(),
        })
        .collect();
    Ok(OptimismTable {
        scheme: resamples.scheme(),
        resamples: resamples.count(),
        used: used.len(),
        failures,
        seed: resamples.seed(),
        apparent_model: original.predictor_names(),
        selection,
        auc: rows[0],
        dxy: rows[1],
        calibration_intercept: rows[2],
        calibration_slope: rows[3],
        brier: rows[4],
    })
}

/// The paper's CF procedure ([`CfSelection::default`]) validated on `resamples` simple resamples
/// drawn with `seed`: the call the study makes for its CF model.
pub fn bootstrap_validate_cf(
    design: &Design,
    y: &[bool],
    resamples: usize,
    seed: u64,
) -> Result<OptimismTable, StatsError> {
    bootstrap_validate(
        design,
        y,
        &Procedure::Cf(CfSelection::default()),
        &Resamples::Simple {
            count: resamples,
            seed,
        },
    )
}
