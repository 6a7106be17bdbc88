//! livermet patch (see `vendor/README.md`): f32 3x3 stride-1 convolution by Winograd's minimal
//! filtering F(m x m, 3x3) (Lavin & Gray 2016, "Fast Algorithms for Convolutional Neural
//! Networks", CVPR), m = 2 or 4.
//!
//! Each m x m tile of outputs is `Y = A^T [ sum_ci U[co, ci] (.) V[ci] ] A`, with the
//! (m + 2) x (m + 2) input tile `d` (tiles m apart) transformed as `V = B^T d B` and the kernel
//! `g` as `U = G g G^T` ([`F2`], [`F4`] give B^T, G and A^T). The sum over input channels at
//! each of the (m + 2)^2 tile positions xi is a matrix product,
//! `M_xi[co, t] = sum_ci U_xi[co, ci] V_xi[ci, t]` over the tiles t: per output and channel
//! pair F(2x2, 3x3) multiplies 16 / 4 = 4 times and F(4x4, 3x3) 36 / 16 = 2.25 times instead of
//! im2col + gemm's 9, which is what pays for the wide 3x3 convolutions of the paper-sized
//! network, where im2col + gemm is arithmetic-bound. F(4x4)'s larger coefficients (up to 8 in
//! A^T, 5 in B^T, 1/24 in G) cost f32 accuracy: its error stays within the conv tests' 1e-5 of
//! the output's scale (Lavin & Gray, table 2; Barabasz et al. 2020 for the error analysis).
//!
//! Every transform is applied to whole rows of a band's tiles (one row per tile position), so
//! that it vectorises whatever a tile row's length. Tiles run in bands of tile rows, so that a
//! band's transformed input and gemm outputs stay near the L2 cache. Images are independent and
//! the gemms single-threaded, so results do not depend on the thread count.

use alloc::vec;
use alloc::vec::Vec;

use super::conv2d_gemm::{Geometry, matmul};

/// One F(m x m, 3x3): `alpha = m + 2` points per tile side; B^T (`alpha x alpha`), A^T
/// (`m x alpha`) row-major in f32 (small integers and halves: exact), G (`alpha x 3`) in f64
/// (applied once per kernel, rounded once).
pub(super) struct Variant {
    m: usize,
    alpha: usize,
    bt: &'static [f32],
    at: &'static [f32],
    g: &'static [f64],
}

/// F(2x2, 3x3), interpolation points 0, 1, -1 and infinity.
pub(super) const F2: Variant = Variant {
    m: 2,
    alpha: 4,
    #[rustfmt::skip]
    bt: &[
        1.0, 0.0, -1.0, 0.0,
        0.0, 1.0, 1.0, 0.0,
        0.0, -1.0, 1.0, 0.0,
        0.0, 1.0, 0.0, -1.0,
    ],
    #[rustfmt::skip]
    at: &[
        1.0, 1.0, 1.0, 0.0,
        0.0, 1.0, -1.0, -1.0,
    ],
    #[rustfmt::skip]
    g: &[
        1.0, 0.0, 0.0,
        0.5, 0.5, 0.5,
        0.5, -0.5, 0.5,
        0.0, 0.0, 1.0,
    ],
};

/// F(4x4, 3x3), interpolation points 0, 1, -1, 2, -2 and infinity (Lavin & Gray, section 4.2).
pub(super) const F4: Variant = Variant {
    m: 4,
    alpha: 6,
    #[rustfmt::skip]
    bt: &[
        4.0, 0.0, -5.0, 0.0, 1.0, 0.0,
        0.0, -4.0, -4.0, 1.0, 1.0, 0.0,
        0.0, 4.0, -4.0, -1.0, 1.0, 0.0,
        0.0, -2.0, -1.0, 2.0, 1.0, 0.0,
        0.0, 2.0, -1.0, -2.0, 1.0, 0.0,
        0.0, 4.0, 0.0, -5.0, 0.0, 1.0,
    ],
    #[rustfmt::skip]
    at: &[
        1.0, 1.0, 1.0, 1.0, 1.0, 0.0,
        0.0, 1.0, -1.0, 2.0, -2.0, 0.0,
        0.0, 1.0, 1.0, 4.0, 4.0, 0.0,
        0.0, 1.0, -1.0, 8.0, -8.0, 1.0,
    ],
    #[rustfmt::skip]
    g: &[
        1.0 / 4.0, 0.0, 0.0,
        -1.0 / 6.0, -1.0 / 6.0, -1.0 / 6.0,
        -1.0 / 6.0, 1.0 / 6.0, -1.0 / 6.0,
        1.0 / 24.0, 1.0 / 12.0, 1.0 / 6.0,
        1.0 / 24.0, -1.0 / 12.0, 1.0 / 6.0,
        0.0, 0.0, 1.0,
    ],
};

