//! `livermet synth` and `livermet demo` through the real binary.

use crate::common::{livermet, run_in, stderr, stdout};

#[test]
fn synth_writes_a_small_two_centre_cohort() {
    let tmp = tempfile::tempdir().unwrap();
    let o = run_in(
        tmp.path(),
        &[
            "synth",
            "--out",
            "tmp",
            "--primary",
            "4",
            "--external",
            "2",
            "--seed",
            "5",
        ],
    );
    assert!(o.status.success(), "synth failed: {}", stderr(&o));
    let dir = tmp.path().join("tmp");
    for f in [
        "primary.csv",
        "external.csv",
        "truth.json",
        "primary/P004/t2.nii.gz",
        "primary/P004/dwi.bval",
        "external/E002/roi.nii.gz",
    ] {
        assert!(dir.join(f).is_file(), "{f} missing");
    }
    assert!(dir.join("external/E001/dwi").is_dir());
    let csv = std::fs::read_to_string(dir.join("primary.csv")).unwrap();
    assert_eq!(csv.lines().count(), 5);
    assert!(csv.lines().nth(1).unwrap().starts_with("P001,primary,"));
    let truth: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("truth.json")).unwrap()).unwrap();
    assert_eq!(truth["seed"], 5);
    assert_eq!(truth["patients"].as_array().unwrap().len(), 6);
    assert_eq!(
        truth["patients"][0]["images"]["transforms"]["t1"]
            .as_array()
            .unwrap()
            .len(),
        4
    );
    let out = stdout(&o);
    assert!(
        out.contains("primary") && out.contains("4 patients") && out.contains("MB"),
        "{out}"
    );
}

#[test]
fn synth_bad_arguments_exit_2_with_one_line() {
    let tmp = tempfile::tempdir().unwrap();
    for args in [
        vec!["synth", "--out", "x", "--primary", "many"],
        vec!["synth", "--primary", "3"],
        vec!["synth", "--out", "x", "--size", "huge"],
        vec!["synth", "--out", "x", "--signal", "-1"],
        vec!["synth", "--out", "x", "--primary", "0", "--external", "0"],
    ] {
        let o = run_in(tmp.path(), &args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
    }
    let o = run_in(tmp.path(), &["synth", "--out", "x", "--signal=-1"]);
    let err = stderr(&o);
    assert_eq!(err.trim().lines().count(), 1, "not one line: {err}");
    assert!(err.contains("--signal"), "{err}");
    assert!(
        !tmp.path().join("x").exists(),
        "bad settings still wrote files"
    );
}

#[test]
fn synth_and_demo_help_show_an_example() {
    for cmd in ["synth", "demo"] {
        let o = livermet().args([cmd, "--help"]).output().unwrap();
        assert!(o.status.success());
        assert!(
            stdout(&o).contains(&format!("Example: livermet {cmd}")),
            "{cmd} --help lacks an example"
        );
    }
}
