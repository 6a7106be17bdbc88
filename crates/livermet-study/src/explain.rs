//! Why the bundle scored one patient as it did (docs/DESIGN.md "Explaining one patient"):
//! where each network looked (Grad-CAM and occlusion sensitivity of every tumour slice, pasted
//! back onto the patient's T2 grid) and how the Combined model's log-odds split between the
//! clinical values and the images (exact Shapley values, [`livermet_stats::shapley`]).
//!
//! The attribution's game is the Combined model's log-odds, averaged over the patient's tumour
//! slices: `z(F, x) = mean_s head(F_s, input(x))`, with `F_s` the pooled image features of slice
//! `s` and `input` the network's clinical input of the five CF candidates `x` (standardised for
//! paper fusion, the CF linear predictor for offset fusion). A player that is absent takes its
//! baseline, both fitted on the training patients of the unit that fitted the network: the
//! clinical values their training mean ([`crate::clinical::Standardisation::mean`]), the image
//! features their training mean ([`crate::UnitRecord::image_baseline`]).
//! - Two players {clinical, images}: `clinical + imaging = z(F, x) - z(mean F, mean x)`.
//! - Five players, the clinical features with the images held at the patient's: the features'
//!   values sum to `z(F, x) - z(F, mean x)`. With offset fusion the log-odds are additive in
//!   {clinical, images} and linear in `x`, so the clinical value is the CF linear predictor's
//!   difference from its baseline and feature j gets `b_j (x_j - mean_j)` (tested).

use std::collections::BTreeMap;
use std::path::Path;

use livermet_cohort::{CLINICAL_FEATURES, Patient};
use livermet_image::{PatchManifest, PatchSpec, paste_patch};
use livermet_io::Volume;
use livermet_model::saliency::{
    OcclusionSettings, head_log_odds, patient_grad_cam, patient_saliency, randomised_model,
    slice_features,
};
use livermet_model::{Device, Fusion, Net, NetConfig};
use livermet_stats::describe::spearman;
use serde::Serialize;

use crate::StudyError;
use crate::bundle::{Bundle, Prediction, network_and_patches};
use crate::settings::ModelName;
use crate::unit::ClinicalInput;

/// The exact Shapley split of the Combined model's log-odds for one patient.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Attribution {
    /// How the network takes the clinical values (`paper` or `offset`).
    pub fusion: Fusion,
    /// The patient's log-odds (mean over its tumour slices).
    pub logit: f64,
    /// The log-odds with clinical values and image features at their baselines.
    pub baseline_logit: f64,
    /// Shapley value of the clinical values (two players).
    pub clinical: f64,
    /// Shapley value of the images (two players); `clinical + imaging = logit - baseline_logit`.
    pub imaging: f64,
    /// Shapley value of each clinical feature with the images held at the patient's.
    pub features: BTreeMap<String, f64>,
    /// The patient's value of each feature.
    pub feature_values: BTreeMap<String, f64>,
    /// Each feature's baseline (the training mean).
    pub feature_baseline: BTreeMap<String, f64>,
    /// Imaging share of the two-player split: `|imaging| / (|clinical| + |imaging|)`.
    pub imaging_share: f64,
    /// What the baseline is, in words.
    pub baseline: String,
}

