//! Threshold metrics against numpy counts and scipy's Clopper-Pearson (fixtures/stats/roc),
//! and the paper's published counts as a worked check.

use std::path::PathBuf;

use livermet_stats::StatsError;
use livermet_stats::thresholds::{
    Proportion, ThresholdMetrics, ThresholdRule, clopper_pearson, median, threshold_metrics,
};
use serde_json::Value;

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures/stats/roc")
        .join(name)
}

fn expected() -> Value {
    serde_json::from_str(&std::fs::read_to_string(fixture("expected.json")).unwrap()).unwrap()
}

/// (outcome, score columns by name) of the reference data.
fn load_data() -> (Vec<bool>, Vec<String>, Vec<Vec<f64>>) {
    let text = std::fs::read_to_string(fixture("breast_cancer_scores.csv")).unwrap();
    let mut lines = text.lines();
    let header: Vec<String> = lines.next().unwrap().split(',').map(String::from).collect();
    let (mut y, mut cols) = (Vec::new(), vec![Vec::new(); header.len() - 1]);
    for line in lines {
        let v: Vec<f64> = line.split(',').map(|c| c.parse().unwrap()).collect();
        y.push(v[0] == 1.0);
        for k in 1..v.len() {
            cols[k - 1].push(v[k]);
        }
    }
    (y, header[1..].to_vec(), cols)
}

fn close(got: f64, want: f64, what: &str) {
    assert!((got - want).abs() <= 1e-9, "{what}: got {got}, want {want}");
}

fn check_proportion(p: &Proportion, w: &Value, what: &str) {
    assert_eq!(
        p.numerator,
        w["numerator"].as_u64().unwrap(),
        "{what} numerator"
    );
    assert_eq!(
        p.denominator,
        w["denominator"].as_u64().unwrap(),
        "{what} denominator"
    );
    match w["estimate"].as_f64() {
        Some(e) => close(p.estimate.unwrap(), e, what),
        None => assert_eq!(p.estimate, None),
    }
    if w["ci"].is_null() {
        assert_eq!((p.ci_low, p.ci_high), (None, None));
    } else {
        close(p.ci_low.unwrap(), w["ci"][0].as_f64().unwrap(), what);
        close(p.ci_high.unwrap(), w["ci"][1].as_f64().unwrap(), what);
    }
}

#[test]
fn metrics_at_median_and_value_match_reference() {
    let (y, names, cols) = load_data();
    for w in expected()["thresholds"].as_array().unwrap() {
        let k = names
            .iter()
            .position(|n| n == w["name"].as_str().unwrap())
            .unwrap();
        let rule = match w["rule"].as_str().unwrap() {
            "median" => ThresholdRule::Median,
            _ => ThresholdRule::Value(w["threshold"].as_f64().unwrap()),
        };
        let m = threshold_metrics(&cols[k], &y, rule).unwrap();
        assert_eq!(
            m.threshold,
            w["threshold"].as_f64().unwrap(),
            "threshold (numpy median)"
        );
        let counts = [m.tp, m.fp, m.tn, m.fn_];
        let want = ["tp", "fp", "tn", "fn"].map(|c| w[c].as_u64().unwrap());
        assert_eq!(counts, want, "{} counts", names[k]);
        check_proportion(&m.accuracy, &w["accuracy"], "accuracy");
        check_proportion(&m.sensitivity, &w["sensitivity"], "sensitivity");
        check_proportion(&m.specificity, &w["specificity"], "specificity");
        check_proportion(&m.ppv, &w["ppv"], "ppv");
        check_proportion(&m.npv, &w["npv"], "npv");
    }
}

#[test]
fn clopper_pearson_matches_scipy_beta_ppf() {
    for w in expected()["clopper_pearson"].as_array().unwrap() {
        let (x, n) = (w["x"].as_u64().unwrap(), w["n"].as_u64().unwrap());
        let (lo, hi) = clopper_pearson(x, n, 0.95).unwrap();
        close(lo, w["ci"][0].as_f64().unwrap(), &format!("CP low {x}/{n}"));
        close(
            hi,
            w["ci"][1].as_f64().unwrap(),
            &format!("CP high {x}/{n}"),
        );
    }
    assert_eq!(clopper_pearson(0, 0, 0.95), None);
}

/// Scores that give exactly these counts at threshold 0.5.
fn scores_from_counts(tp: usize, fp: usize, tn: usize, fn_: usize) -> (Vec<f64>, Vec<bool>) {
    let mut s = Vec::new();
    let mut y = Vec::new();
    for (n, score, out) in [
        (tp, 0.9, true),
        (fp, 0.8, false),
        (tn, 0.2, false),
        (fn_, 0.1, true),
    ] {
        s.extend(std::iter::repeat_n(score, n));
        y.extend(std::iter::repeat_n(out, n));
    }
    (s, y)
}

