//! The 2D convolution that the networks run on (burn-flex with livermet's direct, Winograd and
//! im2col + gemm kernels, `vendor/README.md`): forward output and both gradients against a
//! direct f64 convolution, over strides, paddings (symmetric and not), dilations, groups, 1x1, 3x3 and 7x7 kernels.

use burn::tensor::module::conv2d;
use burn::tensor::ops::ConvOptions;
use burn::tensor::{Tensor, TensorData};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::common::cpu;

/// One case: input `[b, c_in, h, w]`, `c_out`, kernel `[kh, kw]`, stride, padding
/// `[(top, bottom), (left, right)]`, dilation, groups.
struct Case {
    x: [usize; 4],
    c_out: usize,
    k: [usize; 2],
    stride: [usize; 2],
    pad: [(usize, usize); 2],
    dilation: [usize; 2],
    groups: usize,
}

impl Case {
    fn out(&self) -> [usize; 2] {
        let o = |i: usize, d: usize| {
            (self.x[2 + i] + self.pad[i].0 + self.pad[i].1 - self.dilation[i] * (self.k[i] - 1) - 1)
                / self.stride[d]
                + 1
        };
        [o(0, 0), o(1, 1)]
    }
}

fn random(n: usize, rng: &mut ChaCha8Rng) -> Vec<f32> {
    (0..n).map(|_| rng.random::<f32>() * 2.0 - 1.0).collect()
}

/// Direct convolution in f64: output, input gradient and weight gradient for upstream `gy`.
fn direct(c: &Case, x: &[f32], w: &[f32], bias: &[f32], gy: &[f32]) -> [Vec<f64>; 3] {
    let [b, ci, h, wd] = c.x;
    let [oh, ow] = c.out();
    let (cig, cog) = (ci / c.groups, c.c_out / c.groups);
    let [kh, kw] = c.k;
    let mut y = vec![0f64; b * c.c_out * oh * ow];
    let mut dx = vec![0f64; x.len()];
    let mut dw = vec![0f64; w.len()];
    for n in 0..b {
        for co in 0..c.c_out {
            let g = co / cog;
            for oy in 0..oh {
                for ox in 0..ow {
                    let yi = ((n * c.c_out + co) * oh + oy) * ow + ox;
                    y[yi] = bias[co] as f64;
                    for cl in 0..cig {
                        let cin = g * cig + cl;
                        for ky in 0..kh {
                            for kx in 0..kw {
                                let iy = (oy * c.stride[0] + ky * c.dilation[0]) as isize
                                    - c.pad[0].0 as isize;
                                let ix = (ox * c.stride[1] + kx * c.dilation[1]) as isize
                                    - c.pad[1].0 as isize;
                                if iy < 0 || ix < 0 || iy >= h as isize || ix >= wd as isize {
                                    continue;
                                }
                                let xi = ((n * ci + cin) * h + iy as usize) * wd + ix as usize;
                                let wi = ((co * cig + cl) * kh + ky) * kw + kx;
                                y[yi] += x[xi] as f64 * w[wi] as f64;
                                dx[xi] += w[wi] as f64 * gy[yi] as f64;
                                dw[wi] += x[xi] as f64 * gy[yi] as f64;
                            }
                        }
                    }
                }
            }
        }
    }
    [y, dx, dw]
}

fn assert_close(what: &str, got: &[f32], want: &[f64]) {
    assert_eq!(got.len(), want.len(), "{what}: length");
    let scale = want.iter().fold(1.0f64, |m, v| m.max(v.abs()));
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert!(
            ((*g as f64) - w).abs() <= 1e-5 * scale,
            "{what}[{i}]: {g} vs {w} (scale {scale})"
        );
    }
}

fn check(c: &Case, seed: u64) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let [b, ci, h, wd] = c.x;
    let [kh, kw] = c.k;
    let [oh, ow] = c.out();
    let w_shape = [c.c_out, ci / c.groups, kh, kw];
    let x = random(b * ci * h * wd, &mut rng);
    let w = random(w_shape.iter().product(), &mut rng);
    let bias = random(c.c_out, &mut rng);
    let gy = random(b * c.c_out * oh * ow, &mut rng);
    let [y_ref, dx_ref, dw_ref] = direct(c, &x, &w, &bias, &gy);

    let dev = cpu().autodiff();
    let xt = Tensor::<4>::from_data(TensorData::new(x, c.x), &dev).require_grad();
    let wt = Tensor::<4>::from_data(TensorData::new(w, w_shape), &dev).require_grad();
    let bt = Tensor::<1>::from_data(TensorData::new(bias, [c.c_out]), &dev);
    let options = ConvOptions::new_with_padding(c.stride, c.pad, c.dilation, c.groups);
    let y = conv2d(xt.clone(), wt.clone(), Some(bt), options);
    assert_eq!(y.dims(), [b, c.c_out, oh, ow]);
    let gyt = Tensor::<4>::from_data(TensorData::new(gy, [b, c.c_out, oh, ow]), &dev);
    let grads = (y.clone() * gyt).sum().backward();
    let vec = |t: Tensor<4>| t.into_data().try_to_vec::<f32>().unwrap();
    assert_close("y", &vec(y), &y_ref);
    assert_close("dx", &vec(xt.grad(&grads).unwrap()), &dx_ref);
    assert_close("dw", &vec(wt.grad(&grads).unwrap()), &dw_ref);
}

