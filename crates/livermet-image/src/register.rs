//! Rigid multi-modal registration: Mattes MI, multi-resolution, regular-step gradient descent.
//!
//! The protocol (ITK's classic rigid set-up, which the paper's SPM12 coregistration step
//! corresponds to; SPM uses normalised MI and Powell, we use Mattes MI and gradient descent):
//! 1. centre of rotation = the fixed image's geometric centre; initial translation aligns the
//!    images' geometric centres (ITK `CenteredTransformInitializer` GEOMETRY), their
//!    intensity centres of mass (MOMENTS), or keeps the scanner coordinates (header);
//! 2. for each level of the pyramid (shrink 4, 2, 1 with sigmas 2, 1, 0; anisotropic voxels
//!    shrink less through-plane, see [`crate::pyramid`]; the level's target spacing and blur
//!    are set by the fixed image's voxel size and used for both images, so a coarse moving
//!    image is not blurred more than the fixed one): a fixed sample set (a seeded random
//!    subset of jittered voxel positions, `coarse_samples` at the coarser levels and `samples`
//!    at the finest, or every voxel; only points the initial transform maps at least
//!    `fov_margin_mm` inside the moving image), then regular-step gradient descent
//!    ([`crate::optimiser`]) on `-MI` ([`crate::mattes`]) starting from the previous level,
//!    restarted from its best point while that still improves (`restarts`, from level
//!    `first_restart_level` on);
//! 3. a final check that the images overlap: at least `min_overlap` of the fixed samples must
//!    map inside the moving image, otherwise [`ImageError::RegistrationFailed`].
//!
//! Deterministic: the sample sets depend only on `seed` and the images.

use std::time::Instant;

use livermet_io::{Affine, Volume, apply_affine, invert_affine};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::ImageError;
use crate::mattes::{FixedSamples, MattesMetric, MovingImage};
use crate::optimiser::{StepSettings, StopReason, restarted_descent};
use crate::pyramid::{
    linear_at, min_spacing, pyramid_level, pyramid_level_to, shrink_factors, shrink_factors_to,
};
use crate::transform::RigidTransform;

/// How the transform starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Initialisation {
    /// Align the images' geometric centres (ITK GEOMETRY).
    #[default]
    Geometry,
    /// Align the images' intensity centres of mass (ITK MOMENTS), intensities shifted to >= 0.
    Moments,
    /// Start from the identity: trust the scanner (header) coordinates.
    Header,
}

impl std::str::FromStr for Initialisation {
    type Err = String;

    /// `geometry`, `moments` or `header` (as serialised and on the command line).
    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "geometry" => Ok(Initialisation::Geometry),
            "moments" => Ok(Initialisation::Moments),
            "header" => Ok(Initialisation::Header),
            _ => Err(format!(
                "`{s}` is not an initialisation; use geometry, moments or header"
            )),
        }
    }
}

/// Registration settings; the defaults are the ones `prepare` uses.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct RegistrationOptions {
    /// Joint-histogram bins of Mattes MI (ITK default 50).
    pub bins: usize,
    /// Fixed-image samples at the finest level; 0 or more than the level's voxels means every
    /// voxel.
    pub samples: usize,
    /// Fixed-image samples at the coarser levels (same rules; 0 = `samples`; capped at
    /// `samples` when that is not 0): a coarse level only has to land in the finer level's
    /// basin, and its smoother images need fewer.
    pub coarse_samples: usize,
    /// Seed of the sample sets.
    pub seed: u64,
    /// How the transform starts.
    pub initialisation: Initialisation,
    /// Nominal shrink factor per level, coarse to fine.
    pub shrink_factors: Vec<usize>,
    /// Gaussian sigma per level, in that level's voxels.
    pub smoothing_sigmas: Vec<f64>,
    /// First optimiser step, in units of the level's nominal voxel size (shrink x smallest
    /// fixed voxel size), i.e. mm of point motion / that size.
    pub initial_step_voxels: f64,
    /// Stop the finest level when the step falls below this (same units).
    pub min_step_voxels: f64,
    /// Stop a coarser level when the step falls below this (same units): a coarse level only
    /// has to land in the finer level's basin, so it need not converge as tightly.
    pub coarse_min_step_voxels: f64,
    /// Step multiplier when the gradient reverses.
    pub relaxation: f64,
    /// Most metric evaluations per optimiser run (a level makes at most `1 + restarts` runs).
    pub max_iterations: usize,
    /// Smallest fraction of fixed samples that must map inside the moving image.
    pub min_overlap: f64,
    /// Fixed samples are drawn only where the initial transform maps them at least this far
    /// (mm) inside the moving image's extent, so the sampled population stays the same while
    /// the images move by less than this (samples leaving the moving image are dropped, and a
    /// changing overlap biases MI); 0 = no margin. Ignored when it would leave under a quarter
    /// of the samples.
    pub fov_margin_mm: f64,
    /// Restarts of the optimiser per level from its best point with half the first step, while
    /// they still improve ([`crate::optimiser::restarted_descent`]); 0 = ITK's single run.
    pub restarts: usize,
    /// The first pyramid level (0 = coarsest) that restarts; the coarser ones make one run, as
    /// what they leave behind the next level's restarts pick up.
    pub first_restart_level: usize,
}

