//! The crate's one error type.

use std::path::{Path, PathBuf};

/// What can stop a study step. Every variant names the patient or file involved.
#[derive(Debug, thiserror::Error)]
pub enum StudyError {
    /// An image could not be read or written.
    #[error("patient {patient}: {source}")]
    Io {
        patient: String,
        source: livermet_io::IoError,
    },
    /// A preprocessing step failed (ADC, registration, ROI checks).
    #[error("patient {patient}, {step}: {source}")]
    Image {
        patient: String,
        step: String,
        source: livermet_image::ImageError,
    },
    /// A patient without image paths (a clinical-only cohort) reached an imaging step.
    #[error(
        "patient {patient} has no images in the cohort CSV; `prepare` needs t2, t1, t1ce, dwi and roi"
    )]
    NoImages { patient: String },
    /// A file livermet writes or reads back (JSON, a folder swapped into place) failed; the
    /// error names the file.
    #[error(transparent)]
    Persist(#[from] livermet_io::IoError),
    /// A file of the prepared-data folder could not be written or read.
    #[error("{path}: {reason}")]
    File { path: PathBuf, reason: String },
    /// `STUDY.toml` is unreadable or wrong.
    #[error("{path}: {reason}")]
    Settings { path: PathBuf, reason: String },
    /// A cohort CSV is unusable (every problem is in the error's list).
    #[error(transparent)]
    Cohort(#[from] livermet_cohort::CohortError),
    /// The external cohort's CSV does not have the primary cohort's columns.
    #[error(
        "the external cohort {external} has other columns than the primary cohort {primary} (missing: {missing:?}, extra: {extra:?}); use the same columns in both CSVs"
    )]
    ColumnsDiffer {
        external: PathBuf,
        primary: PathBuf,
        missing: Vec<String>,
        extra: Vec<String>,
    },
    /// Some patients could not be prepared.
    #[error("{} patient(s) of the {cohort} cohort could not be prepared; the first: {} ({}); fix or remove them and run again", failed.len(), failed[0].0, failed[0].1)]
    PrepareFailed {
        cohort: String,
        failed: Vec<(String, String)>,
    },
    /// Training or scoring a network failed.
    #[error(transparent)]
    Model(#[from] livermet_model::ModelError),
    /// A statistical fit or test failed.
    #[error("statistics: {0}")]
    Stats(#[from] livermet_stats::StatsError),
    /// Inputs that do not belong together (a study folder of other settings, ...).
    #[error("{0}")]
    Mismatch(String),
    /// A patient ID that cannot name the patient's folder (`..`, a path separator, ...).
    #[error(transparent)]
    PatientId(#[from] livermet_io::InvalidPatientId),
    /// A step of the plan was asked to run before a step it needs (`--unit`).
    #[error(
        "{step} cannot run yet: {missing} (`livermet study STUDY.toml --out OUT --plan` lists the steps and what each needs)"
    )]
    NotReady { step: String, missing: String },
    /// Submitting to or waiting on Slurm failed.
    #[error("slurm: {0}")]
    Slurm(String),
    /// A model bundle is unusable.
    #[error("model bundle {path}: {reason}")]
    Bundle { path: PathBuf, reason: String },
}

impl StudyError {
    /// Every problem behind the error, one line each (the invalid cohort's rows, the patients
    /// that could not be prepared), for listing before the error line; empty for other errors.
    pub fn problems(&self) -> Vec<String> {
        match self {
            StudyError::Cohort(livermet_cohort::CohortError::Invalid { problems, .. }) => {
                problems.iter().map(|p| p.to_string()).collect()
            }
            StudyError::PrepareFailed { failed, .. } => failed
                .iter()
                .map(|(id, why)| format!("patient {id}: {why}"))
                .collect(),
            _ => Vec::new(),
        }
    }

    /// A file-system error on `path`.
    pub fn file(path: &Path, e: impl std::fmt::Display) -> Self {
        StudyError::File {
            path: path.to_path_buf(),
            reason: e.to_string(),
        }
    }
}
