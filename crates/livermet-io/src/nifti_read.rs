//! NIfTI-1 and NIfTI-2 reading into a [`Volume`].
//!
//! The whole file is read (and gunzipped when it starts with the gzip magic, whatever its name),
//! the version is told by `sizeof_hdr` (348: NIfTI-1, 540: NIfTI-2; byte-swapped means big
//! endian), the geometry is checked, and the voxel data length is checked against the header
//! before anything is decoded, so a truncated file is reported as such instead of as a parser
//! error, and nothing is allocated that the file does not hold.

use std::io::Read;
use std::path::Path;

use crate::error::{IoError, read_error};
use crate::nifti_header::{NiftiFields, datatype_size, decode_voxels, header_error};
use crate::volume::Volume;

/// A NIfTI file read: the volume, the header fields used, and a warning when the header needed
/// nibabel's fix to be read (see [`NiftiFields::geometry`]).
pub(crate) struct NiftiImage {
    pub volume: Volume,
    pub fields: NiftiFields,
    pub warning: Option<String>,
}

/// Read a NIfTI file into a volume.
pub(crate) fn read_nifti(path: &Path) -> Result<NiftiImage, IoError> {
    let bytes = read_maybe_gz(path)?;
    let fields = header_fields(path, &bytes)?;
    let (affine, warning) = fields.geometry().map_err(|reason| IoError::Geometry {
        path: path.into(),
        reason,
    })?;
    let raw = voxel_bytes(path, &bytes, &fields)?;
    let scaling = fields.scaling(path)?;
    let data = decode_voxels(raw, fields.datatype, fields.big_endian, scaling);
    let dims = [0, 1, 2].map(|d| fields.dim.get(d).copied().unwrap_or(1));
    let frames: usize = fields.dim.iter().skip(3).product();
    Ok(NiftiImage {
        volume: Volume::new(dims, frames, affine, data),
        fields,
        warning: warning.map(|w| format!("{}: {w}", path.display())),
    })
}

/// The header of a NIfTI-1 or NIfTI-2 file, told apart (and the byte order) by `sizeof_hdr`.
fn header_fields(path: &Path, bytes: &[u8]) -> Result<NiftiFields, IoError> {
    if bytes.len() < 4 {
        return Err(header_error(path, "file shorter than a NIfTI header"));
    }
    let first: [u8; 4] = bytes[0..4].try_into().expect("4 bytes");
    let (le, be) = (i32::from_le_bytes(first), i32::from_be_bytes(first));
    match (le, be) {
        (348, _) | (_, 348) => read_nifti1_header(path, bytes),
        (540, _) => NiftiFields::parse_nifti2(path, bytes, false),
        (_, 540) => NiftiFields::parse_nifti2(path, bytes, true),
        _ => Err(header_error(
            path,
            &format!("sizeof_hdr is {le}, not 348 (NIfTI-1) or 540 (NIfTI-2)"),
        )),
    }
}

/// Parse a NIfTI-1 header with the `nifti` crate and check the fields we rely on.
fn read_nifti1_header(path: &Path, bytes: &[u8]) -> Result<NiftiFields, IoError> {
    if bytes.len() < 348 {
        return Err(header_error(
            path,
            "file shorter than the 348-byte NIfTI-1 header",
        ));
    }
    let h = nifti::NiftiHeader::from_reader(&bytes[..348])
        .map_err(|e| header_error(path, &e.to_string()))?;
    if &h.magic == nifti::header::MAGIC_CODE_NI1 {
        return Err(IoError::NiftiUnsupported {
            path: path.into(),
            reason: "a .hdr/.img pair; only single-file .nii is read".into(),
        });
    }
    if &h.magic != nifti::header::MAGIC_CODE_NIP1 {
        return Err(header_error(path, "bad magic string (not \"n+1\")"));
    }
    h.dim().map_err(|e| header_error(path, &e.to_string()))?;
    if h.dim[1..=h.dim[0] as usize]
        .iter()
        .any(|&d| d == 0 || d > i16::MAX as u16)
    {
        return Err(header_error(path, "a dimension is zero or negative"));
    }
    if !(h.vox_offset >= 348.0 && h.vox_offset.is_finite()) {
        return Err(header_error(
            path,
            &format!("vox_offset is {}", h.vox_offset),
        ));
    }
    Ok(NiftiFields::from_nifti1(&h))
}

/// Bytes of voxel data the header promises.
fn data_len(path: &Path, f: &NiftiFields) -> Result<u64, IoError> {
    let size = datatype_size(path, f.datatype)?;
    f.dim
        .iter()
        .try_fold(size as u64, |acc, &d| acc.checked_mul(d as u64))
        .ok_or_else(|| header_error(path, "dimensions overflow"))
}

/// The voxel data slice, after checking that the file holds all of it.
fn voxel_bytes<'a>(path: &Path, bytes: &'a [u8], f: &NiftiFields) -> Result<&'a [u8], IoError> {
    let expected = data_len(path, f)?;
    let offset = f.vox_offset;
    let found = (bytes.len() as u64).saturating_sub(offset);
    if found < expected {
        return Err(IoError::NiftiTruncated {
            path: path.into(),
            expected,
            offset,
            found,
        });
    }
    Ok(&bytes[offset as usize..(offset + expected) as usize])
}

/// The file's bytes, gunzipped when they start with the gzip magic (1f 8b).
///
/// A gzip stream is decompressed only as far as the header's promise (header, extensions and
/// voxels): a small file that inflates without end (a "zip bomb") or trailing data past the
/// image cannot make the reader allocate more than the image it describes.
fn read_maybe_gz(path: &Path) -> Result<Vec<u8>, IoError> {
    let raw = std::fs::read(path).map_err(|e| read_error(path, e))?;
    if !(raw.len() >= 2 && raw[0] == 0x1f && raw[1] == 0x8b) {
        return Ok(raw);
    }
    let gzip = |e: std::io::Error| IoError::Gzip {
        path: path.into(),
        reason: e.to_string(),
    };
    let mut decoder = flate2::read::MultiGzDecoder::new(&raw[..]);
    let mut out = Vec::with_capacity(raw.len().saturating_mul(3).min(1 << 26));
    (&mut decoder)
        .take(540)
        .read_to_end(&mut out)
        .map_err(gzip)?;
    // A header that cannot be parsed is reported by the caller from these bytes.
    let Ok(limit) = header_fields(path, &out)
        .and_then(|f| Ok(f.vox_offset.saturating_add(data_len(path, &f)?)))
    else {
        return Ok(out);
    };
    (&mut decoder)
        .take(limit.saturating_sub(out.len() as u64))
        .read_to_end(&mut out)
        .map_err(gzip)?;
    Ok(out)
}

/// Determinant of the 3x3 part of an affine.
pub(crate) fn det3(a: &crate::volume::Affine) -> f64 {
    a[0][0] * (a[1][1] * a[2][2] - a[1][2] * a[2][1])
        - a[0][1] * (a[1][0] * a[2][2] - a[1][2] * a[2][0])
        + a[0][2] * (a[1][0] * a[2][1] - a[1][1] * a[2][0])
}
