//! ROC, DeLong and bootstrap against scikit-learn and a textbook O(m n) DeLong
//! (fixtures/stats/roc, made by make_reference.py), plus hand-checked and edge cases.

use std::path::PathBuf;

use livermet_stats::StatsError;
use livermet_stats::bootstrap::bootstrap_auc_ci;
use livermet_stats::delong::{delong, unpaired_test};
use livermet_stats::roc::{auc, roc_analysis, roc_curve};
use serde_json::Value;

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures/stats/roc")
        .join(name)
}

/// The reference data: outcome and the score columns, by name.
struct Data {
    outcome: Vec<bool>,
    names: Vec<String>,
    scores: Vec<Vec<f64>>,
}

fn load_data() -> Data {
    let text = std::fs::read_to_string(fixture("breast_cancer_scores.csv")).unwrap();
    let mut lines = text.lines();
    let header: Vec<String> = lines.next().unwrap().split(',').map(String::from).collect();
    assert_eq!(header[0], "outcome");
    let mut outcome = Vec::new();
    let mut scores = vec![Vec::new(); header.len() - 1];
    for line in lines {
        let cells: Vec<f64> = line.split(',').map(|c| c.parse().unwrap()).collect();
        outcome.push(cells[0] == 1.0);
        for (k, v) in cells[1..].iter().enumerate() {
            scores[k].push(*v);
        }
    }
    Data {
        outcome,
        names: header[1..].to_vec(),
        scores,
    }
}

fn expected() -> Value {
    serde_json::from_str(&std::fs::read_to_string(fixture("expected.json")).unwrap()).unwrap()
}

fn close(got: f64, want: f64, tol: f64, what: &str) {
    assert!((got - want).abs() <= tol, "{what}: got {got}, want {want}");
}

/// p-values: 1e-6 absolute or 1e-4 relative.
fn close_p(got: f64, want: f64, what: &str) {
    let ok = (got - want).abs() <= 1e-6 || (got - want).abs() <= 1e-4 * want.abs();
    assert!(ok, "{what}: got p {got}, want {want}");
}

fn f(v: &Value) -> f64 {
    v.as_f64().unwrap()
}

#[test]
fn auc_and_curve_match_sklearn() {
    let d = load_data();
    let e = expected();
    for (k, want) in e["scores"].as_array().unwrap().iter().enumerate() {
        assert_eq!(d.names[k], want["name"].as_str().unwrap());
        close(
            auc(&d.scores[k], &d.outcome).unwrap(),
            f(&want["auc"]),
            1e-12,
            "auc",
        );
        let curve = roc_curve(&d.scores[k], &d.outcome).unwrap();
        let want_curve = want["curve"].as_array().unwrap();
        assert_eq!(
            curve.len(),
            want_curve.len(),
            "{}: number of curve points",
            d.names[k]
        );
        for (p, w) in curve.iter().zip(want_curve) {
            close(p.fpr, f(&w[0]), 1e-12, "fpr");
            close(p.tpr, f(&w[1]), 1e-12, "tpr");
            match w[2].as_f64() {
                Some(t) => assert_eq!(p.threshold, t),
                None => assert_eq!(p.threshold, f64::INFINITY),
            }
        }
    }
}

#[test]
fn delong_components_match_textbook_implementation() {
    let d = load_data();
    let e = expected();
    let refs: Vec<&[f64]> = d.scores.iter().map(|s| &s[..]).collect();
    let fit = delong(&refs, &d.outcome).unwrap();
    assert_eq!(fit.positives as u64, e["positives"].as_u64().unwrap());
    assert_eq!(fit.negatives as u64, e["negatives"].as_u64().unwrap());
    for key in ["s10", "s01", "covariance"] {
        let got = match key {
            "s10" => &fit.s10,
            "s01" => &fit.s01,
            _ => &fit.covariance,
        };
        for (r, row) in e[key].as_array().unwrap().iter().enumerate() {
            for (c, v) in row.as_array().unwrap().iter().enumerate() {
                close(got[r][c], f(v), 1e-12, key);
            }
        }
    }
    // Placement values average to the AUC from both sides.
    for k in 0..fit.len() {
        let m01 = fit.v01[k].iter().sum::<f64>() / fit.negatives as f64;
        close(m01, fit.auc[k], 1e-12, "mean V01 = AUC");
    }
}

