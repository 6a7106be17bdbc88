//! `livermet study`: the whole protocol on a primary and an external cohort (DESIGN.md, "Data
//! flow"). Validate both cohorts, prepare them (cached), assign stratified patient-level folds,
//! fit CF, MRI and Combined inside each fold (everything fitted — CF selection, the clinical
//! standardisation, the networks — sees the training patients only), pool the out-of-fold
//! scores, then refit every model on the whole primary cohort and score the external one.
//!
//! Resumable: each unit of work (a model in a fold, or a final model) is written to
//! `OUT/work/<unit>/` and skipped once its `scores.json` exists; a network interrupted
//! mid-training continues from its last epoch checkpoint. A study restarted with other settings
//! is refused instead of mixing two studies' results.

use std::path::{Path, PathBuf};

use livermet_cohort::{FoldAssignment, Patient, ValidateOptions, stratified_folds};
use livermet_model::checkpoint::{read_json, write_json_atomic};
use livermet_model::{
    BatchProgress, Device, EpochLog, PatientRow, PreparedPatches, Trainer,
    patient_scores, save_model,
};
use serde::{Deserialize, Serialize};

use crate::clinical::{CfFit, FeatureTable, Standardisation, fit_cf};
use crate::prepare::prepare_cohort;
use crate::scores::{CohortScores, UnitScores};
use crate::settings::{ModelName, StudySettings};
use crate::{StudyError, cohort_io};

/// What a study reports while it runs (the CLI draws progress bars from it).
pub trait Observer: Sync {
    /// A new stage begins (one line for the user).
    fn stage(&self, _text: &str) {}
    /// `n` patients of `cohort` are about to be prepared.
    fn prepare_started(&self, _cohort: &str, _n: usize) {}
    /// One patient prepared (or found prepared).
    fn prepared_one(&self) {}
    /// A batch of `unit` finished.
    fn batch(&self, _unit: &str, _epoch: usize, _epochs: usize, _p: BatchProgress) {}
    /// An epoch of `unit` finished.
    fn epoch(&self, _unit: &str, _log: &EpochLog, _epochs: usize) {}
}

/// An observer that reports nothing.
#[derive(Debug)]
pub struct Quiet;
impl Observer for Quiet {}

/// Everything a finished study produced (the evaluation and the report read it).
#[derive(Debug, Clone)]
pub struct StudyRun {
    pub settings: StudySettings,
    pub primary: Vec<Patient>,
    pub external: Vec<Patient>,
    pub folds: FoldAssignment,
    /// Out-of-fold scores of the primary cohort.
    pub primary_cv: CohortScores,
    /// Scores of the external cohort by the models refitted on the whole primary cohort.
    pub external_scores: Option<CohortScores>,
    /// The final models' scores of their own training patients (the bundle's thresholds).
    pub primary_apparent: CohortScores,
    /// The final CF model (fitted on the whole primary cohort).
    pub final_cf: Option<CfFit>,
    /// The final standardisation of the clinical vector.
    pub final_standardisation: Standardisation,
    /// Prepared data of each cohort.
    pub prepared_primary: PathBuf,
    pub prepared_external: PathBuf,
    /// The predictors of the CF model of each fold.
    pub cf_per_fold: Vec<Vec<String>>,
    /// Where the final networks were saved (`<dir>/model`), by model.
    pub final_networks: Vec<(ModelName, PathBuf)>,
}

/// The work folder of a study.
pub fn work_dir(out: &Path) -> PathBuf {
    out.join("work")
}

