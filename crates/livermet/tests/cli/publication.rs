//! What a study leaves for a paper (issue 14), on a tiny synthetic two-centre cohort with the CF
//! model only (prepare runs for every patient, as in every study): `manifest.json` is the same
//! for two runs on the same inputs and changes in exactly the one file whose byte changed;
//! `results.json` carries the provenance, subgroups, centres, lesion-size sensitivity and the CF
//! bootstrap table; `tripod_ai.json` has the 27 items and 52 sub-items; `tripod_ai.html` opens
//! in headless Chromium with no error.

use std::path::Path;

use crate::common::{run_in, stderr};
use crate::study::{json, tiny_cohort};

const TOML: &str = "primary = \"cohort/primary.csv\"\nexternal = \"cohort/external.csv\"\n\
models = [\"CF\"]\nfolds = 3\nseed = 5\n";

fn study(d: &Path, out: &str) -> serde_json::Value {
    let o = run_in(d, &["study", "study.toml", "--out", out]);
    assert!(o.status.success(), "{}", stderr(&o));
    json(&d.join(out).join("results.json"))
}

/// (role/path, sha256) of every file of a manifest.
fn hashes(m: &serde_json::Value) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for c in m["cohorts"].as_array().unwrap() {
        out.push((
            c["csv"]["path"].as_str().unwrap().to_string(),
            c["csv"]["sha256"].as_str().unwrap().to_string(),
        ));
        for p in c["patients"].as_array().unwrap() {
            for f in p["files"].as_array().unwrap() {
                out.push((
                    f["path"].as_str().unwrap().to_string(),
                    f["sha256"].as_str().unwrap().to_string(),
                ));
            }
        }
    }
    out
}

