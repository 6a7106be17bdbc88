//! Multi-resolution pyramid for registration: Gaussian smoothing then shrinking, per level.
//!
//! ITK's usual rigid set-up is shrink factors 4, 2, 1 with smoothing sigmas 2, 1, 0 voxels,
//! the same factor on every axis. Clinical MRI is strongly anisotropic (T2 ~0.7 x 0.7 x 3 mm,
//! DWI ~1.5 x 1.5 x 5 mm, 14-30 slices): shrinking the slice axis by 4 would leave 4-7 slices.
//! So a level's factor `s` sets a target spacing `s * (smallest voxel size)`, and each axis is
//! shrunk by `round(target / its spacing)` (at least 1, and never below 4 voxels along the
//! axis). Smoothing is done in millimetres: `sigma_mm = sigma * target spacing`, i.e. the ITK
//! sigma in units of the level's (in-plane) voxels, applied on each axis as
//! `sigma_mm / spacing` voxels (axes that would get under 0.3 voxel are left alone).
//!
//! Registration takes both images of a level to the FIXED image's target spacing
//! ([`pyramid_level_to`]): with each image's own smallest voxel as the unit, a 1.5 mm DWI was
//! blurred with sigma 12 mm at the coarse level against the 0.7 mm T2's 5.6 mm, and Mattes MI
//! between the two then improved as the DWI slid out of the T2 through-plane.

use livermet_io::{Affine, Volume, mat4_mul};

/// Per-axis shrink factors of a level with nominal factor `shrink` (see the module docs).
pub fn shrink_factors(vol: &Volume, shrink: usize) -> [usize; 3] {
    shrink_factors_to(vol, shrink as f64 * min_spacing(vol))
}

/// Smallest voxel size of `vol`, mm.
pub fn min_spacing(vol: &Volume) -> f64 {
    vol.voxel_size().into_iter().fold(f64::INFINITY, f64::min)
}

/// Per-axis shrink factors towards a target spacing of `target` mm (see the module docs).
pub fn shrink_factors_to(vol: &Volume, target: f64) -> [usize; 3] {
    let spacing = vol.voxel_size();
    let mut f = [1usize; 3];
    for d in 0..3 {
        let want = (target / spacing[d]).round().max(1.0) as usize;
        let most = (vol.dims[d] / 4).max(1);
        f[d] = want.min(most);
    }
    f
}

/// Per-axis Gaussian sigmas in voxels of a level with nominal `shrink` and `sigma` (in level
/// voxels, as ITK's `SetSmoothingSigmasPerLevel` with voxel units).
pub fn smoothing_sigmas(vol: &Volume, shrink: usize, sigma: f64) -> [f64; 3] {
    let spacing = vol.voxel_size();
    let min_spacing = spacing.iter().copied().fold(f64::INFINITY, f64::min);
    let sigma_mm = sigma * shrink as f64 * min_spacing;
    spacing.map(|s| sigma_mm / s)
}

/// Smooth and shrink along one axis in one pass: output voxel `t` sits at input position
/// `p = f t + (f - 1) / 2` (the centre of its block, so the physical centre is kept, as ITK's
/// shrink filter does) and takes the Gaussian-weighted mean (`sigma` in input voxels, truncated
/// at 3 sigma, edge voxels replicated) of the input around `p`, or, for `sigma < 0.3`, the
/// linear interpolation at `p`. Evaluating the smoothing only where the shrunk grid needs it
/// is the same separable Gaussian as smoothing everything first, `f` times cheaper.
fn smooth_shrink_axis(
    data: &[f32],
    dims: [usize; 3],
    axis: usize,
    f: usize,
    sigma: f64,
) -> (Vec<f32>, [usize; 3]) {
    let n = dims[axis];
    let n_out = (n / f).max(1);
    // Taps (input index, weight) of every output position along the axis.
    let taps: Vec<Vec<(usize, f32)>> = (0..n_out)
        .map(|t| {
            let p = (f * t) as f64 + (f as f64 - 1.0) / 2.0;
            let clamp = |q: i64| q.clamp(0, n as i64 - 1) as usize;
            if sigma >= 0.3 {
                let (lo, hi) = (
                    (p - 3.0 * sigma).ceil() as i64,
                    (p + 3.0 * sigma).floor() as i64,
                );
                let w: Vec<(usize, f64)> = (lo..=hi)
                    .map(|q| {
                        (
                            clamp(q),
                            (-(q as f64 - p).powi(2) / (2.0 * sigma * sigma)).exp(),
                        )
                    })
                    .collect();
                let sum: f64 = w.iter().map(|x| x.1).sum();
                w.into_iter().map(|(q, x)| (q, (x / sum) as f32)).collect()
            } else {
                let b = p.floor();
                let frac = (p - b) as f32;
                vec![(clamp(b as i64), 1.0 - frac), (clamp(b as i64 + 1), frac)]
            }
        })
        .collect();
    let mut out_dims = dims;
    out_dims[axis] = n_out;
    let in_strides = [1, dims[0], dims[0] * dims[1]];
    let out_strides = [1, out_dims[0], out_dims[0] * out_dims[1]];
    let (a, b) = match axis {
        0 => (1, 2),
        1 => (0, 2),
        _ => (0, 1),
    };
    let mut out = vec![0.0f32; out_dims[0] * out_dims[1] * out_dims[2]];
    for v in 0..dims[b] {
        for u in 0..dims[a] {
            let in0 = u * in_strides[a] + v * in_strides[b];
            let out0 = u * out_strides[a] + v * out_strides[b];
            for (t, tap) in taps.iter().enumerate() {
                let acc: f32 = tap
                    .iter()
                    .map(|&(q, w)| w * data[in0 + q * in_strides[axis]])
                    .sum();
                out[out0 + t * out_strides[axis]] = acc;
            }
        }
    }
    (out, out_dims)
}

