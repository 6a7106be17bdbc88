//! `livermet image register`: the real binary on the real multi-contrast fixture pair
//! (fixtures/register: MNI152 T1 template fixed, its grey-matter map moved by a known transform).

use std::path::PathBuf;

use crate::common::{livermet, stderr, stdout};

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures/register")
        .join(name)
}

fn matrix(v: &serde_json::Value) -> [[f64; 4]; 4] {
    let mut m = [[0.0; 4]; 4];
    for r in 0..4 {
        for c in 0..4 {
            m[r][c] = v[r][c].as_f64().expect("a number");
        }
    }
    m
}

#[test]
fn image_register_recovers_the_known_transform_and_writes_image_and_transform() {
    let dir = tempfile::tempdir().unwrap();
    let (out, tr) = (
        dir.path().join("gm_on_t1.nii.gz"),
        dir.path().join("gm_to_t1.json"),
    );
    let o = livermet()
        .args(["image", "register", "--fixed"])
        .arg(fixture("fixed_t1.nii.gz"))
        .arg("--moving")
        .arg(fixture("moving_gm.nii.gz"))
        .arg("--out")
        .arg(&out)
        .arg("--transform-out")
        .arg(&tr)
        .arg("--json")
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let report: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert!(report["iterations"].as_u64().unwrap() > 0);
    assert!(report["seconds"].as_f64().unwrap() > 0.0);
    assert!(
        report["metric"].as_f64().unwrap() < 0.0,
        "Mattes value is -MI"
    );
    let printed = matrix(&report["transform"]);
    let file: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&tr).unwrap()).unwrap();
    let written = matrix(&file["matrix"]);
    for r in 0..4 {
        for c in 0..4 {
            assert!((written[r][c] - printed[r][c]).abs() < 1e-12);
        }
    }
    // The matrix is the known one: corners of a 60 mm box around the centre move < 1 mm apart.
    let truth: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(fixture("truth.json")).unwrap()).unwrap();
    let (t, c) = (matrix(&truth["matrix"]), &truth["centre_mm"]);
    for corner in 0..8 {
        let p: Vec<f64> = (0..3)
            .map(|d| c[d].as_f64().unwrap() + if corner >> d & 1 == 1 { 30.0 } else { -30.0 })
            .collect();
        let map = |m: &[[f64; 4]; 4], r: usize| {
            m[r][0] * p[0] + m[r][1] * p[1] + m[r][2] * p[2] + m[r][3]
        };
        let err: f64 = (0..3)
            .map(|r| (map(&printed, r) - map(&t, r)).powi(2))
            .sum::<f64>()
            .sqrt();
        assert!(err < 1.0, "corner {corner}: {err} mm");
    }
    let fixed = livermet_io::read_volume(&fixture("fixed_t1.nii.gz")).unwrap();
    let reg = livermet_io::read_volume(&out).unwrap();
    assert!(reg.same_grid(&fixed, 0.01), "output on the fixed grid");
    // Registered GM is bright where the T1 shows grey matter (intermediate), not in the background.
    let (_, hi, mean) = reg.min_max_mean();
    assert!(hi > 100.0 && mean > 5.0, "hi {hi} mean {mean}");
}

#[test]
fn image_register_missing_file_is_one_line_and_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.nii.gz");
    let o = livermet()
        .args([
            "image",
            "register",
            "--fixed",
            "no_such_t2.nii.gz",
            "--moving",
        ])
        .arg(fixture("moving_gm.nii.gz"))
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(err.contains("no_such_t2.nii.gz"), "{err}");
    assert!(!out.exists());
}

#[test]
fn image_register_images_that_do_not_overlap_fail_with_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let mut far = livermet_io::read_volume(&fixture("moving_gm.nii.gz")).unwrap();
    far.affine[2][3] += 500.0;
    let moved = dir.path().join("far.nii.gz");
    livermet_io::write_nifti(&far, &moved).unwrap();
    let (out, tr) = (dir.path().join("out.nii.gz"), dir.path().join("t.json"));
    let o = livermet()
        .args(["image", "register", "--init", "header", "--fixed"])
        .arg(fixture("fixed_t1.nii.gz"))
        .arg("--moving")
        .arg(&moved)
        .arg("--out")
        .arg(&out)
        .arg("--transform-out")
        .arg(&tr)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(
        err.contains("registration failed") && err.contains("do not overlap"),
        "{err}"
    );
    assert!(!out.exists() && !tr.exists(), "nothing written on failure");
}
