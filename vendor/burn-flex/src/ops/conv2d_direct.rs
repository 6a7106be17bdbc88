//! livermet patch (see `vendor/README.md`): direct f32 2D convolution on x86-64 with AVX2 and
//! FMA, or AVX-512 where the CPU has it, for one image at a time: the forward pass (any stride,
//! padding, dilation), and the weight gradient; the stride-1 input gradient is the forward pass
//! of the output gradient with the flipped, transposed kernel.
//!
//! The input is first rearranged once per image into zero-padded *phase planes* (space to
//! depth): for stride (sh, sw), padded channel c splits into sh x sw planes,
//! `P[c, py, px][i, j] = x_pad[c][i*sh + py][j*sw + px]`. A kernel tap (c, ky, kx) then reads
//! plane (c, ky*dh % sh, kx*dw % sw) shifted by (ky*dh / sh, kx*dw / sw), so for every tap and
//! output row the inputs of consecutive output columns are consecutive in memory, whatever the
//! stride: `y[co, oy, ox] = sum_t W[co, t] * P[offset(t) + oy * row + ox]`. The microkernel keeps
//! a tile of outputs in registers (AVX2: 4 channels x 16 columns or 8 x 8; AVX-512: 8 x 32 or
//! 16 x 16) and streams the taps; no column matrix is built. This is what pays for narrow
//! convolutions (few output channels, e.g. the 7x7 stride-2 stem with 8 output channels),
//! where im2col + gemm spends most of its time writing and reading the column matrix. Every
//! output is the same chain of fused multiply-adds over the taps whatever the vector width,
//! so the forward pass gives the same bits on AVX2 and AVX-512.
//!
//! The weight gradient is the same sum read the other way: `dW[co, t] = sum_{oy, ox}
//! dY[co, oy, ox] * P[offset(t) + oy * row + ox]`, a tile of channels x 3 taps of per-lane
//! partial sums in registers over a band of rows, reduced in a fixed order (bit-identical on
//! any thread count; the AVX2 and AVX-512 kernels split the columns over 8 or 16 lanes, so
//! their sums differ in the last bits).
//!
//! On Zen 5 and other CPUs with full-width 512-bit units the AVX-512 kernels do twice the
//! work per instruction; `LIVERMET_CONV_AVX2` (any value, read once) keeps the AVX2 kernels,
//! to time or test both on one machine.

use alloc::vec::Vec;

use super::conv2d_gemm::Geometry;

/// Output channels and vectors of 8 columns per register tile of the AVX2 forward kernel.
const CO_TILE: usize = 4;
const X_TILE: usize = 2;
/// Taps per register tile of the weight gradient.
const TAP_TILE: usize = 3;
const LANES: usize = 8;
/// The planes' rows (and the padded output gradient's) are whole AVX-512 vectors long, so
/// that either kernel loads whole vectors.
const ROW_ALIGN: usize = 16;

/// Where the taps of one group read the phase planes of one image.
#[derive(Debug)]
pub(super) struct Planes {
    /// Rows of one plane and its row length (>= output width rounded up to [`ROW_ALIGN`], plus
    /// the largest column shift).
    rows: usize,
    row: usize,
    /// Output width rounded up to [`ROW_ALIGN`].
    width: usize,
    /// Planes per input channel (sh * sw).
    phases: usize,
    /// Start of tap t = (ci, ky, kx) of the group, in the order of the kernel's layout.
    offsets: Vec<usize>,
}

impl Planes {
    pub(super) fn new(g: &Geometry) -> Self {
        let (sh, sw) = (g.sh, g.sw);
        let padded_rows = (g.oh - 1) * sh + (g.kh - 1) * g.dh + 1;
        let rows = padded_rows.div_ceil(sh);
        let width = g.ow.next_multiple_of(ROW_ALIGN);
        let row = width + (g.kw - 1) * g.dw / sw;
        let phases = sh * sw;
        let mut offsets = Vec::with_capacity(g.k());
        for c in 0..g.c_in_group() {
            for ky in 0..g.kh {
                for kx in 0..g.kw {
                    let (py, dy) = ((ky * g.dh) % sh, (ky * g.dh) / sh);
                    let (px, dx) = ((kx * g.dw) % sw, (kx * g.dw) / sw);
                    offsets.push(((c * phases + py * sw + px) * rows + dy) * row + dx);
                }
            }
        }
        Planes { rows, row, width, phases, offsets }
    }