impl Default for RegistrationOptions {
    fn default() -> Self {
        Self {
            bins: 50,
            samples: 30_000,
            coarse_samples: 15_000,
            seed: 42,
            initialisation: Initialisation::Geometry,
            shrink_factors: vec![4, 2, 1],
            smoothing_sigmas: vec![2.0, 1.0, 0.0],
            initial_step_voxels: 2.0,
            min_step_voxels: 0.01,
            coarse_min_step_voxels: 0.05,
            relaxation: 0.5,
            max_iterations: 200,
            min_overlap: 0.2,
            fov_margin_mm: 5.0,
            restarts: 3,
            first_restart_level: 1,
        }
    }
}

impl RegistrationOptions {
    /// The first option that cannot register: the field's name and what is wrong with it
    /// (written so that NaN fails every check).
    pub fn problem(&self) -> Option<(&'static str, String)> {
        let bad = |name: &'static str, why: String| Some((name, why));
        let positive = |name: &'static str, v: f64| {
            (!(v > 0.0 && v.is_finite()))
                .then(|| (name, format!("is {v}; it must be a positive number")))
        };
        if self.bins < 2 {
            return bad(
                "bins",
                format!("is {}; Mattes MI needs at least 2", self.bins),
            );
        }
        if self.shrink_factors.is_empty() || self.shrink_factors.contains(&0) {
            return bad(
                "shrink_factors",
                format!(
                    "is {:?}; it must list at least one level, each at least 1",
                    self.shrink_factors
                ),
            );
        }
        if self.smoothing_sigmas.len() != self.shrink_factors.len()
            || !self
                .smoothing_sigmas
                .iter()
                .all(|s| *s >= 0.0 && s.is_finite())
        {
            return bad(
                "smoothing_sigmas",
                format!(
                    "is {:?}; it must list one non-negative sigma per shrink factor ({})",
                    self.smoothing_sigmas,
                    self.shrink_factors.len()
                ),
            );
        }
        if let Some(p) = positive("initial_step_voxels", self.initial_step_voxels)
            .or_else(|| positive("min_step_voxels", self.min_step_voxels))
            .or_else(|| positive("coarse_min_step_voxels", self.coarse_min_step_voxels))
        {
            return Some(p);
        }
        if !(self.relaxation > 0.0 && self.relaxation < 1.0) {
            return bad(
                "relaxation",
                format!("is {}; it must lie in (0, 1)", self.relaxation),
            );
        }
        if self.max_iterations == 0 {
            return bad("max_iterations", "is 0; it must be at least 1".into());
        }
        if !(self.min_overlap > 0.0 && self.min_overlap <= 1.0) {
            return bad(
                "min_overlap",
                format!("is {}; it must lie in (0, 1]", self.min_overlap),
            );
        }
        if !(self.fov_margin_mm >= 0.0 && self.fov_margin_mm.is_finite()) {
            return bad(
                "fov_margin_mm",
                format!(
                    "is {}; it must be a non-negative number of mm",
                    self.fov_margin_mm
                ),
            );
        }
        None
    }
}

