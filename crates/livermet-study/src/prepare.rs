//! `prepare`: every patient of a cohort to a folder of model-ready data on the T2 grid.
//!
//! Per patient `DIR/<patient folder>/` ([`prepared_dir`]) holds `channels.nii.gz` (4D: T2, T1, T1CE, DWI at the highest
//! b, ADC; z-scored; opens in ITK-SNAP), `roi.nii.gz` (the tumour mask), `transforms.json` (what
//! registration found), `manifest.json` (the tumour slices and patch centres,
//! [`PatchManifest`]) and `prepared.json` (settings, input fingerprint, statistics). A patient
//! already prepared with the same settings and unchanged inputs is skipped. Each patient's
//! folder is written under a temporary name unique to the patient and the process and renamed
//! into place ([`livermet_io::write_dir_atomic`]), so a killed run never leaves a half-written
//! patient and concurrent runs never share a temporary folder.

use std::path::{Path, PathBuf};

use livermet_cohort::Patient;
use livermet_image::register::RegistrationOptions;
use livermet_image::{AdcOptions, PatchManifest};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::StudyError;
use crate::prepare_patient::{fingerprint, prepare_patient};

/// Everything that changes what `prepare` writes. Saved per patient; a change re-prepares.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PrepareSettings {
    /// Format version of the prepared folder.
    pub format: u32,
    /// Rigid registration of T1, T1CE and DWI (b = 0) onto T2.
    pub registration: RegistrationOptions,
    /// b-values within this many s/mm² form one shell (ADC fit).
    pub shell_tolerance: f64,
    /// Average a shell geometrically instead of arithmetically.
    pub geometric_mean: bool,
    /// At most this many tumour slices per patient (the middle ones): the paper's 5.
    pub max_slices: usize,
    /// Patch side in pixels: the paper's 112.
    pub patch_size: usize,
}

impl Default for PrepareSettings {
    fn default() -> Self {
        Self {
            format: 1,
            registration: RegistrationOptions::default(),
            shell_tolerance: AdcOptions::default().shell_tolerance,
            geometric_mean: false,
            max_slices: 5,
            patch_size: 112,
        }
    }
}

impl PrepareSettings {
    /// The settings of `prepare --settings FILE` (JSON, fields of [`PrepareSettings`], missing
    /// fields taking the defaults), or the defaults without a file; refused when
    /// [`PrepareSettings::problem`] finds one.
    pub fn load(path: Option<&Path>) -> Result<Self, StudyError> {
        let settings: PrepareSettings = match path {
            Some(p) => {
                let text = std::fs::read_to_string(p).map_err(|e| {
                    StudyError::Mismatch(format!("cannot read settings {}: {e}", p.display()))
                })?;
                serde_json::from_str(&text).map_err(|e| {
                    StudyError::Mismatch(format!(
                        "{}: not valid prepare settings: {e}",
                        p.display()
                    ))
                })?
            }
            None => PrepareSettings::default(),
        };
        if let Some((key, why)) = settings.problem() {
            let source = path.map_or("the default settings".into(), |p| p.display().to_string());
            return Err(StudyError::Mismatch(format!("{source}: {key} {why}")));
        }
        Ok(settings)
    }

    /// The first setting `prepare` cannot work with: its key (as in STUDY.toml's `[prepare]`
    /// table and `prepare --settings`) and what is wrong with it.
    pub fn problem(&self) -> Option<(String, String)> {
        let default = PrepareSettings::default();
        if self.format != default.format {
            return Some((
                "format".into(),
                format!(
                    "is {}; this livermet writes prepared folders of format {} (leave it out)",
                    self.format, default.format
                ),
            ));
        }
        if !(self.shell_tolerance >= 0.0 && self.shell_tolerance.is_finite()) {
            return Some((
                "shell_tolerance".into(),
                format!(
                    "is {}; it must be a non-negative number of s/mm²",
                    self.shell_tolerance
                ),
            ));
        }
        if self.max_slices == 0 {
            return Some(("max_slices".into(), "is 0; it must be at least 1".into()));
        }
        if !(8..=1024).contains(&self.patch_size) {
            return Some((
                "patch_size".into(),
                format!("is {}; it must lie in 8 to 1024 pixels", self.patch_size),
            ));
        }
        self.registration
            .problem()
            .map(|(k, why)| (format!("registration.{k}"), why))
    }
}

/// What `prepared.json` records for one patient.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PreparedPatient {
    pub patient_id: String,
    pub settings: PrepareSettings,
    /// Input files with sizes and modification times: a changed input re-prepares.
    pub inputs: Vec<(String, u64, u64)>,
    /// True when ADC was computed from the DWI (not given in the CSV).
    pub adc_computed: bool,
    /// ADC voxels where the DWI signal was not positive (set to 0).
    pub adc_nonpositive_voxels: usize,
    /// Per channel (T2, T1, T1CE, DWI, ADC): mean and SD over the body used by the z-score.
    pub zscore: Vec<(String, f64, f64)>,
    /// Voxels in the body mask.
    pub body_voxels: usize,
    pub manifest: PatchManifest,
    /// Patch pixels outside the T2 image, summed over the tumour slices: zero-padded, so a
    /// tumour at the image border gives partly blank patches (reported as a warning).
    #[serde(default)]
    pub padded_pixels: usize,
    /// Wall time of this patient's preparation.
    pub seconds: f64,
}

