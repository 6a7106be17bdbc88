//! `livermet stats logistic` and `livermet stats calibration` on the statsmodels reference data
//! (fixtures/stats/logistic, fixtures/stats/calibration) and on bad input.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::common::{livermet, stderr, stdout};

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/stats")
}

fn expected(path: &str) -> Value {
    serde_json::from_str(&std::fs::read_to_string(fixtures().join(path)).unwrap()).unwrap()
}

fn run(args: &[&str]) -> std::process::Output {
    livermet().args(args).output().expect("spawn livermet")
}

fn json_of(o: &std::process::Output) -> Value {
    assert!(o.status.success(), "stderr: {}", stderr(o));
    serde_json::from_str(&stdout(o)).expect("stdout is JSON")
}

fn close(got: &Value, want: &Value, what: &str) {
    let (g, w) = (got.as_f64().unwrap(), want.as_f64().unwrap());
    // 1e-6 absolute (p-values: or 1e-4 relative).
    let d = (g - w).abs();
    assert!(
        d <= 1e-6 || (what.ends_with('p') && d <= 1e-4 * w.abs()),
        "{what}: got {g}, want {w}"
    );
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p.to_str().unwrap().to_string()
}

#[test]
fn logistic_json_with_categorical_reference_matches_statsmodels() {
    let data = fixtures().join("logistic/fair_subset.csv");
    let o = run(&[
        "stats",
        "logistic",
        data.to_str().unwrap(),
        "--outcome",
        "affair",
        "--categorical",
        "occupation:white_collar",
        "--json",
    ]);
    let got = json_of(&o);
    let want = expected("logistic/fair_expected.json");
    let w = &want["full_reference_white_collar"];
    assert_eq!(got["n"], 1200);
    assert_eq!(got["events"], want["events"]);
    assert_eq!(got["converged"], true);
    assert!(got.get("steps").is_none() && got.get("final_predictors").is_none());
    let coefs = got["coefficients"].as_array().unwrap();
    assert_eq!(coefs.len(), w["coefficients"].as_array().unwrap().len());
    for (c, e) in coefs.iter().zip(w["coefficients"].as_array().unwrap()) {
        assert_eq!(c["name"], e["name"]);
        for k in [
            "coef",
            "se",
            "z",
            "p",
            "ci_low",
            "ci_high",
            "odds_ratio",
            "or_ci_low",
            "or_ci_high",
        ] {
            close(&c[k], &e[k], &format!("{} {k}", c["name"]));
        }
    }
    for k in [
        "log_likelihood",
        "null_log_likelihood",
        "lr_chi2",
        "aic",
        "bic",
    ] {
        close(&got[k], &w[k], k);
    }
    let drops = got["drop_tests"].as_array().unwrap();
    for (d, e) in drops.iter().zip(want["drop_tests"].as_array().unwrap()) {
        assert_eq!((&d["name"], &d["df"]), (&e["name"], &e["df"]));
        close(&d["chi2"], &e["chi2"], "drop chi2");
        close(&d["p"], &e["p"], "drop p");
    }
}

