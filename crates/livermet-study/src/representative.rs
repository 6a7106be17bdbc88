//! Representative patients for the report (the paper's Figure 2): a true positive, a false
//! negative, a true negative and a false positive at the median-score threshold, each shown by
//! its middle tumour slice's five channels and the tumour outline.
//!
//! Choice (deterministic): the most confident case of each kind: the highest-scoring SLM patient
//! (TP), the lowest-scoring SLM patient (FN), the lowest-scoring non-SLM patient (TN) and the
//! highest-scoring non-SLM patient (FP). A kind with no patient is left out.

use std::path::Path;

use livermet_image::{PatchManifest, PatchSpec, cut_patch};
use livermet_io::read_json;

use crate::StudyError;
use crate::prepare::prepared_dir;
use crate::scores::CohortScores;
use crate::settings::ModelName;

/// One patient of the figure.
#[derive(Debug, Clone)]
pub struct Case {
    /// "True positive", "False negative", "True negative" or "False positive".
    pub kind: &'static str,
    pub patient_id: String,
    pub score: f64,
    /// Patch side: each channel is `size * size` values, row-major (row = j, column = i).
    pub size: usize,
    /// T2WI, T1WI, T1CE, DWI, ADC.
    pub channels: Vec<Vec<f32>>,
    /// The tumour ROI on the same patch.
    pub mask: Vec<bool>,
    /// The Combined model's Grad-CAM on the same patch (empty until the report adds it:
    /// [`crate::explain::case_saliency`]).
    pub saliency: Vec<f32>,
}

/// The four cases of `model` in `scores`, read from the prepared data in `prepared`.
pub fn representative_cases(
    scores: &CohortScores,
    model: ModelName,
    prepared: &Path,
    patch_size: usize,
) -> Result<Vec<Case>, StudyError> {
    let Some(s) = scores.scores.get(&model) else {
        return Ok(Vec::new());
    };
    let t = livermet_stats::thresholds::median(s)?;
    let pick = |slm: bool, positive: bool, highest: bool| -> Option<usize> {
        let it = (0..s.len()).filter(|&i| scores.slm[i] == slm && (s[i] >= t) == positive);
        if highest {
            it.max_by(|&a, &b| s[a].total_cmp(&s[b]))
        } else {
            it.min_by(|&a, &b| s[a].total_cmp(&s[b]))
        }
    };
    let kinds = [
        ("True positive", pick(true, true, true)),
        ("False negative", pick(true, false, false)),
        ("True negative", pick(false, false, false)),
        ("False positive", pick(false, true, true)),
    ];
    let mut out = Vec::new();
    for (kind, i) in kinds {
        let Some(i) = i else { continue };
        let id = &scores.patient_ids[i];
        let (_, channels, mask) = middle_slice_patch(&prepared_dir(prepared, id)?, patch_size)?;
        out.push(Case {
            kind,
            patient_id: id.clone(),
            score: s[i],
            size: patch_size,
            channels,
            mask,
            saliency: Vec::new(),
        });
    }
    Ok(out)
}

/// The middle tumour slice's index on the T2 grid, the plain patch of each channel on it and
/// the ROI's patch.
pub(crate) type MiddleSlicePatch = (usize, Vec<Vec<f32>>, Vec<bool>);

/// The [`MiddleSlicePatch`] of the prepared patient in folder `dir`.
pub(crate) fn middle_slice_patch(dir: &Path, size: usize) -> Result<MiddleSlicePatch, StudyError> {
    let manifest: PatchManifest = read_json(&dir.join("manifest.json"))?;
    let slice = manifest
        .slices
        .get(manifest.slices.len() / 2)
        .ok_or_else(|| StudyError::file(&dir.join("manifest.json"), "no tumour slice"))?;
    let read = |name: &str| {
        let p = dir.join(name);
        livermet_io::read_volume(&p).map_err(|e| StudyError::file(&p, e))
    };
    let channels = read("channels.nii.gz")?;
    let roi = read("roi.nii.gz")?;
    let spec = PatchSpec { size };
    let patch = cut_patch(&channels, slice.k, slice.centre, &spec);
    let n = size * size;
    let per_channel = patch.chunks(n).map(<[f32]>::to_vec).collect();
    let mask = cut_patch(&roi, slice.k, slice.centre, &spec)
        .iter()
        .map(|&v| v > 0.5)
        .collect();
    Ok((slice.k, per_channel, mask))
}
