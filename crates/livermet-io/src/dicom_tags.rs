//! Reading the few DICOM attributes the geometry, intensities and b-values need, from one file.
//! Nothing identifying (names, IDs, dates, UIDs) leaves this module except the SeriesInstanceUID,
//! which is only compared, never shown.

use std::path::{Path, PathBuf};

use dicom_core::{Tag, VR};
use dicom_object::{DefaultDicomObject, OpenFileOptions, file::ReadPreamble};
use dicom_pixeldata::{ConvertOptions, ModalityLutOption, PixelDecoder};

use crate::error::IoError;

pub(crate) const SERIES_INSTANCE_UID: Tag = Tag(0x0020, 0x000E);
const SOP_INSTANCE_UID: Tag = Tag(0x0008, 0x0018);
const IMAGE_POSITION: Tag = Tag(0x0020, 0x0032);
const IMAGE_ORIENTATION: Tag = Tag(0x0020, 0x0037);
const PIXEL_SPACING: Tag = Tag(0x0028, 0x0030);
const SLICE_THICKNESS: Tag = Tag(0x0018, 0x0050);
const SPACING_BETWEEN_SLICES: Tag = Tag(0x0018, 0x0088);
const RESCALE_INTERCEPT: Tag = Tag(0x0028, 0x1052);
const RESCALE_SLOPE: Tag = Tag(0x0028, 0x1053);
const NUMBER_OF_FRAMES: Tag = Tag(0x0028, 0x0008);
const INSTANCE_NUMBER: Tag = Tag(0x0020, 0x0013);
const ACQUISITION_NUMBER: Tag = Tag(0x0020, 0x0012);
const TEMPORAL_POSITION: Tag = Tag(0x0020, 0x0100);
const MEDIA_STORAGE_DIRECTORY: &str = "1.2.840.10008.1.3.10";

/// b-value tags in the order they are tried: the standard DiffusionBValue, then the vendor
/// private tags dcm2niix also reads (GE, Siemens, Philips).
const BVALUE_TAGS: [Tag; 4] = [
    Tag(0x0018, 0x9087), // DiffusionBValue (FD)
    Tag(0x0043, 0x1039), // GE: slop_int_6..9, first value is b (IS, may carry a 1e9 offset)
    Tag(0x0019, 0x100C), // Siemens B_value (IS)
    Tag(0x2001, 0x1003), // Philips Diffusion_B-Factor (FL)
];

/// One DICOM image file's header values we use, plus its parsed object (for pixel decoding).
pub(crate) struct SliceFile {
    pub path: PathBuf,
    pub obj: DefaultDicomObject,
    /// Only compared to group files into series; never printed.
    pub series: String,
    /// SOPInstanceUID: only compared to find a file copied twice; never printed.
    pub instance: String,
}

/// True when the file has the DICOM Part 10 preamble: "DICM" at byte 128.
pub(crate) fn has_dicm_magic(path: &Path) -> bool {
    use std::io::Read;
    let mut buf = [0u8; 132];
    match std::fs::File::open(path) {
        Ok(mut f) => f.read_exact(&mut buf).is_ok() && &buf[128..132] == b"DICM",
        Err(_) => false,
    }
}

/// Parse one file; `Ok(None)` for a DICOMDIR (not an image).
pub(crate) fn open_slice(path: &Path) -> Result<Option<SliceFile>, IoError> {
    let bytes = std::fs::read(path).map_err(|e| crate::error::read_error(path, e))?;
    if let Some(reason) = crate::dicom_lengths::bad_element_length(&bytes) {
        return Err(IoError::DicomFile {
            path: path.into(),
            reason,
        });
    }
    let obj = OpenFileOptions::new()
        .read_preamble(ReadPreamble::Always)
        .open_file(path)
        .map_err(|e| IoError::DicomFile {
            path: path.into(),
            reason: error_chain(&e),
        })?;
    if obj
        .meta()
        .media_storage_sop_class_uid()
        .trim_end_matches('\0')
        == MEDIA_STORAGE_DIRECTORY
    {
        return Ok(None);
    }
    let series = string(&obj, SERIES_INSTANCE_UID).unwrap_or_default();
    let instance = string(&obj, SOP_INSTANCE_UID).unwrap_or_default();
    Ok(Some(SliceFile {
        path: path.into(),
        obj,
        series,
        instance,
    }))
}

fn string(obj: &DefaultDicomObject, tag: Tag) -> Option<String> {
    let e = obj.element_opt(tag).ok().flatten()?;
    e.to_str().ok().map(|s| {
        s.trim_matches(|c: char| c == '\0' || c.is_whitespace())
            .to_string()
    })
}

