//! `livermet study`: the whole protocol on a primary and an external cohort (docs/DESIGN.md, "Data
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
use livermet_io::{read_json, write_json_atomic};
use livermet_model::{BatchProgress, Device, EpochLog};

use crate::bayes_limit::{TwinTruth, read_twin_truth};
use crate::clinical::{CfFit, FeatureTable, Standardisation};
use crate::prepare::prepare_cohort;
use crate::scores::CohortScores;
use crate::settings::{ModelName, StudySettings};
use crate::unit::{CohortPatches, Unit, UnitId, UnitRecord, fit_unit, read_patches};
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
    /// Something the user should know that does not stop the study (one line).
    fn warning(&self, _text: &str) {}
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
    /// The study's work folder (`OUT/work`: one folder per unit).
    pub work: PathBuf,
    /// Where the final networks were saved (`<dir>/model`), by model.
    pub final_networks: Vec<(ModelName, PathBuf)>,
    /// The CF model whose linear predictor the final Combined network takes (offset fusion).
    pub final_offset_cf: Option<CfFit>,
    /// The final Combined network's image baseline (its training patients' mean pooled image
    /// features; [`crate::UnitRecord::image_baseline`]).
    pub final_image_baseline: Option<Vec<f64>>,
    /// The true posteriors of a synthetic cohort (`truth.json` beside its CSVs), if any.
    pub twin_truth: Option<TwinTruth>,
}

/// The work folder of a study: `settings.json`, `folds.json` and one folder per unit.
pub fn work_dir(out: &Path) -> PathBuf {
    out.join("work")
}

/// The prepared data of a study's `cohort` (`primary`, `external`).
pub fn prepared_cohort_dir(out: &Path, cohort: &str) -> PathBuf {
    out.join("prepared").join(cohort)
}

/// Runs unit `id` of the study in `out` once more, into `dir`: with the study's settings,
/// cohorts, folds, prepared data and seed, hence the study's scores bit for bit. The study
/// must have got as far as its folds (`out/work/folds.json`). Returns the unit's record and
/// the AUC of its first scored set ([`Unit::first_set_auc`]).
pub fn rerun_unit(
    out: &Path,
    id: UnitId,
    dir: &Path,
    device: &Device,
    obs: &dyn Observer,
) -> Result<(UnitRecord, Option<f64>), StudyError> {
    let work = work_dir(out);
    let settings_path = work.join("settings.json");
    if !settings_path.exists() {
        return Err(StudyError::Mismatch(format!(
            "{} holds no study (no {}); give the --out folder of `livermet study`",
            out.display(),
            settings_path.display()
        )));
    }
    let settings: StudySettings = read_json(&settings_path)?;
    // Warnings were shown when the study ran.
    let (primary, external, _) = cohort_io::read_cohorts(&settings, ValidateOptions::default())?;
    let folds = FoldAssignment::load(&work.join("folds.json"))?;
    let unit = Unit::of_study(id, settings.seed, &primary, &external, &folds)?;
    let mut patches = CohortPatches::default();
    if unit.model.is_network() {
        let dir = prepared_cohort_dir(out, "primary");
        patches.primary = read_patches(&settings, &dir, &primary)?;
        if matches!(id, UnitId::Final(_)) {
            let dir = prepared_cohort_dir(out, "external");
            patches.external = read_patches(&settings, &dir, &external)?;
        }
    }
    let record = fit_unit(&unit, &settings, &patches, dir, device, obs)?;
    let auc = unit.first_set_auc(&record);
    Ok((record, auc))
}

