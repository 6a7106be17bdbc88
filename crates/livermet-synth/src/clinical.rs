//! Clinical values drawn per class from the paper's Table 1 (primary centre) and Table 2
//! (external centre), as docs/DESIGN.md "Reading the paper's tables" reads them (104 non-SLM and 72
//! SLM in the primary cohort; 21 and 10 in the external one).
//!
//! Within a class the five values are drawn independently; the class difference in their rates
//! and locations is what the paper's CF (clinical) model learns from.

use rand::Rng;
use rand::seq::SliceRandom;
use serde::Serialize;

use crate::random::{
    Purpose, lognormal_sigma_from_iqr, lognormal_truncated, normal, standard_normal, stream,
};

/// CEA is "elevated" at or above this (ng/ml; Tables 1 and 2).
pub const CEA_THRESHOLD: f64 = 5.0;
/// CA19-9 is "elevated" at or above this (U/ml; Tables 1 and 2).
pub const CA199_THRESHOLD: f64 = 37.0;

/// One class's row of a clinical table.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct ClassProfile {
    /// Proportion of men.
    pub male_rate: f64,
    /// Age, years: mean and standard deviation.
    pub age_mean: f64,
    pub age_sd: f64,
    /// Distance of the tumour from the anal verge, cm: median and interquartile range.
    pub distance_median: f64,
    pub distance_iqr: f64,
    /// Proportion with CEA >= 5 ng/ml.
    pub cea_elevated_rate: f64,
    /// Proportion with CA19-9 >= 37 U/ml.
    pub ca199_elevated_rate: f64,
}

/// One centre's table: both classes and the cohort's class counts.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct CentreTable {
    pub non_slm: ClassProfile,
    pub slm: ClassProfile,
    /// Patients in the paper's cohort, and how many of them had SLM.
    pub n_total: usize,
    pub n_slm: usize,
}

/// Table 1 (primary cohort, 176 patients, 72 SLM).
pub const PRIMARY_TABLE: CentreTable = CentreTable {
    non_slm: ClassProfile {
        male_rate: 67.0 / 104.0,
        age_mean: 57.12,
        age_sd: 9.02,
        distance_median: 5.30,
        distance_iqr: 2.60,
        cea_elevated_rate: 38.0 / 104.0,
        ca199_elevated_rate: 9.0 / 104.0,
    },
    slm: ClassProfile {
        male_rate: 56.0 / 72.0,
        age_mean: 58.60,
        age_sd: 11.72,
        distance_median: 6.35,
        distance_iqr: 5.00,
        cea_elevated_rate: 51.0 / 72.0,
        ca199_elevated_rate: 43.0 / 72.0,
    },
    n_total: 176,
    n_slm: 72,
};

/// Table 2 (external cohort, 31 patients, 10 SLM).
pub const EXTERNAL_TABLE: CentreTable = CentreTable {
    non_slm: ClassProfile {
        male_rate: 14.0 / 21.0,
        age_mean: 52.71,
        age_sd: 17.45,
        distance_median: 5.1,
        distance_iqr: 3.7,
        cea_elevated_rate: 6.0 / 21.0,
        ca199_elevated_rate: 0.0,
    },
    slm: ClassProfile {
        male_rate: 8.0 / 10.0,
        age_mean: 64.60,
        age_sd: 12.45,
        distance_median: 6.4,
        distance_iqr: 4.8,
        cea_elevated_rate: 8.0 / 10.0,
        ca199_elevated_rate: 5.0 / 10.0,
    },
    n_total: 31,
    n_slm: 10,
};

impl CentreTable {
    /// The profile of one class.
    pub fn class(&self, slm: bool) -> &ClassProfile {
        if slm { &self.slm } else { &self.non_slm }
    }

    /// SLM count for a cohort of `n` patients at this table's prevalence (rounded; exactly the
    /// paper's count when `n` is the paper's size).
    pub fn slm_count(&self, n: usize) -> usize {
        ((n as f64) * self.n_slm as f64 / self.n_total as f64).round() as usize
    }
}

/// One synthetic patient's clinical values, rounded as written to the CSV.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Clinical {
    pub slm: bool,
    pub male: bool,
    /// Years (whole), within 18..=95.
    pub age: f64,
    /// cm (one decimal), within 0.5..=15.
    pub tumor_distance_cm: f64,
    /// ng/ml (two decimals).
    pub cea_ng_ml: f64,
    /// U/ml (one decimal).
    pub ca199_u_ml: f64,
    /// Latent imaging score: `signal * (slm - prevalence) + noise`, the noise partly shared with
    /// log CEA. The images express it (see `phantom`); it is not in the CSV.
    pub latent: f64,
    /// Standardised log CEA before rounding (`cea_z`): the part of the latent score's noise
    /// that CEA explains (kept so the true posterior can use it exactly).
    pub cea_z: f64,
}

