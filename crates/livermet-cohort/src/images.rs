//! Image checks of one patient: each file exists and reads, has the expected dimensionality,
//! the DWI has b-values, and the ROI lies on the T2 grid and is not empty.

use std::path::Path;

use livermet_io::{Volume, read_dwi, read_volume};

use crate::patient::Patient;
use crate::validate::Problem;

/// World-position tolerance (mm) for "the ROI is on the T2 grid".
const SAME_GRID_TOL_MM: f64 = 0.01;

/// All image problems of one patient (empty when the images are usable).
pub fn check_patient_images(p: &Patient) -> Vec<Problem> {
    let mut problems = Vec::new();
    let Some(img) = &p.images else {
        return problems;
    };
    let mut volume3d = |column: &str, path: &Path| -> Option<Volume> {
        let v = read_checked(&p.id, column, path, &mut problems)?;
        if v.frames != 1 {
            problems.push(Problem::file(
                &p.id,
                column,
                path,
                format!("is 4D ({} volumes); a 3D image is expected", v.frames),
            ));
            return None;
        }
        Some(v)
    };
    let t2 = volume3d("t2", &img.t2);
    volume3d("t1", &img.t1);
    volume3d("t1ce", &img.t1ce);
    if let Some(adc) = &img.adc {
        volume3d("adc", adc);
    }
    let roi = volume3d("roi", &img.roi);
    check_dwi(&p.id, &img.dwi, &mut problems);
    if let (Some(t2), Some(roi)) = (t2, roi) {
        if !roi.same_grid(&t2, SAME_GRID_TOL_MM) {
            problems.push(Problem::file(
                &p.id,
                "roi",
                &img.roi,
                format!(
                    "is not on the T2 grid (ROI {:?} voxels vs T2 {:?}, or a different position/orientation): draw or save the mask on the T2 image",
                    roi.dims, t2.dims
                ),
            ));
        } else if roi.data.iter().all(|&v| v == 0.0) {
            problems.push(Problem::file(
                &p.id,
                "roi",
                &img.roi,
                "is empty (no nonzero voxel): the tumour must be outlined".into(),
            ));
        }
    }
    problems
}

/// Read a volume, turning a missing or unreadable file into a problem.
fn read_checked(
    id: &str,
    column: &str,
    path: &Path,
    problems: &mut Vec<Problem>,
) -> Option<Volume> {
    if !path.exists() {
        problems.push(Problem::file(
            id,
            column,
            path,
            "does not exist: check the path (relative to the CSV)".into(),
        ));
        return None;
    }
    match read_volume(path) {
        Ok(v) => Some(v),
        Err(e) => {
            problems.push(Problem::file(
                id,
                column,
                path,
                format!("cannot be read: {e}"),
            ));
            None
        }
    }
}

/// The DWI must be 4D with one b-value per volume and at least two distinct b-values.
fn check_dwi(id: &str, path: &Path, problems: &mut Vec<Problem>) {
    if !path.exists() {
        problems.push(Problem::file(
            id,
            "dwi",
            path,
            "does not exist: check the path (relative to the CSV)".into(),
        ));
        return;
    }
    match read_dwi(path, None) {
        Err(e) => problems.push(Problem::file(
            id,
            "dwi",
            path,
            format!("cannot be read as a DWI with b-values: {e}"),
        )),
        Ok(dwi) => {
            let mut b: Vec<f64> = dwi.bvals.clone();
            b.sort_by(f64::total_cmp);
            let distinct =
                b.windows(2).filter(|w| w[1] - w[0] > 50.0).count() + usize::from(!b.is_empty());
            if dwi.volume.frames != dwi.bvals.len() {
                problems.push(Problem::file(
                    id,
                    "dwi",
                    path,
                    format!(
                        "has {} volumes but {} b-values: fix the .bval file",
                        dwi.volume.frames,
                        dwi.bvals.len()
                    ),
                ));
            } else if distinct < 2 {
                problems.push(Problem::file(
                    id,
                    "dwi",
                    path,
                    "has fewer than two distinct b-values: ADC needs at least two".into(),
                ));
            }
        }
    }
}
