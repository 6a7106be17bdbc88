//! [`Volume`] -> a folder of single-frame MR DICOM files (explicit VR little endian, int16 with
//! RescaleSlope/Intercept), the inverse of `dicom_read`: column = i, row = j, one file per slice
//! k (and per frame t of a 4D volume, with DiffusionBValue when b-values are given).

use std::path::Path;

use dicom_core::value::{C, PrimitiveValue};
use dicom_core::{DataElement, Tag, VR};
use dicom_object::{FileMetaTableBuilder, InMemDicomObject};

use crate::atomic::write_dir_atomic;
use crate::error::{IoError, write_error};
use crate::volume::Volume;

const MR_IMAGE_STORAGE: &str = "1.2.840.10008.5.1.4.1.1.4";
const EXPLICIT_VR_LE: &str = "1.2.840.10008.1.2.1";

/// What goes into the written series' header besides geometry and pixels.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DicomSeriesOptions {
    /// SeriesDescription (0008,103E), e.g. "T2W TSE AX".
    pub series_description: String,
    /// SeriesNumber (0020,0011).
    pub series_number: u32,
    /// One b-value per frame (DWI): written as DiffusionBValue (0018,9087).
    pub bvals: Option<Vec<f64>>,
    /// Written as PatientName and PatientID. Must be a synthetic pseudonym, never a real
    /// identifier. UIDs are derived from it (deterministically).
    pub patient_pseudonym: String,
}

/// The DICOM geometry of a volume (LPS), checked to be representable.
struct SeriesGeometry {
    iop: [f64; 6],
    /// Row spacing, column spacing.
    pixel_spacing: [f64; 2],
    /// Voxel (0-based) -> LPS mm.
    lps: [[f64; 4]; 3],
    normal: [f64; 3],
    slice_step: f64,
}

/// Write `vol` as a DICOM series into the folder `dir` (created; an existing folder is replaced
/// only once the new one is complete). Files are named `IM_tTTT_kKKKK.dcm`.
pub fn write_dicom_series(
    vol: &Volume,
    dir: &Path,
    opts: &DicomSeriesOptions,
) -> Result<(), IoError> {
    let invalid = |reason: String| IoError::InvalidVolume {
        path: dir.into(),
        reason,
    };
    if let Some(b) = &opts.bvals
        && b.len() != vol.frames
    {
        return Err(invalid(format!(
            "{} b-values for {} frames",
            b.len(),
            vol.frames
        )));
    }
    if vol.dims[0] > u16::MAX as usize || vol.dims[1] > u16::MAX as usize {
        return Err(invalid(format!(
            "slices of {}x{} do not fit DICOM Rows/Columns",
            vol.dims[0], vol.dims[1]
        )));
    }
    let geo = series_geometry(vol).map_err(invalid)?;
    let (slope, inter) = rescale(&vol.data);
    write_dir_atomic(dir, |tmp| {
        for t in 0..vol.frames {
            for k in 0..vol.dims[2] {
                let obj = slice_object(vol, &geo, opts, (&slope, &inter), t, k);
                let name = tmp.join(format!("IM_t{t:03}_k{k:04}.dcm"));
                let file = obj
                    .with_meta(FileMetaTableBuilder::new().transfer_syntax(EXPLICIT_VR_LE))
                    .map_err(|e| invalid(e.to_string()))?;
                file.write_to_file(&name).map_err(|e| match e {
                    dicom_object::WriteError::WriteFile { source, .. } => write_error(dir, source),
                    other => invalid(other.to_string()),
                })?;
            }
        }
        Ok(())
    })
}

/// DICOM needs orthogonal in-plane axes (IOP) and slices off the image plane.
fn series_geometry(vol: &Volume) -> Result<SeriesGeometry, String> {
    let a = &vol.affine;
    // RAS -> LPS: negate x and y rows.
    let lps: [[f64; 4]; 3] = std::array::from_fn(|r| {
        let s = if r < 2 { -1.0 } else { 1.0 };
        std::array::from_fn(|c| s * a[r][c])
    });
    let col = |c: usize| [lps[0][c], lps[1][c], lps[2][c]];
    let (ci, cj, ck) = (col(0), col(1), col(2));
    let (dc, dr) = (norm(&ci), norm(&cj));
    if dc == 0.0 || dr == 0.0 || !dc.is_finite() || !dr.is_finite() {
        return Err("degenerate in-plane axes in the affine".into());
    }
    let row_dir = ci.map(|v| v / dc);
    let col_dir = cj.map(|v| v / dr);
    if dot(&row_dir, &col_dir).abs() > 1e-6 {
        return Err(
            "the affine's i and j axes are not perpendicular (shear); DICOM cannot store it".into(),
        );
    }
    let normal = cross(&row_dir, &col_dir);
    let slice_step = norm(&ck);
    if dot(&ck, &normal).abs() < 1e-6 * slice_step.max(1e-12) {
        return Err("the affine's k axis lies in the image plane".into());
    }
    Ok(SeriesGeometry {
        iop: [
            row_dir[0], row_dir[1], row_dir[2], col_dir[0], col_dir[1], col_dir[2],
        ],
        pixel_spacing: [dr, dc],
        lps,
        normal,
        slice_step,
    })
}

