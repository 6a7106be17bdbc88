//! Registration diagnostics on a synthetic cohort: for each chosen patient and sequence, run the
//! registration `prepare` runs (T1/T1CE masked by the T2 body mask, DWI b = 0 as `prepare`
//! registers it), and print the target registration error against `truth.json`, the found and
//! true parameters, and the `-MI` each pyramid level sees at the truth and at the solution
//! (truth lower = the optimiser stopped early or in a local minimum; truth higher = the metric's
//! optimum itself is off).
//!
//! Usage: `cargo run --release -p livermet-study --example reg_debug -- SYNTH_DIR [IDS|all] [SEQS]`
//! with IDS comma-separated patient IDs (default all) and SEQS a subset of `t1,t1ce,dwi`
//! (default all three). Options come from `PrepareSettings::default()`, overridden by the
//! environment: `REG_SAMPLES`, `REG_BINS`, `REG_SHRINK` (e.g. `4,2,1`), `REG_SIGMAS`,
//! `REG_MIN_STEP`, `REG_COARSE_MIN_STEP`, `REG_MAX_IT`, `REG_RESTARTS`, `REG_MARGIN` (mm),
//! `REG_SEED`. `VERBOSE=1` prints the
//! per-level metrics.

use livermet_cohort::{ValidateOptions, read_cohort};
use livermet_image::body_mask;
use livermet_image::register::{
    Registration, RegistrationOptions, metric_at_levels, register_rigid_masked,
};
use livermet_image::transform::RigidTransform;
use livermet_io::{Affine, Volume, read_dwi, read_volume};
use livermet_study::accuracy::target_registration_error;
use livermet_study::{PrepareSettings, lowest_b_frame};
use livermet_synth::Truth;
use rayon::prelude::*;

fn env_list<T: std::str::FromStr>(name: &str) -> Option<Vec<T>> {
    std::env::var(name).ok().map(|s| {
        s.split(',')
            .map(|x| x.trim().parse().ok().unwrap())
            .collect()
    })
}

fn env_one<T: std::str::FromStr>(name: &str) -> Option<T> {
    std::env::var(name).ok().and_then(|s| s.parse().ok())
}

fn options() -> RegistrationOptions {
    let mut o = PrepareSettings::default().registration;
    if let Some(v) = env_one("REG_SAMPLES") {
        o.samples = v;
    }
    if let Some(v) = env_one("REG_BINS") {
        o.bins = v;
    }
    if let Some(v) = env_list("REG_SHRINK") {
        o.shrink_factors = v;
    }
    if let Some(v) = env_list("REG_SIGMAS") {
        o.smoothing_sigmas = v;
    }
    if let Some(v) = env_one("REG_MIN_STEP") {
        o.min_step_voxels = v;
    }
    if let Some(v) = env_one("REG_COARSE_MIN_STEP") {
        o.coarse_min_step_voxels = v;
    }
    if let Some(v) = env_one("REG_MAX_IT") {
        o.max_iterations = v;
    }
    if let Some(v) = env_one("REG_RESTARTS") {
        o.restarts = v;
    }
    if let Some(v) = env_one("REG_MARGIN") {
        o.fov_margin_mm = v;
    }
    if let Some(v) = env_one("REG_SEED") {
        o.seed = v;
    }
    o
}

