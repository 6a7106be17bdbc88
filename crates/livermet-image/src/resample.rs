//! Resampling a volume onto another grid through an optional rigid (or any affine) transform.
//!
//! Convention (ITK's `ResampleImageFilter`): for every voxel `v` of the target grid, its world
//! point `x = A_target v` is mapped by the transform into the input's world, `T x`, and the input
//! is interpolated at the continuous index `A_input^-1 T x`. The transform therefore maps
//! target/fixed points to input/moving points, which is what a registration returns. Our world
//! is RAS+ (NIfTI); ITK's is LPS+, so an ITK transform matrix is `F T F` with `F = diag(-1,-1,1,1)`
//! (as `bench/resample.py` and `fixtures/image/make_resample_reference.py` do).
//!
//! Boundary (as ITK): a continuous index counts as inside the input when every coordinate lies
//! in `[-0.5, n - 0.5)` (ITK's `IsInsideBuffer`: the image's extent reaches half a voxel past the
//! edge voxels' centres); outside, the output is 0 (ITK's default pixel value). Inside:
//! - B-spline: prefiltered cubic, taps mirrored at the edge (ITK and scipy `mode='mirror'`);
//! - linear: trilinear with the neighbour indices clamped to the grid (ITK's
//!   `LinearInterpolateImageFunction`, so within the outer half voxel the edge value is used;
//!   scipy's `order=1` mirrors there instead; the two agree on `[0, n - 1]`);
//! - nearest: the voxel at `floor(x + 0.5)` (ITK's half-up rounding), clamped to the grid.

use livermet_io::{Affine, Grid, IDENTITY, Volume, invert_affine, mat4_mul};
use rayon::prelude::*;

use crate::bspline::{BSplineCoefficients, taps};

/// How to interpolate between voxel centres.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Interpolation {
    /// The nearest voxel (for masks and labels: no new values appear).
    Nearest,
    /// Trilinear.
    Linear,
    /// Cubic B-spline with the exact-interpolation prefilter (the paper's choice for images).
    BSpline,
}

impl std::str::FromStr for Interpolation {
    type Err = String;

    /// `nearest`, `linear` or `bspline` (the command line's names).
    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "nearest" => Ok(Interpolation::Nearest),
            "linear" => Ok(Interpolation::Linear),
            "bspline" => Ok(Interpolation::BSpline),
            _ => Err(format!(
                "`{s}` is not an interpolation; use bspline, linear or nearest"
            )),
        }
    }
}

/// Resample `input` (3D, or 4D frame by frame) onto `target`.
///
/// `transform` (4x4, world RAS mm) maps target/fixed world points into input/moving world (ITK's
/// convention); `None` is the identity. Positions outside the input (see the module docs for
/// ITK's inside-buffer rule) get 0. The output has `target`'s grid and `input`'s frame count.
pub fn resample(
    input: &Volume,
    target: &Grid,
    transform: Option<&Affine>,
    interp: Interpolation,
) -> Volume {
    let to_index = target_to_input_index(input, target, transform);
    let out_len = target.dims[0] * target.dims[1] * target.dims[2];
    let mut data = Vec::with_capacity(out_len * input.frames);
    for t in 0..input.frames {
        let frame = input.frame(t);
        let mut out = vec![0.0f32; out_len];
        match interp {
            Interpolation::BSpline => {
                let coef = BSplineCoefficients::new(&frame);
                fill(&mut out, target.dims, &to_index, frame.dims, |p| {
                    let (ix, wx) = taps(p[0], coef.dims[0]);
                    let (iy, wy) = taps(p[1], coef.dims[1]);
                    let (iz, wz) = taps(p[2], coef.dims[2]);
                    coef.combine(&ix, &wx, &iy, &wy, &iz, &wz) as f32
                });
            }
            Interpolation::Linear => {
                fill(&mut out, target.dims, &to_index, frame.dims, |p| {
                    linear(&frame, p)
                });
            }
            Interpolation::Nearest => {
                fill(&mut out, target.dims, &to_index, frame.dims, |p| {
                    nearest(&frame, p)
                });
            }
        }
        data.extend_from_slice(&out);
    }
    Volume::new(target.dims, input.frames, target.affine, data)
}

/// The 4x4 matrix taking a target voxel index to the input's continuous voxel index:
/// `A_input^-1 * T * A_target`.
pub fn target_to_input_index(input: &Volume, target: &Grid, transform: Option<&Affine>) -> Affine {
    let t = transform.unwrap_or(&IDENTITY);
    mat4_mul(&invert_affine(&input.affine), &mat4_mul(t, &target.affine))
}

/// ITK's inside-buffer test for a continuous index: every coordinate in `[-0.5, n - 0.5)`.
#[inline]
pub fn inside_buffer(p: [f64; 3], dims: [usize; 3]) -> bool {
    (0..3).all(|d| p[d] >= -0.5 && p[d] < dims[d] as f64 - 0.5)
}

