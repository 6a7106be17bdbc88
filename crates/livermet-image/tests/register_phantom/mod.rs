//! A multi-contrast pelvic phantom for registration tests and the registration benchmark.
//!
//! Analytic tissues in world RAS mm (body ellipsoid, bladder, rectal tumour, femoral heads,
//! a fat layer) are sampled on any grid, with box-filter supersampling (partial volume) and
//! seeded noise. The moving image shows the anatomy moved by a known rigid transform `T`
//! (fixed -> moving): `moving(y) = phantom(T^-1(y))`.

#![allow(dead_code)]

use livermet_io::{Affine, IDENTITY, Volume, apply_affine, invert_affine};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Intensities of the tissues in one sequence.
#[derive(Debug, Clone, Copy)]
pub struct Contrast {
    pub air: f32,
    pub body: f32,
    pub fat: f32,
    pub bladder: f32,
    pub tumour: f32,
    pub bone: f32,
    /// Noise SD (Gaussian; Rician when `rician`).
    pub noise: f32,
    pub rician: bool,
}

/// T2-weighted: bright bladder, intermediate tumour.
pub const T2: Contrast = Contrast {
    air: 0.0,
    body: 300.0,
    fat: 650.0,
    bladder: 900.0,
    tumour: 520.0,
    bone: 150.0,
    noise: 8.0,
    rician: false,
};
/// T1-weighted: dark bladder, bright fat and marrow.
pub const T1: Contrast = Contrast {
    air: 0.0,
    body: 420.0,
    fat: 800.0,
    bladder: 120.0,
    tumour: 330.0,
    bone: 700.0,
    noise: 10.0,
    rician: false,
};
/// DWI-like at high b: bright tumour, everything else dim, low SNR, Rician.
pub const DWI: Contrast = Contrast {
    air: 0.0,
    body: 90.0,
    fat: 30.0,
    bladder: 50.0,
    tumour: 260.0,
    bone: 25.0,
    noise: 14.0,
    rician: true,
};

/// Which tissue a world point (in the phantom's own frame) lies in: 0 air, 1 body, 2 fat,
/// 3 bladder, 4 tumour, 5 bone.
pub fn tissue(p: [f64; 3]) -> u8 {
    let e = |c: [f64; 3], r: [f64; 3]| {
        ((p[0] - c[0]) / r[0]).powi(2)
            + ((p[1] - c[1]) / r[1]).powi(2)
            + ((p[2] - c[2]) / r[2]).powi(2)
    };
    if e([0.0, 0.0, 0.0], [52.0, 38.0, 90.0]) > 1.0 {
        return 0;
    }
    if e([8.0, -12.0, 4.0], [11.0, 9.0, 12.0]) <= 1.0 {
        return 4;
    }
    if e([-2.0, 14.0, -6.0], [17.0, 12.0, 14.0]) <= 1.0 {
        return 3;
    }
    if e([-34.0, 2.0, -10.0], [11.0, 11.0, 11.0]) <= 1.0
        || e([34.0, 2.0, 12.0], [10.0, 10.0, 10.0]) <= 1.0
    {
        return 5;
    }
    if e([0.0, 0.0, 0.0], [46.0, 32.0, 90.0]) > 1.0 {
        return 2;
    }
    1
}

/// A grid with voxel size `spacing` and `dims`, axis-aligned, centred at `centre`.
pub fn grid(dims: [usize; 3], spacing: [f64; 3], centre: [f64; 3]) -> Affine {
    let mut a = IDENTITY;
    for d in 0..3 {
        a[d][d] = spacing[d];
        a[d][3] = centre[d] - spacing[d] * (dims[d] as f64 - 1.0) / 2.0;
    }
    a
}

/// Sample the phantom in `contrast` on a grid; `moved` maps image world points back to the
/// phantom's frame (`T^-1` for a moving image, identity for the fixed one).
pub fn sample(
    dims: [usize; 3],
    affine: Affine,
    moved: &Affine,
    contrast: &Contrast,
    seed: u64,
) -> Volume {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let sub = [2usize, 2, 3];
    let value = |t: u8| match t {
        0 => contrast.air,
        1 => contrast.body,
        2 => contrast.fat,
        3 => contrast.bladder,
        4 => contrast.tumour,
        _ => contrast.bone,
    };
    let mut v = Volume::zeros(dims, affine);
    for k in 0..dims[2] {
        for j in 0..dims[1] {
            for i in 0..dims[0] {
                let mut acc = 0.0f32;
                for a in 0..sub[0] {
                    for b in 0..sub[1] {
                        for c in 0..sub[2] {
                            let o = [a, b, c].map(|x| x as f64);
                            let q = [
                                i as f64 + (o[0] + 0.5) / sub[0] as f64 - 0.5,
                                j as f64 + (o[1] + 0.5) / sub[1] as f64 - 0.5,
                                k as f64 + (o[2] + 0.5) / sub[2] as f64 - 0.5,
                            ];
                            acc += value(tissue(apply_affine(moved, apply_affine(&affine, q))));
                        }
                    }
                }
                let clean = acc / (sub[0] * sub[1] * sub[2]) as f32;
                let (n1, n2) = (
                    gauss(&mut rng) * contrast.noise,
                    gauss(&mut rng) * contrast.noise,
                );
                let noisy = if contrast.rician {
                    ((clean + n1).powi(2) + n2 * n2).sqrt()
                } else {
                    clean + n1
                };
                v.set(i, j, k, noisy);
            }
        }
    }
    v
}

/// Standard normal by Box-Muller.
fn gauss(rng: &mut ChaCha8Rng) -> f32 {
    let u1: f64 = rng.random_range(f64::EPSILON..1.0);
    let u2: f64 = rng.random_range(0.0..1.0);
    ((-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()) as f32
}

/// A fixed (T2-like, 0.7 x 0.7 x 3 mm, 160 x 160 x 14) and a moving image in `contrast` on a
/// `dims`/`spacing` grid whose field of view is shifted by `fov_shift`, moved by `truth`.
pub fn pair(
    truth: &Affine,
    contrast: &Contrast,
    dims: [usize; 3],
    spacing: [f64; 3],
    fov_shift: [f64; 3],
) -> (Volume, Volume) {
    let fixed = sample(
        [160, 160, 14],
        grid([160, 160, 14], [0.7, 0.7, 3.0], [0.0; 3]),
        &IDENTITY,
        &T2,
        1,
    );
    let moving = sample(
        dims,
        grid(dims, spacing, fov_shift),
        &invert_affine(truth),
        contrast,
        2,
    );
    (fixed, moving)
}

/// Target registration error: mean |T_est(x) - T_true(x)| in mm over the fixed voxels that
/// are body or tumour (`fixed_tissue` > 0), plus the same over tumour voxels alone.
pub fn tre(
    fixed: &Volume,
    estimate: &Affine,
    truth: &Affine,
    in_roi: impl Fn([f64; 3]) -> bool,
) -> f64 {
    let (mut sum, mut n) = (0.0, 0usize);
    for k in 0..fixed.dims[2] {
        for j in 0..fixed.dims[1] {
            for i in 0..fixed.dims[0] {
                let x = fixed.voxel_to_world([i as f64, j as f64, k as f64]);
                if !in_roi(x) {
                    continue;
                }
                let (a, b) = (apply_affine(estimate, x), apply_affine(truth, x));
                sum +=
                    ((a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2) + (a[2] - b[2]).powi(2)).sqrt();
                n += 1;
            }
        }
    }
    sum / n.max(1) as f64
}