/// The registration `prepare` runs for `seq` (keep in step with `prepare_patient`): T1 and
/// T1CE inside the T2 body mask, DWI unmasked unless `REG_DWI_MASK=1`.
fn register_sequence(
    t2: &Volume,
    moving: &Volume,
    seq: &str,
    mask: &Volume,
    opts: &RegistrationOptions,
) -> (
    Result<Registration, livermet_image::ImageError>,
    Option<Volume>,
) {
    let dwi_masked = std::env::var("REG_DWI_MASK").is_ok_and(|v| v == "1");
    let mask = if seq != "dwi" || dwi_masked {
        Some(mask.clone())
    } else {
        None
    };
    // REG_ZMARGIN=k: leave out the first and last k fixed slices.
    let mask = match env_one::<usize>("REG_ZMARGIN") {
        Some(k) if k > 0 => {
            let mut m = mask
                .unwrap_or_else(|| Volume::new(t2.dims, 1, t2.affine, vec![1.0; t2.frame_len()]));
            let n = t2.dims[0] * t2.dims[1];
            for z in 0..t2.dims[2] {
                if z < k || z + k >= t2.dims[2] {
                    m.data[z * n..(z + 1) * n].iter_mut().for_each(|v| *v = 0.0);
                }
            }
            Some(m)
        }
        _ => mask,
    };
    (register_rigid_masked(t2, moving, mask.as_ref(), opts), mask)
}

