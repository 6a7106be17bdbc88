//! `livermet validate COHORT.csv`: check every row and file and list all problems at once.

use std::path::PathBuf;
use std::process::ExitCode;

use livermet_cohort::{ValidateOptions, validate_cohort_with_progress};

use crate::cmd::progress;

#[derive(clap::Args, Debug)]
#[command(after_help = "Example: livermet validate livermet-demo/primary.csv")]
pub struct Args {
    /// The cohort CSV (columns: patient_id, centre, slm, sex, age, tumor_distance_cm, cea_ng_ml,
    /// ca199_u_ml, t2, t1, t1ce, dwi, adc, roi; image paths relative to the CSV).
    pub cohort: PathBuf,
    /// Check the clinical values only (image cells may be empty; images are not read).
    #[arg(long)]
    pub clinical_only: bool,
    /// Print the result as JSON on stdout.
    #[arg(long)]
    pub json: bool,
}

/// Exit 0 when the cohort is clean; print one line per problem and exit 2 otherwise.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let opts = ValidateOptions {
        check_images: !args.clinical_only,
        require_label: true,
    };
    let bar = progress::bar(0, "checking");
    let report = validate_cohort_with_progress(&args.cohort, &opts, &|n| {
        if n > 0 {
            bar.set_length(n as u64);
        } else {
            bar.inc(1);
        }
    })?;
    bar.finish_and_clear();
    let slm = report.slm_count();
    if args.json {
        // Through a `Value`: keys sorted, as this output has always had them.
        let summary = serde_json::to_value(report.summary())?;
        println!("{}", serde_json::to_string_pretty(&summary)?);
    }
    for w in &report.warnings {
        eprintln!("warning: {w}");
    }
    if report.problems.is_empty() {
        if !args.json {
            println!(
                "{}: {} patients ({} SLM); every value plausible{}",
                args.cohort.display(),
                report.patients.len(),
                slm,
                if args.clinical_only {
                    ""
                } else {
                    " and every image readable"
                }
            );
        }
        return Ok(ExitCode::SUCCESS);
    }
    for p in &report.problems {
        eprintln!("problem: {p}");
    }
    eprintln!(
        "{}: {} problem(s); fix them and run `livermet validate` again",
        args.cohort.display(),
        report.problems.len()
    );
    Ok(ExitCode::from(2))
}
