//! Bad input gives the right `IoError` variant (never a panic), naming the file, with nothing
//! identifying in the message.

mod common;

use std::path::{Path, PathBuf};

use common::{affine, phantom, rotation};
use livermet_io::{
    DicomSeriesOptions, IoError, read_bvals, read_dwi, read_volume, write_dicom_series, write_nifti,
};

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/io")
}

fn small_nifti(dir: &Path, name: &str) -> PathBuf {
    let a = affine(
        rotation([0.0, 0.0, 1.0], 0.0),
        [1.0, 1.0, 2.0],
        [0.0, 0.0, 0.0],
    );
    let p = dir.join(name);
    write_nifti(&phantom([8, 8, 4], 1, a), &p).unwrap();
    p
}

fn names(err: &IoError, path: &Path) {
    let msg = err.to_string();
    assert!(
        msg.contains(&path.display().to_string()),
        "message does not name {}: {msg}",
        path.display()
    );
    assert!(!msg.contains('\n'), "message is not one line: {msg}");
    assert_eq!(err.path(), path);
}

#[test]
fn truncated_nifti_is_reported_as_truncated() {
    let dir = tempfile::tempdir().unwrap();
    let p = small_nifti(dir.path(), "t.nii");
    let bytes = std::fs::read(&p).unwrap();
    std::fs::write(&p, &bytes[..bytes.len() - 100]).unwrap();
    let err = read_volume(&p).unwrap_err();
    assert!(
        matches!(err, IoError::NiftiTruncated { found, expected, .. } if found + 100 == expected),
        "{err}"
    );
    names(&err, &p);
    // A header cut short.
    std::fs::write(&p, &bytes[..200]).unwrap();
    assert!(matches!(
        read_volume(&p).unwrap_err(),
        IoError::NiftiHeader { .. }
    ));
}

#[test]
fn truncated_gzip_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let p = small_nifti(dir.path(), "t.nii.gz");
    let bytes = std::fs::read(&p).unwrap();
    std::fs::write(&p, &bytes[..bytes.len() / 2]).unwrap();
    let err = read_volume(&p).unwrap_err();
    assert!(matches!(err, IoError::Gzip { .. }), "{err}");
    names(&err, &p);
}

#[test]
fn corrupt_nifti_header_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let p = small_nifti(dir.path(), "c.nii");
    let good = std::fs::read(&p).unwrap();
    // sizeof_hdr garbage.
    let mut bytes = good.clone();
    bytes[0..4].copy_from_slice(&[0x12, 0x34, 0x56, 0x78]);
    std::fs::write(&p, &bytes).unwrap();
    assert!(matches!(
        read_volume(&p).unwrap_err(),
        IoError::NiftiHeader { .. }
    ));
    // dim[0] = 9 (more than 7 dimensions).
    let mut bytes = good.clone();
    bytes[40..42].copy_from_slice(&9i16.to_le_bytes());
    std::fs::write(&p, &bytes).unwrap();
    assert!(matches!(
        read_volume(&p).unwrap_err(),
        IoError::NiftiHeader { .. }
    ));
    // Unknown datatype code.
    let mut bytes = good.clone();
    bytes[70..72].copy_from_slice(&77i16.to_le_bytes());
    std::fs::write(&p, &bytes).unwrap();
    let err = read_volume(&p).unwrap_err();
    assert!(matches!(err, IoError::NiftiHeader { .. }), "{err}");
    names(&err, &p);
    // Magic string wiped.
    let mut bytes = good;
    bytes[344..348].copy_from_slice(b"xxxx");
    std::fs::write(&p, &bytes).unwrap();
    assert!(matches!(
        read_volume(&p).unwrap_err(),
        IoError::NiftiHeader { .. }
    ));
}

#[test]
fn corrupt_dicom_is_reported() {
    // pydicom's MR_truncated.dcm: pixel data cut short.
    let folder = fixtures().join("dicom/MR_truncated");
    let err = read_volume(&folder).unwrap_err();
    assert!(matches!(err, IoError::DicomFile { .. }), "{err}");
    assert!(err.to_string().contains("MR_truncated.dcm"), "{err}");
    // A preamble and magic followed by garbage.
    let dir = tempfile::tempdir().unwrap();
    let mut bytes = vec![0u8; 128];
    bytes.extend_from_slice(b"DICM");
    bytes.extend((0..300u32).map(|i| (i * 37 % 251) as u8));
    let f = dir.path().join("bad.dcm");
    std::fs::write(&f, &bytes).unwrap();
    let err = read_volume(dir.path()).unwrap_err();
    assert!(matches!(err, IoError::DicomFile { .. }), "{err}");
    names(&err, &f);
}