impl Variant {
    /// Tile positions: the `alpha x alpha` of a transformed tile.
    fn xi(&self) -> usize {
        self.alpha * self.alpha
    }

    /// Column `j` of A^T (row `j` of A), `m` coefficients.
    fn a_row(&self, j: usize) -> [f32; 4] {
        core::array::from_fn(|k| if k < self.m { self.at[k * self.alpha + j] } else { 0.0 })
    }
}

/// The variant that computes `g`: F(4x4, 3x3) where the map is at least 16 wide and high,
/// else F(2x2, 3x3) (measured per layer of the paper-sized net, batch 32, one thread, AVX2:
/// F(4x4) 1.1-1.2x faster at 56 x 56 and 28 x 28; at 14 x 14 its cut tiles waste a third of
/// the outputs and F(2x2) is 1.0-1.2x faster).
pub(super) fn variant(g: &Geometry) -> &'static Variant {
    if g.oh.min(g.ow) >= 16 { &F4 } else { &F2 }
}

/// Target size (f32 elements) of one band's transformed input or output: 256 Ki = 1 MiB, the
/// L2 cache, but never fewer than [`TILES_PER_CALL`] tiles (measured on 64-256 channels).
const BAND_ELEMS: usize = 1 << 18;

/// Whether Winograd computes `g`: a 3x3 kernel at stride 1, without dilation or groups.
pub(super) fn applies(g: &Geometry) -> bool {
    let shape = g.kh == 3 && g.kw == 3 && g.sh == 1 && g.sw == 1 && g.dh == 1 && g.dw == 1;
    shape && g.groups == 1 && g.oh > 0 && g.ow > 0 && g.c_in > 0 && g.c_out > 0
}

/// Tiles per call that amortise the gemms' packing of the transformed kernel (measured on
/// 256 channels at 14 x 14: one image's 49 tiles spend ~40% of the time packing).
const TILES_PER_CALL: usize = 192;

/// Images per call of [`forward`]: enough for [`TILES_PER_CALL`] tiles (1 for a large feature
/// map); a function of the shape only, so results do not depend on the thread count.
pub(super) fn images_per_call(g: &Geometry) -> usize {
    let m = variant(g).m;
    let tiles = g.oh.div_ceil(m) * g.ow.div_ceil(m);
    TILES_PER_CALL.div_ceil(tiles.max(1)).clamp(1, g.batch.max(1))
}

/// Tile rows per band: [`BAND_ELEMS`] values of the wider side, at least [`TILES_PER_CALL`]
/// tiles, at most the `total` rows there are.
fn band_rows(xi: usize, channels: usize, tw: usize, total: usize) -> usize {
    let cache = BAND_ELEMS / (xi * channels * tw).max(1);
    cache.max(TILES_PER_CALL.div_ceil(tw.max(1))).clamp(1, total)
}

/// Values of a transformed kernel or of its gradient (`[xi][c_out][c_in]`).
pub(super) fn transformed_len(g: &Geometry) -> usize {
    variant(g).xi() * g.c_out * g.c_in
}

/// The transformed kernel `U[xi][co][ci] = (G w[co, ci] G^T)[xi]` of `w` `[c_out, c_in, 3, 3]`
/// (computed in f64, rounded once).
pub(super) fn transform_kernel(g: &Geometry, w: &[f32]) -> Vec<f32> {
    #[cfg(all(target_arch = "x86_64", feature = "std"))]
    if super::conv2d_direct::avx512() {
        // SAFETY: the CPU has AVX-512F (checked just above).
        return unsafe { simd::transform_kernel_avx512(g, w) };
    }
    #[cfg(all(target_arch = "x86_64", feature = "std"))]
    if super::conv2d_direct::available() {
        // SAFETY: the CPU has AVX2 and FMA (checked just above).
        return unsafe { simd::transform_kernel(g, w) };
    }
    transform_kernel_rows(g, w)
}

