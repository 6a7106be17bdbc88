//! `livermet study STUDY.toml --out DIR`: the paper's whole study (validate, prepare, folds,
//! CF/MRI/Combined inside each fold, external validation), its report and the model bundle.
//! A stopped study continues where it stopped when run again with the same settings.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Mutex;
use std::time::Instant;

use indicatif::ProgressBar;
use livermet_model::{BatchProgress, Device, EpochLog};
use livermet_report::{ReportInputs, write_study_report};
use livermet_study::bundle::write_bundle;
use livermet_study::representative::representative_cases;
use livermet_study::results::{StudyResults, study_results};
use livermet_study::{ModelName, StudyError, StudySettings, run_study};

use crate::cmd::progress;
use livermet_model::device::{self, DeviceName};

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

/// Runs the study, then writes the report and the bundle into `out`.
pub fn study_and_report(
    settings: &StudySettings,
    out: &Path,
    device: &Device,
) -> anyhow::Result<StudyResults> {
    let start = Instant::now();
    let obs = Bars::default();
    let run = match run_study(settings, out, device, &obs) {
        Ok(run) => run,
        Err(e) => {
            obs.clear();
            list_problems(&e);
            return Err(e.into());
        }
    };
    obs.clear();
    eprintln!("evaluating and writing the report");
    let results = study_results(&run)?;
    let model = [ModelName::Combined, ModelName::MRI]
        .into_iter()
        .find(|m| settings.fits(*m));
    let mut cases = Vec::new();
    if let Some(m) = model {
        let patch = settings.patch_size();
        cases.push((
            "primary_cv".to_string(),
            representative_cases(&run.primary_cv, m, &run.prepared_primary, patch)?,
        ));
        if let Some(ext) = &run.external_scores {
            cases.push((
                "external".to_string(),
                representative_cases(ext, m, &run.prepared_external, patch)?,
            ));
        }
    }
    let mut scores = vec![&run.primary_cv];
    scores.extend(run.external_scores.as_ref());
    write_study_report(
        out,
        &ReportInputs {
            results: &results,
            scores,
            cases,
            seconds: start.elapsed().as_secs_f64(),
        },
    )?;
    write_bundle(&run, results.validation_summary(), &out.join("model"))?;
    Ok(results)
}

/// Every problem of an invalid cohort, one per line, before the error line itself.
fn list_problems(e: &StudyError) {
    if let StudyError::Cohort(livermet_cohort::CohortError::Invalid { problems, .. }) = e {
        for p in problems {
            eprintln!("{p}");
        }
    }
    if let StudyError::PrepareFailed { failed, .. } = e {
        for (id, why) in failed {
            eprintln!("patient {id}: {why}");
        }
    }
}

/// The bundle's and the report's paths, then a five-line summary: a header, the AUC (95% CI) of
/// each model in each cohort, and the DeLong test of Combined against MRI.
pub fn print_summary(results: &StudyResults, out: &Path) {
    println!("model bundle: {}", out.join("model").display());
    println!("report: {}", out.join("report.html").display());
    let cohorts: Vec<(&str, &str)> = [
        ("primary_cv", "primary, 5-fold CV"),
        ("external", "external validation"),
    ]
    .into_iter()
    .filter(|(k, _)| results.cohorts.contains_key(*k))
    .collect();
    let mut header = format!("{:<10}", "AUC");
    for (_, title) in &cohorts {
        header.push_str(&format!("{title:<24}"));
    }
    println!("{}", header.trim_end());
    for m in ModelName::ALL {
        let mut line = format!("{:<10}", m.as_str());
        for (k, _) in &cohorts {
            let cell = results.cohorts[*k]
                .models
                .get(&m)
                .map_or("-".to_string(), |e| e.estimate.label());
            line.push_str(&format!("{cell:<24}"));
        }
        println!("{}", line.trim_end());
    }
    let p: Vec<String> = cohorts
        .iter()
        .map(|(k, title)| {
            let c = results.cohorts[*k]
                .comparisons
                .iter()
                .find(|c| c.a == ModelName::Combined && c.b == ModelName::MRI);
            let p = c
                .and_then(|c| c.test.p)
                .map_or("-".into(), |p| format!("{p:.3}"));
            format!("{title} p = {p}")
        })
        .collect();
    println!("DeLong Combined vs MRI: {}", p.join(", "));
}

/// Progress bars for the study's stages; each stage line starts with the time since the start.
struct Bars {
    current: Mutex<Option<ProgressBar>>,
    start: Instant,
}

impl Default for Bars {
    fn default() -> Self {
        Bars {
            current: Mutex::new(None),
            start: Instant::now(),
        }
    }
}

impl Bars {
    fn set(&self, pb: Option<ProgressBar>) {
        let mut cur = self.current.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(old) = cur.take() {
            old.finish_and_clear();
        }
        *cur = pb;
    }

    fn clear(&self) {
        self.set(None);
    }

    fn with(&self, f: impl FnOnce(&ProgressBar)) {
        if let Some(pb) = self
            .current
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .as_ref()
        {
            f(pb);
        }
    }
}

impl livermet_study::Observer for Bars {
    fn stage(&self, text: &str) {
        self.clear();
        eprintln!("[{:>5.0} s] {text}", self.start.elapsed().as_secs_f64());
    }
    fn prepare_started(&self, cohort: &str, n: usize) {
        self.set(Some(progress::bar(n as u64, cohort)));
    }
    fn prepared_one(&self) {
        self.with(|pb| pb.inc(1));
    }
    fn batch(&self, unit: &str, epoch: usize, epochs: usize, p: BatchProgress) {
        let need_new = self
            .current
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .is_none();
        if need_new {
            self.set(Some(progress::bar(p.batches as u64, unit)));
        }
        self.with(|pb| {
            pb.set_length(p.batches as u64);
            pb.set_position(p.batch as u64);
            pb.set_message(format!("{unit} {epoch}/{epochs}"));
        });
    }
    fn epoch(&self, unit: &str, log: &EpochLog, epochs: usize) {
        self.clear();
        eprintln!(
            "  {unit}: epoch {}/{epochs}  loss {:.4}  lr {:.2e}{}",
            log.epoch,
            log.loss,
            log.lr,
            log.val_auc
                .map_or(String::new(), |a| format!("  held-out AUC {a:.3}"))
        );
    }
}
