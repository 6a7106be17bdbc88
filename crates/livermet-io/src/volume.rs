//! The one image type every stage passes around.

/// Voxel -> world transform: a 4x4 affine, row-major, mapping `(i, j, k, 1)` (0-based voxel
/// indices) to `(x, y, z, 1)` in world millimetres, **RAS+** as in NIfTI and nibabel: x grows
/// towards the patient's Right, y Anterior, z Superior. DICOM's LPS+ becomes RAS+ by negating x
/// and y.
pub type Affine = [[f64; 4]; 4];

/// A 3D volume, or a 4D series of 3D frames on one grid (DWI), with f32 voxels.
///
/// Axis order: `data[i + nx * (j + ny * (k + nz * t))]`, i.e. `i` varies fastest. This is the
/// NIfTI on-disk order, so a volume read from NIfTI is stored without reordering, and voxel
/// `(i, j, k)` here is voxel `(i, j, k)` in ITK-SNAP and nibabel.
#[derive(Debug, Clone, PartialEq)]
pub struct Volume {
    /// Grid size `[nx, ny, nz]`.
    pub dims: [usize; 3],
    /// Number of 3D frames (1 for a 3D image; the number of DWI volumes for a 4D one).
    pub frames: usize,
    /// Voxel (0-based) -> world RAS mm.
    pub affine: Affine,
    /// `nx * ny * nz * frames` voxels, `i` fastest (see the type's docs).
    pub data: Vec<f32>,
}

/// A voxel grid without data: what resampling targets and what "on the T2 grid" compares.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Grid {
    /// `[nx, ny, nz]`.
    pub dims: [usize; 3],
    /// Voxel (0-based) -> world RAS mm.
    pub affine: Affine,
}

impl Volume {
    /// This volume's grid.
    pub fn grid(&self) -> Grid {
        Grid {
            dims: self.dims,
            affine: self.affine,
        }
    }

    /// A volume from its parts. Panics if `data.len()` disagrees with `dims * frames`
    /// (a programming error, not bad input: readers check sizes before building one).
    pub fn new(dims: [usize; 3], frames: usize, affine: Affine, data: Vec<f32>) -> Self {
        assert_eq!(
            data.len(),
            dims[0] * dims[1] * dims[2] * frames,
            "Volume::new: data length"
        );
        Self {
            dims,
            frames,
            affine,
            data,
        }
    }

    /// A 3D volume of zeros on the given grid.
    pub fn zeros(dims: [usize; 3], affine: Affine) -> Self {
        Self::new(dims, 1, affine, vec![0.0; dims[0] * dims[1] * dims[2]])
    }

    /// A 3D volume of zeros on this volume's grid.
    pub fn zeros_like(&self) -> Self {
        Self::zeros(self.dims, self.affine)
    }

    /// Voxels in one 3D frame.
    pub fn frame_len(&self) -> usize {
        self.dims[0] * self.dims[1] * self.dims[2]
    }

    /// Linear index of voxel `(i, j, k)` in frame 0.
    #[inline]
    pub fn index(&self, i: usize, j: usize, k: usize) -> usize {
        i + self.dims[0] * (j + self.dims[1] * k)
    }

    /// Voxel value in frame 0.
    #[inline]
    pub fn get(&self, i: usize, j: usize, k: usize) -> f32 {
        self.data[self.index(i, j, k)]
    }

    /// Set a voxel in frame 0.
    #[inline]
    pub fn set(&mut self, i: usize, j: usize, k: usize, v: f32) {
        let idx = self.index(i, j, k);
        self.data[idx] = v;
    }

    /// Frame `t` as a 3D volume on the same grid.
    pub fn frame(&self, t: usize) -> Volume {
        let n = self.frame_len();
        Volume::new(
            self.dims,
            1,
            self.affine,
            self.data[t * n..(t + 1) * n].to_vec(),
        )
    }

    /// A 4D volume from 3D frames on one grid (the first frame's grid is used).
    pub fn stack(frames: &[Volume]) -> Volume {
        let first = &frames[0];
        let mut data = Vec::with_capacity(first.frame_len() * frames.len());
        for f in frames {
            assert_eq!(
                f.dims, first.dims,
                "Volume::stack: frames on different grids"
            );
            data.extend_from_slice(&f.data[..f.frame_len()]);
        }
        Volume::new(first.dims, frames.len(), first.affine, data)
    }

    /// Voxel size in mm along i, j, k (the norms of the affine's first three columns).
    pub fn voxel_size(&self) -> [f64; 3] {
        let a = &self.affine;
        let col = |c: usize| (a[0][c].powi(2) + a[1][c].powi(2) + a[2][c].powi(2)).sqrt();
        [col(0), col(1), col(2)]
    }

    /// World RAS mm of a (possibly fractional) voxel position.
    pub fn voxel_to_world(&self, v: [f64; 3]) -> [f64; 3] {
        apply_affine(&self.affine, v)
    }

    /// Fractional voxel position of a world RAS mm point.
    pub fn world_to_voxel(&self, p: [f64; 3]) -> [f64; 3] {
        apply_affine(&invert_affine(&self.affine), p)
    }

