//! `validate_cohort` catches each kind of problem (one test each) and accepts a clean cohort.

use std::path::Path;

use livermet_cohort::{COLUMNS, CohortError, OPTIONAL_COLUMNS, ValidateOptions, validate_cohort};
use livermet_io::{Volume, write_bvals, write_nifti};

const AFF: [[f64; 4]; 4] = [
    [0.7, 0.0, 0.0, -10.0],
    [0.0, 0.7, 0.0, -8.0],
    [0.0, 0.0, 3.0, 5.0],
    [0.0, 0.0, 0.0, 1.0],
];

fn vol(dims: [usize; 3], frames: usize, fill: f32) -> Volume {
    Volume::new(
        dims,
        frames,
        AFF,
        vec![fill; dims[0] * dims[1] * dims[2] * frames],
    )
}

/// A patient's images: 3D T2/T1/T1CE, 4D DWI with .bval, ROI with a tumour on the T2 grid.
fn write_images(dir: &Path, id: &str) {
    write_nifti(
        &vol([8, 8, 4], 1, 100.0),
        &dir.join(format!("{id}_t2.nii.gz")),
    )
    .unwrap();
    write_nifti(
        &vol([8, 8, 4], 1, 50.0),
        &dir.join(format!("{id}_t1.nii.gz")),
    )
    .unwrap();
    write_nifti(
        &vol([8, 8, 4], 1, 70.0),
        &dir.join(format!("{id}_t1ce.nii.gz")),
    )
    .unwrap();
    write_nifti(
        &vol([4, 4, 2], 3, 30.0),
        &dir.join(format!("{id}_dwi.nii.gz")),
    )
    .unwrap();
    write_bvals(&dir.join(format!("{id}_dwi.bval")), &[0.0, 500.0, 1000.0]).unwrap();
    let mut roi = vol([8, 8, 4], 1, 0.0);
    roi.set(3, 3, 1, 1.0);
    roi.set(4, 3, 2, 1.0);
    write_nifti(&roi, &dir.join(format!("{id}_roi.nii.gz"))).unwrap();
}

fn row(id: &str, slm: &str, age: &str) -> Vec<String> {
    let f = |s: &str| format!("{id}_{s}.nii.gz");
    vec![
        id.into(),
        "primary".into(),
        slm.into(),
        "M".into(),
        age.into(),
        "5.5".into(),
        "3.2".into(),
        "12".into(),
        f("t2"),
        f("t1"),
        f("t1ce"),
        f("dwi"),
        String::new(),
        f("roi"),
    ]
}

fn write_csv(dir: &Path, rows: &[Vec<String>]) -> std::path::PathBuf {
    let p = dir.join("cohort.csv");
    let mut w = csv::Writer::from_path(&p).unwrap();
    w.write_record(COLUMNS).unwrap();
    for r in rows {
        w.write_record(r).unwrap();
    }
    w.flush().unwrap();
    p
}

/// A clean 3-patient cohort; returns (tempdir, rows) for the test to spoil.
fn clean() -> (tempfile::TempDir, Vec<Vec<String>>) {
    let dir = tempfile::tempdir().unwrap();
    let mut rows = Vec::new();
    for (i, id) in ["P1", "P2", "P3"].iter().enumerate() {
        write_images(dir.path(), id);
        rows.push(row(id, if i == 0 { "1" } else { "0" }, "60"));
    }
    (dir, rows)
}

fn problems_of(dir: &Path, rows: &[Vec<String>]) -> Vec<String> {
    let csv = write_csv(dir, rows);
    validate_cohort(&csv, &ValidateOptions::default())
        .unwrap()
        .problems
        .iter()
        .map(|p| p.to_string())
        .collect()
}

#[test]
fn a_clean_cohort_has_no_problems_and_typed_values() {
    let (dir, rows) = clean();
    let csv = write_csv(dir.path(), &rows);
    let rep = validate_cohort(&csv, &ValidateOptions::default()).unwrap();
    assert!(rep.problems.is_empty(), "{:?}", rep.problems);
    assert_eq!(rep.patients.len(), 3);
    assert_eq!(rep.patients[0].slm, Some(true));
    assert_eq!(
        rep.patients[1].clinical.features(),
        [1.0, 60.0, 5.5, 0.0, 0.0]
    );
    assert!(
        rep.patients[0]
            .images
            .as_ref()
            .unwrap()
            .t2
            .ends_with("P1_t2.nii.gz")
    );
}

