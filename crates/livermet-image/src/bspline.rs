//! Cubic B-spline interpolation with the exact-interpolation prefilter.
//!
//! Interpolating with cubic B-splines needs coefficients `c` such that the spline
//! `f(x) = sum_k c[k] beta3(x - k)` passes through the samples. They come from the recursive
//! filter of Unser, Aldroubi & Eden (1993), "B-spline signal processing", IEEE TSP 41: a causal and
//! an anti-causal first-order pass with the pole `z = sqrt(3) - 2` and gain `(1 - z)(1 - 1/z) = 6`,
//! run along i, then j, then k.
//!
//! Boundary: whole-sample mirror (`d c b | a b c d | c b a`), used both for the filter's initial
//! values and for taps that fall outside the image when sampling. This is what ITK's
//! `BSplineDecompositionImageFilter` + `BSplineInterpolateImageFunction` do and what scipy's
//! `spline_filter` / `map_coordinates(order=3, mode='mirror')` do, so inside the image all three
//! agree to rounding.

use livermet_io::Volume;
use rayon::prelude::*;

/// The cubic B-spline pole (Unser 1993, Table I): `z = sqrt(3) - 2`.
const POLE: f64 = -0.267_949_192_431_122_7;

/// Prefiltered cubic B-spline coefficients of one 3D frame (f64, i fastest like [`Volume`]).
#[derive(Debug, Clone)]
pub struct BSplineCoefficients {
    /// Grid size `[nx, ny, nz]`.
    pub dims: [usize; 3],
    /// Coefficients, `c[i + nx * (j + ny * k)]`.
    pub coefficients: Vec<f64>,
}

impl BSplineCoefficients {
    /// Prefilter frame 0 of `frame` (the filter is separable: one 1D pass per axis).
    pub fn new(frame: &Volume) -> Self {
        let [nx, ny, nz] = frame.dims;
        let mut c: Vec<f64> = frame.data[..frame.frame_len()]
            .iter()
            .map(|&v| v as f64)
            .collect();
        // Along i: rows are contiguous; rows of all slices in parallel.
        if nx > 1 {
            c.par_chunks_mut(nx).for_each(prefilter_line);
        }
        // Along j (per slice, in parallel) and along k (whole planes): the recursion runs on
        // whole rows/planes at once ("lanes"), which walks memory contiguously.
        if ny > 1 {
            c.par_chunks_mut(nx * ny)
                .for_each(|slice| prefilter_lanes(slice, ny, nx));
        }
        if nz > 1 {
            prefilter_lanes(&mut c, nz, nx * ny);
        }
        Self {
            dims: frame.dims,
            coefficients: c,
        }
    }

    /// The spline's value at a continuous voxel position `p = [i, j, k]` (0-based, voxel centres
    /// at integers). Taps outside the grid are mirrored, so any `p` gives a value; callers decide
    /// which positions count as inside (see [`crate::resample::resample`]).
    pub fn sample(&self, p: [f64; 3]) -> f64 {
        let [nx, ny, nz] = self.dims;
        let (ix, wx) = taps(p[0], nx);
        let (iy, wy) = taps(p[1], ny);
        let (iz, wz) = taps(p[2], nz);
        self.combine(&ix, &wx, &iy, &wy, &iz, &wz)
    }

    /// Weighted sum over the 4x4x4 taps (indices already mirrored into the grid).
    #[inline]
    pub(crate) fn combine(
        &self,
        ix: &[usize; 4],
        wx: &[f64; 4],
        iy: &[usize; 4],
        wy: &[f64; 4],
        iz: &[usize; 4],
        wz: &[f64; 4],
    ) -> f64 {
        let [nx, ny, _] = self.dims;
        let c = &self.coefficients;
        let mut total = 0.0;
        for (&kz, &w_z) in iz.iter().zip(wz) {
            let mut plane = 0.0;
            for (&jy, &w_y) in iy.iter().zip(wy) {
                let base = nx * (jy + ny * kz);
                let row = wx[0] * c[base + ix[0]]
                    + wx[1] * c[base + ix[1]]
                    + wx[2] * c[base + ix[2]]
                    + wx[3] * c[base + ix[3]];
                plane += w_y * row;
            }
            total += w_z * plane;
        }
        total
    }
}

