//! NIfTI-1 writing with the `nifti` crate's writer, atomically (temporary sibling + rename).
//!
//! The header carries the affine twice, as tools expect: exactly as the sform (code 1, scanner)
//! and, rotation and voxel sizes only, as the qform (code 1). Readers that follow nibabel (this
//! crate included) use the sform.

use std::io::{Seek, SeekFrom, Write};
use std::path::Path;

use ndarray::ShapeBuilder;

use crate::atomic::{temp_named, temp_sibling, write_file_atomic};
use crate::error::{IoError, write_error};
use crate::linalg::affine_to_quatern;
use crate::volume::Volume;

/// How voxels are stored on disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoredType {
    /// 32-bit float: exact for the f32 voxels of a [`Volume`].
    Float32,
    /// 16-bit integers with `scl_slope`/`scl_inter` chosen from the data range (values return
    /// within half a quantisation step, `(max - min) / 65534 / 2`); half the size of float32.
    Int16Scaled,
    /// 8-bit unsigned, unscaled: for masks (values are rounded and clamped to 0..=255).
    UInt8,
}

/// Write `vol` as float32 NIfTI-1 (gzip-compressed when the name ends in `.gz`), atomically.
pub fn write_nifti(vol: &Volume, path: &Path) -> Result<(), IoError> {
    write_nifti_as(vol, path, StoredType::Float32)
}

/// Write `vol` as NIfTI-1 with voxels stored as `stored`, atomically.
pub fn write_nifti_as(vol: &Volume, path: &Path, stored: StoredType) -> Result<(), IoError> {
    check_writable(vol, path)?;
    let gz = path.to_string_lossy().ends_with(".gz");
    let header = reference_header(vol);
    write_file_atomic(path, |tmp| match stored {
        StoredType::Float32 => write_array(vol, path, tmp, &header, gz, vol.data.clone()),
        StoredType::UInt8 => {
            let data: Vec<u8> = vol
                .data
                .iter()
                .map(|&v| v.round().clamp(0.0, 255.0) as u8)
                .collect();
            write_array(vol, path, tmp, &header, gz, data)
        }
        StoredType::Int16Scaled => write_int16_scaled(vol, path, tmp, &header, gz),
    })
}

/// Volumes we refuse to write: non-finite affines (no reader could place them).
fn check_writable(vol: &Volume, path: &Path) -> Result<(), IoError> {
    if !vol.affine.iter().flatten().all(|v| v.is_finite()) {
        return Err(IoError::InvalidVolume {
            path: path.into(),
            reason: "affine is not finite".into(),
        });
    }
    if vol
        .dims
        .iter()
        .chain([&vol.frames])
        .any(|&d| d == 0 || d > i16::MAX as usize)
    {
        return Err(IoError::InvalidVolume {
            path: path.into(),
            reason: format!(
                "dims {:?} x {} frames do not fit NIfTI-1",
                vol.dims, vol.frames
            ),
        });
    }
    Ok(())
}

/// The header fields the writer copies: geometry (sform + qform), units, little endian.
fn reference_header(vol: &Volume) -> nifti::NiftiHeader {
    let a = &vol.affine;
    let (quat, zooms, qfac) = affine_to_quatern(a);
    let row = |r: usize| {
        [
            a[r][0] as f32,
            a[r][1] as f32,
            a[r][2] as f32,
            a[r][3] as f32,
        ]
    };
    let mut pixdim = [1.0f32; 8];
    pixdim[0] = qfac as f32;
    for d in 0..3 {
        pixdim[d + 1] = zooms[d] as f32;
    }
    let mut h = nifti::NiftiHeader {
        pixdim,
        sform_code: 1,
        qform_code: 1,
        srow_x: row(0),
        srow_y: row(1),
        srow_z: row(2),
        quatern_b: quat[0] as f32,
        quatern_c: quat[1] as f32,
        quatern_d: quat[2] as f32,
        quatern_x: a[0][3] as f32,
        quatern_y: a[1][3] as f32,
        quatern_z: a[2][3] as f32,
        xyzt_units: 2, // NIFTI_UNITS_MM
        endianness: nifti::Endianness::Little,
        ..Default::default()
    };
    let _ = h.set_description_str("livermet");
    h
}

