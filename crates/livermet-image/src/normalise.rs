//! Intensity normalisation: z-score per sequence per patient over the body.
//!
//! MRI intensities have no absolute scale, so each sequence is standardised to zero mean and unit
//! SD. The statistics are taken over the body only: a pelvic MRI is mostly air, whose near-zero
//! voxels would otherwise pull the mean down and shrink the SD.
//! The body is found automatically: Otsu's threshold (Otsu 1979, "A threshold selection method
//! from gray-level histograms", IEEE SMC 9) on the intensity histogram, the largest 6-connected
//! component (drops noise speckles in the air), then holes filled slice by slice (air in the
//! rectum or dark fat inside the body stays in the body).

use livermet_io::Volume;
use serde::{Deserialize, Serialize};

/// The statistics a z-score used (recorded so the same scaling can be reproduced).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ZScoreStats {
    /// Mean inside the mask.
    pub mean: f64,
    /// Population SD (divisor n) inside the mask.
    pub sd: f64,
    /// Voxels in the mask (per frame).
    pub foreground_voxels: usize,
}

/// Bins of the histogram Otsu's threshold is chosen on.
const OTSU_BINS: usize = 256;

/// Automatic body (foreground) mask of frame 0, one bool per voxel (i fastest).
/// A constant image gives an all-true mask (nothing to separate).
pub fn body_mask(vol: &Volume) -> Vec<bool> {
    let n = vol.frame_len();
    let data = &vol.data[..n];
    let Some(threshold) = otsu_threshold(data) else {
        return vec![true; n];
    };
    let above: Vec<bool> = data.iter().map(|&v| v > threshold).collect();
    let mut mask = largest_component(&above, vol.dims);
    fill_holes_in_plane(&mut mask, vol.dims);
    mask
}

/// Otsu's threshold: the histogram split maximising the between-class variance
/// `w0 w1 (mu0 - mu1)^2`. Returns the upper edge of the last background bin, or None when the
/// image is constant (or has no finite voxel).
pub fn otsu_threshold(data: &[f32]) -> Option<f32> {
    let (mut lo, mut hi) = (f32::INFINITY, f32::NEG_INFINITY);
    for &v in data.iter().filter(|v| v.is_finite()) {
        lo = lo.min(v);
        hi = hi.max(v);
    }
    if lo.partial_cmp(&hi) != Some(std::cmp::Ordering::Less) {
        return None;
    }
    let width = (hi as f64 - lo as f64) / OTSU_BINS as f64;
    let mut hist = [0u64; OTSU_BINS];
    for &v in data.iter().filter(|v| v.is_finite()) {
        let b = (((v as f64 - lo as f64) / width) as usize).min(OTSU_BINS - 1);
        hist[b] += 1;
    }
    let total: f64 = hist.iter().sum::<u64>() as f64;
    let centre = |b: usize| lo as f64 + (b as f64 + 0.5) * width;
    let sum_all: f64 = (0..OTSU_BINS).map(|b| hist[b] as f64 * centre(b)).sum();
    let (mut w0, mut sum0) = (0.0, 0.0);
    let (mut best, mut best_bin) = (-1.0, 0);
    for b in 0..OTSU_BINS - 1 {
        w0 += hist[b] as f64;
        sum0 += hist[b] as f64 * centre(b);
        let w1 = total - w0;
        if w0 == 0.0 || w1 == 0.0 {
            continue;
        }
        let diff = sum0 / w0 - (sum_all - sum0) / w1;
        let between = w0 * w1 * diff * diff;
        if between > best {
            best = between;
            best_bin = b;
        }
    }
    Some((lo as f64 + (best_bin as f64 + 1.0) * width) as f32)
}