/// Gaussian smoothing (per-axis `sigmas` in voxels) then shrinking by integer `factors`, of
/// frame 0 (see `smooth_shrink_axis`).
pub fn smooth_and_shrink(vol: &Volume, factors: [usize; 3], sigmas: [f64; 3]) -> Volume {
    // Non-finite voxels would spread through the smoothing: use 0 (as for the metric).
    let mut data: Vec<f32> = vol.data[..vol.frame_len()]
        .iter()
        .map(|&v| if v.is_finite() { v } else { 0.0 })
        .collect();
    let mut dims = vol.dims;
    for axis in 0..3 {
        if factors[axis] > 1 || sigmas[axis] >= 0.3 {
            (data, dims) = smooth_shrink_axis(&data, dims, axis, factors[axis], sigmas[axis]);
        }
    }
    let mut scale: Affine = livermet_io::IDENTITY;
    for d in 0..3 {
        scale[d][d] = factors[d] as f64;
        scale[d][3] = (factors[d] as f64 - 1.0) / 2.0;
    }
    Volume::new(dims, 1, mat4_mul(&vol.affine, &scale), data)
}

/// Trilinear value of frame 0 at a continuous voxel index, clamped to the grid.
pub(crate) fn linear_at(vol: &Volume, c: [f64; 3]) -> f32 {
    let mut base = [0usize; 3];
    let mut frac = [0f32; 3];
    for d in 0..3 {
        let max = (vol.dims[d] - 1) as f64;
        let x = c[d].clamp(0.0, max);
        let b = (x.floor() as usize).min(vol.dims[d].saturating_sub(2));
        base[d] = b;
        frac[d] = (x - b as f64) as f32;
    }
    let mut acc = 0.0f32;
    for corner in 0..8 {
        let o = [corner & 1, (corner >> 1) & 1, (corner >> 2) & 1];
        let mut w = 1.0f32;
        let mut idx = [0usize; 3];
        for d in 0..3 {
            let step = o[d].min(vol.dims[d] - 1 - base[d]);
            idx[d] = base[d] + step;
            w *= if o[d] == 1 { frac[d] } else { 1.0 - frac[d] };
        }
        if w != 0.0 {
            acc += w * vol.get(idx[0], idx[1], idx[2]);
        }
    }
    acc
}

/// One pyramid level: smooth with the level's sigmas, then shrink by its factors.
pub fn pyramid_level(vol: &Volume, shrink_factor: usize, sigma: f64) -> Volume {
    pyramid_level_to(vol, shrink_factor as f64 * min_spacing(vol), sigma)
}

/// One pyramid level towards a target spacing of `target` mm: Gaussian smoothing of
/// `sigma * target` mm (per axis `sigma * target / spacing` voxels), then shrinking by
/// [`shrink_factors_to`]. Two images given the same `target` are blurred alike whatever their
/// voxel sizes.
pub fn pyramid_level_to(vol: &Volume, target: f64, sigma: f64) -> Volume {
    let sigmas = if sigma > 0.0 {
        vol.voxel_size().map(|s| sigma * target / s)
    } else {
        [0.0; 3]
    };
    smooth_and_shrink(vol, shrink_factors_to(vol, target), sigmas)
}

#[cfg(test)]
mod tests {
    use super::*;
    use livermet_io::IDENTITY;

    fn aniso(dims: [usize; 3], sp: [f64; 3]) -> Volume {
        let mut a = IDENTITY;
        for d in 0..3 {
            a[d][d] = sp[d];
        }
        Volume::zeros(dims, a)
    }

