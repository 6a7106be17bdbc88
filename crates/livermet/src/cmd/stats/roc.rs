//! `livermet stats roc`: AUC with DeLong 95% CI for each score, paired DeLong tests of every
//! pair, optional stratified bootstrap CIs, and threshold metrics (median or a fixed value).

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use livermet_stats::roc_report::{BootstrapSettings, RocReport, roc_report};
use livermet_stats::thresholds::{Proportion, ThresholdMetrics, ThresholdRule};

use super::data::Table;

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

/// Outcome and score columns of the rows with every score present; rows with a missing score
/// are dropped (a note on stderr says how many), a missing outcome is an error.
pub(super) struct Scored {
    pub outcomes: Vec<bool>,
    pub scores: Vec<Vec<f64>>,
    pub dropped: usize,
}

pub(super) fn read_scored(
    path: &std::path::Path,
    outcome: &str,
    names: &[String],
) -> anyhow::Result<Scored> {
    let table = Table::read(path)?;
    let oc = table.column(outcome)?;
    table.require_outcome(oc)?;
    let cols = names
        .iter()
        .map(|n| table.column(n))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let rows = table.complete_rows(&cols);
    let dropped = table.rows.len() - rows.len();
    if dropped > 0 {
        eprintln!(
            "note: {dropped} of {} rows of {} dropped: a score ({}) is missing",
            table.rows.len(),
            path.display(),
            names.join(", ")
        );
    }
    let outcomes = table.outcome(oc, &rows)?;
    let scores = cols
        .iter()
        .map(|&c| table.numbers(c, &rows))
        .collect::<anyhow::Result<_>>()?;
    Ok(Scored {
        outcomes,
        scores,
        dropped,
    })
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let path = args.data.display().to_string();
    let d = read_scored(&args.data, &args.outcome, &args.scores)?;
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

fn metric_list(m: &ThresholdMetrics) -> [(&'static str, &Proportion); 5] {
    [
        ("accuracy", &m.accuracy),
        ("sensitivity", &m.sensitivity),
        ("specificity", &m.specificity),
        ("ppv", &m.ppv),
        ("npv", &m.npv),
    ]
}

fn num(x: Option<f64>, digits: usize) -> String {
    x.map_or_else(|| "NA".into(), |v| format!("{v:.digits$}"))
}

fn p_text(p: Option<f64>) -> String {
    match p {
        Some(p) if p < 0.001 => "<0.001".into(),
        other => num(other, 3),
    }
}

fn print_tables(args: &Args, r: &RocReport) {
    let w = args
        .scores
        .iter()
        .map(|s| s.len())
        .max()
        .unwrap_or(5)
        .max(5);
    println!(
        "ROC analysis of {} (outcome `{}`): n = {}, {} positive, {} negative\n",
        args.data.display(),
        args.outcome,
        r.n,
        r.positives,
        r.negatives
    );
    println!(
        "{:w$}  {:>6}  {:>6}  {:<15}  note",
        "score", "AUC", "SE", "95% CI (DeLong)"
    );
    for s in &r.scores {
        let e = &s.estimate;
        let ci = format!("{} - {}", num(e.ci_low, 3), num(e.ci_high, 3));
        let mut note = Vec::new();
        if e.clipped {
            note.push("CI clipped to [0, 1]".to_string());
        }
        if e.zero_variance {
            note.push("SE is 0".to_string());
        }
        if let Some(b) = &s.bootstrap {
            note.push(format!("bootstrap {:.3} - {:.3}", b.ci_low, b.ci_high));
        }
        println!(
            "{:w$}  {:>6.3}  {:>6}  {ci:<15}  {}",
            s.name,
            e.auc,
            num(e.se, 4),
            note.join("; ")
        );
    }
    if !r.comparisons.is_empty() {
        println!("\nPaired DeLong tests (z = (AUC a - AUC b) / SE)");
        println!(
            "{:w$}  {:w$}  {:>7}  {:>6}  {:>7}  {:>7}  95% CI",
            "a", "b", "diff", "SE", "z", "p"
        );
        for c in &r.comparisons {
            let t = &c.test;
            println!(
                "{:w$}  {:w$}  {:>7.3}  {:>6.4}  {:>7}  {:>7}  {:.3} - {:.3}",
                c.a,
                c.b,
                t.auc_diff,
                t.se,
                num(t.z, 2),
                p_text(t.p),
                t.ci_low,
                t.ci_high
            );
        }
    }
    let rule = match args.threshold {
        ThresholdRule::Median => "the median score".to_string(),
        ThresholdRule::Value(t) => format!("{t}"),
    };
    println!("\nAt threshold {rule} (positive when score >= threshold)");
    println!(
        "{:w$}  {:>9}  ACC / SEN / SPE / PPV / NPV",
        "score", "threshold"
    );
    for t in &r.thresholds {
        let cells: Vec<String> = metric_list(&t.metrics)
            .iter()
            .map(|(_, p)| p.percent_label())
            .collect();
        println!(
            "{:w$}  {:>9.4}  {}",
            t.name,
            t.metrics.threshold,
            cells.join("  ")
        );
    }
}
