//! `livermet demo`: the whole study on a synthetic two-centre cohort: synthesise it, validate
//! it, then run `livermet study` on it (prepare, folds, CF/MRI/Combined, external validation,
//! report, model bundle) and print the report's path and the AUCs. Run again, it reuses the
//! cohort and every finished step.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use livermet_cohort::{ValidateOptions, validate_cohort};
use livermet_synth::{Size, SynthSettings};

use crate::cmd::study::{print_summary, study_and_report};
use crate::cmd::synth::{make_cohort, print_summary as synth_summary};
use livermet_io::write_bytes_atomic;
use livermet_model::Protocol;
use livermet_model::device::{self, DeviceName};
use livermet_study::StudySettings;

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
    /// Where networks train: `cpu`, or `gpu` (a build with `--features livermet-model/gpu`;
    /// what `--protocol paper` is meant for).
    #[arg(long, default_value = "cpu")]
    pub device: DeviceName,
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
    study(&demo)?;
    Ok(ExitCode::SUCCESS)
}

/// Step 3: the study, with `DIR/study.toml` written so the user can re-run or edit it.
fn study(demo: &Demo) -> anyhow::Result<()> {
    let protocol = demo.args.protocol;
    let toml = format!(
        "# Written by `livermet demo`; run it again with `livermet study {0}/study.toml --out {0}`.\n\
         primary = \"cohort/primary.csv\"\nexternal = \"cohort/external.csv\"\n\
         protocol = \"{1}\"\nseed = {2}\n",
        demo.args.out.display(),
        protocol.as_str(),
        demo.args.seed
    );
    let path = demo.args.out.join("study.toml");
    write_bytes_atomic(&path, toml.as_bytes())?;
    let settings = StudySettings::load(&path)?;
    println!(
        "step 3: the study ({path}), {protocol:?} protocol",
        path = path.display()
    );
    let device = device::open(demo.args.device)?;
    let results = study_and_report(&settings, &demo.args.out, &device)?;
    print_summary(&results, &demo.args.out);
    Ok(())
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
    // A cohort already synthesised with the same settings is kept: re-synthesising would
    // change every file's time stamp and force the whole preparation again.
    let marker = demo.cohort_dir.join("demo-synth.json");
    let wanted = format!("{settings:?}");
    if std::fs::read_to_string(&marker).is_ok_and(|s| s == wanted) {
        println!("          reusing {}", demo.cohort_dir.display());
        return Ok(());
    }
    let summary = make_cohort(&demo.cohort_dir, &settings)?;
    write_bytes_atomic(&marker, wanted.as_bytes())?;
    synth_summary(&demo.cohort_dir, &summary)
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
