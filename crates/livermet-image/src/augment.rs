//! Training-time augmentation of tumour patches (the paper: random crop near the centre,
//! left-right flip, rotation within +-10 degrees).
//!
//! As in MONAI's random transforms, each random step draws from its own seeded generator
//! (ChaCha8, one stream per step from one seed), so changing one step's setting (say, turning the
//! flip off) does not change the numbers the other steps draw, and a seed gives the same patches
//! on every machine.

use livermet_io::Volume;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::patches::{PatchSpec, patch_origin};

/// Augmentation settings.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct AugmentConfig {
    /// The crop centre moves by up to this many pixels along i and along j (uniform).
    pub max_shift_px: f64,
    /// Flip left-right (the i axis) with probability 1/2.
    pub flip_lr: bool,
    /// Rotate in-plane by an angle uniform in `[-max, max]` degrees.
    pub max_rotation_deg: f64,
}

impl Default for AugmentConfig {
    /// 8-pixel shift, flip on, +-10 degrees (the paper's rotation range).
    fn default() -> Self {
        Self {
            max_shift_px: 8.0,
            flip_lr: true,
            max_rotation_deg: 10.0,
        }
    }
}

/// One draw of the random steps.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct AugmentParams {
    /// Crop centre offset `(di, dj)` in pixels.
    pub shift: [f64; 2],
    /// Mirror the patch's columns (the i axis).
    pub flip: bool,
    /// In-plane rotation, degrees.
    pub rotation_deg: f64,
}

impl AugmentParams {
    /// No augmentation: [`augment_patch`] then equals [`crate::cut_patch`].
    pub const NONE: AugmentParams = AugmentParams {
        shift: [0.0, 0.0],
        flip: false,
        rotation_deg: 0.0,
    };
}

/// Seeded augmentation: one ChaCha8 stream per random step (0 shift, 1 flip, 2 rotation).
#[derive(Debug, Clone)]
pub struct Augmenter {
    cfg: AugmentConfig,
    shift_rng: ChaCha8Rng,
    flip_rng: ChaCha8Rng,
    rotation_rng: ChaCha8Rng,
}

impl Augmenter {
    /// An augmenter whose draws depend only on `cfg` and `seed`.
    pub fn new(cfg: AugmentConfig, seed: u64) -> Self {
        let stream = |s: u64| {
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            rng.set_stream(s);
            rng
        };
        Self {
            cfg,
            shift_rng: stream(0),
            flip_rng: stream(1),
            rotation_rng: stream(2),
        }
    }

    /// Draw the next parameters (each step from its own stream; a disabled step draws nothing).
    pub fn draw(&mut self) -> AugmentParams {
        let m = self.cfg.max_shift_px.abs();
        let shift = if m > 0.0 {
            [
                self.shift_rng.random_range(-m..=m),
                self.shift_rng.random_range(-m..=m),
            ]
        } else {
            [0.0, 0.0]
        };
        let flip = self.cfg.flip_lr && self.flip_rng.random_bool(0.5);
        let r = self.cfg.max_rotation_deg.abs();
        let rotation_deg = if r > 0.0 {
            self.rotation_rng.random_range(-r..=r)
        } else {
            0.0
        };
        AugmentParams {
            shift,
            flip,
            rotation_deg,
        }
    }

    /// Draw parameters and cut the augmented patch (layout as [`crate::cut_patch`]).
    pub fn augmented_patch(
        &mut self,
        channels: &Volume,
        k: usize,
        centre: [f64; 2],
        spec: &PatchSpec,
    ) -> Vec<f32> {
        let params = self.draw();
        augment_patch(channels, k, centre, spec, &params)
    }
}

/// Cut a patch of slice `k` under the given augmentation, sampling bilinearly in-plane (pixels
/// outside the image count as 0, like the padding of [`crate::cut_patch`]).
///
/// Geometry: the patch's pivot is the point midway between its middle pixels, placed where
/// [`crate::cut_patch`] would put it (so [`AugmentParams::NONE`] reproduces that patch exactly).
/// Pixel `(r, c)` has offset `u = (c - (s-1)/2, r - (s-1)/2)` from the pivot; it reads the image
/// at `pivot + shift + R(theta) F u`, with `F` negating the column offset when flipping. So a flip
/// alone is an exact mirror of the columns, and rotation turns the patch about its pivot.
pub fn augment_patch(
    channels: &Volume,
    k: usize,
    centre: [f64; 2],
    spec: &PatchSpec,
    params: &AugmentParams,
) -> Vec<f32> {
    let s = spec.size;
    let [nx, ny, nz] = channels.dims;
    let n = channels.frame_len();
    let mut out = vec![0.0f32; channels.frames * s * s];
    if k >= nz {
        return out;
    }
    let half = (s as f64 - 1.0) / 2.0;
    let origin = patch_origin(centre, s);
    let pivot = [
        origin[0] as f64 + half + params.shift[0],
        origin[1] as f64 + half + params.shift[1],
    ];
    let (sin, cos) = params.rotation_deg.to_radians().sin_cos();
    let flip = if params.flip { -1.0 } else { 1.0 };
    for r in 0..s {
        for c in 0..s {
            let u = flip * (c as f64 - half);
            let v = r as f64 - half;
            let x = pivot[0] + cos * u - sin * v;
            let y = pivot[1] + sin * u + cos * v;
            let (x0, y0) = (x.floor(), y.floor());
            let (tx, ty) = (x - x0, y - y0);
            let (x0, y0) = (x0 as i64, y0 as i64);
            // The four neighbours and their bilinear weights; those outside the image are skipped
            // (value 0). Weights that are exactly 0 are skipped too, so an integer position reads
            // one voxel even at the image's last row/column.
            let taps = [
                (x0, y0, (1.0 - tx) * (1.0 - ty)),
                (x0 + 1, y0, tx * (1.0 - ty)),
                (x0, y0 + 1, (1.0 - tx) * ty),
                (x0 + 1, y0 + 1, tx * ty),
            ];
            for ch in 0..channels.frames {
                let plane = &channels.data[ch * n + k * nx * ny..ch * n + (k + 1) * nx * ny];
                let mut value = 0.0f64;
                for &(i, j, w) in &taps {
                    if w != 0.0 && i >= 0 && j >= 0 && (i as usize) < nx && (j as usize) < ny {
                        value += w * plane[i as usize + nx * j as usize] as f64;
                    }
                }
                out[ch * s * s + r * s + c] = value as f32;
            }
        }
    }
    out
}