#[test]
fn manifest_provenance_subgroups_and_the_tripod_checklist() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    tiny_cohort(d);
    std::fs::write(d.join("study.toml"), TOML).unwrap();

    let r1 = study(d, "out1");
    let _ = study(d, "out2");
    let m1 = std::fs::read(d.join("out1/manifest.json")).unwrap();
    let m2 = std::fs::read(d.join("out2/manifest.json")).unwrap();
    assert_eq!(m1, m2, "two runs on the same inputs: the same manifest");
    let manifest: serde_json::Value = serde_json::from_slice(&m1).unwrap();
    let files = hashes(&manifest);
    // 2 CSVs; per patient t2, t1, t1ce, dwi (a NIfTI with its .bval, or a DICOM series of
    // several files) and roi.
    assert!(files.len() > 2 + 18 * 5, "{}", files.len());
    assert!(files.iter().any(|(p, _)| p.ends_with(".bval")));

    // Provenance.
    let p = &r1["provenance"];
    let toml_text = std::fs::read_to_string(d.join("study.toml")).unwrap();
    assert_eq!(p["study_toml"]["text"], toml_text.as_str());
    assert_eq!(
        p["study_toml"]["sha256"], manifest["study_toml_sha256"],
        "{p}"
    );
    assert_eq!(p["manifest"], "manifest.json");
    let commit = p["git_commit"].as_str().unwrap();
    assert!(commit == "unknown" || commit.len() == 40, "{commit}");
    assert_eq!(p["git_commit"], manifest["git_commit"]);
    assert_eq!(p["backend"], "flex");
    assert_eq!(p["device"], "cpu", "as --device names it, not burn's Debug");
    assert!(p["threads"].as_u64().unwrap() >= 1);
    assert!(p["bundle_sha256"].as_str().unwrap().len() == 64);
    assert_eq!(p["seeds"]["study"], 5);
    let stages: Vec<&str> = p["stages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["stage"].as_str().unwrap())
        .collect();
    assert!(
        stages.iter().any(|s| s.contains("report")) && stages.len() >= 3,
        "{stages:?}"
    );
    assert!(p["started_utc"].as_str().unwrap().ends_with('Z'));

    // The CF model's bootstrap table, with B stated.
    let v = &r1["cf_internal_validation"];
    assert_eq!(v["resamples"], 500);
    if v["table"].is_object() {
        let auc = &v["table"]["auc"];
        let (a, o, c) = (
            auc["apparent"].as_f64().unwrap(),
            auc["optimism"].as_f64().unwrap(),
            auc["corrected"].as_f64().unwrap(),
        );
        assert!((a - o - c).abs() < 1e-12);
    } else {
        assert!(v["note"].is_string(), "{v}");
    }

    // Subgroups: every one has counts; a subgroup without events or non-events has no AUC and
    // says so.
    let mut seen = 0;
    for (_, c) in r1["cohorts"].as_object().unwrap() {
        for g in c["subgroups"].as_array().unwrap() {
            seen += 1;
            let (n, e) = (g["n"].as_u64().unwrap(), g["events"].as_u64().unwrap());
            for (_, m) in g["models"].as_object().unwrap() {
                if e == 0 || e == n {
                    assert!(m["auc"].is_null(), "{g}");
                    assert!(g["note"].as_str().unwrap().contains("SLM"), "{g}");
                } else {
                    assert!(m["auc"]["auc"].is_f64(), "{g}");
                }
            }
        }
        // The synthetic cohort writes lesion_size_cm for its SLM patients.
        let l = &c["lesion_size"];
        assert_eq!(l["without_size"], 0, "{l}");
        let s = &l["models"][0];
        assert_eq!(
            s["under_3cm"]["denominator"].as_u64().unwrap()
                + s["at_least_3cm"]["denominator"].as_u64().unwrap(),
            c["events"].as_u64().unwrap()
        );
    }
    assert!(seen >= 8, "{seen}");
    let centres: Vec<&str> = r1["centres"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["level"].as_str().unwrap())
        .collect();
    assert_eq!(centres, ["external", "primary"]);

    // The TRIPOD+AI checklist.
    let t = json(&d.join("out1/tripod_ai.json"));
    let items = t["items"].as_array().unwrap();
    assert_eq!(items.len(), 52);
    let mut numbers: Vec<String> = items
        .iter()
        .map(|i| {
            i["item"]
                .as_str()
                .unwrap()
                .trim_end_matches(char::is_alphabetic)
                .to_string()
        })
        .collect();
    numbers.dedup();
    assert_eq!(numbers.len(), 27);
    for i in items {
        match i["status"].as_str().unwrap() {
            "for_the_authors" => {
                assert!(
                    i["for_the_authors"]
                        .as_str()
                        .unwrap()
                        .starts_with("for the authors")
                )
            }
            status => {
                assert!(!i["this_run"].as_array().unwrap().is_empty(), "{i}");
                // A filled item needs nothing from the authors; a partly filled one says what.
                assert_eq!(
                    i["for_the_authors"].is_null(),
                    status == "filled_by_run",
                    "{i}"
                );
            }
        }
    }
    let item = |n: &str| items.iter().find(|i| i["item"] == n).unwrap();
    assert!(item("17")["status"] == "for_the_authors");
    assert!(
        item("22")["this_run"]
            .to_string()
            .contains(p["bundle_sha256"].as_str().unwrap()),
        "the bundle's hash in item 22"
    );
    assert!(
        item("10")["this_run"]
            .to_string()
            .contains("events per candidate predictor")
    );
    let html = std::fs::read_to_string(d.join("out1/report.html")).unwrap();
    for s in [
        "TRIPOD+AI checklist",
        "Provenance",
        "Subgroups and centres",
        "Internal validation of the CF model (bootstrap)",
        "Sensitivity by size of the largest liver metastasis",
    ] {
        assert!(html.contains(s), "report.html lacks {s}");
    }
    for page in ["tripod_ai.html", "report.html"] {
        let check = livermet_report::check_in_browser(&d.join("out1").join(page)).unwrap();
        assert!(check.is_clean(), "{page}: {check:?}");
    }

    // One byte of one image file changed: the manifest changes in that file's hash only.
    let ext = std::fs::read_to_string(d.join("cohort/external.csv")).unwrap();
    let t2 = ext
        .lines()
        .nth(1)
        .unwrap()
        .split(',')
        .nth(8)
        .unwrap()
        .to_string();
    let t2 = d.join("cohort").join(t2);
    let mut slices: Vec<_> = std::fs::read_dir(&t2)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    slices.sort();
    let mut bytes = std::fs::read(&slices[0]).unwrap();
    *bytes.last_mut().unwrap() ^= 1;
    std::fs::write(&slices[0], bytes).unwrap();
    let _ = study(d, "out3");
    let m3 = json(&d.join("out3/manifest.json"));
    let changed: Vec<String> = files
        .iter()
        .zip(hashes(&m3))
        .filter(|(a, b)| a != &b)
        .map(|(a, _)| a.0.clone())
        .collect();
    let name = slices[0].file_name().unwrap().to_string_lossy().to_string();
    assert_eq!(changed.len(), 1, "{changed:?}");
    assert!(changed[0].ends_with(&name), "{changed:?} vs {name}");
}
