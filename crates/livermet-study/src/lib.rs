//! livermet-study: the protocol. For now `prepare` (DESIGN.md "Data flow": ADC, registration,
//! resampling, normalisation, slices and patches, cached on disk per patient).

pub mod accuracy;
mod error;
pub mod prepare;
mod prepare_patient;

pub use error::StudyError;
pub use prepare::{PrepareReport, PrepareSettings, PreparedPatient, prepare_cohort, prepared_dir};