/// Keep only the largest 6-connected component of `mask` (iterative flood fill).
fn largest_component(mask: &[bool], dims: [usize; 3]) -> Vec<bool> {
    let [nx, ny, nz] = dims;
    let mut label = vec![0u32; mask.len()];
    let (mut best_label, mut best_size, mut next) = (0u32, 0usize, 0u32);
    let mut stack = Vec::new();
    for start in 0..mask.len() {
        if !mask[start] || label[start] != 0 {
            continue;
        }
        next += 1;
        label[start] = next;
        stack.push(start);
        let mut size = 0;
        while let Some(p) = stack.pop() {
            size += 1;
            let (i, j, k) = (p % nx, (p / nx) % ny, p / (nx * ny));
            let mut visit = |q: usize| {
                if mask[q] && label[q] == 0 {
                    label[q] = next;
                    stack.push(q);
                }
            };
            if i > 0 {
                visit(p - 1);
            }
            if i + 1 < nx {
                visit(p + 1);
            }
            if j > 0 {
                visit(p - nx);
            }
            if j + 1 < ny {
                visit(p + nx);
            }
            if k > 0 {
                visit(p - nx * ny);
            }
            if k + 1 < nz {
                visit(p + nx * ny);
            }
        }
        if size > best_size {
            best_size = size;
            best_label = next;
        }
    }
    label.iter().map(|&l| l != 0 && l == best_label).collect()
}

/// Per slice: background not 4-connected to the slice's border is a hole and joins the mask.
fn fill_holes_in_plane(mask: &mut [bool], dims: [usize; 3]) {
    let [nx, ny, nz] = dims;
    let plane = nx * ny;
    let mut outside = vec![false; plane];
    let mut stack = Vec::new();
    for k in 0..nz {
        let slice = &mut mask[k * plane..(k + 1) * plane];
        outside.iter_mut().for_each(|o| *o = false);
        for p in 0..plane {
            let (i, j) = (p % nx, p / nx);
            let border = i == 0 || j == 0 || i + 1 == nx || j + 1 == ny;
            if border && !slice[p] && !outside[p] {
                outside[p] = true;
                stack.push(p);
            }
        }
        while let Some(p) = stack.pop() {
            let (i, j) = (p % nx, p / nx);
            let neighbours = [
                (i > 0).then(|| p - 1),
                (i + 1 < nx).then(|| p + 1),
                (j > 0).then(|| p - nx),
                (j + 1 < ny).then(|| p + nx),
            ];
            for q in neighbours.into_iter().flatten() {
                if !slice[q] && !outside[q] {
                    outside[q] = true;
                    stack.push(q);
                }
            }
        }
        for p in 0..plane {
            if !outside[p] {
                slice[p] = true;
            }
        }
    }
}

