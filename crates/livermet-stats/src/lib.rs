//! livermet-stats: the paper's SPSS and R statistics, checked against statsmodels, scipy,
//! scikit-learn and dcurves (fixtures under `fixtures/stats/`). No burn dependency.
//!
//! Outcomes are `&[bool]` (true = event, SLM); scores and predictors are `f64`.

pub mod error;

pub use error::StatsError;
