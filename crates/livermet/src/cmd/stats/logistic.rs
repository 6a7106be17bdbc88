//! `livermet stats logistic`: a logistic regression of a 0/1 outcome on CSV columns, with
//! drop-one likelihood-ratio tests, and optionally the paper's univariable screen and backward
//! stepwise elimination by likelihood ratio (`livermet_stats::stepwise`).

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, bail};
use livermet_stats::logistic::{Design, FitOptions};
use livermet_stats::stepwise::{AnalysisOptions, LogisticAnalysis, ScreenTest, logistic_analysis};

use livermet_stats::table::Table;

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
    let table = Table::read(&args.data)?;
    let predictors: Vec<String> = if args.predictors.is_empty() {
        table
            .headers
            .iter()
            .filter(|h| **h != args.outcome)
            .cloned()
            .collect()
    } else {
        args.predictors.clone()
    };
    if predictors.is_empty() {
        bail!(
            "{}: no predictor columns besides the outcome",
            args.data.display()
        );
    }
    let mut categorical = Vec::new();
    for spec in &args.categorical {
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
    let d = table.design(&args.outcome, &predictors, &categorical)?;
    super::note_dropped(d.dropped, d.y.len(), &args.data, "a predictor");
    Ok(Data {
        design: d.design,
        y: d.y,
        predictors,
        dropped: d.dropped,
    })
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let data = read_design(&args.design)?;
    let opts = AnalysisOptions {
        screen: args.screen.map(|p| {
            let test = if args.screen_test == "lr" {
                ScreenTest::LikelihoodRatio
            } else {
                ScreenTest::Wald
            };
            (p, test)
        }),
        backward: args.backward.then_some(args.p_remove),
        fit: FitOptions {
            max_iterations: args.max_iter,
            ..FitOptions::default()
        },
    };
    let names: Vec<&str> = data.predictors.iter().map(String::as_str).collect();
    let out = logistic_analysis(&data.design, &data.y, &names, &opts).with_context(|| {
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
        super::print_json(&out, data.dropped)?;
    } else {
        print_table(&args, &out, data.dropped);
    }
    Ok(ExitCode::SUCCESS)
}

fn print_table(args: &Args, out: &LogisticAnalysis, dropped: usize) {
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
    print!("{}", out.text());
}
