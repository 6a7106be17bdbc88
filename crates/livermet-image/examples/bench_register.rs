//! Registration benchmark (the livermet side of bench/register.py).
//!
//! `cargo run --release -p livermet-image --example bench_register -- [DIR [REPEATS]]`
//! (DIR defaults to /tmp/livermet-bench-register)
//! writes the phantom pairs (fixed T2-like; moving T1-like and DWI-like, with their known
//! transforms and body masks) into DIR as NIfTI + JSON, so SimpleITK registers the same files,
//! then registers each pair (and the real fixture pair in fixtures/register) REPEATS times and
//! prints one JSON line per case: median seconds, TRE (mm), iterations.

#[path = "../tests/register_phantom/mod.rs"]
mod register_phantom;

use std::path::{Path, PathBuf};
use std::time::Instant;

use livermet_image::register::{RegistrationOptions, register_rigid};
use livermet_image::transform::{RigidTransform, read_transform_json, write_transform_json};
use livermet_io::{Affine, Volume, apply_affine, read_volume, write_nifti};
use register_phantom::{Contrast, DWI, T1, pair, tissue};

/// A phantom pair written to `dir/<name>_{fixed,moving,roi}.nii.gz` and `<name>_truth.json`.
fn write_phantom(
    dir: &Path,
    name: &str,
    contrast: &Contrast,
    dims: [usize; 3],
    spacing: [f64; 3],
    params: [f64; 6],
) {
    let a = [params[0], params[1], params[2]].map(f64::to_radians);
    let truth = RigidTransform {
        params: [a[0], a[1], a[2], params[3], params[4], params[5]],
        centre: [0.0; 3],
    };
    let (fixed, moving) = pair(
        &truth.to_matrix(),
        contrast,
        dims,
        spacing,
        [2.0, -3.0, 4.0],
    );
    let mut roi = fixed.zeros_like();
    for (n, v) in roi.data.iter_mut().enumerate() {
        let (i, j, k) = (
            n % fixed.dims[0],
            (n / fixed.dims[0]) % fixed.dims[1],
            n / (fixed.dims[0] * fixed.dims[1]),
        );
        *v = if tissue(fixed.voxel_to_world([i as f64, j as f64, k as f64])) > 0 {
            1.0
        } else {
            0.0
        };
    }
    write_nifti(&fixed, &dir.join(format!("{name}_fixed.nii.gz"))).unwrap();
    write_nifti(&moving, &dir.join(format!("{name}_moving.nii.gz"))).unwrap();
    write_nifti(&roi, &dir.join(format!("{name}_roi.nii.gz"))).unwrap();
    write_transform_json(&dir.join(format!("{name}_truth.json")), &truth.to_matrix()).unwrap();
}

/// Mean |T_est(x) - T_true(x)| over voxels where `roi` is nonzero.
fn tre(roi: &Volume, est: &Affine, truth: &Affine) -> f64 {
    let (mut s, mut n) = (0.0, 0);
    for (idx, &v) in roi.data.iter().enumerate() {
        if v == 0.0 {
            continue;
        }
        let (i, j, k) = (
            idx % roi.dims[0],
            (idx / roi.dims[0]) % roi.dims[1],
            idx / (roi.dims[0] * roi.dims[1]),
        );
        let x = roi.voxel_to_world([i as f64, j as f64, k as f64]);
        let (a, b) = (apply_affine(est, x), apply_affine(truth, x));
        s += (0..3).map(|d| (a[d] - b[d]).powi(2)).sum::<f64>().sqrt();
        n += 1;
    }
    s / n as f64
}

/// CPU seconds (user + system) of this process so far, from /proc/self/stat (Linux; 10 ms ticks).
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let fields: Vec<&str> = stat
        .rsplit(") ")
        .next()
        .unwrap_or("")
        .split_whitespace()
        .collect();
    let tick = |i: usize| {
        fields
            .get(i)
            .and_then(|x| x.parse::<f64>().ok())
            .unwrap_or(f64::NAN)
    };
    (tick(11) + tick(12)) / 100.0
}

