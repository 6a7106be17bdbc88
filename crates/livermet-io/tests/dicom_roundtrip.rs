//! One phantom exported as NIfTI and as a DICOM series reads back with the same voxels (within
//! int16 quantisation) at the same world coordinates (1e-4 mm), for axial, oblique and
//! left-handed grids; DWI round trips with b-values (NIfTI + .bval, and DICOM tags).

mod common;

use common::{affine, assert_same_world, int16_half_step, phantom, rotation};
use livermet_io::{
    DicomSeriesOptions, ImageInfo, image_info, is_dicom_dir, read_bvals, read_dwi, read_volume,
    write_bvals, write_dicom_series, write_nifti,
};

fn opts(bvals: Option<Vec<f64>>) -> DicomSeriesOptions {
    DicomSeriesOptions {
        series_description: "T2W phantom".into(),
        series_number: 3,
        bvals,
        patient_pseudonym: "SYNTH-0001".into(),
    }
}

fn nifti_and_dicom_agree(a: livermet_io::Affine, expect_same_indices: bool) {
    let dir = tempfile::tempdir().unwrap();
    let vol = phantom([24, 20, 6], 1, a);
    let nii = dir.path().join("t2.nii.gz");
    let dcm = dir.path().join("t2_dicom");
    write_nifti(&vol, &nii).unwrap();
    write_dicom_series(&vol, &dcm, &opts(None)).unwrap();
    assert!(is_dicom_dir(&dcm));
    assert_eq!(
        std::fs::read_dir(&dcm).unwrap().count(),
        6,
        "one file per slice"
    );
    let from_nii = read_volume(&nii).unwrap();
    let from_dcm = read_volume(&dcm).unwrap();
    assert_eq!(from_dcm.dims, vol.dims);
    let tol = int16_half_step(&vol);
    let worst_mm = assert_same_world(&from_nii, &from_dcm, 1e-4, tol);
    assert!(worst_mm < 1e-4);
    // And against the original, every voxel.
    assert_same_world(&vol, &from_dcm, 1e-4, tol);
    if expect_same_indices {
        assert!(
            common::affine_diff(&from_dcm.affine, &vol.affine) < 1e-4,
            "{:?}",
            from_dcm.affine
        );
    }
}

#[test]
fn axial_phantom_reads_back_the_same_from_nifti_and_dicom() {
    nifti_and_dicom_agree(
        affine(
            rotation([0.0, 0.0, 1.0], 0.0),
            [0.7, 0.7, 3.0],
            [-80.0, -60.0, -20.0],
        ),
        true,
    );
}

#[test]
fn oblique_phantom_reads_back_the_same_from_nifti_and_dicom() {
    nifti_and_dicom_agree(
        affine(
            rotation([0.4, -0.3, 0.85], 0.5),
            [0.72, 0.68, 3.3],
            [-91.3, 12.7, -35.2],
        ),
        true,
    );
}

/// A left-handed grid (x flipped, as many NIfTI files are): the DICOM reader sorts slices along
/// the normal, so k may run the other way, but every voxel keeps its world position and value.
#[test]
fn left_handed_phantom_keeps_world_positions() {
    nifti_and_dicom_agree(
        affine(
            rotation([0.2, 0.9, -0.1], 0.3),
            [-0.9, 0.9, 4.0],
            [50.0, -20.0, 10.0],
        ),
        false,
    );
}