/// In-place cubic B-spline prefilter of one line with mirror boundaries (Unser 1993; the same
/// initialisation as ITK's `BSplineDecompositionImageFilter` and scipy's `mode='mirror'`).
pub(crate) fn prefilter_line(c: &mut [f64]) {
    let n = c.len();
    if n < 2 {
        return;
    }
    let z = POLE;
    let gain = (1.0 - z) * (1.0 - 1.0 / z);
    for v in c.iter_mut() {
        *v *= gain;
    }
    c[0] = initial_causal(c, z);
    for k in 1..n {
        c[k] += z * c[k - 1];
    }
    // Anti-causal initial value for the mirror boundary (Unser 1999, eq. for c-[N-1]).
    c[n - 1] = (z / (z * z - 1.0)) * (c[n - 1] + z * c[n - 2]);
    for k in (0..n - 1).rev() {
        c[k] = z * (c[k + 1] - c[k]);
    }
}

/// The same filter as [`prefilter_line`] applied to `width` interleaved lines at once: `buf`
/// holds `n` rows of `width` values and each column is one line.
fn prefilter_lanes(buf: &mut [f64], n: usize, width: usize) {
    let z = POLE;
    let gain = (1.0 - z) * (1.0 - 1.0 / z);
    buf.iter_mut().for_each(|v| *v *= gain);
    // Causal initial row: weights z^|k| over the mirrored signal (see `initial_causal`).
    let weights = causal_init_weights(n, z);
    let mut first = vec![0.0; width];
    for (m, &w) in weights.iter().enumerate() {
        for (f, &v) in first.iter_mut().zip(&buf[m * width..(m + 1) * width]) {
            *f += w * v;
        }
    }
    buf[..width].copy_from_slice(&first);
    for m in 1..n {
        let (done, rest) = buf.split_at_mut(m * width);
        let prev = &done[(m - 1) * width..];
        for (r, &p) in rest[..width].iter_mut().zip(prev) {
            *r += z * p;
        }
    }
    let scale = z / (z * z - 1.0);
    let (head, last) = buf.split_at_mut((n - 1) * width);
    for (l, &p) in last.iter_mut().zip(&head[(n - 2) * width..]) {
        *l = scale * (*l + z * p);
    }
    for m in (0..n - 1).rev() {
        let (head, tail) = buf.split_at_mut((m + 1) * width);
        for (h, &t) in head[m * width..].iter_mut().zip(&tail[..width]) {
            *h = z * (t - *h);
        }
    }
}

/// Weights `w_m` with `c+[0] = sum_m w_m c[m]` for a line of length `n` (the mirrored causal
/// sum is linear in the line), read off [`initial_causal`] applied to unit vectors.
fn causal_init_weights(n: usize, z: f64) -> Vec<f64> {
    let mut unit = vec![0.0; n];
    (0..n)
        .map(|m| {
            unit[m] = 1.0;
            let w = initial_causal(&unit, z);
            unit[m] = 0.0;
            w
        })
        .collect()
}

/// Causal initial value `c+[0] = sum_k z^|k| c[mirror(k)]` over the mirrored, 2(n-1)-periodic
/// signal. Long lines use the sum truncated where `z^k` drops below 1e-16 (30 terms, as ITK's
/// tolerance-based horizon); short ones the closed form.
fn initial_causal(c: &[f64], z: f64) -> f64 {
    let horizon = 30usize;
    if c.len() <= horizon {
        return initial_causal_exact(c, z);
    }
    let mut zn = z;
    let mut sum = c[0];
    for &v in &c[1..horizon] {
        sum += zn * v;
        zn *= z;
    }
    sum
}

/// The closed form of the mirrored causal sum (Unser's `InitialCausalCoefficient`, full-loop
/// branch), exact for any length >= 2.
fn initial_causal_exact(c: &[f64], z: f64) -> f64 {
    let n = c.len();
    let iz = 1.0 / z;
    let mut zn = z;
    let mut z2n = z.powi(n as i32 - 1);
    let mut sum = c[0] + z2n * c[n - 1];
    z2n = z2n * z2n * iz; // z^(2n - 3)
    for &v in &c[1..n - 1] {
        sum += (zn + z2n) * v;
        zn *= z;
        z2n *= iz;
    }
    sum / (1.0 - zn * zn)
}

