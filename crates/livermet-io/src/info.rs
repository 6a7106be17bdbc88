//! `image info`: what an image is (grid, geometry, data range, b-values), and nibabel's
//! orientation codes.

use std::path::Path;

use serde::Serialize;

use crate::error::IoError;
use crate::linalg::{polar, rzs};
use crate::volume::Affine;

/// A summary of one image, as `livermet image info` prints it. Holds no DICOM header value
/// other than geometry, intensities and b-values (nothing that identifies a patient).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ImageInfo {
    /// The path as given.
    pub path: String,
    /// `[nx, ny, nz]`, or `[nx, ny, nz, frames]` for a 4D image.
    pub dims: Vec<usize>,
    /// Voxel size in mm along i, j, k.
    pub voxel_size: [f64; 3],
    /// Voxel (0-based) -> world RAS mm, row-major 4x4.
    pub affine: [[f64; 4]; 4],
    /// nibabel axis codes, e.g. "RAS", "LPS".
    pub orientation: String,
    /// Smallest finite voxel value (after scaling), all frames.
    pub min: f64,
    /// Largest finite voxel value (after scaling), all frames.
    pub max: f64,
    /// Mean of the finite voxel values (after scaling), all frames.
    pub mean: f64,
    /// Voxels that are NaN or infinite (left out of min, max and mean).
    pub non_finite: usize,
    /// What the reader repaired (nibabel's way) or found suspect, one line each naming the file.
    pub warnings: Vec<String>,
    /// b-values of a DWI (one per frame), or `None`.
    pub bvals: Option<Vec<f64>>,
    /// `"nifti-1"`, `"nifti-2"` or `"dicom"`.
    pub format: String,
}

impl ImageInfo {
    /// The human-readable block `livermet image info` prints for the image.
    pub fn text(&self) -> String {
        let dims: Vec<String> = self.dims.iter().map(|d| d.to_string()).collect();
        let [vx, vy, vz] = self.voxel_size;
        let mut s = format!("{} ({})\n", self.path, self.format);
        s += &format!("  dims:        {}\n", dims.join(" x "));
        s += &format!("  voxel size:  {vx:.4} x {vy:.4} x {vz:.4} mm\n");
        s += &format!("  orientation: {}\n", self.orientation);
        s += "  affine (voxel -> RAS mm):\n";
        for [a, b, c, d] in &self.affine {
            s += &format!("    [{a:>11.4} {b:>11.4} {c:>11.4} {d:>11.4}]\n");
        }
        let non_finite = match self.non_finite {
            0 => String::new(),
            n => format!(" (finite voxels; {n} NaN or infinite)"),
        };
        s += &format!(
            "  range:       min {} max {} mean {:.4}{non_finite}\n",
            self.min, self.max, self.mean
        );
        if let Some(b) = &self.bvals {
            let b: Vec<String> = b.iter().map(|v| v.to_string()).collect();
            s += &format!("  b-values:    {} (s/mm²)\n", b.join(", "));
        }
        s
    }
}

/// Summarise the image at `path` (NIfTI file or DICOM series folder). b-values come from the
/// `.bval` beside a 4D NIfTI (when present) or from a DICOM series' tags.
pub fn image_info(path: &Path) -> Result<ImageInfo, IoError> {
    let (volume, bvals, format, mut warnings) = if path.is_dir() {
        let s = crate::dicom_read::read_dicom_series(path)?;
        (s.volume, s.bvals, "dicom".to_string(), Vec::new())
    } else {
        let crate::nifti_read::NiftiImage {
            volume,
            fields,
            warning,
        } = crate::read_nifti_file(path)?;
        let beside = crate::bvals::bval_path_for(path);
        let bvals = if volume.frames > 1 && beside.is_file() {
            let b = crate::bvals::read_bvals(&beside)?;
            if b.len() != volume.frames {
                return Err(IoError::BvalsMismatch {
                    path: path.into(),
                    frames: volume.frames,
                    bvals: b.len(),
                });
            }
            Some(b)
        } else {
            None
        };
        let format = format!("nifti-{}", fields.version);
        (volume, bvals, format, warning.into_iter().collect())
    };
    let non_finite = volume.non_finite();
    if non_finite > 0 {
        warnings.push(format!(
            "{}: {non_finite} of {} voxels are NaN or infinite (left out of min, max and mean); `validate` refuses such an image for a patient",
            path.display(),
            volume.data.len()
        ));
    }
    let mut dims = volume.dims.to_vec();
    if volume.frames > 1 {
        dims.push(volume.frames);
    }
    let (min, max, mean) = volume.min_max_mean();
    Ok(ImageInfo {
        path: path.display().to_string(),
        dims,
        voxel_size: volume.voxel_size(),
        affine: volume.affine,
        orientation: orientation_code(&volume.affine),
        min: min as f64,
        max: max as f64,
        mean,
        non_finite,
        warnings,
        bvals,
        format,
    })
}

/// Axis codes of an affine, as nibabel's `aff2axcodes(io_orientation(affine))`: for each voxel
/// axis, the world axis (R/L, A/P, S/I) it runs closest to, taken from the orthogonal polar
/// factor of the column-normalised 3x3 part, choosing axes greedily in voxel-axis order so that
/// no world axis is used twice. A degenerate (zero) column gives `?`.
pub fn orientation_code(affine: &Affine) -> String {
    const LABELS: [[char; 2]; 3] = [['L', 'R'], ['P', 'A'], ['I', 'S']];
    let mut m = rzs(affine);
    for c in 0..3 {
        let n = crate::linalg::col_norm(&m, c);
        let n = if n == 0.0 { 1.0 } else { n };
        for r in 0..3 {
            m[r][c] /= n;
        }
    }
    let mut r = polar(&m).unwrap_or(m);
    let mut out = String::new();
    for in_ax in 0..3 {
        let col = [r[0][in_ax], r[1][in_ax], r[2][in_ax]];
        if col.iter().all(|v| v.abs() < 1e-8) {
            out.push('?');
            continue;
        }
        let out_ax = (0..3).fold(0, |best, i| {
            if col[i].abs() > col[best].abs() {
                i
            } else {
                best
            }
        });
        out.push(LABELS[out_ax][usize::from(col[out_ax] > 0.0)]);
        r[out_ax] = [0.0; 3];
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn aff(m: [[f64; 3]; 3]) -> Affine {
        [
            [m[0][0], m[0][1], m[0][2], 0.0],
            [m[1][0], m[1][1], m[1][2], 0.0],
            [m[2][0], m[2][1], m[2][2], 0.0],
            [0.0, 0.0, 0.0, 1.0],
        ]
    }

    #[test]
    fn orientation_codes_match_nibabel_conventions() {
        assert_eq!(
            orientation_code(&aff([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]])),
            "RAS"
        );
        assert_eq!(
            orientation_code(&aff([[-2.0, 0.0, 0.0], [0.0, -2.0, 0.0], [0.0, 0.0, 3.0]])),
            "LPS"
        );
        // Sagittal: i along -y (P), j along -z (I), k along +x (R).
        assert_eq!(
            orientation_code(&aff([[0.0, 0.0, 1.0], [-1.0, 0.0, 0.0], [0.0, -1.0, 0.0]])),
            "PIR"
        );
        // 30 degrees oblique about z still reads as the nearest axes.
        let (c, s) = (30f64.to_radians().cos(), 30f64.to_radians().sin());
        assert_eq!(
            orientation_code(&aff([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])),
            "RAS"
        );
    }
}