#[test]
fn dwi_round_trip_through_nifti_and_bval() {
    let dir = tempfile::tempdir().unwrap();
    let vol = phantom(
        [10, 8, 4],
        3,
        affine(
            rotation([1.0, 0.0, 0.0], 0.2),
            [1.5, 1.5, 5.0],
            [0.0, 0.0, 0.0],
        ),
    );
    let nii = dir.path().join("dwi.nii.gz");
    write_nifti(&vol, &nii).unwrap();
    write_bvals(&dir.path().join("dwi.bval"), &[0.0, 500.0, 1000.0]).unwrap();
    let dwi = read_dwi(&nii, None).unwrap();
    assert_eq!(dwi.bvals, vec![0.0, 500.0, 1000.0]);
    assert_eq!(dwi.volume, read_volume(&nii).unwrap());
    // An explicit .bval path wins over the one beside the image.
    let other = dir.path().join("other.bval");
    std::fs::write(&other, "0 800\n1000\n").unwrap();
    assert_eq!(read_bvals(&other).unwrap(), vec![0.0, 800.0, 1000.0]);
    assert_eq!(
        read_dwi(&nii, Some(&other)).unwrap().bvals,
        vec![0.0, 800.0, 1000.0]
    );
    let info: ImageInfo = image_info(&nii).unwrap();
    assert_eq!(info.dims, vec![10, 8, 4, 3]);
    assert_eq!(info.bvals, Some(vec![0.0, 500.0, 1000.0]));
}

#[test]
fn dwi_round_trip_through_dicom_orders_frames_by_b() {
    let dir = tempfile::tempdir().unwrap();
    let a = affine(
        rotation([0.3, 0.3, 1.0], 0.25),
        [1.5, 1.6, 5.0],
        [-40.0, -30.0, 5.0],
    );
    let vol = phantom([12, 10, 5], 3, a);
    let dcm = dir.path().join("dwi");
    write_dicom_series(&vol, &dcm, &opts(Some(vec![0.0, 500.0, 1000.0]))).unwrap();
    assert_eq!(
        std::fs::read_dir(&dcm).unwrap().count(),
        15,
        "one file per slice per frame"
    );
    let dwi = read_dwi(&dcm, None).unwrap();
    assert_eq!(dwi.bvals, vec![0.0, 500.0, 1000.0]);
    assert_same_world(&vol, &dwi.volume, 1e-4, int16_half_step(&vol));
    let info = image_info(&dcm).unwrap();
    assert_eq!(info.format, "dicom");
    assert_eq!(info.dims, vec![12, 10, 5, 3]);
    assert_eq!(info.bvals, Some(vec![0.0, 500.0, 1000.0]));

    // Frames written in another b order come back sorted by b, voxels following their b-value.
    let shuffled = livermet_io::Volume::stack(&[vol.frame(2), vol.frame(0), vol.frame(1)]);
    let dcm2 = dir.path().join("dwi_shuffled");
    write_dicom_series(&shuffled, &dcm2, &opts(Some(vec![1000.0, 0.0, 500.0]))).unwrap();
    let back = read_dwi(&dcm2, None).unwrap();
    assert_eq!(back.bvals, vec![0.0, 500.0, 1000.0]);
    assert_same_world(&vol, &back.volume, 1e-4, int16_half_step(&vol));
}

#[test]
fn dicom_writing_replaces_an_existing_series_and_leaves_no_temporaries() {
    let dir = tempfile::tempdir().unwrap();
    let a = affine(
        rotation([0.0, 0.0, 1.0], 0.0),
        [1.0, 1.0, 2.0],
        [0.0, 0.0, 0.0],
    );
    let dcm = dir.path().join("s");
    write_dicom_series(&phantom([6, 6, 4], 1, a), &dcm, &opts(None)).unwrap();
    write_dicom_series(&phantom([6, 6, 2], 1, a), &dcm, &opts(None)).unwrap();
    assert_eq!(read_volume(&dcm).unwrap().dims, [6, 6, 2]);
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        1,
        "temporary folders left behind"
    );
}

/// No identifying value reaches image info: its JSON holds only geometry, numbers and the path.
#[test]
fn image_info_of_a_dicom_series_holds_no_identifiers() {
    let dir = tempfile::tempdir().unwrap();
    let a = affine(
        rotation([0.0, 0.0, 1.0], 0.0),
        [1.0, 1.0, 2.0],
        [0.0, 0.0, 0.0],
    );
    let dcm = dir.path().join("s");
    write_dicom_series(&phantom([6, 6, 3], 1, a), &dcm, &opts(None)).unwrap();
    let json = serde_json::to_string(&image_info(&dcm).unwrap()).unwrap();
    assert!(!json.contains("SYNTH-0001"), "{json}");
    assert!(!json.contains("2.25."), "a UID leaked: {json}");
}
