//! livermet-stats: the paper's SPSS and R statistics, checked against statsmodels, scipy,
//! scikit-learn, dcurves and R (Hmisc, rms, fisher.test; fixtures under `fixtures/stats/`).
//! No burn dependency.
//!
//! Outcomes are `&[bool]` (true = event, SLM); scores and predictors are `f64`.

pub mod bootstrap;
pub mod calibration;
pub mod dca;
pub mod delong;
pub mod describe;
pub mod error;
pub mod hypothesis;
mod linalg;
pub mod logistic;
pub mod reclassification;
pub mod roc;
pub mod roc_report;
pub mod shapley;
pub mod stepwise;
pub mod table;
pub mod table1;
pub mod thresholds;
pub mod validation;

pub use error::StatsError;