    /// Elements of the planes of one group.
    pub(super) fn len(&self, g: &Geometry) -> usize {
        g.c_in_group() * self.phases * self.rows * self.row
    }

    /// Fills `out` (`len()` values) with the phase planes of group `group` of image `x`.
    pub(super) fn fill(&self, g: &Geometry, x: &[f32], group: usize, out: &mut [f32]) {
        #[cfg(target_arch = "x86_64")]
        if avx512() {
            // SAFETY: the CPU has AVX-512F (`avx512()`); the stride-2 gathers then run as
            // 16-lane permutes (compiled for SSE2 they took 7% of the quick net's training).
            return unsafe { avx512::fill(self, g, x, group, out) };
        }
        self.fill_rows(g, x, group, out);
    }

    #[inline(always)]
    fn fill_rows(&self, g: &Geometry, x: &[f32], group: usize, out: &mut [f32]) {
        let mut planes = out.chunks_exact_mut(self.rows * self.row);
        for c in group * g.c_in_group()..(group + 1) * g.c_in_group() {
            let src = &x[c * g.h * g.w..(c + 1) * g.h * g.w];
            for py in 0..g.sh {
                for px in 0..g.sw {
                    let plane = planes.next().expect("one plane per channel and phase");
                    let (lo, hi) = Geometry::valid(self.row, g.sw, px, g.pw, g.w);
                    for (i, dst) in plane.chunks_exact_mut(self.row).enumerate() {
                        let iy = (i * g.sh + py) as isize - g.ph as isize;
                        if iy < 0 || iy >= g.h as isize || lo == hi {
                            dst.fill(0.0);
                            continue;
                        }
                        let s = &src[iy as usize * g.w..(iy as usize + 1) * g.w];
                        dst[..lo].fill(0.0);
                        dst[hi..].fill(0.0);
                        let first = lo * g.sw + px - g.pw;
                        let s = &s[first..first + (hi - lo - 1) * g.sw + 1];
                        if g.sw == 1 {
                            dst[lo..hi].copy_from_slice(s);
                        } else {
                            super::conv2d_gemm::gather(&mut dst[lo..hi], s, g.sw);
                        }
                    }
                }
            }
        }
    }
}

/// Whether this machine runs the direct kernels (AVX2 + FMA, checked once by std).
pub(super) fn available() -> bool {
    #[cfg(all(target_arch = "x86_64", feature = "std"))]
    {
        std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma")
    }
    #[cfg(not(all(target_arch = "x86_64", feature = "std")))]
    {
        false
    }
}

/// Whether the AVX-512 kernels run: the CPU has AVX-512F and `LIVERMET_CONV_AVX2` is unset
/// (both checked once).
pub(super) fn avx512() -> bool {
    #[cfg(all(target_arch = "x86_64", feature = "std"))]
    {
        static WIDE: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
        *WIDE.get_or_init(|| {
            let forced = std::env::var_os("LIVERMET_CONV_AVX2").is_some();
            !forced && std::is_x86_feature_detected!("avx512f")
        })
    }
    #[cfg(not(all(target_arch = "x86_64", feature = "std")))]
    {
        false
    }
}

