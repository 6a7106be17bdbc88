//! livermet patch (see `vendor/README.md`): f32 3x3 stride-1 convolution by Winograd's minimal
//! filtering F(2x2, 3x3) (Lavin & Gray 2016, "Fast Algorithms for Convolutional Neural
//! Networks", CVPR), for one image at a time.
//!
//! Each 2x2 tile of outputs is `Y = A^T [ sum_ci U[co, ci] (.) V[ci] ] A`, with the 4x4 input
//! tile `d` (rows and columns 2 apart) transformed as `V = B^T d B` and the kernel `g` as
//! `U = G g G^T`:
//!
//!   B^T = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1],  G = [1 0 0; 1/2 1/2 1/2; 1/2 -1/2 1/2; 0 0 1],
//!   A^T = [1 1 1 0; 0 1 -1 -1].
//!
//! The sum over input channels at each of the 16 tile positions xi is a matrix product,
//! `M_xi[co, t] = sum_ci U_xi[co, ci] V_xi[ci, t]` over the tiles t: 16 gemms with 16
//! multiplications per tile and channel pair instead of im2col + gemm's 36 (2.25x fewer),
//! which is what pays for the wide 3x3 convolutions of the paper-sized network, where
//! im2col + gemm is arithmetic-bound. Every coefficient is 0, +-1 or +-1/2, so the transforms
//! add no rounding beyond f32 sums of a few terms.
//!
//! Tiles run in bands of tile rows, so that a band's transformed input and gemm outputs stay
//! near the L2 cache. Images are independent and the gemms single-threaded, so results do not
//! depend on the thread count.

use alloc::vec;
use alloc::vec::Vec;

use super::conv2d_gemm::{Geometry, gather, matmul};

/// Target size (f32 elements) of one band's transformed input or output: 256 Ki = 1 MiB, the
/// L2 cache, but never fewer than [`TILES_PER_CALL`] tiles (measured on 64-256 channels).
const BAND_ELEMS: usize = 1 << 18;

/// Tile positions: the 4 x 4 of a transformed tile.
const XI: usize = 16;

/// Whether F(2x2, 3x3) computes `g`: a 3x3 kernel at stride 1, without dilation or groups.
pub(super) fn applies(g: &Geometry) -> bool {
    let shape = g.kh == 3 && g.kw == 3 && g.sh == 1 && g.sw == 1 && g.dh == 1 && g.dw == 1;
    shape && g.groups == 1 && g.oh > 0 && g.ow > 0 && g.c_in > 0 && g.c_out > 0
}

/// Tiles per call that amortise the gemms' packing of the transformed kernel (measured on
/// 256 channels at 14 x 14: one image's 49 tiles spend ~40% of the time packing).
const TILES_PER_CALL: usize = 192;

/// Images per call of [`forward`]: enough for [`TILES_PER_CALL`] tiles (1 for a feature map
/// of 28 x 28 and more); a function of the shape only, so results do not depend on the thread
/// count.
pub(super) fn images_per_call(g: &Geometry) -> usize {
    let tiles = g.oh.div_ceil(2) * g.ow.div_ceil(2);
    TILES_PER_CALL.div_ceil(tiles.max(1)).clamp(1, g.batch.max(1))
}

/// Tile rows per band: [`BAND_ELEMS`] values of the wider side, at least [`TILES_PER_CALL`]
/// tiles, at most the `total` rows there are.
fn band_rows(channels: usize, tw: usize, total: usize) -> usize {
    let cache = BAND_ELEMS / (XI * channels * tw).max(1);
    cache.max(TILES_PER_CALL.div_ceil(tw.max(1))).clamp(1, total)
}

/// Values of a transformed kernel or of its gradient (`[XI][c_out][c_in]`).
pub(super) fn transformed_len(g: &Geometry) -> usize {
    XI * g.c_out * g.c_in
}

