//! `livermet image info`: human and JSON output for NIfTI and DICOM, b-values of a DWI, and one
//! line + exit 2 for bad files.

use std::path::PathBuf;

use crate::common::{livermet, stderr, stdout};

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/io")
}

/// A 4D NIfTI with a .bval beside it.
fn dwi_nifti(dir: &std::path::Path) -> PathBuf {
    let affine = [
        [1.5, 0.0, 0.0, -10.0],
        [0.0, 1.5, 0.0, -20.0],
        [0.0, 0.0, 5.0, 3.0],
        [0.0, 0.0, 0.0, 1.0],
    ];
    let data: Vec<f32> = (0..4 * 3 * 2 * 3).map(|n| n as f32).collect();
    let vol = livermet_io::Volume::new([4, 3, 2], 3, affine, data);
    let p = dir.join("dwi.nii.gz");
    livermet_io::write_nifti(&vol, &p).unwrap();
    livermet_io::write_bvals(&dir.join("dwi.bval"), &[0.0, 500.0, 1000.0]).unwrap();
    p
}

#[test]
fn image_info_json_has_one_object_per_file() {
    let dir = tempfile::tempdir().unwrap();
    let dwi = dwi_nifti(dir.path());
    let out = livermet()
        .arg("image")
        .arg("info")
        .arg(fixtures().join("nifti/anatomical.nii"))
        .arg(fixtures().join("dicom/CT5N"))
        .arg(&dwi)
        .arg("--json")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let arr = v.as_array().unwrap();
    assert_eq!(arr.len(), 3);
    for o in arr {
        for key in [
            "path",
            "dims",
            "voxel_size",
            "affine",
            "orientation",
            "min",
            "max",
            "mean",
            "bvals",
        ] {
            assert!(o.get(key).is_some(), "missing {key} in {o}");
        }
        assert_eq!(o["affine"].as_array().unwrap().len(), 4);
    }
    assert_eq!(arr[0]["dims"], serde_json::json!([33, 41, 25]));
    assert!(arr[0]["bvals"].is_null());
    assert_eq!(arr[1]["dims"], serde_json::json!([16, 16, 5]));
    assert_eq!(arr[1]["format"], "dicom");
    assert_eq!(arr[1]["min"], -888.0);
    assert_eq!(arr[2]["dims"], serde_json::json!([4, 3, 2, 3]));
    assert_eq!(arr[2]["bvals"], serde_json::json!([0.0, 500.0, 1000.0]));
    assert_eq!(arr[2]["orientation"], "RAS");
    assert_eq!(arr[2]["max"], 71.0);
}

#[test]
fn image_info_text_shows_geometry_range_and_bvalues() {
    let dir = tempfile::tempdir().unwrap();
    let dwi = dwi_nifti(dir.path());
    let out = livermet()
        .arg("image")
        .arg("info")
        .arg(&dwi)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let s = stdout(&out);
    assert!(s.contains("dims:        4 x 3 x 2 x 3"), "{s}");
    assert!(
        s.contains("voxel size:  1.5000 x 1.5000 x 5.0000 mm"),
        "{s}"
    );
    assert!(s.contains("orientation: RAS"), "{s}");
    assert!(s.contains("min 0 max 71"), "{s}");
    assert!(s.contains("b-values:    0, 500, 1000"), "{s}");
}

#[test]
fn image_info_bad_files_give_one_line_and_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let truncated = dir.path().join("cut.nii");
    let good = std::fs::read(fixtures().join("nifti/anatomical.nii")).unwrap();
    std::fs::write(&truncated, &good[..good.len() / 2]).unwrap();
    let cases = [
        (dir.path().join("missing.nii.gz"), "no such file"),
        (truncated, "truncated NIfTI"),
        (fixtures().join("dicom/MR2_three_series"), "3 DICOM series"),
        (
            fixtures().join("dicom/MR_truncated"),
            "corrupt or unreadable DICOM",
        ),
    ];
    for (path, what) in cases {
        let out = livermet()
            .arg("image")
            .arg("info")
            .arg(&path)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{}", path.display());
        let err = stderr(&out);
        assert_eq!(err.trim_end().lines().count(), 1, "not one line: {err}");
        assert!(
            err.contains(what) && err.contains(&path.display().to_string()),
            "{err}"
        );
        assert!(stdout(&out).is_empty());
    }
}
