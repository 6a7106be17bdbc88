//! livermet-study: the protocol (docs/DESIGN.md, "Data flow"): `prepare` (ADC, registration,
//! resampling, normalisation, slices and patches, cached on disk per patient), the study
//! (folds; CF, MRI and Combined models fitted inside each fold; external validation), its
//! evaluation, the model bundle and `predict` for one patient.

pub mod accuracy;
pub mod bayes_limit;
pub mod bundle;
pub mod clinical;
pub mod cohort_io;
pub mod demo;
mod error;
pub mod evaluate;
pub mod explain;
pub mod plan;
pub mod prepare;
mod prepare_patient;
pub mod provenance;
pub mod representative;
pub mod results;
pub mod run;
pub mod scores;
pub mod settings;
pub mod slurm;
pub mod subgroups;
pub mod tripod;
pub mod unit;

pub use error::StudyError;
pub use plan::{Plan, Step};
pub use prepare::{PrepareReport, PrepareSettings, PreparedPatient, prepare_cohort, prepared_dir};
pub use prepare_patient::lowest_b_frame;
pub use run::{Observer, Quiet, StepOutcome, Study, StudyRun, rerun_unit, run_step, run_study};
pub use scores::CohortScores;
pub use settings::{ModelName, StudySettings};
pub use unit::{Unit, UnitId, UnitRecord, fit_unit};