/// RescaleSlope/Intercept for int16 storage, as the decimal strings the files will hold (DS is
/// at most 16 characters), re-parsed so quantisation uses exactly what readers will see.
/// Integer data within int16 range (masks, labels) keep slope 1, intercept 0.
fn rescale(data: &[f32]) -> (String, String) {
    let (slope, inter) = crate::nifti_write::int16_scaling(data);
    // Round the slope up so the extreme values still fit in ±32767 after re-parsing.
    let slope_s = format_ds(slope as f64 * (1.0 + 1e-9));
    (slope_s, format_ds(inter as f64))
}

fn slice_object(
    vol: &Volume,
    geo: &SeriesGeometry,
    opts: &DicomSeriesOptions,
    (slope_s, inter_s): (&str, &str),
    t: usize,
    k: usize,
) -> InMemDicomObject {
    let [nx, ny, nz] = vol.dims;
    let slope: f64 = slope_s.parse().expect("formatted by format_ds");
    let inter: f64 = inter_s.parse().expect("formatted by format_ds");
    let start = (k + nz * t) * nx * ny;
    let mut pixels = Vec::with_capacity(nx * ny * 2);
    for &v in &vol.data[start..start + nx * ny] {
        let q = ((v as f64 - inter) / slope).round();
        let q = if q.is_nan() {
            0
        } else {
            q.clamp(-32768.0, 32767.0) as i16
        };
        pixels.extend_from_slice(&q.to_le_bytes());
    }
    let ipp: [f64; 3] = std::array::from_fn(|r| geo.lps[r][2] * k as f64 + geo.lps[r][3]);
    let key = format!(
        "{}|{}|{}",
        opts.patient_pseudonym, opts.series_number, opts.series_description
    );
    let p = &opts.patient_pseudonym;
    let mut obj = InMemDicomObject::new_empty();
    let mut put = |tag: Tag, vr: VR, v: PrimitiveValue| {
        obj.put(DataElement::new(tag, vr, v));
    };
    let s = |x: &str| PrimitiveValue::from(x.to_string());
    let ds =
        |xs: &[f64]| PrimitiveValue::Strs(xs.iter().map(|&x| format_ds(x)).collect::<C<String>>());
    let is = |x: usize| PrimitiveValue::from(x.to_string());
    put(
        Tag(0x0008, 0x0008),
        VR::CS,
        PrimitiveValue::Strs(
            ["DERIVED", "SECONDARY"]
                .map(String::from)
                .into_iter()
                .collect(),
        ),
    );
    put(Tag(0x0008, 0x0016), VR::UI, s(MR_IMAGE_STORAGE));
    put(
        Tag(0x0008, 0x0018),
        VR::UI,
        s(&uid(&format!("sop|{key}|{t}|{k}"))),
    );
    put(Tag(0x0008, 0x0060), VR::CS, s("MR"));
    put(Tag(0x0008, 0x103E), VR::LO, s(&opts.series_description));
    put(Tag(0x0010, 0x0010), VR::PN, s(p));
    put(Tag(0x0010, 0x0020), VR::LO, s(p));
    put(Tag(0x0018, 0x0050), VR::DS, ds(&[geo.slice_step]));
    put(Tag(0x0018, 0x0088), VR::DS, ds(&[geo.slice_step]));
    if let Some(b) = &opts.bvals {
        put(Tag(0x0018, 0x9087), VR::FD, PrimitiveValue::from(b[t]));
    }
    put(Tag(0x0020, 0x000D), VR::UI, s(&uid(&format!("study|{p}"))));
    put(
        Tag(0x0020, 0x000E),
        VR::UI,
        s(&uid(&format!("series|{key}"))),
    );
    put(Tag(0x0020, 0x0011), VR::IS, is(opts.series_number as usize));
    put(Tag(0x0020, 0x0012), VR::IS, is(t + 1));
    put(Tag(0x0020, 0x0013), VR::IS, is(t * nz + k + 1));
    put(Tag(0x0020, 0x0032), VR::DS, ds(&ipp));
    put(Tag(0x0020, 0x0037), VR::DS, ds(&geo.iop));
    put(
        Tag(0x0020, 0x0052),
        VR::UI,
        s(&uid(&format!("frame-of-reference|{p}"))),
    );
    if vol.frames > 1 {
        put(Tag(0x0020, 0x0100), VR::IS, is(t + 1));
    }
    put(Tag(0x0020, 0x1041), VR::DS, ds(&[dot(&ipp, &geo.normal)]));
    put(Tag(0x0028, 0x0002), VR::US, PrimitiveValue::from(1u16));
    put(Tag(0x0028, 0x0004), VR::CS, s("MONOCHROME2"));
    put(Tag(0x0028, 0x0010), VR::US, PrimitiveValue::from(ny as u16));
    put(Tag(0x0028, 0x0011), VR::US, PrimitiveValue::from(nx as u16));
    put(Tag(0x0028, 0x0030), VR::DS, ds(&geo.pixel_spacing));
    put(Tag(0x0028, 0x0100), VR::US, PrimitiveValue::from(16u16));
    put(Tag(0x0028, 0x0101), VR::US, PrimitiveValue::from(16u16));
    put(Tag(0x0028, 0x0102), VR::US, PrimitiveValue::from(15u16));
    put(Tag(0x0028, 0x0103), VR::US, PrimitiveValue::from(1u16));
    put(Tag(0x0028, 0x1052), VR::DS, s(inter_s));
    put(Tag(0x0028, 0x1053), VR::DS, s(slope_s));
    put(Tag(0x0028, 0x1054), VR::LO, s("US"));
    put(
        Tag(0x7FE0, 0x0010),
        VR::OW,
        PrimitiveValue::U8(pixels.into()),
    );
    obj
}

