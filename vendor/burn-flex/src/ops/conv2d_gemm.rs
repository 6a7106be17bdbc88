//! livermet patch (see `vendor/README.md`): f32 2D convolution and both of its gradients as
//! one im2col + gemm per image, on NCHW data.
//!
//! burn-flex 0.22.1 runs conv2d as a conv3d (an NHWC copy made on one thread, an im2col built
//! element by element, results scattered back to NCHW) and leaves the gradients to
//! burn-backend's defaults: the input gradient as a transposed conv and the weight gradient as a
//! conv of batch-and-channel-swapped tensors (two transposing copies, and an im2col with a
//! kernel as large as the feature map). Profiling livermet's ResNet showed that work, not the
//! gemm, taking most of the training time. Here the classic lowering is used throughout
//! (Chellapilla, Puri & Simard 2006; Caffe, Jia et al. 2014): for image b and group g,
//!
//!   forward:          Y_b[co, n]  = W[co, k] . col(X_b)[k, n]
//!   input gradient:   dX_b        = col2im(W^T[k, co] . dY_b[co, n])
//!   weight gradient:  dW[co, k]  += dY_b[co, n] . col(X_b)^T[n, k]
//!
//! with k = (ci, ky, kx) and n = (oy, ox). The columns are built for a band of output rows at a
//! time so that a band's matrix stays in cache; a band row is a contiguous copy when the
//! stride is 1. Work is split over images; the weight gradient sums fixed chunks of images in
//! chunk order, so the result does not depend on the number of threads.

use alloc::vec;
use alloc::vec::Vec;
use burn_backend::DType;
use burn_backend::ops::ConvOptions;
use burn_std::{Bytes, Shape};

use super::conv2d_direct::{self as direct, Planes};
use super::conv2d_winograd as winograd;
use crate::{FlexTensor, Layout};

/// Target size (f32 elements) of one band of the column matrix: 128 Ki = 512 KiB, within L2.
const BAND_ELEMS: usize = 1 << 17;

/// Images per partial sum of the weight gradient (fixed, so the summation order is too).
const WEIGHT_GRAD_CHUNK: usize = 4;

/// Where the direct kernels (`conv2d_direct.rs`) beat im2col + gemm (measured per shape on
/// the networks' convolutions, one image, one thread): the weight gradient everywhere
/// (1.1-4.5x), the forward pass and the stride-1 input gradient where the group produces at
/// most 32 channels or reads at most 16 (the stem) (1.2-2.9x); wider ones are even.
const DIRECT_MAX_OUT: usize = 32;
const DIRECT_MAX_IN: usize = 16;

/// The direct kernels' plane layout, where they run this convolution: `always` for the
/// weight gradient, else by the channel counts above.
fn direct_planes(g: &Geometry, always: bool) -> Option<Planes> {
    if gemm_forced() {
        return None;
    }
    let narrow = g.c_out_group() <= DIRECT_MAX_OUT || g.c_in_group() <= DIRECT_MAX_IN;
    let fits = (always || narrow) && !g.is_pointwise() && g.n() > 0 && g.k() > 0;
    (fits && direct::available()).then(|| Planes::new(g))
}

/// `LIVERMET_CONV_GEMM` (any value) forces im2col + gemm everywhere, to time the paths on one
/// binary.
fn gemm_forced() -> bool {
    std::env::var_os("LIVERMET_CONV_GEMM").is_some()
}

/// Where Winograd F(2x2, 3x3) or F(4x4, 3x3) (`conv2d_winograd.rs`) runs this convolution
/// (forward, input gradient as a forward conv, weight gradient): a 3x3 stride-1 convolution too
/// wide for the direct kernels, where im2col + gemm spends 2.25x or 4x the multiplications
/// (measured per layer of the paper-sized net, one thread: 1.7-2.5x faster than im2col + gemm
/// with F(2x2) alone).
fn winograd_runs(g: &Geometry) -> bool {
    let wide = g.c_out_group() > DIRECT_MAX_OUT && g.c_in_group() > DIRECT_MAX_IN;
    wide && !gemm_forced() && winograd::applies(g)
}

