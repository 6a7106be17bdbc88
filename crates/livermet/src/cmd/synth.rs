//! `livermet synth`: write a synthetic two-centre cohort (livermet-synth) with a progress bar.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use livermet_synth::{Size, SynthSettings, SynthSummary, synthesise};

/// Write a synthetic two-centre cohort: DIR/primary.csv (NIfTI images), DIR/external.csv
/// (DICOM series), DIR/truth.json (transforms, ADC, imaging signal) and the images under DIR.
#[derive(clap::Args, Debug)]
#[command(
    after_help = "Example: livermet synth --out cohort --seed 7\n         livermet synth --out big --primary 20000 --external 0 --clinical-only"
)]
pub struct Args {
    /// Folder to write into (created if missing).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Patients in the primary centre (the paper: 176, 72 with SLM).
    #[arg(long, default_value_t = 176)]
    pub primary: usize,
    /// Patients in the external centre (the paper: 31, 10 with SLM).
    #[arg(long, default_value_t = 31)]
    pub external: usize,
    /// Random seed: the same seed gives the same cohort, byte for byte.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Image matrix size: `small` (160x140x16 T2 matrix, 0.7x0.7x3 mm: the 207-patient cohort
    /// in under a minute) or `paper` (the paper's 256x256 T2 matrix).
    #[arg(long, default_value = "small")]
    pub size: Size,
    /// Strength of the imaging signal of SLM (class separation of the latent score in SDs;
    /// 0 = the images say nothing about SLM).
    #[arg(long, default_value_t = 1.0)]
    pub signal: f64,
    /// Write the CSVs only (image cells empty): fast, for large draws.
    #[arg(long)]
    pub clinical_only: bool,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let settings = SynthSettings {
        primary: args.primary,
        external: args.external,
        seed: args.seed,
        size: args.size,
        signal: args.signal,
        clinical_only: args.clinical_only,
    };
    let summary = make_cohort(&args.out, &settings)?;
    print_summary(&args.out, &summary)?;
    Ok(ExitCode::SUCCESS)
}

/// Synthesise with a progress bar (used by `synth` and `demo`).
pub fn make_cohort(out: &Path, settings: &SynthSettings) -> anyhow::Result<SynthSummary> {
    let bar = crate::cmd::progress::bar(
        (settings.primary + settings.external) as u64,
        "synthesising",
    );
    let result = synthesise(out, settings, &|| bar.inc(1));
    bar.finish_and_clear();
    result.with_context(|| format!("synthetic cohort into {}", out.display()))
}

/// Counts, prevalence per centre, size on disk and where the files are.
pub fn print_summary(out: &Path, summary: &SynthSummary) -> anyhow::Result<()> {
    let bytes =
        livermet_synth::disk_usage(out).with_context(|| format!("measuring {}", out.display()))?;
    print!("{}", summary.text(out, bytes));
    Ok(())
}
