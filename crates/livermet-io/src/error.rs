//! The one error type of this crate.
//!
//! Every variant names the file or folder it is about and says what to do. None carries a value
//! read from a DICOM header: no patient name, ID, birth date or UID ever reaches a message.

use std::path::PathBuf;

/// What went wrong reading or writing an image, b-value list or DICOM series.
#[derive(Debug, thiserror::Error)]
pub enum IoError {
    /// The path does not exist.
    #[error("{}: no such file or folder; check the path (relative paths are resolved against the current folder or the cohort CSV)", path.display())]
    NotFound {
        /// The missing path.
        path: PathBuf,
    },
    /// The operating system refused a read (permissions, a folder where a file was expected, ...).
    #[error("{}: cannot read ({source}); check that it is a readable file", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// The path is neither a NIfTI file nor a folder.
    #[error("{}: not an image; give a NIfTI file (.nii or .nii.gz) or a folder holding one DICOM series", path.display())]
    UnknownFormat {
        /// The path.
        path: PathBuf,
    },
    /// The NIfTI header cannot be parsed or holds impossible values.
    #[error("{}: corrupt NIfTI header ({reason}); re-export the image from its source", path.display())]
    NiftiHeader {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// The NIfTI file ends before the voxels its header promises.
    #[error("{}: truncated NIfTI: the header promises {expected} bytes of voxels from offset {offset}, the file has {found}; copy the file again or re-export it", path.display())]
    NiftiTruncated {
        /// The file.
        path: PathBuf,
        /// Bytes of voxel data the header implies.
        expected: u64,
        /// Where the voxel data starts.
        offset: u64,
        /// Bytes actually present after `offset`.
        found: u64,
    },
    /// A .gz file whose compressed stream is damaged or cut short.
    #[error("{}: damaged or truncated gzip data ({reason}); copy the file again or re-export it", path.display())]
    Gzip {
        /// The file.
        path: PathBuf,
        /// The decompressor's message.
        reason: String,
    },
    /// A NIfTI feature this crate does not read (complex or RGB voxels, .hdr/.img pairs).
    #[error("{}: unsupported NIfTI ({reason}); convert it to a scalar single-file .nii/.nii.gz", path.display())]
    NiftiUnsupported {
        /// The file.
        path: PathBuf,
        /// What is not supported.
        reason: String,
    },
    /// A DICOM file that cannot be parsed or decoded.
    #[error("{}: corrupt or unreadable DICOM ({reason}); remove the file or re-export the series", path.display())]
    DicomFile {
        /// The file.
        path: PathBuf,
        /// What failed (parser or decoder message; never a header value).
        reason: String,
    },
    /// A DICOM file lacks an attribute the geometry or intensities need.
    #[error("{}: DICOM attribute {attribute} is missing or unreadable; re-export the series with geometry attributes kept", path.display())]
    DicomMissing {
        /// The file.
        path: PathBuf,
        /// Keyword and tag, e.g. `ImagePositionPatient (0020,0032)`.
        attribute: &'static str,
    },
    /// A DICOM image this crate does not read (colour, enhanced multi-frame).
    #[error("{}: unsupported DICOM ({reason}); export the series as single-frame greyscale images", path.display())]
    DicomUnsupported {
        /// The file.
        path: PathBuf,
        /// What is not supported.
        reason: String,
    },
    /// A folder without DICOM files.
    #[error("{}: no DICOM files in this folder; point to the folder that holds the series' .dcm files", path.display())]
    EmptyDicomFolder {
        /// The folder.
        path: PathBuf,
    },
    /// A folder holding files of more than one DICOM series.
    #[error("{}: folder holds {count} DICOM series; put each series in its own folder", path.display())]
    MultipleSeries {
        /// The folder.
        path: PathBuf,
        /// Number of distinct SeriesInstanceUIDs found.
        count: usize,
    },
    /// Slices of one series that do not form a regular grid.
    #[error("{}: DICOM slices do not form one regular volume ({reason}); check that the folder holds one complete series", path.display())]
    InconsistentSeries {
        /// The folder.
        path: PathBuf,
        /// What disagrees.
        reason: String,
    },
    /// Geometry that cannot be a real scan: zero, negative or non-finite voxel sizes, a singular
    /// or non-finite voxel-to-world matrix, zero or parallel DICOM directions.
    #[error("{}: unusable geometry ({reason}); re-export the image from the scanner or its source with its voxel sizes and orientation", path.display())]
    Geometry {
        /// The file (a NIfTI, or the DICOM file whose attribute is wrong).
        path: PathBuf,
        /// What is wrong, naming the header field or attribute.
        reason: String,
    },
    /// Voxels that are NaN or infinite in an image a patient needs.
    #[error("{}: {count} of {voxels} voxels are NaN or infinite; repair or re-export the image (every intensity must be a finite number)", path.display())]
    NonFinite {
        /// The image.
        path: PathBuf,
        /// NaN or infinite voxels (all frames).
        count: usize,
        /// All voxels (all frames).
        voxels: usize,
    },
    /// Two files of one series holding the same image.
    #[error("{}: {} and {} are the same slice ({why}); remove one of the two files", path.display(), first.display(), second.display())]
    DuplicateSlice {
        /// The series folder.
        path: PathBuf,
        /// The file kept by name order.
        first: PathBuf,
        /// Its duplicate.
        second: PathBuf,
        /// What they share (never a UID's value).
        why: &'static str,
    },
    /// A b-value file that cannot be parsed.
    #[error("{}: bad b-value file ({reason}); it must hold one line of numbers separated by spaces (FSL .bval)", path.display())]
    Bvals {
        /// The .bval file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// A DWI without b-values.
    #[error("{}: no b-values found; put an FSL .bval file beside it (same name, .bval) or pass one with --bvals", path.display())]
    MissingBvals {
        /// The DWI image.
        path: PathBuf,
    },
    /// b-values and frames disagree in number.
    #[error("{}: {bvals} b-values for {frames} volumes; the .bval file must list one b-value per volume", path.display())]
    BvalsMismatch {
        /// The DWI image.
        path: PathBuf,
        /// Frames in the image.
        frames: usize,
        /// b-values found.
        bvals: usize,
    },
    /// A volume that cannot be written as asked.
    #[error("{}: cannot write this volume ({reason})", path.display())]
    InvalidVolume {
        /// Destination.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// A JSON file livermet wrote (or expects) that cannot be parsed or serialised.
    #[error("{}: not the JSON livermet expects ({reason}); delete it to have it written again, or restore it", path.display())]
    Json {
        /// The file.
        path: PathBuf,
        /// The parser's message.
        reason: String,
    },
    /// The operating system refused a write.
    #[error("{}: cannot write ({source}); check the folder exists and is writable, and the disk is not full", path.display())]
    Write {
        /// Destination.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
}

impl IoError {
    /// The path the error is about.
    pub fn path(&self) -> &std::path::Path {
        match self {
            IoError::NotFound { path }
            | IoError::Read { path, .. }
            | IoError::UnknownFormat { path }
            | IoError::NiftiHeader { path, .. }
            | IoError::NiftiTruncated { path, .. }
            | IoError::NiftiUnsupported { path, .. }
            | IoError::Gzip { path, .. }
            | IoError::DicomFile { path, .. }
            | IoError::DicomMissing { path, .. }
            | IoError::DicomUnsupported { path, .. }
            | IoError::EmptyDicomFolder { path }
            | IoError::MultipleSeries { path, .. }
            | IoError::InconsistentSeries { path, .. }
            | IoError::Geometry { path, .. }
            | IoError::NonFinite { path, .. }
            | IoError::DuplicateSlice { path, .. }
            | IoError::Bvals { path, .. }
            | IoError::MissingBvals { path }
            | IoError::BvalsMismatch { path, .. }
            | IoError::InvalidVolume { path, .. }
            | IoError::Json { path, .. }
            | IoError::Write { path, .. } => path,
        }
    }
}

/// `Read` or `NotFound`, depending on the OS error.
pub(crate) fn read_error(path: &std::path::Path, e: std::io::Error) -> IoError {
    if e.kind() == std::io::ErrorKind::NotFound {
        IoError::NotFound {
            path: path.to_path_buf(),
        }
    } else {
        IoError::Read {
            path: path.to_path_buf(),
            source: e,
        }
    }
}

/// A `Write` error for `path`.
pub(crate) fn write_error(path: &std::path::Path, e: std::io::Error) -> IoError {
    IoError::Write {
        path: path.to_path_buf(),
        source: e,
    }
}
