//! Five-channel tumour patches (the paper: 112x112 around the tumour centre on each tumour slice)
//! and the per-patient manifest `prepare` writes.

use livermet_io::Volume;
use serde::{Deserialize, Serialize};

/// The channel order of every patch and of the prepared 5-channel volume.
pub const CHANNELS: [&str; 5] = ["T2", "T1", "T1CE", "DWI", "ADC"];

/// Patch geometry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PatchSpec {
    /// Side length in pixels (the paper: 112).
    pub size: usize,
}

impl Default for PatchSpec {
    fn default() -> Self {
        Self { size: 112 }
    }
}

/// One tumour slice of a patient: where its patches are cut.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SliceEntry {
    /// Slice index on the T2 grid.
    pub k: usize,
    /// Tumour centre `(i, j)` in voxels on that slice.
    pub centre: [f64; 2],
    /// Tumour voxels on that slice.
    pub tumour_voxels: usize,
}

/// What `prepare` writes per patient beside the 5-channel volume.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PatchManifest {
    /// The patient's ID from the cohort CSV.
    pub patient_id: String,
    /// Channel names in frame order (see [`CHANNELS`]).
    pub channels: Vec<String>,
    /// Patch side length, pixels.
    pub patch_size: usize,
    /// The tumour slices used, ascending k.
    pub slices: Vec<SliceEntry>,
}

/// The pixel grid offset of a patch: patch column `c` reads voxel `i = origin_i + c` and row `r`
/// reads `j = origin_j + r`, with the centre rounded half up to a voxel and placed at pixel
/// `size / 2` (for 112: pixel 56, the first pixel of the lower-right quadrant).
pub fn patch_origin(centre: [f64; 2], size: usize) -> [i64; 2] {
    let half = (size / 2) as i64;
    [
        (centre[0] + 0.5).floor() as i64 - half,
        (centre[1] + 0.5).floor() as i64 - half,
    ]
}

/// Pixels of a `size x size` patch around `centre` that fall outside a slice of `nx x ny`
/// voxels, and so are zero-padded by [`cut_patch`]: a tumour at the image border gives patches
/// that are partly blank, which `prepare` reports.
pub fn padded_pixels(dims: [usize; 3], centre: [f64; 2], size: usize) -> usize {
    let [oi, oj] = patch_origin(centre, size);
    let inside = |origin: i64, n: usize| {
        let lo = origin.max(0);
        let hi = (origin + size as i64).min(n as i64);
        (hi - lo).max(0) as usize
    };
    size * size - inside(oi, dims[0]) * inside(oj, dims[1])
}

/// Cut a `size x size` patch from slice `k` of every frame (channel) of `channels` around
/// `centre` (voxel units), without interpolation; pixels outside the image are 0.
///
/// Layout: channel-major `[channel][row][col]`, row = j, col = i, as f32.
pub fn cut_patch(channels: &Volume, k: usize, centre: [f64; 2], spec: &PatchSpec) -> Vec<f32> {
    let s = spec.size;
    let [nx, ny, nz] = channels.dims;
    let n = channels.frame_len();
    let [oi, oj] = patch_origin(centre, s);
    let mut out = vec![0.0f32; channels.frames * s * s];
    if k >= nz {
        return out;
    }
    for ch in 0..channels.frames {
        let plane = &channels.data[ch * n + k * nx * ny..ch * n + (k + 1) * nx * ny];
        let dst = &mut out[ch * s * s..(ch + 1) * s * s];
        for r in 0..s {
            let j = oj + r as i64;
            if j < 0 || j >= ny as i64 {
                continue;
            }
            // Copy the run of columns that falls inside the image.
            let c_lo = (-oi).clamp(0, s as i64) as usize;
            let c_hi = (nx as i64 - oi).clamp(0, s as i64) as usize;
            if c_lo >= c_hi {
                continue;
            }
            let src = j as usize * nx;
            let i_lo = (oi + c_lo as i64) as usize;
            dst[r * s + c_lo..r * s + c_hi]
                .copy_from_slice(&plane[src + i_lo..src + i_lo + (c_hi - c_lo)]);
        }
    }
    out
}

/// Writes a one-channel `size x size` map laid out as [`cut_patch`] lays out a patch (row = j,
/// column = i) back onto slice `k` of a `dims` volume's voxels `grid` (x fastest): patch pixel
/// `(r, c)` lands on the voxel it was cut from; pixels outside the image are dropped. The
/// inverse of [`cut_patch`] for saliency maps.
pub fn paste_patch(
    map: &[f32],
    k: usize,
    centre: [f64; 2],
    spec: &PatchSpec,
    dims: [usize; 3],
    grid: &mut [f32],
) {
    let s = spec.size;
    let [nx, ny, nz] = dims;
    if k >= nz || map.len() != s * s || grid.len() != nx * ny * nz {
        return;
    }
    let [oi, oj] = patch_origin(centre, s);
    for r in 0..s {
        let j = oj + r as i64;
        if j < 0 || j >= ny as i64 {
            continue;
        }
        for c in 0..s {
            let i = oi + c as i64;
            if i >= 0 && i < nx as i64 {
                grid[i as usize + nx * (j as usize + ny * k)] = map[r * s + c];
            }
        }
    }
}
