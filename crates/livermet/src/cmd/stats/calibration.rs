//! `livermet stats calibration`: calibration of predicted probabilities against a 0/1 outcome
//! (calibration-in-the-large, slope, Brier, binned curve with Wilson CIs, Hosmer-Lemeshow).

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use livermet_stats::calibration::{Calibration, calibration};
use livermet_stats::logistic::FitOptions;

use super::data::Table;

/// Calibration of a probability column against the outcome.
#[derive(clap::Args, Debug)]
#[command(
    after_help = "Example: livermet stats calibration oof_scores.csv --outcome slm \
    --prob combined --bins 10 --json"
)]
pub struct Args {
    /// CSV with a header row, one subject per row.
    pub data: PathBuf,
    /// The 0/1 outcome column (1 = event); a missing or other value is an error.
    #[arg(long)]
    pub outcome: String,
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
    let table = Table::read(&args.data)?;
    let oc = table.column(&args.outcome)?;
    table.require_outcome(oc)?;
    let pc = table.column(&args.prob)?;
    let rows = table.complete_rows(&[pc]);
    let dropped = table.rows.len() - rows.len();
    if dropped > 0 {
        eprintln!(
            "note: {dropped} of {} rows of {} dropped: `{}` is missing",
            table.rows.len(),
            args.data.display(),
            args.prob
        );
    }
    let y = table.outcome(oc, &rows)?;
    let p = table.numbers(pc, &rows)?;
    let cal = calibration(&p, &y, args.bins, args.hl_groups, &FitOptions::default())
        .with_context(|| format!("{}: calibration of `{}`", args.data.display(), args.prob))?;
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
        args.prob, args.outcome, c.n, c.events, dropped
    );
    let e = &c.calibration_in_the_large;
    println!(
        "  calibration-in-the-large {:>8.4}  (95% CI {:.4} to {:.4}; 0 is ideal)",
        e.estimate, e.ci_low, e.ci_high
    );
    let s = &c.calibration_slope.slope;
    println!(
        "  calibration slope        {:>8.4}  (95% CI {:.4} to {:.4}; 1 is ideal)",
        s.estimate, s.ci_low, s.ci_high
    );
    println!("  Brier score              {:>8.4}", c.brier);
    let h = &c.hosmer_lemeshow;
    println!(
        "  Hosmer-Lemeshow          chi2 = {:.4} (df {}, {} groups), p = {:.4}",
        h.chi2, h.df, h.groups, h.p
    );
    println!(
        "\n  {:>4} {:>6} {:>7} {:>10} {:>9} {:>19}",
        "bin", "n", "events", "predicted", "observed", "observed 95% CI"
    );
    for (i, b) in c.curve.iter().enumerate() {
        println!(
            "  {:>4} {:>6} {:>7} {:>10.4} {:>9.4}   {:.4} to {:.4}",
            i + 1,
            b.n,
            b.events,
            b.mean_predicted,
            b.observed,
            b.ci_low,
            b.ci_high
        );
    }
    println!("  (Wilson score intervals; bins are quantiles of the predicted probability)");
}
