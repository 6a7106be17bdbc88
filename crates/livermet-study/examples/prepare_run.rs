//! `livermet prepare` without the CLI (the library call it wraps), for benchmarking registration
//! changes without building the binary:
//! `cargo run --release -p livermet-study --example prepare_run -- COHORT.csv OUT`.
//! Prints the wall time and the number of patients prepared, skipped and failed.

use livermet_cohort::{ValidateOptions, read_cohort};
use livermet_study::{PrepareSettings, prepare_cohort};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    assert!(args.len() == 2, "usage: prepare_run COHORT.csv OUT");
    let cohort = read_cohort(std::path::Path::new(&args[0]), &ValidateOptions::default()).unwrap();
    let start = std::time::Instant::now();
    let report = prepare_cohort(
        &cohort.patients,
        std::path::Path::new(&args[1]),
        &PrepareSettings::default(),
        &|| {},
    )
    .unwrap();
    let wall = start.elapsed().as_secs_f64();
    println!(
        "{} patients: {} prepared, {} skipped, {} failed {:?}; {wall:.1} s wall = {:.3} s/patient",
        cohort.patients.len(),
        report.prepared.len(),
        report.skipped.len(),
        report.failed.len(),
        report.failed,
        wall / cohort.patients.len() as f64
    );
}