/// Register with seeds 1..=repeats (the sample set changes, so TRE varies by seed); print median
/// wall and mean CPU seconds, mean and max TRE.
fn case(name: &str, fixed: &Volume, moving: &Volume, roi: &Volume, truth: &Affine, repeats: usize) {
    let mut opts = RegistrationOptions::default();
    if let Ok(n) = std::env::var("REGISTER_SAMPLES") {
        opts.samples = n.parse().expect("REGISTER_SAMPLES: an integer");
    }
    let (mut times, mut tres, mut iterations) = (Vec::new(), Vec::new(), Vec::new());
    let cpu0 = cpu_seconds();
    for seed in 1..=repeats as u64 {
        opts.seed = seed;
        let t0 = Instant::now();
        let r = register_rigid(fixed, moving, &opts).expect("registration");
        times.push(t0.elapsed().as_secs_f64());
        tres.push(tre(roi, &r.transform, truth));
        iterations.push(r.iterations);
        let split: Vec<String> = r
            .levels
            .iter()
            .map(|l| format!("[{:.3}, {:.3}]", l.prepare_seconds, l.optimise_seconds))
            .collect();
        eprintln!(
            "{name} seed {seed}: per level [prepare s, optimise s]: {}",
            split.join(" ")
        );
    }
    let cpu = (cpu_seconds() - cpu0) / repeats as f64;
    times.sort_by(f64::total_cmp);
    let mean_tre = tres.iter().sum::<f64>() / tres.len() as f64;
    let max_tre = tres.iter().copied().fold(0.0, f64::max);
    println!(
        "{{\"case\": \"{name}\", \"tool\": \"livermet\", \"threads\": 1, \"seconds_median\": {:.4}, \
         \"seconds_min\": {:.4}, \"cpu_seconds_mean\": {cpu:.4}, \"tre_mm_mean\": {mean_tre:.4}, \
         \"tre_mm_max\": {max_tre:.4}, \"iterations\": {iterations:?}}}",
        times[times.len() / 2],
        times[0],
    );
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let dir = PathBuf::from(
        args.get(1)
            .map(String::as_str)
            .unwrap_or("/tmp/livermet-bench-register"),
    );
    let repeats: usize = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(5);
    std::fs::create_dir_all(&dir).unwrap();
    // REGISTER_REUSE=1 keeps the phantom files already in DIR.
    if std::env::var("REGISTER_REUSE").is_err() {
        let (t1, dwi) = (
            [2.0, -3.0, 4.0, 4.0, -3.0, 2.5],
            [-3.0, 2.0, -4.0, -3.5, 4.0, -2.0],
        );
        write_phantom(&dir, "phantom_t1", &T1, [112, 112, 20], [1.0, 1.0, 2.5], t1);
        write_phantom(
            &dir,
            "phantom_dwi",
            &DWI,
            [80, 80, 12],
            [1.5, 1.5, 5.0],
            dwi,
        );
    }
    for name in ["phantom_t1", "phantom_dwi"] {
        let f = read_volume(&dir.join(format!("{name}_fixed.nii.gz"))).unwrap();
        let m = read_volume(&dir.join(format!("{name}_moving.nii.gz"))).unwrap();
        let roi = read_volume(&dir.join(format!("{name}_roi.nii.gz"))).unwrap();
        let truth = read_transform_json(&dir.join(format!("{name}_truth.json"))).unwrap();
        case(name, &f, &m, &roi, &truth, repeats);
    }
    // REGISTER_FIXTURES overrides where fixtures/register is (for a binary copied elsewhere).
    let fx = std::env::var("REGISTER_FIXTURES")
        .map(PathBuf::from)
        .unwrap_or_else(|_| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/register"));
    let f = read_volume(&fx.join("fixed_t1.nii.gz")).unwrap();
    let m = read_volume(&fx.join("moving_gm.nii.gz")).unwrap();
    let truth = read_transform_json(&fx.join("truth.json")).unwrap();
    let mut roi = f.zeros_like();
    for (r, &v) in roi.data.iter_mut().zip(&f.data) {
        *r = if v > 40.0 { 1.0 } else { 0.0 };
    }
    case("mni_t1_gm", &f, &m, &roi, &truth, repeats);
}