#[test]
fn auc_se_and_ci_match_reference() {
    let d = load_data();
    let e = expected();
    let refs: Vec<&[f64]> = d.scores.iter().map(|s| &s[..]).collect();
    let a = roc_analysis(&refs, &d.outcome).unwrap();
    for (est, want) in a.estimates.iter().zip(e["scores"].as_array().unwrap()) {
        close(est.auc, f(&want["auc"]), 1e-9, "auc");
        close(
            est.variance.unwrap(),
            f(&want["variance"]),
            1e-12,
            "variance",
        );
        close(est.se.unwrap(), f(&want["se"]), 1e-9, "se");
        close(est.ci_low.unwrap(), f(&want["ci_low"]), 1e-9, "ci_low");
        close(est.ci_high.unwrap(), f(&want["ci_high"]), 1e-9, "ci_high");
        assert_eq!(est.clipped, want["clipped"].as_bool().unwrap());
    }
}

#[test]
fn paired_delong_tests_match_reference_and_mlstatkit() {
    let d = load_data();
    let e = expected();
    let refs: Vec<&[f64]> = d.scores.iter().map(|s| &s[..]).collect();
    let fit = delong(&refs, &d.outcome).unwrap();
    let tests = fit.delong_tests();
    let want = e["comparisons"].as_array().unwrap();
    assert_eq!(tests.len(), want.len());
    for ((a, b, t), w) in tests.iter().zip(want) {
        assert_eq!(d.names[*a], w["a"].as_str().unwrap());
        assert_eq!(d.names[*b], w["b"].as_str().unwrap());
        close(t.auc_diff, f(&w["auc_diff"]), 1e-9, "auc_diff");
        close(t.se, f(&w["se"]), 1e-9, "se of difference");
        close(t.z.unwrap(), f(&w["z"]), 1e-6, "z");
        close_p(t.p.unwrap(), f(&w["p"]), "paired p");
        close(t.ci_low, f(&w["ci_low"]), 1e-9, "ci_low");
        close(t.ci_high, f(&w["ci_high"]), 1e-9, "ci_high");
    }
    // The moderate-p pair (score_a vs score_d) is the one that tests the p-value for real.
    let (_, _, ad) = &tests[2];
    assert!(ad.p.unwrap() > 0.05 && ad.p.unwrap() < 0.5);
}

#[test]
fn unpaired_comparison_matches_reference() {
    let w = &expected()["unpaired"];
    let t = unpaired_test(
        f(&w["auc_a"]),
        f(&w["var_a"]),
        f(&w["auc_b"]),
        f(&w["var_b"]),
    );
    close(t.se, f(&w["se"]), 1e-12, "unpaired se");
    close(t.z.unwrap(), f(&w["z"]), 1e-9, "unpaired z");
    close_p(t.p.unwrap(), f(&w["p"]), "unpaired p");
    // And the variances themselves come out of our DeLong on the two halves.
    let d = load_data();
    let fa = delong(&[&d.scores[0][..300]], &d.outcome[..300]).unwrap();
    let fb = delong(&[&d.scores[2][300..]], &d.outcome[300..]).unwrap();
    close(fa.variance(0), f(&w["var_a"]), 1e-12, "var_a");
    close(fb.variance(0), f(&w["var_b"]), 1e-12, "var_b");
}

#[test]
fn hand_checked_four_subjects() {
    // Positives 0.35, 0.8; negatives 0.1, 0.4. V10 = [0.5, 1], V01 = [1, 0.5]:
    // AUC 0.75, S10 = S01 = 0.125, Var = 0.125/2 + 0.125/2 = 0.125.
    let s = [0.1, 0.4, 0.35, 0.8];
    let y = [false, false, true, true];
    let a = roc_analysis(&[&s], &y).unwrap();
    let est = &a.estimates[0];
    close(est.auc, 0.75, 1e-15, "auc");
    close(est.variance.unwrap(), 0.125, 1e-15, "variance");
    // 0.75 + 1.96 * 0.35355 > 1: clipped.
    assert!(est.clipped);
    assert_eq!(est.ci_high, Some(1.0));
    close(
        est.ci_low.unwrap(),
        0.75 - 1.96 * 0.125f64.sqrt(),
        1e-15,
        "ci_low",
    );
}

