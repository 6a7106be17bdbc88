//! Shared helpers for livermet-io's integration tests: phantoms with known geometry and
//! comparisons by world coordinate.

#![allow(dead_code)]

use livermet_io::{Affine, Volume, apply_affine, invert_affine};

/// Rotation by `angle` radians about the unit `axis` (Rodrigues' formula).
pub fn rotation(axis: [f64; 3], angle: f64) -> [[f64; 3]; 3] {
    let n = (axis[0] * axis[0] + axis[1] * axis[1] + axis[2] * axis[2]).sqrt();
    let [x, y, z] = axis.map(|v| v / n);
    let (c, s, t) = (angle.cos(), angle.sin(), 1.0 - angle.cos());
    [
        [t * x * x + c, t * x * y - s * z, t * x * z + s * y],
        [t * x * y + s * z, t * y * y + c, t * y * z - s * x],
        [t * x * z - s * y, t * y * z + s * x, t * z * z + c],
    ]
}

/// Affine with rotation `r`, voxel sizes `zooms` (a negative zoom flips that axis) and origin.
pub fn affine(r: [[f64; 3]; 3], zooms: [f64; 3], origin: [f64; 3]) -> Affine {
    let mut a = [[0.0; 4]; 4];
    for row in 0..3 {
        for col in 0..3 {
            a[row][col] = r[row][col] * zooms[col];
        }
        a[row][3] = origin[row];
    }
    a[3][3] = 1.0;
    a
}

/// A pelvis-like phantom: a smooth background, a bright ellipsoid and a dark core, different in
/// every frame, so any axis flip or frame swap changes values.
pub fn phantom(dims: [usize; 3], frames: usize, a: Affine) -> Volume {
    let [nx, ny, nz] = dims;
    let mut data = Vec::with_capacity(nx * ny * nz * frames);
    for t in 0..frames {
        for k in 0..nz {
            for j in 0..ny {
                for i in 0..nx {
                    let (x, y, z) = (
                        i as f64 / nx as f64 - 0.4,
                        j as f64 / ny as f64 - 0.55,
                        k as f64 / nz as f64 - 0.5,
                    );
                    let r2 = (x / 0.3).powi(2) + (y / 0.25).powi(2) + (z / 0.4).powi(2);
                    let mut v = 100.0
                        + 40.0 * i as f64 / nx as f64
                        + 25.0 * j as f64 / ny as f64
                        + 7.0 * k as f64;
                    if r2 < 1.0 {
                        v += 600.0 * (1.0 - r2);
                    }
                    if r2 < 0.1 {
                        v -= 300.0;
                    }
                    v *= (-(t as f64) * 0.4).exp();
                    data.push(v as f32 + 0.123);
                }
            }
        }
    }
    Volume::new(dims, frames, a, data)
}

/// For every voxel of `a`, the voxel of `b` at the same world position (to `tol_mm`) must exist
/// and hold the same value (to `tol_value`), frame by frame. Returns the largest position error.
pub fn assert_same_world(a: &Volume, b: &Volume, tol_mm: f64, tol_value: f64) -> f64 {
    assert_eq!(a.frames, b.frames, "frames");
    let inv_b = invert_affine(&b.affine);
    let mut worst: f64 = 0.0;
    let [nx, ny, nz] = a.dims;
    for k in 0..nz {
        for j in 0..ny {
            for i in 0..nx {
                let w = apply_affine(&a.affine, [i as f64, j as f64, k as f64]);
                let v = apply_affine(&inv_b, w);
                let idx = v.map(|c| c.round());
                let back = apply_affine(&b.affine, idx);
                let err = (0..3).map(|d| (back[d] - w[d]).abs()).fold(0.0, f64::max);
                worst = worst.max(err);
                assert!(
                    err <= tol_mm,
                    "voxel ({i},{j},{k}) lands {err} mm off a voxel of b"
                );
                let [bi, bj, bk] = idx.map(|c| c as usize);
                assert!(
                    bi < b.dims[0] && bj < b.dims[1] && bk < b.dims[2],
                    "voxel ({i},{j},{k}) outside b"
                );
                for t in 0..a.frames {
                    let va = a.data[a.index(i, j, k) + t * a.frame_len()];
                    let vb = b.data[b.index(bi, bj, bk) + t * b.frame_len()];
                    assert!(
                        ((va - vb) as f64).abs() <= tol_value,
                        "voxel ({i},{j},{k}) frame {t}: {va} vs {vb} (tolerance {tol_value})"
                    );
                }
            }
        }
    }
    worst
}

/// Largest absolute difference between two affines.
pub fn affine_diff(a: &Affine, b: &Affine) -> f64 {
    a.iter()
        .flatten()
        .zip(b.iter().flatten())
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f64::max)
}

/// Half the int16 quantisation step for data with this range, plus float slack.
pub fn int16_half_step(v: &Volume) -> f64 {
    let (lo, hi, _) = v.min_max_mean();
    (hi - lo) as f64 / 65534.0 / 2.0 * 1.001 + 1e-3
}