/// Shapes and options of one 2D convolution, padding given by its begin (top, left) side:
/// the end side only shows in the output size.
#[derive(Clone, Copy, Debug)]
pub(super) struct Geometry {
    pub(super) batch: usize,
    pub(super) c_in: usize,
    pub(super) h: usize,
    pub(super) w: usize,
    pub(super) c_out: usize,
    pub(super) groups: usize,
    pub(super) kh: usize,
    pub(super) kw: usize,
    pub(super) sh: usize,
    pub(super) sw: usize,
    pub(super) ph: usize,
    pub(super) pw: usize,
    pub(super) dh: usize,
    pub(super) dw: usize,
    pub(super) oh: usize,
    pub(super) ow: usize,
}

impl Geometry {
    fn new(x: &[usize], weight: &[usize], options: &ConvOptions<2>, out_hw: [usize; 2]) -> Self {
        let [ph, pw] = options.padding_begin();
        Geometry {
            batch: x[0],
            c_in: x[1],
            h: x[2],
            w: x[3],
            c_out: weight[0],
            groups: options.groups,
            kh: weight[2],
            kw: weight[3],
            sh: options.stride[0],
            sw: options.stride[1],
            ph,
            pw,
            dh: options.dilation[0],
            dw: options.dilation[1],
            oh: out_hw[0],
            ow: out_hw[1],
        }
    }

    /// Output size of the forward conv (both padding sides count).
    fn forward(x: &[usize], weight: &[usize], options: &ConvOptions<2>) -> Self {
        let size = |input: usize, k: usize, s: usize, d: usize, (begin, end): (usize, usize)| {
            (input + begin + end - d * (k - 1) - 1) / s + 1
        };
        let out_hw = [
            size(x[2], weight[2], options.stride[0], options.dilation[0], options.padding[0]),
            size(x[3], weight[3], options.stride[1], options.dilation[1], options.padding[1]),
        ];
        Self::new(x, weight, options, out_hw)
    }

    pub(super) fn c_in_group(&self) -> usize {
        self.c_in / self.groups
    }
    pub(super) fn c_out_group(&self) -> usize {
        self.c_out / self.groups
    }
    /// Rows of the column matrix: one per (input channel of the group, ky, kx).
    pub(super) fn k(&self) -> usize {
        self.c_in_group() * self.kh * self.kw
    }
    /// Output positions per image.
    pub(super) fn n(&self) -> usize {
        self.oh * self.ow
    }
    fn image_in(&self) -> usize {
        self.c_in * self.h * self.w
    }
    fn image_out(&self) -> usize {
        self.c_out * self.n()
    }
    /// A 1x1 conv with stride 1 and no padding reads the image itself as its column matrix.
    pub(super) fn is_pointwise(&self) -> bool {
        let unit = self.kh == 1 && self.kw == 1 && self.sh == 1 && self.sw == 1;
        unit && self.ph == 0 && self.pw == 0 && self.oh == self.h && self.ow == self.w
    }
    /// Output rows per band.
    fn band_rows(&self) -> usize {
        (BAND_ELEMS / (self.k() * self.ow).max(1)).clamp(1, self.oh.max(1))
    }
    fn bands(&self) -> impl Iterator<Item = (usize, usize)> + use<> {
        let rows = self.band_rows();
        let oh = self.oh;
        (0..oh.div_ceil(rows)).map(move |i| (i * rows, ((i + 1) * rows).min(oh)))
    }
    /// Output columns `[lo, hi)` whose input column `ox * s + offset - pad` lies in `[0, size)`.
    pub(super) fn valid(out: usize, s: usize, offset: usize, pad: usize, size: usize) -> (usize, usize) {
        // first ox with ox*s + offset >= pad; last with ox*s + offset <= pad + size - 1.
        if size == 0 {
            return (0, 0);
        }
        let lo = pad.saturating_sub(offset).div_ceil(s).min(out);
        let hi = if offset > pad + size - 1 {
            0
        } else {
            ((pad + size - 1 - offset) / s + 1).min(out)
        };
        (lo, hi.max(lo))
    }
}

