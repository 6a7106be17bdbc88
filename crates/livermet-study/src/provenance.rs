//! Which inputs and which build produced a study (TRIPOD+AI 18f; docs/DESIGN.md, "Files"):
//!
//! - [`Manifest`] (`OUT/manifest.json`): the livermet version and git commit, the sha256 of
//!   STUDY.toml as read and of the settings, the seeds, and the sha256 of each cohort CSV and of
//!   every image file a patient used (a DICOM series: every file of its folder; a NIfTI DWI: its
//!   `.bval` too). It holds nothing that depends on when or where the study ran, so two runs
//!   on the same inputs write the same bytes, and one changed image byte changes it.
//! - [`Provenance`] (`results.json`'s `provenance`): the same build and input hashes with what
//!   differs between runs: backend, device, threads, start and end (UTC), the duration of each
//!   stage, the sha256 of `manifest.json` and of the model bundle.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Instant, SystemTime};

use livermet_cohort::Patient;
use livermet_io::utc::utc_timestamp;
use livermet_model::{BatchProgress, EpochLog};
use rayon::prelude::*;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::StudyError;
use crate::run::Observer;
use crate::settings::StudySettings;
use crate::unit::UnitId;

/// The livermet version (the workspace's).
pub const LIVERMET_VERSION: &str = env!("CARGO_PKG_VERSION");
/// The git commit livermet was built from (`build.rs`: `git rev-parse HEAD`), "unknown" when
/// built outside a checkout.
pub const GIT_COMMIT: &str = env!("LIVERMET_GIT_COMMIT");

/// The manifest's file name in the study folder.
pub const MANIFEST_FILE: &str = "manifest.json";

/// Resamples of the CF model's bootstrap internal validation (Harrell's optimism correction;
/// Steyerberg, *Clinical Prediction Models*, 2nd ed., ch. 17, recommends 200 or more).
pub const CF_BOOTSTRAP_RESAMPLES: usize = 500;
/// Resamples of the percentile bootstrap CIs of NRI and IDI (stratified by outcome).
pub const RECLASSIFICATION_RESAMPLES: usize = 1000;

/// sha256 of `bytes`, lower-case hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

fn hex(d: &[u8]) -> String {
    d.iter().map(|b| format!("{b:02x}")).collect()
}

/// sha256 and size of the file at `path`, read in 1 MiB pieces.
pub fn sha256_file(path: &Path) -> Result<(String, u64), StudyError> {
    let mut f = std::fs::File::open(path).map_err(|e| StudyError::file(path, e))?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    let mut n = 0u64;
    loop {
        let k = f.read(&mut buf).map_err(|e| StudyError::file(path, e))?;
        if k == 0 {
            break;
        }
        n += k as u64;
        h.update(&buf[..k]);
    }
    Ok((hex(&h.finalize()), n))
}

/// One file and its hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FileHash {
    /// What the file is: `csv`, `t2`, `t1`, `t1ce`, `dwi`, `dwi.bval`, `adc`, `roi`.
    pub role: String,
    /// Relative to the cohort CSV's folder (as the CSV names it), `/`-separated.
    pub path: String,
    pub bytes: u64,
    pub sha256: String,
}

/// The image files of one patient.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PatientFiles {
    pub patient_id: String,
    pub files: Vec<FileHash>,
}

/// One cohort's CSV and images.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CohortFiles {
    /// `primary` or `external`.
    pub cohort: String,
    pub csv: FileHash,
    pub patients: Vec<PatientFiles>,
}

/// Every seed of the study.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Seeds {
    /// STUDY.toml's `seed`: the folds (stratified assignment) and, derived from it, every unit.
    pub study: u64,
    /// The seed of each unit's network (weights, shuffling, augmentation, dropout), by unit.
    pub units: BTreeMap<String, u64>,
    /// The CF bootstrap validation's resampling ([`CF_BOOTSTRAP_RESAMPLES`] resamples).
    pub cf_bootstrap: u64,
    /// The NRI/IDI bootstrap's resampling ([`RECLASSIFICATION_RESAMPLES`] resamples).
    pub reclassification_bootstrap: u64,
}

impl Seeds {
    /// The seeds of the study of `settings`.
    pub fn of(settings: &StudySettings) -> Self {
        Seeds {
            study: settings.seed,
            units: crate::plan::units(settings)
                .into_iter()
                .filter(|id: &UnitId| id.model().is_network())
                .map(|id| (id.name(), id.seed(settings.seed)))
                .collect(),
            cf_bootstrap: settings.seed,
            reclassification_bootstrap: settings.seed,
        }
    }
}

