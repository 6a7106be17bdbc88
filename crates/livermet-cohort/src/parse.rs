//! One cohort row's text cells -> a typed [`Patient`], collecting every problem on the way.

use std::path::Path;

use crate::patient::{Clinical, ImagePaths, Patient, Sex};
use crate::record::CohortRecord;
use crate::validate::Problem;

/// Plausible ranges: values outside are almost surely a unit or typing error.
const AGE_YEARS: (f64, f64) = (18.0, 110.0);
const DISTANCE_CM: (f64, f64) = (0.0, 30.0);
const CEA_NG_ML: (f64, f64) = (0.0, 100_000.0);
const CA199_U_ML: (f64, f64) = (0.0, 1_000_000.0);
/// A liver metastasis larger than 30 cm would fill the liver: a unit (mm) or typing error.
const LESION_CM: (f64, f64) = (0.0, 30.0);

/// How strictly a row is read.
#[derive(Debug, Clone, Copy)]
pub struct RowRules {
    /// The `slm` label must be 0 or 1 (false for a patient to predict, where it may be empty).
    pub require_label: bool,
    /// Image cells must be filled (false for a clinical-only cohort, where all may be empty).
    pub require_images: bool,
}

/// Parse one row (`line` is its 1-based line in the file, for messages). Returns the patient
/// when every cell parsed, and pushes one [`Problem`] per bad cell either way.
pub fn parse_row(
    rec: &CohortRecord,
    line: usize,
    base: &Path,
    rules: RowRules,
    problems: &mut Vec<Problem>,
) -> Option<Patient> {
    let raw_id = rec.patient_id.trim();
    // Messages name the patient; an ID with a newline must not break the one-line rule.
    let id = if raw_id.is_empty() {
        format!("(row at line {line})")
    } else {
        raw_id.escape_debug().collect()
    };
    let before = problems.len();
    let mut bad =
        |column: &str, message: String| problems.push(Problem::cell(&id, column, message));

    if raw_id.is_empty() {
        bad(
            "patient_id",
            "is empty: give every patient a unique ID".into(),
        );
    } else if let Some(why) = livermet_io::id_problem(raw_id) {
        // IDs name the patients' folders (`livermet_io::patient_dir`).
        bad(
            "patient_id",
            format!("{why}: an ID must be usable as a folder name; change it in the CSV"),
        );
    }
    let slm = match rec.slm.trim() {
        "1" => Some(true),
        "0" => Some(false),
        "" if !rules.require_label => None,
        other => {
            bad(
                "slm",
                format!("is `{other}`; the label must be 0 (no SLM) or 1 (SLM)"),
            );
            None
        }
    };
    let sex = match rec.sex.trim() {
        "M" | "m" | "male" | "Male" => Some(Sex::Male),
        "F" | "f" | "female" | "Female" => Some(Sex::Female),
        other => {
            bad("sex", format!("is `{other}`; use M or F"));
            None
        }
    };
    let mut number = |column: &str, cell: &str, unit: &str, (lo, hi): (f64, f64)| -> Option<f64> {
        let cell = cell.trim();
        match cell.parse::<f64>() {
            Ok(v) if v.is_finite() && (lo..=hi).contains(&v) => Some(v),
            Ok(v) if v.is_finite() => {
                bad(
                    column,
                    format!(
                        "is {v} {unit}, outside the plausible range {lo}-{hi} {unit}: check the unit"
                    ),
                );
                None
            }
            _ if cell.is_empty() => {
                bad(column, format!("is missing: fill in the value in {unit}"));
                None
            }
            _ => {
                bad(column, format!("is `{cell}`, not a number ({unit})"));
                None
            }
        }
    };
    let age = number("age", &rec.age, "years", AGE_YEARS);
    let dist = number(
        "tumor_distance_cm",
        &rec.tumor_distance_cm,
        "cm",
        DISTANCE_CM,
    );
    let cea = number("cea_ng_ml", &rec.cea_ng_ml, "ng/ml", CEA_NG_ML);
    let ca199 = number("ca199_u_ml", &rec.ca199_u_ml, "U/ml", CA199_U_ML);
    // Optional, and only meaningful where there is a metastasis to measure: empty means "not
    // recorded"; a size for a patient without SLM contradicts the label (which of the two is
    // wrong only the user can tell); a size must be > 0.
    let lesion = rec.lesion_size_cm.trim();
    let lesion_size_cm = match (lesion, slm) {
        ("", _) => None,
        (_, Some(false)) => {
            bad(
                "lesion_size_cm",
                format!(
                    "is `{lesion}` but slm is 0: a lesion size is only meaningful for a patient \
                     with SLM; leave it empty or correct the label"
                ),
            );
            None
        }
        (cell, _) => match cell.parse::<f64>() {
            Ok(v) if v.is_finite() && v > LESION_CM.0 && v <= LESION_CM.1 => Some(v),
            Ok(v) if v.is_finite() => {
                bad(
                    "lesion_size_cm",
                    format!(
                        "is {v} cm; a lesion size must be > 0 and at most {} cm: check the unit \
                         (cm, not mm)",
                        LESION_CM.1
                    ),
                );
                None
            }
            _ => {
                bad(
                    "lesion_size_cm",
                    format!("is `{cell}`, not a number (cm); leave it empty when not recorded"),
                );
                None
            }
        },
    };

    let images = image_paths(rec, &id, base, rules, problems);
    if problems.len() > before {
        return None;
    }
    Some(Patient {
        id,
        centre: rec.centre.trim().to_string(),
        slm,
        clinical: Clinical {
            sex: sex?,
            age_years: age?,
            tumour_distance_cm: dist?,
            cea_ng_ml: cea?,
            ca199_u_ml: ca199?,
        },
        images,
        lesion_size_cm,
    })
}

/// Resolve the image cells against the CSV's folder. All empty is allowed when images are not
/// required (a clinical-only cohort); otherwise every cell but `adc` must be filled.
fn image_paths(
    rec: &CohortRecord,
    id: &str,
    base: &Path,
    rules: RowRules,
    problems: &mut Vec<Problem>,
) -> Option<ImagePaths> {
    let cells = [
        ("t2", &rec.t2),
        ("t1", &rec.t1),
        ("t1ce", &rec.t1ce),
        ("dwi", &rec.dwi),
        ("roi", &rec.roi),
    ];
    if !rules.require_images
        && cells.iter().all(|(_, c)| c.trim().is_empty())
        && rec.adc.trim().is_empty()
    {
        return None;
    }
    let mut ok = true;
    for (col, cell) in cells {
        if cell.trim().is_empty() {
            problems.push(Problem::cell(
                id,
                col,
                "is empty: give the image's path relative to the CSV".into(),
            ));
            ok = false;
        }
    }
    if !ok {
        return None;
    }
    let p = |c: &str| base.join(c.trim());
    Some(ImagePaths {
        t2: p(&rec.t2),
        t1: p(&rec.t1),
        t1ce: p(&rec.t1ce),
        dwi: p(&rec.dwi),
        adc: (!rec.adc.trim().is_empty()).then(|| p(&rec.adc)),
        roi: p(&rec.roi),
    })
}