#[test]
fn conv2d_and_gradients_match_a_direct_convolution() {
    let case = |x, c_out, k, stride, pad, dilation, groups| Case {
        x,
        c_out,
        k,
        stride,
        pad,
        dilation,
        groups,
    };
    let cases = [
        // The network's own shapes: 7x7 stem stride 2 pad 3, 3x3 pad 1 at strides 1 and 2,
        // 1x1 projections at stride 2 (and a pointwise stride-1 conv).
        case(
            [3, 5, 20, 20],
            4,
            [7, 7],
            [2, 2],
            [(3, 3), (3, 3)],
            [1, 1],
            1,
        ),
        case(
            [5, 4, 11, 11],
            6,
            [3, 3],
            [1, 1],
            [(1, 1), (1, 1)],
            [1, 1],
            1,
        ),
        case(
            [5, 4, 11, 11],
            8,
            [3, 3],
            [2, 2],
            [(1, 1), (1, 1)],
            [1, 1],
            1,
        ),
        case(
            [6, 4, 10, 9],
            8,
            [1, 1],
            [2, 2],
            [(0, 0), (0, 0)],
            [1, 1],
            1,
        ),
        case([2, 6, 7, 5], 3, [1, 1], [1, 1], [(0, 0), (0, 0)], [1, 1], 1),
        // Unequal strides and kernels, asymmetric padding, dilation, groups, no padding.
        case(
            [2, 3, 9, 12],
            5,
            [3, 2],
            [2, 1],
            [(2, 0), (0, 1)],
            [1, 1],
            1,
        ),
        case(
            [2, 4, 13, 13],
            4,
            [3, 3],
            [1, 2],
            [(2, 2), (1, 1)],
            [2, 2],
            2,
        ),
        case([1, 2, 6, 6], 2, [5, 5], [3, 3], [(0, 0), (0, 0)], [1, 1], 1),
        // A feature map larger than one column band (several bands per image).
        case(
            [2, 16, 48, 48],
            4,
            [3, 3],
            [1, 1],
            [(1, 1), (1, 1)],
            [1, 1],
            1,
        ),
        // Direct kernels (<= 32 channels): rows of several register tiles with a ragged last
        // vector, output channels not a multiple of the 4-channel tile, taps not a multiple
        // of 3; a stride-1 input gradient with asymmetric padding (run as a forward conv),
        // and one whose padding exceeds the kernel's reach (left to the gemm path).
        case(
            [3, 5, 30, 37],
            7,
            [3, 3],
            [1, 1],
            [(1, 1), (1, 1)],
            [1, 1],
            1,
        ),
        case(
            [2, 3, 9, 12],
            5,
            [3, 2],
            [1, 1],
            [(2, 0), (0, 1)],
            [1, 1],
            1,
        ),
        case([2, 2, 6, 7], 3, [1, 3], [1, 1], [(1, 1), (1, 1)], [1, 1], 1),
        case(
            [2, 5, 33, 33],
            2,
            [7, 7],
            [2, 2],
            [(3, 3), (3, 3)],
            [1, 1],
            1,
        ),
        // A stem with many output channels (direct: it reads at most 16 channels).
        case(
            [2, 5, 20, 20],
            36,
            [7, 7],
            [2, 2],
            [(3, 3), (3, 3)],
            [1, 1],
            1,
        ),
        // Wide 3x3 stride-1 convolutions (> 32 output and > 16 input channels) run Winograd,
        // forward and both gradients: F(2x2, 3x3) below 16 x 16 outputs, with odd output sizes
        // (a last tile row and column cut in half), asymmetric padding, no padding; F(4x4,
        // 3x3) from 16 x 16, with sizes that 4 does not divide, one band and several bands of
        // tile rows.
        case(
            [2, 36, 9, 10],
            40,
            [3, 3],
            [1, 1],
            [(1, 1), (1, 1)],
            [1, 1],
            1,
        ),
        case(
            [2, 20, 11, 13],
            36,
            [3, 3],
            [1, 1],
            [(1, 1), (1, 1)],
            [1, 1],
            1,
        ),
        case(
            [2, 18, 9, 12],
            34,
            [3, 3],
            [1, 1],
            [(2, 0), (0, 1)],
            [1, 1],
            1,
        ),
        case(
            [3, 17, 8, 8],
            33,
            [3, 3],
            [1, 1],
            [(0, 0), (0, 0)],
            [1, 1],
            1,
        ),
        case(
            [1, 40, 40, 40],
            48,
            [3, 3],
            [1, 1],
            [(1, 1), (1, 1)],
            [1, 1],
            1,
        ),
        case(
            [2, 36, 17, 19],
            40,
            [3, 3],
            [1, 1],
            [(1, 1), (1, 1)],
            [1, 1],
            1,
        ),
        case(
            [1, 20, 20, 18],
            34,
            [3, 3],
            [1, 1],
            [(2, 0), (0, 1)],
            [1, 1],
            1,
        ),
        case(
            [1, 40, 40, 88],
            48,
            [3, 3],
            [1, 1],
            [(1, 1), (1, 1)],
            [1, 1],
            1,
        ),
        // Wide at stride 2: im2col + gemm (forward and input gradient), direct weight gradient.
        case(
            [2, 36, 9, 10],
            40,
            [3, 3],
            [2, 2],
            [(1, 1), (1, 1)],
            [1, 1],
            1,
        ),
        // The AVX-512 direct kernels' tiles: one vector per row with 16 channels (and 12 in
        // the input gradient: 8 + 4), rows of exactly two vectors, 24 = 16 + 8 channels with
        // a masked last vector of 1 column, a stride-2 conv with 16 output channels.
        case(
            [2, 12, 14, 14],
            32,
            [3, 3],
            [1, 1],
            [(1, 1), (1, 1)],
            [1, 1],
            1,
        ),
        case(
            [1, 8, 32, 32],
            24,
            [3, 3],
            [1, 1],
            [(1, 1), (1, 1)],
            [1, 1],
            1,
        ),
        case(
            [2, 5, 17, 33],
            24,
            [3, 3],
            [1, 1],
            [(1, 1), (1, 1)],
            [1, 1],
            1,
        ),
        case(
            [2, 8, 28, 28],
            16,
            [3, 3],
            [2, 2],
            [(1, 1), (1, 1)],
            [1, 1],
            1,
        ),
    ];
    for (i, c) in cases.iter().enumerate() {
        check(c, 100 + i as u64);
    }
}

