//! NIfTI write -> read round trips: values, affine, .nii and .nii.gz, 3D and 4D, each stored type.

mod common;

use common::{affine, affine_diff, int16_half_step, phantom, rotation};
use livermet_io::{StoredType, Volume, read_volume, write_nifti, write_nifti_as};

fn oblique() -> livermet_io::Affine {
    affine(
        rotation([0.3, -0.5, 0.8], 0.35),
        [0.7, 0.75, 3.0],
        [-91.25, 17.5, -40.125],
    )
}

#[test]
fn float32_round_trip_is_exact_for_nii_and_nii_gz() {
    let dir = tempfile::tempdir().unwrap();
    let vol = phantom([23, 19, 7], 1, oblique());
    for name in ["t2.nii", "t2.nii.gz"] {
        let p = dir.path().join(name);
        write_nifti(&vol, &p).unwrap();
        let back = read_volume(&p).unwrap();
        assert_eq!(back.dims, vol.dims);
        assert_eq!(back.frames, 1);
        assert_eq!(back.data, vol.data, "{name}: voxels differ");
        // The sform stores f32: 1e-5 mm on coordinates of ~100 mm.
        assert!(
            affine_diff(&back.affine, &vol.affine) < 1e-4,
            "{name}: affine {:?}",
            back.affine
        );
    }
    // gzip really happened, and only for .gz.
    let gz = std::fs::read(dir.path().join("t2.nii.gz")).unwrap();
    let plain = std::fs::read(dir.path().join("t2.nii")).unwrap();
    assert_eq!(&gz[..2], &[0x1f, 0x8b]);
    assert_eq!(i32::from_le_bytes(plain[..4].try_into().unwrap()), 348);
    assert_eq!(plain.len(), 352 + 23 * 19 * 7 * 4);
}

#[test]
fn four_d_round_trip_keeps_frame_order() {
    let dir = tempfile::tempdir().unwrap();
    let vol = phantom([11, 9, 5], 3, oblique());
    let p = dir.path().join("dwi.nii.gz");
    write_nifti(&vol, &p).unwrap();
    let back = read_volume(&p).unwrap();
    assert_eq!((back.dims, back.frames), (vol.dims, 3));
    assert_eq!(back.data, vol.data);
    assert!(
        back.frame(2).data[0] < back.frame(0).data[0],
        "frames decay with t in the phantom"
    );
}

#[test]
fn int16_scaled_is_within_half_a_quantisation_step_and_smaller() {
    let dir = tempfile::tempdir().unwrap();
    let vol = phantom([31, 27, 6], 2, oblique());
    let tol = int16_half_step(&vol);
    for name in ["small.nii", "small.nii.gz"] {
        let p = dir.path().join(name);
        write_nifti_as(&vol, &p, StoredType::Int16Scaled).unwrap();
        let back = read_volume(&p).unwrap();
        assert!(affine_diff(&back.affine, &vol.affine) < 1e-4);
        let worst = vol
            .data
            .iter()
            .zip(&back.data)
            .map(|(a, b)| (a - b).abs() as f64)
            .fold(0.0, f64::max);
        assert!(worst <= tol, "{name}: error {worst} > half step {tol}");
        assert!(
            worst > 0.0,
            "{name}: int16 cannot be exact for this phantom (scaling not applied?)"
        );
    }
    let plain = std::fs::metadata(dir.path().join("small.nii"))
        .unwrap()
        .len();
    assert_eq!(plain, 352 + 31 * 27 * 6 * 2 * 2);
}

#[test]
fn integer_masks_are_stored_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let mut mask = Volume::zeros([8, 7, 3], oblique());
    for (n, v) in mask.data.iter_mut().enumerate() {
        *v = (n % 3 == 0) as u8 as f32;
    }
    for (stored, name) in [
        (StoredType::UInt8, "roi.nii.gz"),
        (StoredType::Int16Scaled, "roi16.nii"),
    ] {
        let p = dir.path().join(name);
        write_nifti_as(&mask, &p, stored).unwrap();
        assert_eq!(read_volume(&p).unwrap().data, mask.data, "{name}");
    }
}

/// The qform we write (rotation + zooms, for tools that prefer it) describes the same grid as
/// the sform: blank the sform code and read again.
#[test]
fn qform_matches_sform() {
    let dir = tempfile::tempdir().unwrap();
    // A left-handed affine too (x flipped), which needs qfac = -1.
    for (n, a) in [
        oblique(),
        affine(
            rotation([0.1, 0.9, 0.2], -0.6),
            [-0.9, 0.9, 2.5],
            [10.0, -5.0, 3.0],
        ),
    ]
    .into_iter()
    .enumerate()
    {
        let vol = phantom([6, 5, 4], 1, a);
        let p = dir.path().join(format!("q{n}.nii"));
        write_nifti(&vol, &p).unwrap();
        let mut bytes = std::fs::read(&p).unwrap();
        bytes[254..256].copy_from_slice(&0i16.to_le_bytes()); // sform_code = 0
        std::fs::write(&p, &bytes).unwrap();
        let back = read_volume(&p).unwrap();
        assert!(
            affine_diff(&back.affine, &a) < 1e-4,
            "qform affine {:?} vs {:?}",
            back.affine,
            a
        );
    }
}

#[test]
fn writing_leaves_no_temporary_files() {
    let dir = tempfile::tempdir().unwrap();
    let vol = phantom([5, 5, 3], 1, oblique());
    write_nifti_as(&vol, &dir.path().join("a.nii.gz"), StoredType::Int16Scaled).unwrap();
    write_nifti(&vol, &dir.path().join("b.nii")).unwrap();
    let mut names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["a.nii.gz", "b.nii"]);
}
