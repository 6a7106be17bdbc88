//! `livermet study STUDY.toml --out DIR`: the paper's whole study (validate, prepare, folds,
//! CF/MRI/Combined inside each fold, external validation), its report and the model bundle
//! (`livermet_report::run_whole_study`), with progress bars. A stopped study continues where
//! it stopped when run again with the same settings.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use livermet_model::Device;
use livermet_model::device::{self, DeviceName};
use livermet_report::{ReportError, run_whole_study};
use livermet_study::StudySettings;
use livermet_study::results::StudyResults;

use crate::cmd::progress::Bars;

#[derive(clap::Args, Debug)]
#[command(after_help = "Example: livermet study study.toml --out results\n\n\
STUDY.toml (paths relative to it; every key but `primary` optional):\n  \
primary = \"cohort/primary.csv\"\n  external = \"cohort/external.csv\"\n  \
protocol = \"quick\"        # or \"paper\"\n  folds = 5\n  seed = 42\n  \
models = [\"CF\", \"MRI\", \"Combined\"]\n  [training]\n  epochs = 6   # lr0, l1, l2, batch_size, copies_per_slice\n  \
[network]\n  widths = [8, 8, 16, 16, 32, 32]   # clinical_units, dropout, patch_size")]
pub struct Args {
    /// The study's settings (TOML).
    pub settings: PathBuf,
    /// Output folder: report.html, results.json, CSV tables, figures/, model/, work/.
    #[arg(long)]
    pub out: PathBuf,
    /// Where networks train: `cpu`, or `gpu` (a build with `--features livermet-model/gpu`).
    #[arg(long, default_value = "cpu")]
    pub device: DeviceName,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let settings = StudySettings::load(&args.settings)?;
    let device = device::open(args.device)?;
    let results = study_and_report(&settings, &args.out, &device)?;
    print_summary(&results, &args.out);
    Ok(ExitCode::SUCCESS)
}

/// The whole study with progress bars; an invalid cohort or unpreparable patients list every
/// problem, one per line, before the error line.
pub fn study_and_report(
    settings: &StudySettings,
    out: &Path,
    device: &Device,
) -> anyhow::Result<StudyResults> {
    let obs = Bars::default();
    let result = run_whole_study(settings, out, device, &obs);
    obs.clear();
    if let Err(ReportError::Study(e)) = &result {
        for p in e.problems() {
            eprintln!("{p}");
        }
    }
    let results = result?;
    for (cohort, eval) in &results.cohorts {
        for note in eval.models.values().filter_map(|m| m.auc_note.as_ref()) {
            eprintln!("warning: {cohort}: {note}");
        }
    }
    Ok(results)
}

/// The bundle's and the report's paths, then the study's summary.
pub fn print_summary(results: &StudyResults, out: &Path) {
    println!("model bundle: {}", out.join("model").display());
    println!("report: {}", out.join("report.html").display());
    for line in results.summary_lines() {
        println!("{line}");
    }
}
