//! The NIfTI header fields this crate uses, from NIfTI-1 (parsed by the `nifti` crate) or
//! NIfTI-2 (parsed here: the `nifti` crate reads NIfTI-1 only), and the voxel->world affine chosen
//! from them exactly as nibabel's `Nifti1Header.get_best_affine` does.

use std::path::Path;

use crate::error::IoError;
use crate::volume::Affine;

/// Header fields, widened to the NIfTI-2 types so both versions share one code path.
#[derive(Debug, Clone)]
pub(crate) struct NiftiFields {
    /// 1 or 2.
    pub version: u8,
    /// `dim[1..=dim[0]]`.
    pub dim: Vec<usize>,
    pub pixdim: [f64; 8],
    pub datatype: i16,
    pub vox_offset: u64,
    pub scl_slope: f64,
    pub scl_inter: f64,
    pub qform_code: i32,
    pub sform_code: i32,
    /// quatern_b, c, d, qoffset_x, y, z.
    pub quatern: [f64; 6],
    pub srow: [[f64; 4]; 3],
    pub big_endian: bool,
}

impl NiftiFields {
    /// From a NIfTI-1 header parsed by the `nifti` crate.
    pub fn from_nifti1(h: &nifti::NiftiHeader) -> Self {
        let ndim = (h.dim[0] as usize).min(7);
        let f = |a: [f32; 4]| a.map(f64::from);
        NiftiFields {
            version: 1,
            dim: h.dim[1..=ndim].iter().map(|&d| d as usize).collect(),
            pixdim: h.pixdim.map(f64::from),
            datatype: h.datatype,
            vox_offset: h.vox_offset.max(0.0) as u64,
            scl_slope: h.scl_slope as f64,
            scl_inter: h.scl_inter as f64,
            qform_code: h.qform_code as i32,
            sform_code: h.sform_code as i32,
            quatern: [
                h.quatern_b,
                h.quatern_c,
                h.quatern_d,
                h.quatern_x,
                h.quatern_y,
                h.quatern_z,
            ]
            .map(f64::from),
            srow: [f(h.srow_x), f(h.srow_y), f(h.srow_z)],
            big_endian: h.endianness == nifti::Endianness::Big,
        }
    }

    /// Parse a NIfTI-2 header (540 bytes; layout from nifti2.h of the NIfTI-2 standard).
    pub fn parse_nifti2(path: &Path, b: &[u8], big_endian: bool) -> Result<Self, IoError> {
        if b.len() < 540 {
            return Err(header_error(
                path,
                "file shorter than the 540-byte NIfTI-2 header",
            ));
        }
        if &b[4..8] != b"n+2\0" {
            let reason = if &b[4..8] == b"ni2\0" {
                "a .hdr/.img pair; only single-file .nii is read"
            } else {
                "bad magic string"
            };
            return Err(IoError::NiftiUnsupported {
                path: path.into(),
                reason: reason.into(),
            });
        }
        let arr = |o: usize| -> [u8; 8] { b[o..o + 8].try_into().expect("8 bytes") };
        let i64_at = |o: usize| {
            if big_endian {
                i64::from_be_bytes(arr(o))
            } else {
                i64::from_le_bytes(arr(o))
            }
        };
        let f64_at = |o: usize| {
            if big_endian {
                f64::from_be_bytes(arr(o))
            } else {
                f64::from_le_bytes(arr(o))
            }
        };
        let i32_at = |o: usize| {
            let a: [u8; 4] = b[o..o + 4].try_into().expect("4 bytes");
            if big_endian {
                i32::from_be_bytes(a)
            } else {
                i32::from_le_bytes(a)
            }
        };
        let i16_at = |o: usize| {
            let a: [u8; 2] = b[o..o + 2].try_into().expect("2 bytes");
            if big_endian {
                i16::from_be_bytes(a)
            } else {
                i16::from_le_bytes(a)
            }
        };
        let ndim = i64_at(16);
        if !(1..=7).contains(&ndim) {
            return Err(header_error(path, &format!("dim[0] is {ndim}, not 1 to 7")));
        }
        let mut dim = Vec::with_capacity(ndim as usize);
        for d in 1..=ndim as usize {
            let v = i64_at(16 + 8 * d);
            if v < 1 {
                return Err(header_error(path, &format!("dim[{d}] is {v}")));
            }
            dim.push(v as usize);
        }
        let vox_offset = i64_at(168);
        if vox_offset < 0 {
            return Err(header_error(path, &format!("vox_offset is {vox_offset}")));
        }
        Ok(NiftiFields {
            version: 2,
            dim,
            pixdim: std::array::from_fn(|i| f64_at(104 + 8 * i)),
            datatype: i16_at(12),
            vox_offset: vox_offset as u64,
            scl_slope: f64_at(176),
            scl_inter: f64_at(184),
            qform_code: i32_at(344),
            sform_code: i32_at(348),
            quatern: std::array::from_fn(|i| f64_at(352 + 8 * i)),
            srow: std::array::from_fn(|r| std::array::from_fn(|c| f64_at(400 + 32 * r + 8 * c))),
            big_endian,
        })
    }