/// Fills `col` (`[k, rows * ow]`, row-major) with group `group`'s patches of image `x` for
/// output rows `[oy0, oy1)`; zero where a patch reaches into the padding.
fn im2col(g: &Geometry, x: &[f32], group: usize, (oy0, oy1): (usize, usize), col: &mut [f32]) {
    let nt = (oy1 - oy0) * g.ow;
    let mut rows = col.chunks_exact_mut(nt);
    for c in group * g.c_in_group()..(group + 1) * g.c_in_group() {
        let plane = &x[c * g.h * g.w..(c + 1) * g.h * g.w];
        for ky in 0..g.kh {
            for kx in 0..g.kw {
                let dst = rows.next().expect("column matrix has k rows");
                let (lo, hi) = Geometry::valid(g.ow, g.sw, kx * g.dw, g.pw, g.w);
                for (t, oy) in (oy0..oy1).enumerate() {
                    let d = &mut dst[t * g.ow..(t + 1) * g.ow];
                    let iy = (oy * g.sh + ky * g.dh) as isize - g.ph as isize;
                    if iy < 0 || iy >= g.h as isize || lo == hi {
                        d.fill(0.0);
                        continue;
                    }
                    let src = &plane[iy as usize * g.w..(iy as usize + 1) * g.w];
                    d[..lo].fill(0.0);
                    d[hi..].fill(0.0);
                    let first = lo * g.sw + kx * g.dw - g.pw;
                    let src = &src[first..first + (hi - lo - 1) * g.sw + 1];
                    if g.sw == 1 {
                        d[lo..hi].copy_from_slice(src);
                    } else {
                        gather(&mut d[lo..hi], src, g.sw);
                    }
                }
            }
        }
    }
}

/// `dst[i] = src[i * stride]`; `src` holds exactly `(dst.len() - 1) * stride + 1` values.
/// Indexed (not `step_by`) so that the bounds are checked once and the loop unrolls; stride 2
/// (the network's downsampling convs) is its own instance.
#[inline(always)]
pub(super) fn gather(dst: &mut [f32], src: &[f32], stride: usize) {
    #[inline(always)]
    fn run<const S: usize>(dst: &mut [f32], src: &[f32], stride: usize) {
        let s = if S == 0 { stride } else { S };
        assert!(src.len() > (dst.len() - 1) * s);
        for (i, o) in dst.iter_mut().enumerate() {
            *o = src[i * s];
        }
    }
    if stride == 2 { run::<2>(dst, src, stride) } else { run::<0>(dst, src, stride) }
}

/// `dst[i * stride] += src[i]`, the adjoint of [`gather`].
#[inline]
fn scatter_add(dst: &mut [f32], src: &[f32], stride: usize) {
    fn run<const S: usize>(dst: &mut [f32], src: &[f32], stride: usize) {
        let s = if S == 0 { stride } else { S };
        assert!(dst.len() > (src.len() - 1) * s);
        for (i, v) in src.iter().enumerate() {
            dst[i * s] += *v;
        }
    }
    if stride == 2 { run::<2>(dst, src, stride) } else { run::<0>(dst, src, stride) }
}

/// The adjoint of [`im2col`]: adds each column entry back onto the input position it was read
/// from (`dx` += col2im(`col`)).
fn col2im_add(g: &Geometry, col: &[f32], group: usize, (oy0, oy1): (usize, usize), dx: &mut [f32]) {
    let nt = (oy1 - oy0) * g.ow;
    let mut rows = col.chunks_exact(nt);
    for c in group * g.c_in_group()..(group + 1) * g.c_in_group() {
        let plane = &mut dx[c * g.h * g.w..(c + 1) * g.h * g.w];
        for ky in 0..g.kh {
            for kx in 0..g.kw {
                let src = rows.next().expect("column matrix has k rows");
                let (lo, hi) = Geometry::valid(g.ow, g.sw, kx * g.dw, g.pw, g.w);
                if lo == hi {
                    continue;
                }
                for (t, oy) in (oy0..oy1).enumerate() {
                    let iy = (oy * g.sh + ky * g.dh) as isize - g.ph as isize;
                    if iy < 0 || iy >= g.h as isize {
                        continue;
                    }
                    let s = &src[t * g.ow + lo..t * g.ow + hi];
                    let d = &mut plane[iy as usize * g.w..(iy as usize + 1) * g.w];
                    let first = lo * g.sw + kx * g.dw - g.pw;
                    let d = &mut d[first..first + (hi - lo - 1) * g.sw + 1];
                    if g.sw == 1 {
                        d.iter_mut().zip(s).for_each(|(o, v)| *o += *v);
                    } else {
                        scatter_add(d, s, g.sw);
                    }
                }
            }
        }
    }
}