/// Mirror an integer index into `0..n` (whole-sample symmetric, period `2(n-1)`).
#[inline]
pub(crate) fn mirror(i: i64, n: usize) -> usize {
    if n == 1 {
        return 0;
    }
    let period = 2 * (n as i64 - 1);
    let mut m = i.rem_euclid(period);
    if m >= n as i64 {
        m = period - m;
    }
    m as usize
}

/// The four tap indices (mirrored into `0..n`) and cubic B-spline weights for position `x`.
/// With `t = x - floor(x)`, the taps are `floor(x) - 1 ..= floor(x) + 2` and the weights are the
/// uniform cubic B-spline `beta3` at distances `1 + t, t, 1 - t, 2 - t`.
#[inline]
pub(crate) fn taps(x: f64, n: usize) -> ([usize; 4], [f64; 4]) {
    let f = x.floor();
    let t = x - f;
    let base = f as i64 - 1;
    let t2 = t * t;
    let t3 = t2 * t;
    let one_t = 1.0 - t;
    let w = [
        one_t * one_t * one_t / 6.0,
        (4.0 - 6.0 * t2 + 3.0 * t3) / 6.0,
        (1.0 + 3.0 * t + 3.0 * t2 - 3.0 * t3) / 6.0,
        t3 / 6.0,
    ];
    let idx = if base >= 0 && base + 3 < n as i64 {
        let b = base as usize;
        [b, b + 1, b + 2, b + 3]
    } else {
        [
            mirror(base, n),
            mirror(base + 1, n),
            mirror(base + 2, n),
            mirror(base + 3, n),
        ]
    };
    (idx, w)
}

#[cfg(test)]
mod tests {
    use super::*;
    use livermet_io::IDENTITY;

    /// The spline through prefiltered coefficients reproduces the samples at integer positions.
    #[test]
    fn interpolates_the_samples_exactly() {
        let dims = [7, 5, 4];
        let n = dims[0] * dims[1] * dims[2];
        let data: Vec<f32> = (0..n)
            .map(|x| ((x * 37 % 101) as f32).sin() * 10.0)
            .collect();
        let vol = Volume::new(dims, 1, IDENTITY, data);
        let coef = BSplineCoefficients::new(&vol);
        for k in 0..dims[2] {
            for j in 0..dims[1] {
                for i in 0..dims[0] {
                    let s = coef.sample([i as f64, j as f64, k as f64]);
                    assert!((s - vol.get(i, j, k) as f64).abs() < 1e-9, "at {i},{j},{k}");
                }
            }
        }
    }

    /// Long lines take the truncated initial sum; it must agree with the closed form.
    #[test]
    fn truncated_and_closed_form_initial_values_agree() {
        let line: Vec<f64> = (0..40).map(|x| (x as f64 * 0.7).cos()).collect();
        let (a, b) = (
            initial_causal(&line, POLE),
            initial_causal_exact(&line, POLE),
        );
        assert!((a - b).abs() < 1e-12, "{a} {b}");
    }

    /// The lane version filters each column exactly like the single-line version.
    #[test]
    fn lanes_agree_with_single_lines() {
        for n in [2, 3, 7, 45] {
            let width = 3;
            let buf: Vec<f64> = (0..n * width)
                .map(|x| ((x * 13 % 17) as f64).sin())
                .collect();
            let mut lanes = buf.clone();
            prefilter_lanes(&mut lanes, n, width);
            for col in 0..width {
                let mut line: Vec<f64> = (0..n).map(|m| buf[m * width + col]).collect();
                prefilter_line(&mut line);
                for m in 0..n {
                    assert!((line[m] - lanes[m * width + col]).abs() < 1e-12, "n {n}");
                }
            }
        }
    }

    #[test]
    fn mirror_reflects_about_the_edge_voxels() {
        assert_eq!(
            [-2, -1, 0, 4, 5, 6].map(|i| mirror(i, 5)),
            [2, 1, 0, 4, 3, 2]
        );
        assert_eq!(mirror(-3, 1), 0);
    }
}
