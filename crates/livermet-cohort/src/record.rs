//! One row of the cohort CSV exactly as written on disk.

use serde::{Deserialize, Serialize};

/// The cohort CSV's columns, in the order livermet writes them.
pub const COLUMNS: [&str; 14] = [
    "patient_id",
    "centre",
    "slm",
    "sex",
    "age",
    "tumor_distance_cm",
    "cea_ng_ml",
    "ca199_u_ml",
    "t2",
    "t1",
    "t1ce",
    "dwi",
    "adc",
    "roi",
];

/// Columns a cohort CSV may have or leave out: `lesion_size_cm`, the largest diameter of the
/// largest liver metastasis of an SLM patient (the paper's sensitivity for metastases under
/// 3 cm). Written after [`COLUMNS`].
pub const OPTIONAL_COLUMNS: [&str; 1] = ["lesion_size_cm"];

/// The image columns: each cell is a path relative to the CSV (a NIfTI file or a DICOM folder).
pub const IMAGE_COLUMNS: [&str; 6] = ["t2", "t1", "t1ce", "dwi", "adc", "roi"];

/// A cohort row as text cells, before any checking (what `csv` reads and what `synth` writes).
/// Parsing into typed values, with one error per bad cell, is the validator's job.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CohortRecord {
    pub patient_id: String,
    /// Centre name (e.g. `primary`, `external`); free text.
    pub centre: String,
    /// Synchronous liver metastasis: `0` or `1`.
    pub slm: String,
    /// `M` or `F`.
    pub sex: String,
    /// Years.
    pub age: String,
    /// Distance of the tumour's lower edge from the anal verge, cm.
    pub tumor_distance_cm: String,
    /// Serum CEA, ng/ml (elevated when >= 5).
    pub cea_ng_ml: String,
    /// Serum CA19-9, U/ml (elevated when >= 37).
    pub ca199_u_ml: String,
    pub t2: String,
    pub t1: String,
    pub t1ce: String,
    /// 4D NIfTI with a `.bval` beside it, or a DICOM series with b-values in its tags.
    pub dwi: String,
    /// May be empty: ADC is then computed from the DWI.
    pub adc: String,
    /// Tumour mask on the T2 grid (nonzero = tumour), as ITK-SNAP saves it.
    pub roi: String,
    /// Optional ([`OPTIONAL_COLUMNS`]): largest liver metastasis, cm; SLM patients only.
    #[serde(default)]
    pub lesion_size_cm: String,
}