/// [`transform_kernel`] for one output channel at a time, as loops over the input channels
/// (it runs on every forward pass and input gradient: one channel pair at a time, in scalar
/// f64, it took 4% of the paper-sized network's training step).
#[inline(always)]
fn transform_kernel_rows(g: &Geometry, w: &[f32]) -> Vec<f32> {
    let (v, c_out, c_in) = (variant(g), g.c_out, g.c_in);
    let alpha = v.alpha;
    let mut u = vec![0.0f32; transformed_len(g)];
    // taps[tap c_in + ci] = w[co, ci, tap]; gk[(i 3 + c) c_in + ci] = (G k)[i][c].
    let mut taps = vec![0.0f64; 9 * c_in];
    let mut gk = vec![0.0f64; alpha * 3 * c_in];
    let mut row = vec![0.0f64; c_in];
    for co in 0..c_out {
        let w_co = &w[co * c_in * 9..][..c_in * 9];
        for (ci, k) in w_co.chunks_exact(9).enumerate() {
            for (tap, &x) in k.iter().enumerate() {
                taps[tap * c_in + ci] = x as f64;
            }
        }
        for i in 0..alpha {
            for c in 0..3 {
                let out = &mut gk[(i * 3 + c) * c_in..][..c_in];
                out.fill(0.0);
                for r in (0..3).filter(|&r| v.g[i * 3 + r] != 0.0) {
                    let coef = v.g[i * 3 + r];
                    let src = &taps[(r * 3 + c) * c_in..][..c_in];
                    out.iter_mut().zip(src).for_each(|(o, &x)| *o += coef * x);
                }
            }
        }
        // U[i][j] = sum_c G[j][c] (G k)[i][c].
        for i in 0..alpha {
            for j in 0..alpha {
                row.fill(0.0);
                for c in (0..3).filter(|&c| v.g[j * 3 + c] != 0.0) {
                    let coef = v.g[j * 3 + c];
                    let src = &gk[(i * 3 + c) * c_in..][..c_in];
                    row.iter_mut().zip(src).for_each(|(o, &x)| *o += coef * x);
                }
                let dst = &mut u[((i * alpha + j) * c_out + co) * c_in..][..c_in];
                dst.iter_mut().zip(&row).for_each(|(o, &x)| *o = x as f32);
            }
        }
    }
    u
}

/// `y[n, co, oy, ox] = bias[co] + sum_ci (w[co, ci] * x[n, ci])[oy, ox]` for the images `x`
/// `[n, c_in, h, w]` into `y` `[n, c_out, oh, ow]` (every value written), with `u` from
/// [`transform_kernel`]; `scratch` holds the band's transformed input and output. The images'
/// tiles share the bands, so that small feature maps still give the gemms enough columns
/// ([`images_per_call`]).
pub(super) fn forward(
    g: &Geometry,
    u: &[f32],
    x: &[f32],
    bias: Option<&[f32]>,
    y: &mut [f32],
    scratch: &mut Vec<f32>,
) {
    #[cfg(all(target_arch = "x86_64", feature = "std"))]
    if super::conv2d_direct::avx512() {
        // SAFETY: the CPU has AVX-512F (checked just above).
        return unsafe { simd::forward_avx512(g, u, x, bias, y, scratch) };
    }
    #[cfg(all(target_arch = "x86_64", feature = "std"))]
    if super::conv2d_direct::available() {
        // SAFETY: the CPU has AVX2 and FMA (checked just above).
        return unsafe { simd::forward(g, u, x, bias, y, scratch) };
    }
    forward_rows(g, u, x, bias, y, scratch);
}

/// [`forward`], compiled for the caller's instruction set (the transforms are loops over
/// rows that the compiler vectorises for it).
#[inline(always)]
fn forward_rows(
    g: &Geometry,
    u: &[f32],
    x: &[f32],
    bias: Option<&[f32]>,
    y: &mut [f32],
    scratch: &mut Vec<f32>,
) {
    let (c_in, c_out) = (g.c_in, g.c_out);
    let t = Tiles::new(g, x.len() / (c_in * g.h * g.w));
    assert!(x.len() == t.images * t.image_in && y.len() == t.images * t.image_out);
    assert!(u.len() >= transformed_len(g));
    let xi_n = t.v.xi();
    let mut bands = Bands::new(&t, c_in.max(c_out), scratch);
    while let Some((band, v, m, rows)) = bands.next(c_in, c_out) {
        let tb = band.1 * t.tw;
        for ci in 0..c_in {
            t.input(g, x, ci, band, rows, &mut v[ci * xi_n * tb..][..xi_n * tb]);
        }
        for xi in 0..xi_n {
            // SAFETY: U_xi is [c_out, c_in] row-major; V_xi is [c_in, tb] with row stride
            // xi_n * tb from offset xi * tb; M_xi likewise [c_out, tb].
            unsafe {
                matmul(
                    [c_out, tb, c_in],
                    m.as_mut_ptr().add(xi * tb),
                    (xi_n * tb) as isize,
                    false,
                    u.as_ptr().add(xi * c_out * c_in),
                    (c_in as isize, 1),
                    v.as_ptr().add(xi * tb),
                    ((xi_n * tb) as isize, 1),
                );
            }
        }
        for co in 0..c_out {
            let block = &m[co * xi_n * tb..][..xi_n * tb];
            t.output(g, block, co, band, bias.map_or(0.0, |b| b[co]), rows, y);
        }
    }
}

