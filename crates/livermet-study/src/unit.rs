//! A unit of a study: one model fitted on one set of training patients, scoring one or more
//! patient sets. The one owner of what a unit is: its name (`fold0-mri`, `final-combined`,
//! the folders of `OUT/work/`), its seed, which patients it trains on and scores (patients,
//! never patches, are split), the in-unit standardisation of the clinical vector, the epoch
//! loop with its checkpoints and log, and the scores it leaves in `scores.json`.
//!
//! `livermet study` runs every unit of a study through [`fit_unit`]; `livermet train --study
//! OUT --unit fold0-mri` runs one of them again through the same function, so it writes the
//! study's scores bit for bit.

use std::path::{Path, PathBuf};

use livermet_cohort::{CLINICAL_FEATURES, FoldAssignment, Patient, ValidateOptions, read_cohort};
use livermet_io::{read_json, write_bytes_atomic, write_json_atomic};
use livermet_model::saliency::mean_image_features;
use livermet_model::{
    Device, EpochLog, Fusion, ModelName, NetConfig, PatchSource, PatientRow, PreparedPatches,
    Protocol, TrainConfig, Trainer, patient_scores, save_model,
};
use serde::{Deserialize, Serialize};

use crate::StudyError;
use crate::clinical::{CfFit, FeatureTable, Standardisation, fit_cf};
use crate::run::Observer;
use crate::scores::UnitScores;
use crate::settings::{DEFAULT_FUSION, NetworkOverrides, StudySettings, TrainingOverrides};

/// Which unit of a study.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnitId {
    /// `model` fitted on the other folds, scoring fold `fold` (cross-validation).
    Fold { fold: usize, model: ModelName },
    /// `model` fitted on the whole primary cohort, scoring it and the external cohort.
    Final(ModelName),
}

impl UnitId {
    /// The unit's folder name in `OUT/work/`: `fold0-mri`, `final-cf`, ...
    pub fn name(self) -> String {
        match self {
            UnitId::Fold { fold, model } => format!("fold{fold}-{}", model.slug()),
            UnitId::Final(model) => format!("final-{}", model.slug()),
        }
    }

    /// The model the unit fits.
    pub fn model(self) -> ModelName {
        match self {
            UnitId::Fold { model, .. } | UnitId::Final(model) => model,
        }
    }

    /// The seed of the unit's network (weights, shuffling, augmentation, dropout): distinct for
    /// every fold and model, derived from the study's seed.
    pub fn seed(self, study_seed: u64) -> u64 {
        match self {
            UnitId::Fold { fold, model } => study_seed + 1 + 10 * fold as u64 + model as u64,
            UnitId::Final(model) => study_seed + 1000 + model as u64,
        }
    }

    /// Parses a folder name as [`UnitId::name`] writes it.
    pub fn parse(name: &str) -> Result<Self, StudyError> {
        let bad = || {
            StudyError::Mismatch(format!(
                "`{name}` is not a unit name; units are named as the folders of OUT/work/: \
                 fold<K>-<model> or final-<model>, model cf, mri or combined (e.g. fold0-mri)"
            ))
        };
        let (head, model) = name.split_once('-').ok_or_else(bad)?;
        let model: ModelName = model.parse().map_err(|_| bad())?;
        if head == "final" {
            return Ok(UnitId::Final(model));
        }
        let fold = head
            .strip_prefix("fold")
            .and_then(|k| k.parse().ok())
            .ok_or_else(bad)?;
        Ok(UnitId::Fold { fold, model })
    }
}

/// Which cohort's tumour slices a scored set comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cohort {
    Primary,
    External,
}

/// One unit, resolved: its model, seed and patients.
#[derive(Debug, Clone)]
pub struct Unit<'a> {
    pub name: String,
    pub model: ModelName,
    pub seed: u64,
    /// The patients everything of the unit is fitted on.
    pub train: Vec<&'a Patient>,
    /// The patient sets scored, in order, with the cohort each comes from.
    pub score_sets: Vec<(Vec<&'a Patient>, Cohort)>,
    /// Whether each epoch reports the AUC of the first scored set (monitoring only: nothing
    /// is selected on it).
    pub monitor: bool,
}