/// What happened at one pyramid level.
#[derive(Debug, Clone, Serialize)]
pub struct LevelReport {
    /// Shrink factors used on the fixed image's axes.
    pub fixed_shrink: [usize; 3],
    /// Shrink factors used on the moving image's axes.
    pub moving_shrink: [usize; 3],
    /// Fixed samples.
    pub samples: usize,
    /// Metric evaluations.
    pub iterations: usize,
    /// Best `-MI` at this level.
    pub metric: f64,
    /// Why the optimiser stopped.
    pub stop: StopReason,
    /// Wall time of the level: building its images and samples.
    pub prepare_seconds: f64,
    /// Wall time of the level: optimising.
    pub optimise_seconds: f64,
}

/// A registration result.
#[derive(Debug, Clone, Serialize)]
pub struct Registration {
    /// Fixed world RAS mm -> moving world RAS mm (ITK's direction; what resampling needs).
    pub transform: Affine,
    /// Euler parameters `[angle_x, angle_y, angle_z, t_x, t_y, t_z]` (rad, mm) about `centre`.
    pub params: [f64; 6],
    /// Centre of rotation (the fixed image's centre), world RAS mm.
    pub centre: [f64; 3],
    /// Final `-MI` (Mattes; lower is better).
    pub metric: f64,
    /// Metric evaluations over all levels.
    pub iterations: usize,
    /// Wall time.
    pub seconds: f64,
    /// Fraction of the final level's fixed samples inside the moving image.
    pub overlap: f64,
    /// Per level, coarse to fine.
    pub levels: Vec<LevelReport>,
}

impl Registration {
    /// One line: the rotation (degrees) and translation (mm), the Mattes MI (higher is
    /// better), the metric evaluations and the time.
    pub fn summary(&self) -> String {
        let [rx, ry, rz, tx, ty, tz] = self.params;
        format!(
            "rotation ({:.2}, {:.2}, {:.2}) deg, translation ({tx:.2}, {ty:.2}, {tz:.2}) mm, \
             Mattes MI {:.4}, {} iterations, {:.2} s",
            rx.to_degrees(),
            ry.to_degrees(),
            rz.to_degrees(),
            -self.metric,
            self.iterations,
            self.seconds
        )
    }
}

/// Register `moving` onto `fixed` (frame 0 of each) with the whole fixed image sampled.
pub fn register_rigid(
    fixed: &Volume,
    moving: &Volume,
    opts: &RegistrationOptions,
) -> Result<Registration, ImageError> {
    register_rigid_masked(fixed, moving, None, opts)
}

