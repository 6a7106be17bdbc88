//! Mattes mutual information with an analytic gradient, for rigid transforms.
//!
//! Mattes D, Haynor DR, Vesselle H, Lewellen TK, Eubank W. "PET-CT image registration in the
//! chest using free-form deformations." IEEE TMI 22(1):120-128, 2003; implemented as ITK's
//! `MattesMutualInformationImageToImageMetric`:
//! - a joint histogram of `bins` x `bins` (ITK's default 50) with 2 bins of padding on each side;
//! - Parzen windowing: the fixed intensity falls in one bin (zero-order B-spline), the moving
//!   intensity spreads over four bins with the cubic B-spline kernel `beta3`, so the histogram
//!   (and so MI) is differentiable in the moving intensity;
//! - fixed intensities are sampled at a fixed set of points (chosen once per level), moving
//!   intensities by trilinear interpolation at `T(x)`; samples mapping outside the moving image
//!   are left out (as in ITK);
//! - value = `-MI` (lower is better, ITK's sign), with
//!   `MI = sum p(f,m) log(p(f,m) / (p_f(f) p_m(m)))`;
//! - gradient: `dMI/dmu = sum_{f,m} dp(f,m)/dmu * log(p(f,m) / p_m(m))` (the marginal terms
//!   vanish because the kernel derivative sums to zero), with
//!   `dp(f,m)/dmu = -(1/(N*binsize)) sum_i [f_i = f] beta3'(m - c_i) dM(T(x_i))/dmu` and
//!   `dM/dmu = grad M . dT/dmu`, `dT/dangle_k = dR_k (x - c)`, `dT/dt = I`.

use livermet_io::{Volume, invert_affine};

use crate::transform::RigidTransform;

/// Bins of padding on each side of the histogram (ITK's value).
const PADDING: usize = 2;

/// Cubic B-spline kernel.
#[inline]
fn beta3(x: f64) -> f64 {
    let a = x.abs();
    if a < 1.0 {
        (4.0 - 6.0 * a * a + 3.0 * a * a * a) / 6.0
    } else if a < 2.0 {
        let t = 2.0 - a;
        t * t * t / 6.0
    } else {
        0.0
    }
}

/// Derivative of the cubic B-spline kernel.
#[inline]
fn beta3_derivative(x: f64) -> f64 {
    let a = x.abs();
    if a < 1.0 {
        -2.0 * x + 1.5 * x * a
    } else if a < 2.0 {
        let t = 2.0 - a;
        -0.5 * t * t * x.signum()
    } else {
        0.0
    }
}

/// The fixed image's sample set for one level: points and their fixed-image histogram bins.
#[derive(Debug, Clone)]
pub struct FixedSamples {
    /// Sample points relative to the rotation centre, `x - c`, world mm.
    pub offsets: Vec<[f64; 3]>,
    /// Fixed-image histogram bin of each sample.
    pub bins: Vec<u16>,
}

impl FixedSamples {
    /// Bin the fixed intensities at `points` (world mm) over their own range.
    pub fn new(points: &[[f64; 3]], values: &[f32], centre: [f64; 3], bins: usize) -> Self {
        let (lo, hi) = values
            .iter()
            .fold((f32::INFINITY, f32::NEG_INFINITY), |(l, h), &v| {
                (l.min(v), h.max(v))
            });
        let bin_size = ((hi - lo) as f64 / (bins - 2 * PADDING) as f64).max(f64::MIN_POSITIVE);
        let bin_of = |v: f32| {
            let b = ((v - lo) as f64 / bin_size + PADDING as f64).floor() as i64;
            b.clamp(PADDING as i64, (bins - PADDING - 1) as i64) as u16
        };
        Self {
            offsets: points
                .iter()
                .map(|p| [p[0] - centre[0], p[1] - centre[1], p[2] - centre[2]])
                .collect(),
            bins: values.iter().map(|&v| bin_of(v)).collect(),
        }
    }

    /// Number of samples.
    pub fn len(&self) -> usize {
        self.offsets.len()
    }

    /// True when there are no samples.
    pub fn is_empty(&self) -> bool {
        self.offsets.is_empty()
    }
}

/// The moving image of one level, ready for trilinear sampling with gradient.
#[derive(Debug, Clone)]
pub struct MovingImage {
    dims: [usize; 3],
    data: Vec<f32>,
    /// World mm -> continuous voxel index (rows 0..3 of the inverse affine).
    world_to_voxel: [[f64; 4]; 3],
    min: f32,
    max: f32,
}