/// The training and held-out patients of `fold`, each in cohort order. Every patient of the
/// cohort must have a fold and every patient of the fold file must be in the cohort.
pub fn fold_split<'a>(
    patients: &'a [Patient],
    folds: &FoldAssignment,
    fold: usize,
) -> Result<(Vec<&'a Patient>, Vec<&'a Patient>), StudyError> {
    if fold >= folds.k {
        return Err(StudyError::Mismatch(format!(
            "fold {fold} is out of range: the folds are 0..{}",
            folds.k - 1
        )));
    }
    if let Some(id) = folds
        .folds
        .keys()
        .find(|id| !patients.iter().any(|p| &p.id == *id))
    {
        return Err(StudyError::Mismatch(format!(
            "patient {id} of the fold file is not in the cohort; use the cohort the folds were made from"
        )));
    }
    let mut train = Vec::new();
    let mut test = Vec::new();
    for p in patients {
        match folds.folds.get(&p.id) {
            Some(&f) if f == fold => test.push(p),
            Some(_) => train.push(p),
            None => {
                return Err(StudyError::Mismatch(format!(
                    "patient {} of the cohort has no fold in the fold file; use the folds made from this cohort",
                    p.id
                )));
            }
        }
    }
    Ok((train, test))
}

impl<'a> Unit<'a> {
    /// The unit `id` of a study on `primary` (and `external`) with `folds`.
    pub fn of_study(
        id: UnitId,
        study_seed: u64,
        primary: &'a [Patient],
        external: &'a [Patient],
        folds: &FoldAssignment,
    ) -> Result<Self, StudyError> {
        let (train, score_sets, monitor) = match id {
            UnitId::Fold { fold, .. } => {
                let (train, test) = fold_split(primary, folds, fold)?;
                (train, vec![(test, Cohort::Primary)], true)
            }
            UnitId::Final(_) => {
                let all: Vec<&Patient> = primary.iter().collect();
                let ext: Vec<&Patient> = external.iter().collect();
                let sets = vec![(all.clone(), Cohort::Primary), (ext, Cohort::External)];
                (all, sets, false)
            }
        };
        Ok(Unit {
            name: id.name(),
            model: id.model(),
            seed: id.seed(study_seed),
            train,
            score_sets,
            monitor,
        })
    }
}

/// Every tumour slice of each cohort, read once (no clinical vector: each unit selects its
/// patients with its own standardisation).
#[derive(Debug, Default)]
pub struct CohortPatches {
    pub primary: Option<PreparedPatches>,
    pub external: Option<PreparedPatches>,
}

impl CohortPatches {
    fn of(&self, cohort: Cohort) -> Option<&PreparedPatches> {
        match cohort {
            Cohort::Primary => self.primary.as_ref(),
            Cohort::External => self.external.as_ref(),
        }
    }
}

/// Reads the tumour slices of `patients` from the prepared folder `dir` with the study's patch
/// size and augmentation (`None` for no patients).
pub fn read_patches(
    settings: &StudySettings,
    dir: &Path,
    patients: &[Patient],
) -> Result<Option<PreparedPatches>, StudyError> {
    if patients.is_empty() {
        return Ok(None);
    }
    let rows = rows_for(patients.iter(), ClinicalInput::None);
    let aug = settings.protocol.augment();
    Ok(Some(PreparedPatches::load(
        dir,
        &rows,
        livermet_image::CHANNELS.len(),
        settings.patch_size(),
        aug,
        &|| {},
    )?))
}

/// What a unit leaves behind: `<dir>/scores.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct UnitRecord {
    pub model: ModelName,
    pub train_patients: Vec<String>,
    /// One entry per scored patient set.
    pub scores: Vec<UnitScores>,
    pub cf: Option<CfFit>,
    pub standardisation: Option<Standardisation>,
    /// Offset fusion: the CF model (fitted on this unit's training patients) whose linear
    /// predictor the Combined network takes.
    #[serde(default)]
    pub offset_cf: Option<CfFit>,
    /// Combined model: the mean pooled image feature vector of its training patients' tumour
    /// slices, the image baseline of the attribution ([`crate::explain`]).
    #[serde(default)]
    pub image_baseline: Option<Vec<f64>>,
}