/// Register `moving` onto `fixed`, sampling the fixed image only where `mask` (any grid; looked
/// up at the nearest mask voxel of each sample point) is non-zero.
pub fn register_rigid_masked(
    fixed: &Volume,
    moving: &Volume,
    mask: Option<&Volume>,
    opts: &RegistrationOptions,
) -> Result<Registration, ImageError> {
    let start = Instant::now();
    let fail = |reason: String| ImageError::RegistrationFailed { reason };
    if opts.shrink_factors.is_empty() || opts.shrink_factors.len() != opts.smoothing_sigmas.len() {
        return Err(fail(
            "shrink_factors and smoothing_sigmas must be non-empty and of equal length".into(),
        ));
    }
    if opts.bins < 8 {
        return Err(fail(format!(
            "{} histogram bins is too few (use 32-64)",
            opts.bins
        )));
    }
    let (mlo, mhi, _) = moving.frame(0).min_max_mean();
    let (flo, fhi, _) = fixed.frame(0).min_max_mean();
    if mhi <= mlo {
        return Err(fail(format!(
            "the moving image has one intensity ({mlo}) everywhere: nothing to align"
        )));
    }
    if fhi <= flo {
        return Err(fail(format!(
            "the fixed image has one intensity ({flo}) everywhere: nothing to align"
        )));
    }
    let centre = grid_centre(fixed);
    let mut params = initial_params(fixed, moving, opts.initialisation);
    let init = RigidTransform { params, centre }.to_matrix();
    let min_fixed_spacing = fixed.voxel_size().into_iter().fold(f64::INFINITY, f64::min);
    let mut levels = Vec::new();
    let mut overlap = 0.0;
    let mut metric_value = 0.0;
    for (level, (&shrink, &sigma)) in opts
        .shrink_factors
        .iter()
        .zip(&opts.smoothing_sigmas)
        .enumerate()
    {
        let level_start = Instant::now();
        let (samples, image, mut metric) = level_setup(
            fixed, moving, mask, &init, opts, level, shrink, sigma, centre,
        )?;
        // Rotation scale: RMS distance of the samples from the centre (mm per radian).
        let radius = (samples
            .offsets
            .iter()
            .map(|d| d[0] * d[0] + d[1] * d[1] + d[2] * d[2])
            .sum::<f64>()
            / samples.len() as f64)
            .sqrt()
            .max(1.0);
        let spacing = shrink as f64 * min_fixed_spacing;
        let settings = StepSettings {
            initial_step: opts.initial_step_voxels * spacing,
            min_step: spacing
                * if level + 1 == opts.shrink_factors.len() {
                    opts.min_step_voxels
                } else {
                    opts.coarse_min_step_voxels
                },
            relaxation: opts.relaxation,
            gradient_tolerance: 1e-12,
            max_iterations: opts.max_iterations,
        };
        let n = samples.len() as f64;
        let start_overlap = metric
            .evaluate(&samples, &image, &RigidTransform { params, centre })
            .valid as f64
            / n;
        if start_overlap < opts.min_overlap {
            return Err(fail(format!(
                "the images do not overlap at the start (level {}: {:.0}% of fixed samples inside the moving image, \
                 need {:.0}%): check both images show the same patient, or try another initialisation",
                level + 1,
                100.0 * start_overlap,
                100.0 * opts.min_overlap
            )));
        }
        let prepare_seconds = level_start.elapsed().as_secs_f64();
        let result = restarted_descent(
            params,
            [radius, radius, radius, 1.0, 1.0, 1.0],
            &settings,
            if level >= opts.first_restart_level {
                opts.restarts
            } else {
                0
            },
            |p| {
                let m = metric.evaluate(&samples, &image, &RigidTransform { params: *p, centre });
                if (m.valid as f64) < 0.05 * n {
                    return Err(fail(format!(
                        "the images stopped overlapping during the optimisation (level {}: {} of {} samples inside)",
                        level + 1,
                        m.valid,
                        samples.len()
                    )));
                }
                Ok((m.value, m.gradient))
            },
        )?;
        params = result.params;
        let end = metric.evaluate(&samples, &image, &RigidTransform { params, centre });
        overlap = end.valid as f64 / n;
        metric_value = end.value;
        levels.push(LevelReport {
            fixed_shrink: shrink_factors(fixed, shrink),
            moving_shrink: shrink_factors_to(moving, shrink as f64 * min_fixed_spacing),
            samples: samples.len(),
            iterations: result.iterations,
            metric: end.value,
            stop: result.stop,
            prepare_seconds,
            optimise_seconds: level_start.elapsed().as_secs_f64() - prepare_seconds,
        });
    }
    if overlap < opts.min_overlap {
        return Err(fail(format!(
            "the images do not overlap after registration ({:.0}% of fixed samples inside the moving image, need {:.0}%)",
            100.0 * overlap,
            100.0 * opts.min_overlap
        )));
    }
    if params.iter().any(|p| !p.is_finite()) {
        return Err(fail(
            "the optimiser diverged (non-finite parameters)".into(),
        ));
    }
    let transform = RigidTransform { params, centre };
    Ok(Registration {
        transform: transform.to_matrix(),
        params,
        centre,
        metric: metric_value,
        iterations: levels.iter().map(|l| l.iterations).sum(),
        seconds: start.elapsed().as_secs_f64(),
        overlap,
        levels,
    })
}

