//! Backward stepwise elimination by likelihood ratio (SPSS `METHOD=BSTEP(LR)`), the paper's
//! two-stage selection of the clinical-factor (CF) model (a univariable screen at p < 0.1, then
//! backward stepwise on the survivors with removal at p > 0.10), and rms's fast approximate
//! backward elimination on Wald statistics ([`fast_backward`]).

mod fast_backward;

pub use fast_backward::{FastBackward, FastBackwardStep, FastElimination, StopRule, fast_backward};

use serde::Serialize;

use crate::StatsError;
use crate::logistic::{
    Design, DropTest, FitOptions, LogisticFit, UnivariableFit, drop_tests, fit_logistic, fit_terms,
    term_indices, univariable_fits,
};

/// One elimination: the predictor removed and its likelihood-ratio test at that step.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Step {
    /// The predictor removed.
    pub removed: String,
    /// `2 (l_before - l_after)`.
    pub chi2: f64,
    /// The predictor's number of columns.
    pub df: usize,
    /// `P(chi2_df >= chi2)`, the largest among the predictors in the model, and above `p_remove`.
    pub p: f64,
}

/// The path and end point of a backward elimination.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Stepwise {
    /// The removal threshold used.
    pub p_remove: f64,
    /// Eliminations in order.
    pub steps: Vec<Step>,
    /// Predictors left, in their original order.
    pub final_predictors: Vec<String>,
    /// The model on `final_predictors` (intercept only when none is left).
    pub fit: LogisticFit,
    /// Drop-one LR tests of the final model (all with `p <= p_remove`).
    pub drop_tests: Vec<DropTest>,
}

/// Backward elimination by likelihood ratio from the model on `predictors`: while the model has
/// predictors, compute each one's drop test `2 (l_model - l_model_without_it)`; if the largest
/// p exceeds `p_remove` remove that predictor (the first listed among equal p) and refit, else
/// stop. SPSS's default `p_remove` is 0.10. Every model is fitted on the same subjects.
pub fn backward_stepwise_lr(
    design: &Design,
    y: &[bool],
    predictors: &[&str],
    p_remove: f64,
    opts: &FitOptions,
) -> Result<Stepwise, StatsError> {
    if !(0.0..=1.0).contains(&p_remove) {
        return Err(StatsError::InvalidValue(format!(
            "p_remove = {p_remove} is not in [0, 1]"
        )));
    }
    let mut terms = term_indices(design, predictors)?;
    let mut steps = Vec::new();
    loop {
        let fit = fit_terms(design, y, &terms, opts)?;
        let tests = drop_tests(design, y, &fit, opts)?;
        let worst = tests
            .iter()
            .enumerate()
            .fold(None::<(usize, &DropTest)>, |best, (i, t)| match best {
                Some((_, b)) if b.p >= t.p => best,
                _ => Some((i, t)),
            });
        match worst {
            Some((i, t)) if t.p > p_remove => {
                steps.push(Step {
                    removed: t.name.clone(),
                    chi2: t.chi2,
                    df: t.df,
                    p: t.p,
                });
                terms.remove(i);
            }
            _ => {
                return Ok(Stepwise {
                    p_remove,
                    steps,
                    final_predictors: fit.predictor_names(),
                    fit,
                    drop_tests: tests,
                });
            }
        }
    }
}

/// Which univariable p screens candidates in [`cf_model_selection`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum ScreenTest {
    /// The (joint) Wald p of the candidate's coefficient(s), the p that SPSS prints in
    /// "Variables in the Equation" of a one-predictor model, which is what clinical papers report
    /// as the univariable p. The default.
    Wald,
    /// The likelihood-ratio p of the one-predictor model against the intercept-only model.
    LikelihoodRatio,
}

/// Settings of [`cf_model_selection`]; the default is the paper's procedure.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CfSelection {
    /// Candidates with univariable `p < screen_p` go on (paper: 0.1).
    pub screen_p: f64,
    /// Which univariable p (default Wald, as SPSS reports it).
    pub screen_test: ScreenTest,
    /// Backward elimination removes while `p > p_remove` (paper and SPSS: 0.10).
    pub p_remove: f64,
    /// Newton-Raphson settings for every fit.
    pub fit: FitOptions,
}

impl Default for CfSelection {
    fn default() -> Self {
        Self {
            screen_p: 0.1,
            screen_test: ScreenTest::Wald,
            p_remove: 0.10,
            fit: FitOptions::default(),
        }
    }
}

/// One candidate in the univariable screen: the p that decided, and the decision.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UnivariableScreen {
    /// The candidate.
    pub name: String,
    /// Its univariable chi-square (Wald or LR, per [`ScreenTest`]).
    pub chi2: f64,
    /// Degrees of freedom (the candidate's columns).
    pub df: usize,
    /// Its univariable p.
    pub p: f64,
    /// `p < screen_p`.
    pub kept: bool,
}