/// Runs (or resumes) the study described by `settings`, writing into `out`.
pub fn run_study(
    settings: &StudySettings,
    out: &Path,
    device: &Device,
    obs: &dyn Observer,
) -> Result<StudyRun, StudyError> {
    let work = work_dir(out);
    std::fs::create_dir_all(&work).map_err(|e| StudyError::file(&work, e))?;
    check_same_settings(&work, settings)?;
    if let Some(ext) = &settings.external {
        cohort_io::check_same_columns(&settings.primary, ext)?;
    }

    obs.stage("validating the cohorts");
    let (primary, external) = cohort_io::read_cohorts(settings, ValidateOptions::default())?;
    let prepared_primary = out.join("prepared").join("primary");
    let prepared_external = out.join("prepared").join("external");
    let prep = settings.prepare_settings();
    for (name, patients, dir) in [
        ("primary", &primary, &prepared_primary),
        ("external", &external, &prepared_external),
    ] {
        if patients.is_empty() {
            continue;
        }
        obs.stage(&format!(
            "preparing the {name} cohort ({} patients)",
            patients.len()
        ));
        obs.prepare_started(name, patients.len());
        let report = prepare_cohort(patients, dir, &prep, &|| obs.prepared_one())?;
        if !report.failed.is_empty() {
            return Err(StudyError::PrepareFailed {
                cohort: name.into(),
                failed: report.failed,
            });
        }
    }

    let folds = fold_assignment(&work, &primary, settings)?;
    let ctx = Context {
        settings,
        device,
        obs,
        work: &work,
    };
    let needs_images = settings.fits(ModelName::MRI) || settings.fits(ModelName::Combined);
    let patch = settings.patch_size();
    let load =
        |dir: &Path, ps: &[Patient], name: &str| -> Result<Option<PreparedPatches>, StudyError> {
            if !needs_images || ps.is_empty() {
                return Ok(None);
            }
            obs.stage(&format!("reading the {name} cohort's tumour slices"));
            let rows = rows_for(ps.iter(), ModelName::MRI, None);
            let aug = settings.protocol.augment();
            Ok(Some(PreparedPatches::load(
                dir,
                &rows,
                5,
                patch,
                aug,
                &|| {},
            )?))
        };
    let primary_patches = load(&prepared_primary, &primary, "primary")?;
    let external_patches = load(&prepared_external, &external, "external")?;

    // Cross-validation: every unit fitted on the other folds, scoring this fold.
    let ids: Vec<String> = primary.iter().map(|p| p.id.clone()).collect();
    let mut cv = CohortScores {
        cohort: "primary_cv".into(),
        patient_ids: ids.clone(),
        slm: primary.iter().map(|p| p.slm == Some(true)).collect(),
        fold: ids.iter().map(|id| folds.folds[id]).collect(),
        scores: Default::default(),
    };
    for m in &settings.models {
        cv.scores.insert(*m, vec![f64::NAN; primary.len()]);
    }
    let mut cf_per_fold = Vec::new();
    for fold in 0..folds.k {
        let train: Vec<&Patient> = primary
            .iter()
            .filter(|p| folds.folds[&p.id] != fold)
            .collect();
        let test: Vec<&Patient> = primary
            .iter()
            .filter(|p| folds.folds[&p.id] == fold)
            .collect();
        for &model in &settings.models {
            let unit = format!("fold{fold}-{}", model.slug());
            obs.stage(&format!("fold {}/{}: {model} model", fold + 1, folds.k));
            let seed = settings.seed + 1 + 10 * fold as u64 + model as u64;
            let fitted = ctx.fit_unit(
                &unit,
                model,
                seed,
                &train,
                &[&test],
                primary_patches.as_ref(),
                &[primary_patches.as_ref()],
                true,
            )?;
            if let Some(cf) = &fitted.cf {
                cf_per_fold.push(cf.predictors.clone());
            }
            let scores = &fitted.scores[0];
            let col = cv.scores.get_mut(&model).expect("model column");
            for (id, s) in scores.patient_ids.iter().zip(&scores.scores) {
                let i = ids
                    .iter()
                    .position(|x| x == id)
                    .expect("patient of this cohort");
                col[i] = *s;
            }
        }
    }

    // Final models: the whole primary cohort; scores of the external cohort and of itself.
    let all: Vec<&Patient> = primary.iter().collect();
    let ext: Vec<&Patient> = external.iter().collect();
    let mut apparent = CohortScores {
        cohort: "primary_apparent".into(),
        fold: Vec::new(),
        ..cv.clone()
    };
    let mut ext_scores = (!external.is_empty()).then(|| CohortScores {
        cohort: "external".into(),
        patient_ids: external.iter().map(|p| p.id.clone()).collect(),
        slm: external.iter().map(|p| p.slm == Some(true)).collect(),
        fold: Vec::new(),
        scores: Default::default(),
    });
    let mut final_cf = None;
    let mut final_networks = Vec::new();
    for &model in &settings.models {
        let unit = format!("final-{}", model.slug());
        obs.stage(&format!("final {model} model on the whole primary cohort"));
        let seed = settings.seed + 1000 + model as u64;
        let fitted = ctx.fit_unit(
            &unit,
            model,
            seed,
            &all,
            &[&all, &ext],
            primary_patches.as_ref(),
            &[primary_patches.as_ref(), external_patches.as_ref()],
            false,
        )?;
        apparent
            .scores
            .insert(model, fitted.scores[0].scores.clone());
        if let Some(e) = ext_scores.as_mut() {
            e.scores.insert(model, fitted.scores[1].scores.clone());
        }
        if let Some(cf) = fitted.cf {
            final_cf = Some(cf);
        }
        if model.is_network() {
            final_networks.push((model, work.join(&unit).join("model")));
        }
    }
    Ok(StudyRun {
        settings: settings.clone(),
        final_standardisation: Standardisation::fit(&FeatureTable::clinical(&all)),
        primary,
        external,
        folds,
        primary_cv: cv,
        external_scores: ext_scores,
        primary_apparent: apparent,
        final_cf,
        cf_per_fold,
        prepared_primary,
        prepared_external,
        final_networks,
    })
}