/// One level's fixed sample set, moving image and metric.
#[allow(clippy::too_many_arguments)]
fn level_setup(
    fixed: &Volume,
    moving: &Volume,
    mask: Option<&Volume>,
    init: &Affine,
    opts: &RegistrationOptions,
    level: usize,
    shrink: usize,
    sigma: f64,
    centre: [f64; 3],
) -> Result<(FixedSamples, MovingImage, MattesMetric), ImageError> {
    let fixed_level = pyramid_level(fixed, shrink, sigma);
    // The moving image is blurred and shrunk towards the fixed image's target spacing, so both
    // carry the same detail at every level whatever their voxel sizes.
    let moving_level = pyramid_level_to(moving, shrink as f64 * min_spacing(fixed), sigma);
    let within = margin_filter(moving, init, opts.fov_margin_mm);
    let seed = opts.seed.wrapping_add(level as u64);
    let count = if level + 1 < opts.shrink_factors.len() && opts.coarse_samples > 0 {
        // Never more than the finest level's (0 there = every voxel).
        match opts.samples {
            0 => opts.coarse_samples,
            n => opts.coarse_samples.min(n),
        }
    } else {
        opts.samples
    };
    let (mut points, mut values) = sample_points(&fixed_level, mask, &within, count, seed);
    let wanted = count.min(fixed_level.frame_len());
    if opts.fov_margin_mm > 0.0 && (points.len() < 32 || 4 * points.len() < wanted) {
        // The margin leaves too little of the fixed image (small or barely overlapping moving
        // image): sample without it, and let the overlap checks speak.
        (points, values) = sample_points(&fixed_level, mask, &|_| true, count, seed);
    }
    if points.len() < 32 {
        return Err(ImageError::RegistrationFailed {
            reason: format!(
                "only {} fixed-image samples inside the mask: is the mask empty?",
                points.len()
            ),
        });
    }
    let samples = FixedSamples::new(&points, &values, centre, opts.bins);
    let image = MovingImage::new(&moving_level);
    let metric = MattesMetric::new(opts.bins, image.range());
    Ok((samples, image, metric))
}

/// Diagnostics: the `-MI` value (and fraction of samples inside the moving image) that each
/// level of [`register_rigid_masked`] with these options would see at each of `transforms`
/// (fixed -> moving matrices), e.g. the truth against a found solution. `result[level][i]`.
pub fn metric_at_levels(
    fixed: &Volume,
    moving: &Volume,
    mask: Option<&Volume>,
    opts: &RegistrationOptions,
    transforms: &[Affine],
) -> Result<Vec<Vec<(f64, f64)>>, ImageError> {
    let centre = grid_centre(fixed);
    let init = RigidTransform {
        params: initial_params(fixed, moving, opts.initialisation),
        centre,
    }
    .to_matrix();
    let mut out = Vec::new();
    for (level, (&shrink, &sigma)) in opts
        .shrink_factors
        .iter()
        .zip(&opts.smoothing_sigmas)
        .enumerate()
    {
        let (samples, image, mut metric) = level_setup(
            fixed, moving, mask, &init, opts, level, shrink, sigma, centre,
        )?;
        let n = samples.len() as f64;
        out.push(
            transforms
                .iter()
                .map(|m| {
                    let t = RigidTransform::from_matrix(m, centre);
                    let v = metric.evaluate(&samples, &image, &t);
                    (v.value, v.valid as f64 / n)
                })
                .collect(),
        );
    }
    Ok(out)
}

/// The test "`init` maps this fixed point at least `margin_mm` inside the moving image's
/// extent (its voxel centres)", per axis; axes of one voxel, and a margin over a quarter of an
/// axis, are capped so something always remains.
fn margin_filter(moving: &Volume, init: &Affine, margin_mm: f64) -> impl Fn([f64; 3]) -> bool {
    let to_voxel = livermet_io::mat4_mul(&invert_affine(&moving.affine), init);
    let spacing = moving.voxel_size();
    let dims = moving.dims;
    let margin: [f64; 3] =
        std::array::from_fn(|d| (margin_mm.max(0.0) / spacing[d]).min((dims[d] - 1) as f64 / 4.0));
    move |p| {
        if margin_mm <= 0.0 {
            return true;
        }
        let c = apply_affine(&to_voxel, p);
        (0..3).all(|d| {
            dims[d] == 1 || (c[d] >= margin[d] && c[d] <= (dims[d] - 1) as f64 - margin[d])
        })
    }
}