/// The attribution of one patient: `features` are its slices' pooled image features, `x` its
/// five CF candidates, `clinical_mean` and `image_baseline` the baselines.
pub fn attribution(
    model: &Net,
    cfg: &NetConfig,
    input: ClinicalInput,
    x: &[f64],
    clinical_mean: &[f64],
    image_baseline: &[f64],
    features: &[Vec<f32>],
) -> Result<Attribution, StudyError> {
    let n = CLINICAL_FEATURES.len();
    if x.len() != n || clinical_mean.len() != n || features.is_empty() {
        return Err(StudyError::Mismatch(format!(
            "attribution needs {n} clinical values, {n} baselines and at least one slice; got {}, {} and {}",
            x.len(),
            clinical_mean.len(),
            features.len()
        )));
    }
    let baseline_features: Vec<f32> = image_baseline.iter().map(|&v| v as f32).collect();
    if baseline_features.len() != features[0].len() {
        return Err(StudyError::Mismatch(format!(
            "the image baseline has {} features, the network pools {}; the bundle is inconsistent, re-run the study",
            baseline_features.len(),
            features[0].len()
        )));
    }
    // Every coalition's rows, evaluated by the head in one batch: blocks of `features.len()`
    // rows (images present) or one row (images at baseline).
    let mut rows_f: Vec<Vec<f32>> = Vec::new();
    let mut rows_c: Vec<Vec<f32>> = Vec::new();
    let mut blocks: Vec<(usize, usize)> = Vec::new();
    let mut push = |images: bool, clin: &[f64]| {
        let start = rows_f.len();
        let c = input.of_features(clin);
        if images {
            for f in features {
                rows_f.push(f.clone());
                rows_c.push(c.clone());
            }
        } else {
            rows_f.push(baseline_features.clone());
            rows_c.push(c);
        }
        blocks.push((start, rows_f.len()));
    };
    // Coalition masks of the five features: bit j = feature j at the patient's value.
    let mixed = |mask: u32| -> Vec<f64> {
        (0..n)
            .map(|j| {
                if mask >> j & 1 == 1 {
                    x[j]
                } else {
                    clinical_mean[j]
                }
            })
            .collect()
    };
    // Two players: bit 0 = clinical, bit 1 = images.
    for mask in 0..4u32 {
        let clin = if mask & 1 == 1 { x } else { clinical_mean };
        push(mask & 2 == 2, clin);
    }
    for mask in 0..(1u32 << n) {
        push(true, &mixed(mask));
    }
    let z = head_log_odds(model, cfg, &rows_f, &rows_c)?;
    let mean = |(a, b): (usize, usize)| z[a..b].iter().sum::<f64>() / (b - a) as f64;
    let v2: Vec<f64> = blocks[..4].iter().map(|&b| mean(b)).collect();
    let v5: Vec<f64> = blocks[4..].iter().map(|&b| mean(b)).collect();
    let two = livermet_stats::shapley::exact(2, |m| v2[m as usize])?;
    let five = livermet_stats::shapley::exact(n, |m| v5[m as usize])?;
    let named = |v: &[f64]| -> BTreeMap<String, f64> {
        CLINICAL_FEATURES
            .iter()
            .zip(v)
            .map(|(k, v)| (k.to_string(), *v))
            .collect()
    };
    let (clinical, imaging) = (two[0], two[1]);
    let total = clinical.abs() + imaging.abs();
    Ok(Attribution {
        fusion: cfg.fusion,
        logit: v2[3],
        baseline_logit: v2[0],
        clinical,
        imaging,
        features: named(&five),
        feature_values: named(x),
        feature_baseline: named(clinical_mean),
        imaging_share: if total > 0.0 {
            imaging.abs() / total
        } else {
            0.0
        },
        baseline: "clinical values: the training patients' means; images: the training \
                   patients' mean pooled image features of the Combined network"
            .into(),
    })
}

/// One network's saliency on the patient's T2 grid.
#[derive(Debug, Clone)]
pub struct NetworkMaps {
    pub model: ModelName,
    /// Grad-CAM on the T2 grid (zero outside the patches).
    pub grad_cam: Volume,
    /// Occlusion sensitivity on the T2 grid (zero outside the patches).
    pub occlusion: Volume,
    /// Grad-CAM of the middle tumour slice's patch (`S * S`, row = j).
    pub middle_grad_cam: Vec<f32>,
    /// The model-randomisation check of Adebayo et al. (2018): Spearman rank correlation of
    /// this patient's Grad-CAM (every tumour slice) with that of the same architecture freshly
    /// initialised (seed [`RANDOMISATION_SEED`]). Low: the map depends on what the network
    /// learnt; near 1: it shows the input's structure whatever the weights. `None` when either
    /// map is constant (no ranks).
    pub randomisation_rank_correlation: Option<f64>,
}

/// Seed of the re-initialised network of the model-randomisation check.
pub const RANDOMISATION_SEED: u64 = 2018;

/// The middle tumour slice's patch: what the patient's page shows.
#[derive(Debug, Clone)]
pub struct MiddleSlice {
    /// Slice index on the T2 grid.
    pub k: usize,
    /// Patch side.
    pub size: usize,
    /// The five channels, `S * S` each ([`livermet_image::CHANNELS`] order).
    pub channels: Vec<Vec<f32>>,
    /// The tumour ROI on the patch.
    pub roi: Vec<bool>,
}

