//! `livermet validate` and `livermet prepare` on a small synthetic cohort made by `livermet synth`.

use std::path::Path;

use crate::common::{livermet, stderr, stdout};

fn synth(dir: &Path) {
    let o = livermet()
        .args(["synth", "--out"])
        .arg(dir)
        .args(["--primary", "3", "--external", "1", "--seed", "5"])
        .output()
        .unwrap();
    assert!(o.status.success(), "synth failed: {}", stderr(&o));
}

#[test]
fn validate_accepts_a_clean_cohort_and_lists_every_problem_of_a_bad_one() {
    let dir = tempfile::tempdir().unwrap();
    synth(dir.path());
    let csv = dir.path().join("primary.csv");
    let o = livermet().arg("validate").arg(&csv).output().unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("3 patients"), "{}", stdout(&o));

    // Two problems in two rows: a label of 2 and a missing T1 file.
    let text = std::fs::read_to_string(&csv).unwrap();
    let mut lines: Vec<String> = text.lines().map(String::from).collect();
    let mut cells: Vec<String> = lines[1].split(',').map(String::from).collect();
    cells[2] = "2".into();
    lines[1] = cells.join(",");
    let t1: Vec<String> = lines[2].split(',').map(String::from).collect();
    std::fs::remove_file(dir.path().join(&t1[9])).unwrap();
    std::fs::write(&csv, lines.join("\n") + "\n").unwrap();
    let o = livermet().arg("validate").arg(&csv).output().unwrap();
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    let problems: Vec<&str> = err.lines().filter(|l| l.starts_with("problem:")).collect();
    assert_eq!(problems.len(), 2, "{err}");
    assert!(
        problems[0].contains("`slm`")
            && problems[1].contains("`t1`")
            && problems[1].contains("does not exist"),
        "{err}"
    );
}

#[test]
fn validate_a_missing_csv_is_one_line_and_exit_2() {
    let o = livermet()
        .args(["validate", "/nonexistent/cohort.csv"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(err.contains("/nonexistent/cohort.csv"), "{err}");
}

#[test]
fn prepare_writes_each_patient_and_reports_a_failing_one_by_name() {
    let dir = tempfile::tempdir().unwrap();
    synth(dir.path());
    // Spoil one patient so registration has nothing to work with: a constant T1 on its own grid.
    let csv = dir.path().join("primary.csv");
    let text = std::fs::read_to_string(&csv).unwrap();
    let row: Vec<&str> = text.lines().nth(2).unwrap().split(',').collect();
    let (bad_id, t1_path) = (row[0].to_string(), dir.path().join(row[9]));
    let mut t1 = livermet_io::read_volume(&t1_path).unwrap();
    t1.data.iter_mut().for_each(|v| *v = 100.0);
    livermet_io::write_nifti(&t1, &t1_path).unwrap();

    let out = dir.path().join("prepared");
    let o = livermet()
        .arg("prepare")
        .arg(&csv)
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(
        err.contains(&format!("patient {bad_id}")) && err.contains("T1"),
        "{err}"
    );
    assert!(stdout(&o).contains("2 prepared"), "{}", stdout(&o));
    let good: Vec<&str> = text
        .lines()
        .skip(1)
        .map(|l| l.split(',').next().unwrap())
        .filter(|id| *id != bad_id)
        .collect();
    for id in good {
        for f in [
            "channels.nii.gz",
            "roi.nii.gz",
            "manifest.json",
            "transforms.json",
            "prepared.json",
        ] {
            assert!(out.join(id).join(f).exists(), "{id}/{f} missing");
        }
    }
    assert!(!out.join(&bad_id).exists());
}

/// A tumour outlined at the T2 image's edge: `prepare` succeeds but warns, naming the patient and
/// the zero-padded pixels (issue 12).
#[test]
fn prepare_warns_of_a_tumour_at_the_image_border() {
    let dir = tempfile::tempdir().unwrap();
    synth(dir.path());
    let csv = dir.path().join("primary.csv");
    let text = std::fs::read_to_string(&csv).unwrap();
    let header = text.lines().next().unwrap();
    let row: Vec<&str> = text.lines().nth(1).unwrap().split(',').collect();
    std::fs::write(&csv, format!("{header}\n{}\n", row.join(","))).unwrap();
    // Move the tumour to the first columns of the image, on the slices it occupies.
    let roi_path = dir.path().join(row[13]);
    let mut roi = livermet_io::read_volume(&roi_path).unwrap();
    let [nx, ny, nz] = roi.dims;
    for k in 0..nz {
        let has = (0..ny).any(|j| (0..nx).any(|i| roi.get(i, j, k) > 0.0));
        for j in 0..ny {
            for i in 0..nx {
                let inside = has && i < 4 && (ny / 2 - 3..ny / 2 + 3).contains(&j);
                roi.set(i, j, k, if inside { 1.0 } else { 0.0 });
            }
        }
    }
    livermet_io::write_nifti(&roi, &roi_path).unwrap();
    let o = livermet()
        .arg("prepare")
        .arg(&csv)
        .arg("--out")
        .arg(dir.path().join("prepared"))
        .output()
        .unwrap();
    let err = stderr(&o);
    assert!(o.status.success(), "{err}");
    assert!(
        err.contains(&format!("warning: patient {}", row[0]))
            && err.contains("zero-padded")
            && err.contains("border"),
        "{err}"
    );
}