/// World position of the grid's centre (voxel `(n - 1) / 2` on each axis).
pub fn grid_centre(vol: &Volume) -> [f64; 3] {
    vol.voxel_to_world(vol.dims.map(|d| (d as f64 - 1.0) / 2.0))
}

/// Intensity centre of mass of frame 0, intensities shifted so the minimum is 0.
pub fn centre_of_mass(vol: &Volume) -> [f64; 3] {
    let (lo, _, _) = vol.frame(0).min_max_mean();
    let [nx, ny, nz] = vol.dims;
    let (mut sum, mut acc) = (0.0f64, [0.0f64; 3]);
    for k in 0..nz {
        for j in 0..ny {
            for i in 0..nx {
                let w = (vol.get(i, j, k) - lo) as f64;
                sum += w;
                acc[0] += w * i as f64;
                acc[1] += w * j as f64;
                acc[2] += w * k as f64;
            }
        }
    }
    if sum <= 0.0 {
        return grid_centre(vol);
    }
    vol.voxel_to_world(acc.map(|a| a / sum))
}

/// Starting parameters: no rotation, translation from the initialisation.
fn initial_params(fixed: &Volume, moving: &Volume, init: Initialisation) -> [f64; 6] {
    let (f, m) = match init {
        Initialisation::Geometry => (grid_centre(fixed), grid_centre(moving)),
        Initialisation::Moments => (centre_of_mass(fixed), centre_of_mass(moving)),
        Initialisation::Header => ([0.0; 3], [0.0; 3]),
    };
    [0.0, 0.0, 0.0, m[0] - f[0], m[1] - f[1], m[2] - f[2]]
}

/// Fixed sample points (world mm) and intensities: every voxel when `count` is 0 or at least
/// the number of voxels, else `count` seeded random voxels each jittered uniformly within its
/// voxel (jitter breaks the grid alignment that makes interpolated MI jagged). With a mask,
/// points whose nearest mask voxel is zero (or outside the mask) are skipped, and so are points
/// `within` rejects.
fn sample_points(
    level: &Volume,
    mask: Option<&Volume>,
    within: &dyn Fn([f64; 3]) -> bool,
    count: usize,
    seed: u64,
) -> (Vec<[f64; 3]>, Vec<f32>) {
    let mask_inverse = mask.map(|m| invert_affine(&m.affine));
    let inside_mask = |p: [f64; 3]| {
        within(p)
            && match (mask, &mask_inverse) {
                (Some(m), Some(inv)) => {
                    let c = apply_affine(inv, p).map(|x| x.round());
                    (0..3).all(|d| c[d] >= 0.0 && c[d] < m.dims[d] as f64)
                        && m.get(c[0] as usize, c[1] as usize, c[2] as usize) != 0.0
                }
                _ => true,
            }
    };
    let voxels = level.frame_len();
    let (mut points, mut values) = (Vec::new(), Vec::new());
    if count == 0 || count >= voxels {
        for k in 0..level.dims[2] {
            for j in 0..level.dims[1] {
                for i in 0..level.dims[0] {
                    let p = level.voxel_to_world([i as f64, j as f64, k as f64]);
                    if inside_mask(p) {
                        points.push(p);
                        values.push(level.get(i, j, k));
                    }
                }
            }
        }
        return (points, values);
    }
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let max_draws = 20 * count;
    let mut draws = 0;
    while points.len() < count && draws < max_draws {
        draws += 1;
        let c = level.dims.map(|n| {
            let base = rng.random_range(0..n) as f64;
            let jitter: f64 = rng.random_range(-0.5..0.5);
            (base + jitter).clamp(0.0, (n - 1) as f64)
        });
        let p = level.voxel_to_world(c);
        if inside_mask(p) {
            points.push(p);
            values.push(linear_at(level, c));
        }
    }
    (points, values)
}