    /// True when `other` has the same dims and an affine equal within `tol_mm`
    /// (compared as world positions of the grid's corner voxels).
    pub fn same_grid(&self, other: &Volume, tol_mm: f64) -> bool {
        if self.dims != other.dims {
            return false;
        }
        let [nx, ny, nz] = self.dims.map(|d| d.saturating_sub(1) as f64);
        let corners = [
            [0.0, 0.0, 0.0],
            [nx, 0.0, 0.0],
            [0.0, ny, 0.0],
            [0.0, 0.0, nz],
            [nx, ny, nz],
        ];
        corners.iter().all(|&c| {
            let a = self.voxel_to_world(c);
            let b = other.voxel_to_world(c);
            (0..3).all(|d| (a[d] - b[d]).abs() <= tol_mm)
        })
    }

    /// (min, max, mean) over the finite voxels of all frames: NaN and infinite voxels are
    /// skipped ([`Volume::non_finite`] counts them). No finite voxel gives (inf, -inf, NaN).
    pub fn min_max_mean(&self) -> (f32, f32, f64) {
        let (mut lo, mut hi, mut sum, mut n) = (f32::INFINITY, f32::NEG_INFINITY, 0.0f64, 0usize);
        for &v in &self.data {
            if !v.is_finite() {
                continue;
            }
            lo = lo.min(v);
            hi = hi.max(v);
            sum += v as f64;
            n += 1;
        }
        (lo, hi, if n > 0 { sum / n as f64 } else { f64::NAN })
    }

    /// Voxels (all frames) that are NaN or infinite.
    pub fn non_finite(&self) -> usize {
        self.data.iter().filter(|v| !v.is_finite()).count()
    }
}

/// `A * (p, 1)`, dropping the homogeneous coordinate.
pub fn apply_affine(a: &Affine, p: [f64; 3]) -> [f64; 3] {
    let mut out = [0.0; 3];
    for r in 0..3 {
        out[r] = a[r][0] * p[0] + a[r][1] * p[1] + a[r][2] * p[2] + a[r][3];
    }
    out
}

/// Product of two 4x4 matrices, `a * b`.
pub fn mat4_mul(a: &Affine, b: &Affine) -> Affine {
    let mut out = [[0.0; 4]; 4];
    for r in 0..4 {
        for c in 0..4 {
            out[r][c] = (0..4).map(|k| a[r][k] * b[k][c]).sum();
        }
    }
    out
}

/// The 4x4 identity.
pub const IDENTITY: Affine = [
    [1.0, 0.0, 0.0, 0.0],
    [0.0, 1.0, 0.0, 0.0],
    [0.0, 0.0, 1.0, 0.0],
    [0.0, 0.0, 0.0, 1.0],
];

/// Inverse of an affine 4x4 (last row 0,0,0,1): invert the 3x3 part by cofactors, then the
/// translation. A singular matrix gives non-finite entries (readers reject such headers).
pub fn invert_affine(a: &Affine) -> Affine {
    let m = |r: usize, c: usize| a[r][c];
    let det = m(0, 0) * (m(1, 1) * m(2, 2) - m(1, 2) * m(2, 1))
        - m(0, 1) * (m(1, 0) * m(2, 2) - m(1, 2) * m(2, 0))
        + m(0, 2) * (m(1, 0) * m(2, 1) - m(1, 1) * m(2, 0));
    let inv_det = 1.0 / det;
    let mut r = [[0.0; 4]; 4];
    r[0][0] = (m(1, 1) * m(2, 2) - m(1, 2) * m(2, 1)) * inv_det;
    r[0][1] = (m(0, 2) * m(2, 1) - m(0, 1) * m(2, 2)) * inv_det;
    r[0][2] = (m(0, 1) * m(1, 2) - m(0, 2) * m(1, 1)) * inv_det;
    r[1][0] = (m(1, 2) * m(2, 0) - m(1, 0) * m(2, 2)) * inv_det;
    r[1][1] = (m(0, 0) * m(2, 2) - m(0, 2) * m(2, 0)) * inv_det;
    r[1][2] = (m(0, 2) * m(1, 0) - m(0, 0) * m(1, 2)) * inv_det;
    r[2][0] = (m(1, 0) * m(2, 1) - m(1, 1) * m(2, 0)) * inv_det;
    r[2][1] = (m(0, 1) * m(2, 0) - m(0, 0) * m(2, 1)) * inv_det;
    r[2][2] = (m(0, 0) * m(1, 1) - m(0, 1) * m(1, 0)) * inv_det;
    for i in 0..3 {
        r[i][3] = -(r[i][0] * a[0][3] + r[i][1] * a[1][3] + r[i][2] * a[2][3]);
    }
    r[3][3] = 1.0;
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inverse_round_trips_an_oblique_affine() {
        let (c, s) = (0.3f64.cos(), 0.3f64.sin());
        let a: Affine = [
            [0.7 * c, -0.7 * s, 0.0, -90.0],
            [0.7 * s, 0.7 * c, 0.0, 12.5],
            [0.0, 0.0, 3.0, -40.0],
            [0.0, 0.0, 0.0, 1.0],
        ];
        let p = [10.0, 20.0, 5.0];
        let back = apply_affine(&invert_affine(&a), apply_affine(&a, p));
        for d in 0..3 {
            assert!((back[d] - p[d]).abs() < 1e-9);
        }
        let v = Volume::zeros([2, 2, 2], a);
        let vs = v.voxel_size();
        assert!((vs[0] - 0.7).abs() < 1e-12 && (vs[2] - 3.0).abs() < 1e-12);
    }
}