/// Everything `livermet predict --explain` writes.
#[derive(Debug, Clone)]
pub struct Explanation {
    pub prediction: Prediction,
    pub maps: Vec<NetworkMaps>,
    pub middle: MiddleSlice,
    /// `None` without a Combined model.
    pub attribution: Option<Attribution>,
}

/// A prepared patient's geometry: the manifest and the T2 grid.
struct Geometry {
    manifest: PatchManifest,
    dims: [usize; 3],
    affine: livermet_io::Affine,
    folder: std::path::PathBuf,
}

fn geometry(work: &Path, id: &str) -> Result<Geometry, StudyError> {
    let folder = crate::prepared_dir(work, id)?;
    let manifest: PatchManifest = livermet_io::read_json(&folder.join("manifest.json"))?;
    let roi = livermet_io::read_volume(&folder.join("roi.nii.gz"))?;
    Ok(Geometry {
        manifest,
        dims: roi.dims,
        affine: roi.affine,
        folder,
    })
}

/// `maps` (one `S * S` map per tumour slice, manifest order) on the T2 grid.
fn on_t2_grid(maps: &[Vec<f32>], g: &Geometry) -> Volume {
    let spec = PatchSpec {
        size: g.manifest.patch_size,
    };
    let mut grid = vec![0.0f32; g.dims.iter().product()];
    for (map, slice) in maps.iter().zip(&g.manifest.slices) {
        paste_patch(map, slice.k, slice.centre, &spec, g.dims, &mut grid);
    }
    Volume::new(g.dims, 1, g.affine, grid)
}

/// Explains the networks' scores `prediction` of `patient` (prepared in `work`; both from
/// [`crate::bundle::predict_one`]).
pub fn explain_patient(
    bundle: &Bundle,
    patient: &Patient,
    prediction: Prediction,
    work: &Path,
    device: &Device,
) -> Result<Explanation, StudyError> {
    let g = geometry(work, &patient.id)?;
    let mut maps = Vec::new();
    let mut attribution_out = None;
    for &model in bundle.card.models.iter().filter(|m| m.is_network()) {
        let (net, cfg, src) =
            network_and_patches(bundle, model, std::slice::from_ref(patient), work, device)?;
        maps.push(network_maps(model, &net, &cfg, &src, &g, device)?);
        if model == ModelName::Combined {
            let baseline = bundle.image_baseline.as_ref().ok_or_else(|| StudyError::Bundle {
                path: bundle.dir.clone(),
                reason: format!(
                    "combined/{} is missing (a bundle of an older livermet); re-run the study to explain its predictions",
                    crate::bundle::IMAGE_BASELINE_FILE
                ),
            })?;
            let input = crate::bundle::clinical_input(bundle, model, cfg.fusion)?;
            let features = slice_features(&net, &cfg, &src, 0)?;
            attribution_out = Some(attribution(
                &net,
                &cfg,
                input,
                &patient.clinical.features(),
                &bundle.standardisation.mean,
                baseline,
                &features,
            )?);
        }
    }
    Ok(Explanation {
        prediction,
        maps,
        middle: middle_slice(&g)?,
        attribution: attribution_out,
    })
}

fn middle_slice(g: &Geometry) -> Result<MiddleSlice, StudyError> {
    let size = g.manifest.patch_size;
    let (k, channels, roi) = crate::representative::middle_slice_patch(&g.folder, size)?;
    Ok(MiddleSlice {
        k,
        size,
        channels,
        roi,
    })
}

/// The Combined model's attribution of every patient of a study's cohort, each by the unit
/// that scored it (its fold's unit for the cross-validated primary cohort, the final unit for
/// the external cohort), with the mean |share| of clinical values and images.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CohortAttribution {
    pub cohort: String,
    pub n: usize,
    /// Mean over patients of `|clinical| / (|clinical| + |imaging|)`.
    pub mean_clinical_share: f64,
    /// Mean over patients of `|imaging| / (|clinical| + |imaging|)`.
    pub mean_imaging_share: f64,
    /// Mean |Shapley value| of each clinical feature (log-odds).
    pub mean_abs_features: BTreeMap<String, f64>,
    /// Per patient, in cohort order.
    pub patients: Vec<(String, Attribution)>,
}

