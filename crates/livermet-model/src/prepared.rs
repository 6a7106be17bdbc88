//! Patches from the folder `livermet prepare` writes: per patient `<id>/channels.nii.gz` (the
//! 5-channel volume on the T2 grid, frames in `livermet_image::CHANNELS` order) and
//! `<id>/manifest.json` (a [`PatchManifest`]: the tumour slices and their centres).
//!
//! Only what patches can reach is kept in memory: for each tumour slice, a square of the
//! slice around the tumour centre wide enough for the largest shift and rotation the
//! augmentation draws. Training patches come from `livermet_image`'s seeded [`Augmenter`]
//! (shift, flip, rotation), plain ones from [`cut_patch`].

use std::path::Path;
use std::sync::Arc;

use livermet_image::{AugmentConfig, Augmenter, PatchManifest, PatchSpec, cut_patch};
use livermet_io::Volume;
use rayon::prelude::*;

use crate::data::{PatchSource, PatientInfo};
use crate::error::{ModelError, Result};

/// A patient's label and clinical vector (from the cohort CSV, standardised by the caller).
#[derive(Debug, Clone)]
pub struct PatientRow {
    /// Patient id: also the name of its folder in the prepared data.
    pub patient_id: String,
    /// 1 = SLM.
    pub label: u8,
    /// Clinical vector (empty for the MRI model).
    pub clinical: Vec<f32>,
}

/// One tumour slice: the kept square of the 5-channel slice and the centre in its pixels.
#[derive(Debug, Clone)]
struct SliceCrop {
    plane: Volume,
    centre: [f64; 2],
}

/// Prepared patients, read once, cut and augmented on request.
#[derive(Debug)]
pub struct PreparedPatches {
    patients: Vec<PatientInfo>,
    /// Shared so that [`PreparedPatches::select`] re-labels patients without copying pixels.
    slices: Vec<Arc<Vec<SliceCrop>>>,
    spec: PatchSpec,
    augment: AugmentConfig,
}

impl PreparedPatches {
    /// Reads the patients `rows` from `dir`, checking that each was prepared with
    /// `channels` channels and `patch_size` patches. `progress` is called once per patient.
    pub fn load(
        dir: &Path,
        rows: &[PatientRow],
        channels: usize,
        patch_size: usize,
        augment: AugmentConfig,
        progress: &(dyn Fn() + Sync),
    ) -> Result<Self> {
        let spec = PatchSpec { size: patch_size };
        let loaded: Vec<Result<Vec<SliceCrop>>> = rows
            .par_iter()
            .map(|row| {
                let crops = load_patient(dir, row, channels, &spec, &augment);
                progress();
                crops
            })
            .collect();
        let mut patients = Vec::with_capacity(rows.len());
        let mut slices = Vec::with_capacity(rows.len());
        for (row, crops) in rows.iter().zip(loaded) {
            let crops = crops?;
            patients.push(PatientInfo {
                patient_id: row.patient_id.clone(),
                label: row.label,
                clinical: row.clinical.clone(),
                n_slices: crops.len(),
            });
            slices.push(Arc::new(crops));
        }
        Ok(PreparedPatches {
            patients,
            slices,
            spec,
            augment,
        })
    }

    /// The patients `rows` (by id, in that order) with the labels and clinical vectors of
    /// `rows`: one read of a cohort serves every fold, each with its own in-fold
    /// standardisation of the clinical vector.
    pub fn select(&self, rows: &[PatientRow]) -> Result<Self> {
        let mut patients = Vec::with_capacity(rows.len());
        let mut slices = Vec::with_capacity(rows.len());
        for row in rows {
            let i = self
                .patients
                .iter()
                .position(|p| p.patient_id == row.patient_id)
                .ok_or_else(|| ModelError::Source {
                    patient_id: row.patient_id.clone(),
                    message: "not among the patients read".into(),
                })?;
            patients.push(PatientInfo {
                patient_id: row.patient_id.clone(),
                label: row.label,
                clinical: row.clinical.clone(),
                n_slices: self.patients[i].n_slices,
            });
            slices.push(Arc::clone(&self.slices[i]));
        }
        Ok(PreparedPatches {
            patients,
            slices,
            spec: self.spec,
            augment: self.augment,
        })
    }

    fn crop(&self, patient: usize, slice: usize) -> Result<&SliceCrop> {
        self.slices
            .get(patient)
            .and_then(|s| s.get(slice))
            .ok_or_else(|| ModelError::Source {
                patient_id: self
                    .patients
                    .get(patient)
                    .map_or("?".into(), |p| p.patient_id.clone()),
                message: format!("no tumour slice #{slice}"),
            })
    }
}

/// Half-width of the square kept around the centre: the patch's half-diagonal reach under the
/// largest rotation, plus the largest shift, plus 2 pixels for bilinear sampling and rounding.
fn margin(spec: &PatchSpec, augment: &AugmentConfig) -> i64 {
    let half = spec.size as f64 / 2.0;
    let r = augment.max_rotation_deg.abs().min(45.0).to_radians();
    (half * (r.cos() + r.sin())).ceil() as i64 + augment.max_shift_px.abs().ceil() as i64 + 2
}