impl Unit<'_> {
    /// The AUC of the unit's first scored set in `record` (the held-out fold of a fold unit;
    /// the training patients themselves for a final unit); `None` with one class only.
    pub fn first_set_auc(&self, record: &UnitRecord) -> Option<f64> {
        let (set, _) = self.score_sets.first()?;
        let y: Vec<bool> = set.iter().map(|p| p.slm == Some(true)).collect();
        livermet_stats::roc::auc(&record.scores.first()?.scores, &y).ok()
    }
}

/// The file that marks a unit as done.
pub const UNIT_SCORES: &str = "scores.json";

/// Fits `unit` with the study's `settings` on `device` into `dir` and scores its sets, or reads
/// the record of an earlier run from `dir/scores.json`. A network interrupted mid-training
/// continues from `dir/checkpoint`; `dir/log.jsonl` holds one line per epoch.
pub fn fit_unit(
    unit: &Unit,
    settings: &StudySettings,
    patches: &CohortPatches,
    dir: &Path,
    device: &Device,
    obs: &dyn Observer,
) -> Result<UnitRecord, StudyError> {
    let done = dir.join(UNIT_SCORES);
    // `candidates`: the clinical values standardised for the network (paper fusion); offset
    // fusion feeds the one CF linear predictor instead (`combined_inputs`).
    let configs = |candidates| {
        let net = settings.net(unit.model, settings.combined_inputs(candidates));
        (net, settings.train().with_seed(unit.seed))
    };
    if done.exists() {
        // A finished network must still be the one these settings describe.
        if unit.model.is_network() && has_checkpoint(dir) {
            let (net, cfg) = configs(CLINICAL_FEATURES.len());
            Trainer::checkpoint_state(&dir.join("checkpoint"), &net, &cfg)?;
        }
        return Ok(read_json(&done)?);
    }
    std::fs::create_dir_all(dir).map_err(|e| StudyError::file(dir, e))?;
    let train_table = FeatureTable::clinical(&unit.train);
    let y: Vec<bool> = unit.train.iter().map(|p| p.slm == Some(true)).collect();
    let mut record = UnitRecord {
        model: unit.model,
        train_patients: unit.train.iter().map(|p| p.id.clone()).collect(),
        scores: Vec::new(),
        cf: None,
        standardisation: None,
        offset_cf: None,
        image_baseline: None,
    };
    let ids = |set: &[&Patient]| set.iter().map(|p| p.id.clone()).collect();
    if !unit.model.is_network() {
        let cf = fit_cf(&train_table, &y)?;
        for (set, _) in &unit.score_sets {
            record.scores.push(UnitScores {
                patient_ids: ids(set),
                scores: cf.predict(&FeatureTable::clinical(set)),
            });
        }
        record.cf = Some(cf);
        write_json_atomic(&done, &record)?;
        return Ok(record);
    }
    // Fitted on the training patients only, like everything else of the unit: the
    // standardisation and, for offset fusion, the CF model whose linear predictor the network
    // adds to its log-odds.
    let std = Standardisation::fit(&train_table);
    let offset_cf = match (unit.model, settings.fusion) {
        (ModelName::Combined, Fusion::Offset) => Some(fit_cf(&train_table, &y)?),
        _ => None,
    };
    let input = match (unit.model, &offset_cf) {
        (ModelName::Combined, Some(cf)) => ClinicalInput::CfOffset(cf),
        (ModelName::Combined, None) => ClinicalInput::Standardised(&std),
        _ => ClinicalInput::None,
    };
    let rows = |set: &[&Patient]| rows_for(set.iter().copied(), input);
    let select = |set: &[&Patient], cohort| -> Result<Option<PreparedPatches>, StudyError> {
        match patches.of(cohort) {
            Some(p) if !set.is_empty() => Ok(Some(p.select(&rows(set))?)),
            _ => Ok(None),
        }
    };
    let train_src = select(&unit.train, Cohort::Primary)?
        .ok_or_else(|| StudyError::Mismatch("no patches read".into()))?;
    let monitor_src = match unit.score_sets.first() {
        Some((set, cohort)) if unit.monitor => select(set, *cohort)?,
        _ => None,
    };
    let (net, cfg) = configs(std.features.len());
    let trainer = start_or_resume(dir, &net, &cfg, device)?;
    let trainer = train_epochs(
        &unit.name,
        dir,
        trainer,
        &train_src,
        monitor_src.as_ref(),
        obs,
    )?;
    let fitted = trainer.model();
    save_model(&fitted, &net, &dir.join("model"))?;
    for (set, cohort) in &unit.score_sets {
        let scores = match select(set, *cohort)? {
            Some(src) => patient_scores(&fitted, &net, &src, cfg.batch_size)?,
            None => Vec::new(),
        };
        record.scores.push(UnitScores {
            patient_ids: ids(set),
            scores,
        });
    }
    if unit.model == ModelName::Combined {
        record.image_baseline = Some(mean_image_features(&fitted, &net, &train_src)?);
    }
    record.standardisation = Some(std);
    record.offset_cf = offset_cf;
    write_json_atomic(&done, &record)?;
    Ok(record)
}