#[test]
fn all_scores_tied_give_half_and_zero_variance() {
    let s = [0.3; 8];
    let y = [true, false, true, false, false, true, false, false];
    let a = roc_analysis(&[&s, &s], &y).unwrap();
    let est = &a.estimates[0];
    assert_eq!(est.auc, 0.5);
    assert_eq!(est.se, Some(0.0));
    assert!(est.zero_variance && !est.clipped);
    assert_eq!((est.ci_low, est.ci_high), (Some(0.5), Some(0.5)));
    // Two identical tied scores: no difference, z = 0, p = 1 (not NaN).
    let t = a.delong.as_ref().unwrap().delong_test(0, 1).unwrap();
    assert_eq!((t.z, t.p), (Some(0.0), Some(1.0)));
    // Curve: (0,0) then straight to (1,1).
    let c = roc_curve(&s, &y).unwrap();
    assert_eq!(c.len(), 2);
    assert_eq!((c[1].fpr, c[1].tpr), (1.0, 1.0));
}

#[test]
fn one_class_only_is_a_clear_error() {
    let s = [0.1, 0.2, 0.3];
    let y = [false, false, false];
    let err = roc_analysis(&[&s], &y).unwrap_err();
    assert!(matches!(err, StatsError::InsufficientData(_)));
    assert!(err.to_string().contains("needs both outcomes"), "{err}");
    assert!(roc_curve(&s, &y).is_err());
    assert!(bootstrap_auc_ci(&[&s], &y, 100, 1, 0.95).is_err());
}

#[test]
fn single_positive_gives_auc_without_delong_se() {
    // The positive (0.6) beats 0.1, 0.2, ties 0.6, loses to 0.9: AUC = (2 + 0.5) / 4.
    let s = [0.1, 0.6, 0.2, 0.6, 0.9];
    let y = [false, true, false, false, false];
    let a = roc_analysis(&[&s], &y).unwrap();
    assert_eq!(a.estimates[0].auc, 0.625);
    assert_eq!(a.estimates[0].se, None);
    assert_eq!(a.estimates[0].ci_low, None);
    assert!(a.delong.is_none());
    assert!(matches!(
        delong(&[&s], &y),
        Err(StatsError::InsufficientData(_))
    ));
}

#[test]
fn perfect_separation_gives_auc_one_zero_se_flagged() {
    let s = [0.1, 0.2, 0.3, 0.7, 0.8, 0.9];
    let y = [false, false, false, true, true, true];
    let est = &roc_analysis(&[&s], &y).unwrap().estimates[0];
    assert_eq!(est.auc, 1.0);
    assert_eq!(est.se, Some(0.0));
    assert!(est.zero_variance, "a zero SE must be flagged");
    assert_eq!((est.ci_low, est.ci_high), (Some(1.0), Some(1.0)));
    let ci = &bootstrap_auc_ci(&[&s], &y, 200, 7, 0.95).unwrap()[0];
    assert_eq!((ci.ci_low, ci.ci_high), (1.0, 1.0));
}

#[test]
fn nan_score_is_an_error() {
    let s = [0.1, f64::NAN, 0.3, 0.4];
    let y = [false, true, false, true];
    let err = roc_analysis(&[&s], &y).unwrap_err();
    assert!(matches!(err, StatsError::InvalidValue(_)));
    assert!(err.to_string().contains("NaN"));
    assert!(auc(&s, &y).is_err());
}

#[test]
fn length_mismatch_is_an_error() {
    let err = auc(&[0.1, 0.2], &[true, false, true]).unwrap_err();
    assert!(matches!(
        err,
        StatsError::LengthMismatch {
            expected: 3,
            got: 2,
            ..
        }
    ));
}

#[test]
fn bootstrap_is_seeded_and_agrees_with_delong() {
    let d = load_data();
    let refs: Vec<&[f64]> = d.scores.iter().map(|s| &s[..]).collect();
    let a = bootstrap_auc_ci(&refs, &d.outcome, 2000, 42, 0.95).unwrap();
    // The same seed on one thread gives the very same numbers.
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap();
    let b = pool.install(|| bootstrap_auc_ci(&refs, &d.outcome, 2000, 42, 0.95).unwrap());
    assert_eq!(a, b);
    let c = bootstrap_auc_ci(&refs, &d.outcome, 2000, 43, 0.95).unwrap();
    assert_ne!(a[0].ci_low, c[0].ci_low);
    // With 569 subjects the percentile CI is close to DeLong's normal CI.
    let r = roc_analysis(&refs, &d.outcome).unwrap();
    for (ci, est) in a.iter().zip(&r.estimates) {
        assert!(ci.ci_low < est.auc && est.auc < ci.ci_high);
        close(
            ci.ci_low,
            est.ci_low.unwrap(),
            0.01,
            "bootstrap vs DeLong low",
        );
        close(
            ci.ci_high,
            est.ci_high.unwrap(),
            0.01,
            "bootstrap vs DeLong high",
        );
    }
}