/// Settings and device shared by every unit.
struct Context<'a> {
    settings: &'a StudySettings,
    device: &'a Device,
    obs: &'a dyn Observer,
    work: &'a Path,
}

/// What a unit leaves behind: `OUT/work/<unit>/scores.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct UnitRecord {
    model: ModelName,
    train_patients: Vec<String>,
    /// One entry per scored patient set.
    scores: Vec<UnitScores>,
    cf: Option<CfFit>,
    standardisation: Option<Standardisation>,
}

impl Context<'_> {
    /// Fits `model` on `train` and scores each of `score_sets`, or reads the result of an
    /// earlier run. `patches` holds the tumour slices of `train` (images models only);
    /// `score_patches[i]` those of `score_sets[i]`.
    fn fit_unit(
        &self,
        unit: &str,
        model: ModelName,
        seed: u64,
        train: &[&Patient],
        score_sets: &[&[&Patient]],
        patches: Option<&PreparedPatches>,
        score_patches: &[Option<&PreparedPatches>],
        monitor: bool,
    ) -> Result<UnitRecord, StudyError> {
        let dir = self.work.join(unit);
        let done = dir.join("scores.json");
        if done.exists() {
            return Ok(read_json(&done)?);
        }
        std::fs::create_dir_all(&dir).map_err(|e| StudyError::file(&dir, e))?;
        let train_table = FeatureTable::clinical(train);
        let y: Vec<bool> = train.iter().map(|p| p.slm == Some(true)).collect();
        let mut record = UnitRecord {
            model,
            train_patients: train.iter().map(|p| p.id.clone()).collect(),
            scores: Vec::new(),
            cf: None,
            standardisation: None,
        };
        match model.is_network() {
            false => {
                let cf = fit_cf(&train_table, &y)?;
                for set in score_sets {
                    record.scores.push(UnitScores {
                        patient_ids: set.iter().map(|p| p.id.clone()).collect(),
                        scores: cf.predict(&FeatureTable::clinical(set)),
                    });
                }
                record.cf = Some(cf);
            }
            true => {
                let kind = model;
                let std = Standardisation::fit(&train_table);
                let patches =
                    patches.ok_or_else(|| StudyError::Mismatch("no patches read".into()))?;
                let train_src =
                    patches.select(&rows_for(train.iter().copied(), kind, Some(&std)))?;
                let first_set = score_sets.first().copied().unwrap_or(&[]);
                let monitor_src = match (monitor, score_patches.first().copied().flatten()) {
                    (true, Some(p)) => {
                        Some(p.select(&rows_for(first_set.iter().copied(), kind, Some(&std)))?)
                    }
                    _ => None,
                };
                let net = self.settings.net(kind, std.features.len());
                let cfg = self.settings.train().with_seed(seed);
                let trainer = self.train_network(
                    unit,
                    &dir,
                    net.clone(),
                    cfg.clone(),
                    &train_src,
                    monitor_src.as_ref(),
                )?;
                let fitted = trainer.model();
                save_model(&fitted, &net, &dir.join("model"))?;
                for (set, src) in score_sets.iter().zip(score_patches) {
                    let ids: Vec<String> = set.iter().map(|p| p.id.clone()).collect();
                    let scores = match src {
                        Some(src) if !set.is_empty() => {
                            let s = src.select(&rows_for(set.iter().copied(), kind, Some(&std)))?;
                            patient_scores(&fitted, &net, &s, cfg.batch_size)?
                        }
                        _ => Vec::new(),
                    };
                    record.scores.push(UnitScores {
                        patient_ids: ids,
                        scores,
                    });
                }
                record.standardisation = Some(std);
            }
        }
        write_json_atomic(&done, &record)?;
        Ok(record)
    }

    /// Trains one network, continuing from `dir/checkpoint` when a run was interrupted.
    fn train_network(
        &self,
        unit: &str,
        dir: &Path,
        net: livermet_model::NetConfig,
        cfg: livermet_model::TrainConfig,
        train: &PreparedPatches,
        monitor: Option<&PreparedPatches>,
    ) -> Result<Trainer, StudyError> {
        let ckpt = dir.join("checkpoint");
        let mut trainer = if ckpt.join(livermet_model::STATE_FILE).exists() {
            Trainer::resume(&ckpt, &net, &cfg, self.device)?
        } else {
            Trainer::new(net, cfg.clone(), self.device)?
        };
        while trainer.epochs_done() < cfg.epochs {
            let e = trainer.epochs_done() + 1;
            let log = trainer.run_epoch(
                train,
                monitor.map(|m| m as &dyn livermet_model::PatchSource),
                &mut |p| self.obs.batch(unit, e, cfg.epochs, p),
            )?;
            trainer.save_checkpoint(&ckpt)?;
            self.obs.epoch(unit, &log, cfg.epochs);
        }
        Ok(trainer)
    }
}

