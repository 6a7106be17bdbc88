//! `livermet stats nri` and `livermet stats optimism` on the R reference data
//! (fixtures/stats/reclassification, fixtures/stats/validation) and on bad input.

use std::path::PathBuf;

use serde_json::Value;

use crate::common::{livermet, stderr, stdout};

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/stats")
}

fn run(args: &[&str]) -> std::process::Output {
    livermet().args(args).output().expect("spawn livermet")
}

fn json_of(path: &str) -> Value {
    serde_json::from_str(&std::fs::read_to_string(fixtures().join(path)).unwrap()).unwrap()
}

fn close(got: &Value, want: &Value, what: &str) {
    let (g, w) = (got.as_f64().unwrap(), want.as_f64().unwrap());
    assert!(
        (g - w).abs() <= 1e-9 * w.abs().max(1.0),
        "{what}: {g} vs R {w}"
    );
}

#[test]
fn nri_json_is_the_library_result_and_matches_hmisc() {
    let o = nri_birthwt(
        "p_new",
        &["--cut", "0.2,0.4", "--bootstrap", "200", "--json"],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let got: Value = serde_json::from_str(&stdout(&o)).unwrap();
    let want = &json_of("reclassification/expected.json")["pairs"]["birthwt"];
    let r = &got["reclassification"];
    for part in ["overall", "events", "non_events"] {
        for k in ["estimate", "se", "ci_low", "ci_high"] {
            close(&r["continuous"][part][k], &want["continuous"][part][k], k);
            close(&r["categorical"]["nri"][part][k], &want["cuts"][part][k], k);
        }
    }
    close(
        &r["idi"]["idi"]["estimate"],
        &want["idi"]["estimate"],
        "IDI",
    );
    assert_eq!(
        r["categorical"]["events_table"],
        want["cuts"]["tables"]["events"]
    );
    let b = &got["bootstrap"];
    assert_eq!(
        (b["resamples"].as_u64(), b["seed"].as_u64()),
        (Some(200), Some(1))
    );
    assert_eq!(b["scheme"], "stratified");
    assert!(b["idi"]["ci_low"].as_f64().unwrap() < want["idi"]["estimate"].as_f64().unwrap());
}

/// `livermet stats nri` on birthwt's two models with `extra` arguments.
fn nri_birthwt(new: &str, extra: &[&str]) -> std::process::Output {
    let data = fixtures().join("reclassification/birthwt_scores.csv");
    let mut args = vec!["stats", "nri", data.to_str().unwrap(), "--outcome", "low"];
    args.extend(["--old", "p_old", "--new", new]);
    args.extend(extra);
    run(&args)
}

#[test]
fn nri_text_and_bad_input() {
    let o = nri_birthwt("p_new", &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stdout(&o);
    assert!(
        text.contains("Category-free NRI") && text.contains("IDI"),
        "{text}"
    );
    let o = nri_birthwt("nope", &[]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("no column `nope`"), "{}", stderr(&o));
    let o = nri_birthwt("p_new", &["--cut", "0.4,0.2"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("increasing"), "{}", stderr(&o));
}

#[test]
fn optimism_on_r_data_is_deterministic_and_serialises_the_table() {
    let data = fixtures().join("validation/birthwt.csv");
    let args = [
        "stats",
        "optimism",
        data.to_str().unwrap(),
        "--outcome",
        "low",
        "--categorical",
        "race:1",
        "--procedure",
        "fastbw",
        "--resamples",
        "60",
        "--seed",
        "4",
        "--json",
    ];
    let o = run(&args);
    assert!(o.status.success(), "{}", stderr(&o));
    let got: Value = serde_json::from_str(&stdout(&o)).unwrap();
    let v = &got["validation"];
    let want = &json_of("validation/expected.json")["same_resamples"]["rms"]["rms"];
    // The apparent indexes do not depend on the resamples: rms's to 1e-6.
    for (k, w) in [("dxy", "dxy"), ("brier", "brier")] {
        let (g, w) = (
            v[k]["apparent"].as_f64().unwrap(),
            want[w]["apparent"].as_f64().unwrap(),
        );
        assert!((g - w).abs() < 1e-6, "{k}: {g} vs {w}");
    }
    assert_eq!(v["resamples"], 60);
    assert_eq!(
        v["apparent_model"],
        serde_json::json!(["lwt", "race", "smoke", "ht"])
    );
    let again = run(&args);
    assert_eq!(stdout(&o), stdout(&again), "same seed, same output");
    let o = run(&[
        "stats",
        "optimism",
        data.to_str().unwrap(),
        "--outcome",
        "low",
        "--categorical",
        "ui:7",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("reference level `7` of `ui`"),
        "{}",
        stderr(&o)
    );
}
