//! `livermet predict --bundle DIR/model --patient ROW.csv`: one new patient's SLM probability
//! from every model of a study's bundle, with its risk group; `--explain DIR` adds where the
//! networks looked and why (saliency maps, attribution, a one-patient page).

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use livermet_study::bundle::{Bundle, read_and_prepare, score_patient};
use livermet_study::explain::explain_patient;

use livermet_model::device::{self, DeviceName};

#[derive(clap::Args, Debug)]
#[command(
    after_help = "Example: livermet predict --bundle results/model --patient new_patient.csv --explain new_patient.explain\n\n\
ROW.csv is a cohort CSV with one patient row (the `slm` cell may be empty); image paths are \
relative to it."
)]
pub struct Args {
    /// The model bundle a study wrote (`OUT/model`).
    #[arg(long)]
    pub bundle: PathBuf,
    /// A one-row cohort CSV.
    #[arg(long)]
    pub patient: PathBuf,
    /// Where the patient's prepared data goes [default: a folder beside ROW.csv].
    #[arg(long)]
    pub work: Option<PathBuf>,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
    /// Also explain the prediction into this folder: saliency_<model>.nii.gz and
    /// occlusion_<model>.nii.gz on the T2 grid, attribution.json, patient.html.
    #[arg(long, value_name = "DIR")]
    pub explain: Option<PathBuf>,
    /// Where the networks run.
    #[arg(long, default_value = "cpu")]
    pub device: DeviceName,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let device = device::open(args.device)?;
    let bundle = Bundle::load(&args.bundle)?;
    let work = args.work.clone().unwrap_or_else(|| {
        let stem = args
            .patient
            .file_stem()
            .map_or("patient".into(), |s| s.to_string_lossy().into_owned());
        args.patient
            .parent()
            .unwrap_or(std::path::Path::new("."))
            .join(format!("{stem}.prepared"))
    });
    let patient = read_and_prepare(&bundle, &args.patient, &work)?;
    let p = match &args.explain {
        None => score_patient(&bundle, &patient, &work, &device)?,
        Some(dir) => {
            let e = explain_patient(&bundle, &patient, &work, &device)?;
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
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&p).context("serialising the prediction")?
        );
        return Ok(ExitCode::SUCCESS);
    }
    println!("patient {}", p.patient_id);
    for m in &p.predictions {
        println!(
            "  {:<9} SLM probability {:.3}  threshold {:.3}  {} risk",
            m.model.as_str(),
            m.probability,
            m.threshold,
            m.risk_group
        );
    }
    println!(
        "prepared data (registered channels, ROI): {}",
        p.prepared.display()
    );
    Ok(ExitCode::SUCCESS)
}