impl Clinical {
    pub fn cea_elevated(&self) -> bool {
        self.cea_ng_ml >= CEA_THRESHOLD
    }
    pub fn ca199_elevated(&self) -> bool {
        self.ca199_u_ml >= CA199_THRESHOLD
    }
}

/// Correlation of the latent imaging noise with standardised log CEA: enough that images and
/// CEA overlap in what they say, little enough that each adds to the other.
pub(crate) const LATENT_CEA_WEIGHT: f64 = 0.3;

/// Standardised log CEA, `(ln cea - ln 5) / 1.2`: what the latent score's noise shares with CEA.
pub(crate) fn cea_z(cea_ng_ml: f64) -> f64 {
    (cea_ng_ml.ln() - CEA_THRESHOLD.ln()) / 1.2
}

fn round_to(v: f64, decimals: i32) -> f64 {
    let f = 10f64.powi(decimals);
    (v * f).round() / f
}

/// Draw one patient of a known class: sex, age (normal, clipped to 18-95), distance (log-normal
/// fitted to the median and IQR, clipped to 0.5-15 cm), CEA and CA19-9 (first elevated or not
/// at the table's rate, then a log-normal value on that side of the threshold), and the latent
/// imaging score with class separation `signal` around `prevalence`.
pub fn draw_patient<R: Rng + ?Sized>(
    rng: &mut R,
    profile: &ClassProfile,
    slm: bool,
    signal: f64,
    prevalence: f64,
) -> Clinical {
    let male = rng.random_bool(profile.male_rate);
    let age = normal(rng, profile.age_mean, profile.age_sd)
        .clamp(18.0, 95.0)
        .round();
    let dist_sigma = lognormal_sigma_from_iqr(profile.distance_median, profile.distance_iqr);
    // Clipped, not truncated: clipping keeps the median and quartiles the table reports.
    let distance = (profile.distance_median.ln() + dist_sigma * standard_normal(rng))
        .exp()
        .clamp(0.5, 15.0);
    // Upper bounds of the normal side sit below the threshold by more than the rounding step, so
    // a rounded value never crosses it.
    let cea = if rng.random_bool(profile.cea_elevated_rate) {
        lognormal_truncated(rng, 12.0, 0.9, CEA_THRESHOLD, 2000.0)
    } else {
        lognormal_truncated(rng, 2.2, 0.5, 0.2, CEA_THRESHOLD - 0.01)
    };
    let ca199 = if rng.random_bool(profile.ca199_elevated_rate) {
        lognormal_truncated(rng, 90.0, 1.0, CA199_THRESHOLD, 20_000.0)
    } else {
        lognormal_truncated(rng, 12.0, 0.6, 0.6, CA199_THRESHOLD - 0.1)
    };
    let cea_z = cea_z(cea);
    let noise =
        LATENT_CEA_WEIGHT * cea_z + (1.0 - LATENT_CEA_WEIGHT.powi(2)).sqrt() * standard_normal(rng);
    let latent = signal * (f64::from(u8::from(slm)) - prevalence) + noise;
    Clinical {
        slm,
        male,
        age,
        tumor_distance_cm: round_to(distance, 1).clamp(0.5, 15.0),
        cea_ng_ml: round_to(cea, 2),
        ca199_u_ml: round_to(ca199, 1),
        latent,
        cea_z,
    }
}

/// Draw a centre's patients: exactly `n_slm` of `n` with SLM, in a shuffled order (stream
/// `ClassOrder`), each patient's values from its own stream `(seed, centre, index)` so the
/// result does not depend on who draws first.
pub fn draw_centre(
    seed: u64,
    centre: u8,
    table: &CentreTable,
    n: usize,
    n_slm: usize,
    signal: f64,
) -> Vec<Clinical> {
    let mut labels: Vec<bool> = (0..n).map(|i| i < n_slm).collect();
    labels.shuffle(&mut stream(seed, centre, 0, Purpose::ClassOrder));
    let prevalence = if n > 0 { n_slm as f64 / n as f64 } else { 0.0 };
    labels
        .iter()
        .enumerate()
        .map(|(i, &slm)| {
            let mut rng = stream(seed, centre, i as u64, Purpose::Clinical);
            draw_patient(&mut rng, table.class(slm), slm, signal, prevalence)
        })
        .collect()
}
