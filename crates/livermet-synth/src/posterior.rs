//! The twin's true probability of SLM: Bayes' rule on the generator's own class-conditional
//! distributions ([`crate::clinical::draw_patient`]), so a study on a synthetic cohort can say
//! how close each model comes to the best that any model could do (the Bayes limit).
//!
//! Within a class the generator draws every value independently, so the posterior log-odds of
//! SLM are the prior log-odds plus one log likelihood ratio per value:
//!
//! `logit P(SLM | x) = logit(pi) + sum_v [ln f_1(v) - ln f_0(v)]`
//!
//! - prior `pi`: the centre's SLM count over its size (the count is fixed and the classes are
//!   shuffled, so every patient is SLM with probability exactly `pi`);
//! - sex: Bernoulli(male rate of the class);
//! - age: normal(mean, SD of the class) clipped to 18-95 and rounded to whole years, so the
//!   probability of the written age `a` is the normal mass of `[a - 0.5, a + 0.5)`, the end
//!   years taking the clipped tails;
//! - distance from the anal verge: log-normal (median, sigma from the IQR) clipped to
//!   0.5-15 cm and rounded to 0.1 cm: the log-normal mass of `[v - 0.05, v + 0.05)`, tails at
//!   the ends;
//! - CEA and CA19-9: elevated with the class's rate, then a value from a log-normal on that side
//!   of the threshold whose shape does not depend on the class, so only the side carries
//!   evidence (a class rate of 0 makes a side impossible for that class: probability 0 or 1);
//! - the latent imaging score (clinical + latent posterior only): normal with mean
//!   `signal * (slm - pi) + 0.3 * cea_z` and variance `1 - 0.3^2`, where `cea_z` is the
//!   standardised log CEA the generator used (before rounding), so its ratio is
//!   `exp([(l - m_0)^2 - (l - m_1)^2] / (2 * 0.91))`.
//!
//! The images are drawn from the latent score and noise independent of the class, so no model
//! of clinical values and images can beat the clinical + latent posterior in expectation: its
//! AUC on a cohort is that cohort's Bayes limit.

use serde::{Deserialize, Serialize};
use statrs::distribution::{ContinuousCDF, Normal};

use crate::clinical::{CentreTable, ClassProfile, Clinical, LATENT_CEA_WEIGHT};
use crate::random::lognormal_sigma_from_iqr;

/// The true probability of SLM of one patient.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Posterior {
    /// From the five clinical values alone.
    pub clinical: f64,
    /// From the clinical values and the latent imaging score.
    pub clinical_latent: f64,
}

/// The posterior of a patient of a centre with table `table`, prior `prevalence` (the
/// centre's SLM share) and imaging signal `signal`.
pub fn posterior(table: &CentreTable, prevalence: f64, signal: f64, c: &Clinical) -> Posterior {
    let clinical_llr = log_likelihood(&table.slm, c) - log_likelihood(&table.non_slm, c);
    let prior = prevalence.ln() - (1.0 - prevalence).ln();
    let clinical = prior + clinical_llr;
    Posterior {
        clinical: sigmoid(clinical),
        clinical_latent: sigmoid(clinical + latent_llr(signal, prevalence, c)),
    }
}

/// `ln f(x | class)` of the clinical values, up to terms that are the same for both classes
/// (the within-side shape of CEA and CA19-9).
fn log_likelihood(profile: &ClassProfile, c: &Clinical) -> f64 {
    let bernoulli = |rate: f64, yes: bool| if yes { rate } else { 1.0 - rate }.ln();
    let age = Normal::new(profile.age_mean, profile.age_sd).expect("valid age SD");
    let age_bin = bin_mass(&age, c.age - 0.5, c.age + 0.5, 18.0, 95.0);
    let sigma = lognormal_sigma_from_iqr(profile.distance_median, profile.distance_iqr);
    let log_distance = Normal::new(profile.distance_median.ln(), sigma).expect("valid sigma");
    let d = c.tumor_distance_cm;
    let distance_bin = bin_mass(
        &log_distance,
        (d - 0.05).max(f64::MIN_POSITIVE).ln(),
        (d + 0.05).ln(),
        0.5f64.ln(),
        15f64.ln(),
    );
    bernoulli(profile.male_rate, c.male)
        + age_bin.ln()
        + distance_bin.ln()
        + bernoulli(profile.cea_elevated_rate, c.cea_elevated())
        + bernoulli(profile.ca199_elevated_rate, c.ca199_elevated())
}

/// Mass of `[lo, hi)` under `dist`, where values were clipped to `[min, max]` before rounding:
/// a bin holding `min` (or `max`) takes the whole tail below (above) it.
fn bin_mass(dist: &Normal, lo: f64, hi: f64, min: f64, max: f64) -> f64 {
    let lower = if lo <= min { 0.0 } else { dist.cdf(lo) };
    let upper = if hi >= max { 1.0 } else { dist.cdf(hi) };
    upper - lower
}

