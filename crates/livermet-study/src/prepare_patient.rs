//! One patient through the paper's preprocessing: ADC (when not given), rigid registration of
//! T1, T1CE and DWI onto T2, B-spline resampling onto the T2 grid, z-score over the body,
//! tumour slices and patch centres.

use std::path::Path;
use std::time::Instant;

use livermet_cohort::{ImagePaths, Patient};
use livermet_image::register::{Registration, register_rigid, register_rigid_masked};
use livermet_image::{
    AdcOptions, CHANNELS, Interpolation, PatchManifest, SliceEntry, body_mask, check_roi_grid,
    compute_adc, highest_b_frame, padded_pixels, resample, tumour_centre, tumour_slices,
    zscore_normalise,
};
use livermet_io::{
    StoredType, Volume, read_dwi, read_volume, write_json_atomic, write_nifti, write_nifti_as,
};
use serde_json::json;

use crate::StudyError;
use crate::prepare::{PrepareSettings, PreparedPatient};

/// ROI-on-T2 tolerance, mm (positions of the grid corners).
const ROI_GRID_TOL_MM: f64 = 0.01;

/// (path, size, mtime seconds) of each input file (for folders, of the folder's files summed).
pub fn fingerprint(p: &Patient) -> Result<Vec<(String, u64, u64)>, StudyError> {
    let img = images(p)?;
    let mut paths = vec![&img.t2, &img.t1, &img.t1ce, &img.dwi, &img.roi];
    if let Some(adc) = &img.adc {
        paths.push(adc);
    }
    Ok(paths.into_iter().map(|path| file_stamp(path)).collect())
}

fn file_stamp(path: &Path) -> (String, u64, u64) {
    let stamp = |m: &std::fs::Metadata| {
        let t = m
            .modified()
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_secs());
        (m.len(), t)
    };
    let (mut size, mut time) = (0, 0);
    if let Ok(m) = std::fs::metadata(path) {
        if m.is_dir() {
            for e in std::fs::read_dir(path).into_iter().flatten().flatten() {
                if let Ok(m) = e.metadata() {
                    let (s, t) = stamp(&m);
                    size += s;
                    time = time.max(t);
                }
            }
        } else {
            (size, time) = stamp(&m);
        }
    }
    (path.display().to_string(), size, time)
}

fn images(p: &Patient) -> Result<&ImagePaths, StudyError> {
    p.images.as_ref().ok_or_else(|| StudyError::NoImages {
        patient: p.id.clone(),
    })
}