/// One network trained on one fold of any prepared cohort, outside a study (`livermet train
/// --data`): a fold unit as [`fit_unit`] runs it, with these settings in place of a study's.
#[derive(Debug, Clone)]
pub struct FoldTraining {
    /// The cohort CSV with labels and clinical values.
    pub cohort: PathBuf,
    /// The prepared cohort (`livermet prepare --out`).
    pub prepared: PathBuf,
    /// The fold assignment (JSON, as the study writes it).
    pub folds: PathBuf,
    /// The held-out fold: the network trains on the others and reports this one's AUC after
    /// every epoch (monitoring only).
    pub fold: usize,
    /// `mri` or `combined`.
    pub model: ModelName,
    pub protocol: Protocol,
    /// The unit's own seed (weights, shuffling, augmentation, dropout), used as given.
    pub seed: u64,
    pub training: TrainingOverrides,
    pub network: NetworkOverrides,
    /// Continue the training checkpointed in the output folder (which must hold one); without
    /// it the folder must hold none.
    pub resume: bool,
}

impl FoldTraining {
    /// Trains into `dir` (checkpoint/, log.jsonl, model/, scores.json): the unit's record and
    /// the held-out fold's AUC.
    pub fn run(
        &self,
        dir: &Path,
        device: &Device,
        obs: &dyn Observer,
    ) -> Result<(UnitRecord, Option<f64>), StudyError> {
        let model = self.model;
        if !model.is_network() {
            return Err(StudyError::Mismatch(format!(
                "--model {model} is not a network; `livermet train` trains mri or combined"
            )));
        }
        let options = ValidateOptions {
            check_images: false,
            require_label: true,
        };
        let cohort = read_cohort(&self.cohort, &options)?;
        let folds = FoldAssignment::load(&self.folds)?;
        // The study's fold unit, with the seed as given rather than derived from a study's.
        let id = UnitId::Fold {
            fold: self.fold,
            model,
        };
        let mut unit = Unit::of_study(id, 0, &cohort.patients, &[], &folds).map_err(|e| {
            let (csv, folds) = (self.cohort.display(), self.folds.display());
            StudyError::Mismatch(format!("{csv} and {folds}: {e}"))
        })?;
        unit.seed = self.seed;
        match (has_checkpoint(dir), self.resume) {
            (true, false) => Err(format!(
                "{} already holds a checkpoint; continue it with --resume or choose another --out",
                dir.display()
            )),
            (false, true) => Err(format!(
                "no checkpoint in {}; train without --resume first",
                dir.display()
            )),
            _ => Ok(()),
        }
        .map_err(StudyError::Mismatch)?;
        let settings = StudySettings {
            primary: self.cohort.clone(),
            external: None,
            protocol: self.protocol,
            folds: folds.k,
            seed: self.seed,
            models: vec![model],
            fusion: DEFAULT_FUSION,
            training: self.training.clone(),
            network: self.network.clone(),
            prepare: None,
            slurm: Default::default(),
            source: Default::default(),
        };
        let patches = CohortPatches {
            primary: read_patches(&settings, &self.prepared, &cohort.patients)?,
            external: None,
        };
        let record = fit_unit(&unit, &settings, &patches, dir, device, obs)?;
        let auc = unit.first_set_auc(&record);
        Ok((record, auc))
    }
}

/// Whether `dir` holds a network's checkpoint (an interrupted or finished training).
pub fn has_checkpoint(dir: &Path) -> bool {
    dir.join("checkpoint")
        .join(livermet_model::STATE_FILE)
        .exists()
}