/// Adds the weight gradient of the images `x` `[n, c_in, h, w]` (output gradient `dy`
/// `[n, c_out, oh, ow]`), in the transformed domain, to `du` (`[xi][c_out][c_in]`):
/// `du_xi += Yhat_xi V_xi^T` over the images' tiles, with `Yhat = A dy A^T` of each m x m tile
/// of the output gradient and `V = B^T d B` of the input (Lavin & Gray, section 5: the
/// derivative of `Y = A^T (U (.) V) A` in U). [`kernel_grad`] maps the sum back.
pub(super) fn weight_grad(
    g: &Geometry,
    x: &[f32],
    dy: &[f32],
    du: &mut [f32],
    scratch: &mut Vec<f32>,
) {
    #[cfg(all(target_arch = "x86_64", feature = "std"))]
    if super::conv2d_direct::avx512() {
        // SAFETY: the CPU has AVX-512F (checked just above).
        return unsafe { simd::weight_grad_avx512(g, x, dy, du, scratch) };
    }
    #[cfg(all(target_arch = "x86_64", feature = "std"))]
    if super::conv2d_direct::available() {
        // SAFETY: the CPU has AVX2 and FMA (checked just above).
        return unsafe { simd::weight_grad(g, x, dy, du, scratch) };
    }
    weight_grad_rows(g, x, dy, du, scratch);
}

/// [`weight_grad`], compiled for the caller's instruction set.
#[inline(always)]
fn weight_grad_rows(
    g: &Geometry,
    x: &[f32],
    dy: &[f32],
    du: &mut [f32],
    scratch: &mut Vec<f32>,
) {
    let (c_in, c_out) = (g.c_in, g.c_out);
    let t = Tiles::new(g, x.len() / (c_in * g.h * g.w));
    assert!(x.len() == t.images * t.image_in && dy.len() == t.images * t.image_out);
    assert!(du.len() >= transformed_len(g));
    let xi_n = t.v.xi();
    let mut bands = Bands::new(&t, c_in.max(c_out), scratch);
    while let Some((band, v, m, rows)) = bands.next(c_in, c_out) {
        let tb = band.1 * t.tw;
        for ci in 0..c_in {
            t.input(g, x, ci, band, rows, &mut v[ci * xi_n * tb..][..xi_n * tb]);
        }
        for co in 0..c_out {
            t.output_grad(g, dy, co, band, rows, &mut m[co * xi_n * tb..][..xi_n * tb]);
        }
        for xi in 0..xi_n {
            // SAFETY: Yhat_xi is [c_out, tb] with row stride xi_n * tb from offset xi * tb;
            // V_xi^T is [tb, c_in] read with strides (1, xi_n * tb); du_xi is [c_out, c_in].
            unsafe {
                matmul(
                    [c_out, c_in, tb],
                    du.as_mut_ptr().add(xi * c_out * c_in),
                    c_in as isize,
                    true,
                    m.as_ptr().add(xi * tb),
                    ((xi_n * tb) as isize, 1),
                    v.as_ptr().add(xi * tb),
                    (1, (xi_n * tb) as isize),
                );
            }
        }
    }
}

/// The bands of tile rows of a call, and the scratch they share: the transformed input
/// `v` (`[c_in][xi][tb]`), the gemm side `m` (`[c_out][xi][tb]`) and the transforms' rows.
struct Bands<'a> {
    next_row: usize,
    rows: usize,
    band: usize,
    xi: usize,
    tw: usize,
    padded: usize,
    scratch: &'a mut Vec<f32>,
}

impl<'a> Bands<'a> {
    fn new(t: &Tiles, channels: usize, scratch: &'a mut Vec<f32>) -> Self {
        let xi = t.v.xi();
        let band = band_rows(xi, channels, t.tw, t.rows);
        let padded = t.v.m * (t.tw + 1);
        Bands { next_row: 0, rows: t.rows, band, xi, tw: t.tw, padded, scratch }
    }

    /// The next band `(first row, rows)` with its `v`, `m` and transform scratch.
    #[allow(clippy::type_complexity)]
    fn next(
        &mut self,
        c_in: usize,
        c_out: usize,
    ) -> Option<((usize, usize), &mut [f32], &mut [f32], &mut [f32])> {
        if self.next_row >= self.rows {
            return None;
        }
        let tb_max = self.band * self.tw;
        let (v_len, m_len) = (c_in * self.xi * tb_max, c_out * self.xi * tb_max);
        // Two sets of xi rows (a transform's input and its half-way result), a padded row.
        let rows_len = 2 * self.xi * tb_max + self.padded;
        self.scratch.resize(v_len + m_len + rows_len, 0.0);
        let band = (self.next_row, self.band.min(self.rows - self.next_row));
        self.next_row += band.1;
        let (v, rest) = self.scratch.split_at_mut(v_len);
        let (m, rows) = rest.split_at_mut(m_len);
        Some((band, v, m, rows))
    }
}