#[test]
fn folder_with_two_series_is_refused() {
    // Real data: pydicom's MR2 folder holds three series.
    let folder = fixtures().join("dicom/MR2_three_series");
    let err = read_volume(&folder).unwrap_err();
    assert!(
        matches!(err, IoError::MultipleSeries { count: 3, .. }),
        "{err}"
    );
    assert!(
        err.to_string()
            .contains("put each series in its own folder")
    );
    // Two of our own series written into one folder.
    let dir = tempfile::tempdir().unwrap();
    let a = affine(
        rotation([0.0, 0.0, 1.0], 0.0),
        [1.0, 1.0, 2.0],
        [0.0, 0.0, 0.0],
    );
    let vol = phantom([6, 6, 3], 1, a);
    let mut opts = DicomSeriesOptions {
        series_number: 1,
        patient_pseudonym: "SYNTH-0002".into(),
        ..Default::default()
    };
    write_dicom_series(&vol, &dir.path().join("one"), &opts).unwrap();
    opts.series_number = 2;
    write_dicom_series(&vol, &dir.path().join("two"), &opts).unwrap();
    let mixed = dir.path().join("mixed");
    std::fs::create_dir(&mixed).unwrap();
    for (sub, tag) in [("one", "a"), ("two", "b")] {
        for e in std::fs::read_dir(dir.path().join(sub)).unwrap() {
            let e = e.unwrap();
            std::fs::copy(
                e.path(),
                mixed.join(format!("{tag}_{}", e.file_name().to_string_lossy())),
            )
            .unwrap();
        }
    }
    let err = read_volume(&mixed).unwrap_err();
    assert!(
        matches!(err, IoError::MultipleSeries { count: 2, .. }),
        "{err}"
    );
    names(&err, &mixed);
    assert!(!err.to_string().contains("SYNTH-0002") && !err.to_string().contains("2.25."));
}

#[test]
fn series_of_differently_oriented_slices_is_refused() {
    // pydicom's MR700: angiography projections, one orientation per image.
    let err = read_volume(&fixtures().join("dicom/MR700")).unwrap_err();
    assert!(matches!(err, IoError::InconsistentSeries { .. }), "{err}");
}

#[test]
fn missing_slice_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let a = affine(
        rotation([0.0, 0.0, 1.0], 0.0),
        [1.0, 1.0, 2.0],
        [0.0, 0.0, 0.0],
    );
    let s = dir.path().join("s");
    write_dicom_series(
        &phantom([6, 6, 5], 1, a),
        &s,
        &DicomSeriesOptions::default(),
    )
    .unwrap();
    std::fs::remove_file(s.join("IM_t000_k0002.dcm")).unwrap();
    let err = read_volume(&s).unwrap_err();
    assert!(matches!(err, IoError::InconsistentSeries { .. }), "{err}");
}

#[test]
fn missing_file_and_empty_folder_are_reported() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nope.nii.gz");
    let err = read_volume(&missing).unwrap_err();
    assert!(matches!(err, IoError::NotFound { .. }), "{err}");
    names(&err, &missing);
    let empty = dir.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    std::fs::write(empty.join("notes.txt"), "not dicom").unwrap();
    let err = read_volume(&empty).unwrap_err();
    assert!(matches!(err, IoError::EmptyDicomFolder { .. }), "{err}");
    names(&err, &empty);
    let other = dir.path().join("image.png");
    std::fs::write(&other, "png").unwrap();
    assert!(matches!(
        read_volume(&other).unwrap_err(),
        IoError::UnknownFormat { .. }
    ));
}

#[test]
fn bad_bvals_are_reported() {
    let dir = tempfile::tempdir().unwrap();
    let b = dir.path().join("x.bval");
    std::fs::write(&b, "0 500 abc\n").unwrap();
    assert!(matches!(read_bvals(&b).unwrap_err(), IoError::Bvals { .. }));
    std::fs::write(&b, "\n").unwrap();
    assert!(matches!(read_bvals(&b).unwrap_err(), IoError::Bvals { .. }));
    // A 3D image has one frame: two b-values do not fit; no .bval at all is MissingBvals.
    let nii = small_nifti(dir.path(), "x.nii.gz");
    std::fs::write(&b, "0 1000").unwrap();
    assert!(matches!(
        read_dwi(&nii, None).unwrap_err(),
        IoError::BvalsMismatch {
            frames: 1,
            bvals: 2,
            ..
        }
    ));
    let lone = small_nifti(dir.path(), "lone.nii");
    assert!(matches!(
        read_dwi(&lone, None).unwrap_err(),
        IoError::MissingBvals { .. }
    ));
}
