//! `livermet prepare COHORT.csv --out DIR`: ADC, registration, resampling, normalisation, tumour
//! slices and patches for every patient, cached on disk.

use std::path::PathBuf;
use std::process::ExitCode;

use livermet_cohort::{ValidateOptions, validate_cohort};
use livermet_study::{PrepareSettings, prepare_cohort};

use crate::cmd::progress;

#[derive(clap::Args, Debug)]
#[command(
    after_help = "Example: livermet prepare livermet-demo/primary.csv --out livermet-demo/prepared/primary"
)]
pub struct Args {
    /// The cohort CSV (see `livermet validate`).
    pub cohort: PathBuf,
    /// Folder for the prepared data (one sub-folder per patient).
    #[arg(long)]
    pub out: PathBuf,
    /// Settings as JSON (fields of PrepareSettings; missing fields take the defaults).
    #[arg(long)]
    pub settings: Option<PathBuf>,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let settings = PrepareSettings::load(args.settings.as_deref())?;
    let spin = progress::spinner("validating");
    let report = validate_cohort(&args.cohort, &ValidateOptions::default())?;
    spin.finish_and_clear();
    for w in &report.warnings {
        eprintln!("warning: {w}");
    }
    if !report.problems.is_empty() {
        for p in &report.problems {
            eprintln!("problem: {p}");
        }
        anyhow::bail!(
            "{}: {} problem(s) found by validation; fix them before `prepare`",
            args.cohort.display(),
            report.problems.len()
        );
    }
    let bar = progress::bar(report.patients.len() as u64, "preparing");
    let start = std::time::Instant::now();
    let out = prepare_cohort(&report.patients, &args.out, &settings, &|| bar.inc(1))?;
    bar.finish_and_clear();
    for (_, w) in &out.warnings {
        eprintln!("warning: {w}");
    }
    let secs = start.elapsed().as_secs_f64();
    println!(
        "{}: {} prepared, {} already prepared (skipped), {} failed, in {:.1} s; output in {}",
        args.cohort.display(),
        out.prepared.len(),
        out.skipped.len(),
        out.failed.len(),
        secs,
        args.out.display()
    );
    if out.failed.is_empty() {
        return Ok(ExitCode::SUCCESS);
    }
    for (_, why) in &out.failed {
        eprintln!("failed: {why}");
    }
    eprintln!(
        "{} patient(s) failed; the others are prepared",
        out.failed.len()
    );
    Ok(ExitCode::from(2))
}