/// Write `data` (NIfTI order, i fastest) through the `nifti` crate to a temporary name ending in
/// `.nii` / `.nii.gz` (the crate rewrites other names), then move it to `tmp`.
fn write_array<T: nifti::DataElement + bytemuck::Pod>(
    vol: &Volume,
    dest: &Path,
    tmp: &Path,
    header: &nifti::NiftiHeader,
    gz: bool,
    data: Vec<T>,
) -> Result<(), IoError> {
    let [nx, ny, nz] = vol.dims;
    // The writer transposes its input to Fortran order, so it wants logical (i, j, k[, t])
    // indexing; our buffer is exactly Fortran-ordered over that shape.
    let named = temp_named(dest, if gz { ".nii.gz" } else { ".nii" });
    let result = if vol.frames == 1 {
        let arr = ndarray::Array::from_shape_vec((nx, ny, nz).f(), data).expect("volume length");
        nifti::writer::WriterOptions::new(&named)
            .reference_header(header)
            .compress(gz)
            .write_nifti(&arr)
    } else {
        let arr = ndarray::Array::from_shape_vec((nx, ny, nz, vol.frames).f(), data)
            .expect("volume length");
        nifti::writer::WriterOptions::new(&named)
            .reference_header(header)
            .compress(gz)
            .write_nifti(&arr)
    };
    let moved = result
        .map_err(|e| nifti_write_error(dest, e))
        .and_then(|()| std::fs::rename(&named, tmp).map_err(|e| write_error(dest, e)));
    if moved.is_err() {
        let _ = std::fs::remove_file(&named);
    }
    moved
}

fn nifti_write_error(dest: &Path, e: nifti::NiftiError) -> IoError {
    match e {
        nifti::NiftiError::Io(io) => write_error(dest, io),
        other => IoError::InvalidVolume {
            path: dest.into(),
            reason: other.to_string(),
        },
    }
}

/// int16 with slope/inter: the `nifti` writer always stores slope 1 / inter 0, so the file is
/// written uncompressed, the two header fields are set at their fixed NIfTI-1 offsets (112 and
/// 116, little endian), and the result is gzipped afterwards when asked.
fn write_int16_scaled(
    vol: &Volume,
    dest: &Path,
    tmp: &Path,
    header: &nifti::NiftiHeader,
    gz: bool,
) -> Result<(), IoError> {
    let (slope, inter) = int16_scaling(&vol.data);
    let data: Vec<i16> = vol
        .data
        .iter()
        .map(|&v| {
            let q = ((v as f64 - inter as f64) / slope as f64).round();
            if q.is_nan() {
                0
            } else {
                q.clamp(-32767.0, 32767.0) as i16
            }
        })
        .collect();
    let plain = if gz {
        temp_sibling(dest)
    } else {
        tmp.to_path_buf()
    };
    let result = write_array(vol, dest, &plain, header, false, data)
        .and_then(|()| patch_scaling(&plain, slope, inter).map_err(|e| write_error(dest, e)))
        .and_then(|()| {
            if gz {
                gzip_file(&plain, tmp).map_err(|e| write_error(dest, e))
            } else {
                Ok(())
            }
        });
    if gz {
        let _ = std::fs::remove_file(&plain);
    }
    result
}

/// `(scl_slope, scl_inter)` (as the f32 the header stores) mapping int16 -32767..=32767 onto the
/// finite data range; slope 1, inter 0 when the data are already integers in int16 range (masks,
/// labels), so those are stored exactly.
pub(crate) fn int16_scaling(data: &[f32]) -> (f32, f32) {
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    let mut integral = true;
    for &v in data.iter().filter(|v| v.is_finite()) {
        lo = lo.min(v as f64);
        hi = hi.max(v as f64);
        integral &= v.fract() == 0.0;
    }
    if !lo.is_finite() || (integral && lo >= -32767.0 && hi <= 32767.0) {
        return (1.0, 0.0);
    }
    if hi == lo {
        return (1.0, lo as f32);
    }
    let slope = ((hi - lo) / 65534.0) as f32;
    let inter = ((hi + lo) / 2.0) as f32;
    (slope, inter)
}

fn patch_scaling(path: &Path, slope: f32, inter: f32) -> std::io::Result<()> {
    let mut f = std::fs::OpenOptions::new().write(true).open(path)?;
    f.seek(SeekFrom::Start(112))?;
    f.write_all(&slope.to_le_bytes())?;
    f.write_all(&inter.to_le_bytes())?;
    f.sync_data()
}

fn gzip_file(from: &Path, to: &Path) -> std::io::Result<()> {
    let mut input = std::io::BufReader::new(std::fs::File::open(from)?);
    let out = std::fs::File::create(to)?;
    let mut enc =
        flate2::write::GzEncoder::new(std::io::BufWriter::new(out), flate2::Compression::fast());
    std::io::copy(&mut input, &mut enc)?;
    enc.finish()?.flush()
}
