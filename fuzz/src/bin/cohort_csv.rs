//! Cohort CSV parsing and row validation: any bytes as a cohort CSV, validated for a study
//! (labels required) and for prediction (no label), images not read (the NIfTI and DICOM
//! targets cover those readers).

use livermet_cohort::{ValidateOptions, validate_cohort};

#[global_allocator]
static ALLOC: livermet_fuzz::CappedAlloc = livermet_fuzz::CappedAlloc;

fn main() {
    let dir = livermet_fuzz::scratch();
    afl::fuzz!(|data: &[u8]| {
        livermet_fuzz::cap_for(data.len());
        let p = livermet_fuzz::put(&dir, "cohort.csv", data);
        for require_label in [true, false] {
            let opts = ValidateOptions {
                check_images: false,
                require_label,
            };
            if let Ok(report) = validate_cohort(&p, &opts) {
                // Every problem must print (Display walks every field).
                for problem in &report.problems {
                    let _ = problem.to_string();
                }
            }
        }
    });
}
