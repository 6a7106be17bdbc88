//! `livermet train` and `livermet bench train` on a tiny prepared cohort this test writes
//! itself (per patient `channels.nii.gz` + `manifest.json`, a cohort CSV, a fold file).

use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use livermet_image::{PatchManifest, SliceEntry};
use livermet_io::{IDENTITY, Volume, write_nifti};

use crate::common::{livermet, stderr, stdout};

const N: usize = 8;

/// 8 patients (4 SLM), 48x48x3 volumes, 2 tumour slices each; SLM patients' tumours are
/// bright in channel 0. Two folds.
fn prepared(dir: &Path) {
    let mut csv = String::from(
        "patient_id,centre,slm,sex,age,tumor_distance_cm,cea_ng_ml,ca199_u_ml,t2,t1,t1ce,dwi,adc,roi\n",
    );
    let mut folds = serde_json::Map::new();
    for p in 0..N {
        let id = format!("P{p:02}");
        let slm = p % 2;
        csv.push_str(&format!(
            "{id},A,{slm},M,{},{}.5,{},20,,,,,,\n",
            50 + p,
            3 + p,
            2 + 3 * slm
        ));
        folds.insert(id.clone(), serde_json::json!(p % 4 / 2));
        let (nx, ny, nz) = (48, 48, 3);
        let mut data = vec![0.0f32; nx * ny * nz * 5];
        for (v, x) in data.iter_mut().enumerate() {
            *x = (((v * 2654435761 + p * 97) % 1000) as f32 / 1000.0) - 0.5;
        }
        if slm == 1 {
            for k in 0..nz {
                for j in 18..30 {
                    for i in 18..30 {
                        data[i + nx * (j + ny * k)] += 2.0;
                    }
                }
            }
        }
        let folder = dir.join("prepared").join(&id);
        std::fs::create_dir_all(&folder).unwrap();
        write_nifti(
            &Volume::new([nx, ny, nz], 5, IDENTITY, data),
            &folder.join("channels.nii.gz"),
        )
        .unwrap();
        let manifest = PatchManifest {
            patient_id: id.clone(),
            channels: livermet_image::CHANNELS
                .iter()
                .map(|c| c.to_string())
                .collect(),
            patch_size: 32,
            slices: (1..3)
                .map(|k| SliceEntry {
                    k,
                    centre: [24.0, 23.5],
                    tumour_voxels: 144,
                })
                .collect(),
        };
        std::fs::write(
            folder.join("manifest.json"),
            serde_json::to_string(&manifest).unwrap(),
        )
        .unwrap();
    }
    std::fs::write(dir.join("prepared/cohort.csv"), csv).unwrap();
    let f = serde_json::json!({ "k": 2, "seed": 1, "folds": folds });
    std::fs::write(dir.join("folds.json"), f.to_string()).unwrap();
}

fn train_args(dir: &Path, out: &str, epochs: &str) -> Vec<String> {
    let d = |p: &str| dir.join(p).to_string_lossy().into_owned();
    let mut v: Vec<String> = Vec::new();
    for a in ["train", "--data"] {
        v.push(a.into());
    }
    v.push(d("prepared"));
    v.push("--folds".into());
    v.push(d("folds.json"));
    for a in ["--fold", "0", "--model", "combined", "--out"] {
        v.push(a.into());
    }
    v.push(d(out));
    v.push("--epochs".into());
    v.push(epochs.into());
    for a in ["--widths", "4,8,8", "--patch-size", "32", "--copies", "2"] {
        v.push(a.into());
    }
    v
}

fn epochs_done(out: &Path) -> usize {
    std::fs::read_to_string(out.join("checkpoint/state.json"))
        .ok()
        .and_then(|s| serde_json::from_str::<serde_json::Value>(&s).ok())
        .and_then(|v| v["epochs_done"].as_u64())
        .unwrap_or(0) as usize
}

