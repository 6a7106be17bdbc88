//! Leakage: selecting the CF model's predictors on all patients before cross-validating it
//! (deliberately wrong) inflates the cross-validated AUC of pure-noise candidates, while the
//! study's path (`cross_validated_cf`: screen, stepwise and fit inside each training fold)
//! stays near chance. The CLI test `study.rs` checks that the study's CF scores are exactly
//! `cross_validated_cf`'s.

use livermet_stats::roc::auc;
use livermet_study::clinical::{FeatureTable, cross_validated_cf, fit_cf};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// `n` patients, `k` noise candidates, outcomes independent of every candidate.
fn noise_cohort(seed: u64, n: usize, k: usize) -> (FeatureTable, Vec<bool>, Vec<usize>) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let names = (0..k).map(|j| format!("noise{j}")).collect();
    let values = (0..n)
        .map(|_| (0..k).map(|_| rng.random::<f64>() * 2.0 - 1.0).collect())
        .collect();
    let y: Vec<bool> = (0..n).map(|_| rng.random::<f64>() < 0.4).collect();
    // Stratified folds, as the study makes them.
    let mut fold = vec![0; n];
    let (mut pos, mut neg) = (0, 0);
    for i in 0..n {
        if y[i] {
            fold[i] = pos % 5;
            pos += 1;
        } else {
            fold[i] = (neg + pos) % 5;
            neg += 1;
        }
    }
    (FeatureTable { names, values }, y, fold)
}

#[test]
fn selection_outside_the_folds_inflates_the_auc_and_the_study_selects_inside() {
    let (mut leaky_sum, mut honest_sum) = (0.0, 0.0);
    let reps = 6;
    for seed in 0..reps {
        let (table, y, fold) = noise_cohort(seed, 120, 30);
        // Wrong: choose the predictors once on every patient, then cross-validate the fit.
        let chosen = fit_cf(&table, &y).unwrap().predictors;
        let leaky = if chosen.is_empty() {
            0.5
        } else {
            auc(
                &cross_validated_cf(&table.columns(&chosen), &y, &fold, 5).unwrap(),
                &y,
            )
            .unwrap()
        };
        // Right: the whole selection inside each fold.
        let honest = auc(&cross_validated_cf(&table, &y, &fold, 5).unwrap(), &y).unwrap();
        leaky_sum += leaky;
        honest_sum += honest;
    }
    let (leaky, honest) = (leaky_sum / reps as f64, honest_sum / reps as f64);
    assert!(
        leaky > honest + 0.08,
        "leaky {leaky:.3} vs in-fold {honest:.3}"
    );
    assert!(
        (honest - 0.5).abs() < 0.1,
        "in-fold AUC of noise {honest:.3}"
    );
}