    /// The voxel->world affine nibabel reports (`get_best_affine`): the sform when
    /// `sform_code != 0`, else the qform when `qform_code != 0`, else the Analyze base affine;
    /// with a warning when the header needed nibabel's fix, or the reason it cannot be used.
    ///
    /// The qform and base affine take voxel sizes from pixdim[1..=3]. nibabel's loader
    /// (`AnalyzeHeader._chk_pixdims`, fix=True) replaces a negative pixdim by its absolute value
    /// (the handedness is qfac's, pixdim[0]): done here too, with a warning, since reading the
    /// sign would mirror that axis. A zero pixdim nibabel replaces by 1 mm: refused here, as a
    /// guessed voxel size would silently scale every distance. NaN or infinite pixdims, a
    /// quaternion of norm above 1 (nibabel's `fillpositive` raises) and a singular or non-finite
    /// sform are refused (fixtures/io/bad, made and checked against nibabel by
    /// fixtures/io/make_bad_geometry.py).
    pub fn geometry(&self) -> Result<(Affine, Option<String>), String> {
        if self.sform_code != 0 {
            let s = &self.srow;
            let a = [s[0], s[1], s[2], [0.0, 0.0, 0.0, 1.0]];
            return check_affine(&a, "sform (srow_x/y/z)").map(|a| (a, None));
        }
        let (zooms, warning) = self.voxel_sizes()?;
        let (a, what) = if self.qform_code != 0 {
            (self.qform_affine(zooms)?, "qform")
        } else {
            (self.base_affine(zooms), "pixdim")
        };
        check_affine(&a, what).map(|a| (a, warning))
    }

    /// pixdim[1..=3], checked; negative values made positive as nibabel does, with a warning.
    fn voxel_sizes(&self) -> Result<([f64; 3], Option<String>), String> {
        let mut zooms = [self.pixdim[1], self.pixdim[2], self.pixdim[3]];
        let mut negative = Vec::new();
        for (d, z) in zooms.iter_mut().enumerate() {
            // A dimension the image lacks (a 2D file) has no voxel size to check: nibabel's fix
            // makes it 1 mm when zero, and so does this.
            if d >= self.dim.len() {
                *z = if z.is_finite() && *z != 0.0 {
                    z.abs()
                } else {
                    1.0
                };
                continue;
            }
            if !z.is_finite() {
                return Err(format!(
                    "pixdim[{}] is {z}: a voxel size must be a number",
                    d + 1
                ));
            }
            if *z == 0.0 {
                return Err(format!(
                    "pixdim[{}] is 0: a voxel size must be positive (nibabel would guess 1 mm)",
                    d + 1
                ));
            }
            if *z < 0.0 {
                negative.push(format!("pixdim[{}] = {z}", d + 1));
                *z = z.abs();
            }
        }
        let warning = (!negative.is_empty()).then(|| {
            format!(
                "{} negative: read as its absolute value, as nibabel does (the axis is not flipped; qfac in pixdim[0] gives the handedness)",
                negative.join(", ")
            )
        });
        Ok((zooms, warning))
    }