    #[test]
    fn anisotropic_voxels_shrink_in_plane_more_than_through_plane() {
        let v = aniso([160, 160, 14], [0.7, 0.7, 3.0]);
        assert_eq!(shrink_factors(&v, 4), [4, 4, 1]);
        assert_eq!(shrink_factors(&v, 2), [2, 2, 1]);
        let iso = aniso([64, 64, 64], [1.0, 1.0, 1.0]);
        assert_eq!(shrink_factors(&iso, 4), [4, 4, 4]);
        // A DWI-like moving image taken to the T2's level-0 target (4 x 0.7 mm), not its own
        // (4 x 1.5 mm).
        let dwi = aniso([80, 70, 10], [1.5, 1.5, 5.0]);
        assert_eq!(shrink_factors(&dwi, 4), [4, 4, 1]);
        assert_eq!(shrink_factors_to(&dwi, 4.0 * 0.7), [2, 2, 1]);
    }

    #[test]
    fn a_common_target_blurs_images_of_different_voxel_sizes_alike() {
        // A sharp edge at x = 0 on a 0.7 mm and on a 1.5 mm grid: at the same target, the
        // smoothed profiles agree in millimetres.
        let edge = |sp: f64, n: usize| {
            let mut a = IDENTITY;
            a[0][0] = sp;
            a[0][3] = -sp * (n as f64 - 1.0) / 2.0;
            let mut v = Volume::zeros([n, 4, 4], a);
            for k in 0..4 {
                for j in 0..4 {
                    for i in 0..n {
                        let x = v.voxel_to_world([i as f64, 0.0, 0.0])[0];
                        v.set(i, j, k, if x < 0.0 { 0.0 } else { 100.0 });
                    }
                }
            }
            pyramid_level_to(&v, 2.8, 1.0)
        };
        let (fine, coarse) = (edge(0.7, 160), edge(1.5, 74));
        let at = |v: &Volume, x: f64| {
            let c =
                livermet_io::apply_affine(&livermet_io::invert_affine(&v.affine), [x, 0.0, 0.0]);
            linear_at(v, [c[0], 1.0, 1.0])
        };
        for x in [-4.0, -2.0, 0.0, 2.0, 4.0] {
            let (a, b) = (at(&fine, x), at(&coarse, x));
            assert!((a - b).abs() < 4.0, "x = {x}: {a} vs {b}");
        }
    }

    #[test]
    fn shrink_keeps_the_physical_centre_and_smoothing_keeps_the_mean() {
        let mut v = aniso([16, 12, 8], [1.0, 2.0, 3.0]);
        for (n, x) in v.data.iter_mut().enumerate() {
            *x = (n % 7) as f32;
        }
        let s = smooth_and_shrink(&v, [4, 2, 1], [0.0; 3]);
        assert_eq!(s.dims, [4, 6, 8]);
        let centre = |w: &Volume| w.voxel_to_world(w.dims.map(|d| (d as f64 - 1.0) / 2.0));
        let (a, b) = (centre(&v), centre(&s));
        for d in 0..3 {
            assert!((a[d] - b[d]).abs() < 1e-9, "{a:?} {b:?}");
        }
        // A linear ramp is reproduced exactly by block-centre interpolation.
        let mut ramp = v.clone();
        for k in 0..8 {
            for j in 0..12 {
                for i in 0..16 {
                    ramp.set(i, j, k, i as f32 + 10.0 * j as f32);
                }
            }
        }
        let r = smooth_and_shrink(&ramp, [4, 2, 1], [0.0; 3]);
        assert!((r.get(1, 1, 0) - (5.5 + 10.0 * 2.5)).abs() < 1e-4);
        // Gaussian smoothing keeps a ramp (away from the edges), also when fused with shrinking.
        let rs = smooth_and_shrink(&ramp, [2, 2, 1], [1.0, 1.0, 0.0]);
        // Output (1, 2, 3) sits at input position (2 * 1 + 0.5, 2 * 2 + 0.5, 3).
        let want = 2.5 + 10.0 * 4.5;
        assert!((rs.get(1, 2, 3) - want).abs() < 1e-3, "{}", rs.get(1, 2, 3));
        let sm = smooth_and_shrink(&v, [1, 1, 1], [1.5, 1.0, 0.0]);
        let mean = |w: &Volume| w.data.iter().map(|&x| x as f64).sum::<f64>() / w.data.len() as f64;
        assert!((mean(&sm) - mean(&v)).abs() < 0.2);
        let (lo, hi, _) = sm.min_max_mean();
        assert!(lo >= 0.0 && hi <= 6.0 && hi - lo < 6.0);
    }
}
