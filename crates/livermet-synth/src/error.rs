//! The crate's one error type.

use std::path::PathBuf;

/// What can stop a synthetic cohort from being written. Every variant names the file or
/// setting at fault.
#[derive(Debug, thiserror::Error)]
pub enum SynthError {
    /// A setting out of range (e.g. no patients at all, a negative signal).
    #[error("invalid synth setting: {0}")]
    Settings(String),
    /// A folder or file could not be created or written.
    #[error(
        "cannot write {path}: {source}; check that the folder is writable and the disk has space"
    )]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    /// An image writer failed.
    #[error("cannot write image {path}: {source}")]
    Image {
        path: PathBuf,
        source: livermet_io::IoError,
    },
    /// A cohort CSV could not be written.
    #[error("cannot write cohort CSV {path}: {source}")]
    Csv { path: PathBuf, source: csv::Error },
    /// A file (CSV, truth.json) could not be written atomically; the error names it.
    #[error(transparent)]
    File(#[from] livermet_io::IoError),
}