/// A decimal string of at most 16 characters (the DS limit) with as many digits as fit.
pub(crate) fn format_ds(x: f64) -> String {
    if x == 0.0 || !x.is_finite() {
        return "0".into();
    }
    for decimals in (0..=15).rev() {
        let s = format!("{x:.decimals$}");
        let s = if s.contains('.') {
            s.trim_end_matches('0').trim_end_matches('.').to_string()
        } else {
            s
        };
        if s.len() <= 16 {
            return if s == "-0" { "0".into() } else { s };
        }
    }
    // Very large or very small magnitudes: scientific notation.
    (0..=10)
        .rev()
        .map(|p| format!("{x:.p$e}"))
        .find(|s| s.len() <= 16)
        .unwrap_or_else(|| "0".into())
}

/// A deterministic UID under the UUID-derived root 2.25 (PS3.5 B.2): the decimal value of a
/// 128-bit FNV-1a hash of `key`. Same inputs, same UIDs; never shown to anyone.
fn uid(key: &str) -> String {
    const OFFSET: u128 = 0x6c62272e07bb014262b821756295c58d;
    const PRIME: u128 = 0x0000000001000000000000000000013B;
    let mut h = OFFSET;
    for b in key.bytes() {
        h ^= b as u128;
        h = h.wrapping_mul(PRIME);
    }
    format!("2.25.{}", h >> 1)
}

fn norm(a: &[f64; 3]) -> f64 {
    dot(a, a).sqrt()
}

fn dot(a: &[f64; 3], b: &[f64; 3]) -> f64 {
    a[0] * b[0] + a[1] * b[1] + a[2] * b[2]
}

fn cross(a: &[f64; 3], b: &[f64; 3]) -> [f64; 3] {
    [
        a[1] * b[2] - a[2] * b[1],
        a[2] * b[0] - a[0] * b[2],
        a[0] * b[1] - a[1] * b[0],
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimal_strings_fit_sixteen_characters_and_keep_precision() {
        for x in [
            -123.456_789_012_345,
            std::f64::consts::FRAC_1_SQRT_2,
            1e-7,
            98765.4321,
            -0.5,
            3.0,
        ] {
            let s = format_ds(x);
            assert!(s.len() <= 16, "{s}");
            let back: f64 = s.parse().unwrap();
            assert!((back - x).abs() <= 1e-9 * x.abs().max(1.0), "{x} -> {s}");
        }
        assert_eq!(format_ds(3.0), "3");
    }
}
