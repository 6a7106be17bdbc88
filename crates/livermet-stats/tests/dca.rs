//! Decision curves against dcurves 1.1.7 (fixtures/stats/dca/expected_dca.csv, made by
//! fixtures/stats/roc/make_reference.py) and hand-computed treat-all/none curves.

use std::path::PathBuf;

use livermet_stats::StatsError;
use livermet_stats::dca::{decision_curves, default_thresholds, threshold_grid};

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/stats")
}

/// Rows of a CSV as string cells (no quoting in our fixtures).
fn read_csv(path: PathBuf) -> (Vec<String>, Vec<Vec<String>>) {
    let text = std::fs::read_to_string(path).unwrap();
    let mut lines = text.lines();
    let header = lines.next().unwrap().split(',').map(String::from).collect();
    (
        header,
        lines
            .map(|l| l.split(',').map(String::from).collect())
            .collect(),
    )
}

fn column(header: &[String], rows: &[Vec<String>], name: &str) -> Vec<f64> {
    let c = header.iter().position(|h| h == name).unwrap();
    rows.iter().map(|r| r[c].parse().unwrap()).collect()
}

#[test]
fn net_benefit_and_interventions_avoided_match_dcurves() {
    let (h, rows) = read_csv(fixtures().join("roc/breast_cancer_scores.csv"));
    let y: Vec<bool> = column(&h, &rows, "outcome")
        .iter()
        .map(|&v| v == 1.0)
        .collect();
    let a = column(&h, &rows, "score_a");
    let c = column(&h, &rows, "score_c");
    // score_c holds risks of exactly 0 and 1 (where dcurves' ε rule applies) and, like score_a,
    // many risks equal to grid thresholds, so the >= rule is what makes these rows agree.
    assert!(c.contains(&0.0) && c.contains(&1.0));
    let got = decision_curves(
        &[("score_a", &a), ("score_c", &c)],
        &y,
        &default_thresholds(),
    )
    .unwrap();

    let (eh, erows) = read_csv(fixtures().join("dca/expected_dca.csv"));
    let nb = column(&eh, &erows, "net_benefit");
    let nia = column(&eh, &erows, "net_intervention_avoided");
    let thr = column(&eh, &erows, "threshold");
    assert_eq!(got.len(), erows.len());
    for (k, g) in got.iter().enumerate() {
        assert_eq!(g.model, erows[k][0], "row {k} model");
        assert_eq!(g.threshold, thr[k], "row {k} threshold");
        assert!(
            (g.net_benefit - nb[k]).abs() < 1e-9,
            "row {k} NB {} vs {}",
            g.net_benefit,
            nb[k]
        );
        let d = (g.net_intervention_avoided - nia[k]).abs();
        assert!(
            d < 1e-9,
            "row {k} NIA {} vs {}",
            g.net_intervention_avoided,
            nia[k]
        );
    }
}

#[test]
fn treat_all_and_none_by_hand() {
    // 2 events of 5: prevalence 0.4. Treat-all NB(pt) = 0.4 − 0.6 · pt / (1 − pt).
    let y = [true, false, true, false, false];
    let r = [0.9, 0.2, 0.6, 0.6, 0.1];
    let t = [0.25, 0.5, 0.6];
    let got = decision_curves(&[("m", &r)], &y, &t).unwrap();
    assert_eq!(got.len(), 9);
    for p in got.iter().filter(|p| p.model == "all") {
        let want = 0.4 - 0.6 * p.threshold / (1.0 - p.threshold);
        assert!((p.net_benefit - want).abs() < 1e-12);
        assert_eq!(p.net_intervention_avoided, 0.0);
    }
    for p in got.iter().filter(|p| p.model == "none") {
        assert_eq!(p.net_benefit, 0.0);
    }
    // Model at pt = 0.6: risks >= 0.6 are 0.9 (event), 0.6 (event), 0.6 (non-event):
    // NB = 2/5 − 1/5 · 1.5 = 0.1; NIA = (0.1 − (0.4 − 0.6 · 1.5)) / 1.5 = 0.4.
    let m = &got[2];
    assert_eq!((m.model.as_str(), m.threshold), ("m", 0.6));
    assert!((m.net_benefit - 0.1).abs() < 1e-12);
    assert!((m.net_intervention_avoided - 0.4).abs() < 1e-12);
}

#[test]
fn grid_gives_the_exact_decimal_thresholds() {
    let g = threshold_grid(0.01, 0.99, 0.01).unwrap();
    assert_eq!(g, default_thresholds());
    assert_eq!(g.len(), 99);
    assert_eq!(g[6], 0.07); // not 0.01 + 6 · 0.01 = 0.07000000000000001
    assert_eq!(threshold_grid(0.05, 0.5, 0.05).unwrap().len(), 10);
    assert!(threshold_grid(0.0, 0.5, 0.1).is_err());
    assert!(threshold_grid(0.1, 1.0, 0.1).is_err());
    assert!(threshold_grid(0.5, 0.1, 0.1).is_err());
}

#[test]
fn bad_inputs_are_clear_errors() {
    let y = [true, false, true];
    let e = decision_curves(&[("lp", &[2.3, -1.0, 0.5])], &y, &[0.5]).unwrap_err();
    assert!(matches!(e, StatsError::InvalidValue(_)));
    assert!(e.to_string().contains("predicted risks in [0, 1]"), "{e}");
    let e = decision_curves(&[("m", &[0.2, 0.3, 0.4])], &[true; 3], &[0.5]).unwrap_err();
    assert!(matches!(e, StatsError::InsufficientData(_)));
    let e = decision_curves(&[("m", &[0.2, 0.3, 0.4])], &y, &[1.0]).unwrap_err();
    assert!(matches!(e, StatsError::InvalidValue(_)));
    let e = decision_curves(&[("m", &[0.2, f64::NAN, 0.4])], &y, &[0.5]).unwrap_err();
    assert!(matches!(e, StatsError::InvalidValue(_)));
}
