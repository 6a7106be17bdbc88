//! Rigid registration against known truth: a multi-contrast phantom (T1-like and a coarse,
//! low-SNR DWI-like moving image onto a T2-like fixed one) and a real multi-contrast pair (the
//! MNI152 T1 template against its grey-matter map moved by a known transform; see
//! fixtures/register/README.md). Target registration error (TRE) is the mean distance between
//! where the estimated and the true transform send fixed-image points of the region of interest.

mod register_phantom;

use std::path::PathBuf;

use livermet_image::ImageError;
use livermet_image::register::{
    Initialisation, RegistrationOptions, register_rigid, register_rigid_masked,
};
use livermet_image::transform::RigidTransform;
use livermet_io::{Affine, IDENTITY, Volume};
use register_phantom::{DWI, T1, pair, tissue, tre};

/// A known transform about the fixed (phantom) grid's centre (the origin).
fn truth(angles_deg: [f64; 3], t: [f64; 3]) -> Affine {
    let a = angles_deg.map(f64::to_radians);
    RigidTransform {
        params: [a[0], a[1], a[2], t[0], t[1], t[2]],
        centre: [0.0; 3],
    }
    .to_matrix()
}

fn body_or_tumour(x: [f64; 3]) -> bool {
    tissue(x) > 0
}

#[test]
fn t1_like_moving_image_registers_onto_t2_like_fixed_within_1mm() {
    let truth = truth([2.0, -3.0, 4.0], [4.0, -3.0, 2.5]);
    let (fixed, moving) = pair(
        &truth,
        &T1,
        [112, 112, 20],
        [1.0, 1.0, 2.5],
        [2.0, -3.0, 4.0],
    );
    let r = register_rigid(&fixed, &moving, &RegistrationOptions::default()).unwrap();
    let tre_body = tre(&fixed, &r.transform, &truth, body_or_tumour);
    let tre_tumour = tre(&fixed, &r.transform, &truth, |x| tissue(x) == 4);
    let start = tre(&fixed, &IDENTITY, &truth, body_or_tumour);
    eprintln!(
        "T1-like: TRE body {tre_body:.3} mm, tumour {tre_tumour:.3} mm (start {start:.2} mm)"
    );
    assert!(start > 4.0, "the test must start misaligned: {start}");
    assert!(
        tre_body < 1.0 && tre_tumour < 1.0,
        "TRE body {tre_body} mm, tumour {tre_tumour} mm: {r:?}"
    );
    assert_eq!(r.levels.len(), 3);
    assert_eq!(r.levels[0].fixed_shrink, [4, 4, 1], "anisotropic shrink");
    assert!(r.metric < 0.0 && r.overlap > 0.5 && r.iterations > 0);
    // Deterministic: the same seed gives the same numbers.
    let again = register_rigid(&fixed, &moving, &RegistrationOptions::default()).unwrap();
    assert_eq!(again.params, r.params);
}

#[test]
fn coarse_low_snr_dwi_like_image_registers_within_1mm() {
    let truth = truth([-3.0, 2.0, -4.0], [-3.5, 4.0, -2.0]);
    let (fixed, moving) = pair(
        &truth,
        &DWI,
        [80, 80, 12],
        [1.5, 1.5, 5.0],
        [-3.0, 2.0, 5.0],
    );
    let r = register_rigid(&fixed, &moving, &RegistrationOptions::default()).unwrap();
    let tre_body = tre(&fixed, &r.transform, &truth, body_or_tumour);
    let tre_tumour = tre(&fixed, &r.transform, &truth, |x| tissue(x) == 4);
    eprintln!("DWI-like: TRE body {tre_body:.3} mm, tumour {tre_tumour:.3} mm");
    assert!(
        tre_body < 1.0 && tre_tumour < 1.0,
        "TRE body {tre_body} mm, tumour {tre_tumour} mm: {r:?}"
    );
}

