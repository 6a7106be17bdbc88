//! `livermet study` and `livermet predict` end to end on a tiny synthetic two-centre cohort
//! (12 + 6 patients, a 2-4 wide network, 1 epoch): every report file exists, `results.json`
//! agrees with the CSVs and with AUCs recomputed from the score CSVs, the page passes headless
//! Chromium, a killed study resumes to the same numbers, and `predict` reproduces the study's
//! external scores from the bundle. The external cohort's DICOM files carry a patient's name,
//! ID, birth date, institution and UIDs: none reaches the output or log of `image info`,
//! `validate`, `study` (which prepares), the report, the bundle or `predict`.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use crate::common::{livermet, run_in, stderr, stdout};
use crate::phi::{assert_no_phi_in, assert_no_phi_under, inject_phi};

const TOML: &str = "primary = \"cohort/primary.csv\"\nexternal = \"cohort/external.csv\"\n\
protocol = \"quick\"\nfolds = 3\nseed = 5\n[training]\nepochs = 1\ncopies_per_slice = 1\nbatch_size = 8\n\
[network]\nwidths = [2, 2, 4, 4, 4, 4]\npatch_size = 32\n";

/// The tiny cohort and its STUDY.toml in `dir`.
pub fn cohort(dir: &Path) -> PathBuf {
    tiny_cohort(dir);
    let toml = dir.join("study.toml");
    std::fs::write(&toml, TOML).unwrap();
    toml
}