/// All numbers of an attribute (DS, IS, FD, FL, US...), or `None` when absent or unparsable.
pub(crate) fn numbers(obj: &DefaultDicomObject, tag: Tag) -> Option<Vec<f64>> {
    let e = obj.element_opt(tag).ok().flatten()?;
    // Private tags of unknown VR (implicit-VR files, or written as UN) hold raw bytes, which
    // to_multi_float64 would read as one number per byte: parse them as text, then binary.
    if matches!(e.vr(), VR::UN | VR::OB) {
        return un_numbers(&e.to_bytes().ok()?);
    }
    e.to_multi_float64().ok().filter(|v| !v.is_empty())
}

fn un_numbers(bytes: &[u8]) -> Option<Vec<f64>> {
    let text = std::str::from_utf8(bytes)
        .ok()
        .map(|s| s.trim_matches(|c: char| c == '\0' || c.is_whitespace()));
    if let Some(t) = text.filter(|t| !t.is_empty()) {
        let parsed: Result<Vec<f64>, _> = t.split('\\').map(|p| p.trim().parse::<f64>()).collect();
        if let Ok(v) = parsed {
            return Some(v);
        }
    }
    match bytes.len() {
        4 => Some(vec![f32::from_le_bytes(bytes.try_into().ok()?) as f64]),
        8 => Some(vec![f64::from_le_bytes(bytes.try_into().ok()?)]),
        _ => None,
    }
}

fn first(obj: &DefaultDicomObject, tag: Tag) -> Option<f64> {
    numbers(obj, tag)
        .and_then(|v| v.first().copied())
        .filter(|v| v.is_finite())
}

fn required<const N: usize>(
    s: &SliceFile,
    tag: Tag,
    attribute: &'static str,
) -> Result<[f64; N], IoError> {
    numbers(&s.obj, tag)
        .filter(|v| v.len() >= N && v.iter().all(|x| x.is_finite()))
        .map(|v| std::array::from_fn(|i| v[i]))
        .ok_or_else(|| IoError::DicomMissing {
            path: s.path.clone(),
            attribute,
        })
}

/// Geometry of one slice.
#[derive(Debug, Clone, Copy)]
pub(crate) struct SliceGeometry {
    /// Direction of increasing column index, then of increasing row index (LPS).
    pub iop: [f64; 6],
    /// Centre of the first transmitted pixel (LPS mm).
    pub ipp: [f64; 3],
    /// Row spacing (between rows), column spacing (between columns), mm.
    pub pixel_spacing: [f64; 2],
    /// SpacingBetweenSlices, else SliceThickness (for one-slice series).
    pub slice_step: Option<f64>,
}

/// The slice's geometry, checked: positive spacings, and two unit, non-parallel directions
/// (PS3.3 C.7.6.2.1.1; a tolerance of 1e-2 allows the rounding of exported DS strings).
pub(crate) fn geometry(s: &SliceFile) -> Result<SliceGeometry, IoError> {
    let g = SliceGeometry {
        iop: required(s, IMAGE_ORIENTATION, "ImageOrientationPatient (0020,0037)")?,
        ipp: required(s, IMAGE_POSITION, "ImagePositionPatient (0020,0032)")?,
        pixel_spacing: required(s, PIXEL_SPACING, "PixelSpacing (0028,0030)")?,
        slice_step: first(&s.obj, SPACING_BETWEEN_SLICES)
            .filter(|v| *v > 0.0)
            .or_else(|| first(&s.obj, SLICE_THICKNESS).filter(|v| *v > 0.0)),
    };
    let bad = |reason: String| IoError::Geometry {
        path: s.path.clone(),
        reason,
    };
    let [dr, dc] = g.pixel_spacing;
    if !(dr > 0.0 && dc > 0.0) {
        return Err(bad(format!(
            "PixelSpacing (0028,0030) is {dr}\\{dc}: both spacings must be positive (mm)"
        )));
    }
    let (row, col) = (&g.iop[..3], &g.iop[3..]);
    let norm = |v: &[f64]| v.iter().map(|x| x * x).sum::<f64>().sqrt();
    let dot: f64 = row.iter().zip(col).map(|(a, b)| a * b).sum();
    if (norm(row) - 1.0).abs() > 1e-2 || (norm(col) - 1.0).abs() > 1e-2 || dot.abs() > 1e-2 {
        return Err(bad(format!(
            "ImageOrientationPatient (0020,0037) is {:?}: it must hold two perpendicular unit directions",
            g.iop
        )));
    }
    Ok(g)
}

/// The b-value of a slice from the first b-value tag present (GE's 1e9 offset removed).
pub(crate) fn bvalue(s: &SliceFile) -> Option<f64> {
    BVALUE_TAGS
        .iter()
        .find_map(|&t| first(&s.obj, t))
        .map(|b| if b >= 1e9 { b % 1e9 } else { b })
}

/// Keys that order the frames at one slice position after the b-value: temporal position,
/// acquisition number, instance number.
pub(crate) fn frame_order(s: &SliceFile) -> [i64; 3] {
    [TEMPORAL_POSITION, ACQUISITION_NUMBER, INSTANCE_NUMBER]
        .map(|t| first(&s.obj, t).unwrap_or(0.0) as i64)
}

