//! The model bundle (`OUT/model/`, docs/DESIGN.md "Files") and `predict` for new patients.
//!
//! The bundle holds what scoring a new patient needs and nothing about the training patients
//! beyond summary numbers: `card.json` (format, version, training cohort size and prevalence,
//! validation results, risk thresholds), `cf.json` (the final CF model), `standardisation.json`
//! (the clinical vector's training mean and SD), `prepare.json` (preprocessing settings) and one
//! folder per network (`mri/`, `combined/`: `net.json` + weights; with offset fusion
//! `combined/offset_cf.json` too, the CF model whose linear predictor the network takes),
//! `combined/image_baseline.json` (the attribution's image baseline) and `validation_curves.json`
//! (the cross-validated ROC, calibration and decision curves a patient's page marks).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use livermet_cohort::{Patient, ValidateOptions, validate_cohort};
use livermet_io::read_json;
use livermet_model::{Device, Fusion, Net, NetConfig, PreparedPatches, load_model, patient_scores};
use livermet_stats::dca::net_benefit_curve;
use serde::{Deserialize, Serialize};

use crate::StudyError;
use crate::clinical::{CfFit, FeatureTable, Standardisation};
use crate::prepare::{PrepareSettings, prepare_cohort};
use crate::results::StudyResults;
use crate::run::StudyRun;
use crate::settings::ModelName;
use crate::unit::{ClinicalInput, rows_for};

/// Version of the bundle layout; a bundle of another format is refused.
pub const BUNDLE_FORMAT: u32 = 2;

/// The offset-fusion CF model beside the Combined network's weights.
const OFFSET_CF_FILE: &str = "offset_cf.json";

/// The Combined network's image baseline beside its weights.
pub const IMAGE_BASELINE_FILE: &str = "image_baseline.json";

/// The validation curves of the bundle.
const CURVES_FILE: &str = "validation_curves.json";

/// One model's validation curves.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelCurves {
    /// ROC points `(1 - specificity, sensitivity, threshold)`; `None` for the first point,
    /// whose threshold is +infinity.
    pub roc: Vec<(f64, f64, Option<f64>)>,
    /// Calibration bins `(mean predicted, observed)`.
    pub calibration: Vec<(f64, f64)>,
    /// Net benefit `(threshold, net benefit)`.
    pub decision_curve: Vec<(f64, f64)>,
}

/// `validation_curves.json`: the curves of one validation cohort (cross-validated primary
/// cohort), summary numbers only.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ValidationCurves {
    pub cohort: String,
    pub models: BTreeMap<ModelName, ModelCurves>,
    /// Net benefit of treating everyone.
    pub treat_all: Vec<(f64, f64)>,
}

impl ValidationCurves {
    /// The curves of `cohort` of `results` (`None` when the study has no such cohort).
    pub fn of(results: &StudyResults, cohort: &str) -> Option<Self> {
        let c = results.cohorts.get(cohort)?;
        let curve = |name: &str| net_benefit_curve(&c.decision_curves, name);
        let models = c
            .models
            .iter()
            .map(|(m, e)| {
                let roc = e
                    .roc
                    .iter()
                    .map(|p| (p.fpr, p.tpr, p.threshold.is_finite().then_some(p.threshold)))
                    .collect();
                let calibration = e.calibration.as_ref().map_or(Vec::new(), |cal| {
                    cal.curve
                        .iter()
                        .map(|b| (b.mean_predicted, b.observed))
                        .collect()
                });
                let curves = ModelCurves {
                    roc,
                    calibration,
                    decision_curve: curve(m.as_str()),
                };
                (*m, curves)
            })
            .collect();
        Some(ValidationCurves {
            cohort: cohort.into(),
            models,
            treat_all: curve("all"),
        })
    }
}

/// A model's validation summary on the card.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CardAuc {
    pub auc: f64,
    pub ci_low: Option<f64>,
    pub ci_high: Option<f64>,
}

/// `card.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelCard {
    pub format: u32,
    pub livermet_version: String,
    /// UTC date the bundle was written (`YYYY-MM-DD`); absent in bundles of livermet <= 0.1.0
    /// before this field.
    #[serde(default)]
    pub created: Option<String>,
    pub protocol: livermet_model::Protocol,
    pub seed: u64,
    pub models: Vec<ModelName>,
    /// Patients the final models were trained on, and how many had SLM.
    pub training_patients: usize,
    pub training_slm: usize,
    pub training_prevalence: f64,
    /// Cohort (`primary_cv`, `external`) -> model -> AUC.
    pub validation: BTreeMap<String, BTreeMap<ModelName, CardAuc>>,
    /// Risk threshold per model: the median of the final model's scores on its training
    /// patients (the paper's median-score rule); a score at or above it is "high risk".
    pub thresholds: BTreeMap<ModelName, f64>,
    pub intended_use: String,
}

