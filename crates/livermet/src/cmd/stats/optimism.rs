//! `livermet stats optimism`: internal validation of a logistic model-building procedure by the
//! bootstrap (Harrell's optimism correction, `livermet_stats::validation`): apparent, optimism
//! and corrected AUC, Somers' Dxy, calibration intercept and slope, Brier score.

use std::process::ExitCode;

use anyhow::Context;
use livermet_stats::bootstrap::Resamples;
use livermet_stats::validation::{OptimismTable, Procedure, bootstrap_validate};
use serde::Serialize;

use super::logistic::{DesignArgs, read_design};

/// Bootstrap optimism correction of a model built from CSV columns.
#[derive(clap::Args, Debug)]
#[command(
    after_help = "Example: livermet stats optimism clinical.csv --outcome slm \
    --predictors sex,age,distance_cm,cea_high,ca199_high --procedure cf \
    --resamples 500 --seed 1 --json"
)]
pub struct Args {
    /// The data; the predictors are the candidates of the procedure.
    #[command(flatten)]
    pub design: DesignArgs,
    /// The procedure repeated in every resample: `cf` (the paper's: univariable Wald p < 0.1
    /// screen, backward LR elimination with removal p > 0.10), `fastbw` (rms's validate with
    /// bw = TRUE, rule = "p", sls = 0.1: fast backward elimination on Wald statistics) or
    /// `full` (every predictor, no selection).
    #[arg(long, default_value = "cf", value_parser = Procedure::NAMES)]
    pub procedure: String,
    /// Bootstrap resamples (simple, with replacement, as rms).
    #[arg(long, default_value_t = 500)]
    pub resamples: usize,
    /// Seed of the resampling.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// The `--json` output: the library's table as it serialises.
#[derive(Serialize)]
struct Report<'a> {
    procedure: &'a str,
    dropped_rows: usize,
    validation: &'a OptimismTable,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let data = read_design(&args.design)?;
    let procedure = Procedure::named(&args.procedure).expect("clap checks the name");
    let draws = Resamples::Simple {
        count: args.resamples,
        seed: args.seed,
    };
    let bar = crate::cmd::progress::spinner("bootstrap resamples");
    let table =
        bootstrap_validate(&data.design, &data.y, &procedure, &draws).with_context(|| {
            format!(
                "{}: bootstrap validation of the `{}` procedure for `{}`",
                args.design.subjects.data.display(),
                args.procedure,
                args.design.subjects.outcome
            )
        })?;
    bar.finish_and_clear();
    if args.json {
        let report = Report {
            procedure: &args.procedure,
            dropped_rows: data.dropped,
            validation: &table,
        };
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print_table(&args, &table);
    }
    Ok(ExitCode::SUCCESS)
}

fn print_table(args: &Args, t: &OptimismTable) {
    println!(
        "Bootstrap validation of the `{}` procedure for `{}`: {} of {} resamples used (seed {})",
        args.procedure, args.design.subjects.outcome, t.used, t.resamples, args.seed
    );
    print!("{}", t.text());
    for f in &t.failures {
        eprintln!("note: resample {} left out: {}", f.resample, f.error);
    }
}