/// A finished study's Combined unit that scored `patient_id` of `cohort` (`primary_cv` or
/// `external`).
fn scoring_unit(
    run: &crate::StudyRun,
    cohort: &str,
    patient_id: &str,
) -> Result<crate::UnitId, StudyError> {
    Ok(match cohort {
        "primary_cv" => {
            let fold =
                *run.folds.folds.get(patient_id).ok_or_else(|| {
                    StudyError::Mismatch(format!("patient {patient_id} has no fold"))
                })?;
            crate::UnitId::Fold {
                fold,
                model: ModelName::Combined,
            }
        }
        _ => crate::UnitId::Final(ModelName::Combined),
    })
}

/// A loaded Combined unit of a finished study.
struct LoadedUnit {
    net: Net,
    cfg: NetConfig,
    record: crate::UnitRecord,
}

fn load_unit(
    run: &crate::StudyRun,
    id: crate::UnitId,
    device: &Device,
) -> Result<LoadedUnit, StudyError> {
    let dir = run.work.join(id.name());
    let (net, cfg) = livermet_model::load_model(&dir.join("model"), device)?;
    let record: crate::UnitRecord = livermet_io::read_json(&dir.join(crate::unit::UNIT_SCORES))?;
    Ok(LoadedUnit { net, cfg, record })
}

impl LoadedUnit {
    fn input(&self) -> Result<ClinicalInput<'_>, StudyError> {
        let missing = |what: &str| {
            StudyError::Mismatch(format!(
                "the Combined unit's record has no {what}; re-run the study"
            ))
        };
        Ok(match (self.cfg.fusion, &self.record.offset_cf) {
            (Fusion::Offset, Some(cf)) => ClinicalInput::CfOffset(cf),
            (Fusion::Offset, None) => return Err(missing("offset CF model")),
            (Fusion::Paper, _) => ClinicalInput::Standardised(
                self.record
                    .standardisation
                    .as_ref()
                    .ok_or_else(|| missing("standardisation"))?,
            ),
        })
    }

    /// The patient's tumour slices with this unit's clinical input.
    fn patches(
        &self,
        prepared: &Path,
        p: &Patient,
    ) -> Result<livermet_model::PreparedPatches, StudyError> {
        let rows = crate::unit::rows_for(std::iter::once(p), self.input()?);
        Ok(livermet_model::PreparedPatches::load(
            prepared,
            &rows,
            self.cfg.in_channels,
            self.cfg.patch_size,
            livermet_image::AugmentConfig::default(),
            &|| {},
        )?)
    }

    fn attribution(&self, prepared: &Path, p: &Patient) -> Result<Attribution, StudyError> {
        let src = self.patches(prepared, p)?;
        let features = slice_features(&self.net, &self.cfg, &src, 0)?;
        let missing = |what: &str| {
            StudyError::Mismatch(format!(
                "the Combined unit's record has no {what}; re-run the study"
            ))
        };
        let mean = &self
            .record
            .standardisation
            .as_ref()
            .ok_or_else(|| missing("standardisation"))?
            .mean;
        let baseline = self
            .record
            .image_baseline
            .as_ref()
            .ok_or_else(|| missing("image baseline"))?;
        attribution(
            &self.net,
            &self.cfg,
            self.input()?,
            &p.clinical.features(),
            mean,
            baseline,
            &features,
        )
    }
}