/// Writes the bundle of a finished study with its evaluation `results` into `dir` (replaced as
/// a whole: [`livermet_io::write_dir_atomic`]).
pub fn write_bundle(run: &StudyRun, results: &StudyResults, dir: &Path) -> Result<(), StudyError> {
    let validation = results.validation_summary();
    let curves = ValidationCurves::of(results, "primary_cv");
    let training_slm = run.primary.iter().filter(|p| p.slm == Some(true)).count();
    let mut thresholds = BTreeMap::new();
    for (m, s) in &run.primary_apparent.scores {
        thresholds.insert(*m, livermet_stats::thresholds::median(s)?);
    }
    let card = ModelCard {
        format: BUNDLE_FORMAT,
        livermet_version: env!("CARGO_PKG_VERSION").into(),
        created: Some(livermet_io::utc::utc_date(std::time::SystemTime::now())),
        protocol: run.settings.protocol,
        seed: run.settings.seed,
        models: run.settings.models.clone(),
        training_patients: run.primary.len(),
        training_slm,
        training_prevalence: training_slm as f64 / run.primary.len().max(1) as f64,
        validation,
        thresholds,
        intended_use: "Research use: risk of synchronous liver metastases of rectal cancer from \
                       pre-treatment MRI of the primary tumour and four clinical values. Not a \
                       medical device."
            .into(),
    };
    let standardisation = &run.final_standardisation;
    let prepare = run.settings.prepare_settings();
    Ok(livermet_io::write_dir_atomic(dir, |tmp| {
        livermet_io::write_json_atomic(&tmp.join("card.json"), &card)?;
        if let Some(cf) = &run.final_cf {
            livermet_io::write_json_atomic(&tmp.join("cf.json"), cf)?;
        }
        livermet_io::write_json_atomic(&tmp.join("standardisation.json"), standardisation)?;
        livermet_io::write_json_atomic(&tmp.join("prepare.json"), &prepare)?;
        for (m, src) in &run.final_networks {
            let dst = tmp.join(m.slug());
            let copy = |f: &str| {
                std::fs::create_dir_all(&dst)
                    .and_then(|()| std::fs::copy(src.join(f), dst.join(f)))
                    .map_err(|source| livermet_io::IoError::Write {
                        path: dst.join(f),
                        source,
                    })
            };
            copy("net.json")?;
            copy("model.bpk")?;
        }
        if let Some(cf) = &run.final_offset_cf {
            let dir = tmp.join(ModelName::Combined.slug());
            livermet_io::write_json_atomic(&dir.join(OFFSET_CF_FILE), cf)?;
        }
        if let Some(b) = &run.final_image_baseline {
            let dir = tmp.join(ModelName::Combined.slug());
            livermet_io::write_json_atomic(&dir.join(IMAGE_BASELINE_FILE), b)?;
        }
        if let Some(c) = &curves {
            livermet_io::write_json_atomic(&tmp.join(CURVES_FILE), c)?;
        }
        Ok(())
    })?)
}

/// The JSON file at `path`, if there is one.
fn optional<T: serde::de::DeserializeOwned>(path: PathBuf) -> Result<Option<T>, StudyError> {
    Ok(if path.exists() {
        Some(read_json(&path)?)
    } else {
        None
    })
}

/// A loaded bundle.
#[derive(Debug)]
pub struct Bundle {
    pub dir: PathBuf,
    pub card: ModelCard,
    pub cf: Option<CfFit>,
    pub standardisation: Standardisation,
    pub prepare: PrepareSettings,
    /// The CF model of the Combined network's offset (offset fusion only).
    pub offset_cf: Option<CfFit>,
    /// The Combined network's image baseline (absent in bundles written before `--explain`).
    pub image_baseline: Option<Vec<f64>>,
    /// The cross-validated curves (absent likewise).
    pub curves: Option<ValidationCurves>,
}