/// Strides of a matrix operand, in elements: (row stride, column stride).
type Strides = (isize, isize);

/// `dst[m, n] = (accumulate ? dst : 0) + lhs[m, k] . rhs[k, n]`, single-threaded (the callers
/// parallelise over images).
///
/// # Safety
/// The pointers must address matrices of the given shapes and strides.
#[allow(clippy::too_many_arguments)]
pub(super) unsafe fn matmul(
    [m, n, k]: [usize; 3],
    dst: *mut f32,
    dst_rs: isize,
    accumulate: bool,
    lhs: *const f32,
    (lhs_rs, lhs_cs): Strides,
    rhs: *const f32,
    (rhs_rs, rhs_cs): Strides,
) {
    unsafe {
        gemm::gemm(
            m,
            n,
            k,
            dst,
            1,
            dst_rs,
            accumulate,
            lhs,
            lhs_cs,
            lhs_rs,
            rhs,
            rhs_cs,
            rhs_rs,
            if accumulate { 1.0 } else { 0.0 },
            1.0,
            false,
            false,
            false,
            gemm::Parallelism::None,
        );
    }
}

/// Runs `f(image, out_chunk, scratch)` for every image, in parallel where rayon is on. The
/// scratch is the thread's own and kept between calls: rayon's `for_each_init` made one per
/// split job, and zero-filling megabytes of fresh scratch for each was 2% of the paper net's
/// inference. `f` must not call back into `for_each_image` (the kernels run single-threaded).
fn for_each_image<F>(out: &mut [f32], per_image: usize, f: F)
where
    F: Fn(usize, &mut [f32], &mut Vec<f32>) + Send + Sync,
{
    #[cfg(all(feature = "rayon", feature = "std"))]
    {
        use rayon::prelude::*;
        std::thread_local! {
            static SCRATCH: core::cell::RefCell<Vec<f32>> = const { core::cell::RefCell::new(Vec::new()) };
        }
        out.par_chunks_mut(per_image)
            .enumerate()
            .for_each(|(b, o)| SCRATCH.with_borrow_mut(|scratch| f(b, o, scratch)));
    }
    #[cfg(not(all(feature = "rayon", feature = "std")))]
    {
        let mut scratch = Vec::new();
        for (b, o) in out.chunks_mut(per_image).enumerate() {
            f(b, o, &mut scratch);
        }
    }
}

fn contiguous_f32(t: FlexTensor) -> FlexTensor {
    let t = t.to_contiguous();
    debug_assert_eq!(t.dtype(), DType::F32);
    t
}

fn tensor(data: Vec<f32>, shape: [usize; 4]) -> FlexTensor {
    FlexTensor::new(
        Bytes::from_elems(data),
        Layout::contiguous(Shape::from(shape.to_vec())),
        DType::F32,
    )
}

/// The column band of image `x` for `group`, borrowed from the image itself when the conv is
/// pointwise, else built in `scratch`. Row stride of the returned matrix: its band width,
/// or the image's plane size for a pointwise conv.
fn band_columns<'a>(
    g: &Geometry,
    x: &'a [f32],
    group: usize,
    band: (usize, usize),
    scratch: &'a mut Vec<f32>,
) -> (&'a [f32], isize) {
    if g.is_pointwise() {
        let start = group * g.c_in_group() * g.n() + band.0 * g.ow;
        (&x[start..], g.n() as isize)
    } else {
        let nt = (band.1 - band.0) * g.ow;
        scratch.resize(g.k() * nt, 0.0);
        im2col(g, x, group, band, scratch);
        (&scratch[..], nt as isize)
    }
}

