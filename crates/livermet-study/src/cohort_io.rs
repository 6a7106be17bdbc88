//! Reading a study's two cohorts: both validated (every problem listed), and the external CSV
//! must have the primary CSV's columns (same layout, so the same code reads both).

use std::path::Path;

use livermet_cohort::{Patient, Problem, ValidateOptions, read_cohort};

use crate::StudyError;
use crate::settings::StudySettings;

/// The header row of a CSV, trimmed.
pub fn csv_columns(path: &Path) -> Result<Vec<String>, StudyError> {
    let mut rdr = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_path(path)
        .map_err(|e| StudyError::File {
            path: path.to_path_buf(),
            reason: format!("cannot read as CSV: {e}"),
        })?;
    let header = rdr.headers().map_err(|e| StudyError::File {
        path: path.to_path_buf(),
        reason: format!("cannot read the header row: {e}"),
    })?;
    Ok(header.iter().map(str::to_string).collect())
}

/// Checks that `external` has the columns of `primary` (order free).
pub fn check_same_columns(primary: &Path, external: &Path) -> Result<(), StudyError> {
    let a = csv_columns(primary)?;
    let b = csv_columns(external)?;
    let missing: Vec<String> = a.iter().filter(|c| !b.contains(c)).cloned().collect();
    let extra: Vec<String> = b.iter().filter(|c| !a.contains(c)).cloned().collect();
    if missing.is_empty() && extra.is_empty() {
        return Ok(());
    }
    Err(StudyError::ColumnsDiffer {
        external: external.to_path_buf(),
        primary: primary.to_path_buf(),
        missing,
        extra,
    })
}

/// The validated primary and external cohorts (external empty when the study has none), and
/// the image readers' warnings of both. The caller checks the columns first
/// ([`check_same_columns`]), before it reports any progress.
pub fn read_cohorts(
    settings: &StudySettings,
    opts: ValidateOptions,
) -> Result<(Vec<Patient>, Vec<Patient>, Vec<Problem>), StudyError> {
    let primary = read_cohort(&settings.primary, &opts)?;
    let mut warnings = primary.warnings;
    let external = match &settings.external {
        Some(ext) => {
            let c = read_cohort(ext, &opts)?;
            warnings.extend(c.warnings);
            c.patients
        }
        None => Vec::new(),
    };
    Ok((primary.patients, external, warnings))
}