/// Z-score `vol` (every frame) with the mean and population SD of its voxels inside `mask`
/// (one bool per voxel of a frame; statistics pooled over all frames).
///
/// An empty mask (or one of the wrong length) falls back to every voxel; an SD of 0 (or not
/// finite) leaves the scale at 1, so the output is only centred. The stats say what was used.
pub fn zscore_normalise(vol: &Volume, mask: &[bool]) -> (Volume, ZScoreStats) {
    let n = vol.frame_len();
    let use_mask = mask.len() == n && mask.iter().any(|&m| m);
    let inside = |idx: usize| !use_mask || mask[idx % n];
    let (mut count, mut sum) = (0usize, 0.0f64);
    for (idx, &v) in vol.data.iter().enumerate() {
        if inside(idx) && v.is_finite() {
            count += 1;
            sum += v as f64;
        }
    }
    let mean = if count > 0 { sum / count as f64 } else { 0.0 };
    // Two-pass variance (numerically stable for large offsets).
    let mut ss = 0.0;
    for (idx, &v) in vol.data.iter().enumerate() {
        if inside(idx) && v.is_finite() {
            ss += (v as f64 - mean).powi(2);
        }
    }
    let sd = if count > 0 {
        (ss / count as f64).sqrt()
    } else {
        0.0
    };
    let scale = if sd > 0.0 && sd.is_finite() {
        1.0 / sd
    } else {
        1.0
    };
    let data = vol
        .data
        .iter()
        .map(|&v| ((v as f64 - mean) * scale) as f32)
        .collect();
    let foreground_voxels = if use_mask {
        mask.iter().filter(|&&m| m).count()
    } else {
        n
    };
    let out = Volume::new(vol.dims, vol.frames, vol.affine, data);
    (
        out,
        ZScoreStats {
            mean,
            sd,
            foreground_voxels,
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    use livermet_io::IDENTITY;
    use rand::{Rng, SeedableRng};

    /// A phantom: noisy air (|N(0, 5)|), an elliptic body (N(100, 10)) with a dark hole of air
    /// in it (the rectum, intensity ~3), and one bright speck in the air. Returns (image, body).
    fn phantom() -> (Volume, Vec<bool>) {
        let dims = [48, 40, 5];
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
        let mut gauss = move || {
            let (u, v): (f64, f64) = (rng.random::<f64>().max(1e-12), rng.random());
            (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
        };
        let mut vol = Volume::zeros(dims, IDENTITY);
        let mut body = vec![false; vol.frame_len()];
        for k in 0..dims[2] {
            for j in 0..dims[1] {
                for i in 0..dims[0] {
                    let (x, y) = ((i as f64 - 24.0) / 18.0, (j as f64 - 20.0) / 13.0);
                    let inside = x * x + y * y <= 1.0;
                    let hole = (i as f64 - 26.0).powi(2) + (j as f64 - 21.0).powi(2) <= 9.0;
                    let v = match (inside, hole) {
                        (true, false) => 100.0 + 10.0 * gauss(),
                        (true, true) => 3.0 + gauss().abs(),
                        _ => 5.0 * gauss().abs(),
                    };
                    vol.set(i, j, k, v as f32);
                    body[vol.index(i, j, k)] = inside;
                }
            }
        }
        vol.set(1, 1, 2, 150.0);
        (vol, body)
    }

    #[test]
    fn body_mask_is_the_body_with_its_holes_and_without_the_air() {
        let (vol, body) = phantom();
        let mask = body_mask(&vol);
        let wrong = mask.iter().zip(&body).filter(|(a, b)| a != b).count();
        assert_eq!(wrong, 0, "{wrong} voxels differ from the phantom's body");
        assert!(
            !mask[vol.index(1, 1, 2)],
            "the bright speck in the air is not body"
        );
        assert!(
            mask[vol.index(26, 21, 2)],
            "the hole inside the body is body"
        );
    }

    #[test]
    fn zscore_has_zero_mean_and_unit_sd_inside_the_mask() {
        let (vol, _) = phantom();
        let mask = body_mask(&vol);
        let (z, stats) = zscore_normalise(&vol, &mask);
        let inside: Vec<f64> = z
            .data
            .iter()
            .zip(&mask)
            .filter(|(_, m)| **m)
            .map(|(v, _)| *v as f64)
            .collect();
        let n = inside.len() as f64;
        let mean = inside.iter().sum::<f64>() / n;
        let sd = (inside.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n).sqrt();
        assert!(mean.abs() < 1e-5 && (sd - 1.0).abs() < 1e-5, "{mean} {sd}");
        assert_eq!(stats.foreground_voxels, inside.len());
        // Over the body the mean is near the tissue's 100 (less the hole), far above the
        // whole image's mean, which the air drags down.
        let (_, _, all_mean) = vol.min_max_mean();
        assert!(
            stats.mean > 90.0 && all_mean < 70.0,
            "{} {all_mean}",
            stats.mean
        );
        // Air maps well below the body.
        assert!(z.get(0, 0, 0) < -2.0);
    }

    #[test]
    fn otsu_splits_two_clusters() {
        let mut data = vec![1.0f32; 100];
        data.extend(vec![9.0f32; 50]);
        let t = otsu_threshold(&data).unwrap();
        assert!(t > 1.0 && t < 9.0, "{t}");
        assert!(otsu_threshold(&[3.0, 3.0]).is_none());
    }
}
