//! livermet patch (see `vendor/README.md`): batch normalisation (Ioffe & Szegedy 2015) as
//! per-channel loops over f32 NCHW planes.
//!
//! burn-backend's defaults build the batch statistics and their gradient out of generic tensor
//! operations: each `swap_dims(0, 1)` + `reshape` is a transposing copy of the whole feature map,
//! and each elementwise step a further pass. Here, for channel c over its N = batch x spatial
//! values x:
//!
//!   mean = sum(x) / N,  var = sum((x - mean)^2) / N  (biased; sums in f64),
//!   y = gamma * (x - mean) / sqrt(var + eps) + beta,
//!   with x_hat = (x - mean) / sqrt(var + eps) and upstream gradient dy:
//!   d_beta = sum(dy),  d_gamma = sum(dy * x_hat),
//!   dx = gamma / sqrt(var + eps) * (dy - d_beta / N - x_hat * d_gamma / N).
//!
//! Channels (statistics) and planes (elementwise steps) run in parallel; every sum is taken
//! in one fixed order, so results do not depend on the thread count. A plane's sums run in
//! [`LANES`] interleaved f64 accumulators (lane i takes the values at i, i + LANES, ...),
//! combined pairwise in a fixed order: one accumulator would make each sum a chain of
//! dependent additions, a few cycles per value, which for narrow layers cost as much as the
//! convolution itself.

use alloc::vec;
use alloc::vec::Vec;
use burn_backend::DType;
use burn_std::{Bytes, Shape};

use crate::{FlexTensor, Layout};

/// `[batch, channels, spatial]` of an NC... tensor.
fn dims(shape: &[usize]) -> (usize, usize, usize) {
    let (b, c) = (shape[0], shape[1]);
    (b, c, shape[2..].iter().product())
}

fn f32_vec(t: FlexTensor) -> FlexTensor {
    let t = t.to_contiguous();
    debug_assert_eq!(t.dtype(), DType::F32);
    t
}

fn tensor(data: Vec<f32>, shape: Shape) -> FlexTensor {
    FlexTensor::new(Bytes::from_elems(data), Layout::contiguous(shape), DType::F32)
}

/// `f(channel) -> T` for every channel, in parallel where rayon is on; results in channel order.
fn per_channel<T: Send, F: Fn(usize) -> T + Send + Sync>(channels: usize, f: F) -> Vec<T> {
    #[cfg(feature = "rayon")]
    {
        use rayon::prelude::*;
        (0..channels).into_par_iter().map(f).collect()
    }
    #[cfg(not(feature = "rayon"))]
    {
        (0..channels).map(f).collect()
    }
}

/// `f(channel, plane_out, plane_index)` for every (image, channel) plane of `out`.
fn per_plane<F: Fn(usize, &mut [f32], usize) + Send + Sync>(
    out: &mut [f32],
    channels: usize,
    spatial: usize,
    f: F,
) {
    if spatial == 0 {
        return;
    }
    #[cfg(feature = "rayon")]
    {
        use rayon::prelude::*;
        out.par_chunks_mut(spatial)
            .enumerate()
            .for_each(|(p, o)| f(p % channels, o, p));
    }
    #[cfg(not(feature = "rayon"))]
    {
        for (p, o) in out.chunks_mut(spatial).enumerate() {
            f(p % channels, o, p);
        }
    }
}

/// The planes of channel `c`: `batch` slices of `spatial` values.
fn planes(data: &[f32], c: usize, (b, ch, s): (usize, usize, usize)) -> impl Iterator<Item = &[f32]> {
    (0..b).map(move |i| &data[(i * ch + c) * s..(i * ch + c + 1) * s])
}

/// Independent accumulators of one sum (see the module's comment).
const LANES: usize = 8;