/// The record of the two-stage selection.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CfModel {
    /// Every candidate's univariable model and tests.
    pub univariable: Vec<UnivariableFit>,
    /// The screen, candidate by candidate.
    pub screen: Vec<UnivariableScreen>,
    /// Candidates that passed the screen, in their original order.
    pub screened_in: Vec<String>,
    /// Backward elimination on `screened_in`, ending in the final model `stepwise.fit`.
    pub stepwise: Stepwise,
}

/// The paper's CF model selection (Sun et al. 2025, "Statistical analysis"): fit each candidate
/// of `design` alone; keep those with univariable p < `screen_p` (Wald or LR p, see
/// [`ScreenTest`]); then [`backward_stepwise_lr`] on the kept ones with `p_remove`.
pub fn cf_model_selection(
    design: &Design,
    y: &[bool],
    selection: &CfSelection,
) -> Result<CfModel, StatsError> {
    let univariable = univariable_fits(design, y, &selection.fit)?;
    let screen: Vec<UnivariableScreen> = univariable
        .iter()
        .map(|u| {
            let t = match selection.screen_test {
                ScreenTest::Wald => u.wald,
                ScreenTest::LikelihoodRatio => u.lr,
            };
            UnivariableScreen {
                name: u.name.clone(),
                chi2: t.chi2,
                df: t.df,
                p: t.p,
                kept: t.p < selection.screen_p,
            }
        })
        .collect();
    let screened_in: Vec<String> = screen
        .iter()
        .filter(|s| s.kept)
        .map(|s| s.name.clone())
        .collect();
    let names: Vec<&str> = screened_in.iter().map(String::as_str).collect();
    let stepwise = backward_stepwise_lr(design, y, &names, selection.p_remove, &selection.fit)?;
    Ok(CfModel {
        univariable,
        screen,
        screened_in,
        stepwise,
    })
}

/// What [`logistic_analysis`] does besides fitting every predictor.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AnalysisOptions {
    /// The univariable screen first: keep candidates with p < this (the paper: 0.1), by
    /// `screen_test`.
    pub screen: Option<(f64, ScreenTest)>,
    /// Backward stepwise elimination by LR, removing while p > this (SPSS: 0.10).
    pub backward: Option<f64>,
    /// Newton-Raphson settings of every fit.
    pub fit: FitOptions,
}

/// A logistic model as `livermet stats logistic` reports it: the final fit (flattened: n,
/// coefficients, likelihoods, AIC/BIC, ...), its drop-one LR tests and, when asked for, the
/// selection that led to it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LogisticAnalysis {
    #[serde(flatten)]
    pub fit: LogisticFit,
    pub drop_tests: Vec<DropTest>,
    /// The eliminations (with backward elimination only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub steps: Option<Vec<Step>>,
    /// The predictors left (with backward elimination only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub final_predictors: Option<Vec<String>>,
    /// The univariable screen (with the screen only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub screen: Option<Vec<UnivariableScreen>>,
    /// What was asked for.
    #[serde(skip)]
    pub options: AnalysisOptions,
}

/// The logistic model of `y` on the predictors `names` of `design`: all of them; or, with
/// `backward`, what backward elimination keeps; or, with `screen`, the screen's survivors
/// (eliminated further with `backward`), as [`cf_model_selection`] does.
pub fn logistic_analysis(
    design: &Design,
    y: &[bool],
    names: &[&str],
    opts: &AnalysisOptions,
) -> Result<LogisticAnalysis, StatsError> {
    let with_steps = |s: Stepwise, screen| LogisticAnalysis {
        steps: opts.backward.map(|_| s.steps),
        final_predictors: opts.backward.map(|_| s.final_predictors),
        fit: s.fit,
        drop_tests: s.drop_tests,
        screen,
        options: *opts,
    };
    if let Some((screen_p, screen_test)) = opts.screen {
        let selection = CfSelection {
            screen_p,
            screen_test,
            // Without elimination the screen's survivors are fitted as they are.
            p_remove: opts.backward.unwrap_or(1.0),
            fit: opts.fit,
        };
        let cf = cf_model_selection(design, y, &selection)?;
        return Ok(with_steps(cf.stepwise, Some(cf.screen)));
    }
    if let Some(p_remove) = opts.backward {
        let s = backward_stepwise_lr(design, y, names, p_remove, &opts.fit)?;
        return Ok(with_steps(s, None));
    }
    let fit = fit_logistic(design, y, &opts.fit)?;
    let drop_tests = drop_tests(design, y, &fit, &opts.fit)?;
    Ok(LogisticAnalysis {
        fit,
        drop_tests,
        steps: None,
        final_predictors: None,
        screen: None,
        options: *opts,
    })
}

