//! The one error type of `livermet-model`.

use std::path::PathBuf;

/// Everything that can go wrong while building, training, checkpointing or running a network.
///
/// Each variant carries the context a user needs to act on it (the patient, the file, the two
/// configurations that disagree).
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    /// A patient has no tumour slice, so no patch can be drawn for it.
    #[error(
        "patient {patient_id} has zero patches (no tumour slice); re-run `livermet prepare` or drop the patient"
    )]
    NoPatches {
        /// The patient without patches.
        patient_id: String,
    },
    /// A patch or clinical vector has the wrong length for the network.
    #[error("patient {patient_id}: {what} has {got} values, the network expects {expected}")]
    ShapeMismatch {
        /// The patient whose data is wrong.
        patient_id: String,
        /// Which input (patch, clinical vector).
        what: &'static str,
        /// Values found.
        got: usize,
        /// Values expected.
        expected: usize,
    },
    /// A data set holds no patients (or no patients of one class where AUC is needed).
    #[error("{0}")]
    EmptyData(String),
    /// A setting is out of range.
    #[error("invalid setting: {0}")]
    InvalidSetting(String),
    /// A checkpoint was written by a run with another network or training configuration.
    #[error(
        "checkpoint {path} was made with a different configuration ({detail}); use a new --out folder or the same settings"
    )]
    ConfigMismatch {
        /// The checkpoint's state file.
        path: PathBuf,
        /// What differs.
        detail: String,
    },
    /// No checkpoint where one was expected.
    #[error("no checkpoint in {0}; train without --resume first")]
    NoCheckpoint(PathBuf),
    /// Reading or writing a file failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// A JSON file (checkpoint state, `net.json`, a manifest) could not be read or written.
    #[error(transparent)]
    File(#[from] livermet_io::IoError),
    /// burn could not save or load weights or optimiser state.
    #[error("{path}: {message}")]
    Record {
        /// The file.
        path: PathBuf,
        /// burn's message.
        message: String,
    },
    /// The device asked for cannot run (a CPU-only build, or no usable GPU).
    #[error("{0}")]
    Device(String),
    /// A patch source (e.g. the prepared-data reader) failed.
    #[error("patient {patient_id}: {message}")]
    Source {
        /// The patient being read.
        patient_id: String,
        /// What went wrong.
        message: String,
    },
}

/// Result alias of this crate.
pub type Result<T> = std::result::Result<T, ModelError>;

impl ModelError {
    /// An I/O error with its path.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        ModelError::Io {
            path: path.into(),
            source,
        }
    }
}
