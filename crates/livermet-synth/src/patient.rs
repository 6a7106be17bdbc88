//! One patient's images and imaging truth, in memory (writing them is `cohort`'s job).

use livermet_io::{Affine, Grid, IDENTITY, Volume};
use rand::Rng;

use crate::phantom::Phantom;
use crate::render::{B_VALUES, acquire, dwi_signals, fit_adc, sample_grid};
use crate::scanner::{Protocol, ScannerProfile, random_rigid};
use crate::truth::{AdcStats, ImageTruth, Transforms};

/// Largest rotation (degrees, per axis) and shift (mm, per axis) of a moving sequence.
pub const MAX_ROTATION_DEG: f64 = 3.0;
pub const MAX_SHIFT_MM: f64 = 4.0;

/// Sub-samples per voxel axis: across the slice for the anatomical sequences, and in-plane too
/// for the coarse DWI voxels.
const SS_ANATOMICAL: [usize; 3] = [1, 1, 3];
const SS_DWI: [usize; 3] = [2, 2, 3];

/// A patient's volumes (T2 grid is the reference) and their truth.
#[derive(Debug, Clone)]
pub struct PatientImages {
    pub t2: Volume,
    pub t1: Volume,
    pub t1ce: Volume,
    /// 4D: one frame per b-value of [`B_VALUES`].
    pub dwi: Volume,
    /// Tumour mask on the T2 grid (1 = tumour).
    pub roi: Volume,
    pub truth: ImageTruth,
    /// The continuous phantom the volumes were sampled from (for checks against truth).
    pub phantom: Phantom,
}

/// The grids of a patient's four sequences on a scanner.
#[derive(Debug, Clone, Copy)]
pub struct Grids {
    pub t2: Grid,
    pub t1: Grid,
    pub t1ce: Grid,
    pub dwi: Grid,
}

impl Grids {
    pub fn new(protocol: &Protocol, scanner: &ScannerProfile) -> Grids {
        Grids {
            t2: scanner.grid(&protocol.t2),
            t1: scanner.grid(&protocol.t1),
            t1ce: scanner.grid(&protocol.t1ce),
            dwi: scanner.grid(&protocol.dwi),
        }
    }
}

/// Make one patient from its image stream `rng` and latent score: phantom, the three moving
/// sequences' transforms, then each sequence sampled, biased and given Rician noise (in this
/// order, so the stream's use is fixed).
pub fn synthesise_images<R: Rng + ?Sized>(
    rng: &mut R,
    protocol: &Protocol,
    scanner: &ScannerProfile,
    latent: f64,
) -> PatientImages {
    let grids = Grids::new(protocol, scanner);
    let t2_voxel = grids.t2.affine[2][2].abs();
    let fov_z = t2_voxel * protocol.t2.dims[2] as f64;
    let phantom = Phantom::random(
        rng,
        protocol.anatomy_scale,
        t2_voxel,
        protocol.max_tumour_slices,
        fov_z,
        latent,
    );
    let transforms = Transforms {
        t1: random_rigid(rng, MAX_ROTATION_DEG, MAX_SHIFT_MM),
        t1ce: random_rigid(rng, MAX_ROTATION_DEG, MAX_SHIFT_MM),
        dwi: random_rigid(rng, MAX_ROTATION_DEG, MAX_SHIFT_MM),
    };
    let sd = scanner.noise * scanner.intensity_scale;

    let t2s = sample_grid(&phantom, &grids.t2, &IDENTITY, SS_ANATOMICAL, |s| {
        [s.props.t2, f64::from(u8::from(s.in_tumour))]
    });
    let t2 = volume(
        &grids.t2,
        acquire(&first(&t2s), &grids.t2, scanner, sd, Some(&mut *rng)),
    );
    let roi_data: Vec<f32> = t2s
        .iter()
        .map(|v| if v[1] >= 0.5 { 1.0 } else { 0.0 })
        .collect();
    let roi = volume(&grids.t2, roi_data);

    let t1 = anatomical(&phantom, &grids.t1, &transforms.t1, scanner, sd, rng, |s| {
        s.props.t1
    });
    let t1ce = anatomical(
        &phantom,
        &grids.t1ce,
        &transforms.t1ce,
        scanner,
        sd,
        rng,
        |s| s.props.t1ce,
    );
    let (dwi, tumour_adc_map) = dwi(&phantom, &grids.dwi, &transforms.dwi, scanner, rng);

    let (slices, roi_voxels) = tumour_slices(&roi);
    let truth = ImageTruth {
        transforms,
        tumour_adc_mm2_s: phantom.tumour.signal.adc,
        tumour_adc_map,
        tumour_slices: slices,
        tumour_slice_count: slices[1] + 1 - slices[0],
        roi_voxels,
        tumour_centre_mm: phantom.tumour.centre,
        signal: phantom.tumour.signal,
    };
    PatientImages {
        t2,
        t1,
        t1ce,
        dwi,
        roi,
        truth,
        phantom,
    }
}

