//! The crate's one error type.

/// What can go wrong in a statistical computation. Each variant says what is wrong in words a
/// user can act on; callers add which file or column it came from.
#[derive(Debug, thiserror::Error, Clone, PartialEq)]
pub enum StatsError {
    /// Inputs of different lengths (e.g. scores and outcomes).
    #[error("length mismatch: {what} has {got} values, expected {expected}")]
    LengthMismatch {
        what: String,
        expected: usize,
        got: usize,
    },
    /// Not enough data for the computation (e.g. no events, a single class).
    #[error("not enough data: {0}")]
    InsufficientData(String),
    /// A value that the method cannot take (NaN, a non-0/1 outcome, a probability outside `[0, 1]`).
    #[error("invalid value: {0}")]
    InvalidValue(String),
    /// Complete or quasi-complete separation in a logistic model: the MLE does not exist.
    #[error("separation: {0}")]
    Separation(String),
    /// An iterative fit that did not converge within its iteration cap.
    #[error("did not converge: {0}")]
    NotConverged(String),
    /// A subjects table (CSV) that cannot be read or used as asked: the file, and what is
    /// wrong where (row, column).
    #[error("{}: {reason}", path.display())]
    Table {
        path: std::path::PathBuf,
        reason: String,
    },
    /// A singular design (collinear predictors).
    #[error("singular design: {0}")]
    Singular(String),
    /// An exact computation too large to run (e.g. an exact test over too many tables).
    #[error("too large: {0}")]
    TooLarge(String),
}
