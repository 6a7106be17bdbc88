//! Sampling the continuous phantom on a sequence's grid, then the scanner's bias and noise.
//!
//! A moving sequence acquired with the patient moved by `T` (fixed/T2 world -> moving world,
//! the ITK convention) sees at its world point `q` the patient's point `T^-1 q`; evaluating the
//! analytic phantom there makes the truth exact. Each voxel averages a few sub-samples
//! (partial volume across the slice thickness, and in-plane for the coarse DWI).

use livermet_io::{Affine, Grid, invert_affine, mat4_mul};
use rand::Rng;

use crate::phantom::{Phantom, Sample};
use crate::random::standard_normal_pair;
use crate::scanner::ScannerProfile;

/// b-values of the synthetic DWI, s/mm².
pub const B_VALUES: [f64; 3] = [0.0, 500.0, 1000.0];

/// Voxel -> patient-frame affine of a grid moved by `fixed_to_moving`.
pub fn voxel_to_patient(grid: &Grid, fixed_to_moving: &Affine) -> Affine {
    mat4_mul(&invert_affine(fixed_to_moving), &grid.affine)
}

/// For every voxel (i fastest), the mean of `f` over `ss` sub-samples per axis, evaluated at
/// the patient-frame points the voxel covers.
pub fn sample_grid<const N: usize>(
    phantom: &Phantom,
    grid: &Grid,
    fixed_to_moving: &Affine,
    ss: [usize; 3],
    f: impl Fn(&Sample) -> [f64; N],
) -> Vec<[f64; N]> {
    let m = voxel_to_patient(grid, fixed_to_moving);
    let offs = |n: usize| (0..n).map(move |s| (s as f64 + 0.5) / n as f64 - 0.5);
    let subs: Vec<[f64; 3]> = offs(ss[0])
        .flat_map(|a| offs(ss[1]).flat_map(move |b| offs(ss[2]).map(move |c| [a, b, c])))
        .collect();
    let w = 1.0 / subs.len() as f64;
    // Half the voxel's diagonal in mm: a voxel whose centre is farther than this outside the
    // body is air at every sub-sample, so one evaluation does.
    let col = |c: usize| (m[0][c].powi(2) + m[1][c].powi(2) + m[2][c].powi(2)).sqrt();
    let half_diagonal = 0.5 * (col(0).powi(2) + col(1).powi(2) + col(2).powi(2)).sqrt();
    let [nx, ny, nz] = grid.dims;
    let mut out = Vec::with_capacity(nx * ny * nz);
    for k in 0..nz {
        for j in 0..ny {
            for i in 0..nx {
                let centre = livermet_io::apply_affine(&m, [i as f64, j as f64, k as f64]);
                if phantom.anatomy.outside_body(centre, half_diagonal) {
                    out.push(f(&phantom.sample(centre)));
                    continue;
                }
                let mut acc = [0.0; N];
                for s in &subs {
                    let v = [i as f64 + s[0], j as f64 + s[1], k as f64 + s[2]];
                    let p = livermet_io::apply_affine(&m, v);
                    let vals = f(&phantom.sample(p));
                    for (a, x) in acc.iter_mut().zip(vals) {
                        *a += x * w;
                    }
                }
                out.push(acc);
            }
        }
    }
    out
}

/// Scanner intensities from relative ones: `scale * bias(q) * value`, then Rician noise of SD
/// `noise_sd` (absolute units) when `rng` is given: `sqrt((S + n1)^2 + n2^2)`, n1, n2 ~ N(0, sd)
/// (the magnitude of a complex signal with Gaussian noise in both channels); then rounded to
/// whole numbers.
pub fn acquire<R: Rng + ?Sized>(
    values: &[f64],
    grid: &Grid,
    profile: &ScannerProfile,
    noise_sd: f64,
    rng: Option<&mut R>,
) -> Vec<f32> {
    let [nx, ny, _] = grid.dims;
    let mut out: Vec<f32> = values
        .iter()
        .enumerate()
        .map(|(idx, &v)| {
            let (i, j, k) = (idx % nx, (idx / nx) % ny, idx / (nx * ny));
            let q = livermet_io::apply_affine(&grid.affine, [i as f64, j as f64, k as f64]);
            (profile.intensity_scale * profile.bias(q) * v) as f32
        })
        .collect();
    if let Some(rng) = rng {
        for s in out.iter_mut() {
            let (z1, z2) = standard_normal_pair(rng);
            let (n1, n2) = (noise_sd * z1, noise_sd * z2);
            *s = ((*s as f64 + n1).powi(2) + n2 * n2).sqrt() as f32;
        }
    }
    // Scanners store whole numbers: rounding makes the files what a scanner writes (int16
    // without scaling) and lets them compress.
    out.iter_mut().for_each(|s| *s = s.round());
    out
}

/// Relative DWI signals `S0 exp(-b ADC)` for [`B_VALUES`] at a sample (Stejskal-Tanner,
/// mono-exponential).
pub fn dwi_signals(s: &Sample) -> [f64; 3] {
    B_VALUES.map(|b| s.props.s0 * (-b * s.props.adc).exp())
}

/// Log-linear least-squares ADC over [`B_VALUES`]: slope of ln S against b, negated.
pub fn fit_adc(signals: &[f64; 3]) -> f64 {
    let n = B_VALUES.len() as f64;
    let mb = B_VALUES.iter().sum::<f64>() / n;
    let ls: Vec<f64> = signals.iter().map(|s| s.max(1e-12).ln()).collect();
    let ml = ls.iter().sum::<f64>() / n;
    let sxy: f64 = B_VALUES
        .iter()
        .zip(&ls)
        .map(|(b, l)| (b - mb) * (l - ml))
        .sum();
    let sxx: f64 = B_VALUES.iter().map(|b| (b - mb).powi(2)).sum();
    -sxy / sxx
}
