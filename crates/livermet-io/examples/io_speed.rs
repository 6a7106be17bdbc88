//! Read/write speed of a 256x256x30 volume (the paper-size T2 grid) in every format this crate
//! writes. Run: `cargo run -p livermet-io --example io_speed` (see bench/io_speed.sh).
//! Prints the median of 5 runs per step.

use std::time::Instant;

use livermet_io::{
    DicomSeriesOptions, StoredType, Volume, read_volume, write_dicom_series, write_nifti_as,
};

fn median_ms(mut f: impl FnMut()) -> f64 {
    let mut t: Vec<f64> = (0..5)
        .map(|_| {
            let s = Instant::now();
            f();
            s.elapsed().as_secs_f64() * 1e3
        })
        .collect();
    t.sort_by(f64::total_cmp);
    t[2]
}

fn main() {
    let dims = [256, 256, 30];
    let affine = [
        [0.7, 0.0, 0.0, -90.0],
        [0.0, 0.7, 0.0, -90.0],
        [0.0, 0.0, 3.0, -45.0],
        [0.0, 0.0, 0.0, 1.0],
    ];
    let n = dims[0] * dims[1] * dims[2];
    let data: Vec<f32> = (0..n)
        .map(|i| ((i * 7919) % 2000) as f32 * 0.37 + (i % 256) as f32)
        .collect();
    let vol = Volume::new(dims, 1, affine, data);
    let dir = tempfile::tempdir().unwrap();
    println!("256x256x30 volume ({} voxels), median of 5 runs:", n);
    for (name, stored) in [
        ("t2.nii", StoredType::Float32),
        ("t2.nii.gz", StoredType::Float32),
        ("t2_i16.nii.gz", StoredType::Int16Scaled),
    ] {
        let p = dir.path().join(name);
        let w = median_ms(|| write_nifti_as(&vol, &p, stored).unwrap());
        let r = median_ms(|| drop(read_volume(&p).unwrap()));
        let size = std::fs::metadata(&p).unwrap().len() as f64 / 1e6;
        println!("  {name:<14} {stored:?}: write {w:7.1} ms, read {r:7.1} ms, {size:.1} MB");
    }
    let s = dir.path().join("t2_dicom");
    let opts = DicomSeriesOptions {
        series_number: 1,
        patient_pseudonym: "SYNTH-BENCH".into(),
        ..Default::default()
    };
    let w = median_ms(|| write_dicom_series(&vol, &s, &opts).unwrap());
    let r = median_ms(|| drop(read_volume(&s).unwrap()));
    println!(
        "  {:<14} DICOM int16: write {w:7.1} ms, read {r:7.1} ms (30 files)",
        "t2_dicom/"
    );
}
