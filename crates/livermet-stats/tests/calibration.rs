//! Calibration measures against statsmodels / scikit-learn / an explicit Hosmer-Lemeshow
//! (fixtures/stats/calibration/, made by fixtures/stats/logistic/make_reference.py), and
//! hand-checkable cases.

use std::path::PathBuf;

use livermet_stats::StatsError;
use livermet_stats::calibration::{
    brier_score, calibration, calibration_curve, calibration_in_the_large, calibration_slope,
    hosmer_lemeshow,
};
use livermet_stats::logistic::FitOptions;
use serde_json::Value;

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures/stats/calibration")
        .join(name)
}

/// The held-out predictions of a simple model on the fair subset (many tied probabilities).
fn predictions() -> (Vec<f64>, Vec<bool>) {
    let text = std::fs::read_to_string(fixture("fair_predictions.csv")).unwrap();
    let (mut p, mut y) = (Vec::new(), Vec::new());
    for line in text.lines().skip(1) {
        let (a, b) = line.split_once(',').unwrap();
        y.push(a == "1");
        p.push(b.parse::<f64>().unwrap());
    }
    (p, y)
}

fn expected() -> Value {
    serde_json::from_str(&std::fs::read_to_string(fixture("calibration_expected.json")).unwrap())
        .unwrap()
}

fn close(got: f64, want: &Value, what: &str) {
    let want = want.as_f64().unwrap();
    assert!(
        (got - want).abs() <= 1e-6,
        "{what}: got {got}, reference {want}"
    );
}

fn close_p(got: f64, want: &Value, what: &str) {
    let want = want.as_f64().unwrap();
    let d = (got - want).abs();
    assert!(
        d <= 1e-6 || d <= 1e-4 * want.abs(),
        "{what}: p got {got}, reference {want}"
    );
}

fn assert_estimate(got: &livermet_stats::calibration::Estimate, want: &Value, what: &str) {
    close(got.estimate, &want["estimate"], what);
    close(got.se, &want["se"], &format!("{what} se"));
    close_p(got.p, &want["p"], &format!("{what} p"));
    close(got.ci_low, &want["ci_low"], &format!("{what} ci_low"));
    close(got.ci_high, &want["ci_high"], &format!("{what} ci_high"));
}

#[test]
fn intercept_slope_and_brier_match_statsmodels_and_sklearn() {
    let (p, y) = predictions();
    let want = expected();
    let opts = FitOptions::default();
    let citl = calibration_in_the_large(&p, &y, &opts).unwrap();
    assert_estimate(
        &citl,
        &want["calibration_in_the_large"],
        "calibration-in-the-large",
    );
    let slope = calibration_slope(&p, &y, &opts).unwrap();
    assert_estimate(
        &slope.slope,
        &want["calibration_slope"],
        "calibration slope",
    );
    assert_estimate(
        &slope.intercept,
        &want["slope_model_intercept"],
        "slope-model intercept",
    );
    close(brier_score(&p, &y).unwrap(), &want["brier"], "Brier");
}

#[test]
fn binned_curve_with_ties_matches_sklearn_quantile_bins_and_wilson_cis() {
    let (p, y) = predictions();
    let want = expected();
    for (bins, key) in [(10, "curve_10"), (5, "curve_5")] {
        let curve = calibration_curve(&p, &y, bins).unwrap();
        let w = want[key].as_array().unwrap();
        assert_eq!(curve.len(), w.len(), "{key}: non-empty bins");
        for (i, (b, wb)) in curve.iter().zip(w).enumerate() {
            assert_eq!(b.n as u64, wb["n"].as_u64().unwrap(), "{key} bin {i} n");
            assert_eq!(
                b.events as u64,
                wb["events"].as_u64().unwrap(),
                "{key} bin {i} events"
            );
            close(
                b.mean_predicted,
                &wb["mean_predicted"],
                &format!("{key} bin {i} mean"),
            );
            close(
                b.observed,
                &wb["observed"],
                &format!("{key} bin {i} observed"),
            );
            close(b.ci_low, &wb["ci_low"], &format!("{key} bin {i} ci_low"));
            close(b.ci_high, &wb["ci_high"], &format!("{key} bin {i} ci_high"));
        }
    }
}

#[test]
fn hosmer_lemeshow_with_tied_risks_matches_the_reference_definition() {
    let (p, y) = predictions();
    let want = &expected()["hosmer_lemeshow_10"];
    let hl = hosmer_lemeshow(&p, &y, 10).unwrap();
    // Ties merge deciles: 8 groups, df 6.
    assert_eq!(hl.groups as u64, want["groups"].as_u64().unwrap());
    assert_eq!(hl.df as u64, want["df"].as_u64().unwrap());
    let n: Vec<u64> = want["group_n"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_u64().unwrap())
        .collect();
    assert_eq!(hl.group_n.iter().map(|&v| v as u64).collect::<Vec<_>>(), n);
    for (g, w) in hl
        .group_expected
        .iter()
        .zip(want["group_expected"].as_array().unwrap())
    {
        close(*g, w, "expected events per group");
    }
    close(hl.chi2, &want["chi2"], "HL chi2");
    close_p(hl.p, &want["p"], "HL p");
}

#[test]
fn hand_checkable_perfectly_calibrated_predictions() {
    // Two risk groups at 0.2 and 0.6, with exactly 20% and 60% events: calibration-in-the-large
    // 0, slope 1, Brier = (10 * 0.2 * 0.8 + 10 * 0.6 * 0.4) / 20 = 0.2, HL chi2 = 0.
    let mut p = vec![0.2; 10];
    p.extend([0.6; 10]);
    let mut y = vec![false; 20];
    for i in [0, 1, 10, 11, 12, 13, 14, 15] {
        y[i] = true;
    }
    let opts = FitOptions::default();
    assert!(
        calibration_in_the_large(&p, &y, &opts)
            .unwrap()
            .estimate
            .abs()
            < 1e-10
    );
    let s = calibration_slope(&p, &y, &opts).unwrap();
    assert!((s.slope.estimate - 1.0).abs() < 1e-10 && s.intercept.estimate.abs() < 1e-10);
    assert!((brier_score(&p, &y).unwrap() - 0.2).abs() < 1e-15);
    let curve = calibration_curve(&p, &y, 10).unwrap();
    assert_eq!(curve.len(), 2, "ties: two distinct risks make two bins");
    assert_eq!((curve[0].n, curve[0].events, curve[1].events), (10, 2, 6));
    // Wilson 95% interval for 2/10: (0.0567, 0.5098).
    assert!(
        (curve[0].ci_low - 0.056_682_151_454).abs() < 1e-9,
        "{}",
        curve[0].ci_low
    );
    assert!(
        (curve[0].ci_high - 0.509_837_528_463).abs() < 1e-9,
        "{}",
        curve[0].ci_high
    );
    // Two risk groups are too few for Hosmer-Lemeshow (df = groups - 2).
    assert!(matches!(
        hosmer_lemeshow(&p, &y, 10),
        Err(StatsError::InsufficientData(_))
    ));
}

#[test]
fn probabilities_of_zero_or_one_and_one_class_are_errors() {
    let y = [true, false, true];
    let r = calibration_in_the_large(&[0.5, 0.0, 0.7], &y, &FitOptions::default());
    assert!(matches!(r, Err(StatsError::InvalidValue(ref m)) if m.contains("subject 2")));
    let r = calibration(&[0.2, 0.3, 0.4], &[true; 3], 10, 10, &FitOptions::default());
    assert!(matches!(r, Err(StatsError::InsufficientData(_))));
}
