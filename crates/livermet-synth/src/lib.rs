//! livermet-synth: the synthetic two-centre cohort of docs/DESIGN.md "The synthetic cohort".
//!
//! - [`clinical`]: clinical values drawn per class from the paper's Tables 1 and 2.
//! - [`phantom`]: the continuous pelvic phantom; [`tumour`]: its irregular rectal tumour and
//!   how the latent imaging score of SLM shows in it.
//! - [`scanner`]: each centre's grids, scanner profile and the rigid motion of a sequence.
//! - [`render`]: sampling the phantom on a sequence's grid, bias and Rician noise.
//! - [`patient`]: one patient's T2WI, T1WI, T1CE, DWI and ROI, with their truth.
//! - [`posterior`]: each patient's true probability of SLM (the Bayes limit of a study).
//! - [`cohort`]: writing a whole cohort (CSVs, images, `truth.json`) in parallel.
//!
//! Entry point: [`synthesise`]`(out, &SynthSettings, on_patient)`.

pub mod clinical;
pub mod cohort;
mod error;
pub mod patient;
pub mod phantom;
pub mod posterior;
pub mod random;
pub mod render;
pub mod scanner;
pub mod truth;
pub mod tumour;
mod write;

use std::path::Path;

pub use cohort::{Centre, CentreSummary, SynthSettings, SynthSummary, plan, synthesise};
pub use error::SynthError;
pub use scanner::Size;
pub use truth::Truth;

/// Total size of the files under `dir`, bytes (the cohort's size on disk, for the summary).
pub fn disk_usage(dir: &Path) -> std::io::Result<u64> {
    let mut total = 0;
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let meta = entry.metadata()?;
        total += if meta.is_dir() {
            disk_usage(&entry.path())?
        } else {
            meta.len()
        };
    }
    Ok(total)
}
