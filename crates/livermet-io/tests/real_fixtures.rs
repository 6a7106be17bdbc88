//! Real files from nibabel's and pydicom's test data (fixtures/io) read with the values those
//! libraries report (fixtures/io/expected.json, written by fixtures/io/make_expected.py).

use std::path::PathBuf;

use livermet_io::{Volume, image_info, orientation_code, read_volume};
use serde_json::Value;

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/io")
}

fn expected() -> Value {
    let text = std::fs::read_to_string(fixtures().join("expected.json"))
        .expect("fixtures/io/expected.json");
    serde_json::from_str(&text).unwrap()
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-4 * b.abs().max(1.0)
}

fn num(v: &Value) -> f64 {
    v.as_f64().unwrap()
}

/// dims, affine (1e-4 mm), min/max/mean and the picked voxels of `vol` against one entry.
fn check(name: &str, vol: &Volume, e: &Value) {
    let dims: Vec<usize> = e["dims"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d.as_u64().unwrap() as usize)
        .collect();
    let mut ours = vol.dims.to_vec();
    if vol.frames > 1 || dims.len() == 4 {
        ours.push(vol.frames);
    }
    assert_eq!(ours, dims, "{name}: dims");
    for r in 0..4 {
        for c in 0..4 {
            let want = num(&e["affine"][r][c]);
            assert!(
                (vol.affine[r][c] - want).abs() < 1e-4,
                "{name}: affine[{r}][{c}] {} vs {want}",
                vol.affine[r][c]
            );
        }
    }
    assert_eq!(
        orientation_code(&vol.affine),
        e["orientation"].as_str().unwrap(),
        "{name}: nibabel aff2axcodes"
    );
    let (lo, hi, mean) = vol.min_max_mean();
    assert!(
        close(lo as f64, num(&e["min"])),
        "{name}: min {lo} vs {}",
        e["min"]
    );
    assert!(
        close(hi as f64, num(&e["max"])),
        "{name}: max {hi} vs {}",
        e["max"]
    );
    assert!(
        close(mean, num(&e["mean"])),
        "{name}: mean {mean} vs {}",
        e["mean"]
    );
    for v in e["voxels"].as_array().unwrap() {
        let p: Vec<usize> = v["ijkt"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_u64().unwrap() as usize)
            .collect();
        let got = vol.data[vol.index(p[0], p[1], p[2]) + p[3] * vol.frame_len()] as f64;
        assert!(
            close(got, num(&v["value"])),
            "{name}: voxel {p:?} {got} vs {}",
            v["value"]
        );
    }
}

#[test]
fn nibabel_nifti_files_match_nibabel() {
    let e = expected();
    let entries = e["nifti"].as_object().unwrap();
    assert!(entries.len() >= 5);
    for (name, want) in entries {
        let path = fixtures().join("nifti").join(name);
        let vol = read_volume(&path).unwrap_or_else(|err| panic!("{name}: {err}"));
        check(name, &vol, want);
        assert_eq!(
            image_info(&path).unwrap().format,
            want["format"].as_str().unwrap(),
            "{name}"
        );
    }
}

#[test]
fn pydicom_series_match_pydicom_for_every_transfer_syntax() {
    let e = expected();
    let entries = e["dicom"].as_object().unwrap();
    for name in [
        "MR_small",
        "MR_small_RLE",
        "MR_small_jp2klossless",
        "MR_small_bigendian",
        "MR_small_implicit",
        "CT5N",
    ] {
        let vol = read_volume(&fixtures().join("dicom").join(name))
            .unwrap_or_else(|err| panic!("{name}: {err}"));
        check(name, &vol, &entries[name]);
    }
}

/// Lossy JPEG 2000: different decoders may round the inverse wavelet differently, so the values
/// are compared to within one stored unit; geometry exactly.
#[test]
fn pydicom_lossy_jpeg2000_ct_matches_within_one_unit() {
    let e = expected();
    let want = &e["dicom"]["693_J2KI"];
    let vol = read_volume(&fixtures().join("dicom/693_J2KI")).unwrap();
    let mut loose = want.clone();
    loose["voxels"] = Value::Array(vec![]);
    loose["min"] = Value::from(vol.min_max_mean().0 as f64);
    loose["max"] = Value::from(vol.min_max_mean().1 as f64);
    check("693_J2KI", &vol, &loose);
    assert!((vol.min_max_mean().0 as f64 - num(&want["min"])).abs() <= 1.0);
    assert!((vol.min_max_mean().1 as f64 - num(&want["max"])).abs() <= 1.0);
    for v in want["voxels"].as_array().unwrap() {
        let p: Vec<usize> = v["ijkt"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_u64().unwrap() as usize)
            .collect();
        let got = vol.get(p[0], p[1], p[2]) as f64;
        assert!(
            (got - num(&v["value"])).abs() <= 1.0,
            "voxel {p:?}: {got} vs {}",
            v["value"]
        );
    }
}
