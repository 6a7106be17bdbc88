//! `livermet stats roc`: AUC with DeLong 95% CI for each score, paired DeLong tests of every
//! pair, optional stratified bootstrap CIs, and threshold metrics (median or a fixed value).

use std::process::ExitCode;

use anyhow::Context;
use livermet_stats::roc_report::{BootstrapSettings, RocReport, roc_report};
use livermet_stats::thresholds::ThresholdRule;

use super::read_scored;

/// ROC analysis of one or more scores against a 0/1 outcome.
#[derive(clap::Args, Debug)]
#[command(after_help = "Example: livermet stats roc scores.csv --outcome slm \
    --score cf --score mri --score combined --threshold median --bootstrap 2000 --json")]
pub struct Args {
    #[command(flatten)]
    pub subjects: super::Subjects,
    /// A score column (higher = more likely an event); repeat for several scores.
    #[arg(long = "score", required = true)]
    pub scores: Vec<String>,
    /// Threshold for ACC/SEN/SPE/PPV/NPV: `median` (of each score) or a number; a subject is
    /// positive when its score >= the threshold.
    #[arg(long, default_value = "median")]
    pub threshold: ThresholdRule,
    #[command(flatten)]
    pub boot: super::BootstrapArgs,
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let path = args.subjects.data.display().to_string();
    let d = read_scored(&args.subjects, &args.scores)?;
    // A constant score ranks no one, with a CI of zero width that reads as certainty. It is
    // almost always the wrong column, so it is refused, not reported.
    if let Some((k, v)) = d.constant_score() {
        anyhow::bail!(
            "{path}: score `{}` is {v} in every row: a constant score cannot be assessed by ROC (its AUC would be 0.5 with a zero-width CI); check the column",
            args.scores[k]
        );
    }
    let refs: Vec<&[f64]> = d.scores.iter().map(|s| &s[..]).collect();
    let bar = args
        .boot
        .bootstrap
        .map(|_| crate::cmd::progress::spinner("bootstrap resamples"));
    let bootstrap = args.boot.bootstrap.map(|resamples| BootstrapSettings {
        resamples,
        seed: args.boot.seed,
    });
    let report = roc_report(&args.scores, &refs, &d.outcomes, args.threshold, bootstrap)
        .with_context(|| {
            format!(
                "{path}: ROC analysis of outcome `{}`",
                args.subjects.outcome
            )
        })?;
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    if report.positives < 2 || report.negatives < 2 {
        eprintln!("note: fewer than 2 subjects in a class: no DeLong SE, CI or paired tests");
    }
    if args.json {
        super::print_json(&report, d.dropped)?;
    } else {
        print_tables(&args, &report);
    }
    Ok(ExitCode::SUCCESS)
}

fn print_tables(args: &Args, r: &RocReport) {
    println!(
        "ROC analysis of {} (outcome `{}`): n = {}, {} positive, {} negative\n",
        args.subjects.data.display(),
        args.subjects.outcome,
        r.n,
        r.positives,
        r.negatives
    );
    print!("{}", r.text());
}
