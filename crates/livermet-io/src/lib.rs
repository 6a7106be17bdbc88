//! livermet-io: the [`Volume`] type and its NIfTI and DICOM readers and writers.
//!
//! Entry points (all paths; errors are [`IoError`], each naming the file):
//! - [`read_volume`]: a NIfTI file (.nii/.nii.gz, NIfTI-1 or -2) or a folder holding one DICOM series,
//!   3D or 4D, intensities after scl_slope/inter (NIfTI) or RescaleSlope/Intercept (DICOM).
//! - [`read_dwi`]: a 4D DWI and its b-values (FSL `.bval` beside a NIfTI, or DICOM tags).
//! - [`write_nifti`]: float32 NIfTI-1 (gzip when the name ends in .gz), written atomically.
//! - [`write_bvals`]: an FSL `.bval` file.
//! - [`write_dicom_series`]: one DICOM file per slice (per frame for 4D) into a folder.

pub mod volume;

pub use volume::{Affine, Grid, IDENTITY, Volume, apply_affine, invert_affine, mat4_mul};
