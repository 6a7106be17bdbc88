//! Tumour slices and tumour centres from the ROI on the T2 grid (the paper: "if the tumour
//! spanned more than five slices, the middle five were used").

use livermet_io::{Grid, Volume};

use crate::ImageError;

/// Check that the ROI lies on the T2 grid: same dims and corner positions within `tol_mm`.
pub fn check_roi_grid(roi: &Volume, t2: &Grid, tol_mm: f64) -> Result<(), ImageError> {
    let t2_vol = Volume {
        dims: t2.dims,
        frames: 0,
        affine: t2.affine,
        data: Vec::new(),
    };
    if roi.same_grid(&t2_vol, tol_mm) {
        Ok(())
    } else {
        Err(ImageError::RoiGrid {
            roi: roi.dims,
            t2: t2.dims,
            tol_mm,
        })
    }
}

/// Voxels of the ROI (frame 0, nonzero = tumour) on each k-slice.
pub fn tumour_voxels_per_slice(roi: &Volume) -> Vec<usize> {
    let plane = roi.dims[0] * roi.dims[1];
    (0..roi.dims[2])
        .map(|k| {
            roi.data[k * plane..(k + 1) * plane]
                .iter()
                .filter(|&&v| v != 0.0)
                .count()
        })
        .collect()
}

/// The k indices (ascending) of the slices holding tumour. When there are more than
/// `max_slices`, the middle `max_slices` of them: the list is cut to start at
/// `(count - max_slices) / 2` (rounded down, so with an odd surplus the extra slice left out is
/// the top one). `max_slices == 0` means no limit.
///
/// Error: the ROI has no tumour voxel.
pub fn tumour_slices(roi: &Volume, max_slices: usize) -> Result<Vec<usize>, ImageError> {
    let all: Vec<usize> = tumour_voxels_per_slice(roi)
        .iter()
        .enumerate()
        .filter(|(_, n)| **n > 0)
        .map(|(k, _)| k)
        .collect();
    if all.is_empty() {
        return Err(ImageError::EmptyRoi);
    }
    if max_slices == 0 || all.len() <= max_slices {
        return Ok(all);
    }
    let start = (all.len() - max_slices) / 2;
    Ok(all[start..start + max_slices].to_vec())
}

/// The ROI's centroid `(i, j)` (voxel units) on slice `k`; the slice's centre when the ROI has
/// no voxel there (or `k` is past the last slice).
pub fn tumour_centre(roi: &Volume, k: usize) -> [f64; 2] {
    let [nx, ny, nz] = roi.dims;
    let fallback = [(nx as f64 - 1.0) / 2.0, (ny as f64 - 1.0) / 2.0];
    if k >= nz {
        return fallback;
    }
    let (mut si, mut sj, mut count) = (0.0, 0.0, 0usize);
    for j in 0..ny {
        for i in 0..nx {
            if roi.get(i, j, k) != 0.0 {
                si += i as f64;
                sj += j as f64;
                count += 1;
            }
        }
    }
    if count == 0 {
        fallback
    } else {
        [si / count as f64, sj / count as f64]
    }
}