/// Forward conv2d of f32 NCHW `x` `[B, C_in, H, W]` with `weight` `[C_out, C_in/groups, KH, KW]`.
pub fn conv2d_f32(
    x: FlexTensor,
    weight: FlexTensor,
    bias: Option<FlexTensor>,
    options: &ConvOptions<2>,
) -> FlexTensor {
    let (x, weight) = (contiguous_f32(x), contiguous_f32(weight));
    let g = Geometry::forward(x.layout().shape(), weight.layout().shape(), options);
    let (xd, wd): (&[f32], &[f32]) = (x.storage(), weight.storage());
    let bias = bias.map(contiguous_f32);
    let bd: Option<&[f32]> = bias.as_ref().map(|b| b.storage());
    let mut out = vec![0.0f32; g.batch * g.image_out()];
    if let Some(p) = direct_planes(&g, false) {
        let cog = g.c_out_group();
        for_each_image(&mut out, g.image_out(), |b, y, scratch| {
            let x_b = &xd[b * g.image_in()..(b + 1) * g.image_in()];
            scratch.resize(p.len(&g), 0.0);
            for group in 0..g.groups {
                p.fill(&g, x_b, group, scratch);
                let w_g = &wd[group * cog * g.k()..];
                let b_g = bd.map(|bd| &bd[group * cog..(group + 1) * cog]);
                direct::forward(&g, &p, scratch, w_g, b_g, &mut y[group * cog * g.n()..]);
            }
        });
    } else if winograd_runs(&g) {
        let u = winograd::transform_kernel(&g, wd);
        let n = winograd::images_per_call(&g);
        for_each_image(&mut out, n * g.image_out(), |call, y, scratch| {
            let x_c = &xd[call * n * g.image_in()..][..y.len() / g.image_out() * g.image_in()];
            winograd::forward(&g, &u, x_c, bd, y, scratch);
        });
    } else if g.n() > 0 && g.k() > 0 {
        for_each_image(&mut out, g.image_out(), |b, y, scratch| {
            let x_b = &xd[b * g.image_in()..(b + 1) * g.image_in()];
            for group in 0..g.groups {
                let w_g = &wd[group * g.c_out_group() * g.k()..];
                for band in g.bands() {
                    let nt = (band.1 - band.0) * g.ow;
                    let (col, col_rs) = band_columns(&g, x_b, group, band, scratch);
                    let y_g = &mut y[group * g.c_out_group() * g.n() + band.0 * g.ow..];
                    // SAFETY: W_g is [c_out_g, k] row-major; col is [k, nt] with row stride
                    // col_rs; the output band is [c_out_g, nt] with row stride n.
                    unsafe {
                        matmul(
                            [g.c_out_group(), nt, g.k()],
                            y_g.as_mut_ptr(),
                            g.n() as isize,
                            false,
                            w_g.as_ptr(),
                            (g.k() as isize, 1),
                            col.as_ptr(),
                            (col_rs, 1),
                        );
                    }
                }
            }
            if let Some(bd) = bd {
                for (plane, &v) in y.chunks_exact_mut(g.n()).zip(bd) {
                    plane.iter_mut().for_each(|o| *o += v);
                }
            }
        });
    }
    tensor(out, [g.batch, g.c_out, g.oh, g.ow])
}

