//! livermet-cohort: the cohort CSV (DESIGN.md, "Files") parsed into typed patients, its
//! validation, and stratified patient-level folds.

pub mod record;

pub use record::{CohortRecord, COLUMNS, IMAGE_COLUMNS};