impl Bundle {
    /// Reads `dir`, refusing a bundle of another format.
    pub fn load(dir: &Path) -> Result<Self, StudyError> {
        let bad = |reason: String| StudyError::Bundle {
            path: dir.to_path_buf(),
            reason,
        };
        let card_path = dir.join("card.json");
        let text = std::fs::read_to_string(&card_path).map_err(|e| {
            bad(format!(
                "cannot read card.json ({e}); point --bundle at OUT/model of a study"
            ))
        })?;
        let raw: serde_json::Value =
            serde_json::from_str(&text).map_err(|e| bad(format!("card.json is not JSON ({e})")))?;
        let format = raw.get("format").and_then(|f| f.as_u64());
        if format != Some(u64::from(BUNDLE_FORMAT)) {
            let version = raw
                .get("livermet_version")
                .and_then(|v| v.as_str())
                .unwrap_or("unknown");
            return Err(bad(format!(
                "it was written by livermet {version} in bundle format {}, this livermet {} reads format {BUNDLE_FORMAT}; re-run the study with this version",
                format.map_or("unknown".into(), |f| f.to_string()),
                env!("CARGO_PKG_VERSION")
            )));
        }
        let card: ModelCard = serde_json::from_value(raw)
            .map_err(|e| bad(format!("card.json is incomplete ({e})")))?;
        let cf = if card.models.contains(&ModelName::CF) {
            Some(read_json(&dir.join("cf.json"))?)
        } else {
            None
        };
        let combined = dir.join(ModelName::Combined.slug());
        Ok(Bundle {
            dir: dir.to_path_buf(),
            offset_cf: optional(combined.join(OFFSET_CF_FILE))?,
            image_baseline: optional(combined.join(IMAGE_BASELINE_FILE))?,
            curves: optional(dir.join(CURVES_FILE))?,
            cf,
            standardisation: read_json(&dir.join("standardisation.json"))?,
            prepare: read_json(&dir.join("prepare.json"))?,
            card,
        })
    }
}

/// One model's prediction for the patient.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ModelPrediction {
    pub model: ModelName,
    /// SLM probability.
    pub probability: f64,
    pub threshold: f64,
    /// `high` when the probability is at or above the threshold, else `low`.
    pub risk_group: String,
}

/// What `livermet predict` reports.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Prediction {
    pub patient_id: String,
    pub predictions: Vec<ModelPrediction>,
    /// Where the patient's prepared data (registered channels, ROI, transforms) was written.
    pub prepared: PathBuf,
    /// What the readers repaired and what looks suspect (a tumour at the image border), one
    /// line each: the prediction stands, but the user should look.
    pub warnings: Vec<String>,
}

impl Prediction {
    /// `patient ID` and one line per model: probability, threshold and risk group.
    pub fn text(&self) -> String {
        let mut out = format!("patient {}\n", self.patient_id);
        for m in &self.predictions {
            out += &format!(
                "  {:<9} SLM probability {:.3}  threshold {:.3}  {} risk\n",
                m.model.as_str(),
                m.probability,
                m.threshold,
                m.risk_group
            );
        }
        out
    }
}

/// Where `predict` prepares the patients of `csv` when not told: `<stem>.prepared` beside it.
pub fn default_work_dir(csv: &Path) -> PathBuf {
    let stem = csv
        .file_stem()
        .map_or("patient".into(), |s| s.to_string_lossy().into_owned());
    csv.parent()
        .unwrap_or(Path::new("."))
        .join(format!("{stem}.prepared"))
}

/// Reads the one-row cohort CSV `row_csv`, checks it (clinical values and images; no label
/// needed), prepares the patient with the bundle's settings into `work` and scores it with
/// every model of the bundle.
pub fn predict_patient(
    bundle: &Bundle,
    row_csv: &Path,
    work: &Path,
    device: &Device,
) -> Result<Prediction, StudyError> {
    Ok(predict_one(bundle, row_csv, work, device)?.1)
}

/// [`predict_patient`], with the patient as read from `row_csv` (what `--explain` needs).
pub fn predict_one(
    bundle: &Bundle,
    row_csv: &Path,
    work: &Path,
    device: &Device,
) -> Result<(Patient, Prediction), StudyError> {
    let mut one = predict_rows(bundle, row_csv, work, device, true)?;
    Ok(one.remove(0))
}

/// [`predict_patient`] for every row of the cohort CSV `cohort_csv`, in its order: the
/// patients are prepared together, each network is loaded once and scores all of them in
/// batches that run across patients.
pub fn predict_cohort(
    bundle: &Bundle,
    cohort_csv: &Path,
    work: &Path,
    device: &Device,
) -> Result<Vec<Prediction>, StudyError> {
    Ok(predict_rows(bundle, cohort_csv, work, device, false)?
        .into_iter()
        .map(|(_, p)| p)
        .collect())
}

