//! Small 3x3 helpers for affines: the polar (closest rotation) factor, used for the NIfTI qform
//! and for nibabel's orientation codes.

/// A 3x3 matrix, row-major.
pub(crate) type Mat3 = [[f64; 3]; 3];

/// The upper-left 3x3 block of an affine.
pub(crate) fn rzs(a: &crate::volume::Affine) -> Mat3 {
    std::array::from_fn(|r| std::array::from_fn(|c| a[r][c]))
}

/// Euclidean norm of column `c`.
pub(crate) fn col_norm(m: &Mat3, c: usize) -> f64 {
    (m[0][c] * m[0][c] + m[1][c] * m[1][c] + m[2][c] * m[2][c]).sqrt()
}

/// Determinant.
pub(crate) fn det(m: &Mat3) -> f64 {
    m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1])
        - m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0])
        + m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0])
}

/// Inverse-transpose (cofactor matrix / det); `None` when singular.
fn inv_transpose(m: &Mat3) -> Option<Mat3> {
    let d = det(m);
    if d.abs() < 1e-300 || !d.is_finite() {
        return None;
    }
    let c =
        |r0: usize, r1: usize, c0: usize, c1: usize| m[r0][c0] * m[r1][c1] - m[r0][c1] * m[r1][c0];
    // cofactor(r, c) / det is (M^-1)^T (r, c).
    Some([
        [c(1, 2, 1, 2) / d, -c(1, 2, 0, 2) / d, c(1, 2, 0, 1) / d],
        [-c(0, 2, 1, 2) / d, c(0, 2, 0, 2) / d, -c(0, 2, 0, 1) / d],
        [c(0, 1, 1, 2) / d, -c(0, 1, 0, 2) / d, c(0, 1, 0, 1) / d],
    ])
}

/// The orthogonal polar factor `U` of `M = U P` (the rotation, possibly improper, closest to M),
/// by Newton's iteration `X <- (X + X^-T) / 2` (Higham 1986), as `nifti_mat33_polar` of
/// nifti1_io.c and the SVD `P Q` of nibabel's `io_orientation` compute it. `None` when singular.
pub(crate) fn polar(m: &Mat3) -> Option<Mat3> {
    let mut x = *m;
    for _ in 0..100 {
        let it = inv_transpose(&x)?;
        let mut next = [[0.0; 3]; 3];
        let mut change: f64 = 0.0;
        for r in 0..3 {
            for c in 0..3 {
                next[r][c] = 0.5 * (x[r][c] + it[r][c]);
                change = change.max((next[r][c] - x[r][c]).abs());
            }
        }
        x = next;
        if change < 1e-15 {
            break;
        }
    }
    Some(x)
}

/// The NIfTI qform of an affine (nifti1_io.c `nifti_mat44_to_quatern`): quaternion (b, c, d),
/// voxel sizes and qfac. The rotation is the polar factor of the column-normalised 3x3 part,
/// so shear is dropped (the sform keeps it).
pub(crate) fn affine_to_quatern(a: &crate::volume::Affine) -> ([f64; 3], [f64; 3], f64) {
    let mut m = rzs(a);
    let mut zooms = [0.0; 3];
    for c in 0..3 {
        let n = col_norm(&m, c);
        zooms[c] = if n > 0.0 { n } else { 1.0 };
        for r in 0..3 {
            m[r][c] = if n > 0.0 {
                m[r][c] / n
            } else if r == c {
                1.0
            } else {
                0.0
            };
        }
    }
    let mut p = polar(&m).unwrap_or([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]);
    let qfac = if det(&p) > 0.0 {
        1.0
    } else {
        for row in p.iter_mut() {
            row[2] = -row[2];
        }
        -1.0
    };
    let (r11, r12, r13) = (p[0][0], p[0][1], p[0][2]);
    let (r21, r22, r23) = (p[1][0], p[1][1], p[1][2]);
    let (r31, r32, r33) = (p[2][0], p[2][1], p[2][2]);
    let mut a_ = r11 + r22 + r33 + 1.0;
    let (b, c, d);
    if a_ > 0.5 {
        a_ = 0.5 * a_.sqrt();
        b = 0.25 * (r32 - r23) / a_;
        c = 0.25 * (r13 - r31) / a_;
        d = 0.25 * (r21 - r12) / a_;
    } else {
        let xd = 1.0 + r11 - (r22 + r33);
        let yd = 1.0 + r22 - (r11 + r33);
        let zd = 1.0 + r33 - (r11 + r22);
        let (mut bb, mut cc, mut dd);
        if xd > 1.0 {
            bb = 0.5 * xd.sqrt();
            cc = 0.25 * (r12 + r21) / bb;
            dd = 0.25 * (r13 + r31) / bb;
            a_ = 0.25 * (r32 - r23) / bb;
        } else if yd > 1.0 {
            cc = 0.5 * yd.sqrt();
            bb = 0.25 * (r12 + r21) / cc;
            dd = 0.25 * (r23 + r32) / cc;
            a_ = 0.25 * (r13 - r31) / cc;
        } else {
            dd = 0.5 * zd.sqrt();
            bb = 0.25 * (r13 + r31) / dd;
            cc = 0.25 * (r23 + r32) / dd;
            a_ = 0.25 * (r21 - r12) / dd;
        }
        if a_ < 0.0 {
            bb = -bb;
            cc = -cc;
            dd = -dd;
        }
        b = bb;
        c = cc;
        d = dd;
    }
    ([b, c, d], zooms, qfac)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn polar_of_a_scaled_rotation_is_the_rotation() {
        let (c, s) = (0.4f64.cos(), 0.4f64.sin());
        let m = [[2.0 * c, -s, 0.0], [2.0 * s, c, 0.0], [0.0, 0.0, 3.0]];
        // Columns scaled by 2, 1, 3 but not sheared: normalising columns gives the rotation.
        let mut n = m;
        for col in 0..3 {
            let l = col_norm(&m, col);
            for r in 0..3 {
                n[r][col] /= l;
            }
        }
        let u = polar(&n).unwrap();
        let expect = [[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]];
        for r in 0..3 {
            for k in 0..3 {
                assert!((u[r][k] - expect[r][k]).abs() < 1e-12);
            }
        }
    }
}