/// The tiles of a call: tile row r (of `rows`) is tile row `r % th` of image `r / th`, `tw`
/// tiles each; a band of tile rows holds its tiles in order, `tb = rows * tw` of them.
struct Tiles {
    v: &'static Variant,
    images: usize,
    image_in: usize,
    image_out: usize,
    th: usize,
    tw: usize,
    rows: usize,
}

impl Tiles {
    fn new(g: &Geometry, images: usize) -> Self {
        let v = variant(g);
        let (th, tw) = (g.oh.div_ceil(v.m), g.ow.div_ceil(v.m));
        let (image_in, image_out) = (g.c_in * g.h * g.w, g.c_out * g.oh * g.ow);
        Tiles { v, images, image_in, image_out, th, tw, rows: images * th }
    }

    /// `B^T d B` of input channel `ci` over the band's tiles into `block` (`alpha^2` rows of
    /// the band's tiles). The tiles are first gathered as `alpha^2` rows over the band, one per
    /// (tile row i, column j), from a zero-padded copy of each input row.
    #[inline(always)]
    fn input(
        &self,
        g: &Geometry,
        x: &[f32],
        ci: usize,
        (r0, band): (usize, usize),
        rows: &mut [f32],
        block: &mut [f32],
    ) {
        let (m, alpha, xi) = (self.v.m, self.v.alpha, self.v.xi());
        let (tw, tb) = (self.tw, band * self.tw);
        let (dbuf, rest) = rows.split_at_mut(xi * tb);
        let (tbuf, padded) = rest.split_at_mut(xi * tb);
        // The padded row: column c of it is input column c - pw (zero outside the image).
        let padded = &mut padded[..m * tw + m];
        let (lo, hi) = (g.pw.min(padded.len()), (g.pw + g.w).min(padded.len()));
        // d[alpha i + j][tile] = x_pad[m ty + i][m tx + j].
        for r in 0..band {
            let (image, ty) = ((r0 + r) / self.th, (r0 + r) % self.th);
            let plane = &x[image * self.image_in + ci * g.h * g.w..][..g.h * g.w];
            for i in 0..alpha {
                let iy = (m * ty + i) as isize - g.ph as isize;
                if iy >= 0 && iy < g.h as isize && lo < hi {
                    padded[..lo].fill(0.0);
                    padded[hi..].fill(0.0);
                    padded[lo..hi].copy_from_slice(&plane[iy as usize * g.w..][..hi - lo]);
                } else {
                    padded.fill(0.0);
                }
                // d[alpha i + j][r tw + tx] = padded[m tx + j] for the alpha columns j of
                // each tile, in one pass over the row (a copy per column and tile row called
                // memmove for a few dozen bytes: 3% of the paper net's training step).
                let rows_i = &mut dbuf[alpha * i * tb..][..alpha * tb];
                tile_columns(m, &padded[..m * tw + 2], rows_i, tb, r * tw);
            }
        }
        // d B along each row i: t[alpha i + j'] = sum_j B^T[j'][j] d[alpha i + j].
        for i in 0..alpha {
            for j2 in 0..alpha {
                let coef = &self.v.bt[j2 * alpha..][..alpha];
                combine(&mut tbuf[(alpha * i + j2) * tb..][..tb], coef, 0.0, |j| {
                    &dbuf[(alpha * i + j) * tb..][..tb]
                });
            }
        }
        // B^T along the rows: V[alpha i' + j] = sum_i B^T[i'][i] t[alpha i + j].
        for i2 in 0..alpha {
            let coef = &self.v.bt[i2 * alpha..][..alpha];
            for j in 0..alpha {
                combine(&mut block[(alpha * i2 + j) * tb..][..tb], coef, 0.0, |i| {
                    &tbuf[(alpha * i + j) * tb..][..tb]
                });
            }
        }
    }

