//! `validate`: read a cohort CSV, check every row and file, and list **all** problems at once.

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use serde::Serialize;

use crate::CohortError;
use crate::images::check_patient_images;
use crate::parse::{RowRules, parse_row};
use crate::patient::Patient;
use crate::record::{COLUMNS, CohortRecord};

/// One thing wrong with a cohort: which patient, which column, which file, and what to do.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Problem {
    pub patient: String,
    pub column: String,
    pub file: Option<PathBuf>,
    pub message: String,
}

impl Problem {
    /// A problem with a cell's value.
    pub fn cell(patient: &str, column: &str, message: String) -> Self {
        Self {
            patient: patient.into(),
            column: column.into(),
            file: None,
            message,
        }
    }

    /// A problem with an image file.
    pub fn file(patient: &str, column: &str, file: &Path, message: String) -> Self {
        Self {
            patient: patient.into(),
            column: column.into(),
            file: Some(file.to_path_buf()),
            message,
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "patient {}, column `{}`", self.patient, self.column)?;
        if let Some(file) = &self.file {
            write!(f, ", file {}", file.display())?;
        }
        write!(f, ": {}", self.message)
    }
}

/// What to check.
#[derive(Debug, Clone, Copy)]
pub struct ValidateOptions {
    /// Read and check every image (false: clinical values only).
    pub check_images: bool,
    /// Labels must be present (false for patients to predict).
    pub require_label: bool,
}

impl Default for ValidateOptions {
    fn default() -> Self {
        Self {
            check_images: true,
            require_label: true,
        }
    }
}

/// The outcome of validation: the patients that parsed, and every problem found.
#[derive(Debug, Clone)]
pub struct CohortReport {
    pub csv: PathBuf,
    pub patients: Vec<Patient>,
    pub problems: Vec<Problem>,
    /// What the image readers repaired the way nibabel does (not problems; shown to the user).
    pub warnings: Vec<Problem>,
}

impl CohortReport {
    /// Patients labelled with SLM.
    pub fn slm_count(&self) -> usize {
        self.patients.iter().filter(|p| p.slm == Some(true)).count()
    }

    /// What `livermet validate --json` prints: the CSV, the counts, every problem and warning.
    pub fn summary(&self) -> ValidationSummary<'_> {
        ValidationSummary {
            csv: &self.csv,
            patients: self.patients.len(),
            slm: self.slm_count(),
            problems: &self.problems,
            warnings: &self.warnings,
        }
    }
}

/// [`CohortReport::summary`].
#[derive(Debug, Clone, Serialize)]
pub struct ValidationSummary<'a> {
    pub csv: &'a Path,
    pub patients: usize,
    pub slm: usize,
    pub problems: &'a [Problem],
    pub warnings: &'a [Problem],
}

/// A validated cohort: every row parsed and every file checked.
#[derive(Debug, Clone)]
pub struct Cohort {
    pub csv: PathBuf,
    pub patients: Vec<Patient>,
    /// What the image readers repaired (see [`CohortReport::warnings`]).
    pub warnings: Vec<Problem>,
}

/// Check every row and (optionally) every image of `csv`; collect all problems.
/// Errors only when the file as a whole is unusable (unreadable, missing columns, no rows).
pub fn validate_cohort(csv: &Path, opts: &ValidateOptions) -> Result<CohortReport, CohortError> {
    validate_cohort_with_progress(csv, opts, &|_| {})
}

/// [`validate_cohort`], calling `progress(total)` once the rows are read and `progress(0)` after
/// each patient's images are checked (for a progress bar).
pub fn validate_cohort_with_progress(
    csv: &Path,
    opts: &ValidateOptions,
    progress: &(dyn Fn(usize) + Sync),
) -> Result<CohortReport, CohortError> {
    let records = read_records(csv)?;
    let base = csv.parent().unwrap_or(Path::new(".")).to_path_buf();
    let rules = RowRules {
        require_label: opts.require_label,
        require_images: opts.check_images,
    };
    let mut problems = Vec::new();
    let mut patients = Vec::new();
    for (i, rec) in records.iter().enumerate() {
        if let Some(p) = parse_row(rec, i + 2, &base, rules, &mut problems) {
            patients.push(p);
        }
    }
    duplicate_ids(&records, &mut problems);
    let mut warnings = Vec::new();
    if opts.check_images {
        progress(patients.len());
        let checks: Vec<_> = patients
            .par_iter()
            .map(|p| {
                let found = check_patient_images(p);
                progress(0);
                found
            })
            .collect();
        for c in checks {
            problems.extend(c.problems);
            warnings.extend(c.warnings);
        }
    }
    Ok(CohortReport {
        csv: csv.to_path_buf(),
        patients,
        problems,
        warnings,
    })
}

/// Validate and demand no problems: the entry point for stages that need a usable cohort.
pub fn read_cohort(csv: &Path, opts: &ValidateOptions) -> Result<Cohort, CohortError> {
    let report = validate_cohort(csv, opts)?;
    if !report.problems.is_empty() {
        return Err(CohortError::Invalid {
            path: csv.to_path_buf(),
            problems: report.problems,
        });
    }
    Ok(Cohort {
        csv: report.csv,
        patients: report.patients,
        warnings: report.warnings,
    })
}

/// Read the CSV's rows as text, after checking its columns.
fn read_records(csv: &Path) -> Result<Vec<CohortRecord>, CohortError> {
    let err = |source| CohortError::Csv {
        path: csv.to_path_buf(),
        source,
    };
    let mut rdr = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_path(csv)
        .map_err(err)?;
    let headers = rdr.headers().map_err(err)?.clone();
    let missing: Vec<String> = COLUMNS
        .iter()
        .filter(|c| !headers.iter().any(|h| h == **c))
        .map(|c| c.to_string())
        .collect();
    if !missing.is_empty() {
        return Err(CohortError::MissingColumns {
            path: csv.to_path_buf(),
            missing,
            expected: COLUMNS.join(","),
        });
    }
    let records = rdr
        .deserialize()
        .collect::<Result<Vec<CohortRecord>, _>>()
        .map_err(err)?;
    if records.is_empty() {
        return Err(CohortError::Empty {
            path: csv.to_path_buf(),
        });
    }
    Ok(records)
}

/// Each patient ID may appear once, and no two IDs may share a folder: their folder names
/// ([`livermet_io::folder_name`]) may not differ only in case (one folder on macOS or a Windows
/// share).
fn duplicate_ids(records: &[CohortRecord], problems: &mut Vec<Problem>) {
    let mut lines: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, r) in records.iter().enumerate() {
        if !r.patient_id.trim().is_empty() {
            lines.entry(r.patient_id.trim()).or_default().push(i + 2);
        }
    }
    let mut ids: Vec<_> = lines.into_iter().collect();
    ids.sort();
    let mut folders: HashMap<String, (&str, usize)> = HashMap::new();
    for (id, l) in &ids {
        let shown: String = id.escape_debug().collect();
        if l.len() > 1 {
            problems.push(Problem::cell(
                &shown,
                "patient_id",
                format!("appears on lines {l:?}: patient IDs must be unique"),
            ));
        }
        let Some(key) = livermet_io::folder_key(id) else {
            continue; // refused by the row's own check
        };
        if let Some((other, other_line)) = folders.insert(key, (id, l[0])) {
            problems.push(Problem::cell(
                &shown,
                "patient_id",
                format!(
                    "(line {}) and `{}` (line {other_line}) differ only in upper/lower case, so \
                     they would share one folder on a case-insensitive disk; make them differ",
                    l[0],
                    other.escape_debug()
                ),
            ));
        }
    }
}
