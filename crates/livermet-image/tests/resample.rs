//! Resampling against scipy on a real MRI volume (nibabel's bundled `anatomical.nii`).
//! The fixtures and the script that made them are in `fixtures/image/`
//! (`make_resample_reference.py`; scipy's `map_coordinates`, cross-checked with SimpleITK).

use std::path::PathBuf;

use livermet_image::transform::read_transform_json;
use livermet_image::{BSplineCoefficients, Interpolation, resample};
use livermet_io::{Volume, read_volume};

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures/image")
        .join(name)
}

fn load(name: &str) -> Volume {
    read_volume(&fixture(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// Max |ours - expected| over voxels where `expected` is not NaN, and how many were compared.
fn max_diff(ours: &Volume, expected: &Volume) -> (f64, usize) {
    assert_eq!(ours.dims, expected.dims);
    let mut worst = 0.0f64;
    let mut n = 0;
    for (&a, &b) in ours.data.iter().zip(&expected.data) {
        if b.is_nan() {
            continue;
        }
        worst = worst.max((a as f64 - b as f64).abs());
        n += 1;
    }
    (worst, n)
}

#[test]
fn bspline_matches_scipy_mirror_on_a_real_mri() {
    let input = load("anatomical.nii.gz");
    let expected = load("expected_bspline.nii.gz");
    let t = read_transform_json(&fixture("transform.json")).unwrap();
    let out = resample(&input, &expected.grid(), Some(&t), Interpolation::BSpline);
    let (lo, hi, _) = input.min_max_mean();
    let range = (hi - lo) as f64;
    let (diff, n) = max_diff(&out, &expected);
    assert!(n == expected.data.len());
    // The brief's bound is 1e-3 of the range; we are at f32 storage precision, far below it.
    assert!(diff < 1e-3 * range, "max diff {diff} vs range {range}");
    assert!(diff < 1e-5 * range, "max diff {diff} vs range {range}");
    // Voxels outside ITK's buffer are 0 in both; the fixture has both kinds.
    let zeros = expected.data.iter().filter(|&&v| v == 0.0).count();
    assert!(zeros > 1000 && zeros < expected.data.len() / 2, "{zeros}");
}

#[test]
fn linear_matches_scipy_order_1_inside_the_image() {
    let input = load("anatomical.nii.gz");
    let expected = load("expected_linear.nii.gz");
    let t = read_transform_json(&fixture("transform.json")).unwrap();
    let out = resample(&input, &expected.grid(), Some(&t), Interpolation::Linear);
    let (lo, hi, _) = input.min_max_mean();
    let (diff, n) = max_diff(&out, &expected);
    assert!(n > expected.data.len() / 2);
    assert!(diff < 1e-5 * (hi - lo) as f64, "max diff {diff}");
}

#[test]
fn nearest_reproduces_scipy_order_0_on_a_mask() {
    let mask = load("mask.nii.gz");
    let expected = load("expected_nearest.nii.gz");
    let t = read_transform_json(&fixture("transform.json")).unwrap();
    let out = resample(&mask, &expected.grid(), Some(&t), Interpolation::Nearest);
    let mismatches = out
        .data
        .iter()
        .zip(&expected.data)
        .filter(|(a, b)| a != b)
        .count();
    assert_eq!(mismatches, 0);
    // No new labels appear.
    assert!(out.data.iter().all(|&v| v == 0.0 || v == 1.0));
}

/// `BSplineCoefficients::sample` at the input's own voxels returns the voxels (the prefilter is
/// an exact interpolator) and between them stays within the local range plus overshoot.
#[test]
fn coefficients_interpolate_the_real_volume() {
    let input = load("anatomical.nii.gz");
    let coef = BSplineCoefficients::new(&input);
    let (lo, hi, _) = input.min_max_mean();
    let tol = 1e-6 * (hi - lo) as f64;
    for &(i, j, k) in &[(0, 0, 0), (16, 20, 12), (32, 40, 24), (5, 33, 2)] {
        let s = coef.sample([i as f64, j as f64, k as f64]);
        assert!((s - input.get(i, j, k) as f64).abs() < tol, "({i},{j},{k})");
    }
}

/// A 4D input is resampled frame by frame: frame t of the output is frame t resampled alone.
#[test]
fn four_d_input_is_resampled_per_frame() {
    let input = load("anatomical.nii.gz");
    let doubled: Vec<f32> = input.data.iter().map(|v| 2.0 * v).collect();
    let twice = Volume::new(input.dims, 1, input.affine, doubled);
    let stack = Volume::stack(&[input.clone(), twice]);
    let expected = load("expected_bspline.nii.gz");
    let t = read_transform_json(&fixture("transform.json")).unwrap();
    let out = resample(&stack, &expected.grid(), Some(&t), Interpolation::BSpline);
    assert_eq!(out.frames, 2);
    let (f0, f1) = (out.frame(0), out.frame(1));
    let (lo, hi, _) = input.min_max_mean();
    assert!(max_diff(&f0, &expected).0 < 1e-5 * (hi - lo) as f64);
    for (a, b) in f0.data.iter().zip(&f1.data) {
        assert!((2.0 * a - b).abs() <= 1e-3 * a.abs().max(1.0));
    }
}