/// `y_g[co, oy, ox] = bias[co] + sum_t w_g[co, t] * planes[...]` for the `c_out_group`
/// channels of one group of one image (`y_g` is `[c_out_group, oh, ow]`, every value written).
/// Call only where [`available`].
pub(super) fn forward(
    g: &Geometry,
    p: &Planes,
    planes: &[f32],
    w_g: &[f32],
    bias: Option<&[f32]>,
    y_g: &mut [f32],
) {
    let k = g.k();
    assert!(planes.len() >= p.len(g) && w_g.len() >= g.c_out_group() * k);
    assert!(y_g.len() >= g.c_out_group() * g.n() && p.offsets.len() == k);
    #[cfg(target_arch = "x86_64")]
    // SAFETY: `available()` was checked by the caller; the kernel reads planes at
    // offsets[t] + oy * row + [0, width), inside the planes by construction (see `Planes::new`),
    // and writes y_g only inside [c_out_group, oh, ow]; `avx512()` checked the CPU for that
    // kernel.
    unsafe {
        if avx512() {
            avx512::forward(g, p, planes, w_g, bias, y_g)
        } else {
            avx2::forward(g, p, planes, w_g, bias, y_g)
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    unreachable!("direct conv2d needs x86-64 AVX2");
}

/// `dw_g[co, t] += sum_{oy, ox} dy_g[co, oy, ox] * planes[...]` for one group of one image;
/// `dy_rows` is scratch for the output gradient padded to whole vectors. Call only where
/// [`available`].
pub(super) fn weight_grad(
    g: &Geometry,
    p: &Planes,
    planes: &[f32],
    dy_g: &[f32],
    dy_rows: &mut Vec<f32>,
    dw_g: &mut [f32],
) {
    let k = g.k();
    assert!(planes.len() >= p.len(g) && dw_g.len() >= g.c_out_group() * k);
    assert!(dy_g.len() >= g.c_out_group() * g.n() && p.offsets.len() == k);
    // The output gradient with each row zero-extended to whole vectors (the planes beyond
    // column ow hold finite values, so the products there are zeros).
    dy_rows.clear();
    dy_rows.resize(g.c_out_group() * g.oh * p.width, 0.0);
    for (dst, src) in dy_rows.chunks_exact_mut(p.width).zip(dy_g.chunks_exact(g.ow)) {
        dst[..g.ow].copy_from_slice(src);
    }
    #[cfg(target_arch = "x86_64")]
    // SAFETY: as in `forward`; dy_rows is [c_out_group, oh, width].
    unsafe {
        if avx512() {
            avx512::weight_grad(g, p, planes, dy_rows, dw_g)
        } else {
            avx2::weight_grad(g, p, planes, dy_rows, dw_g)
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    unreachable!("direct conv2d needs x86-64 AVX2");
}

/// The input gradient of a stride-1 convolution as a forward convolution of the output
/// gradient: the geometry (input `[c_out, oh, ow]`, output `[c_in, h, w]`, padding
/// `dilation * (k - 1) - pad`) and the kernel `[c_in, c_out / groups, kh, kw]` flipped in both
/// axes with its channel axes swapped per group. `None` where that does not hold (a stride
/// above 1, or padding wider than the kernel's reach).
pub(super) fn x_grad_as_forward(g: &Geometry, w: &[f32]) -> Option<(Geometry, Vec<f32>)> {
    let (reach_h, reach_w) = ((g.kh - 1) * g.dh, (g.kw - 1) * g.dw);
    if g.sh != 1 || g.sw != 1 || g.ph > reach_h || g.pw > reach_w {
        return None;
    }
    let t = Geometry {
        batch: g.batch,
        c_in: g.c_out,
        h: g.oh,
        w: g.ow,
        c_out: g.c_in,
        groups: g.groups,
        kh: g.kh,
        kw: g.kw,
        sh: 1,
        sw: 1,
        ph: reach_h - g.ph,
        pw: reach_w - g.pw,
        dh: g.dh,
        dw: g.dw,
        oh: g.h,
        ow: g.w,
    };
    let (cig, cog, kk) = (g.c_in_group(), g.c_out_group(), g.kh * g.kw);
    let mut flipped = Vec::with_capacity(w.len());
    for group in 0..g.groups {
        for ci in 0..cig {
            for co in 0..cog {
                let kernel = &w[((group * cog + co) * cig + ci) * kk..][..kk];
                flipped.extend(kernel.iter().rev());
            }
        }
    }
    Some((t, flipped))
}

#[cfg(target_arch = "x86_64")]
mod avx2 {
    use core::arch::x86_64::*;

    use super::{CO_TILE, LANES, Planes, TAP_TILE, X_TILE};
    use crate::ops::conv2d_gemm::Geometry;

    #[target_feature(enable = "avx2,fma")]
    pub(super) unsafe fn forward(
        g: &Geometry,
        p: &Planes,
        planes: &[f32],
        w: &[f32],
        bias: Option<&[f32]>,
        y: &mut [f32],
    ) {
        let (k, n, cog) = (g.k(), g.n(), g.c_out_group());
        let vectors = g.ow.div_ceil(LANES);
        for oy in 0..g.oh {
            let src = unsafe { planes.as_ptr().add(oy * p.row) };
            // Tiles of 2 vectors x 4 channels, an odd last vector as 1 x 8 channels: 8
            // accumulators either way, which with the loads fit the 16 registers.
            let mut v = 0;
            while v < vectors {
                let xv = (vectors - v).min(X_TILE);
                let ox = v * LANES;
                let cb_max = if xv == X_TILE { CO_TILE } else { 2 * CO_TILE };
                let mut co = 0;
                while co < cog {
                    let cb = (cog - co).min(cb_max);
                    let b = bias.map(|b| &b[co..co + cb]);
                    let (s, wp) = unsafe { (src.add(ox), w.as_ptr().add(co * k)) };
                    let d = unsafe { y.as_mut_ptr().add(co * n + oy * g.ow + ox) };
                    let left = g.ow - ox;
                    unsafe {
                        match (xv, cb) {
                            (2, 4) => tile::<4, 2>(p, s, wp, k, b, d, n, left),
                            (2, 3) => tile::<3, 2>(p, s, wp, k, b, d, n, left),
                            (2, 2) => tile::<2, 2>(p, s, wp, k, b, d, n, left),
                            (2, _) => tile::<1, 2>(p, s, wp, k, b, d, n, left),
                            (_, 8) => tile::<8, 1>(p, s, wp, k, b, d, n, left),
                            (_, 7) => tile::<7, 1>(p, s, wp, k, b, d, n, left),
                            (_, 6) => tile::<6, 1>(p, s, wp, k, b, d, n, left),
                            (_, 5) => tile::<5, 1>(p, s, wp, k, b, d, n, left),
                            (_, 4) => tile::<4, 1>(p, s, wp, k, b, d, n, left),
                            (_, 3) => tile::<3, 1>(p, s, wp, k, b, d, n, left),
                            (_, 2) => tile::<2, 1>(p, s, wp, k, b, d, n, left),
                            (_, _) => tile::<1, 1>(p, s, wp, k, b, d, n, left),
                        }
                    }
                    co += cb;
                }
                v += xv;
            }
        }
    }

    /// `CB` channels x `XV` vectors of one output row, all taps; `left` columns of the row
    /// remain from this tile on (the last tile may store fewer than `XV * 8`).
    #[inline(always)]
    #[allow(clippy::too_many_arguments)]
    unsafe fn tile<const CB: usize, const XV: usize>(
        p: &Planes,
        src: *const f32,
        w: *const f32,
        k: usize,
        bias: Option<&[f32]>,
        dst: *mut f32,
        n: usize,
        left: usize,
    ) {
        unsafe {
            let mut acc = [[_mm256_setzero_ps(); XV]; CB];
            if let Some(b) = bias {
                for (j, a) in acc.iter_mut().enumerate() {
                    *a = [_mm256_set1_ps(b[j]); XV];
                }
            }
            for (t, &off) in p.offsets.iter().enumerate() {
                let s = src.add(off);
                let mut v = [_mm256_setzero_ps(); XV];
                for (i, v) in v.iter_mut().enumerate() {
                    *v = _mm256_loadu_ps(s.add(i * LANES));
                }
                for (j, a) in acc.iter_mut().enumerate() {
                    let wj = _mm256_broadcast_ss(&*w.add(j * k + t));
                    for i in 0..XV {
                        a[i] = _mm256_fmadd_ps(wj, v[i], a[i]);
                    }
                }
            }
            for (j, a) in acc.iter().enumerate() {
                let d = dst.add(j * n);
                for (i, v) in a.iter().enumerate() {
                    let start = i * LANES;
                    if start + LANES <= left {
                        _mm256_storeu_ps(d.add(start), *v);
                    } else if start < left {
                        let mut tmp = [0.0f32; LANES];
                        _mm256_storeu_ps(tmp.as_mut_ptr(), *v);
                        core::ptr::copy_nonoverlapping(tmp.as_ptr(), d.add(start), left - start);
                    }
                }
            }
        }
    }

    #[target_feature(enable = "avx2,fma")]
    pub(super) unsafe fn weight_grad(
        g: &Geometry,
        p: &Planes,
        planes: &[f32],
        dy: &[f32],
        dw: &mut [f32],
    ) {
        let (k, cog) = (g.k(), g.c_out_group());
        let plane = g.oh * p.width;
        let cols = g.ow.next_multiple_of(LANES);
        // Bands of rows small enough that a tile's dY and plane rows stay in L1.
        let band = (512 / p.width).clamp(1, g.oh);
        let mut oy0 = 0;
        while oy0 < g.oh {
            let span = (oy0, (oy0 + band).min(g.oh), cols);
            let mut co = 0;
            while co < cog {
                let cb = (cog - co).min(CO_TILE);
                let d = unsafe { dy.as_ptr().add(co * plane) };
                let mut t = 0;
                while t < k {
                    let tb = (k - t).min(TAP_TILE);
                    let out = &mut dw[co * k + t..];
                    let offs = &p.offsets[t..t + tb];
                    unsafe {
                        match (cb, tb) {
                            (4, 3) => wtile::<4, 3>(p, planes, offs, d, plane, span, out, k),
                            (4, 2) => wtile::<4, 2>(p, planes, offs, d, plane, span, out, k),
                            (4, _) => wtile::<4, 1>(p, planes, offs, d, plane, span, out, k),
                            (3, 3) => wtile::<3, 3>(p, planes, offs, d, plane, span, out, k),
                            (3, 2) => wtile::<3, 2>(p, planes, offs, d, plane, span, out, k),
                            (3, _) => wtile::<3, 1>(p, planes, offs, d, plane, span, out, k),
                            (2, 3) => wtile::<2, 3>(p, planes, offs, d, plane, span, out, k),
                            (2, 2) => wtile::<2, 2>(p, planes, offs, d, plane, span, out, k),
                            (2, _) => wtile::<2, 1>(p, planes, offs, d, plane, span, out, k),
                            (_, 3) => wtile::<1, 3>(p, planes, offs, d, plane, span, out, k),
                            (_, 2) => wtile::<1, 2>(p, planes, offs, d, plane, span, out, k),
                            (_, _) => wtile::<1, 1>(p, planes, offs, d, plane, span, out, k),
                        }
                    }
                    t += tb;
                }
                co += cb;
            }
            oy0 = span.1;
        }
    }

    /// `CB` channels x `TB` taps of the weight gradient over rows `[oy0, oy1)` and the first
    /// `cols` columns, added to `out[j * k + i]`.
    #[inline(always)]
    #[allow(clippy::too_many_arguments)]
    unsafe fn wtile<const CB: usize, const TB: usize>(
        p: &Planes,
        planes: &[f32],
        offsets: &[usize],
        dy: *const f32,
        plane: usize,
        (oy0, oy1, cols): (usize, usize, usize),
        out: &mut [f32],
        k: usize,
    ) {
        unsafe {
            let mut acc = [[_mm256_setzero_ps(); TB]; CB];
            let base = planes.as_ptr();
            for oy in oy0..oy1 {
                let mut src = [base; TB];
                for (s, &off) in src.iter_mut().zip(offsets) {
                    *s = base.add(off + oy * p.row);
                }
                let d = dy.add(oy * p.width);
                let mut x = 0;
                while x < cols {
                    let mut v = [_mm256_setzero_ps(); TB];
                    for (v, s) in v.iter_mut().zip(&src) {
                        *v = _mm256_loadu_ps(s.add(x));
                    }
                    for (j, a) in acc.iter_mut().enumerate() {
                        let dj = _mm256_loadu_ps(d.add(j * plane + x));
                        for i in 0..TB {
                            a[i] = _mm256_fmadd_ps(dj, v[i], a[i]);
                        }
                    }
                    x += LANES;
                }
            }
            for (j, a) in acc.iter().enumerate() {
                for (i, v) in a.iter().enumerate() {
                    out[j * k + i] += hsum(*v);
                }
            }
        }
    }

    /// Sum of the 8 lanes, in a fixed order.
    #[inline(always)]
    pub(super) unsafe fn hsum(v: __m256) -> f32 {
        unsafe {
            let lo = _mm256_castps256_ps128(v);
            let hi = _mm256_extractf128_ps(v, 1);
            let s = _mm_add_ps(lo, hi);
            let s = _mm_add_ps(s, _mm_movehl_ps(s, s));
            let s = _mm_add_ss(s, _mm_shuffle_ps(s, s, 0b01));
            _mm_cvtss_f32(s)
        }
    }
}

/// The AVX-512 kernels: [`avx2`]'s loops with 16-lane vectors, 32 registers for larger tiles,
/// and masked stores for a row's last vector.
#[cfg(target_arch = "x86_64")]
mod avx512 {
    use core::arch::x86_64::*;

    use super::{Planes, TAP_TILE};
    use crate::ops::conv2d_gemm::Geometry;

    const LANES: usize = 16;
    /// Vectors per forward tile; its output channels: 8 with two vectors, 16 with one (16
    /// accumulators either way, with the loads well inside the 32 registers).
    const X_TILE: usize = 2;
    const CO_TILE: usize = 8;

    /// The largest channel block of `1, 2, 4, .., max` that `left` channels fill.
    fn block(left: usize, max: usize) -> usize {
        let mut cb = max;
        while cb > left {
            cb /= 2;
        }
        cb
    }

    #[target_feature(enable = "avx512f")]
    pub(super) unsafe fn fill(p: &Planes, g: &Geometry, x: &[f32], group: usize, out: &mut [f32]) {
        p.fill_rows(g, x, group, out)
    }

    #[target_feature(enable = "avx512f")]
    pub(super) unsafe fn forward(
        g: &Geometry,
        p: &Planes,
        planes: &[f32],
        w: &[f32],
        bias: Option<&[f32]>,
        y: &mut [f32],
    ) {
        let (k, n, cog) = (g.k(), g.n(), g.c_out_group());
        let vectors = g.ow.div_ceil(LANES);
        for oy in 0..g.oh {
            let src = unsafe { planes.as_ptr().add(oy * p.row) };
            let mut v = 0;
            while v < vectors {
                let xv = (vectors - v).min(X_TILE);
                let ox = v * LANES;
                let cb_max = if xv == X_TILE { CO_TILE } else { 2 * CO_TILE };
                let mut co = 0;
                while co < cog {
                    let cb = block(cog - co, cb_max);
                    let b = bias.map(|b| &b[co..co + cb]);
                    let (s, wp) = unsafe { (src.add(ox), w.as_ptr().add(co * k)) };
                    let d = unsafe { y.as_mut_ptr().add(co * n + oy * g.ow + ox) };
                    let left = g.ow - ox;
                    unsafe {
                        match (xv, cb) {
                            (2, 8) => tile::<8, 2>(p, s, wp, k, b, d, n, left),
                            (2, 4) => tile::<4, 2>(p, s, wp, k, b, d, n, left),
                            (2, 2) => tile::<2, 2>(p, s, wp, k, b, d, n, left),
                            (2, _) => tile::<1, 2>(p, s, wp, k, b, d, n, left),
                            (_, 16) => tile::<16, 1>(p, s, wp, k, b, d, n, left),
                            (_, 8) => tile::<8, 1>(p, s, wp, k, b, d, n, left),
                            (_, 4) => tile::<4, 1>(p, s, wp, k, b, d, n, left),
                            (_, 2) => tile::<2, 1>(p, s, wp, k, b, d, n, left),
                            (_, _) => tile::<1, 1>(p, s, wp, k, b, d, n, left),
                        }
                    }
                    co += cb;
                }
                v += xv;
            }
        }
    }

    /// `CB` channels x `XV` vectors of one output row, all taps; `left` columns of the row
    /// remain from this tile on (a vector reaching past them is stored under a mask).
    #[inline(always)]
    #[allow(clippy::too_many_arguments)]
    unsafe fn tile<const CB: usize, const XV: usize>(
        p: &Planes,
        src: *const f32,
        w: *const f32,
        k: usize,
        bias: Option<&[f32]>,
        dst: *mut f32,
        n: usize,
        left: usize,
    ) {
        unsafe {
            let mut acc = [[_mm512_setzero_ps(); XV]; CB];
            if let Some(b) = bias {
                for (j, a) in acc.iter_mut().enumerate() {
                    *a = [_mm512_set1_ps(b[j]); XV];
                }
            }
            for (t, &off) in p.offsets.iter().enumerate() {
                let s = src.add(off);
                let mut v = [_mm512_setzero_ps(); XV];
                for (i, v) in v.iter_mut().enumerate() {
                    *v = _mm512_loadu_ps(s.add(i * LANES));
                }
                for (j, a) in acc.iter_mut().enumerate() {
                    let wj = _mm512_set1_ps(*w.add(j * k + t));
                    for i in 0..XV {
                        a[i] = _mm512_fmadd_ps(wj, v[i], a[i]);
                    }
                }
            }
            for (j, a) in acc.iter().enumerate() {
                let d = dst.add(j * n);
                for (i, v) in a.iter().enumerate() {
                    let start = i * LANES;
                    if start + LANES <= left {
                        _mm512_storeu_ps(d.add(start), *v);
                    } else if start < left {
                        let mask = ((1u32 << (left - start)) - 1) as __mmask16;
                        _mm512_mask_storeu_ps(d.add(start), mask, *v);
                    }
                }
            }
        }
    }

    #[target_feature(enable = "avx512f")]
    pub(super) unsafe fn weight_grad(
        g: &Geometry,
        p: &Planes,
        planes: &[f32],
        dy: &[f32],
        dw: &mut [f32],
    ) {
        let (k, cog) = (g.k(), g.c_out_group());
        let plane = g.oh * p.width;
        let cols = g.ow.next_multiple_of(LANES);
        // Bands of rows small enough that a tile's dY and plane rows stay in L1.
        let band = (512 / p.width).clamp(1, g.oh);
        let mut oy0 = 0;
        while oy0 < g.oh {
            let span = (oy0, (oy0 + band).min(g.oh), cols);
            let mut co = 0;
            while co < cog {
                let cb = block(cog - co, CO_TILE);
                let d = unsafe { dy.as_ptr().add(co * plane) };
                let mut t = 0;
                while t < k {
                    let tb = (k - t).min(TAP_TILE);
                    let out = &mut dw[co * k + t..];
                    let offs = &p.offsets[t..t + tb];
                    unsafe {
                        match (cb, tb) {
                            (8, 3) => wtile::<8, 3>(p, planes, offs, d, plane, span, out, k),
                            (8, 2) => wtile::<8, 2>(p, planes, offs, d, plane, span, out, k),
                            (8, _) => wtile::<8, 1>(p, planes, offs, d, plane, span, out, k),
                            (4, 3) => wtile::<4, 3>(p, planes, offs, d, plane, span, out, k),
                            (4, 2) => wtile::<4, 2>(p, planes, offs, d, plane, span, out, k),
                            (4, _) => wtile::<4, 1>(p, planes, offs, d, plane, span, out, k),
                            (2, 3) => wtile::<2, 3>(p, planes, offs, d, plane, span, out, k),
                            (2, 2) => wtile::<2, 2>(p, planes, offs, d, plane, span, out, k),
                            (2, _) => wtile::<2, 1>(p, planes, offs, d, plane, span, out, k),
                            (_, 3) => wtile::<1, 3>(p, planes, offs, d, plane, span, out, k),
                            (_, 2) => wtile::<1, 2>(p, planes, offs, d, plane, span, out, k),
                            (_, _) => wtile::<1, 1>(p, planes, offs, d, plane, span, out, k),
                        }
                    }
                    t += tb;
                }
                co += cb;
            }
            oy0 = span.1;
        }
    }

    /// `CB` channels x `TB` taps of the weight gradient over rows `[oy0, oy1)` and the first
    /// `cols` columns, added to `out[j * k + i]`.
    #[inline(always)]
    #[allow(clippy::too_many_arguments)]
    unsafe fn wtile<const CB: usize, const TB: usize>(
        p: &Planes,
        planes: &[f32],
        offsets: &[usize],
        dy: *const f32,
        plane: usize,
        (oy0, oy1, cols): (usize, usize, usize),
        out: &mut [f32],
        k: usize,
    ) {
        unsafe {
            let mut acc = [[_mm512_setzero_ps(); TB]; CB];
            let base = planes.as_ptr();
            for oy in oy0..oy1 {
                let mut src = [base; TB];
                for (s, &off) in src.iter_mut().zip(offsets) {
                    *s = base.add(off + oy * p.row);
                }
                let d = dy.add(oy * p.width);
                let mut x = 0;
                while x < cols {
                    let mut v = [_mm512_setzero_ps(); TB];
                    for (v, s) in v.iter_mut().zip(&src) {
                        *v = _mm512_loadu_ps(s.add(x));
                    }
                    for (j, a) in acc.iter_mut().enumerate() {
                        let dj = _mm512_loadu_ps(d.add(j * plane + x));
                        for i in 0..TB {
                            a[i] = _mm512_fmadd_ps(dj, v[i], a[i]);
                        }
                    }
                    x += LANES;
                }
            }
            for (j, a) in acc.iter().enumerate() {
                for (i, v) in a.iter().enumerate() {
                    out[j * k + i] += hsum(*v);
                }
            }
        }
    }

    /// Sum of the 16 lanes, in a fixed order: the two halves, then [`super::avx2`]'s 8-lane sum.
    #[inline(always)]
    unsafe fn hsum(v: __m512) -> f32 {
        unsafe {
            let lo = _mm512_castps512_ps256(v);
            let hi = _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(v), 1));
            super::avx2::hsum(_mm256_add_ps(lo, hi))
        }
    }
}
