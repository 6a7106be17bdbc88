//! The crate's one error type.

use std::path::PathBuf;

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
    /// A file of the prepared-data folder could not be written or read.
    #[error("{path}: {reason}")]
    File { path: PathBuf, reason: String },
}