#[test]
fn missing_file_is_named() {
    let (dir, rows) = clean();
    std::fs::remove_file(dir.path().join("P2_t1.nii.gz")).unwrap();
    let p = problems_of(dir.path(), &rows);
    assert_eq!(p.len(), 1, "{p:?}");
    assert!(
        p[0].contains("patient P2")
            && p[0].contains("`t1`")
            && p[0].contains("P2_t1.nii.gz")
            && p[0].contains("does not exist"),
        "{}",
        p[0]
    );
}

#[test]
fn unreadable_file_is_reported() {
    let (dir, rows) = clean();
    std::fs::write(
        dir.path().join("P1_t1ce.nii.gz"),
        b"this is not a nifti file",
    )
    .unwrap();
    let p = problems_of(dir.path(), &rows);
    assert_eq!(p.len(), 1, "{p:?}");
    assert!(
        p[0].contains("`t1ce`") && p[0].contains("cannot be read"),
        "{}",
        p[0]
    );
}

#[test]
fn a_4d_image_where_3d_is_expected() {
    let (dir, rows) = clean();
    write_nifti(&vol([8, 8, 4], 2, 1.0), &dir.path().join("P3_t2.nii.gz")).unwrap();
    let p = problems_of(dir.path(), &rows);
    assert!(
        p.iter()
            .any(|s| s.contains("patient P3") && s.contains("`t2`") && s.contains("4D")),
        "{p:?}"
    );
}

#[test]
fn roi_on_another_grid_or_empty() {
    let (dir, rows) = clean();
    write_nifti(&vol([8, 8, 5], 1, 1.0), &dir.path().join("P1_roi.nii.gz")).unwrap();
    write_nifti(&vol([8, 8, 4], 1, 0.0), &dir.path().join("P2_roi.nii.gz")).unwrap();
    let p = problems_of(dir.path(), &rows);
    assert_eq!(p.len(), 2, "{p:?}");
    assert!(
        p[0].contains("patient P1") && p[0].contains("not on the T2 grid"),
        "{}",
        p[0]
    );
    assert!(
        p[1].contains("patient P2") && p[1].contains("is empty"),
        "{}",
        p[1]
    );
}

#[test]
fn dwi_without_b_values() {
    let (dir, rows) = clean();
    std::fs::remove_file(dir.path().join("P2_dwi.bval")).unwrap();
    let p = problems_of(dir.path(), &rows);
    assert_eq!(p.len(), 1, "{p:?}");
    assert!(
        p[0].contains("`dwi`") && p[0].contains("b-values"),
        "{}",
        p[0]
    );
}

#[test]
fn dwi_with_one_b_value_or_a_count_mismatch() {
    let (dir, rows) = clean();
    write_bvals(&dir.path().join("P1_dwi.bval"), &[1000.0, 1000.0, 1010.0]).unwrap();
    write_bvals(&dir.path().join("P2_dwi.bval"), &[0.0, 1000.0]).unwrap();
    let p = problems_of(dir.path(), &rows);
    assert!(
        p.iter()
            .any(|s| s.contains("patient P1") && s.contains("distinct b-values")),
        "{p:?}"
    );
    assert!(
        p.iter()
            .any(|s| s.contains("patient P2") && s.contains("b-value")),
        "{p:?}"
    );
}

#[test]
fn label_must_be_zero_or_one() {
    let (dir, mut rows) = clean();
    rows[1][2] = "2".into();
    let p = problems_of(dir.path(), &rows);
    assert_eq!(p.len(), 1, "{p:?}");
    assert!(
        p[0].contains("patient P2") && p[0].contains("`slm`") && p[0].contains("0 (no SLM) or 1"),
        "{}",
        p[0]
    );
}

#[test]
fn implausible_and_non_numeric_values() {
    let (dir, mut rows) = clean();
    rows[0][4] = "570".into(); // age in months?
    rows[1][6] = "high".into(); // CEA
    rows[2][3] = "X".into(); // sex
    let p = problems_of(dir.path(), &rows);
    assert_eq!(p.len(), 3, "{p:?}");
    assert!(p[0].contains("`age`") && p[0].contains("plausible range"));
    assert!(p[1].contains("`cea_ng_ml`") && p[1].contains("not a number"));
    assert!(p[2].contains("`sex`") && p[2].contains("M or F"));
}