#[test]
fn train_killed_with_sigkill_and_resumed_matches_an_uninterrupted_run() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    prepared(dir);
    let epochs = "25";

    let straight = livermet()
        .args(train_args(dir, "straight", epochs))
        .output()
        .unwrap();
    assert!(straight.status.success(), "{}", stderr(&straight));
    assert!(
        stdout(&straight).contains("fold 0 AUC"),
        "{}",
        stdout(&straight)
    );
    let log_straight = std::fs::read_to_string(dir.join("straight/log.jsonl")).unwrap();
    assert_eq!(log_straight.lines().count(), 25);
    let first: serde_json::Value =
        serde_json::from_str(log_straight.lines().next().unwrap()).unwrap();
    assert!(
        first["val_auc"].as_f64().is_some() && first["lr"].as_f64() == Some(1e-3),
        "{first}"
    );
    for f in ["model/model.bpk", "model/net.json", "scores.json"] {
        assert!(dir.join("straight").join(f).exists(), "{f}");
    }
    let scores = std::fs::read_to_string(dir.join("straight/scores.json")).unwrap();
    let record: serde_json::Value = serde_json::from_str(&scores).unwrap();
    assert_eq!(
        record["scores"][0]["scores"].as_array().unwrap().len(),
        N / 2,
        "{scores}"
    );
    assert_eq!(
        record["standardisation"]["mean"].as_array().unwrap().len(),
        5
    );

    // Same run, SIGKILLed (Child::kill sends SIGKILL on Unix) once a checkpoint exists.
    let out = dir.join("killed");
    let mut child = livermet()
        .args(train_args(dir, "killed", epochs))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let t0 = Instant::now();
    while epochs_done(&out) < 2 && t0.elapsed() < Duration::from_secs(120) {
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let at_kill = epochs_done(&out);
    assert!((2..25).contains(&at_kill), "killed after {at_kill} epochs");

    // Without --resume the folder is refused; with it the run finishes.
    let refused = livermet()
        .args(train_args(dir, "killed", epochs))
        .output()
        .unwrap();
    assert_eq!(refused.status.code(), Some(2));
    assert!(
        stderr(&refused).contains("--resume"),
        "{}",
        stderr(&refused)
    );
    let mut args = train_args(dir, "killed", epochs);
    args.push("--resume".into());
    let resumed = livermet().args(&args).output().unwrap();
    assert!(resumed.status.success(), "{}", stderr(&resumed));
    let log_resumed = std::fs::read_to_string(out.join("log.jsonl")).unwrap();
    assert_eq!(log_resumed, log_straight);
    assert_eq!(
        std::fs::read_to_string(out.join("scores.json")).unwrap(),
        scores,
        "held-out scores differ after kill and resume"
    );
}

#[test]
fn train_refuses_bad_input_with_one_line() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    prepared(dir);
    // Prepared with 32-pixel patches, asked for 112.
    let mut args = train_args(dir, "o1", "1");
    let i = args.iter().position(|a| a == "32").unwrap();
    args[i] = "112".into();
    let o = livermet().args(&args).output().unwrap();
    assert_eq!(o.status.code(), Some(2));
    let e = stderr(&o);
    assert!(
        e.contains("32-pixel patches") && e.contains("re-run `livermet prepare`"),
        "{e}"
    );
    assert_eq!(e.trim().lines().count(), 1, "{e}");
    // A checkpoint from other settings.
    let o = livermet()
        .args(train_args(dir, "o3", "1"))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let mut args = train_args(dir, "o3", "1");
    let i = args.iter().position(|a| a == "4,8,8").unwrap();
    args[i] = "4,8,16".into();
    args.push("--resume".into());
    let o = livermet().args(&args).output().unwrap();
    assert_eq!(o.status.code(), Some(2));
    let e = stderr(&o);
    assert!(
        e.contains("different configuration") && e.contains("widths"),
        "{e}"
    );
    // A patient with zero tumour slices.
    let m = dir.join("prepared/P03/manifest.json");
    let mut v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&m).unwrap()).unwrap();
    v["slices"] = serde_json::json!([]);
    std::fs::write(&m, v.to_string()).unwrap();
    let o = livermet()
        .args(train_args(dir, "o2", "1"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("P03") && stderr(&o).contains("zero patches"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn bench_train_prints_the_json_keys() {
    let o = livermet()
        .args([
            "bench",
            "train",
            "--json",
            "--widths",
            "4,8,8",
            "--batch",
            "4",
            "--patch-size",
            "32",
        ])
        .args(["--train-steps", "1", "--infer-steps", "1"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["backend"], "flex");
    for k in ["train_patches_per_s", "infer_patches_per_s", "peak_rss_mb"] {
        assert!(v[k].as_f64().is_some_and(|x| x > 0.0), "{k}: {v}");
    }
}
