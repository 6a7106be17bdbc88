//! `livermet image adc` and `livermet image resample`: the real binary on small DWI series it
//! writes itself and on the real MRI fixture of fixtures/image (scipy's reference outputs).

use std::path::{Path, PathBuf};
use std::process::Output;

use livermet_io::{IDENTITY, Volume, read_volume, write_bvals, write_nifti};

use crate::common::{livermet, stderr, stdout};

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures/image")
        .join(name)
}

/// A 4D DWI (3x2x2) with S0 = 1000 + 10 v and ADC = (0.5 + 0.1 v) 1e-3 at voxel v.
fn write_dwi(dir: &Path, bvals: &[f64], with_bval_file: bool) -> PathBuf {
    let n = 12;
    let mut data = Vec::new();
    for &b in bvals {
        for v in 0..n {
            let (s0, adc) = (1000.0 + 10.0 * v as f64, (0.5 + 0.1 * v as f64) * 1e-3);
            data.push((s0 * (-b * adc).exp()) as f32);
        }
    }
    let vol = Volume::new([3, 2, 2], bvals.len(), IDENTITY, data);
    let path = dir.join("dwi.nii.gz");
    write_nifti(&vol, &path).unwrap();
    if with_bval_file {
        write_bvals(&dir.join("dwi.bval"), bvals).unwrap();
    }
    path
}

/// Exit code 2 and exactly one line on stderr that contains every `needle`.
fn assert_one_line_error(o: &Output, needles: &[&str]) {
    assert_eq!(
        o.status.code(),
        Some(2),
        "stdout: {} stderr: {}",
        stdout(o),
        stderr(o)
    );
    let err = stderr(o);
    assert_eq!(err.trim_end().lines().count(), 1, "not one line: {err}");
    for n in needles {
        assert!(err.contains(n), "{n:?} missing from: {err}");
    }
    assert!(!err.contains("panicked"));
}

#[test]
fn image_adc_fits_the_known_adc_from_the_bval_beside_the_dwi() {
    let dir = tempfile::tempdir().unwrap();
    let dwi = write_dwi(dir.path(), &[0.0, 500.0, 510.0, 1000.0], true);
    let out = dir.path().join("adc.nii.gz");
    let o = livermet()
        .args(["image", "adc", "--dwi"])
        .arg(&dwi)
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stdout(&o).contains("b=0 (x1), b=505 (x2), b=1000 (x1)"),
        "{}",
        stdout(&o)
    );
    let adc = read_volume(&out).unwrap();
    assert_eq!((adc.dims, adc.frames), ([3, 2, 2], 1));
    for (v, &a) in adc.data.iter().enumerate() {
        let truth = (0.5 + 0.1 * v as f64) * 1e-3;
        assert!(
            ((a as f64) - truth).abs() < 1e-6 * truth,
            "voxel {v}: {a} vs {truth}"
        );
    }
    // --bvals and --geometric are accepted; noiseless data give the same map.
    let bval = dir.path().join("other.bval");
    write_bvals(&bval, &[0.0, 500.0, 510.0, 1000.0]).unwrap();
    let out2 = dir.path().join("adc2.nii");
    let o = livermet()
        .args(["image", "adc", "--geometric", "--dwi"])
        .arg(&dwi)
        .arg("--bvals")
        .arg(&bval)
        .arg("--out")
        .arg(&out2)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let adc2 = read_volume(&out2).unwrap();
    for (a, b) in adc.data.iter().zip(&adc2.data) {
        assert!((a - b).abs() < 1e-9, "{a} {b}");
    }
}

#[test]
fn image_adc_without_b_values_is_one_line_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let dwi = write_dwi(dir.path(), &[0.0, 1000.0], false);
    let out = dir.path().join("adc.nii.gz");
    let o = livermet()
        .args(["image", "adc", "--dwi"])
        .arg(&dwi)
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    assert_one_line_error(&o, &["dwi.nii.gz", "no b-values"]);
    assert!(!out.exists());
}

#[test]
fn image_adc_with_a_single_b_value_is_one_line_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let dwi = write_dwi(dir.path(), &[800.0, 800.0, 810.0], true);
    let out = dir.path().join("adc.nii.gz");
    let o = livermet()
        .args(["image", "adc", "--dwi"])
        .arg(&dwi)
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    assert_one_line_error(&o, &["at least two b-values", "dwi.nii.gz"]);
    assert!(!out.exists());
}

#[test]
fn image_adc_with_mismatched_counts_is_one_line_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let dwi = write_dwi(dir.path(), &[0.0, 500.0, 1000.0], true);
    let bval = dir.path().join("two.bval");
    write_bvals(&bval, &[0.0, 1000.0]).unwrap();
    let out = dir.path().join("adc.nii.gz");
    let o = livermet()
        .args(["image", "adc", "--dwi"])
        .arg(&dwi)
        .arg("--bvals")
        .arg(&bval)
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    assert_one_line_error(&o, &["2 b-values for 3 volumes"]);
    assert!(!out.exists());
}

#[test]
fn image_resample_matches_scipy_on_the_real_mri_fixture() {
    let dir = tempfile::tempdir().unwrap();
    let expected = read_volume(&fixture("expected_bspline.nii.gz")).unwrap();
    let input = read_volume(&fixture("anatomical.nii.gz")).unwrap();
    let (lo, hi, _) = input.min_max_mean();
    for (interp, src, reference) in [
        ("bspline", "anatomical.nii.gz", "expected_bspline.nii.gz"),
        ("nearest", "mask.nii.gz", "expected_nearest.nii.gz"),
    ] {
        let out = dir.path().join(format!("{interp}.nii.gz"));
        let o = livermet()
            .args(["image", "resample", "--input"])
            .arg(fixture(src))
            .arg("--reference")
            .arg(fixture(reference))
            .arg("--transform")
            .arg(fixture("transform.json"))
            .args(["--interp", interp, "--out"])
            .arg(&out)
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", stderr(&o));
        let got = read_volume(&out).unwrap();
        let want = read_volume(&fixture(reference)).unwrap();
        assert!(got.same_grid(&expected, 1e-4));
        let worst = got
            .data
            .iter()
            .zip(&want.data)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0f32, f32::max);
        assert!(worst < 1e-3 * (hi - lo), "{interp}: max diff {worst}");
    }
}

#[test]
fn image_resample_bad_transform_or_no_overlap_is_one_line_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, r#"{"matrix": [[1, 0, 0], [0, 1, 0]]}"#).unwrap();
    let far = dir.path().join("far.json");
    std::fs::write(
        &far,
        r#"{"matrix": [[1,0,0,5000],[0,1,0,0],[0,0,1,0],[0,0,0,1]]}"#,
    )
    .unwrap();
    let out = dir.path().join("out.nii.gz");
    for (t, needle) in [(&bad, "bad.json"), (&far, "does not overlap")] {
        let o = livermet()
            .args(["image", "resample", "--input"])
            .arg(fixture("anatomical.nii.gz"))
            .arg("--reference")
            .arg(fixture("expected_bspline.nii.gz"))
            .arg("--transform")
            .arg(t)
            .arg("--out")
            .arg(&out)
            .output()
            .unwrap();
        assert_one_line_error(&o, &[needle]);
        assert!(!out.exists());
    }
}

#[test]
fn image_adc_and_resample_help_show_an_example() {
    for cmd in ["adc", "resample"] {
        let o = livermet().args(["image", cmd, "--help"]).output().unwrap();
        assert!(o.status.success());
        assert!(
            stdout(&o).contains(&format!("Example: livermet image {cmd}")),
            "{}",
            stdout(&o)
        );
    }
}