/// The attribution of every patient of `cohort` (`primary_cv` or `external`) of a finished
/// study `run`; `None` when a Combined unit has no image baseline (a study resumed from units
/// fitted before livermet recorded it).
pub fn cohort_attribution(
    run: &crate::StudyRun,
    cohort: &str,
    device: &Device,
) -> Result<Option<CohortAttribution>, StudyError> {
    let (patients, prepared) = match cohort {
        "primary_cv" => (&run.primary, &run.prepared_primary),
        _ => (&run.external, &run.prepared_external),
    };
    let mut units: BTreeMap<String, LoadedUnit> = BTreeMap::new();
    let mut out = Vec::with_capacity(patients.len());
    for p in patients {
        let id = scoring_unit(run, cohort, &p.id)?;
        let unit = match units.entry(id.name()) {
            std::collections::btree_map::Entry::Occupied(e) => e.into_mut(),
            std::collections::btree_map::Entry::Vacant(e) => {
                let unit = load_unit(run, id, device)?;
                if unit.record.image_baseline.is_none() {
                    return Ok(None);
                }
                e.insert(unit)
            }
        };
        out.push((p.id.clone(), unit.attribution(prepared, p)?));
    }
    let n = out.len().max(1) as f64;
    let share = |a: &Attribution| {
        let t = a.clinical.abs() + a.imaging.abs();
        if t > 0.0 { a.clinical.abs() / t } else { 0.0 }
    };
    let mut mean_abs_features: BTreeMap<String, f64> = BTreeMap::new();
    for (_, a) in &out {
        for (k, v) in &a.features {
            *mean_abs_features.entry(k.clone()).or_default() += v.abs() / n;
        }
    }
    Ok(Some(CohortAttribution {
        cohort: cohort.into(),
        n: out.len(),
        mean_clinical_share: out.iter().map(|(_, a)| share(a)).sum::<f64>() / n,
        mean_imaging_share: out.iter().map(|(_, a)| a.imaging_share).sum::<f64>() / n,
        mean_abs_features,
        patients: out,
    }))
}

/// The Combined model's saliency of `patient_id` of `cohort` by the unit that scored it: the
/// Grad-CAM of its middle tumour slice (for Figure 2) and both maps on its T2 grid.
pub fn case_saliency(
    run: &crate::StudyRun,
    cohort: &str,
    patient_id: &str,
    device: &Device,
) -> Result<NetworkMaps, StudyError> {
    let (patients, prepared) = match cohort {
        "primary_cv" => (&run.primary, &run.prepared_primary),
        _ => (&run.external, &run.prepared_external),
    };
    let p = patients
        .iter()
        .find(|p| p.id == patient_id)
        .ok_or_else(|| {
            StudyError::Mismatch(format!(
                "patient {patient_id} is not in the {cohort} cohort"
            ))
        })?;
    let unit = load_unit(run, scoring_unit(run, cohort, patient_id)?, device)?;
    let src = unit.patches(prepared, p)?;
    let g = geometry(prepared, patient_id)?;
    network_maps(ModelName::Combined, &unit.net, &unit.cfg, &src, &g, device)
}

