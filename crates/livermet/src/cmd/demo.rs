//! `livermet demo`: the whole study on a synthetic two-centre cohort. Each step is one function
//! taking the demo's context, so later steps (prepare, fit, evaluate, report) append to
//! [`run`]'s list.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use livermet_cohort::{ValidateOptions, validate_cohort};
use livermet_synth::{Size, SynthSettings};

use crate::cmd::synth::{make_cohort, print_summary};

/// Training protocol of the study steps.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Protocol {
    /// Minutes on a laptop CPU: small images, fewer epochs and patches.
    Quick,
    /// The paper's settings (256x256 T2 matrix; a GPU job).
    Paper,
}

/// Synthesise a two-centre cohort and run the study on it.
#[derive(clap::Args, Debug)]
#[command(after_help = "Example: livermet demo --out livermet-demo --seed 1")]
pub struct Args {
    /// Folder for everything the demo makes.
    #[arg(long, value_name = "DIR", default_value = "livermet-demo")]
    pub out: PathBuf,
    /// Study protocol.
    #[arg(long, value_enum, default_value_t = Protocol::Quick)]
    pub protocol: Protocol,
    /// Random seed (cohort and study).
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
}

/// What the steps share.
#[derive(Debug)]
pub struct Demo {
    pub args: Args,
    /// The cohort folder and its two CSVs.
    pub cohort_dir: PathBuf,
    pub primary_csv: PathBuf,
    pub external_csv: PathBuf,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let cohort_dir = args.out.join("cohort");
    let mut demo = Demo {
        primary_csv: cohort_dir.join("primary.csv"),
        external_csv: cohort_dir.join("external.csv"),
        cohort_dir,
        args,
    };
    synthesise_cohort(&mut demo)?;
    validate(&demo)?;
    Ok(ExitCode::SUCCESS)
}

/// Step 1: the synthetic cohort (small images for `quick`, the paper's matrix for `paper`).
fn synthesise_cohort(demo: &mut Demo) -> anyhow::Result<()> {
    let size = match demo.args.protocol {
        Protocol::Quick => Size::Small,
        Protocol::Paper => Size::Paper,
    };
    let settings = SynthSettings {
        seed: demo.args.seed,
        size,
        ..SynthSettings::default()
    };
    println!(
        "step 1: synthetic two-centre cohort (seed {}, {:?} images)",
        settings.seed, size
    );
    let summary = make_cohort(&demo.cohort_dir, &settings)?;
    print_summary(&demo.cohort_dir, &summary)
}

/// Step 2: validate both centres' CSVs as a user's cohort would be.
fn validate(demo: &Demo) -> anyhow::Result<()> {
    println!("step 2: validate");
    for csv in [&demo.primary_csv, &demo.external_csv] {
        let report = validate_cohort(csv, &ValidateOptions::default())
            .with_context(|| format!("validating {}", csv.display()))?;
        if let Some(first) = report.problems.first() {
            for p in &report.problems {
                eprintln!("{p}");
            }
            anyhow::bail!(
                "the synthetic cohort {} failed validation ({} problems; first: {first}); please report this as a bug",
                csv.display(),
                report.problems.len()
            );
        }
        println!(
            "          {}: {} patients, every row and image valid",
            csv.display(),
            report.patients.len()
        );
    }
    Ok(())
}
