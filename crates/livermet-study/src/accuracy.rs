//! How far a found transform is from a known one: target registration error.

use livermet_image::body_mask;
use livermet_io::{Affine, Volume, apply_affine};

/// Target registration error (mm): the mean distance between where `est` and `truth` send the
/// T2 world points of the body (automatic mask of `t2`) and tumour (`roi` nonzero) voxels.
/// `stride` > 1 takes every `stride`-th voxel in-plane (for speed).
pub fn target_registration_error(
    t2: &Volume,
    roi: &Volume,
    est: &Affine,
    truth: &Affine,
    stride: usize,
) -> f64 {
    let mask = body_mask(t2);
    let stride = stride.max(1);
    let (mut sum, mut n) = (0.0, 0usize);
    for k in 0..t2.dims[2] {
        for j in (0..t2.dims[1]).step_by(stride) {
            for i in (0..t2.dims[0]).step_by(stride) {
                let idx = t2.index(i, j, k);
                if !mask[idx] && roi.data[idx] == 0.0 {
                    continue;
                }
                let x = t2.voxel_to_world([i as f64, j as f64, k as f64]);
                let (a, b) = (apply_affine(est, x), apply_affine(truth, x));
                sum +=
                    ((a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2) + (a[2] - b[2]).powi(2)).sqrt();
                n += 1;
            }
        }
    }
    sum / n as f64
}
