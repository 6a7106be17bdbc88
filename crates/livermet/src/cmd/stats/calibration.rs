//! `livermet stats calibration`: calibration of predicted probabilities against a 0/1 outcome
//! (calibration-in-the-large, slope, Brier, binned curve with Wilson CIs, Hosmer-Lemeshow).

use std::process::ExitCode;

use anyhow::Context;
use livermet_stats::calibration::{Calibration, calibration};
use livermet_stats::logistic::FitOptions;

/// Calibration of a probability column against the outcome.
#[derive(clap::Args, Debug)]
#[command(
    after_help = "Example: livermet stats calibration oof_scores.csv --outcome slm \
    --prob combined --bins 10 --json"
)]
pub struct Args {
    #[command(flatten)]
    pub subjects: super::Subjects,
    /// The predicted-probability column (values strictly between 0 and 1); rows where it is
    /// missing are dropped and counted.
    #[arg(long)]
    pub prob: String,
    /// Quantile bins of the calibration curve.
    #[arg(long, default_value_t = 10)]
    pub bins: usize,
    /// Groups of the Hosmer-Lemeshow test (deciles of predicted risk).
    #[arg(long, default_value_t = 10)]
    pub hl_groups: usize,
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let d = super::read_scored(&args.subjects, std::slice::from_ref(&args.prob))?;
    let (y, p, dropped) = (&d.outcomes, &d.scores[0], d.dropped);
    let what = || {
        format!(
            "{}: calibration of `{}`",
            args.subjects.data.display(),
            args.prob
        )
    };
    let cal =
        calibration(p, y, args.bins, args.hl_groups, &FitOptions::default()).with_context(what)?;
    if args.json {
        super::print_json(&cal, dropped)?;
    } else {
        print_table(&args, &cal, dropped);
    }
    Ok(ExitCode::SUCCESS)
}

fn print_table(args: &Args, c: &Calibration, dropped: usize) {
    println!(
        "Calibration of `{}` against `{}`: n = {} ({} events, {} rows dropped)",
        args.prob, args.subjects.outcome, c.n, c.events, dropped
    );
    print!("{}", c.text());
}
