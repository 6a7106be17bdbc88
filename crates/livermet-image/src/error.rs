//! The one error type of livermet-image.

use std::path::PathBuf;

/// Everything that can go wrong in image preprocessing; each variant names what and where.
#[derive(Debug, thiserror::Error)]
pub enum ImageError {
    /// Registration ran but its result cannot be trusted (no overlap, no information).
    #[error("registration failed: {reason}")]
    RegistrationFailed {
        /// What went wrong and what to check.
        reason: String,
    },
    /// A transform JSON file could not be read, parsed or written.
    #[error("transform file {path}: {reason}")]
    TransformFile {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// The DWI's number of volumes and its number of b-values differ.
    #[error(
        "the DWI has {volumes} volumes but {bvals} b-values; give one b-value per volume (FSL .bval)"
    )]
    BvalCount {
        /// Frames in the DWI series.
        volumes: usize,
        /// b-values given.
        bvals: usize,
    },
    /// A b-value is negative or not a number.
    #[error("b-value {value} is not a non-negative number (s/mm²); check the .bval file")]
    BadBvalue {
        /// The offending value.
        value: f64,
    },
    /// All b-values fall into one shell, so no ADC slope can be fitted.
    #[error(
        "all DWI volumes have one b-value (b = {b} s/mm²); ADC needs at least two b-values (e.g. 0 and 800)"
    )]
    SingleShell {
        /// The shell's mean b.
        b: f64,
    },
    /// The tumour ROI has no nonzero voxel.
    #[error("the tumour ROI is empty (no nonzero voxel); draw the tumour on the T2 image")]
    EmptyRoi,
    /// The ROI is not on the grid it must be on (the T2 grid).
    #[error(
        "the ROI's grid {roi:?} differs from the T2 grid {t2:?} (or their affines differ by more than {tol_mm} mm); the ROI must be drawn on the T2 image"
    )]
    RoiGrid {
        /// ROI dims.
        roi: [usize; 3],
        /// T2 dims.
        t2: [usize; 3],
        /// Tolerance used on the corner positions, mm.
        tol_mm: f64,
    },
}
