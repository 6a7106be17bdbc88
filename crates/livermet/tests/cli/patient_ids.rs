//! Patient IDs are data, never paths: hostile or unlucky IDs in a cohort CSV are refused before
//! anything is written, and IDs that differ only where a naive sanitiser would merge them get
//! folders of their own. A canary file beside the output folder proves nothing outside it is
//! touched.

use std::path::Path;

use crate::common::{livermet, stderr};

/// A 3-patient synthetic cohort in `dir`, with the patient IDs replaced by `ids`; returns the
/// CSV's path.
fn cohort_with_ids(dir: &Path, ids: [&str; 3]) -> std::path::PathBuf {
    let o = livermet()
        .args(["synth", "--out"])
        .arg(dir)
        .args(["--primary", "3", "--external", "0", "--seed", "7"])
        .output()
        .unwrap();
    assert!(o.status.success(), "synth failed: {}", stderr(&o));
    let csv = dir.join("primary.csv");
    let text = std::fs::read_to_string(&csv).unwrap();
    let mut lines: Vec<String> = text.lines().map(String::from).collect();
    for (line, id) in lines[1..].iter_mut().zip(ids) {
        let rest = line.split_once(',').unwrap().1.to_string();
        *line = format!("\"{id}\",{rest}");
    }
    std::fs::write(&csv, lines.join("\n") + "\n").unwrap();
    csv
}

/// Every file and folder name under `dir`, sorted, with each file's bytes.
fn snapshot(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            let name = p.strip_prefix(dir).unwrap().display().to_string();
            if p.is_dir() {
                stack.push(p);
                out.push((name, Vec::new()));
            } else {
                out.push((name, std::fs::read(&p).unwrap()));
            }
        }
    }
    out.sort();
    out
}

#[test]
fn ids_naming_folders_are_refused_and_nothing_beside_the_output_is_touched() {
    for bad in ["..", ".", "../x", "a/b", "x\\y"] {
        let dir = tempfile::tempdir().unwrap();
        let csv = cohort_with_ids(dir.path(), [bad, "P2", "P3"]);
        std::fs::write(dir.path().join("notes.txt"), "the user's notes").unwrap();
        let before = snapshot(dir.path());
        for args in [vec!["validate"], vec!["prepare"]] {
            let mut cmd = livermet();
            cmd.args(&args).arg(&csv);
            if args[0] == "prepare" {
                cmd.arg("--out").arg(dir.path().join("prepared"));
            }
            let o = cmd.output().unwrap();
            let err = stderr(&o);
            assert_eq!(o.status.code(), Some(2), "{args:?} with ID {bad:?}: {err}");
            assert!(err.contains("patient_id"), "{bad:?}: {err}");
            assert!(!err.contains("panicked"), "{err}");
            assert_eq!(
                snapshot(dir.path()),
                before,
                "{args:?} with ID {bad:?} changed files"
            );
        }
    }
}

#[test]
fn ids_a_sanitiser_would_merge_get_their_own_folders() {
    let dir = tempfile::tempdir().unwrap();
    let csv = cohort_with_ids(dir.path(), ["A 1", "A_1", "S.1"]);
    std::fs::write(dir.path().join("notes.txt"), "the user's notes").unwrap();
    let out = dir.path().join("prepared");
    let o = livermet()
        .arg("prepare")
        .arg(&csv)
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    for (id, folder) in [("A 1", "A%201"), ("A_1", "A_1"), ("S.1", "S.1")] {
        let manifest = std::fs::read_to_string(out.join(folder).join("manifest.json")).unwrap();
        let v: serde_json::Value = serde_json::from_str(&manifest).unwrap();
        assert_eq!(v["patient_id"], id, "{folder}");
    }
    let mut names: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["A%201", "A_1", "S.1"], "no temporary left behind");
    assert_eq!(
        std::fs::read_to_string(dir.path().join("notes.txt")).unwrap(),
        "the user's notes"
    );
}

#[test]
fn ids_differing_only_in_case_are_refused_naming_both_lines() {
    let dir = tempfile::tempdir().unwrap();
    let csv = cohort_with_ids(dir.path(), ["p1", "P1", "P3"]);
    let o = livermet().arg("validate").arg(&csv).output().unwrap();
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("line 2") && err.contains("line 3"), "{err}");
    assert!(err.contains("case"), "{err}");
}
