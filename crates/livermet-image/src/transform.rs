//! Rigid (6-parameter) transforms in world RAS millimetres and their JSON file.
//!
//! Convention (ITK's): a registration transform maps points of the FIXED image's world space to
//! the MOVING image's world space, `x_moving = T(x_fixed)`. That is the direction resampling
//! needs: for every fixed (target) voxel, where to read the moving image.
//!
//! Parameterisation follows ITK's `Euler3DTransform` (default, `ComputeZYX` off):
//! `params = [angle_x, angle_y, angle_z, t_x, t_y, t_z]` (radians, mm) and
//! `T(x) = R (x - c) + c + t` with `R = Rz * Rx * Ry` about a fixed centre `c` (the fixed image's
//! centre). Angles are about the RAS world axes.

use std::path::Path;

use livermet_io::{Affine, IDENTITY, apply_affine, invert_affine, mat4_mul};
use serde::{Deserialize, Serialize};

use crate::ImageError;

/// A rigid transform: three Euler angles and a translation about a fixed centre.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct RigidTransform {
    /// `[angle_x, angle_y, angle_z, t_x, t_y, t_z]` in radians and mm (ITK's order).
    pub params: [f64; 6],
    /// Centre of rotation, world RAS mm (ITK's "fixed parameters").
    pub centre: [f64; 3],
}

/// 3x3 rotation about x.
fn rot_x(a: f64) -> [[f64; 3]; 3] {
    let (s, c) = a.sin_cos();
    [[1.0, 0.0, 0.0], [0.0, c, -s], [0.0, s, c]]
}

/// 3x3 rotation about y.
fn rot_y(a: f64) -> [[f64; 3]; 3] {
    let (s, c) = a.sin_cos();
    [[c, 0.0, s], [0.0, 1.0, 0.0], [-s, 0.0, c]]
}

/// 3x3 rotation about z.
fn rot_z(a: f64) -> [[f64; 3]; 3] {
    let (s, c) = a.sin_cos();
    [[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]]
}

/// Derivative of a rotation about x with respect to its angle.
fn drot_x(a: f64) -> [[f64; 3]; 3] {
    let (s, c) = a.sin_cos();
    [[0.0, 0.0, 0.0], [0.0, -s, -c], [0.0, c, -s]]
}

/// Derivative of a rotation about y with respect to its angle.
fn drot_y(a: f64) -> [[f64; 3]; 3] {
    let (s, c) = a.sin_cos();
    [[-s, 0.0, c], [0.0, 0.0, 0.0], [-c, 0.0, -s]]
}

/// Derivative of a rotation about z with respect to its angle.
fn drot_z(a: f64) -> [[f64; 3]; 3] {
    let (s, c) = a.sin_cos();
    [[-s, -c, 0.0], [c, -s, 0.0], [0.0, 0.0, 0.0]]
}

/// 3x3 product `a * b`.
pub(crate) fn mat3_mul(a: &[[f64; 3]; 3], b: &[[f64; 3]; 3]) -> [[f64; 3]; 3] {
    let mut out = [[0.0; 3]; 3];
    for r in 0..3 {
        for c in 0..3 {
            out[r][c] = (0..3).map(|k| a[r][k] * b[k][c]).sum();
        }
    }
    out
}

impl RigidTransform {
    /// The identity about `centre`.
    pub fn identity(centre: [f64; 3]) -> Self {
        Self {
            params: [0.0; 6],
            centre,
        }
    }

    /// The rotation `R = Rz * Rx * Ry` (ITK Euler3D, ZXY order).
    pub fn rotation(&self) -> [[f64; 3]; 3] {
        let [ax, ay, az, ..] = self.params;
        mat3_mul(&mat3_mul(&rot_z(az), &rot_x(ax)), &rot_y(ay))
    }

    /// `dR/d(angle_x)`, `dR/d(angle_y)`, `dR/d(angle_z)`: the rotation part of the Jacobian
    /// `dT/dparams = [dR_k (x - c) | I]` that the metric's analytic gradient needs.
    pub fn rotation_derivatives(&self) -> [[[f64; 3]; 3]; 3] {
        let [ax, ay, az, ..] = self.params;
        let (rx, ry, rz) = (rot_x(ax), rot_y(ay), rot_z(az));
        [
            mat3_mul(&mat3_mul(&rz, &drot_x(ax)), &ry),
            mat3_mul(&mat3_mul(&rz, &rx), &drot_y(ay)),
            mat3_mul(&mat3_mul(&drot_z(az), &rx), &ry),
        ]
    }

    /// The 4x4 world RAS mm matrix mapping fixed points to moving points:
    /// `[R | c + t - R c]`.
    pub fn to_matrix(&self) -> Affine {
        let r = self.rotation();
        let c = self.centre;
        let mut m = IDENTITY;
        for i in 0..3 {
            m[i][..3].copy_from_slice(&r[i]);
            m[i][3] = c[i] + self.params[3 + i] - (0..3).map(|k| r[i][k] * c[k]).sum::<f64>();
        }
        m
    }

    /// Map one fixed-space point to moving space.
    pub fn apply(&self, p: [f64; 3]) -> [f64; 3] {
        apply_affine(&self.to_matrix(), p)
    }