/// The network's view of `patients`: labels and (Combined only) standardised clinical vectors.
pub fn rows_for<'a>(
    patients: impl Iterator<Item = &'a Patient>,
    model: ModelName,
    std: Option<&Standardisation>,
) -> Vec<PatientRow> {
    patients
        .map(|p| PatientRow {
            patient_id: p.id.clone(),
            label: u8::from(p.slm == Some(true)),
            clinical: match std {
                Some(s) if model.uses_clinical_vector() => s.apply(&p.clinical.features()),
                _ => Vec::new(),
            },
        })
        .collect()
}

/// The study's folds: made once (stratified, seeded) and saved; a resumed study reuses them.
fn fold_assignment(
    work: &Path,
    primary: &[Patient],
    settings: &StudySettings,
) -> Result<FoldAssignment, StudyError> {
    let path = work.join("folds.json");
    if path.exists() {
        return Ok(FoldAssignment::load(&path)?);
    }
    let labels: Vec<(String, bool)> = primary
        .iter()
        .map(|p| (p.id.clone(), p.slm == Some(true)))
        .collect();
    let folds = stratified_folds(&labels, settings.folds, settings.seed)?;
    folds.save(&path)?;
    Ok(folds)
}

/// A study folder belongs to one set of settings.
fn check_same_settings(work: &Path, settings: &StudySettings) -> Result<(), StudyError> {
    let path = work.join("settings.json");
    if path.exists() {
        let prev: StudySettings = read_json(&path)?;
        if prev != *settings {
            return Err(StudyError::Mismatch(format!(
                "{} holds a study with other settings; use another --out folder or delete it",
                work.parent().unwrap_or(work).display()
            )));
        }
        return Ok(());
    }
    Ok(write_json_atomic(&path, settings)?)
}
