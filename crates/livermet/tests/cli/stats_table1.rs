//! `livermet stats table1` on the fixture cohort (expected rows computed with scipy in
//! fixtures/stats/table1/make_table1.py) and on bad input.

use std::path::PathBuf;

use serde_json::Value;

use crate::common::{livermet, stderr, stdout};

fn fixture(name: &str) -> String {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures/stats/table1")
        .join(name);
    p.to_str().unwrap().to_string()
}

fn run(args: &[&str]) -> std::process::Output {
    livermet().args(args).output().expect("spawn livermet")
}

fn close(what: &str, got: &Value, want: &Value) {
    match (got.as_f64(), want.as_f64()) {
        (Some(g), Some(w)) => {
            let ok = (g - w).abs() <= 1e-6 * w.abs().max(1.0) || (g - w).abs() <= 1e-4 * w.abs();
            assert!(ok, "{what}: {g} vs scipy {w}");
        }
        _ => assert_eq!(got, want, "{what}"),
    }
}

#[test]
fn table1_json_matches_scipy_rows() {
    let o = run(&[
        "stats",
        "table1",
        &fixture("cohort.csv"),
        "--group",
        "slm",
        "--json",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let got: Value = serde_json::from_str(&stdout(&o)).unwrap();
    let want: Value =
        serde_json::from_str(&std::fs::read_to_string(fixture("table1_expected.json")).unwrap())
            .unwrap();
    assert_eq!(got["groups"][0]["label"], "0");
    assert_eq!(got["groups"][1]["n"], want["group_n"][1]);
    let (rows, wants) = (
        got["rows"].as_array().unwrap(),
        want["rows"].as_array().unwrap(),
    );
    assert_eq!(
        rows.len(),
        wants.len(),
        "every column but patient_id and slm"
    );
    for (r, w) in rows.iter().zip(wants) {
        let name = w["name"].as_str().unwrap();
        assert_eq!(r["name"], w["name"]);
        assert_eq!(r["kind"], w["kind"], "{name}");
        assert_eq!(r["test"], w["test"], "{name}");
        assert_eq!(r["missing"], w["missing"], "{name}");
        close(
            &format!("{name} statistic"),
            &r["statistic"],
            &w["statistic"],
        );
        close(&format!("{name} p"), &r["p"], &w["p"]);
        if w["kind"] == "continuous" {
            assert_eq!(r["summary"], w["summary"], "{name}");
            for k in 0..2 {
                for f in ["mean", "sd", "median", "q1", "q3"] {
                    close(
                        &format!("{name} {f}"),
                        &r["groups"][k][f],
                        &w["groups"][k][f],
                    );
                }
            }
        } else {
            let counts: Vec<Value> = (0..2)
                .map(|k| {
                    let levels = r["groups"][k]["levels"].as_array().unwrap();
                    Value::from(levels.iter().map(|l| l["n"].clone()).collect::<Vec<_>>())
                })
                .collect();
            for (i, _) in w["levels"].as_array().unwrap().iter().enumerate() {
                assert_eq!(counts[0][i], w["counts"][i][0], "{name} level {i}");
                assert_eq!(counts[1][i], w["counts"][i][1], "{name} level {i}");
            }
        }
    }
}

#[test]
fn table1_text_names_each_test_and_csv_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("t1.csv");
    let o = run(&[
        "stats",
        "table1",
        &fixture("cohort.csv"),
        "--group",
        "slm",
        "--vars",
        "sex,age,ca199_u_ml,ca199_level,t_stage",
        "--csv",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stdout(&o);
    assert!(text.starts_with("Characteristic"), "{text}");
    assert!(
        text.contains("slm=0 (n=26)") && text.contains("slm=1 (n=16)"),
        "{text}"
    );
    for needle in [
        "sex, n (%)",
        "Pearson chi-square",
        "age, mean ± SD",
        "Student's t",
        "ca199_u_ml, median (IQR)",
        "Mann-Whitney U",
        "Fisher's exact",
        "0 / 2",
    ] {
        assert!(text.contains(needle), "missing `{needle}` in\n{text}");
    }
    assert!(text.contains("t_stage: smallest expected count"), "{text}");
    let csv = std::fs::read_to_string(&out).unwrap();
    let mut lines = csv.lines();
    let head = lines.next().unwrap();
    assert!(head.ends_with("Missing,Test,statistic,df,p"), "{head}");
    // Title lines carry the unrounded p: the sex row's p parses and is in (0, 1).
    let sex = lines
        .find(|l| l.starts_with("\"sex, n (%)\"") || l.starts_with("sex, n (%)"))
        .unwrap();
    let p: f64 = sex.rsplit(',').next().unwrap().parse().unwrap();
    assert!(p > 0.0 && p < 1.0, "{sex}");
    // Nothing but the output itself in the folder (the temporary file was renamed).
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
}

#[test]
fn table1_bad_input_is_one_line_and_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let three = dir.path().join("three.csv");
    let cohort = fixture("cohort.csv");
    std::fs::write(&three, "id,stage,age\n1,a,50\n2,b,60\n3,c,70\n4,a,55\n").unwrap();
    let cases: [(Vec<&str>, &str); 4] = [
        (
            vec![three.to_str().unwrap(), "--group", "stage"],
            "exactly two groups",
        ),
        (
            vec![three.to_str().unwrap(), "--group", "nope"],
            "no column `nope`",
        ),
        (
            vec![cohort.as_str(), "--group", "slm", "--vars", "sex,bogus"],
            "no column `bogus`",
        ),
        (
            vec![cohort.as_str(), "--group", "slm", "--continuous", "sex"],
            "has the value",
        ),
    ];
    for (args, needle) in cases {
        let mut all = vec!["stats", "table1"];
        all.extend(args);
        let o = run(&all);
        assert_eq!(o.status.code(), Some(2), "{all:?}");
        let err = stderr(&o);
        assert_eq!(err.trim_end().lines().count(), 1, "{err}");
        assert!(err.contains(needle), "{all:?}: {err}");
    }
}
