//! `livermet study`: the whole protocol on a primary and an external cohort (docs/DESIGN.md, "Data
//! flow"). Validate both cohorts, prepare them (cached), assign stratified patient-level folds,
//! fit CF, MRI and Combined inside each fold (everything fitted — CF selection, the clinical
//! standardisation, the networks — sees the training patients only), pool the out-of-fold
//! scores, then refit every model on the whole primary cohort and score the external one.
//!
//! The study is the list of steps of [`crate::plan`]: [`run_study`] runs them all in this
//! process, [`run_step`] one of them (a job of a Slurm array). Resumable: each unit of work (a
//! model in a fold, or a final model) is written to `OUT/work/<unit>/` and skipped once its
//! `scores.json` exists; a network interrupted mid-training continues from its last epoch
//! checkpoint. A study restarted with other settings is refused instead of mixing two
//! studies' results.

use std::path::{Path, PathBuf};

use livermet_cohort::{FoldAssignment, Patient, ValidateOptions, stratified_folds};
use livermet_io::{read_json, write_json_atomic};
use livermet_model::{BatchProgress, Device, EpochLog};

use crate::bayes_limit::{TwinTruth, read_twin_truth};
use crate::clinical::{CfFit, FeatureTable, Standardisation};
use crate::plan::{Shard, Step, is_done, steps, units};
use crate::prepare::{is_prepared, prepare_cohort};
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

/// A study folder opened for work: its settings (saved in `work/settings.json`), its validated
/// cohorts and its folds (`work/folds.json`). Both files are written once, by the first
/// command that opens the folder (`--plan` and `--slurm` before any job starts), with content
/// that depends only on the settings and the cohort, and through `livermet_io::atomic`: a
/// second writer could only write the same bytes, and a reader never sees half a file.
#[derive(Debug, Clone)]
pub struct Study {
    pub settings: StudySettings,
    pub out: PathBuf,
    pub primary: Vec<Patient>,
    pub external: Vec<Patient>,
    pub folds: FoldAssignment,
}

impl Study {
    /// Opens (or starts) the study of `settings` in `out`; a folder of another study is
    /// refused.
    pub fn open(
        settings: &StudySettings,
        out: &Path,
        obs: &dyn Observer,
    ) -> Result<Self, StudyError> {
        let work = work_dir(out);
        // Nothing is written into `out` until the settings, the cohorts and the folds are
        // known to be usable, so a failed start leaves no study behind to refuse the
        // corrected rerun.
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
        std::fs::create_dir_all(&work).map_err(|e| StudyError::file(&work, e))?;
        let settings_file = work.join("settings.json");
        if !settings_file.exists() {
            write_json_atomic(&settings_file, settings)?;
        }
        if new_folds {
            folds.save(&work.join("folds.json"))?;
        }
        Ok(Study {
            settings: settings.clone(),
            out: out.to_path_buf(),
            primary,
            external,
            folds,
        })
    }

    /// Opens the study already started in `out`, with the settings it saved.
    pub fn open_existing(out: &Path) -> Result<Self, StudyError> {
        let settings_path = work_dir(out).join("settings.json");
        if !settings_path.exists() {
            return Err(StudyError::Mismatch(format!(
                "{} holds no study (no {}); give the --out folder of `livermet study`",
                out.display(),
                settings_path.display()
            )));
        }
        let settings: StudySettings = read_json(&settings_path)?;
        Self::open(&settings, out, &Quiet)
    }