    /// The Euler parameters of a rigid matrix about `centre` (inverse of [`Self::to_matrix`]).
    /// The matrix must be a proper rotation plus translation; angles are recovered as ITK's
    /// `Euler3DTransform::SetMatrix` does for the ZXY order.
    pub fn from_matrix(m: &Affine, centre: [f64; 3]) -> Self {
        // R = Rz Rx Ry: R[2][1] = sin(ax); R[0][1] = -sin(az) cos(ax); R[1][1] = cos(az) cos(ax);
        // R[2][0] = -sin(ay) cos(ax); R[2][2] = cos(ay) cos(ax).
        let ax = m[2][1].clamp(-1.0, 1.0).asin();
        let (ay, az) = if ax.cos().abs() > 1e-9 {
            ((-m[2][0]).atan2(m[2][2]), (-m[0][1]).atan2(m[1][1]))
        } else {
            // Gimbal lock: fold angle_y into angle_z.
            (0.0, m[1][0].atan2(m[0][0]))
        };
        let mut t = Self {
            params: [ax, ay, az, 0.0, 0.0, 0.0],
            centre,
        };
        let r = t.rotation();
        for i in 0..3 {
            let rc: f64 = (0..3).map(|k| r[i][k] * centre[k]).sum();
            t.params[3 + i] = m[i][3] - centre[i] + rc;
        }
        t
    }
}

/// `a` then `b`: the matrix of `x -> b(a(x))`.
pub fn compose(a: &Affine, b: &Affine) -> Affine {
    mat4_mul(b, a)
}

/// The inverse transform (moving -> fixed).
pub fn inverse(a: &Affine) -> Affine {
    invert_affine(a)
}

/// The transform file's shape: `{"matrix": [[4 numbers] x 4]}`, row-major.
#[derive(Debug, Serialize, Deserialize)]
struct TransformFile {
    matrix: Vec<Vec<f64>>,
}

/// Read a transform JSON file `{"matrix": [[...4 rows...]]}` (fixed -> moving, world RAS mm).
pub fn read_transform_json(path: &Path) -> Result<Affine, ImageError> {
    let err = |reason: String| ImageError::TransformFile {
        path: path.to_path_buf(),
        reason,
    };
    let text = std::fs::read_to_string(path).map_err(|e| err(format!("cannot read it ({e})")))?;
    let file: TransformFile = serde_json::from_str(&text).map_err(|e| {
        err(format!(
            "not a {{\"matrix\": [[...4 rows...]]}} JSON file ({e})"
        ))
    })?;
    if file.matrix.len() != 4 || file.matrix.iter().any(|r| r.len() != 4) {
        return Err(err("\"matrix\" must be 4 rows of 4 numbers".into()));
    }
    let mut m = IDENTITY;
    for (r, row) in file.matrix.iter().enumerate() {
        m[r].copy_from_slice(row);
    }
    let last_ok = (0..4).all(|c| (m[3][c] - if c == 3 { 1.0 } else { 0.0 }).abs() < 1e-9);
    if !last_ok || m.iter().flatten().any(|v| !v.is_finite()) {
        return Err(err("the matrix must be finite with last row 0 0 0 1".into()));
    }
    Ok(m)
}

/// Write a transform JSON file atomically (`livermet_io::atomic`).
pub fn write_transform_json(path: &Path, matrix: &Affine) -> Result<(), ImageError> {
    let err = |reason: String| ImageError::TransformFile {
        path: path.to_path_buf(),
        reason,
    };
    let file = TransformFile {
        matrix: matrix.iter().map(|r| r.to_vec()).collect(),
    };
    let text = serde_json::to_string_pretty(&file).map_err(|e| err(e.to_string()))? + "\n";
    livermet_io::write_bytes_atomic(path, text.as_bytes())
        .map_err(|e| err(format!("cannot write it ({e})")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matrix_round_trips_through_euler_parameters() {
        let t = RigidTransform {
            params: [0.05, -0.08, 0.12, 3.0, -2.0, 1.5],
            centre: [10.0, -20.0, 5.0],
        };
        let back = RigidTransform::from_matrix(&t.to_matrix(), t.centre);
        for k in 0..6 {
            assert!((back.params[k] - t.params[k]).abs() < 1e-12, "{back:?}");
        }
        // The centre is a fixed point of the rotation: it moves by exactly t.
        let moved = t.apply(t.centre);
        for d in 0..3 {
            assert!((moved[d] - t.centre[d] - t.params[3 + d]).abs() < 1e-12);
        }
    }

    #[test]
    fn rotation_derivatives_match_finite_differences() {
        let t = RigidTransform {
            params: [0.3, -0.2, 0.7, 0.0, 0.0, 0.0],
            centre: [0.0; 3],
        };
        let d = t.rotation_derivatives();
        let h = 1e-6;
        for k in 0..3 {
            let (mut a, mut b) = (t, t);
            a.params[k] += h;
            b.params[k] -= h;
            let (ra, rb) = (a.rotation(), b.rotation());
            for r in 0..3 {
                for c in 0..3 {
                    let fd = (ra[r][c] - rb[r][c]) / (2.0 * h);
                    assert!((fd - d[k][r][c]).abs() < 1e-8);
                }
            }
        }
    }

    #[test]
    fn json_file_round_trips_and_rejects_bad_shapes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.json");
        let m = RigidTransform {
            params: [0.1, 0.0, -0.1, 1.0, 2.0, 3.0],
            centre: [1.0; 3],
        }
        .to_matrix();
        write_transform_json(&path, &m).unwrap();
        // serde_json parses decimals to within an ulp (no float_roundtrip feature).
        let back = read_transform_json(&path).unwrap();
        for r in 0..4 {
            for c in 0..4 {
                assert!((back[r][c] - m[r][c]).abs() < 1e-12);
            }
        }
        std::fs::write(&path, r#"{"matrix": [[1,0,0],[0,1,0],[0,0,1]]}"#).unwrap();
        let e = read_transform_json(&path).unwrap_err().to_string();
        assert!(e.contains("4 rows of 4"), "{e}");
        let comp = compose(&m, &inverse(&m));
        for r in 0..4 {
            for c in 0..4 {
                assert!((comp[r][c] - IDENTITY[r][c]).abs() < 1e-12);
            }
        }
    }
}
