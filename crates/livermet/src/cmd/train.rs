//! `livermet train`: one training unit (`livermet_study::unit`), with a checkpoint after every
//! epoch. `--study OUT --unit fold0-mri` runs a unit of a finished study again, with the
//! study's seed and data (so its scores are the study's, bit for bit); `--data/--folds/--fold`
//! trains a network on one fold of any prepared cohort (`--resume` continues a stopped run).

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::bail;
use livermet_model::{ModelName, Protocol};
use livermet_study::settings::{NetworkOverrides, TrainingOverrides};
use livermet_study::unit::{FoldTraining, UNIT_SCORES};
use livermet_study::{UnitId, UnitRecord, rerun_unit};

use crate::cmd::expand_widths;
use crate::cmd::progress::Bars;

#[derive(clap::Args, Debug)]
#[command(
    after_help = "Examples:\n  livermet train --study results --unit fold0-mri --out rerun\n  \
livermet train --data prepared --folds prepared/folds.json --fold 0 --model combined \
--out runs/combined-f0 --protocol quick"
)]
pub struct Args {
    /// Output folder: checkpoint/, log.jsonl, model/, scores.json.
    #[arg(long)]
    pub out: PathBuf,
    /// A study's output folder (`livermet study --out`): re-run one of its units.
    #[arg(long, requires = "unit", conflicts_with_all = ["data", "folds", "fold", "model"])]
    pub study: Option<PathBuf>,
    /// The unit to re-run, named as its folder in STUDY/work/ (`fold0-mri`, `final-combined`).
    #[arg(long, requires = "study")]
    pub unit: Option<String>,
    /// The prepared cohort (`livermet prepare --out`): one folder per patient with
    /// `channels.nii.gz` and `manifest.json`.
    #[arg(long, required_unless_present = "study")]
    pub data: Option<PathBuf>,
    /// The cohort CSV with labels and clinical values [default: DATA/cohort.csv].
    #[arg(long)]
    pub cohort: Option<PathBuf>,
    /// The fold assignment (JSON, as written by the study).
    #[arg(long, required_unless_present = "study")]
    pub folds: Option<PathBuf>,
    /// The held-out fold: the network trains on the other folds and reports this fold's
    /// patient-level AUC after every epoch (monitoring only; nothing is selected on it).
    #[arg(long, required_unless_present = "study")]
    pub fold: Option<usize>,
    /// Which network: `mri` or `combined`.
    #[arg(long, required_unless_present = "study")]
    pub model: Option<ModelName>,
    /// Protocol: `paper` (widths 32-128, 100 epochs) or `quick` (widths 8-32, 4 epochs).
    #[arg(long, default_value = "quick")]
    pub protocol: Protocol,
    /// Epochs (overrides the protocol's).
    #[arg(long)]
    pub epochs: Option<usize>,
    /// Block widths, 6 values or 3 (each used twice), overriding the protocol's.
    #[arg(long, value_delimiter = ',')]
    pub widths: Option<Vec<usize>>,
    /// Patch side the data was prepared with [default: the protocol's, 112 paper / 64 quick].
    #[arg(long)]
    pub patch_size: Option<usize>,
    /// Augmented copies of each tumour slice per epoch (overrides the protocol's).
    #[arg(long)]
    pub copies: Option<usize>,
    /// Seed of the weights and of every epoch's shuffling, augmentation and dropout.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Continue the run checkpointed in OUT.
    #[arg(long)]
    pub resume: bool,
    #[command(flatten)]
    pub device: super::DeviceArg,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let device = args.device.open()?;
    let obs = Bars::default();
    if let (Some(study), Some(unit)) = (&args.study, &args.unit) {
        let id = UnitId::parse(unit)?;
        let result = rerun_unit(study, id, &args.out, &device, &obs);
        obs.clear();
        let (record, auc) = result?;
        report(id, &record, auc, &args);
        return Ok(ExitCode::SUCCESS);
    }
    let (Some(data), Some(folds), Some(fold), Some(model)) =
        (&args.data, &args.folds, args.fold, args.model)
    else {
        bail!("give --study and --unit, or --data, --folds, --fold and --model");
    };
    let training = FoldTraining {
        cohort: args
            .cohort
            .clone()
            .unwrap_or_else(|| data.join("cohort.csv")),
        prepared: data.clone(),
        folds: folds.clone(),
        fold,
        model,
        protocol: args.protocol,
        seed: args.seed,
        training: TrainingOverrides {
            epochs: args.epochs,
            copies_per_slice: args.copies,
            ..Default::default()
        },
        network: NetworkOverrides {
            widths: args.widths.as_deref().map(expand_widths).transpose()?,
            patch_size: args.patch_size,
            ..Default::default()
        },
        resume: args.resume,
    };
    let result = training.run(&args.out, &device, &obs);
    obs.clear();
    let (record, auc) = result?;
    report(UnitId::Fold { fold, model }, &record, auc, &args);
    Ok(ExitCode::SUCCESS)
}

/// One line: what was trained, the AUC of the first scored set and where the files are.
fn report(id: UnitId, record: &UnitRecord, auc: Option<f64>, args: &Args) {
    let auc = auc.map_or("n/a".into(), |a| format!("{a:.3}"));
    let on = match id {
        UnitId::Fold { fold, .. } => format!("fold {fold} AUC {auc}"),
        UnitId::Final(_) => format!("apparent AUC {auc}"),
    };
    println!(
        "trained {} ({} model) on {} patients; {on}; {UNIT_SCORES} in {}",
        id.name(),
        record.model,
        record.train_patients.len(),
        args.out.display()
    );
}