/// STUDY.toml as read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StudyToml {
    pub path: PathBuf,
    pub sha256: String,
    pub text: String,
}

/// `OUT/manifest.json`: the build and every input, hashed (see the module docs).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Manifest {
    pub livermet_version: String,
    pub git_commit: String,
    /// sha256 of STUDY.toml's bytes; `None` for settings made in code.
    pub study_toml_sha256: Option<String>,
    /// sha256 of the settings as the study saved them (`work/settings.json`'s JSON, compact).
    pub settings_sha256: String,
    pub seeds: Seeds,
    pub cohorts: Vec<CohortFiles>,
}

/// sha256 of the settings' JSON (what `work/settings.json` holds).
pub fn settings_sha256(settings: &StudySettings) -> String {
    sha256_hex(&serde_json::to_vec(settings).unwrap_or_default())
}

/// `path` relative to `base`, `/`-separated (absolute when it is not under `base`).
fn relative(path: &Path, base: &Path) -> String {
    let rel = path.strip_prefix(base).unwrap_or(path);
    rel.components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

/// The file at `path` (or, for a DICOM folder, every file under it, in name order) as
/// [`FileHash`]es with role `role`.
fn hash_image(role: &str, path: &Path, base: &Path) -> Result<Vec<FileHash>, StudyError> {
    let mut files = Vec::new();
    if path.is_dir() {
        let mut stack = vec![path.to_path_buf()];
        while let Some(dir) = stack.pop() {
            for e in std::fs::read_dir(&dir).map_err(|e| StudyError::file(&dir, e))? {
                let p = e.map_err(|e| StudyError::file(&dir, e))?.path();
                if p.is_dir() {
                    stack.push(p);
                } else {
                    files.push(p);
                }
            }
        }
        files.sort();
    } else {
        files.push(path.to_path_buf());
    }
    files
        .iter()
        .map(|f| {
            let (sha256, bytes) = sha256_file(f)?;
            Ok(FileHash {
                role: role.into(),
                path: relative(f, base),
                bytes,
                sha256,
            })
        })
        .collect()
}

/// Every image file of patient `p` (none for a clinical-only cohort).
fn patient_files(p: &Patient, base: &Path) -> Result<PatientFiles, StudyError> {
    let mut files = Vec::new();
    if let Some(im) = &p.images {
        let mut roles: Vec<(&str, PathBuf)> = vec![
            ("t2", im.t2.clone()),
            ("t1", im.t1.clone()),
            ("t1ce", im.t1ce.clone()),
            ("dwi", im.dwi.clone()),
        ];
        if im.dwi.is_file() {
            let bval = livermet_io::bval_path_for(&im.dwi);
            if bval.is_file() {
                roles.push(("dwi.bval", bval));
            }
        }
        roles.extend(im.adc.clone().map(|a| ("adc", a)));
        roles.push(("roi", im.roi.clone()));
        for (role, path) in roles {
            files.extend(hash_image(role, &path, base)?);
        }
    }
    Ok(PatientFiles {
        patient_id: p.id.clone(),
        files,
    })
}

/// The manifest of the study of `settings` on `primary` and `external` (patients in CSV
/// order); the image files are hashed in parallel.
pub fn study_manifest(
    settings: &StudySettings,
    primary: &[Patient],
    external: &[Patient],
) -> Result<Manifest, StudyError> {
    let mut cohorts = Vec::new();
    let csvs = std::iter::once(("primary", &settings.primary, primary))
        .chain(settings.external.iter().map(|e| ("external", e, external)));
    for (name, csv, patients) in csvs {
        let base = csv.parent().unwrap_or(Path::new("."));
        let (sha256, bytes) = sha256_file(csv)?;
        let patients = patients
            .par_iter()
            .map(|p| patient_files(p, base))
            .collect::<Result<Vec<_>, _>>()?;
        cohorts.push(CohortFiles {
            cohort: name.into(),
            csv: FileHash {
                role: "csv".into(),
                path: csv
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default(),
                bytes,
                sha256,
            },
            patients,
        });
    }
    Ok(Manifest {
        livermet_version: LIVERMET_VERSION.into(),
        git_commit: GIT_COMMIT.into(),
        study_toml_sha256: settings
            .source
            .0
            .as_ref()
            .map(|(_, text)| sha256_hex(text.as_bytes())),
        settings_sha256: settings_sha256(settings),
        seeds: Seeds::of(settings),
        cohorts,
    })
}

/// The duration of one stage of this run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StageTime {
    pub stage: String,
    pub seconds: f64,
}