impl MovingImage {
    /// Frame 0 of `vol`.
    pub fn new(vol: &Volume) -> Self {
        let inv = invert_affine(&vol.affine);
        // Non-finite voxels (NaN from some reconstructions) would poison the histogram: use 0.
        let data: Vec<f32> = vol.data[..vol.frame_len()]
            .iter()
            .map(|&v| if v.is_finite() { v } else { 0.0 })
            .collect();
        let (min, max) = data
            .iter()
            .fold((f32::INFINITY, f32::NEG_INFINITY), |(l, h), &v| {
                (l.min(v), h.max(v))
            });
        Self {
            dims: vol.dims,
            data,
            world_to_voxel: [inv[0], inv[1], inv[2]],
            min,
            max,
        }
    }

    /// Intensity range `(min, max)`.
    pub fn range(&self) -> (f32, f32) {
        (self.min, self.max)
    }

    /// Trilinear value and its gradient (per voxel index) at continuous index `c`, or `None`
    /// outside `[0, n-1]` on an axis (an axis of one voxel accepts `|c| <= 0.5`).
    #[inline]
    fn sample(&self, c: [f64; 3]) -> Option<(f64, [f64; 3])> {
        let mut base = [0usize; 3];
        let mut frac = [0f64; 3];
        let mut step = [0usize; 3];
        let strides = [1, self.dims[0], self.dims[0] * self.dims[1]];
        for d in 0..3 {
            let n = self.dims[d];
            if n == 1 {
                if c[d].abs() > 0.5 {
                    return None;
                }
                continue;
            }
            if !(c[d] >= 0.0 && c[d] <= (n - 1) as f64) {
                return None;
            }
            let b = (c[d] as usize).min(n - 2);
            base[d] = b;
            frac[d] = c[d] - b as f64;
            step[d] = strides[d];
        }
        let i0 = base[0] + strides[1] * base[1] + strides[2] * base[2];
        let v = |o: usize| self.data[o] as f64;
        let (sx, sy, sz) = (step[0], step[1], step[2]);
        let (v000, v100, v010, v110) = (v(i0), v(i0 + sx), v(i0 + sy), v(i0 + sx + sy));
        let (v001, v101, v011, v111) = (
            v(i0 + sz),
            v(i0 + sx + sz),
            v(i0 + sy + sz),
            v(i0 + sx + sy + sz),
        );
        let [fx, fy, fz] = frac;
        // Along x, then y, then z; derivatives by the product rule of the same blend.
        let c00 = v000 + fx * (v100 - v000);
        let c10 = v010 + fx * (v110 - v010);
        let c01 = v001 + fx * (v101 - v001);
        let c11 = v011 + fx * (v111 - v011);
        let c0 = c00 + fy * (c10 - c00);
        let c1 = c01 + fy * (c11 - c01);
        let value = c0 + fz * (c1 - c0);
        let dz = if sz == 0 { 0.0 } else { c1 - c0 };
        let dy = if sy == 0 {
            0.0
        } else {
            (c10 - c00) + fz * ((c11 - c01) - (c10 - c00))
        };
        let dx0 = (v100 - v000) + fy * ((v110 - v010) - (v100 - v000));
        let dx1 = (v101 - v001) + fy * ((v111 - v011) - (v101 - v001));
        let dx = if sx == 0 { 0.0 } else { dx0 + fz * (dx1 - dx0) };
        Some((value, [dx, dy, dz]))
    }
}

/// Metric value, gradient and how many samples counted.
#[derive(Debug, Clone, Copy)]
pub struct MetricValue {
    /// `-MI` (ITK's sign: lower is better).
    pub value: f64,
    /// d(value)/d(params), params as in [`RigidTransform`].
    pub gradient: [f64; 6],
    /// Samples that mapped inside the moving image.
    pub valid: usize,
}

/// Per-sample values kept between the histogram pass and the gradient pass.
#[derive(Debug, Clone, Copy, Default)]
struct Cached {
    fixed_bin: u16,
    parzen: f64,
    d_value: [f64; 6],
}

/// Mattes MI between fixed samples and a moving image (see the module docs).
#[derive(Debug, Clone)]
pub struct MattesMetric {
    bins: usize,
    moving_min: f64,
    moving_bin_size: f64,
    joint: Vec<f64>,
    cache: Vec<Cached>,
}