/// Fill `out` (the target grid) slice by slice in parallel, calling `value` at each inside
/// position. Positions step along i by adding the matrix's first column (no per-voxel matrix
/// product).
fn fill<F>(out: &mut [f32], dims: [usize; 3], m: &Affine, in_dims: [usize; 3], value: F)
where
    F: Fn([f64; 3]) -> f32 + Sync,
{
    let [nx, ny, _] = dims;
    out.par_chunks_mut(nx * ny)
        .enumerate()
        .for_each(|(k, slice)| {
            for j in 0..ny {
                let (jf, kf) = (j as f64, k as f64);
                let mut p = [0.0; 3];
                for r in 0..3 {
                    p[r] = m[r][1] * jf + m[r][2] * kf + m[r][3];
                }
                for (i, o) in slice[nx * j..nx * (j + 1)].iter_mut().enumerate() {
                    let fi = i as f64;
                    let q = [
                        p[0] + m[0][0] * fi,
                        p[1] + m[1][0] * fi,
                        p[2] + m[2][0] * fi,
                    ];
                    *o = if inside_buffer(q, in_dims) {
                        value(q)
                    } else {
                        0.0
                    };
                }
            }
        });
}

/// Floor index and fraction along one axis, with both neighbours clamped to `0..n` (ITK).
#[inline]
fn clamped_pair(x: f64, n: usize) -> (usize, usize, f64) {
    let f = x.floor();
    let t = x - f;
    let last = n as i64 - 1;
    let a = (f as i64).clamp(0, last) as usize;
    let b = (f as i64 + 1).clamp(0, last) as usize;
    (a, b, t)
}

/// Trilinear interpolation of frame 0 at a continuous index (neighbours clamped, as ITK).
fn linear(v: &Volume, p: [f64; 3]) -> f32 {
    let (x0, x1, tx) = clamped_pair(p[0], v.dims[0]);
    let (y0, y1, ty) = clamped_pair(p[1], v.dims[1]);
    let (z0, z1, tz) = clamped_pair(p[2], v.dims[2]);
    let g = |i, j, k| v.get(i, j, k) as f64;
    let lerp = |a: f64, b: f64, t: f64| a + (b - a) * t;
    let c00 = lerp(g(x0, y0, z0), g(x1, y0, z0), tx);
    let c10 = lerp(g(x0, y1, z0), g(x1, y1, z0), tx);
    let c01 = lerp(g(x0, y0, z1), g(x1, y0, z1), tx);
    let c11 = lerp(g(x0, y1, z1), g(x1, y1, z1), tx);
    lerp(lerp(c00, c10, ty), lerp(c01, c11, ty), tz) as f32
}

/// Nearest voxel: ITK rounds half up (`floor(x + 0.5)`), then clamps to the grid.
fn nearest(v: &Volume, p: [f64; 3]) -> f32 {
    let r = |x: f64, n: usize| ((x + 0.5).floor() as i64).clamp(0, n as i64 - 1) as usize;
    v.get(r(p[0], v.dims[0]), r(p[1], v.dims[1]), r(p[2], v.dims[2]))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ramp() -> Volume {
        let dims = [6, 5, 4];
        let mut v = Volume::zeros(
            dims,
            [
                [2.0, 0.0, 0.0, -5.0],
                [0.0, 2.0, 0.0, 3.0],
                [0.0, 0.0, 3.0, 1.0],
                [0.0, 0.0, 0.0, 1.0],
            ],
        );
        for k in 0..4 {
            for j in 0..5 {
                for i in 0..6 {
                    v.set(i, j, k, (i + 10 * j + 100 * k) as f32);
                }
            }
        }
        v
    }

    /// Onto its own grid with no transform, every interpolator returns the input.
    #[test]
    fn identity_reproduces_the_input() {
        let v = ramp();
        for interp in [
            Interpolation::Nearest,
            Interpolation::Linear,
            Interpolation::BSpline,
        ] {
            let out = resample(&v, &v.grid(), None, interp);
            for (a, b) in out.data.iter().zip(&v.data) {
                assert!((a - b).abs() < 1e-3, "{interp:?}: {a} vs {b}");
            }
        }
    }

    /// A translation by one voxel (2 mm in x) shifts the image; the last column leaves the
    /// input (index n = 6 >= n - 0.5) and becomes 0.
    #[test]
    fn translation_shifts_and_outside_is_zero() {
        let v = ramp();
        let mut t = IDENTITY;
        t[0][3] = 2.0;
        for interp in [
            Interpolation::Nearest,
            Interpolation::Linear,
            Interpolation::BSpline,
        ] {
            let out = resample(&v, &v.grid(), Some(&t), interp);
            for k in 0..4 {
                for j in 0..5 {
                    for i in 0..5 {
                        assert!((out.get(i, j, k) - v.get(i + 1, j, k)).abs() < 1e-3);
                    }
                    assert_eq!(out.get(5, j, k), 0.0, "{interp:?}");
                }
            }
        }
    }

    /// The linear interpolant of a linear ramp is exact between voxel centres.
    #[test]
    fn linear_is_exact_on_a_ramp() {
        let v = ramp();
        let mut t = IDENTITY;
        t[0][3] = 0.7; // 0.35 voxel
        t[1][3] = -0.5; // -0.25 voxel
        let out = resample(&v, &v.grid(), Some(&t), Interpolation::Linear);
        // Voxel (1, 3, 2) reads the input at index (1.35, 2.75, 2).
        let expect = 1.35 + 10.0 * 2.75 + 100.0 * 2.0;
        let got = out.get(1, 3, 2) as f64;
        assert!((got - expect).abs() < 1e-4, "{got}");
    }
}
