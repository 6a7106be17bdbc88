//! `livermet stats roc`: AUC with DeLong 95% CI for each score, paired DeLong tests of every
//! pair, optional stratified bootstrap CIs, and threshold metrics (median or a fixed value).

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use livermet_stats::bootstrap::{BootstrapCi, bootstrap_auc_ci};
use livermet_stats::delong::AucComparison;
use livermet_stats::roc::{AucEstimate, roc_analysis};
use livermet_stats::thresholds::{Proportion, ThresholdMetrics, ThresholdRule, threshold_metrics};
use serde::Serialize;

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
    let analysis = roc_analysis(&refs, &d.outcomes)
        .with_context(|| format!("{path}: ROC analysis of outcome `{}`", args.outcome))?;
    let tests = analysis
        .delong
        .as_ref()
        .map(|f| f.delong_tests())
        .unwrap_or_default();
    if analysis.delong.is_none() {
        eprintln!("note: fewer than 2 subjects in a class: no DeLong SE, CI or paired tests");
    }
    let boot = match args.bootstrap {
        Some(b) => {
            let bar = crate::cmd::progress::spinner("bootstrap resamples");
            let ci = bootstrap_auc_ci(&refs, &d.outcomes, b, args.seed, 0.95)
                .with_context(|| format!("{path}: bootstrap CI"))?;
            bar.finish_and_clear();
            Some(ci)
        }
        None => None,
    };
    let metrics = refs
        .iter()
        .map(|s| threshold_metrics(s, &d.outcomes, args.threshold))
        .collect::<Result<Vec<_>, _>>()
        .with_context(|| format!("{path}: threshold metrics"))?;

    let positives = analysis.positives;
    let n = d.outcomes.len();
    if args.json {
        let report = Report {
            n,
            positives,
            negatives: analysis.negatives,
            dropped_rows: d.dropped,
            scores: (0..refs.len())
                .map(|k| {
                    score_row(
                        &args.scores[k],
                        &analysis.estimates[k],
                        boot.as_ref().map(|b| &b[k]),
                    )
                })
                .collect(),
            comparisons: tests
                .iter()
                .map(|(a, b, t)| ComparisonRow {
                    a: &args.scores[*a],
                    b: &args.scores[*b],
                    test: t,
                    method: "paired DeLong",
                })
                .collect(),
            thresholds: metrics
                .iter()
                .zip(&args.scores)
                .map(|(m, name)| threshold_row(name, args.threshold, m))
                .collect(),
            bootstrap_resamples: args.bootstrap,
            seed: args.bootstrap.map(|_| args.seed),
        };
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print_tables(
            &args,
            n,
            positives,
            &analysis.estimates,
            boot.as_deref(),
            &tests,
            &metrics,
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// The `--json` output; fields serialise in this order.
#[derive(Serialize)]
struct Report<'a> {
    n: usize,
    positives: usize,
    negatives: usize,
    dropped_rows: usize,
    scores: Vec<ScoreRow<'a>>,
    comparisons: Vec<ComparisonRow<'a>>,
    thresholds: Vec<ThresholdRow<'a>>,
    bootstrap_resamples: Option<usize>,
    seed: Option<u64>,
}

#[derive(Serialize)]
struct ScoreRow<'a> {
    name: &'a str,
    auc: f64,
    se: Option<f64>,
    ci_low: Option<f64>,
    ci_high: Option<f64>,
    variance: Option<f64>,
    clipped: bool,
    zero_variance: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    bootstrap_ci_low: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    bootstrap_ci_high: Option<f64>,
}

fn score_row<'a>(name: &'a str, e: &AucEstimate, boot: Option<&BootstrapCi>) -> ScoreRow<'a> {
    ScoreRow {
        name,
        auc: e.auc,
        se: e.se,
        ci_low: e.ci_low,
        ci_high: e.ci_high,
        variance: e.variance,
        clipped: e.clipped,
        zero_variance: e.zero_variance,
        bootstrap_ci_low: boot.map(|b| b.ci_low),
        bootstrap_ci_high: boot.map(|b| b.ci_high),
    }
}

/// a, b, then the test's own fields (auc_a, auc_b, auc_diff, se, z, p, ci_low, ci_high).
#[derive(Serialize)]
struct ComparisonRow<'a> {
    a: &'a str,
    b: &'a str,
    #[serde(flatten)]
    test: &'a AucComparison,
    method: &'static str,
}