    /// The cohorts with their prepared-data folders: `(name, patients, folder)`.
    fn cohorts(&self) -> [(&'static str, &[Patient], PathBuf); 2] {
        [
            (
                "primary",
                self.primary.as_slice(),
                prepared_cohort_dir(&self.out, "primary"),
            ),
            (
                "external",
                self.external.as_slice(),
                prepared_cohort_dir(&self.out, "external"),
            ),
        ]
    }

    /// The patients of `shard` (all patients for `None`) with their cohort, in
    /// primary-then-external order.
    pub fn shard_patients(&self, shard: Option<Shard>) -> impl Iterator<Item = (usize, &Patient)> {
        let tagged = self.primary.iter().map(|p| (0, p));
        let tagged = tagged.chain(self.external.iter().map(|p| (1, p)));
        tagged
            .enumerate()
            .filter(move |(j, _)| shard.is_none_or(|s| s.holds(*j)))
            .map(|(_, x)| x)
    }

    /// Prepares the patients of `shard` (cached: a patient prepared with the same settings
    /// and inputs is skipped); every patient that fails is listed in the error.
    pub fn prepare(&self, shard: Shard, obs: &dyn Observer) -> Result<(), StudyError> {
        let prep = self.settings.prepare_settings();
        for (c, (name, _, dir)) in self.cohorts().into_iter().enumerate() {
            let patients: Vec<Patient> = self
                .shard_patients(Some(shard))
                .filter(|(cohort, _)| *cohort == c)
                .map(|(_, p)| p.clone())
                .collect();
            if patients.is_empty() {
                continue;
            }
            obs.stage(&format!(
                "preparing the {name} cohort ({} patients)",
                patients.len()
            ));
            obs.prepare_started(name, patients.len());
            let report = prepare_cohort(&patients, &dir, &prep, &|| obs.prepared_one())?;
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
        Ok(())
    }

    /// The first patient of `shard` (of the whole study for `None`) not prepared with the
    /// study's settings and current inputs: `(cohort, patient ID)`.
    pub fn first_unprepared(
        &self,
        shard: Option<Shard>,
    ) -> Result<Option<(&'static str, String)>, StudyError> {
        let prep = self.settings.prepare_settings();
        let cohorts = self.cohorts();
        for (c, p) in self.shard_patients(shard) {
            let (name, _, dir) = &cohorts[c];
            if !is_prepared(p, dir, &prep)? {
                return Ok(Some((*name, p.id.clone())));
            }
        }
        Ok(None)
    }

    /// Unit `id` of this study, resolved.
    pub fn unit(&self, id: UnitId) -> Result<Unit<'_>, StudyError> {
        Unit::of_study(
            id,
            self.settings.seed,
            &self.primary,
            &self.external,
            &self.folds,
        )
    }

    /// The tumour slices a network unit needs: the primary cohort's, and the external
    /// cohort's for a final unit (read once and shared by the local run).
    pub fn patches(&self, external: bool) -> Result<CohortPatches, StudyError> {
        let mut patches = CohortPatches::default();
        if !self.settings.models.iter().any(|m| m.is_network()) {
            return Ok(patches);
        }
        let [(_, primary, pdir), (_, ext, edir)] = self.cohorts();
        patches.primary = read_patches(&self.settings, &pdir, primary)?;
        if external {
            patches.external = read_patches(&self.settings, &edir, ext)?;
        }
        Ok(patches)
    }

    /// Fits unit `id` into `work/<unit>/` (or reads its record when done).
    pub fn fit(
        &self,
        id: UnitId,
        patches: &CohortPatches,
        device: &Device,
        obs: &dyn Observer,
    ) -> Result<UnitRecord, StudyError> {
        let unit = self.unit(id)?;
        let dir = work_dir(&self.out).join(&unit.name);
        fit_unit(&unit, &self.settings, patches, &dir, device, obs)
    }

    /// Why `step` cannot run yet (a step it needs is not done), or `None` when it can.
    pub fn missing_need(&self, step: Step) -> Result<Option<String>, StudyError> {
        let needs_patients = match step {
            Step::Prepare(_) => false,
            Step::Train(id) => id.model().is_network(),
            Step::Report => true,
        };
        if needs_patients && let Some((cohort, id)) = self.first_unprepared(None)? {
            return Ok(Some(format!(
                "patient {id} of the {cohort} cohort is not prepared; run the prepare steps first"
            )));
        }
        if step == Step::Report
            && let Some(id) = units(&self.settings)
                .into_iter()
                .find(|id| !is_done(self, Step::Train(*id)).unwrap_or(false))
        {
            return Ok(Some(format!(
                "unit {} is not done; run it first",
                id.name()
            )));
        }
        Ok(None)
    }

    /// The finished study: every unit's record read from `work/`, the out-of-fold scores
    /// pooled, the final models' scores collected. Every unit must be done.
    pub fn collect(self) -> Result<StudyRun, StudyError> {
        let none = CohortPatches::default();
        let record = |id: UnitId| -> Result<UnitRecord, StudyError> {
            if !is_done(&self, Step::Train(id))? {
                return Err(StudyError::NotReady {
                    step: "report".into(),
                    missing: format!("unit {} is not done; run it first", id.name()),
                });
            }
            // Done: `fit_unit` only reads the record (and checks a network's checkpoint).
            self.fit(id, &none, &livermet_model::device::cpu(), &Quiet)
        };
        let work = work_dir(&self.out);
        let (primary, external, folds, settings) =
            (&self.primary, &self.external, &self.folds, &self.settings);
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
                let fitted = record(UnitId::Fold { fold, model })?;
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
            let id = UnitId::Final(model);
            let fitted = record(id)?;
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
        let final_standardisation = Standardisation::fit(&FeatureTable::clinical(&all));
        Ok(StudyRun {
            twin_truth,
            final_offset_cf,
            final_image_baseline,
            final_standardisation,
            primary_cv: cv,
            external_scores: ext_scores,
            primary_apparent: apparent,
            final_cf,
            cf_per_fold,
            prepared_primary: prepared_cohort_dir(&self.out, "primary"),
            prepared_external: prepared_cohort_dir(&self.out, "external"),
            final_networks,
            work: work.clone(),
            settings: self.settings,
            primary: self.primary,
            external: self.external,
            folds: self.folds,
        })
    }
}

/// What `--unit` found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepOutcome {
    /// The step ran now.
    Done,
    /// Its result was already there; nothing was run.
    AlreadyDone,
}