fn load_patient(
    dir: &Path,
    row: &PatientRow,
    channels: usize,
    spec: &PatchSpec,
    augment: &AugmentConfig,
) -> Result<Vec<SliceCrop>> {
    let id = &row.patient_id;
    let src = |message: String| ModelError::Source {
        patient_id: id.clone(),
        message,
    };
    let folder = livermet_io::patient_dir(dir, id).map_err(|e| src(e.to_string()))?;
    let manifest_path = folder.join("manifest.json");
    if !manifest_path.exists() {
        return Err(src(format!(
            "{} is missing; run `livermet prepare` on the cohort first",
            manifest_path.display()
        )));
    }
    let manifest: PatchManifest = livermet_io::read_json(&manifest_path)?;
    if manifest.patient_id != *id {
        return Err(src(format!(
            "{} belongs to patient {}",
            manifest_path.display(),
            manifest.patient_id
        )));
    }
    if manifest.patch_size != spec.size || manifest.channels.len() != channels {
        return Err(src(format!(
            "{} was prepared with {} channels and {}-pixel patches, the network expects {} and {}; \
             re-run `livermet prepare` with the same settings",
            manifest_path.display(),
            manifest.channels.len(),
            manifest.patch_size,
            channels,
            spec.size
        )));
    }
    if manifest.slices.is_empty() {
        return Err(ModelError::NoPatches {
            patient_id: id.clone(),
        });
    }
    let vol_path = folder.join("channels.nii.gz");
    let vol = livermet_io::read_volume(&vol_path)
        .map_err(|e| src(format!("{}: {e}", vol_path.display())))?;
    if vol.frames != channels {
        return Err(src(format!(
            "{} has {} frames, expected {channels}",
            vol_path.display(),
            vol.frames
        )));
    }
    let m = margin(spec, augment);
    manifest
        .slices
        .iter()
        .map(|s| {
            if s.k >= vol.dims[2] {
                return Err(src(format!(
                    "manifest slice k = {} is outside the volume",
                    s.k
                )));
            }
            Ok(crop_slice(&vol, s.k, s.centre, m))
        })
        .collect()
}

/// The `[i0, i0+w) x [j0, j0+h)` square of slice `k` around `centre` (clamped to the image),
/// with the centre moved into its pixels by an integer offset so patch rounding is unchanged.
fn crop_slice(vol: &Volume, k: usize, centre: [f64; 2], m: i64) -> SliceCrop {
    let [nx, ny, _] = vol.dims;
    let ci = (centre[0] + 0.5).floor() as i64;
    let cj = (centre[1] + 0.5).floor() as i64;
    let i0 = (ci - m).clamp(0, nx as i64) as usize;
    let i1 = (ci + m + 1).clamp(0, nx as i64) as usize;
    let j0 = (cj - m).clamp(0, ny as i64) as usize;
    let j1 = (cj + m + 1).clamp(0, ny as i64) as usize;
    let (w, h) = (i1 - i0, j1 - j0);
    let mut data = Vec::with_capacity(vol.frames * w * h);
    for t in 0..vol.frames {
        for j in j0..j1 {
            let base = vol.frame_len() * t + nx * (j + ny * k);
            data.extend_from_slice(&vol.data[base + i0..base + i1]);
        }
    }
    SliceCrop {
        plane: Volume::new([w, h, 1], vol.frames, vol.affine, data),
        centre: [centre[0] - i0 as f64, centre[1] - j0 as f64],
    }
}

impl PatchSource for PreparedPatches {
    fn patients(&self) -> &[PatientInfo] {
        &self.patients
    }

    fn training_patch(
        &self,
        patient: usize,
        slice: usize,
        seed: u64,
        out: &mut [f32],
    ) -> Result<()> {
        let c = self.crop(patient, slice)?;
        let patch =
            Augmenter::new(self.augment, seed).augmented_patch(&c.plane, 0, c.centre, &self.spec);
        out.copy_from_slice(&patch);
        Ok(())
    }

    fn plain_patch(&self, patient: usize, slice: usize, out: &mut [f32]) -> Result<()> {
        let c = self.crop(patient, slice)?;
        out.copy_from_slice(&cut_patch(&c.plane, 0, c.centre, &self.spec));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use livermet_io::IDENTITY;

    #[test]
    fn cropped_slices_give_the_patches_of_the_whole_volume() {
        let (nx, ny, nz, f) = (48, 40, 3, 5);
        let data: Vec<f32> = (0..nx * ny * nz * f)
            .map(|v| ((v * 7919) % 1000) as f32 / 100.0)
            .collect();
        let vol = Volume::new([nx, ny, nz], f, IDENTITY, data);
        let spec = PatchSpec { size: 16 };
        let aug = AugmentConfig {
            max_shift_px: 3.0,
            flip_lr: true,
            max_rotation_deg: 10.0,
        };
        // Inside, and near a corner (crop clamped to the image).
        for centre in [[24.3, 18.7], [3.0, 36.5]] {
            let crop = crop_slice(&vol, 1, centre, margin(&spec, &aug));
            assert!(crop.plane.dims[0] < nx || centre[0] < 10.0);
            assert_eq!(
                cut_patch(&crop.plane, 0, crop.centre, &spec),
                cut_patch(&vol, 1, centre, &spec)
            );
            for seed in 0..20 {
                let a =
                    Augmenter::new(aug, seed).augmented_patch(&crop.plane, 0, crop.centre, &spec);
                let b = Augmenter::new(aug, seed).augmented_patch(&vol, 1, centre, &spec);
                assert_eq!(a, b, "seed {seed} centre {centre:?}");
            }
        }
    }
}
