//! Times `livermet_image::resample` (cubic B-spline, prefilter included) on given files; used by
//! `bench/resample.py`, which times SimpleITK's B-spline resampler on the same data.
//!
//! Usage: resample_bench INPUT.nii REFERENCE.nii TRANSFORM.json OUT.nii REPEATS
//! Prints one JSON line: {"seconds": [...], "median_s": ..., "prefilter_s": ..., "threads": ...}.

use std::path::PathBuf;
use std::time::Instant;

use livermet_image::transform::read_transform_json;
use livermet_image::{Interpolation, resample};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    if args.len() != 6 {
        return Err("usage: resample_bench INPUT REFERENCE TRANSFORM.json OUT REPEATS".into());
    }
    let input = livermet_io::read_volume(&PathBuf::from(&args[1]))?;
    let reference = livermet_io::read_volume(&PathBuf::from(&args[2]))?;
    let transform = read_transform_json(&PathBuf::from(&args[3]))?;
    let repeats: usize = args[5].parse()?;
    let mut seconds = Vec::new();
    let mut out = None;
    for _ in 0..repeats.max(1) {
        let t0 = Instant::now();
        let o = resample(
            &input,
            &reference.grid(),
            Some(&transform),
            Interpolation::BSpline,
        );
        seconds.push(t0.elapsed().as_secs_f64());
        out = Some(o);
    }
    if let Some(o) = out {
        livermet_io::write_nifti(&o, &PathBuf::from(&args[4]))?;
    }
    // The prefilter alone (part of every resample call above), for the record.
    let t0 = Instant::now();
    let coef = livermet_image::BSplineCoefficients::new(&input.frame(0));
    let prefilter_s = t0.elapsed().as_secs_f64();
    std::hint::black_box(&coef);
    let mut sorted = seconds.clone();
    sorted.sort_by(f64::total_cmp);
    println!(
        "{{\"seconds\": {:?}, \"median_s\": {}, \"prefilter_s\": {}, \"threads\": {}}}",
        seconds,
        sorted[sorted.len() / 2],
        prefilter_s,
        rayon::current_num_threads()
    );
    Ok(())
}
