//! `livermet stats logistic`: a logistic regression of a 0/1 outcome on CSV columns, with
//! drop-one likelihood-ratio tests, and optionally the paper's univariable screen and backward
//! stepwise elimination by likelihood ratio (`livermet_stats::stepwise`).

use std::process::ExitCode;

use anyhow::Context;
use livermet_stats::logistic::FitOptions;
use livermet_stats::stepwise::{AnalysisOptions, LogisticAnalysis, ScreenTest, logistic_analysis};
use livermet_stats::table::{DesignRows, Table};

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
    #[command(flatten)]
    pub subjects: super::Subjects,
    /// Predictor columns, comma-separated (default: every column but the outcome). Rows with a
    /// missing predictor value are dropped and counted.
    #[arg(long, value_delimiter = ',')]
    pub predictors: Vec<String>,
    /// Categorical predictors as NAME or NAME:REFERENCE (comma-separated or repeated); the
    /// default reference is the first level in sorted order. Coefficients are named NAME[LEVEL].
    #[arg(long, value_delimiter = ',')]
    pub categorical: Vec<String>,
}

/// The design of the predictors and the outcome on the rows where every predictor is present
/// (`Table::design`); the dropped rows are noted on stderr.
pub(super) fn read_design(args: &DesignArgs) -> anyhow::Result<DesignRows> {
    let d = Table::read(&args.subjects.data)?.design(
        &args.subjects.outcome,
        &args.predictors,
        &args.categorical,
    )?;
    super::note_dropped(d.dropped, d.y.len(), &args.subjects.data, "a predictor");
    Ok(d)
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
            args.design.subjects.data.display(),
            args.design.subjects.outcome
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
        args.design.subjects.outcome,
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