/// Runs (or resumes) the study described by `settings`, writing into `out`.
pub fn run_study(
    settings: &StudySettings,
    out: &Path,
    device: &Device,
    obs: &dyn Observer,
) -> Result<StudyRun, StudyError> {
    let work = work_dir(out);
    // Nothing is written into `out` until the settings, the cohorts and the folds are known to
    // be usable, so a failed start leaves no study behind to refuse the corrected rerun.
    check_same_settings(&work, settings)?;
    if let Some(ext) = &settings.external {
        cohort_io::check_same_columns(&settings.primary, ext)?;
    }

    obs.stage("validating the cohorts");
    let (primary, external, warnings) =
        cohort_io::read_cohorts(settings, ValidateOptions::default())?;
    for w in &warnings {
        obs.warning(&w.to_string());
    }
    let (folds, new_folds) = fold_assignment(&work, &primary, settings)?;
    let prepared_primary = prepared_cohort_dir(out, "primary");
    let prepared_external = prepared_cohort_dir(out, "external");
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
        for (_, w) in &report.warnings {
            obs.warning(w);
        }
        if !report.failed.is_empty() {
            return Err(StudyError::PrepareFailed {
                cohort: name.into(),
                failed: report.failed,
            });
        }
    }

    std::fs::create_dir_all(&work).map_err(|e| StudyError::file(&work, e))?;
    let settings_file = work.join("settings.json");
    if !settings_file.exists() {
        write_json_atomic(&settings_file, settings)?;
    }
    if new_folds {
        folds.save(&work.join("folds.json"))?;
    }
    let needs_images = settings.models.iter().any(|m| m.is_network());
    let mut patches = CohortPatches::default();
    if needs_images {
        for (name, ps, dir, slot) in [
            ("primary", &primary, &prepared_primary, &mut patches.primary),
            (
                "external",
                &external,
                &prepared_external,
                &mut patches.external,
            ),
        ] {
            if !ps.is_empty() {
                obs.stage(&format!("reading the {name} cohort's tumour slices"));
            }
            *slot = read_patches(settings, dir, ps)?;
        }
    }
    let fit = |id: UnitId| -> Result<UnitRecord, StudyError> {
        let unit = Unit::of_study(id, settings.seed, &primary, &external, &folds)?;
        fit_unit(
            &unit,
            settings,
            &patches,
            &work.join(&unit.name),
            device,
            obs,
        )
    };

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
        for &model in &settings.models {
            obs.stage(&format!("fold {}/{}: {model} model", fold + 1, folds.k));
            let fitted = fit(UnitId::Fold { fold, model })?;
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
    let mut final_offset_cf = None;
    let mut final_image_baseline = None;
    let mut final_networks = Vec::new();
    for &model in &settings.models {
        obs.stage(&format!("final {model} model on the whole primary cohort"));
        let id = UnitId::Final(model);
        let fitted = fit(id)?;
        apparent
            .scores
            .insert(model, fitted.scores[0].scores.clone());
        if let Some(e) = ext_scores.as_mut() {
            e.scores.insert(model, fitted.scores[1].scores.clone());
        }
        if let Some(cf) = fitted.cf {
            final_cf = Some(cf);
        }
        if let Some(cf) = fitted.offset_cf {
            final_offset_cf = Some(cf);
        }
        if let Some(b) = fitted.image_baseline {
            final_image_baseline = Some(b);
        }
        if model.is_network() {
            final_networks.push((model, work.join(id.name()).join("model")));
        }
    }
    let all: Vec<&Patient> = primary.iter().collect();
    let mut twin_truth: Option<TwinTruth> = None;
    for csv in std::iter::once(&settings.primary).chain(&settings.external) {
        if let Some(t) = read_twin_truth(csv)? {
            twin_truth.get_or_insert_with(Default::default).extend(t);
        }
    }
    Ok(StudyRun {
        twin_truth,
        final_offset_cf,
        final_image_baseline,
        work: work.clone(),
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

/// The study's folds: made once (stratified, seeded), saved by the caller once the study starts
/// (true: made now, to be saved); a resumed study reuses the saved ones.
fn fold_assignment(
    work: &Path,
    primary: &[Patient],
    settings: &StudySettings,
) -> Result<(FoldAssignment, bool), StudyError> {
    let path = work.join("folds.json");
    if path.exists() {
        return Ok((FoldAssignment::load(&path)?, false));
    }
    let labels: Vec<(String, bool)> = primary
        .iter()
        .map(|p| (p.id.clone(), p.slm == Some(true)))
        .collect();
    Ok((
        stratified_folds(&labels, settings.folds, settings.seed)?,
        true,
    ))
}

/// A study folder belongs to one set of settings (`work/settings.json`, written by
/// [`run_study`] once the study starts): another set is refused before anything is written.
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
    }
    Ok(())
}