/// `livermet synth` of the tiny 12 + 6 cohort into `dir/cohort`.
pub fn tiny_cohort(dir: &Path) {
    let o = run_in(
        dir,
        &[
            "synth",
            "--out",
            "cohort",
            "--primary",
            "12",
            "--external",
            "6",
            "--seed",
            "3",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
}

/// Every file under `dir`.
fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

pub fn json(path: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// CSV as header + rows of strings.
fn csv_rows(path: &Path) -> (Vec<String>, Vec<Vec<String>>) {
    let mut r = csv::Reader::from_path(path).unwrap();
    let h = r.headers().unwrap().iter().map(String::from).collect();
    let rows = r
        .records()
        .map(|x| x.unwrap().iter().map(String::from).collect())
        .collect();
    (h, rows)
}

fn col(h: &[String], name: &str) -> usize {
    h.iter()
        .position(|c| c == name)
        .unwrap_or_else(|| panic!("column {name}"))
}

#[test]
fn study_report_bundle_and_predict_agree() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    cohort(d);
    assert!(
        inject_phi(&d.join("cohort")) > 0,
        "no DICOM file in the cohort"
    );
    let logs = |what: &str, o: &std::process::Output| {
        assert_no_phi_in(&format!("{what} stdout"), &o.stdout);
        assert_no_phi_in(&format!("{what} stderr"), &o.stderr);
    };
    let ext_t2 = std::fs::read_to_string(d.join("cohort/external.csv")).unwrap();
    let ext_t2 = ext_t2
        .lines()
        .nth(1)
        .unwrap()
        .split(',')
        .nth(8)
        .unwrap()
        .to_string();
    let o = run_in(&d.join("cohort"), &["image", "info", &ext_t2, "--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    logs("image info", &o);
    let o = run_in(d, &["validate", "cohort/external.csv", "--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    logs("validate", &o);
    let o = run_in(d, &["study", "study.toml", "--out", "out"]);
    assert!(o.status.success(), "{}", stderr(&o));
    logs("study", &o);
    let out = d.join("out");
    // Every output: report, tables, figures, bundle, prepared data, work files.
    assert!(assert_no_phi_under(&out) > 40);
    let text = stdout(&o);
    assert!(
        text.contains("report.html")
            && text.contains("Combined")
            && text.contains("external validation"),
        "{text}"
    );

    // Every file of the report.
    let mut expected: Vec<String> = [
        "results.json",
        "report.html",
        "performance.csv",
        "comparisons.csv",
        "decision_curves.csv",
        "calibration.csv",
        "cf_model.csv",
        "score_associations.csv",
        "scores_primary_cv.csv",
        "scores_external.csv",
        "table1_primary_cv.csv",
        "table1_external.csv",
        "model/card.json",
        "model/cf.json",
        "model/standardisation.json",
        "model/prepare.json",
        "model/mri/model.bpk",
        "model/combined/net.json",
        "model/combined/offset_cf.json",
        "model/combined/image_baseline.json",
        "model/validation_curves.json",
        "attribution_shares.csv",
        "manifest.json",
        "tripod_ai.json",
        "tripod_ai.html",
    ]
    .map(String::from)
    .to_vec();
    for f in ["roc", "dca", "calibration", "representative"] {
        for c in ["primary_cv", "external"] {
            for ext in ["svg", "png"] {
                expected.push(format!("figures/{f}_{c}.{ext}"));
            }
        }
    }
    for f in &expected {
        let p = out.join(f);
        assert!(
            p.is_file() && std::fs::metadata(&p).unwrap().len() > 0,
            "missing {f}"
        );
    }
    // The saliency maps of the representative patients.
    let maps: Vec<_> = walk(&out.join("saliency"))
        .into_iter()
        .filter(|p| p.ends_with("saliency_combined.nii.gz"))
        .collect();
    assert!(maps.len() >= 4, "{maps:?}");
    let png = std::fs::read(out.join("figures/roc_external.png")).unwrap();
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");

    // results.json against performance.csv, comparisons.csv and the scores.
    let results = json(&out.join("results.json"));
    let (h, rows) = csv_rows(&out.join("performance.csv"));
    assert_eq!(rows.len(), 6, "3 models x 2 cohorts");
    for r in &rows {
        let m = &results["cohorts"][&r[col(&h, "cohort")]]["models"][&r[col(&h, "model")]];
        let t = &m["threshold_metrics"];
        let at_median = ["accuracy", "sensitivity", "specificity", "ppv", "npv"]
            .map(|k| (k, &t[k]["estimate"]));
        for (key, value) in [
            ("auc", &m["auc"]),
            ("ci_low", &m["ci_low"]),
            ("ci_high", &m["ci_high"]),
            ("threshold", &t["threshold"]),
        ]
        .into_iter()
        .chain(at_median)
        {
            let cell = &r[col(&h, key)];
            if cell.is_empty() {
                assert!(value.is_null(), "{key} of {r:?}");
            } else {
                assert_eq!(
                    cell.parse::<f64>().unwrap(),
                    value.as_f64().unwrap(),
                    "{key} of {r:?}"
                );
            }
        }
    }
    let (h, rows) = csv_rows(&out.join("comparisons.csv"));
    assert_eq!(rows.len(), 6, "3 comparisons x 2 cohorts");
    for r in &rows {
        let list = results["cohorts"][&r[0]]["comparisons"].as_array().unwrap();
        let c = list
            .iter()
            .find(|c| c["a"] == r[col(&h, "a")].as_str() && c["b"] == r[col(&h, "b")].as_str())
            .unwrap();
        // z and p are empty when the two models rank every pair alike (the offset-fused
        // Combined model of a 1-epoch network can order patients exactly as CF does).
        for key in ["p", "z"] {
            let cell = &r[col(&h, key)];
            if cell.is_empty() {
                assert!(c[key].is_null(), "{key} of {r:?}");
            } else {
                assert_eq!(cell.parse::<f64>().unwrap(), c[key].as_f64().unwrap());
            }
        }
    }
    for cohort in ["primary_cv", "external"] {
        let (h, rows) = csv_rows(&out.join(format!("scores_{cohort}.csv")));
        let y: Vec<bool> = rows.iter().map(|r| r[col(&h, "slm")] == "1").collect();
        for m in ["CF", "MRI", "Combined"] {
            let s: Vec<f64> = rows
                .iter()
                .map(|r| r[col(&h, m)].parse().unwrap())
                .collect();
            let auc = livermet_stats::roc::auc(&s, &y).unwrap();
            let reported = results["cohorts"][cohort]["models"][m]["auc"]
                .as_f64()
                .unwrap();
            assert!(
                (auc - reported).abs() < 1e-12,
                "{cohort} {m}: {auc} vs {reported}"
            );
        }
        assert_eq!(rows.len(), if cohort == "external" { 6 } else { 12 });
    }
    let folds = results["settings"]["folds"].as_u64().unwrap();
    assert_eq!(folds, 3);

    // NRI and IDI of each pair of models, as `livermet stats nri` computes them from the score
    // CSVs (the one reclassification implementation, checked against Hmisc).
    for cohort in ["primary_cv", "external"] {
        let pairs = results["cohorts"][cohort]["reclassification"]
            .as_array()
            .unwrap();
        assert_eq!(pairs.len(), 3, "{cohort}");
        for pair in pairs {
            let (new, old) = (pair["new"].as_str().unwrap(), pair["old"].as_str().unwrap());
            let csv = format!("out/scores_{cohort}.csv");
            let o = run_in(
                d,
                &[
                    "stats",
                    "nri",
                    &csv,
                    "--outcome",
                    "slm",
                    "--old",
                    old,
                    "--new",
                    new,
                    "--json",
                ],
            );
            assert!(o.status.success(), "{}", stderr(&o));
            let cli: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
            let (a, b) = (&pair["reclassification"], &cli["reclassification"]);
            for path in [
                ["continuous", "overall"],
                ["categorical", "nri"],
                ["idi", "idi"],
            ] {
                let (x, y) = (&a[path[0]][path[1]], &b[path[0]][path[1]]);
                assert_eq!(x, y, "{cohort} {new} vs {old} {path:?}");
            }
            assert_eq!(pair["bootstrap"]["resamples"], 1000);
        }
    }
    assert!(results["provenance"]["manifest_sha256"].is_string());
    assert!(results["cf_internal_validation"]["resamples"] == 500);

    // No leakage: the study's CF scores are the in-fold selection's, recomputed here from the
    // cohort and the study's fold file.
    let cohort = livermet_cohort::read_cohort(
        &d.join("cohort/primary.csv"),
        &livermet_cohort::ValidateOptions {
            check_images: false,
            require_label: true,
        },
    )
    .unwrap();
    let folds = livermet_cohort::FoldAssignment::load(&out.join("work/folds.json")).unwrap();
    let ps: Vec<&livermet_cohort::Patient> = cohort.patients.iter().collect();
    let y: Vec<bool> = ps.iter().map(|p| p.slm == Some(true)).collect();
    let fold_of: Vec<usize> = ps.iter().map(|p| folds.folds[&p.id]).collect();
    let table = livermet_study::clinical::FeatureTable::clinical(&ps);
    let cv = livermet_study::clinical::cross_validated_cf(&table, &y, &fold_of, folds.k).unwrap();
    let (h, rows) = csv_rows(&out.join("scores_primary_cv.csv"));
    for (p, want) in ps.iter().zip(&cv) {
        let r = rows.iter().find(|r| r[0] == p.id).unwrap();
        let got: f64 = r[col(&h, "CF")].parse().unwrap();
        assert!((got - want).abs() < 1e-12, "{}: {got} vs {want}", p.id);
    }

    // The Combined model's offset is the CF model of each fold's training patients only.
    for fold in 0..folds.k {
        let unit = json(&out.join(format!("work/fold{fold}-combined/scores.json")));
        let train: Vec<usize> = (0..ps.len()).filter(|&i| fold_of[i] != fold).collect();
        let y_train: Vec<bool> = train.iter().map(|&i| y[i]).collect();
        let want = livermet_study::clinical::fit_cf(&table.rows(&train), &y_train).unwrap();
        let got: Vec<f64> = unit["offset_cf"]["coefficients"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c.as_f64().unwrap())
            .collect();
        assert_eq!(got, want.coefficients, "fold {fold}");
        let trained: Vec<&str> = unit["train_patients"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        assert!(
            ps.iter()
                .filter(|p| folds.folds[&p.id] == fold)
                .all(|p| !trained.contains(&p.id.as_str())),
            "fold {fold} trained on its own test patients"
        );
    }

    // The twin's Bayes limit: the AUC of truth.json's posteriors on the same patients, and
    // each model's gap to it.
    let truth = json(&d.join("cohort/truth.json"));
    for cohort in ["primary_cv", "external"] {
        let (h, rows) = csv_rows(&out.join(format!("scores_{cohort}.csv")));
        let y: Vec<bool> = rows.iter().map(|r| r[col(&h, "slm")] == "1").collect();
        let post: Vec<f64> = rows
            .iter()
            .map(|r| {
                let t = truth["patients"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .find(|t| t["patient_id"] == r[0].as_str())
                    .unwrap();
                t["posterior"]["clinical_latent"].as_f64().unwrap()
            })
            .collect();
        let limit = livermet_stats::roc::auc(&post, &y).unwrap();
        let b = &results["cohorts"][cohort]["bayes_limit"];
        let reported = b["bayes_limit_clinical_latent"]["auc"].as_f64().unwrap();
        assert!(
            (limit - reported).abs() < 1e-12,
            "{cohort}: {limit} vs {reported}"
        );
        for m in ["CF", "MRI", "Combined"] {
            let auc = results["cohorts"][cohort]["models"][m]["auc"]
                .as_f64()
                .unwrap();
            let gap = b["gap_to_bayes_limit"][m].as_f64().unwrap();
            assert!((gap - (limit - auc)).abs() < 1e-12, "{cohort} {m}");
        }
    }
    assert!(text.contains("limit"), "{text}");
    // `train --study --unit` re-runs a unit of the study and writes its scores bit for bit.
    for unit in ["fold0-mri", "fold1-combined"] {
        let rerun = format!("rerun-{unit}");
        let o = run_in(
            d,
            &["train", "--study", "out", "--unit", unit, "--out", &rerun],
        );
        assert!(o.status.success(), "{}", stderr(&o));
        assert!(stdout(&o).contains(unit), "{}", stdout(&o));
        let again = json(&d.join(&rerun).join("scores.json"));
        let study = json(&out.join("work").join(unit).join("scores.json"));
        assert_eq!(again["scores"], study["scores"], "{unit}");
        assert_eq!(again["train_patients"], study["train_patients"], "{unit}");
        assert_eq!(again["standardisation"], study["standardisation"], "{unit}");
    }
    let o = run_in(
        d,
        &[
            "train",
            "--study",
            "out",
            "--unit",
            "fold9-mri",
            "--out",
            "x",
        ],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("out of range"), "{}", stderr(&o));

    // The page in a real browser: no errors, every figure decoded.
    let check = livermet_report::check_in_browser(&out.join("report.html")).unwrap();
    assert!(check.errors.is_empty(), "{:?}", check.errors);
    assert_eq!(check.figures_total, 8);
    assert_eq!(check.figures_loaded, 8);

    // predict on an external patient reproduces the study's external scores.
    let ext = std::fs::read_to_string(d.join("cohort/external.csv")).unwrap();
    let mut lines = ext.lines();
    let header = lines.next().unwrap();
    let first = lines.next().unwrap();
    let id = first.split(',').next().unwrap().to_string();
    let row: Vec<&str> = first.split(',').collect();
    let mut row: Vec<String> = row.iter().map(|s| s.to_string()).collect();
    row[2] = String::new(); // no label for a new patient
    std::fs::write(
        d.join("cohort/row.csv"),
        format!("{header}\n{}\n", row.join(",")),
    )
    .unwrap();
    let o = run_in(
        d,
        &[
            "predict",
            "--bundle",
            "out/model",
            "--patient",
            "cohort/row.csv",
            "--json",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    logs("predict", &o);
    assert!(assert_no_phi_under(&d.join("cohort/row.prepared")) > 0);
    let p: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(p["patient_id"], id.as_str());
    let (h, rows) = csv_rows(&out.join("scores_external.csv"));
    let r = rows.iter().find(|r| r[0] == id).unwrap();
    for pred in p["predictions"].as_array().unwrap() {
        let m = pred["model"].as_str().unwrap();
        let study: f64 = r[col(&h, m)].parse().unwrap();
        let got = pred["probability"].as_f64().unwrap();
        assert!(
            (got - study).abs() < 1e-6,
            "{m}: predict {got} vs study {study}"
        );
        let t = pred["threshold"].as_f64().unwrap();
        assert_eq!(pred["risk_group"], if got >= t { "high" } else { "low" });
    }
    let o = run_in(
        d,
        &[
            "predict",
            "--bundle",
            "out/model",
            "--patient",
            "cohort/row.csv",
        ],
    );
    assert!(stdout(&o).contains("risk"), "{}", stdout(&o));

    // predict --cohort on the whole external cohort (each model loaded once, batches across
    // patients) reproduces every external score of the study, in the CSV's order.
    let o = run_in(
        d,
        &[
            "predict",
            "--bundle",
            "out/model",
            "--cohort",
            "cohort/external.csv",
            "--json",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let all: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let all = all.as_array().unwrap();
    let ids: Vec<&str> = ext
        .lines()
        .skip(1)
        .map(|l| l.split(',').next().unwrap())
        .collect();
    assert_eq!(all.len(), ids.len());
    for (p, id) in all.iter().zip(&ids) {
        assert_eq!(p["patient_id"], *id);
        let r = rows.iter().find(|r| r[0] == *id).unwrap();
        for pred in p["predictions"].as_array().unwrap() {
            let m = pred["model"].as_str().unwrap();
            let study: f64 = r[col(&h, m)].parse().unwrap();
            let got = pred["probability"].as_f64().unwrap();
            assert!((got - study).abs() < 1e-6, "{id} {m}: {got} vs {study}");
        }
    }
    assert!(stderr(&o).contains("patients/s"), "{}", stderr(&o));

    // --explain: saliency maps on the T2 grid, an efficient attribution, the patient's page.
    let o = run_in(
        d,
        &[
            "predict",
            "--bundle",
            "out/model",
            "--patient",
            "cohort/row.csv",
            "--json",
            "--explain",
            "explained",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let with_explain: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(with_explain["predictions"], p["predictions"]);
    let ex = d.join("explained");
    let t2_cell = row[col(
        &header.split(',').map(String::from).collect::<Vec<_>>(),
        "t2",
    )]
    .clone();
    let t2 = livermet_io::read_volume(&d.join("cohort").join(&t2_cell)).unwrap();
    for m in ["mri", "combined"] {
        for kind in ["saliency", "occlusion"] {
            let map = livermet_io::read_volume(&ex.join(format!("{kind}_{m}.nii.gz"))).unwrap();
            assert_eq!(map.dims, t2.dims, "{kind}_{m}");
            assert_eq!(map.frames, 1);
            for (a, b) in map.affine.iter().flatten().zip(t2.affine.iter().flatten()) {
                assert!(
                    (a - b).abs() < 1e-4,
                    "{kind}_{m} affine {:?} vs {:?}",
                    map.affine,
                    t2.affine
                );
            }
            let nonzero = map.data.iter().filter(|v| **v != 0.0).count();
            assert!(
                nonzero > 0 && nonzero < map.data.len(),
                "{kind}_{m}: zero outside the patches"
            );
        }
    }
    let a = json(&ex.join("attribution.json"));
    let f = |k: &str| a[k].as_f64().unwrap_or_else(|| panic!("{k} in {a}"));
    assert!(
        (f("clinical") + f("imaging") - (f("logit") - f("baseline_logit"))).abs() < 1e-5,
        "{a}"
    );
    assert_eq!(a["features"].as_object().unwrap().len(), 5, "{a}");
    // The model-randomisation check of each network: a rank correlation, or null (constant map).
    let rho = a["saliency_randomisation_rank_correlation"]
        .as_object()
        .unwrap();
    assert_eq!(rho.len(), 2, "{a}");
    for (m, r) in rho {
        assert!(
            r.is_null() || r.as_f64().is_some_and(|r| (-1.0..=1.0).contains(&r)),
            "{m}: {r}"
        );
    }
    for pred in p["predictions"].as_array().unwrap() {
        let m = pred["model"].as_str().unwrap();
        assert_eq!(a["probabilities"][m], pred["probability"], "{m}");
    }
    let check = livermet_report::check_in_browser(&ex.join("patient.html")).unwrap();
    assert!(check.errors.is_empty(), "{:?}", check.errors);
    assert_eq!(
        check.figures_total, 5,
        "channels, attribution, ROC, calibration, DCA"
    );
    assert_eq!(check.figures_loaded, 5);
    let html = std::fs::read_to_string(ex.join("patient.html")).unwrap();
    assert!(html.contains("Research use") && html.contains("default-src 'none'"));
    // A folder holding someone else's file is never replaced.
    std::fs::write(ex.join("notes.txt"), "mine").unwrap();
    let o = run_in(
        d,
        &[
            "predict",
            "--bundle",
            "out/model",
            "--patient",
            "cohort/row.csv",
            "--explain",
            "explained",
        ],
    );
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("notes.txt") && stderr(&o).lines().count() == 1,
        "{}",
        stderr(&o)
    );
    assert_eq!(
        std::fs::read_to_string(ex.join("notes.txt")).unwrap(),
        "mine"
    );

    // Bad bundle and bad patient row: one line each.
    let old = d.join("old-model");
    copy_dir(&out.join("model"), &old);
    let card = std::fs::read_to_string(old.join("card.json")).unwrap();
    std::fs::write(
        old.join("card.json"),
        card.replace("\"format\": 2", "\"format\": 0"),
    )
    .unwrap();
    let o = run_in(
        d,
        &[
            "predict",
            "--bundle",
            "old-model",
            "--patient",
            "cohort/row.csv",
        ],
    );
    let e = stderr(&o);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        e.contains("bundle format 0") && e.lines().count() == 1,
        "{e}"
    );
    row[4] = String::new(); // age
    std::fs::write(
        d.join("cohort/row2.csv"),
        format!("{header}\n{}\n", row.join(",")),
    )
    .unwrap();
    let o = run_in(
        d,
        &[
            "predict",
            "--bundle",
            "out/model",
            "--patient",
            "cohort/row2.csv",
        ],
    );
    let e = stderr(&o);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        e.contains(&id) && e.contains("age") && e.lines().count() == 1,
        "{e}"
    );

    // A study killed after its first unit resumes to the same numbers.
    let child = livermet()
        .current_dir(d)
        .args(["study", "study.toml", "--out", "out2"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut child = child;
    let marker = d.join("out2/work/fold0-mri/scores.json");
    let start = Instant::now();
    while !marker.exists() && start.elapsed() < Duration::from_secs(300) {
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(marker.exists());
    assert!(
        !d.join("out2/results.json").exists(),
        "the study finished before it was killed"
    );
    let o = run_in(d, &["study", "study.toml", "--out", "out2"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let again = json(&d.join("out2/results.json"));
    assert_eq!(again["cohorts"], results["cohorts"]);
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        if e.path().is_dir() {
            copy_dir(&e.path(), &to.join(e.file_name()));
        } else {
            std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
        }
    }
}

#[test]
fn bad_study_settings_and_cohorts_are_one_line_each() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::create_dir_all(d.join("cohort")).unwrap();
    let header = "patient_id,centre,slm,sex,age,tumor_distance_cm,cea_ng_ml,ca199_u_ml,t2,t1,t1ce,dwi,adc,roi";
    std::fs::write(d.join("cohort/primary.csv"), format!("{header}\n")).unwrap();
    let without_cea = header.replace(",cea_ng_ml", "");
    std::fs::write(d.join("cohort/external.csv"), format!("{without_cea}\n")).unwrap();
    let cases = [
        (
            "primary = \"cohort/primary.csv\"\nepochs = 3\n",
            "unknown field `epochs`",
        ),
        ("primary = \"cohort/nothere.csv\"\n", "does not exist"),
        (
            "primary = \"cohort/primary.csv\"\nexternal = \"cohort/external.csv\"\n",
            "other columns",
        ),
    ];
    for (i, (toml, want)) in cases.iter().enumerate() {
        let p = d.join(format!("s{i}.toml"));
        std::fs::write(&p, toml).unwrap();
        let o = run_in(d, &["study", p.to_str().unwrap(), "--out", "out"]);
        let e = stderr(&o);
        assert_eq!(o.status.code(), Some(2), "{e}");
        assert!(
            e.contains(want) && e.trim().lines().count() == 1,
            "{want}: {e}"
        );
    }
}