fn labels(m: &ThresholdMetrics) -> [String; 5] {
    [&m.accuracy, &m.sensitivity, &m.specificity, &m.ppv, &m.npv].map(|p| p.percent_label())
}

#[test]
fn paper_counts_reproduce_the_published_percentages() {
    // Sun et al. 2025, primary cohort (72 SLM, 104 non-SLM) and external cohort (10, 21):
    // (tp, fp, tn, fn) and the paper's ACC, SEN, SPE, PPV, NPV.
    let rows = [
        (
            "primary CF",
            (44, 11, 93, 28),
            [
                "77.8% (137/176)",
                "61.1% (44/72)",
                "89.4% (93/104)",
                "80.0% (44/55)",
                "76.9% (93/121)",
            ],
        ),
        (
            "primary MRI",
            (43, 14, 90, 29),
            [
                "75.6% (133/176)",
                "59.7% (43/72)",
                "86.5% (90/104)",
                "75.4% (43/57)",
                "75.6% (90/119)",
            ],
        ),
        (
            "primary Combined",
            (58, 11, 93, 14),
            [
                "85.8% (151/176)",
                "80.6% (58/72)",
                "89.4% (93/104)",
                "84.1% (58/69)",
                "86.9% (93/107)",
            ],
        ),
        (
            "external CF",
            (5, 0, 21, 5),
            [
                "83.9% (26/31)",
                "50.0% (5/10)",
                "100.0% (21/21)",
                "100.0% (5/5)",
                "80.8% (21/26)",
            ],
        ),
        (
            "external MRI",
            (8, 8, 13, 2),
            [
                "67.7% (21/31)",
                "80.0% (8/10)",
                "61.9% (13/21)",
                "50.0% (8/16)",
                "86.7% (13/15)",
            ],
        ),
        (
            "external Combined",
            (8, 4, 17, 2),
            [
                "80.6% (25/31)",
                "80.0% (8/10)",
                "81.0% (17/21)",
                "66.7% (8/12)",
                "89.5% (17/19)",
            ],
        ),
    ];
    for (what, (tp, fp, tn, fn_), want) in rows {
        let (s, y) = scores_from_counts(tp, fp, tn, fn_);
        let m = threshold_metrics(&s, &y, ThresholdRule::Value(0.5)).unwrap();
        assert_eq!(labels(&m), want.map(String::from), "{what}");
    }
}

#[test]
fn score_equal_to_threshold_is_positive() {
    let s = [0.2, 0.5, 0.5, 0.7];
    let y = [false, true, false, true];
    let m = threshold_metrics(&s, &y, ThresholdRule::Value(0.5)).unwrap();
    assert_eq!((m.tp, m.fp, m.tn, m.fn_), (2, 1, 1, 0));
    // Median of an even count is the mean of the middle two: (0.5 + 0.5) / 2.
    assert_eq!(median(&s).unwrap(), 0.5);
    assert_eq!(median(&[3.0, 1.0, 2.0]).unwrap(), 2.0);
    assert_eq!(median(&[4.0, 1.0, 2.0, 3.0]).unwrap(), 2.5);
}

#[test]
fn undefined_ratios_are_none_and_null_in_json() {
    // Threshold above every score: nobody is test-positive, PPV = 0/0.
    let s = [0.1, 0.2, 0.3];
    let y = [true, false, true];
    let m = threshold_metrics(&s, &y, ThresholdRule::Value(0.9)).unwrap();
    assert_eq!(m.ppv.estimate, None);
    assert_eq!(m.ppv.ci_low, None);
    assert_eq!(m.ppv.percent_label(), "NA (0/0)");
    let json = serde_json::to_value(&m).unwrap();
    assert!(json["ppv"]["estimate"].is_null());
    assert_eq!(json["fn"], 2);
    // One class only: specificity undefined, no panic.
    let m = threshold_metrics(&s, &[true, true, true], ThresholdRule::Median).unwrap();
    assert_eq!(m.specificity.estimate, None);
    assert_eq!(m.sensitivity.estimate, Some(2.0 / 3.0));
}

#[test]
fn nan_score_or_threshold_is_an_error() {
    let y = [true, false];
    let e = threshold_metrics(&[0.1, f64::NAN], &y, ThresholdRule::Value(0.5)).unwrap_err();
    assert!(matches!(e, StatsError::InvalidValue(_)));
    let e = threshold_metrics(&[0.1, 0.2], &y, ThresholdRule::Value(f64::NAN)).unwrap_err();
    assert!(matches!(e, StatsError::InvalidValue(_)));
}