    /// `A^T M A + bias` of output channel `co` over the band's tiles (`block`: the `alpha^2`
    /// rows of M), into the images' output rows in `y` (a size that m does not divide drops
    /// the last tiles' outer rows or columns).
    #[allow(clippy::too_many_arguments)]
    #[inline(always)]
    fn output(
        &self,
        g: &Geometry,
        block: &[f32],
        co: usize,
        (r0, band): (usize, usize),
        bias: f32,
        rows: &mut [f32],
        y: &mut [f32],
    ) {
        let (m, alpha) = (self.v.m, self.v.alpha);
        let (tw, tb) = (self.tw, band * self.tw);
        let (sbuf, rest) = rows.split_at_mut(alpha * m * tb);
        let ybuf = &mut rest[..m * m * tb];
        // M A along each row i: s[m i + b] = sum_j A^T[b][j] M[alpha i + j].
        for i in 0..alpha {
            for b in 0..m {
                let coef = &self.v.at[b * alpha..][..alpha];
                combine(&mut sbuf[(m * i + b) * tb..][..tb], coef, 0.0, |j| {
                    &block[(alpha * i + j) * tb..][..tb]
                });
            }
        }
        // A^T along the rows: output row a of the tile, column b, is y[m a + b].
        for a in 0..m {
            let coef = &self.v.at[a * alpha..][..alpha];
            for b in 0..m {
                combine(&mut ybuf[(m * a + b) * tb..][..tb], coef, bias, |i| {
                    &sbuf[(m * i + b) * tb..][..tb]
                });
            }
        }
        for r in 0..band {
            let (image, ty) = ((r0 + r) / self.th, (r0 + r) % self.th);
            let plane = &mut y[image * self.image_out + co * g.oh * g.ow..][..g.oh * g.ow];
            for a in 0..(g.oh - m * ty).min(m) {
                let row = &mut plane[(m * ty + a) * g.ow..][..g.ow];
                let src = |b: usize| &ybuf[(m * a + b) * tb + r * tw..][..tw];
                interleave(m, row, src);
            }
        }
    }

    /// `A dy A^T` of output-gradient channel `co` over the band's tiles (zero beyond the
    /// output), into `block` (`alpha^2` rows of the band's tiles).
    #[inline(always)]
    fn output_grad(
        &self,
        g: &Geometry,
        dy: &[f32],
        co: usize,
        (r0, band): (usize, usize),
        rows: &mut [f32],
        block: &mut [f32],
    ) {
        let (m, alpha) = (self.v.m, self.v.alpha);
        let (tw, tb) = (self.tw, band * self.tw);
        let (ybuf, rest) = rows.split_at_mut(m * m * tb);
        let cbuf = &mut rest[..m * alpha * tb];
        // y[m a + b][tile] = dy[m ty + a][m tx + b], zero beyond the output.
        ybuf.fill(0.0);
        for r in 0..band {
            let (image, ty) = ((r0 + r) / self.th, (r0 + r) % self.th);
            let plane = &dy[image * self.image_out + co * g.oh * g.ow..][..g.oh * g.ow];
            for a in 0..(g.oh - m * ty).min(m) {
                let row = &plane[(m * ty + a) * g.ow..][..g.ow];
                for b in 0..m.min(g.ow) {
                    let dst = &mut ybuf[(m * a + b) * tb + r * tw..][..tw];
                    for (o, &s) in dst.iter_mut().zip(row[b..].iter().step_by(m)) {
                        *o = s;
                    }
                }
            }
        }
        // y A^T along each row a: c[alpha a + j] = sum_b A[j][b] y[m a + b].
        for a in 0..m {
            for j in 0..alpha {
                let coef = self.v.a_row(j);
                combine(&mut cbuf[(alpha * a + j) * tb..][..tb], &coef[..m], 0.0, |b| {
                    &ybuf[(m * a + b) * tb..][..tb]
                });
            }
        }
        // A along the rows: Yhat[alpha i + j] = sum_a A[i][a] c[alpha a + j].
        for i in 0..alpha {
            let coef = self.v.a_row(i);
            for j in 0..alpha {
                combine(&mut block[(alpha * i + j) * tb..][..tb], &coef[..m], 0.0, |a| {
                    &cbuf[(alpha * a + j) * tb..][..tb]
                });
            }
        }
    }
}

/// `out = offset + sum_k coef[k] row(k)` over the nonzero coefficients, in k order, in one
/// pass over `out` (a pass per coefficient read and wrote `out` up to six times: the
/// transforms were a third of the paper net's inference). `offset + c0 x0 + c1 x1 + ..`
/// without fused multiply-adds, so a coefficient of +-1 is an exact addition or subtraction.
#[inline(always)]
fn combine<'r>(out: &mut [f32], coef: &[f32], offset: f32, row: impl Fn(usize) -> &'r [f32]) {
    let n = out.len();
    let (mut cs, mut rs, mut terms) = ([0.0f32; 6], [&[][..]; 6], 0);
    for (k, &c) in coef.iter().enumerate().filter(|(_, c)| **c != 0.0) {
        (cs[terms], rs[terms]) = (c, &row(k)[..n]);
        terms += 1;
    }
    match terms {
        0 => out.fill(offset),
        1 => combine_terms::<1>(out, offset, &cs, &rs),
        2 => combine_terms::<2>(out, offset, &cs, &rs),
        3 => combine_terms::<3>(out, offset, &cs, &rs),
        4 => combine_terms::<4>(out, offset, &cs, &rs),
        5 => combine_terms::<5>(out, offset, &cs, &rs),
        _ => combine_terms::<6>(out, offset, &cs, &rs),
    }
}