fn fmt_params(p: &[f64; 6]) -> String {
    format!(
        "rot {:6.2} {:6.2} {:6.2} deg  t {:6.2} {:6.2} {:6.2} mm",
        p[0].to_degrees(),
        p[1].to_degrees(),
        p[2].to_degrees(),
        p[3],
        p[4],
        p[5]
    )
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let dir = std::path::PathBuf::from(&args[0]);
    let ids: Option<Vec<String>> = args
        .get(1)
        .filter(|s| s.as_str() != "all")
        .map(|s| s.split(',').map(String::from).collect());
    let seqs: Vec<String> = args
        .get(2)
        .map_or("t1,t1ce,dwi", String::as_str)
        .split(',')
        .map(String::from)
        .collect();
    let verbose = std::env::var("VERBOSE").is_ok();
    let opts = options();
    let settings = PrepareSettings {
        registration: opts.clone(),
        ..PrepareSettings::default()
    };
    let truth: Truth =
        serde_json::from_str(&std::fs::read_to_string(dir.join("truth.json")).unwrap()).unwrap();
    let mut patients = Vec::new();
    for centre in ["primary", "external"] {
        let cohort = read_cohort(
            &dir.join(format!("{centre}.csv")),
            &ValidateOptions::default(),
        )
        .unwrap();
        for p in cohort.patients {
            if ids.as_ref().is_none_or(|ids| ids.contains(&p.id)) {
                patients.push(p);
            }
        }
    }
    let start = std::time::Instant::now();
    // Per patient: id, TRE per sequence, (metric at truth, metric found) per sequence.
    type PatientResult = (String, Vec<(String, f64)>, Vec<(f64, f64)>);
    let results: Vec<PatientResult> = patients
        .par_iter()
        .map(|p| {
            let it = truth.images_of(&p.id).unwrap();
            let im = p.images.as_ref().unwrap();
            let (t2, roi) = (read_volume(&im.t2).unwrap(), read_volume(&im.roi).unwrap());
            let t1 = read_volume(&im.t1).unwrap();
            let t1ce = read_volume(&im.t1ce).unwrap();
            let dwi = read_dwi(&im.dwi, None).unwrap();
            let dwi_low = lowest_b_frame(&dwi.volume, &dwi.bvals, settings.shell_tolerance);
            let m = body_mask(&t2);
            let mask = Volume::new(
                t2.dims,
                1,
                t2.affine,
                m.iter().map(|&b| f32::from(u8::from(b))).collect(),
            );
            let mut text = String::new();
            let mut tres = Vec::new();
            let mut its = Vec::new();
            for seq in &seqs {
                let (moving, tm): (&livermet_io::Volume, &Affine) = match seq.as_str() {
                    "t1" => (&t1, &it.transforms.t1),
                    "t1ce" => (&t1ce, &it.transforms.t1ce),
                    "dwi" => (&dwi_low, &it.transforms.dwi),
                    _ => panic!("unknown sequence {seq}"),
                };
                let (r, mask) = register_sequence(&t2, moving, seq, &mask, &opts);
                let r = match r {
                    Ok(r) => r,
                    Err(e) => {
                        text += &format!("{} {seq}: ERROR {e} <-- FAIL\n", p.id);
                        tres.push((seq.clone(), 99.0));
                        continue;
                    }
                };
                let tre = target_registration_error(&t2, &roi, &r.transform, tm, 1);
                tres.push((seq.clone(), tre));
                its.push((r.iterations as f64, r.seconds));
                let truth_p = RigidTransform::from_matrix(tm, r.centre).params;
                let flag = if tre >= 1.0 { " <-- FAIL" } else { "" };
                text += &format!(
                    "{} {seq}: TRE {tre:.3} mm, {} its, {:.2} s{flag}\n",
                    p.id, r.iterations, r.seconds
                );
                if verbose || tre >= 1.0 || std::env::var("SCAN").is_ok() {
                    text += &format!("   found {}\n   truth {}\n", fmt_params(&r.params), fmt_params(&truth_p));
                    let m = metric_at_levels(&t2, moving, mask.as_ref(), &opts, &[*tm, r.transform]).unwrap();
                    if std::env::var("SCAN").is_ok() {
                        // -MI along the world z shift from the truth (-4..4 mm), per level.
                        let shifts: Vec<f64> = (-8..=8).map(|i| i as f64 * 0.5).collect();
                        let ms: Vec<Affine> = shifts
                            .iter()
                            .map(|dz| {
                                let mut a = *tm;
                                a[2][3] += dz;
                                a
                            })
                            .collect();
                        let sc = metric_at_levels(&t2, moving, mask.as_ref(), &opts, &ms).unwrap();
                        for (l, lv) in sc.iter().enumerate() {
                            let best = lv
                                .iter()
                                .zip(&shifts)
                                .min_by(|a, b| a.0.0.total_cmp(&b.0.0))
                                .unwrap()
                                .1;
                            text += &format!("   argmin dz level {l}: {best:+.1}\n");
                            text += &format!("   scan dz level {l}:");
                            for ((dz, (v, o)), _) in shifts.iter().zip(lv).zip(0..) {
                                text += &format!(" {dz:+.1}:{v:.4}/{o:.2}");
                            }
                            text += "\n";
                        }
                    }
                    for (l, (lv, rep)) in m.iter().zip(&r.levels).enumerate() {
                        text += &format!(
                            "   level {l}: -MI truth {:.5} found {:.5} (diff found-truth {:+.5}); overlap truth {:.2} found {:.2}; {} its, stop {:?}\n",
                            lv[0].0,
                            lv[1].0,
                            lv[1].0 - lv[0].0,
                            lv[0].1,
                            lv[1].1,
                            rep.iterations,
                            rep.stop
                        );
                    }
                }
            }
            print!("{text}");
            (p.id.clone(), tres, its)
        })
        .collect();
    let mut over = Vec::new();
    for seq in &seqs {
        let v: Vec<f64> = results
            .iter()
            .flat_map(|(_, t, _)| t.iter().filter(|(s, _)| s == seq).map(|x| x.1))
            .collect();
        let mean = v.iter().sum::<f64>() / v.len() as f64;
        let max = v.iter().copied().fold(0.0, f64::max);
        println!(
            "{seq}: n {} mean TRE {mean:.3} mm, max {max:.3} mm",
            v.len()
        );
    }
    let (n_reg, its, secs) = results
        .iter()
        .flat_map(|r| r.2.iter())
        .fold((0.0, 0.0, 0.0), |a, x| (a.0 + 1.0, a.1 + x.0, a.2 + x.1));
    println!(
        "mean per registration: {:.1} metric evaluations, {:.3} s",
        its / n_reg,
        secs / n_reg
    );
    for (id, t, _) in &results {
        for (s, x) in t {
            if *x >= 1.0 {
                over.push(format!("{id} {s} {x:.2}"));
            }
        }
    }
    println!("TRE >= 1 mm: {} {:?}", over.len(), over);
    println!("{:.1} s wall", start.elapsed().as_secs_f64());
}
