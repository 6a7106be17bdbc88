//! `livermet stats nri`: reclassification of a new model against an old one (NRI, category-free
//! and at risk categories, and IDI; `livermet_stats::reclassification`), optionally with
//! stratified percentile bootstrap CIs.

use std::process::ExitCode;

use anyhow::Context;
use livermet_stats::bootstrap::Resamples;
use livermet_stats::reclassification::{
    Reclassification, ReclassificationBootstrap, RiskCut, reclassification,
    reclassification_bootstrap,
};
use serde::Serialize;

use super::read_scored;

/// NRI and IDI of two probability columns against a 0/1 outcome.
#[derive(clap::Args, Debug)]
#[command(after_help = "Example: livermet stats nri scores.csv --outcome slm \
    --old cf --new combined --cut median --bootstrap 2000 --json")]
pub struct Args {
    #[command(flatten)]
    pub subjects: super::Subjects,
    /// The old (reference) model's probability column (values in [0, 1]).
    #[arg(long)]
    pub old: String,
    /// The new model's probability column.
    #[arg(long)]
    pub new: String,
    /// Risk categories of the categorical NRI: `median` (each model split at its own median,
    /// high risk when p >= median) or increasing cut-offs for both models, comma-separated.
    #[arg(long, default_value = "median")]
    pub cut: RiskCut,
    #[command(flatten)]
    pub boot: super::BootstrapArgs,
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
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
    let path = args.subjects.data.display().to_string();
    let names = [args.old.clone(), args.new.clone()];
    let d = read_scored(&args.subjects, &names)?;
    let (y, old, new) = (&d.outcomes, &d.scores[0], &d.scores[1]);
    let what = || format!("{path}: `{}` against `{}`", args.new, args.old);
    let r = reclassification(y, old, new, &args.cut).with_context(what)?;
    let boot = match args.boot.bootstrap {
        Some(count) => {
            let bar = crate::cmd::progress::spinner("bootstrap resamples");
            let draws = Resamples::Stratified {
                count,
                seed: args.boot.seed,
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

fn print_table(args: &Args, r: &Reclassification, boot: Option<&ReclassificationBootstrap>) {
    println!(
        "Reclassification of `{}` against `{}` (outcome `{}`): {} events, {} non-events",
        args.new, args.old, args.subjects.outcome, r.events, r.non_events
    );
    print!("{}", r.text(boot));
    if let Some(b) = boot {
        println!(
            "(bootstrap: {} resamples stratified by outcome, seed {}, percentile intervals)",
            b.resamples, args.boot.seed
        );
    }
}