    /// nibabel `get_qform`: rotation from the quaternion (b, c, d; a = sqrt(1-b²-c²-d²), 0 when
    /// that is slightly negative, an error beyond float32 rounding as in nibabel's
    /// `fillpositive`), times diag(zooms[0], zooms[1], qfac*zooms[2]), qfac = pixdim[0] (-1,
    /// else 1 as nibabel's check_fix sets it), plus the qoffsets.
    fn qform_affine(&self, zooms: [f64; 3]) -> Result<Affine, String> {
        let [b, c, d, x, y, z] = self.quatern;
        let w2 = 1.0 - (b * b + c * c + d * d);
        // A NaN quaternion is refused here too (its affine would be NaN).
        if w2.is_nan() || w2 < -3.0 * f64::from(f32::EPSILON) {
            return Err(format!(
                "the qform quaternion (quatern_b, c, d) = ({b}, {c}, {d}) has a norm above 1"
            ));
        }
        let a = w2.max(0.0).sqrt();
        // quat2mat (Hamilton convention, nibabel.quaternions.quat2mat).
        let n = a * a + b * b + c * c + d * d;
        let s = if n > 0.0 { 2.0 / n } else { 0.0 };
        let (bx, by, bz) = (b * s, c * s, d * s);
        let (wx, wy, wz) = (a * bx, a * by, a * bz);
        let (xx, xy, xz) = (b * bx, b * by, b * bz);
        let (yy, yz, zz) = (c * by, c * bz, d * bz);
        let r = [
            [1.0 - (yy + zz), xy - wz, xz + wy],
            [xy + wz, 1.0 - (xx + zz), yz - wx],
            [xz - wy, yz + wx, 1.0 - (xx + yy)],
        ];
        let qfac = if self.pixdim[0] == -1.0 { -1.0 } else { 1.0 };
        let vox = [zooms[0], zooms[1], zooms[2] * qfac];
        let mut out = [[0.0; 4]; 4];
        for row in 0..3 {
            for col in 0..3 {
                out[row][col] = r[row][col] * vox[col];
            }
        }
        out[0][3] = x;
        out[1][3] = y;
        out[2][3] = z;
        out[3][3] = 1.0;
        Ok(out)
    }

    /// nibabel `get_base_affine` (Analyze): diag(-dx, dy, dz) centred on the middle voxel.
    fn base_affine(&self, zooms: [f64; 3]) -> Affine {
        let size = |d: usize| self.dim.get(d).copied().unwrap_or(1) as f64;
        // Dimensions the image lacks get 1 mm (nibabel's get_zooms has no entry for them).
        let zoom = |d: usize| if self.dim.len() > d { zooms[d] } else { 1.0 };
        let z = [-zoom(0), zoom(1), zoom(2)];
        let mut out = [[0.0; 4]; 4];
        for d in 0..3 {
            out[d][d] = z[d];
            out[d][3] = -(size(d) - 1.0) / 2.0 * z[d];
        }
        out[3][3] = 1.0;
        out
    }

    /// nibabel `get_slope_inter`: no scaling when the slope is 0 or not finite.
    pub fn scaling(&self, path: &Path) -> Result<Option<(f64, f64)>, IoError> {
        if self.scl_slope == 0.0 || !self.scl_slope.is_finite() {
            return Ok(None);
        }
        if !self.scl_inter.is_finite() {
            return Err(header_error(
                path,
                "valid scl_slope but non-finite scl_inter",
            ));
        }
        Ok(Some((self.scl_slope, self.scl_inter)))
    }
}

/// The affine if it is finite and invertible; else why not, naming where it came from.
fn check_affine(a: &Affine, what: &str) -> Result<Affine, String> {
    if !a.iter().flatten().all(|v| v.is_finite()) {
        return Err(format!("the {what} affine holds NaN or infinite values"));
    }
    for (c, axis) in ["i", "j", "k"].iter().enumerate() {
        if (0..3).all(|r| a[r][c] == 0.0) {
            return Err(format!(
                "the {what} affine gives voxel axis {axis} zero length"
            ));
        }
    }
    // Relative to the voxel sizes, so sub-millimetre voxels are not called singular.
    let scale: f64 = (0..3)
        .map(|c| (0..3).map(|r| a[r][c] * a[r][c]).sum::<f64>().sqrt())
        .product();
    if crate::nifti_read::det3(a).abs() <= 1e-9 * scale {
        return Err(format!(
            "the {what} affine is singular (two voxel axes point the same way)"
        ));
    }
    Ok(*a)
}

/// A `NiftiHeader` error.
pub(crate) fn header_error(path: &Path, reason: &str) -> IoError {
    IoError::NiftiHeader {
        path: path.into(),
        reason: reason.into(),
    }
}

