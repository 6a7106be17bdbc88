//! The crate's one error type.

use std::path::PathBuf;

use crate::validate::Problem;

/// What can stop a cohort from being read. Row-level problems are collected as [`Problem`]s
/// (all of them, not just the first); these errors are for the file as a whole.
#[derive(Debug, thiserror::Error)]
pub enum CohortError {
    /// The CSV cannot be opened or parsed as CSV.
    #[error(
        "cannot read cohort CSV {path}: {source}; check the path and that it is comma-separated with a header row"
    )]
    Csv { path: PathBuf, source: csv::Error },
    /// Required columns are absent.
    #[error("cohort CSV {path} lacks the column(s) {missing:?}; expected the columns {expected}")]
    MissingColumns {
        path: PathBuf,
        missing: Vec<String>,
        expected: String,
    },
    /// The CSV has a header but no patients.
    #[error("cohort CSV {path} has no patient rows")]
    Empty { path: PathBuf },
    /// Rows with problems (the full list is in `problems`; the message names the first).
    #[error("cohort CSV {path} has {} problem(s); the first: {}", problems.len(), problems[0])]
    Invalid {
        path: PathBuf,
        problems: Vec<Problem>,
    },
    /// Folds cannot be made (too few patients of a class, k < 2).
    #[error("cannot make {k} stratified folds: {reason}")]
    Folds { k: usize, reason: String },
    /// A file could not be written (the error names it).
    #[error(transparent)]
    File(#[from] livermet_io::IoError),
    /// A fold-assignment file that cannot be read or written.
    #[error("fold file {path}: {reason}")]
    FoldFile { path: PathBuf, reason: String },
}