/// `results.json`'s `provenance` (see the module docs).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Provenance {
    pub livermet_version: String,
    pub git_commit: String,
    /// burn backend (`flex` on the CPU, `vulkan` on a GPU) and the device as `--device` names
    /// it (`cpu`, `gpu`).
    pub backend: String,
    pub device: String,
    /// rayon's worker threads.
    pub threads: usize,
    pub study_toml: Option<StudyToml>,
    pub settings_sha256: String,
    pub seeds: Seeds,
    /// `manifest.json` and the sha256 of its bytes.
    pub manifest: String,
    pub manifest_sha256: String,
    /// sha256 over the model bundle's files (`model/`; [`folder_sha256`]).
    pub bundle_sha256: Option<String>,
    /// Start and end of this run, UTC (RFC 3339); a resumed study counts from its restart, and
    /// the end is taken once the bundle and the manifest are written, before the report's own
    /// files (which carry it).
    pub started_utc: String,
    pub finished_utc: String,
    pub seconds: f64,
    /// Each stage this run went through, in order (a stage found done takes ~0 s).
    pub stages: Vec<StageTime>,
}

/// sha256 over a folder's files: of the lines `<sha256>  <relative path>\n` of every file in
/// path order (what `sha256sum` prints, sorted by path), so it names content and layout.
pub fn folder_sha256(dir: &Path) -> Result<String, StudyError> {
    let mut lines: Vec<(String, String)> = hash_image("", dir, dir)?
        .into_iter()
        .map(|f| (f.path, f.sha256))
        .collect();
    lines.sort();
    let text: String = lines.iter().map(|(p, h)| format!("{h}  {p}\n")).collect();
    Ok(sha256_hex(text.as_bytes()))
}

/// An [`Observer`] that passes everything on to `inner` and times the stages it is told of.
pub struct StageClock<'a> {
    inner: &'a dyn Observer,
    started: SystemTime,
    start: Instant,
    marks: Mutex<Vec<(String, Instant)>>,
}

impl<'a> StageClock<'a> {
    /// Starts the clock now.
    pub fn new(inner: &'a dyn Observer) -> Self {
        StageClock {
            inner,
            started: SystemTime::now(),
            start: Instant::now(),
            marks: Mutex::new(Vec::new()),
        }
    }

    /// Seconds since the clock started.
    pub fn elapsed(&self) -> f64 {
        self.start.elapsed().as_secs_f64()
    }

    /// (start UTC, now UTC, seconds, the stages with their durations up to now).
    pub fn finish(&self) -> (String, String, f64, Vec<StageTime>) {
        let now = Instant::now();
        let marks = self.marks.lock().map(|m| m.clone()).unwrap_or_default();
        let mut stages: Vec<StageTime> = Vec::new();
        for (k, (stage, at)) in marks.iter().enumerate() {
            let end = marks.get(k + 1).map_or(now, |(_, t)| *t);
            stages.push(StageTime {
                stage: stage.clone(),
                seconds: end.duration_since(*at).as_secs_f64(),
            });
        }
        (
            utc_timestamp(self.started),
            utc_timestamp(SystemTime::now()),
            now.duration_since(self.start).as_secs_f64(),
            stages,
        )
    }
}

impl Observer for StageClock<'_> {
    fn stage(&self, text: &str) {
        if let Ok(mut m) = self.marks.lock() {
            m.push((text.to_string(), Instant::now()));
        }
        self.inner.stage(text);
    }
    fn prepare_started(&self, cohort: &str, n: usize) {
        self.inner.prepare_started(cohort, n);
    }
    fn prepared_one(&self) {
        self.inner.prepared_one();
    }
    fn batch(&self, unit: &str, epoch: usize, epochs: usize, p: BatchProgress) {
        self.inner.batch(unit, epoch, epochs, p);
    }
    fn epoch(&self, unit: &str, log: &EpochLog, epochs: usize) {
        self.inner.epoch(unit, log, epochs);
    }
    fn warning(&self, text: &str) {
        self.inner.warning(text);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha256_of_abc_is_the_fips_vector() {
        // FIPS 180-2, appendix B.1.
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
