//! `livermet stats logistic`: a logistic regression of a 0/1 outcome on CSV columns, with
//! drop-one likelihood-ratio tests, and optionally the paper's univariable screen and backward
//! stepwise elimination by likelihood ratio (`livermet_stats::stepwise`).

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, bail};
use livermet_stats::logistic::{
    Design, DropTest, FitOptions, LogisticFit, drop_tests, fit_logistic,
};
use livermet_stats::stepwise::{
    CfSelection, ScreenTest, Step, UnivariableScreen, backward_stepwise_lr, cf_model_selection,
};
use serde_json::{Value, json};

use super::data::Table;

/// Logistic regression (maximum likelihood, Newton-Raphson) with Wald and LR inference.
#[derive(clap::Args, Debug)]
#[command(
    after_help = "Example: livermet stats logistic clinical.csv --outcome slm \
    --predictors sex,age,distance_cm,cea_high,ca199_high --categorical sex:M \
    --screen 0.1 --backward --p-remove 0.10 --json"
)]
pub struct Args {
    #[command(flatten)]
    pub design: DesignArgs,
    /// Backward stepwise elimination by likelihood ratio.
    #[arg(long)]
    pub backward: bool,
    /// Remove the predictor with the largest LR-test p while it exceeds this (SPSS: 0.10).
    #[arg(long, default_value_t = 0.10)]
    pub p_remove: f64,
    /// Univariable screen first: keep candidates with univariable p < this (the paper: 0.1).
    #[arg(long, value_name = "P")]
    pub screen: Option<f64>,
    /// Which univariable p screens: `wald` (as SPSS prints it) or `lr`.
    #[arg(long, default_value = "wald", value_parser = ["wald", "lr"])]
    pub screen_test: String,
    /// Newton-Raphson iteration cap.
    #[arg(long, default_value_t = 50)]
    pub max_iter: usize,
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// The data of a logistic model: the CSV, its outcome and its predictors.
#[derive(clap::Args, Debug)]
pub struct DesignArgs {
    /// CSV with a header row, one subject per row.
    pub data: PathBuf,
    /// The 0/1 outcome column (1 = event); a missing or other value is an error.
    #[arg(long)]
    pub outcome: String,
    /// Predictor columns, comma-separated (default: every column but the outcome). Rows with a
    /// missing predictor value are dropped and counted.
    #[arg(long, value_delimiter = ',')]
    pub predictors: Vec<String>,
    /// Categorical predictors as NAME or NAME:REFERENCE (comma-separated or repeated); the
    /// default reference is the first level in sorted order. Coefficients are named NAME[LEVEL].
    #[arg(long, value_delimiter = ',')]
    pub categorical: Vec<String>,
}

/// The design and outcome of the complete rows, and how many rows were dropped.
pub(super) struct Data {
    pub design: Design,
    pub y: Vec<bool>,
    pub predictors: Vec<String>,
    pub dropped: usize,
}

/// The design of the predictors (every column but the outcome when none is named) and the
/// outcome, on the rows where every predictor is present.
pub(super) fn read_design(args: &DesignArgs) -> anyhow::Result<Data> {
    let DesignArgs {
        data,
        outcome,
        predictors,
        categorical: categorical_specs,
    } = args;
    let table = Table::read(data)?;
    let oc = table.column(outcome)?;
    table.require_outcome(oc)?;
    let predictors: Vec<String> = if predictors.is_empty() {
        table
            .headers
            .iter()
            .filter(|h| *h != outcome)
            .cloned()
            .collect()
    } else {
        predictors.to_vec()
    };
    if predictors.is_empty() {
        bail!(
            "{}: no predictor columns besides the outcome",
            data.display()
        );
    }
    let mut categorical = Vec::new();
    for spec in categorical_specs {
        let (name, reference) = match spec.split_once(':') {
            Some((n, r)) => (n, Some(r)),
            None => (spec.as_str(), None),
        };
        if !predictors.iter().any(|p| p == name) {
            bail!(
                "--categorical `{name}` is not among the predictors ({})",
                predictors.join(", ")
            );
        }
        categorical.push((name.to_string(), reference.map(str::to_string)));
    }
    let cols = predictors
        .iter()
        .map(|p| table.column(p))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let rows = table.complete_rows(&cols);
    let dropped = table.rows.len() - rows.len();
    if dropped > 0 {
        eprintln!(
            "note: {dropped} of {} rows of {} dropped: a predictor value is missing",
            table.rows.len(),
            data.display()
        );
    }
    let y = table.outcome(oc, &rows)?;
    let mut design = Design::new(rows.len());
    for (p, &c) in predictors.iter().zip(&cols) {
        let what = || format!("{}: predictor `{p}`", data.display());
        if let Some((_, reference)) = categorical.iter().find(|(n, _)| n == p) {
            let levels: Vec<&str> = rows.iter().map(|&r| table.rows[r][c].as_str()).collect();
            design
                .add_categorical(p, &levels, reference.as_deref())
                .with_context(what)?;
        } else {
            let v = table.numbers(c, &rows).map_err(|e| {
                anyhow::anyhow!("{e:#} (if `{p}` is a text column, add --categorical {p})")
            })?;
            design.add_numeric(p, &v).with_context(what)?;
        }
    }
    Ok(Data {
        design,
        y,
        predictors,
        dropped,
    })
}

/// The final model, its drop tests and (with --backward / --screen) the selection record.
struct Outcome {
    fit: LogisticFit,
    drop_tests: Vec<DropTest>,
    steps: Option<Vec<Step>>,
    screen: Option<Vec<UnivariableScreen>>,
}

fn analyse(args: &Args, data: &Data) -> anyhow::Result<Outcome> {
    let opts = FitOptions {
        max_iterations: args.max_iter,
        ..FitOptions::default()
    };
    let names: Vec<&str> = data.predictors.iter().map(String::as_str).collect();
    let (d, y) = (&data.design, &data.y);
    if let Some(screen_p) = args.screen {
        let selection = CfSelection {
            screen_p,
            screen_test: if args.screen_test == "lr" {
                ScreenTest::LikelihoodRatio
            } else {
                ScreenTest::Wald
            },
            // Without --backward the screen's survivors are fitted as they are.
            p_remove: if args.backward { args.p_remove } else { 1.0 },
            fit: opts,
        };
        let cf = cf_model_selection(d, y, &selection)?;
        let (screen, s) = (cf.screen, cf.stepwise);
        return Ok(Outcome {
            fit: s.fit,
            drop_tests: s.drop_tests,
            steps: args.backward.then_some(s.steps),
            screen: Some(screen),
        });
    }
    if args.backward {
        let s = backward_stepwise_lr(d, y, &names, args.p_remove, &opts)?;
        return Ok(Outcome {
            fit: s.fit,
            drop_tests: s.drop_tests,
            steps: Some(s.steps),
            screen: None,
        });
    }
    let fit = fit_logistic(d, y, &opts)?;
    let drop_tests = drop_tests(d, y, &fit, &opts)?;
    Ok(Outcome {
        fit,
        drop_tests,
        steps: None,
        screen: None,
    })
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let data = read_design(&args.design)?;
    let out = analyse(&args, &data).with_context(|| {
        format!(
            "{}: logistic model of `{}`",
            args.design.data.display(),
            args.design.outcome
        )
    })?;
    if !out.fit.converged {
        eprintln!(
            "warning: Newton-Raphson did not converge in {} iterations (tolerance {:e}); raise \
             --max-iter",
            out.fit.iterations, out.fit.tolerance
        );
    }
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&to_json(&out, data.dropped))?
        );
    } else {
        print_table(&args, &out, data.dropped);
    }
    Ok(ExitCode::SUCCESS)
}

