//! `livermet stats dca`: decision curves (net benefit and net interventions avoided) of each
//! score and of treat-all / treat-none, as the Python package dcurves computes them.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use livermet_io::write_bytes_atomic;
use livermet_stats::dca::{decision_curves, parse_grid, to_csv};

use super::read_scored;

/// Decision curve analysis of predicted risks against a 0/1 outcome.
#[derive(clap::Args, Debug)]
#[command(after_help = "Example: livermet stats dca scores.csv --outcome slm \
    --score cf --score combined --thresholds 0.01:0.99:0.01 --out dca.csv")]
pub struct Args {
    #[command(flatten)]
    pub subjects: super::Subjects,
    /// A predicted-risk column (probabilities in [0, 1]); repeat for several models.
    #[arg(long = "score", required = true)]
    pub scores: Vec<String>,
    /// Threshold probabilities as START:STOP:STEP (inclusive), each in (0, 1).
    #[arg(long, default_value = "0.01:0.99:0.01")]
    pub thresholds: String,
    /// Write the CSV here instead of stdout.
    #[arg(long)]
    pub out: Option<PathBuf>,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let thresholds =
        parse_grid(&args.thresholds).map_err(|e| anyhow::anyhow!("--thresholds: {e}"))?;
    let d = read_scored(&args.subjects, &args.scores)?;
    let models: Vec<(&str, &[f64])> = args
        .scores
        .iter()
        .map(|n| n.as_str())
        .zip(d.scores.iter().map(|s| &s[..]))
        .collect();
    let points = decision_curves(&models, &d.outcomes, &thresholds)
        .with_context(|| format!("{}: decision curves", args.subjects.data.display()))?;
    let bytes = to_csv(&points)?;
    match &args.out {
        Some(path) => {
            write_bytes_atomic(path, &bytes)?;
            eprintln!("wrote {} ({} rows)", path.display(), points.len());
        }
        None => std::io::stdout().write_all(&bytes)?,
    }
    Ok(ExitCode::SUCCESS)
}
