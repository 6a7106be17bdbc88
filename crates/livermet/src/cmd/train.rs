//! `livermet train`: train the MRI or Combined network on one fold of a prepared cohort, with
//! a checkpoint after every epoch (`--resume` continues a stopped run).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, bail};
use livermet_cohort::{FoldAssignment, Patient, ValidateOptions, read_cohort};
use livermet_model::checkpoint::write_json_atomic;
use livermet_model::device::{self, DeviceName};
use livermet_model::{
    EpochLog, ModelName, PreparedPatches, Protocol, Trainer, patient_scores, save_model,
};
use livermet_study::clinical::{FeatureTable, Standardisation};
use livermet_study::run::rows_for;

use crate::cmd::progress;

#[derive(clap::Args, Debug)]
#[command(
    after_help = "Example: livermet train --data prepared --folds prepared/folds.json \
--fold 0 --model combined --out runs/combined-f0 --protocol quick"
)]
pub struct Args {
    /// The prepared cohort (`livermet prepare --out`): one folder per patient with
    /// `channels.nii.gz` and `manifest.json`.
    #[arg(long)]
    pub data: PathBuf,
    /// The cohort CSV with labels and clinical values [default: DATA/cohort.csv].
    #[arg(long)]
    pub cohort: Option<PathBuf>,
    /// The fold assignment (JSON, as written by the study).
    #[arg(long)]
    pub folds: PathBuf,
    /// The held-out fold: the network trains on the other folds and reports this fold's
    /// patient-level AUC after every epoch (monitoring only; nothing is selected on it).
    #[arg(long)]
    pub fold: usize,
    /// Which network: `mri` or `combined`.
    #[arg(long)]
    pub model: ModelName,
    /// Output folder: checkpoint/, log.jsonl, model/, scores.csv.
    #[arg(long)]
    pub out: PathBuf,
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
    /// Where to run: `cpu`, or `gpu` (a build with `--features livermet-model/gpu`).
    #[arg(long, default_value = "cpu")]
    pub device: DeviceName,
}

