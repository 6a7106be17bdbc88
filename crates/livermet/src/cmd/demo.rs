//! `livermet demo`: the whole study on a synthetic two-centre cohort: synthesise it, validate
//! it, then run `livermet study` on it (prepare, folds, CF/MRI/Combined, external validation,
//! report, model bundle) and print the report's path and the AUCs. Run again, it reuses the
//! cohort and every finished step.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use livermet_cohort::CohortError;
use livermet_model::Protocol;
use livermet_study::StudyError;
use livermet_study::demo::Demo;

use crate::cmd::study::{print_summary, study_and_report};
use crate::cmd::synth::{make_cohort, print_summary as synth_summary};

/// Synthesise a two-centre cohort and run the study on it.
#[derive(clap::Args, Debug)]
#[command(after_help = "Example: livermet demo --out livermet-demo --seed 1")]
pub struct Args {
    /// Folder for everything the demo makes.
    #[arg(long, value_name = "DIR", default_value = "livermet-demo")]
    pub out: PathBuf,
    /// Study protocol: `quick` (minutes on a laptop CPU: small images, fewer epochs and
    /// patches) or `paper` (the paper's settings and 256x256 T2 matrix; a GPU job).
    #[arg(long, default_value = "quick")]
    pub protocol: Protocol,
    /// Random seed (cohort and study).
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    #[command(flatten)]
    pub device: super::DeviceArg,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let demo = Demo {
        out: args.out,
        protocol: args.protocol,
        seed: args.seed,
    };
    synthesise_cohort(&demo)?;
    validate(&demo)?;
    let (path, settings) = demo.write_study_settings()?;
    println!(
        "step 3: the study ({path}), {:?} protocol",
        demo.protocol,
        path = path.display()
    );
    let device = args.device.open()?;
    let results = study_and_report(&settings, &demo.out, &device)?;
    print_summary(&results, &demo.out);
    Ok(ExitCode::SUCCESS)
}

/// Step 1: the synthetic cohort, or the one already there.
fn synthesise_cohort(demo: &Demo) -> anyhow::Result<()> {
    let settings = demo.synth_settings();
    println!(
        "step 1: synthetic two-centre cohort (seed {}, {:?} images)",
        settings.seed, settings.size
    );
    let dir = demo.cohort_dir();
    if demo.cohort_is_current() {
        println!("          reusing {}", dir.display());
        return Ok(());
    }
    let summary = make_cohort(&dir, &settings)?;
    demo.mark_cohort_current()?;
    synth_summary(&dir, &summary)
}

/// Step 2: validate both centres' CSVs as a user's cohort would be.
fn validate(demo: &Demo) -> anyhow::Result<()> {
    println!("step 2: validate");
    let valid = demo.validate_cohort();
    if let Err(StudyError::Cohort(CohortError::Invalid { problems, .. })) = &valid {
        problems.iter().for_each(|p| eprintln!("{p}"));
    }
    let valid =
        valid.context("the synthetic cohort failed validation; please report this as a bug")?;
    for (csv, patients) in valid {
        let csv = csv.display();
        println!("          {csv}: {patients} patients, every row and image valid");
    }
    Ok(())
}
