//! livermet-io: the [`Volume`] type and its NIfTI and DICOM readers and writers.
//!
//! Entry points (all paths; errors are [`IoError`], each naming the file):
//! - [`read_volume`]: a NIfTI file (.nii/.nii.gz, NIfTI-1 or -2, either byte order) or a folder
//!   holding one DICOM series, 3D or 4D, intensities after scl_slope/inter (NIfTI) or
//!   RescaleSlope/Intercept (DICOM), affine in RAS mm (NIfTI: chosen as nibabel does).
//! - [`read_dwi`]: a 4D DWI and its b-values (FSL `.bval` beside a NIfTI, or DICOM tags).
//! - [`write_nifti`] / [`write_nifti_as`]: NIfTI-1 (gzip when the name ends in .gz), atomically.
//! - [`read_bvals`] / [`write_bvals`]: FSL `.bval` files.
//! - [`write_dicom_series`]: one DICOM file per slice (per frame for 4D) into a folder.
//! - [`image_info`] / [`orientation_code`]: what `livermet image info` prints.
//! - [`atomic`]: every file and folder livermet writes goes through its atomic writers.
//! - [`patient_dir()`]: the one place a patient ID becomes a folder name.
//!
//! No function here puts a patient-identifying DICOM value (name, ID, birth date, UID) into a
//! returned value or an error message.

pub mod atomic;
mod bvals;
mod dicom_lengths;
mod dicom_read;
mod dicom_tags;
mod dicom_write;
mod error;
mod info;
mod linalg;
mod nifti_header;
mod nifti_read;
mod nifti_write;
pub mod patient_dir;
pub mod utc;
pub mod volume;

use std::path::Path;

pub use atomic::{
    read_json, write_bytes_atomic, write_dir_atomic, write_file_atomic, write_json_atomic,
};
pub use bvals::{Dwi, bval_path_for, read_bvals, read_dwi, read_dwi_with_warnings, write_bvals};
pub use dicom_read::is_dicom_dir;
pub use dicom_write::{DicomSeriesOptions, write_dicom_series};
pub use error::IoError;
pub use info::{ImageInfo, image_info, orientation_code};
pub use nifti_write::{StoredType, write_nifti, write_nifti_as};
pub use patient_dir::{InvalidPatientId, folder_key, folder_name, id_problem, patient_dir};
pub use volume::{Affine, Grid, IDENTITY, Volume, apply_affine, invert_affine, mat4_mul};

/// Read an image: a NIfTI file (.nii or .nii.gz; NIfTI-1 or NIfTI-2; either byte order) or a
/// folder holding one DICOM series. 3D or 4D ([`Volume::frames`]). Geometry that cannot be a
/// scan is an error; what the reader had to repair is dropped (see
/// [`read_volume_with_warnings`]). Voxels are returned as stored, NaN included ([`check_finite`]).
pub fn read_volume(path: &Path) -> Result<Volume, IoError> {
    Ok(read_volume_with_warnings(path)?.0)
}

/// [`read_volume`], with one line per thing the reader repaired the way nibabel does (e.g. a
/// negative NIfTI pixdim read as its absolute value), each naming the file.
pub fn read_volume_with_warnings(path: &Path) -> Result<(Volume, Vec<String>), IoError> {
    if path.is_dir() {
        return Ok((dicom_read::read_dicom_series(path)?.volume, Vec::new()));
    }
    let image = read_nifti_file(path)?;
    Ok((image.volume, image.warning.into_iter().collect()))
}

/// An error when `volume` (read from `path`) holds NaN or infinite voxels: every image a patient
/// needs must be finite, or registration, normalisation and the networks turn them into NaN
/// scores.
pub fn check_finite(volume: &Volume, path: &Path) -> Result<(), IoError> {
    match volume.non_finite() {
        0 => Ok(()),
        count => Err(IoError::NonFinite {
            path: path.into(),
            count,
            voxels: volume.data.len(),
        }),
    }
}

/// A NIfTI file by name (.nii / .nii.gz, any case), with its header fields.
pub(crate) fn read_nifti_file(path: &Path) -> Result<nifti_read::NiftiImage, IoError> {
    if !path.exists() {
        return Err(IoError::NotFound { path: path.into() });
    }
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    if !(name.ends_with(".nii") || name.ends_with(".nii.gz")) {
        return Err(IoError::UnknownFormat { path: path.into() });
    }
    nifti_read::read_nifti(path)
}
