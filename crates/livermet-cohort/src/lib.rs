//! livermet-cohort: the cohort CSV (docs/DESIGN.md, "Files") parsed into typed patients, its
//! validation (every problem listed at once), and stratified patient-level folds.

mod error;
pub mod folds;
mod images;
mod parse;
pub mod patient;
pub mod record;
pub mod validate;

pub use error::CohortError;
pub use folds::{FoldAssignment, stratified_folds};
pub use patient::{CLINICAL_FEATURES, Clinical, ImagePaths, Patient, SMALL_LESION_CM, Sex};
pub use record::{COLUMNS, CohortRecord, IMAGE_COLUMNS, OPTIONAL_COLUMNS};
pub use validate::{
    Cohort, CohortReport, Problem, ValidateOptions, read_cohort, validate_cohort,
    validate_cohort_with_progress,
};
