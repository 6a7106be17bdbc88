//! Image checks of one patient: each file exists and reads, holds only finite voxels, has the
//! expected dimensionality, the DWI has b-values, and the ROI lies on the T2 grid and is not
//! empty.

use std::path::Path;

use livermet_io::{Volume, check_finite, read_dwi_with_warnings, read_volume_with_warnings};

use crate::patient::Patient;
use crate::validate::Problem;

/// World-position tolerance (mm) for "the ROI is on the T2 grid".
const SAME_GRID_TOL_MM: f64 = 0.01;

/// What the images of one patient gave: problems (the images are unusable) and warnings (what
/// the readers repaired, as nibabel would).
#[derive(Debug, Default)]
pub struct ImageCheck {
    pub problems: Vec<Problem>,
    pub warnings: Vec<Problem>,
}

/// All image problems and warnings of one patient (no problem: the images are usable).
pub fn check_patient_images(p: &Patient) -> ImageCheck {
    let mut found = ImageCheck::default();
    let Some(img) = &p.images else {
        return found;
    };
    let mut volume3d = |column: &str, path: &Path| -> Option<Volume> {
        let v = read_checked(&p.id, column, path, &mut found)?;
        let problems = &mut found.problems;
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
    check_dwi(&p.id, &img.dwi, &mut found);
    let problems = &mut found.problems;
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
    found
}

/// Read a volume, turning a missing or unreadable file, or one with NaN or infinite voxels,
/// into a problem, and what the reader repaired into warnings.
fn read_checked(id: &str, column: &str, path: &Path, found: &mut ImageCheck) -> Option<Volume> {
    if !path.exists() {
        found.problems.push(Problem::file(
            id,
            column,
            path,
            "does not exist: check the path (relative to the CSV)".into(),
        ));
        return None;
    }
    let read = read_volume_with_warnings(path)
        .map_err(|e| format!("cannot be read: {e}"))
        .and_then(|(v, w)| {
            check_finite(&v, path).map_err(|e| format!("cannot be used: {e}"))?;
            Ok((v, w))
        });
    match read {
        Ok((v, warnings)) => {
            found.warnings.extend(
                warnings
                    .into_iter()
                    .map(|w| Problem::file(id, column, path, w)),
            );
            Some(v)
        }
        Err(message) => {
            found
                .problems
                .push(Problem::file(id, column, path, message));
            None
        }
    }
}

/// The DWI must be 4D with finite voxels, one b-value per volume and at least two distinct
/// b-values.
fn check_dwi(id: &str, path: &Path, found: &mut ImageCheck) {
    let problems = &mut found.problems;
    if !path.exists() {
        problems.push(Problem::file(
            id,
            "dwi",
            path,
            "does not exist: check the path (relative to the CSV)".into(),
        ));
        return;
    }
    let read = read_dwi_with_warnings(path, None).and_then(|(d, w)| {
        check_finite(&d.volume, path)?;
        Ok((d, w))
    });
    match read {
        Err(e) => problems.push(Problem::file(
            id,
            "dwi",
            path,
            format!("cannot be used as a DWI with b-values: {e}"),
        )),
        Ok((dwi, warnings)) => {
            found.warnings.extend(
                warnings
                    .into_iter()
                    .map(|w| Problem::file(id, "dwi", path, w)),
            );
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