#[test]
fn logistic_screen_then_backward_reproduces_the_reference_path() {
    let data = fixtures().join("logistic/fair_subset.csv");
    let o = run(&[
        "stats",
        "logistic",
        data.to_str().unwrap(),
        "--outcome",
        "affair",
        "--predictors",
        "rate_marriage,age,yrs_married,children,religious,educ,occupation,occupation_husb",
        "--categorical",
        "occupation",
        "--screen",
        "0.1",
        "--backward",
        "--p-remove",
        "0.10",
        "--json",
    ]);
    let got = json_of(&o);
    let want = &expected("logistic/fair_expected.json")["cf_screen_0.1_wald"];
    let removed: Vec<&Value> = got["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| &s["removed"])
        .collect();
    let want_removed: Vec<&Value> = want["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| &s["removed"])
        .collect();
    assert_eq!(removed, want_removed);
    for (s, e) in got["steps"]
        .as_array()
        .unwrap()
        .iter()
        .zip(want["steps"].as_array().unwrap())
    {
        close(&s["p"], &e["p"], "step p");
    }
    assert_eq!(got["final_predictors"], want["final_predictors"]);
    assert_eq!(
        got["screen"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|s| s["kept"] == false)
            .count(),
        1
    );
    close(
        &got["log_likelihood"],
        &want["final"]["log_likelihood"],
        "final llf",
    );
}

#[test]
fn logistic_drops_rows_with_missing_predictors_and_says_how_many() {
    let dir = tempfile::tempdir().unwrap();
    let mut csv = String::from("slm,age,sex\n");
    let rows = [
        (1, "61", "M"),
        (0, "55", "F"),
        (1, "", "M"),
        (0, "48", "F"),
        (1, "70", "F"),
        (0, "52", "M"),
        (1, "66", "NA"),
        (0, "59", "M"),
        (1, "63", "F"),
        (0, "45", "M"),
        (1, "58", "M"),
        (0, "62", "F"),
    ];
    for (y, age, sex) in rows {
        csv.push_str(&format!("{y},{age},{sex}\n"));
    }
    let path = write(dir.path(), "d.csv", &csv);
    let o = run(&[
        "stats",
        "logistic",
        &path,
        "--outcome",
        "slm",
        "--categorical",
        "sex:M",
        "--json",
    ]);
    let got = json_of(&o);
    assert_eq!(got["n"], 10);
    assert_eq!(got["dropped_rows"], 2);
    assert!(stderr(&o).contains("2 of 12 rows"), "{}", stderr(&o));
    let names: Vec<&str> = got["coefficients"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["intercept", "age", "sex[F]"]);
    // Without --json: a readable table with the same coefficient names.
    let o = run(&[
        "stats",
        "logistic",
        &path,
        "--outcome",
        "slm",
        "--categorical",
        "sex:M",
    ]);
    assert!(o.status.success());
    assert!(stdout(&o).contains("sex[F]") && stdout(&o).contains("Likelihood-ratio test"));
}

#[test]
fn non_binary_or_missing_outcome_and_separation_exit_2_with_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let bad = write(dir.path(), "bad.csv", "slm,age\n1,50\n2,60\n0,70\n");
    let o = run(&["stats", "logistic", &bad, "--outcome", "slm"]);
    assert_eq!(o.status.code(), Some(2));
    let e = stderr(&o);
    assert!(e.contains("row 3") && e.contains("must be 0 or 1"), "{e}");
    assert_eq!(e.trim().lines().count(), 1);
    let missing = write(dir.path(), "missing.csv", "slm,age\n1,50\n,60\n0,70\n");
    let o = run(&["stats", "logistic", &missing, "--outcome", "slm"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("no value for the outcome"),
        "{}",
        stderr(&o)
    );
    let sep = write(
        dir.path(),
        "sep.csv",
        "slm,cea\n0,1\n0,2\n0,3\n1,4\n1,5\n1,6\n",
    );
    let o = run(&["stats", "logistic", &sep, "--outcome", "slm", "--json"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("separation by `cea`"), "{}", stderr(&o));
    assert!(stdout(&o).is_empty(), "nothing half-written on stdout");
    let text = write(dir.path(), "text.csv", "slm,sex\n1,M\n0,F\n1,F\n0,M\n");
    let o = run(&["stats", "logistic", &text, "--outcome", "slm"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("add --categorical sex"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn calibration_json_matches_the_reference() {
    let data = fixtures().join("calibration/fair_predictions.csv");
    let o = run(&[
        "stats",
        "calibration",
        data.to_str().unwrap(),
        "--outcome",
        "affair",
        "--prob",
        "prob",
        "--bins",
        "10",
        "--json",
    ]);
    let got = json_of(&o);
    let want = expected("calibration/calibration_expected.json");
    close(&got["brier"], &want["brier"], "brier");
    close(
        &got["calibration_in_the_large"]["estimate"],
        &want["calibration_in_the_large"]["estimate"],
        "citl",
    );
    close(
        &got["calibration_slope"]["slope"]["estimate"],
        &want["calibration_slope"]["estimate"],
        "slope",
    );
    close(
        &got["hosmer_lemeshow"]["chi2"],
        &want["hosmer_lemeshow_10"]["chi2"],
        "HL",
    );
    assert_eq!(
        got["curve"].as_array().unwrap().len(),
        want["curve_10"].as_array().unwrap().len()
    );
    let o = run(&[
        "stats",
        "calibration",
        data.to_str().unwrap(),
        "--outcome",
        "affair",
        "--prob",
        "prob",
    ]);
    assert!(o.status.success() && stdout(&o).contains("Hosmer-Lemeshow"));
}
