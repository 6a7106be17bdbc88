//! `livermet stats nri`: reclassification of a new model against an old one (NRI, category-free
//! and at risk categories, and IDI; `livermet_stats::reclassification`), optionally with
//! stratified percentile bootstrap CIs.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use livermet_stats::bootstrap::Resamples;
use livermet_stats::calibration::Estimate;
use livermet_stats::reclassification::{
    Interval, Nri, NriIntervals, Reclassification, ReclassificationBootstrap, RiskCut,
    reclassification, reclassification_bootstrap,
};
use livermet_stats::table1::text::p_text;
use serde::Serialize;

use super::read_scored;

/// NRI and IDI of two probability columns against a 0/1 outcome.
#[derive(clap::Args, Debug)]
#[command(after_help = "Example: livermet stats nri scores.csv --outcome slm \
    --old cf --new combined --cut median --bootstrap 2000 --json")]
pub struct Args {
    /// CSV with a header row, one subject per row.
    pub data: PathBuf,
    /// The 0/1 outcome column (1 = event).
    #[arg(long)]
    pub outcome: String,
    /// The old (reference) model's probability column (values in [0, 1]).
    #[arg(long)]
    pub old: String,
    /// The new model's probability column.
    #[arg(long)]
    pub new: String,
    /// Risk categories of the categorical NRI: `median` (each model split at its own median,
    /// high risk when p >= median) or increasing cut-offs for both models, comma-separated.
    #[arg(long, default_value = "median", value_parser = parse_cut)]
    pub cut: RiskCut,
    /// Also give percentile bootstrap CIs from this many resamples stratified by outcome (2000
    /// without a value).
    #[arg(long, num_args = 0..=1, default_missing_value = "2000", value_name = "N")]
    pub bootstrap: Option<usize>,
    /// Seed of the bootstrap resampling.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

fn parse_cut(s: &str) -> Result<RiskCut, String> {
    if s == "median" {
        return Ok(RiskCut::Median);
    }
    s.split(',')
        .map(|c| c.trim().parse::<f64>().ok().filter(|v| v.is_finite()))
        .collect::<Option<Vec<f64>>>()
        .map(RiskCut::Common)
        .ok_or_else(|| format!("`{s}` is neither `median` nor comma-separated numbers"))
}

/// The `--json` output: the library's results as they serialise.
#[derive(Serialize)]
struct Report<'a> {
    old: &'a str,
    new: &'a str,
    dropped_rows: usize,
    reclassification: &'a Reclassification,
    bootstrap: Option<&'a ReclassificationBootstrap>,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let path = args.data.display().to_string();
    let names = [args.old.clone(), args.new.clone()];
    let d = read_scored(&args.data, &args.outcome, &names)?;
    let (y, old, new) = (&d.outcomes, &d.scores[0], &d.scores[1]);
    let what = || format!("{path}: `{}` against `{}`", args.new, args.old);
    let r = reclassification(y, old, new, &args.cut).with_context(what)?;
    let boot = match args.bootstrap {
        Some(count) => {
            let bar = crate::cmd::progress::spinner("bootstrap resamples");
            let draws = Resamples::Stratified {
                count,
                seed: args.seed,
            };
            let b = reclassification_bootstrap(y, old, new, &args.cut, &draws, 0.95)
                .with_context(what)?;
            bar.finish_and_clear();
            Some(b)
        }
        None => None,
    };
    if args.json {
        let report = Report {
            old: &args.old,
            new: &args.new,
            dropped_rows: d.dropped,
            reclassification: &r,
            bootstrap: boot.as_ref(),
        };
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print_table(&args, &r, boot.as_ref());
    }
    Ok(ExitCode::SUCCESS)
}

fn estimate_line(label: &str, e: &Estimate, boot: Option<(f64, f64)>) {
    let boot = boot.map_or(String::new(), |(lo, hi)| {
        format!("  bootstrap {lo:.4} to {hi:.4}")
    });
    println!(
        "  {label:<26} {:>8.4}  SE {:.4}  95% CI {:.4} to {:.4}  p {}{boot}",
        e.estimate,
        e.se,
        e.ci_low,
        e.ci_high,
        p_text(Some(e.p))
    );
}

fn nri_block(title: &str, n: &Nri, boot: Option<&NriIntervals>) {
    println!("{title}");
    println!(
        "  events: {} up, {} down; non-events: {} up, {} down",
        n.up_events, n.down_events, n.up_non_events, n.down_non_events
    );
    let b = |f: fn(&NriIntervals) -> Interval| {
        boot.map(|i| {
            let v = f(i);
            (v.ci_low, v.ci_high)
        })
    };
    estimate_line("NRI", &n.overall, b(|i| i.overall));
    estimate_line("NRI, events", &n.events, b(|i| i.events));
    estimate_line("NRI, non-events", &n.non_events, b(|i| i.non_events));
}

fn print_table(args: &Args, r: &Reclassification, boot: Option<&ReclassificationBootstrap>) {
    println!(
        "Reclassification of `{}` against `{}` (outcome `{}`): {} events, {} non-events",
        args.new, args.old, args.outcome, r.events, r.non_events
    );
    nri_block(
        "Category-free NRI (up = a higher probability)",
        &r.continuous,
        boot.map(|b| &b.continuous),
    );
    let c = &r.categorical;
    let cuts = |v: &[f64]| {
        v.iter()
            .map(|x| format!("{x:.4}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    nri_block(
        &format!(
            "Categorical NRI at cut-offs {} (old), {} (new); higher category when p >= cut-off",
            cuts(&c.cuts_old),
            cuts(&c.cuts_new)
        ),
        &c.nri,
        boot.map(|b| &b.categorical),
    );
    println!("IDI");
    println!(
        "  improvement in sensitivity {:.4}, in specificity {:.4}",
        r.idi.improvement_sensitivity, r.idi.improvement_specificity
    );
    estimate_line(
        "IDI",
        &r.idi.idi,
        boot.map(|b| (b.idi.ci_low, b.idi.ci_high)),
    );
    if let Some(b) = boot {
        println!(
            "(bootstrap: {} resamples stratified by outcome, seed {}, percentile intervals)",
            b.resamples, args.seed
        );
    }
}
