//! Each centre's acquisition: the sequences' grids (size protocol x scanner profile), the
//! scanner's intensity scale, noise and bias field, and the known rigid motion of each moving
//! sequence relative to T2WI.

use livermet_io::{Affine, Grid};
use rand::Rng;
use serde::{Deserialize, Serialize};

/// Matrix sizes: `small` for a fast demo, `paper` with the paper's 256x256 T2 matrix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Size {
    /// 160x140x16 T2 matrix (0.7x0.7x3 mm): the 207-patient cohort in under a minute.
    Small,
    /// The paper's 256x256 T2 matrix.
    Paper,
}

impl std::str::FromStr for Size {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "small" => Ok(Size::Small),
            "paper" => Ok(Size::Paper),
            _ => Err(format!("`{s}` is not an image size; use small or paper")),
        }
    }
}

/// One sequence's nominal grid: matrix and voxel size (mm), axial.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct SequenceGrid {
    pub dims: [usize; 3],
    pub voxel_mm: [f64; 3],
}

/// The grids of the four sequences and how big the anatomy is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Protocol {
    pub t2: SequenceGrid,
    pub t1: SequenceGrid,
    pub t1ce: SequenceGrid,
    pub dwi: SequenceGrid,
    /// Anatomy scale (1 = a 112 mm field of view).
    pub anatomy_scale: f64,
    /// The tumour spans 6 to this many T2 slices (before its surface perturbation).
    pub max_tumour_slices: usize,
}

const fn grid(dims: [usize; 3], voxel_mm: [f64; 3]) -> SequenceGrid {
    SequenceGrid { dims, voxel_mm }
}

impl Size {
    /// The protocol of this size. T2WI about 0.7x0.7x3 mm (the reference grid), T1WI and T1CE
    /// on their own grids, DWI coarser (about 1.5x1.5x5 mm), all covering the same region.
    pub fn protocol(self) -> Protocol {
        match self {
            Size::Small => Protocol {
                // Rectangular field of view (phase direction y at 7/8), as pelvic protocols
                // use: the body is wider than deep, and the files stay small.
                t2: grid([160, 140, 16], [0.7, 0.7, 3.0]),
                t1: grid([128, 112, 13], [0.9, 0.9, 3.6]),
                t1ce: grid([144, 126, 14], [0.8, 0.8, 3.4]),
                dwi: grid([80, 70, 10], [1.5, 1.5, 5.0]),
                anatomy_scale: 1.0,
                max_tumour_slices: 11,
            },
            Size::Paper => Protocol {
                t2: grid([256, 256, 24], [0.7, 0.7, 3.0]),
                t1: grid([200, 200, 20], [0.9, 0.9, 3.6]),
                t1ce: grid([224, 224, 21], [0.8, 0.8, 3.4]),
                dwi: grid([128, 128, 15], [1.4, 1.4, 5.0]),
                anatomy_scale: 1.6,
                max_tumour_slices: 12,
            },
        }
    }
}

/// A centre's scanner: what distinguishes its images from another centre's.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ScannerProfile {
    /// Signal of relative intensity 1 (arbitrary units).
    pub intensity_scale: f64,
    /// Noise SD of the anatomical sequences as a fraction of `intensity_scale` (per channel of
    /// the complex signal; magnitude images are Rician).
    pub noise: f64,
    /// Noise SD of DWI as a fraction of `intensity_scale` (DWI is noisier).
    pub dwi_noise: f64,
    /// Voxel sizes are the protocol's times this (same matrix).
    pub voxel_factor: f64,
    /// Receive-coil bias: intensity x (1 + g . (x, y)), per mm.
    pub bias_gradient: [f64; 2],
}

/// The primary centre (NIfTI).
pub const PRIMARY_SCANNER: ScannerProfile = ScannerProfile {
    intensity_scale: 1000.0,
    noise: 0.02,
    dwi_noise: 0.04,
    voxel_factor: 1.0,
    bias_gradient: [0.0015, -0.001],
};

/// The external centre (DICOM): brighter, noisier, slightly larger voxels, another bias.
pub const EXTERNAL_SCANNER: ScannerProfile = ScannerProfile {
    intensity_scale: 1600.0,
    noise: 0.03,
    dwi_noise: 0.05,
    voxel_factor: 1.07,
    bias_gradient: [-0.002, 0.0015],
};

impl ScannerProfile {
    /// The grid of a sequence on this scanner, axial, centred on the world origin, with the
    /// voxel axes as a scanner stores axial DICOM: i towards the patient's left, j posterior,
    /// k superior (affine diag(-dx, -dy, dz) in RAS).
    pub fn grid(&self, g: &SequenceGrid) -> Grid {
        let v = g.voxel_mm.map(|d| d * self.voxel_factor);
        let half = |d: usize, n: usize| v[d] * (n as f64 - 1.0) / 2.0;
        let affine: Affine = [
            [-v[0], 0.0, 0.0, half(0, g.dims[0])],
            [0.0, -v[1], 0.0, half(1, g.dims[1])],
            [0.0, 0.0, v[2], -half(2, g.dims[2])],
            [0.0, 0.0, 0.0, 1.0],
        ];
        Grid {
            dims: g.dims,
            affine,
        }
    }

    /// Multiplicative bias at a scanner-world point.
    pub fn bias(&self, q: [f64; 3]) -> f64 {
        1.0 + self.bias_gradient[0] * q[0] + self.bias_gradient[1] * q[1]
    }
}

/// A rigid transform `p -> R p + t` (R = Rz Ry Rx of the given angles in degrees, t in mm) as a
/// 4x4 RAS matrix. With the ITK convention it maps a point of the fixed (T2) world to the
/// moving image's world.
pub fn rigid(angles_deg: [f64; 3], translation_mm: [f64; 3]) -> Affine {
    let [a, b, c] = angles_deg.map(f64::to_radians);
    let (sa, ca, sb, cb, sc, cc) = (a.sin(), a.cos(), b.sin(), b.cos(), c.sin(), c.cos());
    let rx = [[1.0, 0.0, 0.0], [0.0, ca, -sa], [0.0, sa, ca]];
    let ry = [[cb, 0.0, sb], [0.0, 1.0, 0.0], [-sb, 0.0, cb]];
    let rz = [[cc, -sc, 0.0], [sc, cc, 0.0], [0.0, 0.0, 1.0]];
    let mul = |x: [[f64; 3]; 3], y: [[f64; 3]; 3]| {
        let mut o = [[0.0; 3]; 3];
        for r in 0..3 {
            for k in 0..3 {
                o[r][k] = (0..3).map(|m| x[r][m] * y[m][k]).sum();
            }
        }
        o
    };
    let r = mul(rz, mul(ry, rx));
    let t = translation_mm;
    [
        [r[0][0], r[0][1], r[0][2], t[0]],
        [r[1][0], r[1][1], r[1][2], t[1]],
        [r[2][0], r[2][1], r[2][2], t[2]],
        [0.0, 0.0, 0.0, 1.0],
    ]
}

/// A random small rigid motion: each angle uniform in +-`max_deg`, each shift in +-`max_mm`.
pub fn random_rigid<R: Rng + ?Sized>(rng: &mut R, max_deg: f64, max_mm: f64) -> Affine {
    let mut u = |m: f64| rng.random_range(-m..=m);
    let angles = [u(max_deg), u(max_deg), u(max_deg)];
    let shift = [u(max_mm), u(max_mm), u(max_mm)];
    rigid(angles, shift)
}