/// An error and its sources on one line (decoder errors say what failed only in their sources).
pub(crate) fn error_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut src = e.source();
    while let Some(s) = src {
        let text = s.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        src = s.source();
    }
    out.replace('\n', " ")
}

/// Decode the slice's pixels (any transfer syntax dicom-pixeldata supports), apply
/// RescaleSlope/Intercept in f64, return `(rows, columns, values)` row by row.
pub(crate) fn pixels(s: &SliceFile) -> Result<(usize, usize, Vec<f32>), IoError> {
    let frames = first(&s.obj, NUMBER_OF_FRAMES).unwrap_or(1.0);
    if frames > 1.0 {
        return Err(IoError::DicomUnsupported {
            path: s.path.clone(),
            reason: format!("{frames} frames in one file"),
        });
    }
    let bad = |e: dicom_pixeldata::Error| IoError::DicomFile {
        path: s.path.clone(),
        reason: error_chain(&e),
    };
    let decoded = s.obj.decode_pixel_data().map_err(bad)?;
    if decoded.samples_per_pixel() != 1 {
        return Err(IoError::DicomUnsupported {
            path: s.path.clone(),
            reason: "colour pixels".into(),
        });
    }
    let raw: Vec<f64> = decoded
        .to_vec_with_options(&ConvertOptions::new().with_modality_lut(ModalityLutOption::None))
        .map_err(bad)?;
    let (rows, cols) = (decoded.rows() as usize, decoded.columns() as usize);
    if raw.len() != rows * cols {
        return Err(IoError::DicomFile {
            path: s.path.clone(),
            reason: format!("{} pixels decoded for a {rows}x{cols} image", raw.len()),
        });
    }
    let slope = first(&s.obj, RESCALE_SLOPE).unwrap_or(1.0);
    let inter = first(&s.obj, RESCALE_INTERCEPT).unwrap_or(0.0);
    Ok((
        rows,
        cols,
        raw.into_iter()
            .map(|v| (v * slope + inter) as f32)
            .collect(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> (SliceFile, serde_json::Value) {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/io");
        let text = std::fs::read_to_string(root.join("expected.json")).unwrap();
        let e: serde_json::Value = serde_json::from_str(&text).unwrap();
        let s = open_slice(&root.join(format!("dicom/{name}/{name}.dcm")))
            .unwrap()
            .unwrap();
        (s, e["dicom_pixels"][name].clone())
    }

    /// The JPEG decoders against pydicom (+ pylibjpeg) on pydicom's colour JPEG files (the only
    /// 8-bit JPEGs it bundles): decoded samples, interleaved, within `tol`.
    fn jpeg_matches_pydicom(name: &str, tol: f64) {
        let (s, want) = fixture(name);
        let decoded = s.obj.decode_pixel_data().unwrap();
        let cols = decoded.columns() as usize;
        let samples = decoded.samples_per_pixel() as usize;
        assert_eq!(samples as u64, want["samples"].as_u64().unwrap());
        let px: Vec<f64> = decoded
            .to_vec_with_options(&ConvertOptions::new().with_modality_lut(ModalityLutOption::None))
            .unwrap();
        for p in want["pixels"].as_array().unwrap() {
            let (r, c, k) = (
                p["row"].as_u64().unwrap(),
                p["col"].as_u64().unwrap(),
                p["sample"].as_u64().unwrap(),
            );
            let got = px[(r as usize * cols + c as usize) * samples + k as usize];
            let w = p["value"].as_f64().unwrap();
            assert!(
                (got - w).abs() <= tol,
                "{name}: row {r} col {c} sample {k}: {got} vs {w}"
            );
        }
        let mean = px.iter().sum::<f64>() / px.len() as f64;
        assert!(
            (mean - want["mean"].as_f64().unwrap()).abs() <= tol.max(1e-9),
            "{name}: mean {mean}"
        );
        // Our volume reader refuses colour images with a clear error.
        assert!(matches!(pixels(&s), Err(IoError::DicomUnsupported { .. })));
    }

    #[test]
    fn jpeg_lossless_matches_pydicom_exactly() {
        jpeg_matches_pydicom("SC_rgb_jpeg_gdcm", 0.0);
    }

    /// Baseline JPEG is lossy: IDCT and colour conversion round differently between decoders.
    #[test]
    fn jpeg_baseline_matches_pydicom_within_rounding() {
        jpeg_matches_pydicom("SC_rgb_jpeg_dcmtk", 2.0);
    }

    /// 12-bit JPEG (extended, process 2/4) is not supported by the pure-Rust decoder: a clear
    /// error naming the file, not a panic.
    #[test]
    fn twelve_bit_jpeg_is_refused_clearly() {
        let (s, _) = fixture("JPGExtended");
        let err = pixels(&s).unwrap_err();
        assert!(matches!(err, IoError::DicomFile { .. }), "{err}");
        assert!(
            err.to_string().contains("JPGExtended.dcm") && err.to_string().contains("12"),
            "{err}"
        );
    }
}