/// Bytes per voxel of a NIfTI datatype code, or an error for types this crate does not read.
pub(crate) fn datatype_size(path: &Path, datatype: i16) -> Result<usize, IoError> {
    Ok(match datatype {
        2 | 256 => 1,
        4 | 512 => 2,
        8 | 16 | 768 => 4,
        64 | 1024 | 1280 => 8,
        32 | 1792 | 2048 => {
            return Err(IoError::NiftiUnsupported {
                path: path.into(),
                reason: "complex voxels".into(),
            });
        }
        128 | 2304 => {
            return Err(IoError::NiftiUnsupported {
                path: path.into(),
                reason: "RGB voxels".into(),
            });
        }
        other => {
            return Err(header_error(
                path,
                &format!("unknown datatype code {other}"),
            ));
        }
    })
}

/// Voxel bytes -> f32, applying `value * slope + inter` in f64 (as nibabel's get_fdata does
/// before our narrowing to f32).
pub(crate) fn decode_voxels(
    raw: &[u8],
    datatype: i16,
    big_endian: bool,
    scaling: Option<(f64, f64)>,
) -> Vec<f32> {
    let scale = |v: f64| match scaling {
        Some((s, i)) => (v * s + i) as f32,
        None => v as f32,
    };
    macro_rules! conv {
        ($t:ty, $n:expr) => {
            raw.chunks_exact($n)
                .map(|c| {
                    let a: [u8; $n] = c.try_into().expect("chunk");
                    let v = if big_endian {
                        <$t>::from_be_bytes(a)
                    } else {
                        <$t>::from_le_bytes(a)
                    };
                    scale(v as f64)
                })
                .collect()
        };
    }
    match datatype {
        2 => raw.iter().map(|&v| scale(v as f64)).collect(),
        256 => raw.iter().map(|&v| scale(v as i8 as f64)).collect(),
        4 => conv!(i16, 2),
        512 => conv!(u16, 2),
        8 => conv!(i32, 4),
        768 => conv!(u32, 4),
        16 => conv!(f32, 4),
        64 => conv!(f64, 8),
        1024 => conv!(i64, 8),
        1280 => conv!(u64, 8),
        _ => unreachable!("datatype_size rejects other codes first"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(sform_code: i32, qform_code: i32) -> NiftiFields {
        NiftiFields {
            version: 1,
            dim: vec![4, 5, 7],
            pixdim: [1.0, 2.0, 3.0, 4.0, 1.0, 1.0, 1.0, 1.0],
            datatype: 16,
            vox_offset: 352,
            scl_slope: 0.0,
            scl_inter: 0.0,
            qform_code,
            sform_code,
            quatern: [0.0, 0.0, 1.0, 10.0, 20.0, 30.0],
            srow: [
                [1.0, 0.0, 0.0, 1.0],
                [0.0, 1.0, 0.0, 2.0],
                [0.0, 0.0, 1.0, 3.0],
            ],
            big_endian: false,
        }
    }

    /// nibabel: sform first, then qform, then the Analyze base affine
    /// (`shape_zoom_affine(shape, zooms, x_flip=True)`).
    #[test]
    fn affine_choice_follows_nibabel() {
        let best = |f: NiftiFields| f.geometry().unwrap().0;
        assert_eq!(best(fields(1, 1))[0], [1.0, 0.0, 0.0, 1.0]);
        // Quaternion (0, 0, 1): 180 degrees about z, so x and y flip.
        let q = best(fields(0, 1));
        assert_eq!(
            [q[0][0], q[1][1], q[2][2], q[0][3]],
            [-2.0, -3.0, 4.0, 10.0]
        );
        let base = best(fields(0, 0));
        let expect = [
            [-2.0, 0.0, 0.0, 3.0],
            [0.0, 3.0, 0.0, -6.0],
            [0.0, 0.0, 4.0, -12.0],
            [0.0, 0.0, 0.0, 1.0],
        ];
        assert_eq!(base, expect);
    }

    #[test]
    fn zero_or_non_finite_slope_means_no_scaling() {
        let p = Path::new("x.nii");
        let mut f = fields(1, 1);
        assert_eq!(f.scaling(p).unwrap(), None);
        f.scl_slope = f64::NAN;
        assert_eq!(f.scaling(p).unwrap(), None);
        f.scl_slope = 2.0;
        f.scl_inter = -1.0;
        assert_eq!(f.scaling(p).unwrap(), Some((2.0, -1.0)));
        assert_eq!(
            decode_voxels(&[3, 0], 4, false, f.scaling(p).unwrap()),
            vec![5.0]
        );
        assert_eq!(decode_voxels(&[0, 3], 4, true, None), vec![3.0]);
    }
}