/// Prepare one patient into `dir` (written under a unique temporary name, then renamed).
pub fn prepare_patient(
    p: &Patient,
    dir: &Path,
    settings: &PrepareSettings,
    inputs: Vec<(String, u64, u64)>,
) -> Result<PreparedPatient, StudyError> {
    let start = Instant::now();
    let img = images(p)?;
    let io = |source| StudyError::Io {
        patient: p.id.clone(),
        source,
    };
    let step = |step: &str| {
        let (patient, step) = (p.id.clone(), step.to_string());
        move |source| StudyError::Image {
            patient,
            step,
            source,
        }
    };

    let t2 = read_volume(&img.t2).map_err(io)?;
    let roi = read_volume(&img.roi).map_err(io)?;
    check_roi_grid(&roi, &t2.grid(), ROI_GRID_TOL_MM).map_err(step("ROI"))?;
    let slices = tumour_slices(&roi, settings.max_slices).map_err(step("tumour slices"))?;
    let t1 = read_volume(&img.t1).map_err(io)?;
    let t1ce = read_volume(&img.t1ce).map_err(io)?;
    let dwi = read_dwi(&img.dwi, None).map_err(io)?;

    let adc_opts = AdcOptions {
        shell_tolerance: settings.shell_tolerance,
        geometric_mean: settings.geometric_mean,
    };
    let (adc, adc_computed, nonpositive) = match &img.adc {
        Some(path) => (read_volume(path).map_err(io)?, false, 0),
        None => {
            let r = compute_adc(&dwi.volume, &dwi.bvals, &adc_opts).map_err(step("ADC"))?;
            (r.adc, true, r.nonpositive_voxels)
        }
    };
    let dwi_high = highest_b_frame(&dwi.volume, &dwi.bvals);
    let dwi_low = lowest_b_frame(&dwi.volume, &dwi.bvals, settings.shell_tolerance);

    // The body mask of T2: the z-score statistics and the fixed-image mask of registration.
    let mask = body_mask(&t2);
    let mask_volume = Volume::new(
        t2.dims,
        1,
        t2.affine,
        mask.iter().map(|&m| f32::from(u8::from(m))).collect(),
    );

    // The three registrations are independent: run them side by side. T1 and T1CE are sampled
    // inside the T2 body mask (air carries no information, and on the synthetic cohort this cut
    // the T1 target registration error from up to 2 mm to below 0.4 mm); the DWI b = 0 volume,
    // on a coarse grid with a narrower field of view, is registered unmasked (masked, it fell into
    // a wrong optimum in 2 of 9 patients). ADC shares the DWI's grid and motion, so it reuses
    // the DWI transform (an ADC map has too little anatomy for a reliable MI optimum).
    let reg = &settings.registration;
    let masked = |moving: &Volume| register_rigid_masked(&t2, moving, Some(&mask_volume), reg);
    let (r_t1, (r_t1ce, r_dwi)) = rayon::join(
        || masked(&t1),
        || rayon::join(|| masked(&t1ce), || register_rigid(&t2, &dwi_low, reg)),
    );
    let r_t1 = r_t1.map_err(step("registration of T1 onto T2"))?;
    let r_t1ce = r_t1ce.map_err(step("registration of T1CE onto T2"))?;
    let r_dwi = r_dwi.map_err(step("registration of DWI onto T2"))?;

    let grid = t2.grid();
    let on_t2 = |v: &Volume, r: &Registration| {
        resample(v, &grid, Some(&r.transform), Interpolation::BSpline)
    };
    let raw = [
        t2.clone(),
        on_t2(&t1, &r_t1),
        on_t2(&t1ce, &r_t1ce),
        on_t2(&dwi_high, &r_dwi),
        on_t2(&adc, &r_dwi),
    ];

    // z-score every channel over one body mask, found on T2 (the reference all others now share).
    let body_voxels = mask.iter().filter(|&&m| m).count();
    let mut zscore = Vec::new();
    let mut frames = Vec::new();
    for (name, v) in CHANNELS.iter().zip(&raw) {
        let (z, stats) = zscore_normalise(v, &mask);
        zscore.push((name.to_string(), stats.mean, stats.sd));
        frames.push(z);
    }
    let channels = Volume::stack(&frames);

    let manifest = PatchManifest {
        patient_id: p.id.clone(),
        channels: CHANNELS.iter().map(|c| c.to_string()).collect(),
        patch_size: settings.patch_size,
        slices: slices
            .iter()
            .map(|&k| SliceEntry {
                k,
                centre: tumour_centre(&roi, k),
                tumour_voxels: tumour_voxels(&roi, k),
            })
            .collect(),
    };
    let record = PreparedPatient {
        patient_id: p.id.clone(),
        settings: settings.clone(),
        inputs,
        adc_computed,
        adc_nonpositive_voxels: nonpositive,
        zscore,
        body_voxels,
        padded_pixels: manifest
            .slices
            .iter()
            .map(|s| padded_pixels(channels.dims, s.centre, settings.patch_size))
            .sum(),
        manifest,
        seconds: start.elapsed().as_secs_f64(),
    };
    let transforms = json!({
        "convention": "4x4 row-major, world RAS mm, maps T2 (fixed) points into the moving image's world (ITK)",
        "t1": registration_json(&r_t1),
        "t1ce": registration_json(&r_t1ce),
        "dwi": registration_json(&r_dwi),
        "adc": "uses the dwi transform",
    });
    write_patient_dir(dir, &channels, &roi, &transforms, &record).map_err(io)?;
    Ok(record)
}

/// Mean of the lowest-b shell's volumes: the DWI volume with the most anatomy, used for
/// registration (also used by the registration diagnostics in `examples/`).
pub fn lowest_b_frame(dwi: &Volume, bvals: &[f64], tolerance: f64) -> Volume {
    let bmin = bvals.iter().copied().fold(f64::INFINITY, f64::min);
    let picked: Vec<usize> = (0..bvals.len())
        .filter(|&t| bvals[t] - bmin <= tolerance)
        .collect();
    let mut out = dwi.frame(picked[0]);
    for &t in &picked[1..] {
        for (o, v) in out.data.iter_mut().zip(&dwi.frame(t).data) {
            *o += v;
        }
    }
    let n = picked.len() as f32;
    out.data.iter_mut().for_each(|v| *v /= n);
    out
}

fn tumour_voxels(roi: &Volume, k: usize) -> usize {
    let n = roi.dims[0] * roi.dims[1];
    roi.data[k * n..(k + 1) * n]
        .iter()
        .filter(|&&v| v != 0.0)
        .count()
}

fn registration_json(r: &Registration) -> serde_json::Value {
    json!({ "matrix": r.transform, "metric": r.metric, "iterations": r.iterations, "seconds": r.seconds, "overlap": r.overlap })
}

/// Write the patient's folder under a temporary name, then swap it into place.
fn write_patient_dir(
    dir: &Path,
    channels: &Volume,
    roi: &Volume,
    transforms: &serde_json::Value,
    record: &PreparedPatient,
) -> Result<(), livermet_io::IoError> {
    let mask = Volume::new(
        roi.dims,
        1,
        roi.affine,
        roi.data
            .iter()
            .map(|&v| f32::from(u8::from(v != 0.0)))
            .collect(),
    );
    livermet_io::write_dir_atomic(dir, |tmp| {
        write_nifti(channels, &tmp.join("channels.nii.gz"))?;
        write_nifti_as(&mask, &tmp.join("roi.nii.gz"), StoredType::UInt8)?;
        write_json_atomic(&tmp.join("transforms.json"), transforms)?;
        write_json_atomic(&tmp.join("manifest.json"), &record.manifest)?;
        write_json_atomic(&tmp.join("prepared.json"), record)
    })
}