/// Gradient of conv2d with respect to its input `[B, C_in, H, W]`, given the output gradient.
pub fn conv2d_x_backward_f32(
    x_shape: &[usize],
    weight: FlexTensor,
    output_grad: FlexTensor,
    options: &ConvOptions<2>,
) -> FlexTensor {
    let (weight, grad) = (contiguous_f32(weight), contiguous_f32(output_grad));
    let gs = grad.layout().shape();
    let g = Geometry::new(x_shape, weight.layout().shape(), options, [gs[2], gs[3]]);
    let (wd, gd): (&[f32], &[f32]) = (weight.storage(), grad.storage());
    let mut dx = vec![0.0f32; g.batch * g.image_in()];
    // A stride-1 input gradient is a forward conv of the output gradient (conv2d_direct.rs).
    let transposed = direct::x_grad_as_forward(&g, wd);
    let planes = transposed.as_ref().and_then(|(t, _)| direct_planes(t, false));
    let winograd = transposed.as_ref().filter(|(t, _)| planes.is_none() && winograd_runs(t));
    if let (Some((t, flipped)), Some(p)) = (&transposed, planes) {
        let cog = t.c_out_group();
        for_each_image(&mut dx, g.image_in(), |b, dx_b, scratch| {
            let dy_b = &gd[b * g.image_out()..(b + 1) * g.image_out()];
            scratch.resize(p.len(&t), 0.0);
            for group in 0..t.groups {
                p.fill(&t, dy_b, group, scratch);
                let w_g = &flipped[group * cog * t.k()..];
                direct::forward(t, &p, scratch, w_g, None, &mut dx_b[group * cog * t.n()..]);
            }
        });
    } else if let Some((t, flipped)) = winograd {
        let u = winograd::transform_kernel(t, flipped);
        let n = winograd::images_per_call(t);
        for_each_image(&mut dx, n * g.image_in(), |call, dx_c, scratch| {
            let images = dx_c.len() / g.image_in();
            let dy_c = &gd[call * n * g.image_out()..][..images * g.image_out()];
            winograd::forward(t, &u, dy_c, None, dx_c, scratch);
        });
    } else if g.n() > 0 && g.k() > 0 {
        for_each_image(&mut dx, g.image_in(), |b, dx_b, scratch| {
            let dy_b = &gd[b * g.image_out()..(b + 1) * g.image_out()];
            for group in 0..g.groups {
                let w_g = &wd[group * g.c_out_group() * g.k()..];
                for band in g.bands() {
                    let nt = (band.1 - band.0) * g.ow;
                    let dy = &dy_b[group * g.c_out_group() * g.n() + band.0 * g.ow..];
                    if g.is_pointwise() {
                        // The column matrix is the gradient image itself: accumulate in place.
                        let dst = &mut dx_b[group * g.c_in_group() * g.n() + band.0 * g.ow..];
                        // SAFETY: W_g^T is [k, c_out_g] (strides 1, k); dY band [c_out_g, nt]
                        // with row stride n; destination [k, nt] with row stride n.
                        unsafe {
                            matmul(
                                [g.k(), nt, g.c_out_group()],
                                dst.as_mut_ptr(),
                                g.n() as isize,
                                true,
                                w_g.as_ptr(),
                                (1, g.k() as isize),
                                dy.as_ptr(),
                                (g.n() as isize, 1),
                            );
                        }
                        continue;
                    }
                    scratch.resize(g.k() * nt, 0.0);
                    // SAFETY: as above, into the [k, nt] scratch band.
                    unsafe {
                        matmul(
                            [g.k(), nt, g.c_out_group()],
                            scratch.as_mut_ptr(),
                            nt as isize,
                            false,
                            w_g.as_ptr(),
                            (1, g.k() as isize),
                            dy.as_ptr(),
                            (g.n() as isize, 1),
                        );
                    }
                    col2im_add(&g, scratch, group, band, dx_b);
                }
            }
        });
    }
    tensor(dx, [g.batch, g.c_in, g.h, g.w])
}