/// 6 widths as given, or 3 widths each used for two blocks.
pub fn expand_widths(w: &[usize]) -> anyhow::Result<Vec<usize>> {
    match w.len() {
        6 => Ok(w.to_vec()),
        3 => Ok(w.iter().flat_map(|&x| [x, x]).collect()),
        n => bail!("--widths takes 3 or 6 values, got {n}"),
    }
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let device = device::open(args.device)?;
    let csv = args
        .cohort
        .clone()
        .unwrap_or_else(|| args.data.join("cohort.csv"));
    let cohort = read_cohort(
        &csv,
        &ValidateOptions {
            check_images: false,
            require_label: true,
        },
    )?;
    let folds = FoldAssignment::load(&args.folds)?;
    if args.fold >= folds.k {
        bail!(
            "--fold {} is out of range: {} has folds 0..{}",
            args.fold,
            args.folds.display(),
            folds.k - 1
        );
    }
    let train_p = fold_patients(&cohort.patients, &folds.train_ids(args.fold), &csv)?;
    let test_p = fold_patients(&cohort.patients, &folds.test_ids(args.fold), &csv)?;
    let kind = args.model;
    if !kind.is_network() {
        bail!("--model {kind} is not a network; `livermet train` trains mri or combined");
    }
    let protocol = args.protocol;
    let std = Standardisation::fit(&FeatureTable::clinical(&train_p));
    let mut net = protocol.net(kind, std.features.len());
    if let Some(s) = args.patch_size {
        net = net.with_patch_size(s);
    }
    if let Some(w) = &args.widths {
        net = net.with_widths(expand_widths(w)?);
    }
    let mut cfg = protocol.train().with_seed(args.seed);
    if let Some(e) = args.epochs {
        cfg = cfg.with_epochs(e);
    }
    if let Some(c) = args.copies {
        cfg = cfg.with_copies_per_slice(c);
    }
    let rows = |ps: &[&Patient]| rows_for(ps.iter().copied(), kind, Some(&std));
    let spin = progress::bar((train_p.len() + test_p.len()) as u64, "reading");
    let tick = || spin.inc(1);
    let aug = protocol.augment();
    let (c, s) = (net.in_channels, net.patch_size);
    let train = PreparedPatches::load(&args.data, &rows(&train_p), c, s, aug, &tick)?;
    let test = PreparedPatches::load(&args.data, &rows(&test_p), c, s, aug, &tick)?;
    spin.finish_and_clear();

    let ckpt = args.out.join("checkpoint");
    let mut trainer = if args.resume {
        Trainer::resume(&ckpt, &net, &cfg, &device)?
    } else {
        if ckpt.join(livermet_model::STATE_FILE).exists() {
            bail!(
                "{} already holds a checkpoint; continue it with --resume or choose another --out",
                args.out.display()
            );
        }
        Trainer::new(net.clone(), cfg.clone(), &device)?
    };
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("creating {}", args.out.display()))?;
    write_json_atomic(&args.out.join("standardisation.json"), &std)?;
    while trainer.epochs_done() < cfg.epochs {
        let e = trainer.epochs_done() + 1;
        let bar = progress::bar(0, &format!("epoch {e}/{}", cfg.epochs));
        let log = trainer.run_epoch(&train, Some(&test), &mut |p| {
            bar.set_length(p.batches as u64);
            bar.set_position(p.batch as u64);
            bar.set_message(format!("epoch {e}/{} loss {:.4}", cfg.epochs, p.loss));
        })?;
        bar.finish_and_clear();
        trainer.save_checkpoint(&ckpt)?;
        write_log(&args.out.join("log.jsonl"), trainer.log())?;
        eprintln!("{}", epoch_line(&log, cfg.epochs));
    }
    let model = trainer.model();
    save_model(&model, &net, &args.out.join("model"))?;
    let scores = patient_scores(&model, &net, &test, cfg.batch_size)?;
    write_scores(&args.out.join("scores.csv"), &test_p, &scores, args.fold)?;
    let auc = trainer.log().last().and_then(|l| l.val_auc);
    println!(
        "trained {:?} model on {} patients ({} epochs); fold {} AUC {}; model in {}",
        kind,
        train_p.len(),
        cfg.epochs,
        args.fold,
        auc.map_or("n/a".into(), |a| format!("{a:.3}")),
        args.out.join("model").display()
    );
    Ok(ExitCode::SUCCESS)
}

fn fold_patients<'a>(
    all: &'a [Patient],
    ids: &[&str],
    csv: &Path,
) -> anyhow::Result<Vec<&'a Patient>> {
    ids.iter()
        .map(|id| {
            all.iter().find(|p| p.id == *id).with_context(|| {
                format!("patient {id} of the fold file is not in {}; use the cohort the folds were made from", csv.display())
            })
        })
        .collect()
}

fn epoch_line(l: &EpochLog, epochs: usize) -> String {
    format!(
        "epoch {}/{}  loss {:.4}  lr {:.2e}  val AUC {}",
        l.epoch,
        epochs,
        l.loss,
        l.lr,
        l.val_auc.map_or("n/a".into(), |a| format!("{a:.3}"))
    )
}

/// The whole log as JSON lines, rewritten atomically after each epoch.
fn write_log(path: &Path, log: &[EpochLog]) -> anyhow::Result<()> {
    let mut text = String::new();
    for l in log {
        text.push_str(&serde_json::to_string(l)?);
        text.push('\n');
    }
    livermet_model::checkpoint::write_atomic(path, text.as_bytes())?;
    Ok(())
}

fn write_scores(path: &Path, ps: &[&Patient], scores: &[f64], fold: usize) -> anyhow::Result<()> {
    let mut text = String::from("patient_id,fold,slm,score\n");
    for (p, s) in ps.iter().zip(scores) {
        text.push_str(&format!(
            "{},{fold},{},{s}\n",
            p.id,
            u8::from(p.slm == Some(true))
        ));
    }
    livermet_model::checkpoint::write_atomic(path, text.as_bytes())?;
    Ok(())
}
