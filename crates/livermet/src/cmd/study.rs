//! `livermet study STUDY.toml --out DIR`: the paper's whole study (validate, prepare, folds,
//! CF/MRI/Combined inside each fold, external validation), its report and the model bundle
//! (`livermet_report::run_whole_study`), with progress bars. A stopped study continues where
//! it stopped when run again with the same settings.
//!
//! The same study as steps (`livermet_study::plan`): `--plan` lists them, `--unit NAME` runs
//! one, `--slurm` writes them as sbatch job arrays, `--submit` submits the steps not done and
//! `--wait` waits for the report job.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use std::time::Duration;

use livermet_model::Device;
use livermet_report::{ReportError, run_study_step, run_whole_study};
use livermet_study::results::StudyResults;
use livermet_study::{Plan, Quiet, Step, StepOutcome, Study, StudySettings, slurm};

use crate::cmd::progress::Bars;

#[derive(clap::Args, Debug)]
#[command(after_help = "Example: livermet study study.toml --out results\n\n\
STUDY.toml (paths relative to it; every key but `primary` optional):\n  \
primary = \"cohort/primary.csv\"\n  external = \"cohort/external.csv\"\n  \
protocol = \"quick\"        # or \"paper\"\n  folds = 5\n  seed = 42\n  \
models = [\"CF\", \"MRI\", \"Combined\"]\n  [training]\n  epochs = 6   # lr0, l1, l2, batch_size, copies_per_slice\n  \
[network]\n  widths = [8, 8, 16, 16, 32, 32]   # clinical_units, dropout, patch_size\n  \
[slurm]      # --slurm: resources of each step (defaults shown)\n  partition = \"gpu\"   # default: the cluster's\n  \
time = \"24:00:00\"\n  cpus_per_unit = 4\n  memory = \"16G\"\n  gpus_per_unit = 0\n  \
extra = [\"--account=radiology\"]\n  binary = \"/shared/bin/livermet\"   # default: this binary\n\n\
On a cluster:\n  livermet study study.toml --out results --plan --shards 8\n  \
livermet study study.toml --out results --slurm --shards 8 --submit --wait\n  \
livermet study study.toml --out results --unit fold0-mri")]
pub struct Args {
    /// The study's settings (TOML).
    pub settings: PathBuf,
    /// Output folder: report.html, results.json, CSV tables, figures/, model/, work/.
    #[arg(long)]
    pub out: PathBuf,
    #[command(flatten)]
    pub device: super::DeviceArg,
    /// List the study's steps (prepare shards, units, report), what each needs and whether
    /// it is done; writes only OUT/work/settings.json and folds.json.
    #[arg(long, conflicts_with_all = ["unit", "slurm"])]
    pub plan: bool,
    /// With --plan: print the plan as JSON.
    #[arg(long, requires = "plan")]
    pub json: bool,
    /// Prepare shards of the plan (patients dealt round-robin over them).
    #[arg(long, default_value_t = 1)]
    pub shards: usize,
    /// Run one step of the plan and exit (0 when done or already done; 2 when a step it needs
    /// is not done): prepare-<i>of<n>, fold<K>-<model>, final-<model> or report.
    #[arg(long, conflicts_with = "slurm")]
    pub unit: Option<String>,
    /// Write OUT/slurm/ with the sbatch scripts of the plan (see [slurm] in STUDY.toml).
    #[arg(long)]
    pub slurm: bool,
    /// With --slurm: submit the steps not done with sbatch and print the job IDs.
    #[arg(long, requires = "slurm")]
    pub submit: bool,
    /// With --submit: wait for the report job and exit with its status.
    #[arg(long, requires = "submit")]
    pub wait: bool,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let settings = StudySettings::load(&args.settings)?;
    if args.plan || args.slurm {
        let study = Study::open(&settings, &args.out, &Quiet)?;
        let plan = Plan::of(&study, args.shards)?;
        if args.plan {
            match args.json {
                true => println!("{}", serde_json::to_string_pretty(&plan)?),
                false => print!("{}", plan.text()),
            }
            return Ok(ExitCode::SUCCESS);
        }
        return run_slurm(&study, &plan, &args);
    }
    let device = args.device.open()?;
    if let Some(name) = &args.unit {
        let step = Step::parse(name)?;
        let study = Study::open(&settings, &args.out, &Quiet)?;
        let obs = Bars::default();
        let result = run_study_step(study, step, &device, &obs);
        obs.clear();
        list_problems(&result);
        match result? {
            StepOutcome::Done => println!("{name}: done"),
            StepOutcome::AlreadyDone => println!("{name}: already done"),
        }
        return Ok(ExitCode::SUCCESS);
    }
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
    list_problems(&result);
    let results = result?;
    for (cohort, eval) in &results.cohorts {
        for note in eval.models.values().filter_map(|m| m.auc_note.as_ref()) {
            eprintln!("warning: {cohort}: {note}");
        }
    }
    Ok(results)
}

/// Every problem behind a study error (invalid rows, unpreparable patients), one per line.
fn list_problems<T>(result: &Result<T, ReportError>) {
    if let Err(ReportError::Study(e)) = result {
        for p in e.problems() {
            eprintln!("{p}");
        }
    }
}

/// `--slurm [--submit [--wait]]`.
fn run_slurm(study: &Study, plan: &Plan, args: &Args) -> anyhow::Result<ExitCode> {
    let scripts = slurm::write_scripts(study, plan, &args.settings)?;
    for p in [&scripts.prepare, &scripts.train, &scripts.report] {
        println!("wrote {}", p.display());
    }
    if !args.submit {
        return Ok(ExitCode::SUCCESS);
    }
    let jobs = slurm::submit(&scripts, plan)?;
    if jobs.is_empty() {
        println!("every step is done; nothing to submit");
        return Ok(ExitCode::SUCCESS);
    }
    for j in &jobs {
        println!("{j}");
    }
    if !args.wait {
        return Ok(ExitCode::SUCCESS);
    }
    let end = slurm::wait_for_report(&jobs, Duration::from_secs(2))?;
    if end.state.succeeded() {
        println!("report job {} completed", end.report.id);
        println!("report: {}", args.out.join("report.html").display());
        return Ok(ExitCode::SUCCESS);
    }
    for (step, state) in &end.failed {
        eprintln!("{step}: {state}");
    }
    eprintln!(
        "error: report job {} ended {} (exit {}); the logs are in {}",
        end.report.id,
        end.state.state,
        end.state.exit_code,
        slurm::slurm_dir(&args.out).join("logs").display()
    );
    Ok(ExitCode::from(end.state.waiter_status()))
}

/// The bundle's and the report's paths, then the study's summary.
pub fn print_summary(results: &StudyResults, out: &Path) {
    println!("model bundle: {}", out.join("model").display());
    println!("report: {}", out.join("report.html").display());
    for line in results.summary_lines() {
        println!("{line}");
    }
}
