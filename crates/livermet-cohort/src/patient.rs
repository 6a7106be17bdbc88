//! Typed patients: clinical values with units, images as resolved paths.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// CEA at or above this is "elevated" (ng/ml), as in the paper's Table 1.
pub const CEA_ELEVATED_NG_ML: f64 = 5.0;
/// CA19-9 at or above this is "elevated" (U/ml), as in the paper's Table 1.
pub const CA199_ELEVATED_U_ML: f64 = 37.0;

/// Sex as recorded in the cohort CSV (`M` / `F`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Sex {
    Male,
    Female,
}

/// The routine clinical values the paper's CF model draws its candidates from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Clinical {
    pub sex: Sex,
    /// Years.
    pub age_years: f64,
    /// Distance of the tumour from the anal verge, cm ("primary tumor site" in the paper).
    pub tumour_distance_cm: f64,
    /// Serum CEA, ng/ml.
    pub cea_ng_ml: f64,
    /// Serum CA19-9, U/ml.
    pub ca199_u_ml: f64,
}

/// Names of the CF model's candidate features, in the order of [`Clinical::features`].
pub const CLINICAL_FEATURES: [&str; 5] = [
    "male",
    "age",
    "tumour_distance_cm",
    "cea_elevated",
    "ca199_elevated",
];

impl Clinical {
    /// True when CEA >= 5 ng/ml.
    pub fn cea_elevated(&self) -> bool {
        self.cea_ng_ml >= CEA_ELEVATED_NG_ML
    }

    /// True when CA19-9 >= 37 U/ml.
    pub fn ca199_elevated(&self) -> bool {
        self.ca199_u_ml >= CA199_ELEVATED_U_ML
    }

    /// The CF model's candidates as numbers (docs/DESIGN.md: sex, age, distance from the anal verge,
    /// CEA >= 5 ng/ml, CA19-9 >= 37 U/ml), named by [`CLINICAL_FEATURES`].
    pub fn features(&self) -> [f64; 5] {
        [
            f64::from(u8::from(self.sex == Sex::Male)),
            self.age_years,
            self.tumour_distance_cm,
            f64::from(u8::from(self.cea_elevated())),
            f64::from(u8::from(self.ca199_elevated())),
        ]
    }
}

/// Where a patient's images are (absolute, resolved against the CSV's folder).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ImagePaths {
    pub t2: PathBuf,
    pub t1: PathBuf,
    pub t1ce: PathBuf,
    pub dwi: PathBuf,
    /// `None`: ADC is computed from the DWI.
    pub adc: Option<PathBuf>,
    pub roi: PathBuf,
}

/// One patient of a cohort.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Patient {
    pub id: String,
    pub centre: String,
    /// Synchronous liver metastasis (the label). `None` for a patient to predict.
    pub slm: Option<bool>,
    pub clinical: Clinical,
    /// `None` when the cohort was read clinical-only (image cells empty).
    pub images: Option<ImagePaths>,
    /// Largest diameter of the largest liver metastasis, cm (the optional `lesion_size_cm`
    /// column); `None` when not recorded, and always for a patient without SLM.
    #[serde(default)]
    pub lesion_size_cm: Option<f64>,
}

/// Liver metastases under this size (cm) are "small" (the paper: sensitivity "for patients with
/// liver metastasis smaller than 3 cm").
pub const SMALL_LESION_CM: f64 = 3.0;