#[derive(Serialize)]
struct ThresholdRow<'a> {
    name: &'a str,
    rule: &'static str,
    threshold: f64,
    tp: u64,
    fp: u64,
    tn: u64,
    #[serde(rename = "fn")]
    fn_: u64,
    accuracy: Option<f64>,
    sensitivity: Option<f64>,
    specificity: Option<f64>,
    ppv: Option<f64>,
    npv: Option<f64>,
    accuracy_ci_low: Option<f64>,
    accuracy_ci_high: Option<f64>,
    sensitivity_ci_low: Option<f64>,
    sensitivity_ci_high: Option<f64>,
    specificity_ci_low: Option<f64>,
    specificity_ci_high: Option<f64>,
    ppv_ci_low: Option<f64>,
    ppv_ci_high: Option<f64>,
    npv_ci_low: Option<f64>,
    npv_ci_high: Option<f64>,
}

fn threshold_row<'a>(name: &'a str, rule: ThresholdRule, m: &ThresholdMetrics) -> ThresholdRow<'a> {
    ThresholdRow {
        name,
        rule: match rule {
            ThresholdRule::Median => "median",
            ThresholdRule::Value(_) => "value",
        },
        threshold: m.threshold,
        tp: m.tp,
        fp: m.fp,
        tn: m.tn,
        fn_: m.fn_,
        accuracy: m.accuracy.estimate,
        sensitivity: m.sensitivity.estimate,
        specificity: m.specificity.estimate,
        ppv: m.ppv.estimate,
        npv: m.npv.estimate,
        accuracy_ci_low: m.accuracy.ci_low,
        accuracy_ci_high: m.accuracy.ci_high,
        sensitivity_ci_low: m.sensitivity.ci_low,
        sensitivity_ci_high: m.sensitivity.ci_high,
        specificity_ci_low: m.specificity.ci_low,
        specificity_ci_high: m.specificity.ci_high,
        ppv_ci_low: m.ppv.ci_low,
        ppv_ci_high: m.ppv.ci_high,
        npv_ci_low: m.npv.ci_low,
        npv_ci_high: m.npv.ci_high,
    }
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

fn print_tables(
    args: &Args,
    n: usize,
    positives: usize,
    est: &[AucEstimate],
    boot: Option<&[BootstrapCi]>,
    tests: &[(usize, usize, AucComparison)],
    metrics: &[ThresholdMetrics],
) {
    let w = args
        .scores
        .iter()
        .map(|s| s.len())
        .max()
        .unwrap_or(5)
        .max(5);
    println!(
        "ROC analysis of {} (outcome `{}`): n = {n}, {positives} positive, {} negative\n",
        args.data.display(),
        args.outcome,
        n - positives
    );
    println!(
        "{:w$}  {:>6}  {:>6}  {:<15}  note",
        "score", "AUC", "SE", "95% CI (DeLong)"
    );
    for (k, e) in est.iter().enumerate() {
        let ci = format!("{} - {}", num(e.ci_low, 3), num(e.ci_high, 3));
        let mut note = Vec::new();
        if e.clipped {
            note.push("CI clipped to [0, 1]".to_string());
        }
        if e.zero_variance {
            note.push(
                "SE is 0: perfect separation, the CI understates the uncertainty".to_string(),
            );
        }
        if let Some(b) = boot {
            note.push(format!(
                "bootstrap {:.3} - {:.3}",
                b[k].ci_low, b[k].ci_high
            ));
        }
        let name = &args.scores[k];
        println!(
            "{name:w$}  {:>6.3}  {:>6}  {ci:<15}  {}",
            e.auc,
            num(e.se, 4),
            note.join("; ")
        );
    }
    if !tests.is_empty() {
        println!("\nPaired DeLong tests (z = (AUC a - AUC b) / SE)");
        println!(
            "{:w$}  {:w$}  {:>7}  {:>6}  {:>7}  {:>7}  95% CI",
            "a", "b", "diff", "SE", "z", "p"
        );
        for (a, b, t) in tests {
            let (a, b) = (&args.scores[*a], &args.scores[*b]);
            println!(
                "{a:w$}  {b:w$}  {:>7.3}  {:>6.4}  {:>7}  {:>7}  {:.3} - {:.3}",
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
    for (m, name) in metrics.iter().zip(&args.scores) {
        let cells: Vec<String> = metric_list(m)
            .iter()
            .map(|(_, p)| p.percent_label())
            .collect();
        println!("{name:w$}  {:>9.4}  {}", m.threshold, cells.join("  "));
    }
}