fn to_json(out: &Outcome, dropped: usize) -> Value {
    let f = &out.fit;
    let mut v = json!({
        "n": f.n,
        "events": f.events,
        "dropped_rows": dropped,
        "converged": f.converged,
        "iterations": f.iterations,
        "max_iterations": f.max_iterations,
        "tolerance": f.tolerance,
        "coefficients": f.coefficients,
        "log_likelihood": f.log_likelihood,
        "null_log_likelihood": f.null_log_likelihood,
        "lr_chi2": f.lr_chi2,
        "lr_df": f.lr_df,
        "lr_p": f.lr_p,
        "aic": f.aic,
        "bic": f.bic,
        "drop_tests": out.drop_tests,
    });
    if let Some(steps) = &out.steps {
        v["steps"] = json!(steps);
        v["final_predictors"] = json!(f.predictor_names());
    }
    if let Some(screen) = &out.screen {
        v["screen"] = json!(screen);
    }
    v
}

fn print_table(args: &Args, out: &Outcome, dropped: usize) {
    let f = &out.fit;
    println!(
        "Logistic regression of `{}`: n = {} ({} events, {} rows dropped), {} in {} iterations",
        args.design.outcome,
        f.n,
        f.events,
        dropped,
        if f.converged {
            "converged"
        } else {
            "NOT converged"
        },
        f.iterations
    );
    if let Some(screen) = &out.screen {
        println!(
            "\nUnivariable screen (keep p < {}, {} p):",
            args.screen.unwrap_or(0.1),
            args.screen_test
        );
        for s in screen {
            let kept = if s.kept { "kept" } else { "out" };
            println!("  {:<24} p = {:<12.4e} {kept}", s.name, s.p);
        }
    }
    if let Some(steps) = &out.steps {
        println!(
            "\nBackward elimination by likelihood ratio (remove while p > {}):",
            args.p_remove
        );
        if steps.is_empty() {
            println!("  nothing removed");
        }
        for (i, s) in steps.iter().enumerate() {
            println!(
                "  step {}: removed {:<20} chi2 = {:.4} (df {}), p = {:.4}",
                i + 1,
                s.removed,
                s.chi2,
                s.df,
                s.p
            );
        }
        println!("  final predictors: {}", f.predictor_names().join(", "));
    }
    println!(
        "\n{:<26} {:>10} {:>9} {:>8} {:>10} {:>10} {:>21}",
        "coefficient", "b", "SE", "z", "p", "OR", "OR 95% CI"
    );
    for c in &f.coefficients {
        println!(
            "{:<26} {:>10.4} {:>9.4} {:>8.3} {:>10.4e} {:>10.4} {:>10.4}-{:<10.4}",
            c.name, c.coef, c.se, c.z, c.p, c.odds_ratio, c.or_ci_low, c.or_ci_high
        );
    }
    println!(
        "\nlog-likelihood {:.4} (null {:.4}); LR chi2 = {:.4} (df {}), p = {:.4e}; AIC {:.3}, BIC {:.3}",
        f.log_likelihood, f.null_log_likelihood, f.lr_chi2, f.lr_df, f.lr_p, f.aic, f.bic
    );
    if !out.drop_tests.is_empty() {
        println!("\nLikelihood-ratio test for dropping each predictor:");
        for t in &out.drop_tests {
            println!(
                "  {:<24} chi2 = {:<10.4} df {}  p = {:.4e}",
                t.name, t.chi2, t.df, t.p
            );
        }
    }
}