impl MattesMetric {
    /// A metric with `bins` histogram bins for a moving image of intensity range `(lo, hi)`.
    pub fn new(bins: usize, moving_range: (f32, f32)) -> Self {
        let (lo, hi) = moving_range;
        let moving_bin_size =
            ((hi - lo) as f64 / (bins - 2 * PADDING) as f64).max(f64::MIN_POSITIVE);
        Self {
            bins,
            moving_min: lo as f64,
            moving_bin_size,
            joint: vec![0.0; bins * bins],
            cache: Vec::new(),
        }
    }

    /// Value and gradient of `-MI` at transform `t` (whose centre must be the one the samples
    /// are relative to).
    pub fn evaluate(
        &mut self,
        fixed: &FixedSamples,
        moving: &MovingImage,
        t: &RigidTransform,
    ) -> MetricValue {
        let b = self.bins;
        let r = t.rotation();
        let dr = t.rotation_derivatives();
        let w2v = &moving.world_to_voxel;
        // v = A (x - c) + off, A = W2V_lin R, off = W2V_lin (c + t) + W2V_offset.
        let mut a = [[0.0; 3]; 3];
        let mut off = [0.0; 3];
        for i in 0..3 {
            for j in 0..3 {
                a[i][j] = (0..3).map(|k| w2v[i][k] * r[k][j]).sum();
            }
            off[i] = w2v[i][3]
                + (0..3)
                    .map(|k| w2v[i][k] * (t.centre[k] + t.params[3 + k]))
                    .sum::<f64>();
        }
        self.joint.iter_mut().for_each(|v| *v = 0.0);
        self.cache.clear();
        for (n, d) in fixed.offsets.iter().enumerate() {
            let mut c = off;
            for i in 0..3 {
                c[i] += a[i][0] * d[0] + a[i][1] * d[1] + a[i][2] * d[2];
            }
            let Some((value, g_vox)) = moving.sample(c) else {
                continue;
            };
            // World-space intensity gradient: W2V_lin^T g_vox.
            let mut g = [0.0; 3];
            for k in 0..3 {
                g[k] = w2v[0][k] * g_vox[0] + w2v[1][k] * g_vox[1] + w2v[2][k] * g_vox[2];
            }
            let mut d_value = [0.0; 6];
            for k in 0..3 {
                let mut jd = [0.0; 3];
                for i in 0..3 {
                    jd[i] = dr[k][i][0] * d[0] + dr[k][i][1] * d[1] + dr[k][i][2] * d[2];
                }
                d_value[k] = g[0] * jd[0] + g[1] * jd[1] + g[2] * jd[2];
            }
            d_value[3..].copy_from_slice(&g);
            let fixed_bin = fixed.bins[n];
            let parzen = (value - self.moving_min) / self.moving_bin_size + PADDING as f64;
            let m0 = (parzen.floor() as usize).clamp(PADDING, b - PADDING - 1);
            let row = &mut self.joint[fixed_bin as usize * b..(fixed_bin as usize + 1) * b];
            for m in m0 - 1..=m0 + 2 {
                row[m] += beta3(m as f64 - parzen);
            }
            self.cache.push(Cached {
                fixed_bin,
                parzen,
                d_value,
            });
        }
        let valid = self.cache.len();
        if valid == 0 {
            return MetricValue {
                value: 0.0,
                gradient: [0.0; 6],
                valid,
            };
        }
        let total: f64 = self.joint.iter().sum();
        let mut fixed_marg = vec![0.0; b];
        let mut moving_marg = vec![0.0; b];
        for f in 0..b {
            for m in 0..b {
                let j = self.joint[f * b + m];
                fixed_marg[f] += j;
                moving_marg[m] += j;
            }
        }
        let mut mi = 0.0;
        // log(p(f,m) / p_m(m)) table for the gradient pass (counts: the 1/N cancels).
        let mut log_ratio = vec![0.0; b * b];
        for f in 0..b {
            for m in 0..b {
                let j = self.joint[f * b + m];
                if j > 1e-16 {
                    mi += j / total * (j * total / (fixed_marg[f] * moving_marg[m])).ln();
                    log_ratio[f * b + m] = (j / moving_marg[m]).ln();
                }
            }
        }
        let mut grad = [0.0; 6];
        for s in &self.cache {
            let m0 = (s.parzen.floor() as usize).clamp(PADDING, b - PADDING - 1);
            let row = &log_ratio[s.fixed_bin as usize * b..(s.fixed_bin as usize + 1) * b];
            let mut term = 0.0;
            for m in m0 - 1..=m0 + 2 {
                term += beta3_derivative(m as f64 - s.parzen) * row[m];
            }
            for k in 0..6 {
                grad[k] += term * s.d_value[k];
            }
        }
        // d(-MI)/dmu = +(1/(N binsize)) sum_i sum_m beta3'(m - c_i) L(f_i, m) dv_i/dmu.
        let scale = 1.0 / (total * self.moving_bin_size);
        MetricValue {
            value: -mi,
            gradient: grad.map(|g| g * scale),
            valid,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use livermet_io::IDENTITY;

    /// Two blobs of different contrast on a 1 mm grid.
    fn blob(dims: [usize; 3], centre: [f64; 3], bright: f32, dark: f32) -> Volume {
        let mut v = Volume::zeros(dims, IDENTITY);
        for k in 0..dims[2] {
            for j in 0..dims[1] {
                for i in 0..dims[0] {
                    let p = [
                        i as f64 - centre[0],
                        j as f64 - centre[1],
                        (k as f64 - centre[2]) * 1.5,
                    ];
                    let r2 = p[0] * p[0] + 0.6 * p[1] * p[1] + p[2] * p[2];
                    let inner = (p[0] - 3.0).powi(2) + p[1].powi(2) + p[2].powi(2);
                    let x = if inner < 16.0 {
                        dark
                    } else if r2 < 100.0 {
                        bright
                    } else {
                        5.0
                    };
                    v.set(i, j, k, x + 0.1 * ((i * 7 + j * 3 + k) % 5) as f32);
                }
            }
        }
        v
    }

    #[test]
    fn kernel_derivative_matches_finite_differences_and_sums_to_zero() {
        for &x in &[-1.7, -1.2, -0.6, 0.0, 0.3, 0.9, 1.4, 1.99] {
            let h = 1e-6;
            let fd = (beta3(x + h) - beta3(x - h)) / (2.0 * h);
            assert!((fd - beta3_derivative(x)).abs() < 1e-6, "x={x}");
        }
        let c = 0.37;
        let s: f64 = (-2..=3).map(|m| beta3(m as f64 - c)).sum();
        let ds: f64 = (-2..=3).map(|m| beta3_derivative(m as f64 - c)).sum();
        assert!((s - 1.0).abs() < 1e-12 && ds.abs() < 1e-12);
    }

    #[test]
    fn analytic_gradient_matches_finite_differences() {
        let fixed = blob([30, 30, 16], [14.5, 15.0, 7.0], 100.0, 40.0);
        let moving = blob([30, 30, 16], [15.5, 14.2, 7.3], 20.0, 90.0);
        let centre = [14.5, 14.5, 7.5];
        let mut points = Vec::new();
        let mut values = Vec::new();
        // An off-grid sample set so no sample sits on a voxel boundary of the moving image.
        for k in 2..14 {
            for j in (2..28).step_by(2) {
                for i in (2..28).step_by(2) {
                    let p = [i as f64 + 0.31, j as f64 + 0.17, k as f64 + 0.23];
                    points.push(p);
                    values.push(fixed.get(i, j, k));
                }
            }
        }
        let samples = FixedSamples::new(&points, &values, centre, 32);
        let img = MovingImage::new(&moving);
        let mut metric = MattesMetric::new(32, img.range());
        let t = RigidTransform {
            params: [0.02, -0.03, 0.05, 0.4, -0.3, 0.2],
            centre,
        };
        let at = metric.evaluate(&samples, &img, &t);
        assert!(at.value < 0.0 && at.valid == samples.len());
        for k in 0..6 {
            let h = if k < 3 { 1e-5 } else { 1e-4 };
            let (mut a, mut b) = (t, t);
            a.params[k] += h;
            b.params[k] -= h;
            let fd = (metric.evaluate(&samples, &img, &a).value
                - metric.evaluate(&samples, &img, &b).value)
                / (2.0 * h);
            let tol = 1e-3 * at.gradient.iter().map(|g| g.abs()).fold(0.0, f64::max) + 1e-9;
            assert!(
                (fd - at.gradient[k]).abs() < tol,
                "param {k}: fd {fd} analytic {}",
                at.gradient[k]
            );
        }
        // Better alignment gives a lower value.
        let aligned = RigidTransform {
            params: [0.0, 0.0, 0.0, 1.0, -0.8, 0.3],
            centre,
        };
        assert!(metric.evaluate(&samples, &img, &aligned).value < at.value);
    }
}