/// `ln f_1(latent) - ln f_0(latent)` given CEA (see the module documentation).
fn latent_llr(signal: f64, prevalence: f64, c: &Clinical) -> f64 {
    let var = 1.0 - LATENT_CEA_WEIGHT.powi(2);
    let base = c.latent - LATENT_CEA_WEIGHT * c.cea_z;
    let (m1, m0) = (signal * (1.0 - prevalence), -signal * prevalence);
    ((base - m0).powi(2) - (base - m1).powi(2)) / (2.0 * var)
}

/// The logistic function; `+-inf` (a value impossible in one class) gives 1 or 0.
fn sigmoid(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clinical::{EXTERNAL_TABLE, PRIMARY_TABLE, draw_centre};

    fn patient(male: bool, cea: f64, ca199: f64, latent: f64) -> Clinical {
        Clinical {
            slm: false,
            male,
            age: 57.0,
            tumor_distance_cm: 5.8,
            cea_ng_ml: cea,
            ca199_u_ml: ca199,
            latent,
            cea_z: crate::clinical::cea_z(cea),
        }
    }

    #[test]
    fn each_value_moves_the_posterior_the_way_table_1_says() {
        let t = &PRIMARY_TABLE;
        let p = |c: &Clinical| posterior(t, 72.0 / 176.0, 1.0, c);
        let base = p(&patient(false, 2.0, 10.0, 0.0));
        assert!(p(&patient(true, 2.0, 10.0, 0.0)).clinical > base.clinical);
        assert!(p(&patient(false, 9.0, 10.0, 0.0)).clinical > base.clinical);
        assert!(p(&patient(false, 2.0, 90.0, 0.0)).clinical > base.clinical);
        // The latent score moves only the posterior that knows it.
        let high = p(&patient(false, 2.0, 10.0, 2.0));
        assert_eq!(high.clinical, base.clinical);
        assert!(high.clinical_latent > base.clinical_latent);
    }

    #[test]
    fn the_latent_ratio_is_the_normal_density_ratio() {
        // signal 1, prevalence 0.4: means 0.6 and -0.4, variance 0.91, CEA at 5 (cea_z 0).
        let c = patient(false, 5.0, 10.0, 0.3);
        let by_hand = ((0.3f64 + 0.4).powi(2) - (0.3f64 - 0.6).powi(2)) / (2.0 * 0.91);
        assert!((latent_llr(1.0, 0.4, &c) - by_hand).abs() < 1e-12);
        assert_eq!(latent_llr(0.0, 0.4, &c), 0.0);
    }

    #[test]
    fn a_side_impossible_in_one_class_is_certain() {
        // External non-SLM patients never have CA19-9 >= 37 (Table 2).
        let p = posterior(
            &EXTERNAL_TABLE,
            10.0 / 31.0,
            1.0,
            &patient(true, 2.0, 90.0, 0.0),
        );
        assert_eq!(p.clinical, 1.0);
        assert_eq!(p.clinical_latent, 1.0);
    }

    #[test]
    fn age_and_distance_bins_cover_all_written_values() {
        let t = &PRIMARY_TABLE.slm;
        let age = Normal::new(t.age_mean, t.age_sd).unwrap();
        let total: f64 = (18..=95)
            .map(|a| bin_mass(&age, a as f64 - 0.5, a as f64 + 0.5, 18.0, 95.0))
            .sum();
        assert!((total - 1.0).abs() < 1e-12, "{total}");
        let sigma = lognormal_sigma_from_iqr(t.distance_median, t.distance_iqr);
        let ld = Normal::new(t.distance_median.ln(), sigma).unwrap();
        let total: f64 = (5..=150)
            .map(|k| {
                let v = k as f64 / 10.0;
                bin_mass(
                    &ld,
                    (v - 0.05).ln(),
                    (v + 0.05).ln(),
                    0.5f64.ln(),
                    15f64.ln(),
                )
            })
            .sum();
        assert!((total - 1.0).abs() < 1e-9, "{total}");
    }

    #[test]
    fn posteriors_average_to_the_prevalence() {
        // E[P(SLM | x)] = P(SLM): a quick necessary condition (the calibration test is in
        // tests/posterior.rs).
        let n = 4000;
        let draws = draw_centre(3, 0, &PRIMARY_TABLE, n, 1636, 1.0);
        let prev = 1636.0 / n as f64;
        let mean: f64 = draws
            .iter()
            .map(|c| posterior(&PRIMARY_TABLE, prev, 1.0, c).clinical_latent)
            .sum::<f64>()
            / n as f64;
        assert!((mean - prev).abs() < 0.02, "{mean} vs {prev}");
    }
}