impl LogisticAnalysis {
    /// The analysis as text (what `livermet stats logistic` prints below its header): the
    /// screen and the eliminations if any, the coefficients with odds ratios, the likelihoods
    /// and the drop-one tests.
    pub fn text(&self) -> String {
        use std::fmt::Write as _;
        let f = &self.fit;
        let mut out = String::new();
        if let Some(screen) = &self.screen {
            writeln!(
                out,
                "\nUnivariable screen (keep p < {}, {} p):",
                self.options.screen.map_or(0.1, |(p, _)| p),
                match self.options.screen {
                    Some((_, ScreenTest::LikelihoodRatio)) => "lr",
                    _ => "wald",
                }
            )
            .ok();
            for s in screen {
                let kept = if s.kept { "kept" } else { "out" };
                writeln!(out, "  {:<24} p = {:<12.4e} {kept}", s.name, s.p).ok();
            }
        }
        if let Some(steps) = &self.steps {
            writeln!(
                out,
                "\nBackward elimination by likelihood ratio (remove while p > {}):",
                self.options.backward.unwrap_or(1.0)
            )
            .ok();
            if steps.is_empty() {
                writeln!(out, "  nothing removed").ok();
            }
            for (i, s) in steps.iter().enumerate() {
                writeln!(
                    out,
                    "  step {}: removed {:<20} chi2 = {:.4} (df {}), p = {:.4}",
                    i + 1,
                    s.removed,
                    s.chi2,
                    s.df,
                    s.p
                )
                .ok();
            }
            writeln!(
                out,
                "  final predictors: {}",
                f.predictor_names().join(", ")
            )
            .ok();
        }
        writeln!(
            out,
            "\n{:<26} {:>10} {:>9} {:>8} {:>10} {:>10} {:>21}",
            "coefficient", "b", "SE", "z", "p", "OR", "OR 95% CI"
        )
        .ok();
        for c in &f.coefficients {
            writeln!(
                out,
                "{:<26} {:>10.4} {:>9.4} {:>8.3} {:>10.4e} {:>10.4} {:>10.4}-{:<10.4}",
                c.name, c.coef, c.se, c.z, c.p, c.odds_ratio, c.or_ci_low, c.or_ci_high
            )
            .ok();
        }
        writeln!(
        out,
        "\nlog-likelihood {:.4} (null {:.4}); LR chi2 = {:.4} (df {}), p = {:.4e}; AIC {:.3}, BIC {:.3}",
        f.log_likelihood, f.null_log_likelihood, f.lr_chi2, f.lr_df, f.lr_p, f.aic, f.bic
    ).ok();
        if !self.drop_tests.is_empty() {
            writeln!(out, "\nLikelihood-ratio test for dropping each predictor:").ok();
            for t in &self.drop_tests {
                writeln!(
                    out,
                    "  {:<24} chi2 = {:<10.4} df {}  p = {:.4e}",
                    t.name, t.chi2, t.df, t.p
                )
                .ok();
            }
        }
        out
    }
}

/// A candidate left out before the screen: it has no univariable model on these subjects.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ExcludedCandidate {
    /// The candidate.
    pub name: String,
    /// Why its univariable model does not exist (constant, separation, ...).
    pub reason: String,
}

/// The CF selection of [`cf_model_with_exclusions`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CfFitted {
    /// Candidates left out before the screen, in their original order.
    pub excluded: Vec<ExcludedCandidate>,
    /// The selection on the other candidates.
    pub model: CfModel,
}

/// The CF procedure as the study applies it to a set of training patients: a candidate whose
/// univariable model cannot be fitted on these subjects (a constant value, or complete
/// separation: small folds and bootstrap resamples can make either) is excluded and recorded;
/// [`cf_model_selection`] runs on the others.
pub fn cf_model_with_exclusions(
    design: &Design,
    y: &[bool],
    selection: &CfSelection,
) -> Result<CfFitted, StatsError> {
    let mut kept = Vec::new();
    let mut excluded = Vec::new();
    for (t, term) in design.terms().iter().enumerate() {
        match univariable_fits(&design.select_terms(&[t]), y, &selection.fit) {
            Ok(_) => kept.push(t),
            Err(e) => excluded.push(ExcludedCandidate {
                name: term.name.clone(),
                reason: e.to_string(),
            }),
        }
    }
    let model = cf_model_selection(&design.select_terms(&kept), y, selection)?;
    Ok(CfFitted { excluded, model })
}
