//! Geometry and voxels that lie (fixtures/io/bad, made by fixtures/io/make_bad_geometry.py with
//! nibabel and pydicom, whose readings are in fixtures/io/bad/expected.json): each is read as
//! nibabel reads it where nibabel recovers (with a warning), and is otherwise a one-line error
//! naming the file and the header field or attribute.

use std::path::PathBuf;

use livermet_io::{IoError, check_finite, image_info, read_volume, read_volume_with_warnings};
use serde_json::Value;

fn bad() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/io/bad")
}

fn expected() -> Value {
    serde_json::from_str(&std::fs::read_to_string(bad().join("expected.json")).unwrap()).unwrap()
}

fn one_line_naming(err: &IoError, name: &str, words: &[&str]) {
    let msg = err.to_string();
    assert!(!msg.contains('\n'), "{msg}");
    assert!(msg.contains(name), "does not name {name}: {msg}");
    for w in words {
        assert!(msg.contains(w), "does not say {w:?}: {msg}");
    }
}

/// A qform-only NIfTI with pixdim[1] = -0.7: nibabel's loader sets it to 0.7 (no flip of x);
/// so does livermet, to 1e-6 of nibabel's affine, and it says so.
#[test]
fn negative_qform_pixdim_is_read_as_nibabel_reads_it_with_a_warning() {
    let name = "qform_negative_pixdim.nii";
    let e = &expected()["nifti"][name];
    assert_eq!(e["nibabel_fix"], "setting to abs of pixdim values");
    let (vol, warnings) = read_volume_with_warnings(&bad().join(name)).unwrap();
    for r in 0..4 {
        for c in 0..4 {
            let want = e["nibabel_affine"][r][c].as_f64().unwrap();
            assert!(
                (vol.affine[r][c] - want).abs() < 1e-6,
                "affine[{r}][{c}]: {} vs nibabel {want}",
                vol.affine[r][c]
            );
        }
    }
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(
        warnings[0].contains(name)
            && warnings[0].contains("pixdim[1]")
            && warnings[0].contains("nibabel"),
        "{}",
        warnings[0]
    );
    let info = image_info(&bad().join(name)).unwrap();
    assert_eq!(info.warnings, warnings);
}

/// Zero and NaN voxel sizes (nibabel guesses 1 mm for zero and keeps NaN) and a singular sform
/// are refused, naming the field.
#[test]
fn zero_nan_pixdim_and_singular_sform_are_refused() {
    let e = expected();
    assert_eq!(
        e["nifti"]["qform_zero_pixdim.nii"]["nibabel_fix"],
        "setting 0 dims to 1"
    );
    assert!(e["nifti"]["qform_nan_pixdim.nii"]["nibabel_affine"][0][2].is_null());
    for (name, words) in [
        ("qform_zero_pixdim.nii", ["pixdim[2] is 0", "positive"]),
        ("qform_nan_pixdim.nii", ["pixdim[3] is NaN", "voxel size"]),
        ("sform_singular.nii", ["sform", "zero length"]),
    ] {
        let err = read_volume(&bad().join(name)).unwrap_err();
        assert!(matches!(err, IoError::Geometry { .. }), "{err}");
        one_line_naming(&err, name, &words);
    }
}

/// NaN and infinite voxels: `image info` counts them (as numpy does) and gives the finite range;
/// `check_finite` refuses the image with the count.
#[test]
fn non_finite_voxels_are_counted_and_refused() {
    let name = "nonfinite_voxels.nii";
    let e = &expected()["nifti"][name];
    let path = bad().join(name);
    let info = image_info(&path).unwrap();
    assert_eq!(info.non_finite as u64, e["non_finite"].as_u64().unwrap());
    for (ours, key) in [
        (info.min, "finite_min"),
        (info.max, "finite_max"),
        (info.mean, "finite_mean"),
    ] {
        let want = e[key].as_f64().unwrap();
        assert!((ours - want).abs() < 1e-6, "{key}: {ours} vs numpy {want}");
    }
    assert!(
        info.warnings
            .iter()
            .any(|w| w.contains("4 of 60 voxels are NaN or infinite")),
        "{:?}",
        info.warnings
    );
    let vol = read_volume(&path).unwrap();
    let err = check_finite(&vol, &path).unwrap_err();
    assert!(
        matches!(
            err,
            IoError::NonFinite {
                count: 4,
                voxels: 60,
                ..
            }
        ),
        "{err}"
    );
    one_line_naming(&err, name, &["4 of 60"]);
}

/// PixelSpacing 0\0 (pydicom reads [0, 0]) names the file and the attribute.
#[test]
fn zero_pixel_spacing_names_the_file() {
    let e = &expected()["dicom"]["dicom_spacing_zero"];
    assert_eq!(e["pixel_spacing"], serde_json::json!([0.0, 0.0]));
    let err = read_volume(&bad().join("dicom_spacing_zero")).unwrap_err();
    assert!(matches!(err, IoError::Geometry { .. }), "{err}");
    one_line_naming(&err, "IM_000", &["PixelSpacing (0028,0030) is 0\\0"]);
}

/// A file copied under a second name: pydicom sees 4 files, 3 SOPInstanceUIDs and 3 positions;
/// the error names both files, not "missing files?".
#[test]
fn duplicated_slice_names_both_files() {
    let e = &expected()["dicom"]["dicom_duplicate_slice"];
    assert_eq!(
        (
            e["files"].as_u64(),
            e["distinct_sop_instance_uids"].as_u64()
        ),
        (Some(4), Some(3))
    );
    let err = read_volume(&bad().join("dicom_duplicate_slice")).unwrap_err();
    assert!(matches!(err, IoError::DuplicateSlice { .. }), "{err}");
    one_line_naming(
        &err,
        "IM_0001.dcm",
        &["IM_0001_copy.dcm", "same slice", "SOPInstanceUID"],
    );
    assert!(!err.to_string().contains("missing"), "{err}");
    assert!(!err.to_string().contains("1.2."), "a UID leaked: {err}");
}
