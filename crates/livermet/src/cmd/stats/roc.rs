//! `livermet stats roc`: AUC with DeLong 95% CI for each score, paired DeLong tests of every
//! pair, optional stratified bootstrap CIs, and threshold metrics (median or a fixed value).

use std::path::PathBuf;
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
    /// CSV with a header row, one subject per row.
    pub data: PathBuf,
    /// The 0/1 outcome column (1 = event).
    #[arg(long)]
    pub outcome: String,
    /// A score column (higher = more likely an event); repeat for several scores.
    #[arg(long = "score", required = true)]
    pub scores: Vec<String>,
    /// Threshold for ACC/SEN/SPE/PPV/NPV: `median` (of each score) or a number; a subject is
    /// positive when its score >= the threshold.
    #[arg(long, default_value = "median", value_parser = parse_threshold)]
    pub threshold: ThresholdRule,
    /// Also give stratified bootstrap CIs with this many resamples (2000 without a value,
    /// `livermet_stats::bootstrap::DEFAULT_RESAMPLES`).
    #[arg(long, num_args = 0..=1, default_missing_value = "2000", value_name = "N")]
    pub bootstrap: Option<usize>,
    /// Seed of the bootstrap resampling.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

fn parse_threshold(s: &str) -> Result<ThresholdRule, String> {
    if s == "median" {
        return Ok(ThresholdRule::Median);
    }
    s.parse::<f64>()
        .ok()
        .filter(|t| t.is_finite())
        .map(ThresholdRule::Value)
        .ok_or_else(|| format!("`{s}` is neither `median` nor a number"))
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let path = args.data.display().to_string();
    let d = read_scored(&args.data, &args.outcome, &args.scores)?;
    // A constant score ranks no one: its AUC is 0.5 with a DeLong CI of zero width, which reads
    // as certainty. It is almost always the wrong column, so it is refused, not reported.
    for (name, s) in args.scores.iter().zip(&d.scores) {
        if let Some(&v) = s.first()
            && s.iter().all(|x| *x == v)
        {
            anyhow::bail!(
                "{path}: score `{name}` is {v} in every row: a constant score cannot be assessed by ROC (its AUC would be 0.5 with a zero-width CI); check the column"
            );
        }
    }
    let refs: Vec<&[f64]> = d.scores.iter().map(|s| &s[..]).collect();
    let bar = args
        .bootstrap
        .map(|_| crate::cmd::progress::spinner("bootstrap resamples"));
    let bootstrap = args.bootstrap.map(|resamples| BootstrapSettings {
        resamples,
        seed: args.seed,
    });
    let report = roc_report(&args.scores, &refs, &d.outcomes, args.threshold, bootstrap)
        .with_context(|| format!("{path}: ROC analysis of outcome `{}`", args.outcome))?;
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
        args.data.display(),
        args.outcome,
        r.n,
        r.positives,
        r.negatives
    );
    print!("{}", r.text());
}