/// Runs one prepare or training step of the study (`livermet study --unit NAME`), exactly as
/// the local run does it; a step whose needs are not done is refused
/// ([`StudyError::NotReady`]). The report step is livermet-report's
/// (`livermet_report::run_study_step`).
pub fn run_step(
    study: &Study,
    step: Step,
    device: &Device,
    obs: &dyn Observer,
) -> Result<StepOutcome, StudyError> {
    if is_done(study, step)? {
        return Ok(StepOutcome::AlreadyDone);
    }
    if let Some(missing) = study.missing_need(step)? {
        return Err(StudyError::NotReady {
            step: step.name(),
            missing,
        });
    }
    match step {
        Step::Prepare(shard) => study.prepare(shard, obs)?,
        Step::Train(id) => {
            let patches = match id.model().is_network() {
                true => study.patches(matches!(id, UnitId::Final(_)))?,
                false => CohortPatches::default(),
            };
            study.fit(id, &patches, device, obs)?;
        }
        Step::Report => {
            return Err(StudyError::Mismatch(
                "the report step is run by livermet_report::run_study_step".into(),
            ));
        }
    }
    Ok(StepOutcome::Done)
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
    let study = Study::open_existing(out)?;
    let unit = study.unit(id)?;
    let patches = match unit.model.is_network() {
        true => study.patches(matches!(id, UnitId::Final(_)))?,
        false => CohortPatches::default(),
    };
    let record = fit_unit(&unit, &study.settings, &patches, dir, device, obs)?;
    let auc = unit.first_set_auc(&record);
    Ok((record, auc))
}

/// Runs (or resumes) the study described by `settings`, writing into `out`: every step of
/// its plan ([`crate::plan::steps`], the patients in one shard) in order, in this process.
/// The report step is left to the caller (`livermet_report::run_whole_study`).
pub fn run_study(
    settings: &StudySettings,
    out: &Path,
    device: &Device,
    obs: &dyn Observer,
) -> Result<StudyRun, StudyError> {
    let study = Study::open(settings, out, obs)?;
    // The tumour slices are read once, after the last prepare step, for every unit.
    let mut patches: Option<CohortPatches> = None;
    for step in steps(settings, 1) {
        match step {
            Step::Prepare(shard) => study.prepare(shard, obs)?,
            Step::Train(id) => {
                obs.stage(&match id {
                    UnitId::Fold { fold, model } => {
                        format!("fold {}/{}: {model} model", fold + 1, study.folds.k)
                    }
                    UnitId::Final(model) => {
                        format!("final {model} model on the whole primary cohort")
                    }
                });
                if patches.is_none() {
                    if settings.models.iter().any(|m| m.is_network()) {
                        obs.stage("reading the tumour slices");
                    }
                    patches = Some(study.patches(true)?);
                }
                let p = patches.as_ref().expect("read above");
                study.fit(id, p, device, obs)?;
            }
            Step::Report => {}
        }
    }
    study.collect()
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
/// [`Study::open`] once the cohorts and folds are usable): another set is refused before
/// anything is written.
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