/// The outcome of preparing a cohort.
#[derive(Debug, Default)]
pub struct PrepareReport {
    /// Patients prepared in this run.
    pub prepared: Vec<String>,
    /// Patients already prepared with the same settings and inputs.
    pub skipped: Vec<String>,
    /// Patients that failed, with the one-line reason; the others went on.
    pub failed: Vec<(String, String)>,
    /// Patients whose data are usable but suspect (a tumour at the image border), with the
    /// one-line warning.
    pub warnings: Vec<(String, String)>,
}

/// The folder of one patient's prepared data: `out/<folder name of the ID>`
/// ([`livermet_io::patient_dir()`], the one place an ID becomes a path).
pub fn prepared_dir(out: &Path, patient_id: &str) -> Result<PathBuf, StudyError> {
    Ok(livermet_io::patient_dir(out, patient_id)?)
}

/// Prepare every patient (in parallel), calling `tick()` after each. Failures are collected,
/// not fatal: one bad patient does not stop the cohort.
pub fn prepare_cohort(
    patients: &[Patient],
    out: &Path,
    settings: &PrepareSettings,
    tick: &(dyn Fn() + Sync),
) -> Result<PrepareReport, StudyError> {
    std::fs::create_dir_all(out).map_err(|e| StudyError::File {
        path: out.to_path_buf(),
        reason: format!("cannot create: {e}"),
    })?;
    let results: Vec<_> = patients
        .par_iter()
        .map(|p| {
            let r = prepare_if_needed(p, out, settings);
            tick();
            (p.id.clone(), r)
        })
        .collect();
    let mut report = PrepareReport::default();
    for (id, r) in results {
        match r {
            Ok((done, record)) => {
                if let Some(w) = border_warning(&record) {
                    report.warnings.push((id.clone(), w));
                }
                if done {
                    report.prepared.push(id)
                } else {
                    report.skipped.push(id)
                }
            }
            Err(e) => report.failed.push((id, e.to_string())),
        }
    }
    Ok(report)
}

/// The warning for a patient whose patches reach past the T2 image (zero-padded pixels).
fn border_warning(r: &PreparedPatient) -> Option<String> {
    let slices = r.manifest.slices.len();
    let total = slices * r.manifest.patch_size * r.manifest.patch_size;
    (r.padded_pixels > 0).then(|| {
        format!(
            "patient {}: the tumour lies at the T2 image's border: {} of the {total} patch pixels of its {slices} tumour slice(s) are outside the image and zero-padded; check the ROI and the T2's field of view",
            r.patient_id, r.padded_pixels
        )
    })
}

/// Prepare one patient unless its folder already holds the same settings and inputs.
/// Returns whether work was done, and the patient's record.
fn prepare_if_needed(
    p: &Patient,
    out: &Path,
    settings: &PrepareSettings,
) -> Result<(bool, PreparedPatient), StudyError> {
    let inputs = fingerprint(p)?;
    if let Some(prev) = prepared_with(p, out, settings, &inputs)? {
        return Ok((false, prev));
    }
    let dir = prepared_dir(out, &p.id)?;
    Ok((true, prepare_patient(p, &dir, settings, inputs)?))
}

/// Whether patient `p` is prepared in `out` with `settings` from its current input files.
pub fn is_prepared(
    p: &Patient,
    out: &Path,
    settings: &PrepareSettings,
) -> Result<bool, StudyError> {
    Ok(prepared_with(p, out, settings, &fingerprint(p)?)?.is_some())
}

/// `p`'s record in `out` if its `prepared.json` records `settings` and the input fingerprint
/// `inputs`.
fn prepared_with(
    p: &Patient,
    out: &Path,
    settings: &PrepareSettings,
    inputs: &[(String, u64, u64)],
) -> Result<Option<PreparedPatient>, StudyError> {
    let path = prepared_dir(out, &p.id)?.join("prepared.json");
    Ok(std::fs::read_to_string(path)
        .ok()
        .and_then(|text| serde_json::from_str::<PreparedPatient>(&text).ok())
        .filter(|prev| prev.settings == *settings && prev.inputs == inputs))
}

/// Read a prepared patient's record (`prepared.json`).
pub fn load_prepared(out: &Path, patient_id: &str) -> Result<PreparedPatient, StudyError> {
    let path = prepared_dir(out, patient_id)?.join("prepared.json");
    let text = std::fs::read_to_string(&path).map_err(|e| StudyError::File {
        path: path.clone(),
        reason: format!("{e}: run `livermet prepare` first"),
    })?;
    serde_json::from_str(&text).map_err(|e| StudyError::File {
        path,
        reason: format!("not a prepared.json: {e}"),
    })
}