fn predict_rows(
    bundle: &Bundle,
    csv: &Path,
    work: &Path,
    device: &Device,
    exactly_one: bool,
) -> Result<Vec<(Patient, Prediction)>, StudyError> {
    let report = validate_cohort(
        csv,
        &ValidateOptions {
            check_images: true,
            require_label: false,
        },
    )?;
    if let Some(first) = report.problems.first() {
        return Err(StudyError::Mismatch(format!(
            "{}: {first}{}",
            csv.display(),
            if report.problems.len() > 1 {
                format!(
                    " (and {} more problem(s); `livermet validate` lists them)",
                    report.problems.len() - 1
                )
            } else {
                String::new()
            }
        )));
    }
    let patients: Vec<Patient> = report.patients;
    if (exactly_one && patients.len() != 1) || patients.is_empty() {
        return Err(StudyError::Mismatch(format!(
            "{} holds {} patient rows; {}",
            csv.display(),
            patients.len(),
            if exactly_one {
                "predict --patient takes a CSV with exactly one (--cohort takes many)"
            } else {
                "predict --cohort needs at least one"
            }
        )));
    }
    let prep = prepare_cohort(&patients, work, &bundle.prepare, &|| {})?;
    if let Some((id, why)) = prep.failed.first() {
        return Err(StudyError::Mismatch(format!(
            "patient {id} could not be prepared: {why}"
        )));
    }
    // One score per patient for each model, in the bundle's model order.
    let mut scores = Vec::new();
    for &model in &bundle.card.models {
        let s = if model.is_network() {
            network_scores(bundle, model, &patients, work, device)?
        } else {
            let cf = bundle.cf.as_ref().ok_or_else(|| StudyError::Bundle {
                path: bundle.dir.clone(),
                reason: "cf.json is missing".into(),
            })?;
            let refs: Vec<&Patient> = patients.iter().collect();
            cf.predict(&FeatureTable::clinical(&refs))
        };
        // validate refuses non-finite voxels and values; a NaN here would still read as "low
        // risk" (NaN >= threshold is false), so it is an error, never a prediction.
        if let Some((p, v)) = patients.iter().zip(&s).find(|(_, v)| !v.is_finite()) {
            return Err(StudyError::Mismatch(format!(
                "patient {}: the {model} model gave a probability of {v}; check the patient's images and values with `livermet validate`",
                p.id
            )));
        }
        scores.push(s);
    }
    patients
        .iter()
        .enumerate()
        .map(|(i, patient)| {
            let warnings = report
                .warnings
                .iter()
                .filter(|w| w.patient == patient.id)
                .map(|w| w.to_string())
                .chain(
                    prep.warnings
                        .iter()
                        .filter(|(id, _)| *id == patient.id)
                        .map(|(_, w)| w.clone()),
                )
                .collect();
            let prediction = Prediction {
                patient_id: patient.id.clone(),
                predictions: bundle
                    .card
                    .models
                    .iter()
                    .zip(&scores)
                    .map(|(&model, s)| {
                        let probability = s[i];
                        let threshold = bundle.card.thresholds.get(&model).copied().unwrap_or(0.5);
                        ModelPrediction {
                            model,
                            probability,
                            threshold,
                            risk_group: if probability >= threshold {
                                "high"
                            } else {
                                "low"
                            }
                            .into(),
                        }
                    })
                    .collect(),
                prepared: crate::prepared_dir(work, &patient.id)?,
                warnings,
            };
            Ok((patient.clone(), prediction))
        })
        .collect()
}

/// The network `model`'s score of every patient, loading it once.
fn network_scores(
    bundle: &Bundle,
    model: ModelName,
    patients: &[Patient],
    work: &Path,
    device: &Device,
) -> Result<Vec<f64>, StudyError> {
    let (net, cfg, src) = network_and_patches(bundle, model, patients, work, device)?;
    Ok(patient_scores(&net, &cfg, &src, SCORING_BATCH)?)
}

/// The bundle's network `model` and the tumour slices of `patients` (prepared in `work`) with
/// the network's clinical input.
pub fn network_and_patches(
    bundle: &Bundle,
    model: ModelName,
    patients: &[Patient],
    work: &Path,
    device: &Device,
) -> Result<(Net, NetConfig, PreparedPatches), StudyError> {
    let (net, cfg) = load_model(&bundle.dir.join(model.slug()), device)?;
    let input = clinical_input(bundle, model, cfg.fusion)?;
    let rows = rows_for(patients.iter(), input);
    let src = PreparedPatches::load(
        work,
        &rows,
        cfg.in_channels,
        cfg.patch_size,
        livermet_image::AugmentConfig::default(),
        &|| {},
    )?;
    Ok((net, cfg, src))
}

/// What the bundle's network `model` (with `fusion`) takes of a patient's clinical values.
pub fn clinical_input(
    bundle: &Bundle,
    model: ModelName,
    fusion: Fusion,
) -> Result<ClinicalInput<'_>, StudyError> {
    Ok(match (model, fusion, &bundle.offset_cf) {
        (ModelName::Combined, Fusion::Paper, _) => {
            ClinicalInput::Standardised(&bundle.standardisation)
        }
        (ModelName::Combined, Fusion::Offset, Some(cf)) => ClinicalInput::CfOffset(cf),
        (ModelName::Combined, Fusion::Offset, None) => {
            return Err(StudyError::Bundle {
                path: bundle.dir.clone(),
                reason: format!(
                    "the Combined network uses offset fusion but {OFFSET_CF_FILE} is missing"
                ),
            });
        }
        _ => ClinicalInput::None,
    })
}

/// Patches per inference batch when scoring a bundle's patients.
const SCORING_BATCH: usize = 32;
