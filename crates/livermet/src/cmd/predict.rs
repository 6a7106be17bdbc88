//! `livermet predict --bundle DIR/model --patient ROW.csv`: one new patient's SLM probability
//! from every model of a study's bundle, with its risk group; `--cohort COHORT.csv` does the
//! same for every row of a cohort CSV, loading each model once and batching across patients;
//! `--explain DIR` (with `--patient`) adds where the networks looked and why (saliency maps,
//! attribution, a one-patient page).

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use livermet_study::bundle::{Bundle, default_work_dir, predict_cohort, predict_one};
use livermet_study::explain::explain_patient;

#[derive(clap::Args, Debug)]
#[command(
    after_help = "Example: livermet predict --bundle results/model --patient new_patient.csv --explain new_patient.explain\n\n\
ROW.csv is a cohort CSV with one patient row (the `slm` cell may be empty); image paths are \
relative to it. For many patients at once: livermet predict --bundle results/model --cohort new_patients.csv"
)]
#[command(group(clap::ArgGroup::new("who").required(true).args(["patient", "cohort"])))]
pub struct Args {
    /// The model bundle a study wrote (`OUT/model`).
    #[arg(long)]
    pub bundle: PathBuf,
    /// A one-row cohort CSV.
    #[arg(long)]
    pub patient: Option<PathBuf>,
    /// A cohort CSV: every row is predicted (JSON: an array, one object per patient).
    #[arg(long)]
    pub cohort: Option<PathBuf>,
    /// Where the patients' prepared data goes [default: a folder beside the CSV].
    #[arg(long)]
    pub work: Option<PathBuf>,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
    /// With --patient: also explain the prediction into this folder (saliency_<model>.nii.gz and
    /// occlusion_<model>.nii.gz on the T2 grid, attribution.json, patient.html).
    #[arg(long, value_name = "DIR", requires = "patient")]
    pub explain: Option<PathBuf>,
    #[command(flatten)]
    pub device: super::DeviceArg,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let device = args.device.open()?;
    let bundle = Bundle::load(&args.bundle)?;
    let csv = args
        .patient
        .as_ref()
        .or(args.cohort.as_ref())
        .context("--patient or --cohort is required")?;
    let work = args.work.clone().unwrap_or_else(|| default_work_dir(csv));
    if args.patient.is_some() {
        let (patient, p) = predict_one(&bundle, csv, &work, &device)?;
        let p = match &args.explain {
            None => p,
            Some(dir) => {
                let e = explain_patient(&bundle, &patient, p, &work, &device)?;
                livermet_report::patient_page::write_explanation(dir, &bundle, &e)?;
                if !args.json {
                    eprintln!(
                        "explanation (saliency maps, attribution, patient.html): {}",
                        dir.display()
                    );
                }
                e.prediction
            }
        };
        for w in &p.warnings {
            eprintln!("warning: {w}");
        }
        if args.json {
            println!(
                "{}",
                serde_json::to_string_pretty(&p).context("serialising the prediction")?
            );
        } else {
            print!("{}", p.text());
            println!(
                "prepared data (registered channels, ROI): {}",
                p.prepared.display()
            );
        }
        return Ok(ExitCode::SUCCESS);
    }
    let t = std::time::Instant::now();
    let all = predict_cohort(&bundle, csv, &work, &device)?;
    for w in all.iter().flat_map(|p| &p.warnings) {
        eprintln!("warning: {w}");
    }
    let secs = t.elapsed().as_secs_f64();
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&all).context("serialising the predictions")?
        );
    } else {
        all.iter().for_each(|p| print!("{}", p.text()));
        println!(
            "prepared data (registered channels, ROI): {}",
            work.display()
        );
    }
    eprintln!(
        "{} patients in {secs:.1} s ({:.2} patients/s, preparation included)",
        all.len(),
        all.len() as f64 / secs.max(1e-9)
    );
    Ok(ExitCode::SUCCESS)
}
