//! `livermet stats ...`: one file per subcommand; all read a CSV as `livermet_stats::table::Table`.

pub mod calibration;
pub mod dca;
pub mod logistic;
pub mod nri;
pub mod optimism;
pub mod roc;
pub mod table1;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Subcommand;
use livermet_stats::table::{Scored, Table};
use serde::Serialize;

#[derive(Subcommand, Debug)]
pub enum StatsCommand {
    /// Logistic regression: Wald/LR inference, drop tests, univariable screen, backward stepwise.
    Logistic(logistic::Args),
    /// Calibration: intercept, slope, Brier, binned curve, Hosmer-Lemeshow.
    Calibration(calibration::Args),
    /// ROC: AUC with DeLong CI, paired DeLong tests, bootstrap CI, threshold metrics.
    Roc(roc::Args),
    /// Decision curves: net benefit and net interventions avoided (as dcurves).
    Dca(dca::Args),
    /// Table 1: each variable per group and in total, with the test used named in its row.
    Table1(table1::Args),
    /// Reclassification of a new model against an old one: NRI (category-free and at risk
    /// categories) and IDI, as Hmisc's improveProb, optionally with bootstrap CIs.
    Nri(nri::Args),
    /// Internal validation by the bootstrap (Harrell's optimism correction) of a logistic
    /// model-building procedure, selection repeated in every resample (as rms's validate).
    Optimism(optimism::Args),
}

pub fn run(cmd: StatsCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        StatsCommand::Logistic(a) => logistic::run(a),
        StatsCommand::Calibration(a) => calibration::run(a),
        StatsCommand::Roc(a) => roc::run(a),
        StatsCommand::Dca(a) => dca::run(a),
        StatsCommand::Table1(a) => table1::run(a),
        StatsCommand::Nri(a) => nri::run(a),
        StatsCommand::Optimism(a) => optimism::run(a),
    }
}

/// The subjects table and its outcome, as every command but `table1` takes them.
#[derive(clap::Args, Debug)]
pub struct Subjects {
    /// CSV with a header row, one subject per row.
    pub data: PathBuf,
    /// The 0/1 outcome column (1 = event); a missing or other value is an error.
    #[arg(long)]
    pub outcome: String,
}

/// Optional bootstrap CIs and their seed.
#[derive(clap::Args, Debug)]
pub struct BootstrapArgs {
    /// Also give bootstrap CIs from this many resamples stratified by outcome (2000 without a
    /// value, `livermet_stats::bootstrap::DEFAULT_RESAMPLES`).
    #[arg(long, num_args = 0..=1, default_missing_value = "2000", value_name = "N")]
    pub bootstrap: Option<usize>,
    /// Seed of the bootstrap resampling.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
}

/// Prints a library result as `--json`: its own fields, then how many CSV rows were dropped
/// for a missing value.
pub fn print_json<T: Serialize>(result: &T, dropped_rows: usize) -> anyhow::Result<()> {
    #[derive(Serialize)]
    struct WithDropped<'a, T> {
        #[serde(flatten)]
        result: &'a T,
        dropped_rows: usize,
    }
    let out = WithDropped {
        result,
        dropped_rows,
    };
    println!("{}", serde_json::to_string_pretty(&out)?);
    Ok(())
}

/// The outcome and the score columns `names` of the rows with every score; the dropped rows
/// are noted on stderr.
pub fn read_scored(subjects: &Subjects, names: &[String]) -> anyhow::Result<Scored> {
    let path = &subjects.data;
    let scored = Table::read(path)?.scored(&subjects.outcome, names)?;
    note_dropped(
        scored.dropped,
        scored.outcomes.len(),
        path,
        &names.join(", "),
    );
    Ok(scored)
}

/// "note: 2 of 7 rows of FILE dropped: a value of WHAT is missing".
pub fn note_dropped(dropped: usize, kept: usize, path: &Path, what: &str) {
    if dropped > 0 {
        eprintln!(
            "note: {dropped} of {} rows of {} dropped: a value of {what} is missing",
            dropped + kept,
            path.display()
        );
    }
}