/// `out[t] = offset + sum_{k < K} cs[k] rs[k][t]`, the rows as long as `out`.
#[inline(always)]
fn combine_terms<const K: usize>(out: &mut [f32], offset: f32, cs: &[f32; 6], rs: &[&[f32]; 6]) {
    let n = out.len();
    let rows: [&[f32]; K] = core::array::from_fn(|k| &rs[k][..n]);
    for (t, o) in out.iter_mut().enumerate() {
        let mut acc = offset + cs[0] * rows[0][t];
        for k in 1..K {
            acc += cs[k] * rows[k][t];
        }
        *o = acc;
    }
}

/// `rows[j * stride + at + tx] = src[m tx + j]` for the `m + 2` columns `j` of each of the
/// `(src.len() - 2) / m` tiles `tx` of a padded input row (m = 2 or 4): columns `j < m` are the
/// row de-interleaved, the last two the first two of the next tile, each written as a loop
/// over whole tiles that the compiler turns into vector shuffles.
#[inline(always)]
fn tile_columns(m: usize, src: &[f32], rows: &mut [f32], stride: usize, at: usize) {
    let tiles = (src.len() - 2) / m;
    let mut out = rows.chunks_exact_mut(stride).map(|r| &mut r[at..at + tiles]);
    let mut next = || out.next().expect("m + 2 rows");
    let (o0, o1) = (next(), next());
    if m == 4 {
        let (o2, o3, o4, o5) = (next(), next(), next(), next());
        let cols = src.chunks_exact(4).zip(o0).zip(o1).zip(o2).zip(o3);
        for ((((c, a), b), d), e) in cols {
            (*a, *b, *d, *e) = (c[0], c[1], c[2], c[3]);
        }
        let (last4, last5) = (&mut o4[tiles - 1], &mut o5[tiles - 1]);
        (*last4, *last5) = (src[4 * tiles], src[4 * tiles + 1]);
        for ((c, a), b) in src[4..].chunks_exact(4).zip(o4).zip(o5) {
            (*a, *b) = (c[0], c[1]);
        }
    } else {
        let (o2, o3) = (next(), next());
        for ((c, a), b) in src.chunks_exact(2).zip(o0).zip(o1) {
            (*a, *b) = (c[0], c[1]);
        }
        for ((c, a), b) in src[2..].chunks_exact(2).zip(o2).zip(o3) {
            (*a, *b) = (c[0], c[1]);
        }
    }
}

/// `row[m * i + b] = src(b)[i]` for the `row.len()` values there are (m = 2 or 4; a last
/// tile cut by the row's end takes its first columns).
#[inline(always)]
fn interleave<'s>(m: usize, row: &mut [f32], src: impl Fn(usize) -> &'s [f32]) {
    let whole = row.len() / m;
    let (head, tail) = row.split_at_mut(whole * m);
    if m == 4 {
        let (s0, s1, s2, s3) = (src(0), src(1), src(2), src(3));
        let tiles = head.chunks_exact_mut(4).zip(s0).zip(s1).zip(s2).zip(s3);
        for ((((c, &a), &b), &d), &e) in tiles {
            c.copy_from_slice(&[a, b, d, e]);
        }
    } else {
        let (s0, s1) = (src(0), src(1));
        for ((c, &a), &b) in head.chunks_exact_mut(2).zip(s0).zip(s1) {
            c.copy_from_slice(&[a, b]);
        }
    }
    for (b, o) in tail.iter_mut().enumerate() {
        *o = src(b)[whole];
    }
}

/// The AVX2 + FMA and AVX-512 builds of the transforms (the crate's baseline is SSE2). The
/// transforms combine whole rows element by element (no fused multiply-add: Rust does not
/// contract), so every build gives the same bits.
#[cfg(all(target_arch = "x86_64", feature = "std"))]
mod simd {
    use super::*;

    #[target_feature(enable = "avx512f")]
    pub(super) unsafe fn forward_avx512(
        g: &Geometry,
        u: &[f32],
        x: &[f32],
        bias: Option<&[f32]>,
        y: &mut [f32],
        scratch: &mut Vec<f32>,
    ) {
        forward_rows(g, u, x, bias, y, scratch)
    }

    #[target_feature(enable = "avx512f")]
    pub(super) unsafe fn weight_grad_avx512(
        g: &Geometry,
        x: &[f32],
        dy: &[f32],
        du: &mut [f32],
        scratch: &mut Vec<f32>,
    ) {
        weight_grad_rows(g, x, dy, du, scratch)
    }