/// `(sum f(x_i, y_i).0, sum f(x_i, y_i).1)` over two planes of equal length, in f64, in
/// [`LANES`] interleaved partial sums combined in a fixed order.
#[inline(always)]
fn lane_sums(x: &[f32], y: &[f32], f: impl Fn(f64, f64) -> (f64, f64)) -> (f64, f64) {
    debug_assert_eq!(x.len(), y.len());
    let (mut a, mut b) = ([0.0f64; LANES], [0.0f64; LANES]);
    let (xs, ys) = (x.chunks_exact(LANES), y.chunks_exact(LANES));
    let (xr, yr) = (xs.remainder(), ys.remainder());
    for (xc, yc) in xs.zip(ys) {
        for i in 0..LANES {
            let (u, v) = f(xc[i] as f64, yc[i] as f64);
            a[i] += u;
            b[i] += v;
        }
    }
    for (i, (&xv, &yv)) in xr.iter().zip(yr).enumerate() {
        let (u, v) = f(xv as f64, yv as f64);
        a[i] += u;
        b[i] += v;
    }
    (combine(a), combine(b))
}

/// `sum f(x_i)` over one plane, in f64, as [`lane_sums`].
#[inline(always)]
fn lane_sum(x: &[f32], f: impl Fn(f64) -> f64) -> f64 {
    let mut a = [0.0f64; LANES];
    let xs = x.chunks_exact(LANES);
    let xr = xs.remainder();
    for xc in xs {
        for i in 0..LANES {
            a[i] += f(xc[i] as f64);
        }
    }
    for (i, &xv) in xr.iter().enumerate() {
        a[i] += f(xv as f64);
    }
    combine(a)
}

/// The lanes' partial sums, pairwise in a fixed order.
#[inline(always)]
fn combine(l: [f64; LANES]) -> f64 {
    ((l[0] + l[1]) + (l[2] + l[3])) + ((l[4] + l[5]) + (l[6] + l[7]))
}

/// Batch statistics (mean, biased variance) per channel, in f64.
fn statistics(x: &[f32], d: (usize, usize, usize)) -> Vec<(f64, f64)> {
    let n = (d.0 * d.2).max(1) as f64;
    per_channel(d.1, |c| {
        let sum: f64 = planes(x, c, d).map(|p| lane_sum(p, |v| v)).sum();
        let mean = sum / n;
        let ss: f64 = planes(x, c, d)
            .map(|p| lane_sum(p, |v| (v - mean) * (v - mean)))
            .sum();
        (mean, ss / n)
    })
}

/// `y = x * scale[c] + shift[c]` per plane.
fn affine(x: &[f32], shape: Shape, scale: &[f32], shift: &[f32]) -> FlexTensor {
    let d = dims(&shape);
    let mut out = vec![0.0f32; x.len()];
    per_plane(&mut out, d.1, d.2, |c, o, p| {
        let src = &x[p * d.2..(p + 1) * d.2];
        let (a, b) = (scale[c], shift[c]);
        o.iter_mut().zip(src).for_each(|(o, &v)| *o = v * a + b);
    });
    tensor(out, shape)
}

/// Normalisation with given statistics (inference): `[B, C, ...]` -> same shape.
pub fn batch_norm_f32(
    x: FlexTensor,
    gamma: FlexTensor,
    beta: FlexTensor,
    mean: FlexTensor,
    variance: FlexTensor,
    epsilon: f64,
) -> FlexTensor {
    let (x, gamma, beta) = (f32_vec(x), f32_vec(gamma), f32_vec(beta));
    let (mean, variance) = (f32_vec(mean), f32_vec(variance));
    let (g, b, m, v): (&[f32], &[f32], &[f32], &[f32]) =
        (gamma.storage(), beta.storage(), mean.storage(), variance.storage());
    let scale: Vec<f32> = (0..g.len())
        .map(|c| (g[c] as f64 / (v[c] as f64 + epsilon).sqrt()) as f32)
        .collect();
    let shift: Vec<f32> = (0..g.len())
        .map(|c| (b[c] as f64 - m[c] as f64 * scale[c] as f64) as f32)
        .collect();
    affine(x.storage(), x.layout().shape().clone(), &scale, &shift)
}

