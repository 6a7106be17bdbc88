//! Apparent diffusion coefficient (ADC) from a diffusion-weighted series.
//!
//! Model: mono-exponential decay `S(b) = S0 exp(-b ADC)` (Le Bihan et al. 1986), so
//! `ln S = ln S0 - b ADC` is linear in b. Volumes are grouped into shells (b-values within the
//! tolerance of each other, e.g. b = 800 and 805 from a scanner's rounding), each shell's signal is
//! averaged (arithmetic mean by default, geometric as an option, which is the mean of `ln S`), the
//! shell's b is the mean of its b-values, and ADC is minus the ordinary least-squares slope of
//! `ln S` on b over the shells, per voxel.

use livermet_io::Volume;
use rayon::prelude::*;

use crate::ImageError;

/// Settings of the ADC fit.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AdcOptions {
    /// b-values (s/mm²) that lie within this distance of a shell's smallest one join that shell.
    pub shell_tolerance: f64,
    /// Average a shell's volumes geometrically (mean of ln S) instead of arithmetically.
    pub geometric_mean: bool,
}

impl Default for AdcOptions {
    /// 50 s/mm² shell tolerance, arithmetic mean.
    fn default() -> Self {
        Self {
            shell_tolerance: 50.0,
            geometric_mean: false,
        }
    }
}

/// The fitted ADC map and what the fit used.
#[derive(Debug, Clone)]
pub struct AdcResult {
    /// ADC in mm²/s on the DWI grid (3D). Non-positive voxels hold 0. Noise can make the fitted
    /// slope negative; such values are kept as fitted.
    pub adc: Volume,
    /// The shells, ascending: (mean b in s/mm², number of volumes averaged).
    pub shells: Vec<(f64, usize)>,
    /// Voxels where some shell's signal was not positive (log undefined); they hold 0.
    pub nonpositive_voxels: usize,
}

/// One shell: its mean b and the frame indices it averages.
#[derive(Debug, Clone, PartialEq)]
pub struct Shell {
    /// Mean of the member b-values, s/mm².
    pub b: f64,
    /// Indices of the DWI frames in this shell.
    pub frames: Vec<usize>,
}

/// Group b-values into shells: sorted ascending, a value joins the current shell while it lies
/// within `tolerance` of the shell's smallest value, so no two members differ by more than it.
pub fn group_shells(bvals: &[f64], tolerance: f64) -> Vec<Shell> {
    let mut order: Vec<usize> = (0..bvals.len()).collect();
    order.sort_by(|&a, &b| bvals[a].total_cmp(&bvals[b]).then(a.cmp(&b)));
    let mut shells: Vec<Shell> = Vec::new();
    let mut first = f64::NAN;
    for idx in order {
        let b = bvals[idx];
        match shells.last_mut() {
            Some(s) if b - first <= tolerance => s.frames.push(idx),
            _ => {
                first = b;
                shells.push(Shell {
                    b,
                    frames: vec![idx],
                });
            }
        }
    }
    for s in &mut shells {
        s.frames.sort_unstable();
        s.b = s.frames.iter().map(|&f| bvals[f]).sum::<f64>() / s.frames.len() as f64;
    }
    shells
}

/// Fit ADC (mm²/s) per voxel from a 4D DWI and its b-values (s/mm², one per frame).
///
/// Errors: b-value count differs from the frame count; a b-value negative or not finite; fewer
/// than two shells (a slope needs two b-values).
pub fn compute_adc(
    dwi: &Volume,
    bvals: &[f64],
    opts: &AdcOptions,
) -> Result<AdcResult, ImageError> {
    if bvals.len() != dwi.frames {
        return Err(ImageError::BvalCount {
            volumes: dwi.frames,
            bvals: bvals.len(),
        });
    }
    if let Some(&b) = bvals.iter().find(|b| !b.is_finite() || **b < 0.0) {
        return Err(ImageError::BadBvalue { value: b });
    }
    let shells = group_shells(bvals, opts.shell_tolerance);
    if shells.len() < 2 {
        return Err(ImageError::SingleShell {
            b: shells.first().map_or(f64::NAN, |s| s.b),
        });
    }
    let n = dwi.frame_len();
    let m = shells.len() as f64;
    let b_mean = shells.iter().map(|s| s.b).sum::<f64>() / m;
    // Least-squares slope = sum_s (b_s - b_mean) y_s / sum_s (b_s - b_mean)^2; the centred b's
    // weights are fixed, so precompute them.
    let sxx: f64 = shells.iter().map(|s| (s.b - b_mean).powi(2)).sum();
    let weights: Vec<f64> = shells.iter().map(|s| (s.b - b_mean) / sxx).collect();

    let fitted: Vec<(f32, bool)> = (0..n)
        .into_par_iter()
        .map(|v| {
            let mut slope = 0.0;
            for (shell, w) in shells.iter().zip(&weights) {
                let Some(y) = shell_log_signal(dwi, n, v, &shell.frames, opts.geometric_mean)
                else {
                    return (0.0, true);
                };
                slope += w * y;
            }
            ((-slope) as f32, false)
        })
        .collect();
    let nonpositive_voxels = fitted.iter().filter(|(_, bad)| *bad).count();
    let data = fitted.into_iter().map(|(a, _)| a).collect();
    Ok(AdcResult {
        adc: Volume::new(dwi.dims, 1, dwi.affine, data),
        shells: shells.iter().map(|s| (s.b, s.frames.len())).collect(),
        nonpositive_voxels,
    })
}

/// `ln` of a shell's averaged signal at voxel `v`, or None when it is not positive.
#[inline]
fn shell_log_signal(
    dwi: &Volume,
    n: usize,
    v: usize,
    frames: &[usize],
    geometric: bool,
) -> Option<f64> {
    let count = frames.len() as f64;
    if geometric {
        let mut sum_log = 0.0;
        for &f in frames {
            let s = dwi.data[f * n + v] as f64;
            if s <= 0.0 || !s.is_finite() {
                return None;
            }
            sum_log += s.ln();
        }
        Some(sum_log / count)
    } else {
        let mean = frames
            .iter()
            .map(|&f| dwi.data[f * n + v] as f64)
            .sum::<f64>()
            / count;
        (mean > 0.0 && mean.is_finite()).then(|| mean.ln())
    }
}

/// The DWI channel: the arithmetic mean of the highest shell's volumes (50 s/mm² tolerance).
///
/// Frames without a b-value (when `bvals` is shorter than the series; [`compute_adc`] rejects
/// such input) are ignored; with no b-values at all the mean of every frame is returned.
pub fn highest_b_frame(dwi: &Volume, bvals: &[f64]) -> Volume {
    let paired = bvals.len().min(dwi.frames);
    let frames: Vec<usize> =
        match group_shells(&bvals[..paired], AdcOptions::default().shell_tolerance).pop() {
            Some(shell) => shell.frames,
            None => (0..dwi.frames).collect(),
        };
    let n = dwi.frame_len();
    let scale = 1.0 / frames.len() as f64;
    let data = (0..n)
        .into_par_iter()
        .map(|v| {
            (frames
                .iter()
                .map(|&f| dwi.data[f * n + v] as f64)
                .sum::<f64>()
                * scale) as f32
        })
        .collect();
    Volume::new(dwi.dims, 1, dwi.affine, data)
}