    #[target_feature(enable = "avx512f")]
    pub(super) unsafe fn transform_kernel_avx512(g: &Geometry, w: &[f32]) -> Vec<f32> {
        transform_kernel_rows(g, w)
    }

    #[target_feature(enable = "avx2,fma")]
    pub(super) unsafe fn transform_kernel(g: &Geometry, w: &[f32]) -> Vec<f32> {
        transform_kernel_rows(g, w)
    }

    #[target_feature(enable = "avx512f")]
    pub(super) unsafe fn kernel_grad_avx512(g: &Geometry, du: &[f32], dw: &mut [f32]) {
        kernel_grad_rows(g, du, dw)
    }

    #[target_feature(enable = "avx2,fma")]
    pub(super) unsafe fn forward(
        g: &Geometry,
        u: &[f32],
        x: &[f32],
        bias: Option<&[f32]>,
        y: &mut [f32],
        scratch: &mut Vec<f32>,
    ) {
        forward_rows(g, u, x, bias, y, scratch)
    }

    #[target_feature(enable = "avx2,fma")]
    pub(super) unsafe fn weight_grad(
        g: &Geometry,
        x: &[f32],
        dy: &[f32],
        du: &mut [f32],
        scratch: &mut Vec<f32>,
    ) {
        weight_grad_rows(g, x, dy, du, scratch)
    }

    #[target_feature(enable = "avx2,fma")]
    pub(super) unsafe fn kernel_grad(g: &Geometry, du: &[f32], dw: &mut [f32]) {
        kernel_grad_rows(g, du, dw)
    }
}

/// The weight gradient `[c_out, c_in, 3, 3]` of the transformed-domain sum `du`
/// (`[xi][c_out][c_in]`, from [`weight_grad`]) into `dw`: `G^T du G` per channel pair, in f64.
pub(super) fn kernel_grad(g: &Geometry, du: &[f32], dw: &mut [f32]) {
    #[cfg(all(target_arch = "x86_64", feature = "std"))]
    if super::conv2d_direct::avx512() {
        // SAFETY: the CPU has AVX-512F (checked just above).
        return unsafe { simd::kernel_grad_avx512(g, du, dw) };
    }
    #[cfg(all(target_arch = "x86_64", feature = "std"))]
    if super::conv2d_direct::available() {
        // SAFETY: the CPU has AVX2 and FMA (checked just above).
        return unsafe { simd::kernel_grad(g, du, dw) };
    }
    kernel_grad_rows(g, du, dw);
}

/// [`kernel_grad`] for one output channel at a time, as loops over the input channels.
#[inline(always)]
fn kernel_grad_rows(g: &Geometry, du: &[f32], dw: &mut [f32]) {
    let (v, c_out, c_in) = (variant(g), g.c_out, g.c_in);
    let alpha = v.alpha;
    assert!(dw.len() >= c_out * c_in * 9 && du.len() >= transformed_len(g));
    // gd[(r alpha + j) c_in + ci] = (G^T du)[r][j], then taps[tap c_in + ci] = (G^T du G)[tap].
    let mut gd = vec![0.0f64; 3 * alpha * c_in];
    let mut taps = vec![0.0f64; 9 * c_in];
    for co in 0..c_out {
        let row = |i: usize, j: usize| &du[((i * alpha + j) * c_out + co) * c_in..][..c_in];
        for r in 0..3 {
            for j in 0..alpha {
                let out = &mut gd[(r * alpha + j) * c_in..][..c_in];
                out.fill(0.0);
                for i in (0..alpha).filter(|&i| v.g[i * 3 + r] != 0.0) {
                    let c = v.g[i * 3 + r];
                    out.iter_mut().zip(row(i, j)).for_each(|(o, &x)| *o += c * x as f64);
                }
            }
        }
        for ky in 0..3 {
            for kx in 0..3 {
                let out = &mut taps[(ky * 3 + kx) * c_in..][..c_in];
                out.fill(0.0);
                for j in (0..alpha).filter(|&j| v.g[j * 3 + kx] != 0.0) {
                    let c = v.g[j * 3 + kx];
                    let src = &gd[(ky * alpha + j) * c_in..][..c_in];
                    out.iter_mut().zip(src).for_each(|(o, &x)| *o += c * x);
                }
            }
        }
        let dw_co = &mut dw[co * c_in * 9..][..c_in * 9];
        for (ci, k) in dw_co.chunks_exact_mut(9).enumerate() {
            for (tap, o) in k.iter_mut().enumerate() {
                *o = taps[tap * c_in + ci] as f32;
            }
        }
    }
}