/// The transformed kernel `U[xi][co][ci] = (G w[co, ci] G^T)[xi]` of `w` `[c_out, c_in, 3, 3]`
/// (computed in f64, rounded once).
pub(super) fn transform_kernel(g: &Geometry, w: &[f32]) -> Vec<f32> {
    let (c_out, c_in) = (g.c_out, g.c_in);
    let mut u = vec![0.0f32; transformed_len(g)];
    for co in 0..c_out {
        for ci in 0..c_in {
            let k = &w[(co * c_in + ci) * 9..][..9];
            // G k: rows i of G against the kernel's rows.
            let mut gk = [[0.0f64; 3]; 4];
            for (j, col) in (0..3).map(|j| (j, [k[j], k[3 + j], k[6 + j]])) {
                let [a, b, c] = col.map(|v| v as f64);
                gk[0][j] = a;
                gk[1][j] = (a + b + c) / 2.0;
                gk[2][j] = (a - b + c) / 2.0;
                gk[3][j] = c;
            }
            // (G k) G^T, row by row.
            for (i, &[a, b, c]) in gk.iter().enumerate() {
                let row = [a, (a + b + c) / 2.0, (a - b + c) / 2.0, c];
                for (j, v) in row.iter().enumerate() {
                    u[((i * 4 + j) * c_out + co) * c_in + ci] = *v as f32;
                }
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
    let (c_in, c_out) = (g.c_in, g.c_out);
    let t = Tiles::new(g, x.len() / (c_in * g.h * g.w));
    assert!(x.len() == t.images * t.image_in && y.len() == t.images * t.image_out);
    assert!(u.len() >= transformed_len(g));
    let band = band_rows(c_in.max(c_out), t.tw, t.rows);
    let (v_len, m_len) = (c_in * XI * band * t.tw, c_out * XI * band * t.tw);
    scratch.resize(v_len + m_len + rows_len(band * t.tw, t.tw), 0.0);
    let (v, rest) = scratch.split_at_mut(v_len);
    let (m, rows) = rest.split_at_mut(m_len);
    let mut r0 = 0;
    while r0 < t.rows {
        let band = (r0, band.min(t.rows - r0));
        let tb = band.1 * t.tw;
        // V[ci][xi][tile]: the 16 rows of one channel together (the gemm reads V_xi with row
        // stride XI * tb).
        for ci in 0..c_in {
            let block = &mut v[ci * XI * tb..][..XI * tb];
            t.input(g, x, ci, band, rows, block);
        }
        for xi in 0..XI {
            // SAFETY: U_xi is [c_out, c_in] row-major; V_xi is [c_in, tb] with row stride
            // XI * tb from offset xi * tb; M_xi likewise [c_out, tb], row stride XI * tb.
            unsafe {
                matmul(
                    [c_out, tb, c_in],
                    m.as_mut_ptr().add(xi * tb),
                    (XI * tb) as isize,
                    false,
                    u.as_ptr().add(xi * c_out * c_in),
                    (c_in as isize, 1),
                    v.as_ptr().add(xi * tb),
                    ((XI * tb) as isize, 1),
                );
            }
        }
        for co in 0..c_out {
            let block = &m[co * XI * tb..][..XI * tb];
            t.output(g, block, co, band, bias.map_or(0.0, |b| b[co]), rows, y);
        }
        r0 += band.1;
    }
}

/// Adds the weight gradient of the images `x` `[n, c_in, h, w]` (output gradient `dy`
/// `[n, c_out, oh, ow]`), in the transformed domain, to `du` (`[XI][c_out][c_in]`):
/// `du_xi += Yhat_xi V_xi^T` over the images' tiles, with `Yhat = A dy A^T` of each 2x2 tile of
/// the output gradient and `V = B^T d B` of the input (Lavin & Gray, section 5: the derivative
/// of `Y = A^T (U (.) V) A` in U). [`kernel_grad`] maps the sum back.
pub(super) fn weight_grad(
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
    let band = band_rows(c_in.max(c_out), t.tw, t.rows);
    let (v_len, m_len) = (c_in * XI * band * t.tw, c_out * XI * band * t.tw);
    scratch.resize(v_len + m_len + rows_len(band * t.tw, t.tw), 0.0);
    let (v, rest) = scratch.split_at_mut(v_len);
    let (m, rows) = rest.split_at_mut(m_len);
    let mut r0 = 0;
    while r0 < t.rows {
        let band = (r0, band.min(t.rows - r0));
        let tb = band.1 * t.tw;
        for ci in 0..c_in {
            let block = &mut v[ci * XI * tb..][..XI * tb];
            t.input(g, x, ci, band, rows, block);
        }
        for co in 0..c_out {
            let block = &mut m[co * XI * tb..][..XI * tb];
            t.output_grad(g, dy, co, band, rows, block);
        }
        for xi in 0..XI {
            // SAFETY: Yhat_xi is [c_out, tb] with row stride XI * tb from offset xi * tb;
            // V_xi^T is [tb, c_in] read with strides (1, XI * tb); du_xi is [c_out, c_in].
            unsafe {
                matmul(
                    [c_out, c_in, tb],
                    du.as_mut_ptr().add(xi * c_out * c_in),
                    c_in as isize,
                    true,
                    m.as_ptr().add(xi * tb),
                    ((XI * tb) as isize, 1),
                    v.as_ptr().add(xi * tb),
                    (1, (XI * tb) as isize),
                );
            }
        }
        r0 += band.1;
    }
}

/// The tiles of a call: tile row r (of `rows`) is tile row `r % th` of image `r / th`, `tw`
/// tiles each; a band of tile rows holds its tiles in order, `tb = rows * tw` of them.
struct Tiles {
    images: usize,
    image_in: usize,
    image_out: usize,
    th: usize,
    tw: usize,
    rows: usize,
}

impl Tiles {
    fn new(g: &Geometry, images: usize) -> Self {
        let (th, tw) = (g.oh.div_ceil(2), g.ow.div_ceil(2));
        let (image_in, image_out) = (g.c_in * g.h * g.w, g.c_out * g.oh * g.ow);
        Tiles { images, image_in, image_out, th, tw, rows: images * th }
    }

    /// `B^T d B` of input channel `ci` over the band's tiles into `block` (16 rows of the
    /// band's tiles). The 4x4 tiles are first gathered as 16 rows over the band, one per
    /// (tile row i, column j), then transformed with loops over the whole band, so that they
    /// vectorise even where a tile row holds few tiles.
    fn input(
        &self,
        g: &Geometry,
        x: &[f32],
        ci: usize,
        (r0, band): (usize, usize),
        rows: &mut [f32],
        block: &mut [f32],
    ) {
        let (tw, tb, n) = (self.tw, band * self.tw, self.tw + 1);
        let (dbuf, rest) = rows.split_at_mut(XI * tb);
        let (tbuf, cols) = rest.split_at_mut(XI * tb);
        let (even, odd) = cols[..2 * n].split_at_mut(n);
        // d[4 i + j][tile] = x_pad[2 ty + i][2 tx + j], from the even and odd padded columns.
        for r in 0..band {
            let (image, ty) = ((r0 + r) / self.th, (r0 + r) % self.th);
            let plane = &x[image * self.image_in + ci * g.h * g.w..][..g.h * g.w];
            for i in 0..4 {
                let iy = (2 * ty + i) as isize - g.ph as isize;
                let inside = iy >= 0 && iy < g.h as isize;
                for (parity, half) in [&mut *even, &mut *odd].into_iter().enumerate() {
                    let (lo, hi) = Geometry::valid(n, 2, parity, g.pw, g.w);
                    if !inside || lo == hi {
                        half.fill(0.0);
                        continue;
                    }
                    half[..lo].fill(0.0);
                    half[hi..].fill(0.0);
                    let src = &plane[iy as usize * g.w..][..g.w];
                    gather(&mut half[lo..hi], &src[2 * lo + parity - g.pw..], 2);
                }
                let at = r * tw;
                dbuf[4 * i * tb + at..][..tw].copy_from_slice(&even[..tw]);
                dbuf[(4 * i + 1) * tb + at..][..tw].copy_from_slice(&odd[..tw]);
                dbuf[(4 * i + 2) * tb + at..][..tw].copy_from_slice(&even[1..]);
                dbuf[(4 * i + 3) * tb + at..][..tw].copy_from_slice(&odd[1..]);
            }
        }
        // d B along each row i: t[4 i + j] = [d0 - d2, d1 + d2, d2 - d1, d1 - d3][j].
        let d = |k: usize| &dbuf[k * tb..][..tb];
        for (i, t) in tbuf.chunks_exact_mut(4 * tb).enumerate() {
            let (d0, d1, d2, d3) = (d(4 * i), d(4 * i + 1), d(4 * i + 2), d(4 * i + 3));
            let (a, rest) = t.split_at_mut(tb);
            let (b, rest) = rest.split_at_mut(tb);
            let (c, e) = rest.split_at_mut(tb);
            sub(a, d0, d2);
            add(b, d1, d2);
            sub(c, d2, d1);
            sub(e, d1, d3);
        }
        // B^T along the rows: V[4 i + j] = [t0 - t2, t1 + t2, t2 - t1, t1 - t3][i] of t[4 i' + j].
        let t = |k: usize| &tbuf[k * tb..][..tb];
        let (v0, rest) = block[..XI * tb].split_at_mut(4 * tb);
        let (v1, rest) = rest.split_at_mut(4 * tb);
        let (v2, v3) = rest.split_at_mut(4 * tb);
        for j in 0..4 {
            let (t0, t1, t2, t3) = (t(j), t(4 + j), t(8 + j), t(12 + j));
            sub(&mut v0[j * tb..][..tb], t0, t2);
            add(&mut v1[j * tb..][..tb], t1, t2);
            sub(&mut v2[j * tb..][..tb], t2, t1);
            sub(&mut v3[j * tb..][..tb], t1, t3);
        }
    }

    /// `A^T M A + bias` of output channel `co` over the band's tiles (`block`: the 16 rows of
    /// M), into the images' output rows in `y` (an odd height or width drops the last tiles'
    /// second row or column).
    #[allow(clippy::too_many_arguments)]
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
        let (tw, tb) = (self.tw, band * self.tw);
        let m = |xi: usize| &block[xi * tb..][..tb];
        let (sbuf, rest) = rows.split_at_mut(8 * tb);
        let ybuf = &mut rest[..4 * tb];
        // M A along each row i: s[2 i] = m0 + m1 + m2, s[2 i + 1] = m1 - m2 - m3.
        for (i, s) in sbuf.chunks_exact_mut(2 * tb).enumerate() {
            let (m0, m1, m2, m3) = (m(4 * i), m(4 * i + 1), m(4 * i + 2), m(4 * i + 3));
            let (s0, s1) = s.split_at_mut(tb);
            for (k, (a, b)) in s0.iter_mut().zip(s1.iter_mut()).enumerate() {
                *a = m0[k] + m1[k] + m2[k];
                *b = m1[k] - m2[k] - m3[k];
            }
        }
        // A^T along the rows: output row a of the tile, column parity b, is y[2 a + b].
        let s = |k: usize| &sbuf[k * tb..][..tb];
        let (top, bottom) = ybuf.split_at_mut(2 * tb);
        for b in 0..2 {
            let (s0, s1, s2, s3) = (s(b), s(2 + b), s(4 + b), s(6 + b));
            let (t, u) = (&mut top[b * tb..][..tb], &mut bottom[b * tb..][..tb]);
            for (k, (t, u)) in t.iter_mut().zip(u.iter_mut()).enumerate() {
                *t = s0[k] + s1[k] + s2[k] + bias;
                *u = s1[k] - s2[k] - s3[k] + bias;
            }
        }
        let yv = |k: usize| &ybuf[k * tb..][..tb];
        for r in 0..band {
            let (image, ty) = ((r0 + r) / self.th, (r0 + r) % self.th);
            let plane = &mut y[image * self.image_out + co * g.oh * g.ow..][..g.oh * g.ow];
            for a in 0..(g.oh - 2 * ty).min(2) {
                let row = &mut plane[(2 * ty + a) * g.ow..][..g.ow];
                let (even, odd) = (&yv(2 * a)[r * tw..][..tw], &yv(2 * a + 1)[r * tw..][..tw]);
                let mut pairs = row.chunks_exact_mut(2);
                for ((pair, &e), &o) in (&mut pairs).zip(even).zip(odd) {
                    pair[0] = e;
                    pair[1] = o;
                }
                if let [last] = pairs.into_remainder() {
                    *last = even[tw - 1];
                }
            }
        }
    }

    /// `A dy A^T` of output-gradient channel `co` over the band's tiles (zero beyond the
    /// output), into `block` (16 rows of the band's tiles).
    fn output_grad(
        &self,
        g: &Geometry,
        dy: &[f32],
        co: usize,
        (r0, band): (usize, usize),
        rows: &mut [f32],
        block: &mut [f32],
    ) {
        let (tw, tb) = (self.tw, band * self.tw);
        let (ybuf, rest) = rows.split_at_mut(4 * tb);
        let cbuf = &mut rest[..8 * tb];
        // y[2 a + b][tile] = dy[2 ty + a][2 tx + b], zero beyond the output.
        ybuf.fill(0.0);
        for r in 0..band {
            let (image, ty) = ((r0 + r) / self.th, (r0 + r) % self.th);
            let plane = &dy[image * self.image_out + co * g.oh * g.ow..][..g.oh * g.ow];
            for a in 0..(g.oh - 2 * ty).min(2) {
                let row = &plane[(2 * ty + a) * g.ow..][..g.ow];
                let (even, odd) = ybuf[2 * a * tb..(2 * a + 2) * tb].split_at_mut(tb);
                let (even, odd) = (&mut even[r * tw..][..tw], &mut odd[r * tw..][..tw]);
                let mut pairs = row.chunks_exact(2);
                for ((pair, e), o) in (&mut pairs).zip(even.iter_mut()).zip(odd.iter_mut()) {
                    *e = pair[0];
                    *o = pair[1];
                }
                if let [last] = pairs.remainder() {
                    even[tw - 1] = *last;
                }
            }
        }
        // y A^T along each row a: c[4 a + j] = [e, e + o, e - o, -o][j].
        let yv = |k: usize| &ybuf[k * tb..][..tb];
        for (a, c) in cbuf.chunks_exact_mut(4 * tb).enumerate() {
            let (e, o) = (yv(2 * a), yv(2 * a + 1));
            let (c0, rest) = c.split_at_mut(tb);
            let (c1, rest) = rest.split_at_mut(tb);
            let (c2, c3) = rest.split_at_mut(tb);
            c0.copy_from_slice(e);
            add(c1, e, o);
            sub(c2, e, o);
            neg(c3, o);
        }
        // A along the rows: Yhat[4 i + j] = [r0, r0 + r1, r0 - r1, -r1][i] with r_a = c[4 a + j].
        let c = |k: usize| &cbuf[k * tb..][..tb];
        let (y0, rest) = block[..XI * tb].split_at_mut(4 * tb);
        let (y1, rest) = rest.split_at_mut(4 * tb);
        let (y2, y3) = rest.split_at_mut(4 * tb);
        for j in 0..4 {
            let (c0, c1) = (c(j), c(4 + j));
            y0[j * tb..][..tb].copy_from_slice(c0);
            add(&mut y1[j * tb..][..tb], c0, c1);
            sub(&mut y2[j * tb..][..tb], c0, c1);
            neg(&mut y3[j * tb..][..tb], c1);
        }
    }
}

/// `out = a - b`.
#[inline(always)]
fn sub(out: &mut [f32], a: &[f32], b: &[f32]) {
    for ((o, &x), &y) in out.iter_mut().zip(a).zip(b) {
        *o = x - y;
    }
}

/// `out = a + b`.
#[inline(always)]
fn add(out: &mut [f32], a: &[f32], b: &[f32]) {
    for ((o, &x), &y) in out.iter_mut().zip(a).zip(b) {
        *o = x + y;
    }
}

/// `out = -a`.
#[inline(always)]
fn neg(out: &mut [f32], a: &[f32]) {
    for (o, &x) in out.iter_mut().zip(a) {
        *o = -x;
    }
}

/// Scratch of the tile transforms of a band of `tb` tiles (`tw` per tile row).
fn rows_len(tb: usize, tw: usize) -> usize {
    2 * XI * tb + 2 * (tw + 1)
}

/// The weight gradient `[c_out, c_in, 3, 3]` of the transformed-domain sum `du`
/// (`[XI][c_out][c_in]`, from [`weight_grad`]) into `dw`: `G^T du G` per channel pair, in f64.
pub(super) fn kernel_grad(g: &Geometry, du: &[f32], dw: &mut [f32]) {
    let (c_out, c_in) = (g.c_out, g.c_in);
    assert!(dw.len() >= c_out * c_in * 9 && du.len() >= transformed_len(g));
    // G^T applied to a length-4 vector: the three taps.
    let gt = |v: [f64; 4]| {
        [v[0] + (v[1] + v[2]) / 2.0, (v[1] - v[2]) / 2.0, (v[1] + v[2]) / 2.0 + v[3]]
    };
    for co in 0..c_out {
        for ci in 0..c_in {
            let d: [[f64; 4]; 4] = core::array::from_fn(|i| {
                core::array::from_fn(|j| du[((i * 4 + j) * c_out + co) * c_in + ci] as f64)
            });
            // G^T d: along the rows i, for each column j.
            let cols: [[f64; 3]; 4] = core::array::from_fn(|j| gt([d[0][j], d[1][j], d[2][j], d[3][j]]));
            let out = &mut dw[(co * c_in + ci) * 9..][..9];
            for ky in 0..3 {
                let row = gt([cols[0][ky], cols[1][ky], cols[2][ky], cols[3][ky]]);
                for kx in 0..3 {
                    out[ky * 3 + kx] = row[kx] as f32;
                }
            }
        }
    }
}
