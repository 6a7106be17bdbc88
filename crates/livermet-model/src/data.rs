//! Where training and inference patches come from.
//!
//! A [`PatchSource`] lists patients (label, clinical vector, number of tumour slices) and makes
//! one channel-major `[in_channels][S][S]` patch per (patient, slice) on request: augmented
//! for training (the augmentation is a pure function of the `seed` passed in, so an epoch is
//! reproducible), or the plain centred patch for validation and inference. The prepared-data
//! reader (`livermet train`) and the in-memory [`InMemoryPatches`] (tests, benchmarks) both
//! implement it, so the training loop never knows where patches live.

use crate::error::{ModelError, Result};

/// One patient as the network sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct PatientInfo {
    /// Pseudonymous patient id (never a DICOM identifier).
    pub patient_id: String,
    /// The label: 1 = synchronous liver metastases, 0 = none.
    pub label: u8,
    /// The standardised clinical vector (empty for the MRI model).
    pub clinical: Vec<f32>,
    /// Tumour slices available (the patient contributes one patch per slice and copy).
    pub n_slices: usize,
}

/// A supplier of patients and their patches.
pub trait PatchSource {
    /// The patients, in a fixed order (indices below refer to it).
    fn patients(&self) -> &[PatientInfo];

    /// Writes the augmented training patch of `patient`'s slice `slice` into `out`
    /// (`in_channels * S * S` values, channel-major). All randomness comes from `seed`.
    fn training_patch(
        &self,
        patient: usize,
        slice: usize,
        seed: u64,
        out: &mut [f32],
    ) -> Result<()>;

    /// Writes the un-augmented patch (centred on the tumour) of `patient`'s slice `slice`.
    fn plain_patch(&self, patient: usize, slice: usize, out: &mut [f32]) -> Result<()>;
}

/// Checks that every patient has at least one slice and a clinical vector of `n_clinical`.
pub fn check_source(source: &dyn PatchSource, n_clinical: usize) -> Result<()> {
    if source.patients().is_empty() {
        return Err(ModelError::EmptyData(
            "no patients to train or score on".into(),
        ));
    }
    for p in source.patients() {
        if p.n_slices == 0 {
            return Err(ModelError::NoPatches {
                patient_id: p.patient_id.clone(),
            });
        }
        if n_clinical > 0 && p.clinical.len() != n_clinical {
            return Err(ModelError::ShapeMismatch {
                patient_id: p.patient_id.clone(),
                what: "clinical vector",
                got: p.clinical.len(),
                expected: n_clinical,
            });
        }
    }
    Ok(())
}

/// Patients whose patches are already in memory (one `[C][S][S]` patch per slice).
///
/// Training augmentation here is a seeded left-right flip: enough for tests and benchmarks;
/// the full augmentation (crop jitter, flip, rotation) lives in the prepared-data source.
#[derive(Debug, Clone)]
pub struct InMemoryPatches {
    patients: Vec<PatientInfo>,
    slices: Vec<Vec<Vec<f32>>>,
    channels: usize,
    size: usize,
    flip: bool,
}

impl InMemoryPatches {
    /// An empty set of `channels x size x size` patches; `flip` turns on the seeded flip.
    pub fn new(channels: usize, size: usize, flip: bool) -> Self {
        InMemoryPatches {
            patients: Vec::new(),
            slices: Vec::new(),
            channels,
            size,
            flip,
        }
    }

    /// Adds a patient with its patches (each `channels * size * size` values).
    pub fn push(
        &mut self,
        patient_id: impl Into<String>,
        label: u8,
        clinical: Vec<f32>,
        patches: Vec<Vec<f32>>,
    ) -> Result<()> {
        let patient_id = patient_id.into();
        let expected = self.channels * self.size * self.size;
        if let Some(bad) = patches.iter().find(|p| p.len() != expected) {
            return Err(ModelError::ShapeMismatch {
                patient_id,
                what: "patch",
                got: bad.len(),
                expected,
            });
        }
        self.patients.push(PatientInfo {
            patient_id,
            label,
            clinical,
            n_slices: patches.len(),
        });
        self.slices.push(patches);
        Ok(())
    }

    fn patch(&self, patient: usize, slice: usize) -> Result<&[f32]> {
        self.slices
            .get(patient)
            .and_then(|s| s.get(slice))
            .map(Vec::as_slice)
            .ok_or_else(|| ModelError::Source {
                patient_id: self
                    .patients
                    .get(patient)
                    .map_or_else(|| format!("#{patient}"), |p| p.patient_id.clone()),
                message: format!("no slice {slice}"),
            })
    }
}

impl PatchSource for InMemoryPatches {
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
        let src = self.patch(patient, slice)?;
        // The flip is decided by the seed's lowest bit: deterministic, and uses no shared RNG.
        if self.flip && seed & 1 == 1 {
            let s = self.size;
            for (row_out, row_in) in out.chunks_mut(s).zip(src.chunks(s)) {
                for (o, i) in row_out.iter_mut().zip(row_in.iter().rev()) {
                    *o = *i;
                }
            }
        } else {
            out.copy_from_slice(src);
        }
        Ok(())
    }

    fn plain_patch(&self, patient: usize, slice: usize, out: &mut [f32]) -> Result<()> {
        out.copy_from_slice(self.patch(patient, slice)?);
        Ok(())
    }
}