#[test]
fn a_body_mask_keeps_registration_accurate_and_an_empty_mask_is_an_error() {
    let truth = truth([0.0, 0.0, 5.0], [3.0, 3.0, 0.0]);
    let (fixed, moving) = pair(&truth, &T1, [112, 112, 20], [1.0, 1.0, 2.5], [0.0; 3]);
    let mut mask = fixed.zeros_like();
    for k in 0..fixed.dims[2] {
        for j in 0..fixed.dims[1] {
            for i in 0..fixed.dims[0] {
                let x = fixed.voxel_to_world([i as f64, j as f64, k as f64]);
                mask.set(i, j, k, if body_or_tumour(x) { 1.0 } else { 0.0 });
            }
        }
    }
    let opts = RegistrationOptions {
        initialisation: Initialisation::Moments,
        ..Default::default()
    };
    let r = register_rigid_masked(&fixed, &moving, Some(&mask), &opts).unwrap();
    let e = tre(&fixed, &r.transform, &truth, body_or_tumour);
    eprintln!("masked T1-like: TRE {e:.3} mm");
    assert!(e < 1.0, "masked TRE {e} mm");
    let empty = fixed.zeros_like();
    let err = register_rigid_masked(&fixed, &moving, Some(&empty), &opts).unwrap_err();
    assert!(err.to_string().contains("mask"), "{err}");
}

#[test]
fn images_that_do_not_overlap_are_a_failed_registration() {
    let truth = truth([0.0; 3], [0.0; 3]);
    let (fixed, mut moving) = pair(&truth, &T1, [40, 40, 8], [3.0, 3.0, 6.0], [0.0; 3]);
    // Far away in scanner space and the header trusted: nothing overlaps.
    moving.affine[0][3] += 400.0;
    let opts = RegistrationOptions {
        initialisation: Initialisation::Header,
        ..Default::default()
    };
    match register_rigid(&fixed, &moving, &opts) {
        Err(ImageError::RegistrationFailed { reason }) => {
            assert!(reason.contains("overlap"), "{reason}")
        }
        other => panic!("expected RegistrationFailed, got {other:?}"),
    }
    // A blank moving image has no information to align.
    let blank = Volume::zeros(moving.dims, moving.affine);
    let err = register_rigid(&fixed, &blank, &RegistrationOptions::default()).unwrap_err();
    assert!(
        matches!(err, ImageError::RegistrationFailed { .. })
            && err.to_string().contains("one intensity")
    );
}

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures/register")
        .join(name)
}

#[test]
fn real_t1_template_against_its_moved_grey_matter_map_within_half_mm() {
    let fixed = livermet_io::read_volume(&fixture("fixed_t1.nii.gz")).unwrap();
    let moving = livermet_io::read_volume(&fixture("moving_gm.nii.gz")).unwrap();
    let truth_json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(fixture("truth.json")).unwrap()).unwrap();
    let mut truth = IDENTITY;
    for r in 0..4 {
        for c in 0..4 {
            truth[r][c] = truth_json["matrix"][r][c].as_f64().unwrap();
        }
    }
    let r = register_rigid(&fixed, &moving, &RegistrationOptions::default()).unwrap();
    let inv = livermet_io::invert_affine(&fixed.affine);
    let head = |x: [f64; 3]| {
        let v = livermet_io::apply_affine(&inv, x).map(|c| c.round() as usize);
        fixed.get(v[0], v[1], v[2]) > 40.0
    };
    let e = tre(&fixed, &r.transform, &truth, head);
    let start = tre(&fixed, &IDENTITY, &truth, head);
    eprintln!(
        "MNI T1 vs GM: TRE {e:.3} mm (start {start:.2} mm), {} iterations",
        r.iterations
    );
    assert!(start > 5.0, "must start misaligned: {start}");
    assert!(e < 0.5, "TRE {e} mm (start {start} mm): {r:?}");
}