/// Saliency of the one patient of `src` for `model`'s network `net`, on the T2 grid `g`, with
/// the model-randomisation check.
fn network_maps(
    model: ModelName,
    net: &Net,
    cfg: &NetConfig,
    src: &dyn livermet_model::PatchSource,
    g: &Geometry,
    device: &Device,
) -> Result<NetworkMaps, StudyError> {
    let s = patient_saliency(
        net,
        cfg,
        src,
        0,
        &OcclusionSettings::for_patch(cfg.patch_size),
    )?;
    let random = randomised_model(cfg, device, RANDOMISATION_SEED)?;
    let random_cam = patient_grad_cam(&random, cfg, src, 0)?;
    let values =
        |maps: &[Vec<f32>]| -> Vec<f64> { maps.iter().flatten().map(|&v| f64::from(v)).collect() };
    Ok(NetworkMaps {
        model,
        grad_cam: on_t2_grid(&s.grad_cam, g),
        occlusion: on_t2_grid(&s.occlusion, g),
        middle_grad_cam: s.grad_cam[g.manifest.slices.len() / 2].clone(),
        randomisation_rank_correlation: spearman(&values(&s.grad_cam), &values(&random_cam)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clinical::{CfFit, Standardisation};

    fn slices(n: usize, width: usize) -> Vec<Vec<f32>> {
        (0..n)
            .map(|s| {
                (0..width)
                    .map(|j| ((s * 7 + j * 3) % 11) as f32 / 5.0 - 0.8)
                    .collect()
            })
            .collect()
    }

    const X: [f64; 5] = [1.0, 71.0, 4.5, 1.0, 0.0];
    const MEAN: [f64; 5] = [0.6, 58.2, 7.1, 0.45, 0.3];

    fn efficiency(a: &Attribution) -> f64 {
        (a.clinical + a.imaging - (a.logit - a.baseline_logit)).abs()
    }

    #[test]
    fn offset_fusion_splits_into_the_cf_linear_predictor_and_the_images() {
        let device = livermet_model::device::cpu();
        let cfg = NetConfig::new()
            .with_patch_size(32)
            .with_widths(vec![2, 2, 4, 4, 4, 4])
            .with_n_clinical(1)
            .with_fusion(Fusion::Offset);
        let net = cfg.init_seeded(&device, 11).unwrap();
        let cf = CfFit {
            excluded: vec![],
            screened_in: vec![],
            predictors: vec!["age".into(), "cea_elevated".into()],
            coefficients: vec![-3.0, 0.04, 1.3],
            selection: serde_json::Value::Null,
        };
        assert!(CLINICAL_FEATURES.contains(&"age") && CLINICAL_FEATURES.contains(&"cea_elevated"));
        let features = slices(3, 4);
        let baseline = vec![0.1, -0.2, 0.3, 0.05];
        let a = attribution(
            &net,
            &cfg,
            ClinicalInput::CfOffset(&cf),
            &X,
            &MEAN,
            &baseline,
            &features,
        )
        .unwrap();
        assert!(efficiency(&a) < 1e-5, "{a:?}");
        // Additive in {clinical, images}: the clinical value is the linear predictor's change.
        let beta: BTreeMap<&str, f64> = [("age", 0.04), ("cea_elevated", 1.3)].into();
        let want_clinical: f64 = CLINICAL_FEATURES
            .iter()
            .enumerate()
            .map(|(j, k)| beta.get(k).map_or(0.0, |b| b * (X[j] - MEAN[j])))
            .sum();
        assert!(
            (a.clinical - want_clinical).abs() < 1e-4,
            "{} vs {want_clinical}",
            a.clinical
        );
        for (j, k) in CLINICAL_FEATURES.iter().enumerate() {
            let want = beta.get(k).map_or(0.0, |b| b * (X[j] - MEAN[j]));
            assert!(
                (a.features[*k] - want).abs() < 1e-4,
                "{k}: {} vs {want}",
                a.features[*k]
            );
        }
    }

    #[test]
    fn paper_fusion_attributions_are_efficient() {
        let device = livermet_model::device::cpu();
        let cfg = NetConfig::new()
            .with_patch_size(32)
            .with_widths(vec![2, 2, 4, 4, 4, 4])
            .with_n_clinical(5)
            .with_clinical_units(3);
        let net = cfg.init_seeded(&device, 12).unwrap();
        let std = Standardisation {
            features: CLINICAL_FEATURES.iter().map(|s| s.to_string()).collect(),
            mean: MEAN.to_vec(),
            sd: vec![0.5, 10.0, 3.0, 0.5, 0.45],
        };
        let features = slices(4, 4);
        let baseline = vec![0.3, 0.0, -0.1, 0.2];
        let a = attribution(
            &net,
            &cfg,
            ClinicalInput::Standardised(&std),
            &X,
            &MEAN,
            &baseline,
            &features,
        )
        .unwrap();
        assert!(efficiency(&a) < 1e-5, "{a:?}");
        // The features' values sum to z(F, x) - z(F, mean x): the images held at the patient's.
        let input = ClinicalInput::Standardised(&std);
        let z = |x: &[f64]| -> f64 {
            let rows = vec![input.of_features(x); features.len()];
            let v = head_log_odds(&net, &cfg, &features, &rows).unwrap();
            v.iter().sum::<f64>() / v.len() as f64
        };
        let sum: f64 = a.features.values().sum();
        assert!((sum - (z(&X) - z(&MEAN))).abs() < 1e-5, "{sum}");
        assert!((a.logit - z(&X)).abs() < 1e-6);
        assert!(a.features.values().any(|v| v.abs() > 1e-4), "{a:?}");
        // A patient at the baseline has nothing to attribute.
        let same = attribution(
            &net,
            &cfg,
            input,
            &MEAN,
            &MEAN,
            &baseline,
            &[baseline.iter().map(|&v| v as f32).collect()],
        )
        .unwrap();
        assert!(
            same.clinical.abs() < 1e-6 && same.imaging.abs() < 1e-6,
            "{same:?}"
        );
    }
}