/// Normalisation with the batch's own statistics: (output, mean `[C]`, biased variance `[C]`).
pub fn batch_norm_train_f32(
    x: FlexTensor,
    gamma: FlexTensor,
    beta: FlexTensor,
    epsilon: f64,
) -> (FlexTensor, FlexTensor, FlexTensor) {
    let (x, gamma, beta) = (f32_vec(x), f32_vec(gamma), f32_vec(beta));
    let shape = x.layout().shape().clone();
    let d = dims(&shape);
    let xd: &[f32] = x.storage();
    let stats = statistics(xd, d);
    let (g, b): (&[f32], &[f32]) = (gamma.storage(), beta.storage());
    let scale: Vec<f32> = stats
        .iter()
        .zip(g)
        .map(|(&(_, var), &g)| (g as f64 / (var + epsilon).sqrt()) as f32)
        .collect();
    let shift: Vec<f32> = stats
        .iter()
        .zip(&scale)
        .zip(b)
        .map(|((&(mean, _), &s), &b)| (b as f64 - mean * s as f64) as f32)
        .collect();
    let out = affine(xd, shape, &scale, &shift);
    let mean = stats.iter().map(|s| s.0 as f32).collect();
    let var = stats.iter().map(|s| s.1 as f32).collect();
    let c = Shape::from(vec![d.1]);
    (out, tensor(mean, c.clone()), tensor(var, c))
}

/// Gradients of [`batch_norm_train_f32`]: (input, gamma, beta).
pub fn batch_norm_train_backward_f32(
    x: FlexTensor,
    gamma: FlexTensor,
    mean: FlexTensor,
    variance: FlexTensor,
    epsilon: f64,
    output_grad: FlexTensor,
) -> (FlexTensor, FlexTensor, FlexTensor) {
    let (x, gamma, dy) = (f32_vec(x), f32_vec(gamma), f32_vec(output_grad));
    let (mean, variance) = (f32_vec(mean), f32_vec(variance));
    let shape = x.layout().shape().clone();
    let d = dims(&shape);
    let (xd, dyd): (&[f32], &[f32]) = (x.storage(), dy.storage());
    let (g, m, v): (&[f32], &[f32], &[f32]) = (gamma.storage(), mean.storage(), variance.storage());
    let inv_std: Vec<f64> = v.iter().map(|&v| 1.0 / (v as f64 + epsilon).sqrt()).collect();
    // Per channel: (sum dy, sum dy * x_hat).
    let sums = per_channel(d.1, |c| {
        let (mc, ic) = (m[c] as f64, inv_std[c]);
        planes(xd, c, d).zip(planes(dyd, c, d)).fold((0.0, 0.0), |(s, sx), (xp, gp)| {
            let (a, b) = lane_sums(xp, gp, |x, dy| (dy, dy * (x - mc) * ic));
            (s + a, sx + b)
        })
    });
    let n = (d.0 * d.2).max(1) as f64;
    let mut dx = vec![0.0f32; xd.len()];
    per_plane(&mut dx, d.1, d.2, |c, o, p| {
        let (mc, ic) = (m[c] as f64, inv_std[c]);
        let k = (g[c] as f64 * ic) as f32;
        let mean_dy = (sums[c].0 / n) as f32;
        let mean_dy_xhat = (sums[c].1 / n) as f32;
        let (xp, gp) = (&xd[p * d.2..(p + 1) * d.2], &dyd[p * d.2..(p + 1) * d.2]);
        let (mc, ic) = (mc as f32, ic as f32);
        for ((o, &x), &dy) in o.iter_mut().zip(xp).zip(gp) {
            let x_hat = (x - mc) * ic;
            *o = k * (dy - mean_dy - x_hat * mean_dy_xhat);
        }
    });
    let c = Shape::from(vec![d.1]);
    let gamma_grad = sums.iter().map(|s| s.1 as f32).collect();
    let beta_grad = sums.iter().map(|s| s.0 as f32).collect();
    (tensor(dx, shape), tensor(gamma_grad, c.clone()), tensor(beta_grad, c))
}