/// Gradient of conv2d with respect to its weight `[C_out, C_in/groups, KH, KW]`.
pub fn conv2d_weight_backward_f32(
    x: FlexTensor,
    weight_shape: &[usize],
    output_grad: FlexTensor,
    options: &ConvOptions<2>,
) -> FlexTensor {
    let (x, grad) = (contiguous_f32(x), contiguous_f32(output_grad));
    let gs = grad.layout().shape();
    let g = Geometry::new(x.layout().shape(), weight_shape, options, [gs[2], gs[3]]);
    let (xd, gd): (&[f32], &[f32]) = (x.storage(), grad.storage());
    let size = g.c_out * g.k();
    let chunks = g.batch.div_ceil(WEIGHT_GRAD_CHUNK);
    let ws = weight_shape;
    let mut partials = vec![0.0f32; chunks * size];
    if winograd_runs(&g) {
        // Each chunk sums its images in the transformed domain, then maps its sum back to the
        // kernel's 9 taps: per-chunk partials of 16 values per channel pair would pass
        // malloc's mmap threshold for a 256-channel layer (fresh pages faulted in every step).
        for_each_image(&mut partials, size, |chunk, dw, scratch| {
            let images = chunk * WEIGHT_GRAD_CHUNK..((chunk + 1) * WEIGHT_GRAD_CHUNK).min(g.batch);
            let mut du = vec![0.0f32; winograd::transformed_len(&g)];
            let x_c = &xd[images.start * g.image_in()..images.end * g.image_in()];
            let dy_c = &gd[images.start * g.image_out()..images.end * g.image_out()];
            winograd::weight_grad(&g, x_c, dy_c, &mut du, scratch);
            winograd::kernel_grad(&g, &du, dw);
        });
    } else if let Some(p) = direct_planes(&g, true) {
        let cog = g.c_out_group();
        for_each_image(&mut partials, size, |chunk, dw, scratch| {
            let images = chunk * WEIGHT_GRAD_CHUNK..((chunk + 1) * WEIGHT_GRAD_CHUNK).min(g.batch);
            let mut dy_rows = Vec::new();
            scratch.resize(p.len(&g), 0.0);
            for b in images {
                let x_b = &xd[b * g.image_in()..(b + 1) * g.image_in()];
                let dy_b = &gd[b * g.image_out()..(b + 1) * g.image_out()];
                for group in 0..g.groups {
                    p.fill(&g, x_b, group, scratch);
                    let dy_g = &dy_b[group * cog * g.n()..(group + 1) * cog * g.n()];
                    let dw_g = &mut dw[group * cog * g.k()..(group + 1) * cog * g.k()];
                    direct::weight_grad(&g, &p, scratch, dy_g, &mut dy_rows, dw_g);
                }
            }
        });
    } else if g.n() > 0 && size > 0 {
        for_each_image(&mut partials, size, |chunk, dw, scratch| {
            let images = chunk * WEIGHT_GRAD_CHUNK..((chunk + 1) * WEIGHT_GRAD_CHUNK).min(g.batch);
            for b in images {
                let x_b = &xd[b * g.image_in()..(b + 1) * g.image_in()];
                let dy_b = &gd[b * g.image_out()..(b + 1) * g.image_out()];
                for group in 0..g.groups {
                    let dw_g = &mut dw[group * g.c_out_group() * g.k()..];
                    for band in g.bands() {
                        let nt = (band.1 - band.0) * g.ow;
                        let dy = &dy_b[group * g.c_out_group() * g.n() + band.0 * g.ow..];
                        let (col, col_rs) = band_columns(&g, x_b, group, band, scratch);
                        // SAFETY: dY band [c_out_g, nt] (row stride n); col^T [nt, k] read
                        // with strides (1, col_rs); dW_g [c_out_g, k] row-major.
                        unsafe {
                            matmul(
                                [g.c_out_group(), g.k(), nt],
                                dw_g.as_mut_ptr(),
                                g.k() as isize,
                                true,
                                dy.as_ptr(),
                                (g.n() as isize, 1),
                                col.as_ptr(),
                                (1, col_rs),
                            );
                        }
                    }
                }
            }
        });
    }
    tensor(sum_in_order(&partials, size), [ws[0], ws[1], ws[2], ws[3]])
}

/// The sum of the chunks' partial gradients (`size` values each), in chunk order
/// (deterministic whatever the thread count).
fn sum_in_order(partials: &[f32], size: usize) -> Vec<f32> {
    let mut sum = vec![0.0f32; size];
    for part in partials.chunks_exact(size.max(1)) {
        sum.iter_mut().zip(part).for_each(|(o, v)| *o += *v);
    }
    sum
}
