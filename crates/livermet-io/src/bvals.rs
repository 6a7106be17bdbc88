//! FSL `.bval` files and DWI reading (a 4D volume with one b-value per frame).

use std::path::{Path, PathBuf};

use crate::atomic::write_file_atomic;
use crate::error::{IoError, read_error, write_error};
use crate::volume::Volume;

/// A diffusion-weighted series: the 4D volume and one b-value (s/mm²) per frame.
#[derive(Debug, Clone, PartialEq)]
pub struct Dwi {
    /// The DWI frames; `volume.frames == bvals.len()`.
    pub volume: Volume,
    /// b-value of each frame, s/mm².
    pub bvals: Vec<f64>,
}

/// Read an FSL `.bval` file: b-values separated by whitespace (FSL writes one line; several
/// lines are accepted and concatenated).
pub fn read_bvals(path: &Path) -> Result<Vec<f64>, IoError> {
    let text = std::fs::read_to_string(path).map_err(|e| read_error(path, e))?;
    let mut out = Vec::new();
    for (n, tok) in text.split_whitespace().enumerate() {
        let v: f64 = tok.parse().map_err(|_| IoError::Bvals {
            path: path.into(),
            reason: format!("value {} is {tok:?}, not a number", n + 1),
        })?;
        if !v.is_finite() || v < 0.0 {
            return Err(IoError::Bvals {
                path: path.into(),
                reason: format!("value {} is {v}", n + 1),
            });
        }
        out.push(v);
    }
    if out.is_empty() {
        return Err(IoError::Bvals {
            path: path.into(),
            reason: "the file is empty".into(),
        });
    }
    Ok(out)
}

/// Write an FSL `.bval` file (one line, space-separated), atomically.
pub fn write_bvals(path: &Path, bvals: &[f64]) -> Result<(), IoError> {
    let line: Vec<String> = bvals.iter().map(|b| format!("{b}")).collect();
    let text = format!("{}\n", line.join(" "));
    write_file_atomic(path, |tmp| {
        std::fs::write(tmp, text.as_bytes()).map_err(|e| write_error(path, e))
    })
}

/// The `.bval` path FSL pairs with a NIfTI file: `.nii`/`.nii.gz` replaced by `.bval`.
pub fn bval_path_for(nifti: &Path) -> PathBuf {
    let name = nifti
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let stem = name
        .strip_suffix(".nii.gz")
        .or_else(|| name.strip_suffix(".nii"))
        .or_else(|| name.strip_suffix(".gz"))
        .unwrap_or(&name);
    nifti.with_file_name(format!("{stem}.bval"))
}

/// Read a DWI: a 4D NIfTI with its b-values from `bvals` or, when `None`, from the `.bval` beside
/// it; or a DICOM series folder with b-values from its tags (`bvals`, when given, overrides them).
pub fn read_dwi(path: &Path, bvals: Option<&Path>) -> Result<Dwi, IoError> {
    Ok(read_dwi_with_warnings(path, bvals)?.0)
}

/// [`read_dwi`], with the reader's warnings (see [`crate::read_volume_with_warnings`]).
pub fn read_dwi_with_warnings(
    path: &Path,
    bvals: Option<&Path>,
) -> Result<(Dwi, Vec<String>), IoError> {
    let (volume, tag_bvals, warnings) = if path.is_dir() {
        let s = crate::dicom_read::read_dicom_series(path)?;
        (s.volume, s.bvals, Vec::new())
    } else {
        let (v, w) = crate::read_volume_with_warnings(path)?;
        (v, None, w)
    };
    let bvals = match (bvals, tag_bvals) {
        (Some(p), _) => read_bvals(p)?,
        (None, Some(b)) => b,
        (None, None) if path.is_dir() => return Err(IoError::MissingBvals { path: path.into() }),
        (None, None) => {
            let beside = bval_path_for(path);
            if !beside.exists() {
                return Err(IoError::MissingBvals { path: path.into() });
            }
            read_bvals(&beside)?
        }
    };
    if bvals.len() != volume.frames {
        return Err(IoError::BvalsMismatch {
            path: path.into(),
            frames: volume.frames,
            bvals: bvals.len(),
        });
    }
    Ok((Dwi { volume, bvals }, warnings))
}
