//! `livermet stats roc` and `livermet stats dca` on the reference data (fixtures/stats/roc) and
//! on bad input.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::common::{livermet, stderr, stdout};

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/stats")
}

fn expected() -> Value {
    let text = std::fs::read_to_string(fixtures().join("roc/expected.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

fn run(args: &[&str]) -> std::process::Output {
    livermet().args(args).output().expect("spawn livermet")
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p.to_str().unwrap().to_string()
}

fn close(got: &Value, want: &Value, tol: f64, what: &str) {
    let (g, w) = (got.as_f64().unwrap(), want.as_f64().unwrap());
    assert!((g - w).abs() <= tol, "{what}: got {g}, want {w}");
}

#[test]
fn roc_json_matches_reference() {
    let data = fixtures().join("roc/breast_cancer_scores.csv");
    let o = run(&[
        "stats",
        "roc",
        data.to_str().unwrap(),
        "--outcome",
        "outcome",
        "--score",
        "score_a",
        "--score",
        "score_b",
        "--score",
        "score_d",
        "--json",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let got: Value = serde_json::from_str(&stdout(&o)).unwrap();
    let e = expected();
    assert_eq!(got["n"], e["n"]);
    assert_eq!(got["positives"], e["positives"]);
    assert_eq!(got["negatives"], e["negatives"]);
    let want_scores = e["scores"].as_array().unwrap();
    for (g, idx) in got["scores"].as_array().unwrap().iter().zip([0, 1, 3]) {
        let w = &want_scores[idx];
        assert_eq!(g["name"], w["name"]);
        for key in ["auc", "se", "ci_low", "ci_high"] {
            close(&g[key], &w[key], 1e-9, key);
        }
    }
    // Pairs in the order given: (a,b), (a,d), (b,d); the reference lists all pairs of a..d.
    let want_cmp = e["comparisons"].as_array().unwrap();
    let cmp = got["comparisons"].as_array().unwrap();
    assert_eq!(cmp.len(), 3);
    for (g, idx) in cmp.iter().zip([0, 2, 4]) {
        let w = &want_cmp[idx];
        assert_eq!((&g["a"], &g["b"]), (&w["a"], &w["b"]));
        for key in ["auc_diff", "se", "z", "ci_low", "ci_high"] {
            close(&g[key], &w[key], 1e-6, key);
        }
        let (p, wp) = (g["p"].as_f64().unwrap(), w["p"].as_f64().unwrap());
        assert!(
            (p - wp).abs() <= 1e-6 || (p - wp).abs() <= 1e-4 * wp,
            "p {p} vs {wp}"
        );
    }
    // Thresholds at the median, as numpy counted them.
    let th = &got["thresholds"][0];
    let wt = &e["thresholds"][0];
    for key in ["threshold", "tp", "fp", "tn", "fn"] {
        assert_eq!(th[key].as_f64(), wt[key].as_f64(), "{key}");
    }
    close(
        &th["sensitivity"]["estimate"],
        &wt["sensitivity"]["estimate"],
        1e-12,
        "sensitivity",
    );
    close(&th["npv"]["ci_high"], &wt["npv"]["ci"][1], 1e-9, "npv CI");
}

/// The paper's primary-cohort CF counts: TP 44, FP 11, TN 93, FN 28 at threshold 0.5.
fn paper_cf_csv(dir: &Path) -> String {
    let mut text = String::from("slm,cf\n");
    for (n, y, s) in [(44, 1, 0.9), (11, 0, 0.7), (93, 0, 0.2), (28, 1, 0.3)] {
        for _ in 0..n {
            text.push_str(&format!("{y},{s}\n"));
        }
    }
    write(dir, "cf.csv", &text)
}

#[test]
fn roc_table_prints_the_papers_percentages() {
    let dir = tempfile::tempdir().unwrap();
    let csv = paper_cf_csv(dir.path());
    let o = run(&[
        "stats",
        "roc",
        &csv,
        "--outcome",
        "slm",
        "--score",
        "cf",
        "--threshold",
        "0.5",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    for label in [
        "77.8% (137/176)",
        "61.1% (44/72)",
        "89.4% (93/104)",
        "80.0% (44/55)",
        "76.9% (93/121)",
    ] {
        assert!(out.contains(label), "missing {label} in:\n{out}");
    }
}

#[test]
fn roc_bootstrap_is_deterministic_for_a_seed() {
    let data = fixtures().join("roc/breast_cancer_scores.csv");
    let args = [
        "stats",
        "roc",
        data.to_str().unwrap(),
        "--outcome",
        "outcome",
        "--score",
        "score_a",
        "--bootstrap",
        "300",
        "--seed",
        "9",
        "--json",
    ];
    let (a, b) = (run(&args), run(&args));
    assert!(a.status.success(), "{}", stderr(&a));
    assert_eq!(stdout(&a), stdout(&b));
    let v: Value = serde_json::from_str(&stdout(&a)).unwrap();
    let s = &v["scores"][0];
    assert!(s["bootstrap"]["ci_low"].as_f64().unwrap() < s["auc"].as_f64().unwrap());
    assert!(s["bootstrap"]["ci_high"].as_f64().unwrap() > s["auc"].as_f64().unwrap());
}

#[test]
fn roc_drops_rows_with_a_missing_score_and_counts_them() {
    let dir = tempfile::tempdir().unwrap();
    let csv = write(
        dir.path(),
        "d.csv",
        "y,a\n1,0.9\n0,0.1\n1,\n0,NaN\n1,0.7\n0,0.4\n0,0.8\n",
    );
    let o = run(&[
        "stats",
        "roc",
        &csv,
        "--outcome",
        "y",
        "--score",
        "a",
        "--json",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stderr(&o).contains("2 of 7 rows"), "{}", stderr(&o));
    let v: Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["n"], 5);
    assert_eq!(v["dropped_rows"], 2);
    // Positives 0.9, 0.7 vs negatives 0.1, 0.4, 0.8: 5 of 6 pairs.
    assert!((v["scores"][0]["auc"].as_f64().unwrap() - 5.0 / 6.0).abs() < 1e-12);
}

fn assert_clear_error(o: &std::process::Output, needle: &str) {
    assert_eq!(o.status.code(), Some(2), "stdout: {}", stdout(o));
    let err = stderr(o);
    assert_eq!(err.trim().lines().count(), 1, "one line: {err}");
    assert!(err.contains(needle), "expected `{needle}` in: {err}");
    assert!(!err.contains("panicked"));
}

#[test]
fn roc_bad_outcomes_are_one_line_errors() {
    let dir = tempfile::tempdir().unwrap();
    let missing = write(dir.path(), "m.csv", "y,a\n1,0.9\n,0.1\n0,0.3\n");
    let o = run(&["stats", "roc", &missing, "--outcome", "y", "--score", "a"]);
    assert_clear_error(&o, "row 3 has no value for the outcome");
    let two = write(dir.path(), "t.csv", "y,a\n1,0.9\n2,0.1\n0,0.3\n");
    let o = run(&["stats", "roc", &two, "--outcome", "y", "--score", "a"]);
    assert_clear_error(&o, "must be 0 or 1");
    let one = write(dir.path(), "o.csv", "y,a\n1,0.9\n1,0.1\n1,0.3\n");
    let o = run(&["stats", "roc", &one, "--outcome", "y", "--score", "a"]);
    assert_clear_error(&o, "needs both outcomes");
    let o = run(&["stats", "roc", &one, "--outcome", "y", "--score", "nope"]);
    assert_clear_error(&o, "no column `nope`");
}

#[test]
fn dca_matches_dcurves_and_writes_atomically() {
    let dir = tempfile::tempdir().unwrap();
    let data = fixtures().join("roc/breast_cancer_scores.csv");
    let out = dir.path().join("dca.csv");
    let o = run(&[
        "stats",
        "dca",
        data.to_str().unwrap(),
        "--outcome",
        "outcome",
        "--score",
        "score_a",
        "--score",
        "score_c",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let got = std::fs::read_to_string(&out).unwrap();
    let want = std::fs::read_to_string(fixtures().join("dca/expected_dca.csv")).unwrap();
    let (gl, wl): (Vec<&str>, Vec<&str>) = (got.lines().collect(), want.lines().collect());
    assert_eq!(
        gl[0],
        "model,threshold,net_benefit,net_intervention_avoided"
    );
    assert_eq!(gl.len(), wl.len());
    assert_eq!(gl.len(), 1 + 4 * 99);
    for (g, w) in gl[1..].iter().zip(&wl[1..]) {
        let (g, w): (Vec<&str>, Vec<&str>) = (g.split(',').collect(), w.split(',').collect());
        assert_eq!(g[0], w[0]);
        for k in 1..4 {
            let (a, b): (f64, f64) = (g[k].parse().unwrap(), w[k].parse().unwrap());
            assert!((a - b).abs() < 1e-9, "{g:?} vs {w:?}");
        }
    }
    // No temporary file left beside the output.
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
}

#[test]
fn dca_rejects_non_probabilities_and_bad_grids() {
    let dir = tempfile::tempdir().unwrap();
    let csv = write(dir.path(), "d.csv", "y,lp\n1,2.5\n0,-1.0\n1,0.3\n");
    let o = run(&["stats", "dca", &csv, "--outcome", "y", "--score", "lp"]);
    assert_clear_error(&o, "predicted risks in [0, 1]");
    let o = run(&[
        "stats",
        "dca",
        &csv,
        "--outcome",
        "y",
        "--score",
        "lp",
        "--thresholds",
        "0.1:0.5",
    ]);
    assert_clear_error(&o, "START:STOP:STEP");
}