/// A fresh training of `net` with `cfg`, or the one interrupted in `dir/checkpoint` (which
/// must have been started with the same settings).
pub fn start_or_resume(
    dir: &Path,
    net: &NetConfig,
    cfg: &TrainConfig,
    device: &Device,
) -> Result<Trainer, StudyError> {
    Ok(if has_checkpoint(dir) {
        Trainer::resume(&dir.join("checkpoint"), net, cfg, device)?
    } else {
        Trainer::new(net.clone(), cfg.clone(), device)?
    })
}

/// Runs the remaining epochs of `trainer`; after each, the checkpoint and `dir/log.jsonl` are
/// rewritten (so a run stopped at any point continues from its last epoch).
fn train_epochs(
    unit: &str,
    dir: &Path,
    mut trainer: Trainer,
    train: &PreparedPatches,
    monitor: Option<&PreparedPatches>,
    obs: &dyn Observer,
) -> Result<Trainer, StudyError> {
    let epochs = trainer.train_config().epochs;
    while trainer.epochs_done() < epochs {
        let e = trainer.epochs_done() + 1;
        let log = trainer.run_epoch(train, monitor.map(|m| m as &dyn PatchSource), &mut |p| {
            obs.batch(unit, e, epochs, p)
        })?;
        trainer.save_checkpoint(&dir.join("checkpoint"))?;
        write_log(&dir.join("log.jsonl"), trainer.log())?;
        obs.epoch(unit, &log, epochs);
    }
    Ok(trainer)
}

/// The whole log as JSON lines.
fn write_log(path: &Path, log: &[EpochLog]) -> Result<(), StudyError> {
    let mut text = String::new();
    for l in log {
        text.push_str(&serde_json::to_string(l).map_err(|e| StudyError::file(path, e))?);
        text.push('\n');
    }
    Ok(write_bytes_atomic(path, text.as_bytes())?)
}

/// What a network is given of a patient's clinical values.
#[derive(Debug, Clone, Copy)]
pub enum ClinicalInput<'a> {
    /// Nothing (the MRI model).
    None,
    /// The CF candidates standardised on the training patients (paper fusion).
    Standardised(&'a Standardisation),
    /// The linear predictor of the CF model fitted on the training patients (offset fusion).
    CfOffset(&'a CfFit),
}

impl ClinicalInput<'_> {
    /// The input of one patient.
    fn of(&self, p: &Patient) -> Vec<f32> {
        self.of_features(&p.clinical.features())
    }

    /// The input for the five CF candidates `x` ([`CLINICAL_FEATURES`] order): also the
    /// attribution's coalitions, where some features sit at their baseline.
    pub fn of_features(&self, x: &[f64]) -> Vec<f32> {
        match self {
            ClinicalInput::None => Vec::new(),
            ClinicalInput::Standardised(s) => s.apply(x),
            ClinicalInput::CfOffset(cf) => {
                let table = FeatureTable {
                    names: CLINICAL_FEATURES.iter().map(|s| s.to_string()).collect(),
                    values: vec![x.to_vec()],
                };
                vec![cf.linear_predictor(&table)[0] as f32]
            }
        }
    }
}

/// The network's view of `patients`: labels and the clinical input.
pub fn rows_for<'a>(
    patients: impl Iterator<Item = &'a Patient>,
    input: ClinicalInput,
) -> Vec<PatientRow> {
    patients
        .map(|p| PatientRow {
            patient_id: p.id.clone(),
            label: u8::from(p.slm == Some(true)),
            clinical: input.of(p),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unit_names_round_trip_and_seeds_stay_the_studys() {
        for id in [
            UnitId::Fold {
                fold: 3,
                model: ModelName::Combined,
            },
            UnitId::Final(ModelName::CF),
        ] {
            assert_eq!(UnitId::parse(&id.name()).unwrap(), id);
        }
        assert_eq!(UnitId::parse("fold0-mri").unwrap().seed(42), 42 + 1 + 1);
        assert_eq!(
            UnitId::parse("fold2-combined").unwrap().seed(42),
            42 + 1 + 20 + 2
        );
        assert_eq!(UnitId::parse("final-cf").unwrap().seed(42), 42 + 1000);
        for bad in ["fold-mri", "foldx-cf", "final-net", "fold0"] {
            let e = UnitId::parse(bad).unwrap_err().to_string();
            assert!(e.contains("fold0-mri"), "{e}");
        }
    }
}