#[test]
fn duplicate_ids() {
    let (dir, mut rows) = clean();
    rows[2] = row("P1", "0", "61");
    let p = problems_of(dir.path(), &rows);
    assert!(
        p.iter()
            .any(|s| s.contains("patient P1") && s.contains("unique")),
        "{p:?}"
    );
}

#[test]
fn every_problem_is_listed_at_once() {
    let (dir, mut rows) = clean();
    rows[0][2] = "yes".into();
    std::fs::remove_file(dir.path().join("P3_roi.nii.gz")).unwrap();
    let p = problems_of(dir.path(), &rows);
    assert_eq!(p.len(), 2, "{p:?}");
}

#[test]
fn missing_columns_are_one_error() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("c.csv");
    std::fs::write(&csv, "patient_id,slm\nP1,1\n").unwrap();
    match validate_cohort(&csv, &ValidateOptions::default()) {
        Err(CohortError::MissingColumns { missing, .. }) => {
            assert!(missing.contains(&"t2".to_string()))
        }
        other => panic!("expected MissingColumns, got {other:?}"),
    }
}

#[test]
fn clinical_only_cohorts_skip_images() {
    let dir = tempfile::tempdir().unwrap();
    let mut r = row("P1", "1", "50");
    for c in 8..14 {
        r[c].clear();
    }
    let csv = write_csv(dir.path(), &[r]);
    let rep = validate_cohort(
        &csv,
        &ValidateOptions {
            check_images: false,
            require_label: true,
        },
    )
    .unwrap();
    assert!(rep.problems.is_empty(), "{:?}", rep.problems);
    assert!(rep.patients[0].images.is_none());
}

/// The cohort of `rows` with the optional `lesion_size_cm` column holding `sizes`.
fn with_lesion_sizes(dir: &Path, rows: &[Vec<String>], sizes: &[&str]) -> std::path::PathBuf {
    let p = dir.join("cohort.csv");
    let mut w = csv::Writer::from_path(&p).unwrap();
    w.write_record(COLUMNS.iter().chain(&OPTIONAL_COLUMNS))
        .unwrap();
    for (r, s) in rows.iter().zip(sizes) {
        w.write_record(r.iter().map(String::as_str).chain([*s]))
            .unwrap();
    }
    w.flush().unwrap();
    p
}

#[test]
fn lesion_size_is_optional_positive_and_only_for_slm_patients() {
    // P1 has SLM, P2 and P3 do not.
    let (dir, rows) = clean();
    let csv = with_lesion_sizes(dir.path(), &rows, &["2.5", "", ""]);
    let rep = validate_cohort(&csv, &ValidateOptions::default()).unwrap();
    assert!(rep.problems.is_empty(), "{:?}", rep.problems);
    assert_eq!(rep.patients[0].lesion_size_cm, Some(2.5));
    assert_eq!(rep.patients[1].lesion_size_cm, None);
    // Without the column every size is unknown.
    let csv = write_csv(dir.path(), &rows);
    let rep = validate_cohort(&csv, &ValidateOptions::default()).unwrap();
    assert!(rep.problems.is_empty() && rep.patients[0].lesion_size_cm.is_none());

    for (sizes, patient, says) in [
        (["0", "", ""], "P1", "must be > 0"),
        (["-1", "", ""], "P1", "must be > 0"),
        (["25mm", "", ""], "P1", "not a number"),
        (["45", "", ""], "P1", "check the unit"),
        (["", "1.2", ""], "P2", "slm is 0"),
    ] {
        let csv = with_lesion_sizes(dir.path(), &rows, &sizes);
        let p: Vec<String> = validate_cohort(&csv, &ValidateOptions::default())
            .unwrap()
            .problems
            .iter()
            .map(|p| p.to_string())
            .collect();
        assert_eq!(p.len(), 1, "{sizes:?}: {p:?}");
        assert!(
            p[0].contains(&format!("patient {patient}"))
                && p[0].contains("`lesion_size_cm`")
                && p[0].contains(says)
                && !p[0].contains('\n'),
            "{sizes:?}: {}",
            p[0]
        );
    }
}