fn volume(grid: &Grid, data: Vec<f32>) -> Volume {
    Volume::new(
        grid.dims,
        data.len() / (grid.dims[0] * grid.dims[1] * grid.dims[2]),
        grid.affine,
        data,
    )
}

fn first<const N: usize>(v: &[[f64; N]]) -> Vec<f64> {
    v.iter().map(|a| a[0]).collect()
}

/// An anatomical sequence (T1WI, T1CE) on its moved grid.
fn anatomical<R: Rng + ?Sized>(
    phantom: &Phantom,
    grid: &Grid,
    t: &Affine,
    scanner: &ScannerProfile,
    sd: f64,
    rng: &mut R,
    f: impl Fn(&crate::phantom::Sample) -> f64,
) -> Volume {
    let vals = sample_grid(phantom, grid, t, SS_ANATOMICAL, |s| [f(s)]);
    volume(grid, acquire(&first(&vals), grid, scanner, sd, Some(rng)))
}

/// The DWI series (one frame per b-value, same bias and its own Rician noise) and the ADC a
/// noiseless fit gives in voxels wholly inside the tumour.
fn dwi<R: Rng + ?Sized>(
    phantom: &Phantom,
    grid: &Grid,
    t: &Affine,
    scanner: &ScannerProfile,
    rng: &mut R,
) -> (Volume, AdcStats) {
    let vals = sample_grid(phantom, grid, t, SS_DWI, |s| {
        let [a, b, c] = dwi_signals(s);
        [a, b, c, f64::from(u8::from(s.in_tumour))]
    });
    let inside: Vec<f64> = vals
        .iter()
        .filter(|v| v[3] >= 1.0 - 1e-9)
        .map(|v| fit_adc(&[v[0], v[1], v[2]]))
        .collect();
    let sd = scanner.dwi_noise * scanner.intensity_scale;
    let mut data = Vec::with_capacity(vals.len() * B_VALUES.len());
    for b in 0..B_VALUES.len() {
        let frame: Vec<f64> = vals.iter().map(|v| v[b]).collect();
        data.extend(acquire(&frame, grid, scanner, sd, Some(&mut *rng)));
    }
    (volume(grid, data), AdcStats::of(&inside))
}

/// First and last slice (k) of the mask holding a nonzero voxel, and the mask's voxel count.
/// An empty mask gives `[0, 0]` and 0 (the phantom always puts the tumour inside the grid).
pub fn tumour_slices(roi: &Volume) -> ([usize; 2], usize) {
    let per_slice = roi.dims[0] * roi.dims[1];
    let counts: Vec<usize> = roi
        .data
        .chunks(per_slice)
        .map(|s| s.iter().filter(|&&v| v != 0.0).count())
        .collect();
    let first = counts.iter().position(|&c| c > 0).unwrap_or(0);
    let last = counts.iter().rposition(|&c| c > 0).unwrap_or(0);
    ([first, last], counts.iter().sum())
}