/// The same cases on the AVX2 kernels: on a CPU with AVX-512 the direct kernels and the
/// Winograd transforms run their AVX-512 builds, and `LIVERMET_CONV_AVX2` (read once per
/// process) keeps the AVX2 ones, so this test runs the test above in a child process with it
/// set. (Without AVX-512 both runs take the AVX2 path.)
#[test]
fn conv2d_and_gradients_match_a_direct_convolution_on_avx2() {
    if std::env::var_os("LIVERMET_CONV_AVX2").is_some() {
        return; // the child itself
    }
    let exe = std::env::current_exe().expect("the test binary's path");
    let out = std::process::Command::new(exe)
        .args([
            "--exact",
            "conv::conv2d_and_gradients_match_a_direct_convolution",
            "conv::conv_and_batch_norm_gradients_are_the_same_on_1_and_3_threads",
        ])
        .env("LIVERMET_CONV_AVX2", "1")
        .output()
        .expect("the test binary runs");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "AVX2 run failed:\n{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        text.contains("2 passed"),
        "AVX2 run did not run both tests:\n{text}"
    );
}

/// The gradients do not depend on how many threads compute them: the weight gradient sums
/// fixed chunks of images in order and batch norm sums each channel in one order. Checked
/// for a narrow conv (direct kernels) and a wide one (Winograd F(4x4, 3x3) at 16 x 16).
#[test]
fn conv_and_batch_norm_gradients_are_the_same_on_1_and_3_threads() {
    for (c_in, c_out) in [(4, 6), (36, 40)] {
        same_gradients_on_1_and_3_threads(c_in, c_out);
    }
}

fn same_gradients_on_1_and_3_threads(c_in: usize, c_out: usize) {
    let grads_on = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        pool.install(|| {
            let mut rng = ChaCha8Rng::seed_from_u64(11);
            let dev = cpu().autodiff();
            let x = random(13 * c_in * 16 * 16, &mut rng);
            let w = random(c_out * c_in * 9, &mut rng);
            let xt =
                Tensor::<4>::from_data(TensorData::new(x, [13, c_in, 16, 16]), &dev).require_grad();
            let wt = Tensor::<4>::from_data(TensorData::new(w, [c_out, c_in, 3, 3]), &dev)
                .require_grad();
            let y = conv2d(
                xt.clone(),
                wt.clone(),
                None,
                ConvOptions::new([1, 1], [1, 1], [1, 1], 1),
            );
            let ones = Tensor::<1>::ones([c_out], &dev);
            let y = burn::tensor::module::batch_norm_train(y, ones.clone(), ones * 0.5, 1e-5);
            let grads = (y.output.clone() * y.output).sum().backward();
            let bits = |t: Tensor<4>| -> Vec<u32> {
                t.into_data()
                    .try_to_vec::<f32>()
                    .unwrap()
                    .iter()
                    .map(|v| v.to_bits())
                    .collect()
            };
            (
                bits(xt.grad(&grads).unwrap()),
                bits(wt.grad(&grads).unwrap()),
            )
        })
    };
    let one = grads_on(1);
    let three = grads_on(3);
    assert!(
        one.0 == three.0,
        "input gradient differs between 1 and 3 threads ({c_in} -> {c_out} channels)"
    );
    assert!(
        one.1 == three.1,
        "weight gradient differs between 1 and 3 threads ({c_in} -> {c_out} channels)"
    );
}
