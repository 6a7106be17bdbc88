//! `truth.json`: what the synthetic cohort was made from, so tests of later stages can check
//! that they recover it (transforms, ADC, the imaging signal, the tumour's slices).

use livermet_io::Affine;
use serde::{Deserialize, Serialize};

use crate::phantom::TumourSignal;

/// How the transforms in `truth.json` are to be read.
pub const TRANSFORM_CONVENTION: &str = "4x4 row-major matrices in world RAS mm, ITK direction: each maps a point of the T2 (fixed) world to the same anatomical point in the moving sequence's world";

/// The whole file.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Truth {
    pub seed: u64,
    pub settings: crate::cohort::SynthSettings,
    pub transform_convention: String,
    /// DWI b-values, s/mm².
    pub b_values: Vec<f64>,
    pub patients: Vec<PatientTruth>,
}

impl Truth {
    /// The imaging truth of patient `id` (`None` for an unknown patient or a clinical-only
    /// cohort).
    pub fn images_of(&self, id: &str) -> Option<&ImageTruth> {
        let patient = self.patients.iter().find(|t| t.patient_id == id)?;
        patient.images.as_ref()
    }
}

/// One patient's truth.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PatientTruth {
    pub patient_id: String,
    pub centre: String,
    pub slm: bool,
    /// Latent imaging score (the images express it; see `clinical::Clinical::latent`).
    pub latent_signal: f64,
    /// The true probability of SLM ([`crate::posterior`]); absent in files written before it
    /// was recorded.
    #[serde(default)]
    pub posterior: Option<crate::posterior::Posterior>,
    /// Absent with `--clinical-only`.
    pub images: Option<ImageTruth>,
}

/// The imaging truth of one patient.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ImageTruth {
    pub transforms: Transforms,
    /// The tumour's ADC (mm²/s) before its 5% texture.
    pub tumour_adc_mm2_s: f64,
    /// ADC a noiseless log-linear fit gives in DWI voxels lying wholly inside the tumour.
    pub tumour_adc_map: AdcStats,
    /// First and last T2 slice (0-based k) holding ROI voxels, and how many slices that is.
    pub tumour_slices: [usize; 2],
    pub tumour_slice_count: usize,
    pub roi_voxels: usize,
    /// Tumour centre, T2 world RAS mm.
    pub tumour_centre_mm: [f64; 3],
    /// How the latent score shows in the images.
    pub signal: TumourSignal,
}

/// The moving sequences' transforms (see [`TRANSFORM_CONVENTION`]).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Transforms {
    pub t1: Affine,
    pub t1ce: Affine,
    pub dwi: Affine,
}

/// Statistics of an ADC map over a set of voxels.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub struct AdcStats {
    pub mean: f64,
    pub sd: f64,
    pub min: f64,
    pub max: f64,
    pub n_voxels: usize,
}

impl AdcStats {
    /// Statistics of `values` (population SD); NaN fields when empty.
    pub fn of(values: &[f64]) -> AdcStats {
        let n = values.len();
        let mean = values.iter().sum::<f64>() / n as f64;
        let var = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n as f64;
        let min = values.iter().cloned().fold(f64::INFINITY, f64::min);
        let max = values.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
        AdcStats {
            mean,
            sd: var.sqrt(),
            min,
            max,
            n_voxels: n,
        }
    }
}
