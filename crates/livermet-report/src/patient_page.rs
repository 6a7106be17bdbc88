//! What `livermet predict --explain DIR` writes (docs/DESIGN.md "Explaining one patient"):
//! `saliency_<model>.nii.gz` (Grad-CAM) and `occlusion_<model>.nii.gz` per network on the T2
//! grid, `attribution.json`, and `patient.html`, one self-contained page for a tumour board
//! (the report's [`Page`]: same Content-Security-Policy, figures as data URIs).

use std::collections::BTreeMap;
use std::path::Path;

use livermet_study::ModelName;
use livermet_study::bundle::{Bundle, ValidationCurves};
use livermet_study::explain::{Attribution, Explanation};
use serde::Serialize;

use crate::ReportError;
use crate::figures::{
    Marker, Series, Tile, TileRow, attribution_figure, calibration_figure_marked,
    decision_curve_figure_marked, representative_figure, roc_figure_marked,
};
use crate::html::Page;

/// `attribution.json`: the Combined model's attribution and every model's probability.
#[derive(Debug, Serialize)]
struct AttributionFile<'a> {
    patient_id: &'a str,
    #[serde(flatten)]
    attribution: Option<&'a Attribution>,
    probabilities: BTreeMap<ModelName, f64>,
    /// Per network: the model-randomisation rank correlation of its Grad-CAM
    /// (`NetworkMaps::randomisation_rank_correlation`; null when undefined).
    saliency_randomisation_rank_correlation: BTreeMap<ModelName, Option<f64>>,
}

/// The files of an explanation folder; a folder holding anything else is not replaced.
fn is_ours(name: &str) -> bool {
    name == "attribution.json"
        || name == "patient.html"
        || ((name.starts_with("saliency_") || name.starts_with("occlusion_"))
            && name.ends_with(".nii.gz"))
}

/// Writes the explanation `e` of a patient scored with `bundle` into `dir` (created, or
/// replaced as a whole when it holds only the files of an earlier `--explain`).
pub fn write_explanation(dir: &Path, bundle: &Bundle, e: &Explanation) -> Result<(), ReportError> {
    if dir.exists() {
        let entries = std::fs::read_dir(dir).map_err(|source| ReportError::Io {
            path: dir.to_path_buf(),
            source,
        })?;
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if !is_ours(&name) {
                return Err(ReportError::Io {
                    path: dir.to_path_buf(),
                    source: std::io::Error::other(format!(
                        "the folder holds {name}, which --explain did not write; give --explain a new folder"
                    )),
                });
            }
        }
    }
    let html = patient_html(bundle, e)?;
    let probabilities = e
        .prediction
        .predictions
        .iter()
        .map(|p| (p.model, p.probability))
        .collect();
    let file = AttributionFile {
        patient_id: &e.prediction.patient_id,
        attribution: e.attribution.as_ref(),
        probabilities,
        saliency_randomisation_rank_correlation: e
            .maps
            .iter()
            .map(|m| (m.model, m.randomisation_rank_correlation))
            .collect(),
    };
    livermet_io::write_dir_atomic(dir, |tmp| {
        for m in &e.maps {
            livermet_io::write_nifti(
                &m.grad_cam,
                &tmp.join(format!("saliency_{}.nii.gz", m.model.slug())),
            )?;
            livermet_io::write_nifti(
                &m.occlusion,
                &tmp.join(format!("occlusion_{}.nii.gz", m.model.slug())),
            )?;
        }
        livermet_io::write_json_atomic(&tmp.join("attribution.json"), &file)?;
        livermet_io::write_bytes_atomic(&tmp.join("patient.html"), html.as_bytes())
    })?;
    Ok(())
}

/// The tumour-board page.
pub fn patient_html(bundle: &Bundle, e: &Explanation) -> Result<String, ReportError> {
    let p = &e.prediction;
    let mut page = Page::new(&format!(
        "Patient {}: risk of synchronous liver metastases",
        p.patient_id
    ));
    page.paragraph(&bundle.card.intended_use);
    page.section("Prediction");
    let rows: Vec<Vec<String>> = p
        .predictions
        .iter()
        .map(|m| {
            vec![
                m.model.to_string(),
                format!("{:.3}", m.probability),
                format!("{:.3}", m.threshold),
                format!("{} risk", m.risk_group),
            ]
        })
        .collect();
    page.table(
        "SLM probability of each model; high risk at or above the model's threshold (the median score of its training patients)",
        &["model", "probability", "threshold", "risk group"].map(String::from),
        &rows,
    );

    page.section("Where the networks looked");
    let m = &e.middle;
    let tile = |pixels: &[f32], overlay: &[f32]| Tile {
        width: m.size,
        height: m.size,
        pixels: pixels.to_vec(),
        mask: m.roi.clone(),
        overlay: overlay.to_vec(),
    };
    let mut tile_rows = vec![TileRow {
        label: format!("Middle tumour slice (k = {}), tumour outlined", m.k),
        tiles: m.channels.iter().map(|c| tile(c, &[])).collect(),
    }];
    for maps in &e.maps {
        // Grad-CAM is the positive evidence for SLM (a ReLU): a low-risk patient's slice may
        // have none, and an overlay that is not there must not look like a rendering fault.
        let label = if maps.middle_grad_cam.iter().any(|&v| v > 0.0) {
            format!("{} model: Grad-CAM over each channel", maps.model)
        } else {
            format!(
                "{} model: no evidence of SLM on this slice (Grad-CAM zero; every slice in saliency_{}.nii.gz)",
                maps.model,
                maps.model.slug()
            )
        };
        tile_rows.push(TileRow {
            label,
            tiles: m
                .channels
                .iter()
                .map(|c| tile(c, &maps.middle_grad_cam))
                .collect(),
        });
    }
    page.figure(
        "The five channels of the middle tumour slice (patch around the tumour centre), then each network's Grad-CAM at its last residual block (red to yellow: more evidence of SLM). saliency_<model>.nii.gz holds every tumour slice on the T2 grid, occlusion_<model>.nii.gz the occlusion sensitivity.",
        &representative_figure("", &["T2WI", "T1WI", "T1CE", "DWI", "ADC"], &tile_rows),
    );
    let checks: Vec<String> = e
        .maps
        .iter()
        .map(|m| match m.randomisation_rank_correlation {
            Some(r) => format!("{} model {r:.2}", m.model),
            None => format!("{} model undefined (a constant map)", m.model),
        })
        .collect();
    page.paragraph(&format!(
        "Sanity check (Adebayo et al. 2018): rank correlation of each map with that of the same network re-initialised: {}. Low values mean the map reflects what the network learnt, not the image's edges.",
        checks.join(", ")
    ));

    if let Some(a) = &e.attribution {
        page.section("Why: clinical values and images");
        let mut bars = vec![
            ("Clinical values".to_string(), a.clinical),
            ("Images".to_string(), a.imaging),
        ];
        bars.extend(a.features.iter().map(|(k, v)| (format!("  {k}"), *v)));
        page.figure(
            &format!(
                "Exact Shapley values of the Combined model's log-odds ({:.3}) against the baseline ({:.3}): clinical values and images (they sum to the difference), then each clinical feature with the images held at this patient's. Baseline: {}.",
                a.logit, a.baseline_logit, a.baseline
            ),
            &attribution_figure(
                "Attribution (log-odds; right: towards SLM)",
                &bars,
                &format!("Imaging share {:.0}% ({} fusion)", 100.0 * a.imaging_share, a.fusion.as_str()),
            ),
        );
        let rows: Vec<Vec<String>> = a
            .features
            .iter()
            .map(|(k, v)| {
                vec![
                    k.clone(),
                    format!("{}", a.feature_values[k]),
                    format!("{:.3}", a.feature_baseline[k]),
                    format!("{v:+.3}"),
                ]
            })
            .collect();
        page.table(
            "Clinical features: this patient's value, the baseline and the Shapley value (log-odds)",
            &["feature", "value", "baseline", "Shapley value"].map(String::from),
            &rows,
        );
    }

    if let Some(curves) = &bundle.curves {
        page.section("Where this patient sits in the validation");
        for (title, svg) in validation_figures(curves, e) {
            page.figure(&title, &svg);
        }
    }

    page.section("Model card");
    let card = &bundle.card;
    let mut pairs = vec![
        (
            "livermet version".to_string(),
            card.livermet_version.clone(),
        ),
        (
            "protocol".to_string(),
            format!("{:?}", card.protocol).to_lowercase(),
        ),
        (
            "training cohort".to_string(),
            format!(
                "{} patients, {} with SLM ({:.0}%)",
                card.training_patients,
                card.training_slm,
                100.0 * card.training_prevalence
            ),
        ),
        (
            "bundle".to_string(),
            match &card.created {
                Some(date) => format!("written {date} by livermet {}", card.livermet_version),
                None => format!("written by livermet {} (no date)", card.livermet_version),
            },
        ),
    ];
    for (cohort, models) in &card.validation {
        for (model, auc) in models {
            let ci = match (auc.ci_low, auc.ci_high) {
                (Some(l), Some(h)) => format!(" ({l:.3}-{h:.3})"),
                _ => String::new(),
            };
            pairs.push((
                format!("AUC {model}, {cohort}"),
                format!("{:.3}{ci}", auc.auc),
            ));
        }
    }
    page.key_values("The bundle that scored this patient", &pairs);
    Ok(page.render())
}

/// The bundle's ROC, calibration and decision curves with the patient's marker: on the ROC
/// curve of the Combined model (else the first model) the operating point of a threshold at
/// the patient's score; on calibration and decision curves a line at the patient's probability.
fn validation_figures(curves: &ValidationCurves, e: &Explanation) -> Vec<(String, String)> {
    let marked = [ModelName::Combined, ModelName::MRI, ModelName::CF]
        .into_iter()
        .find_map(|m| {
            let p = e.prediction.predictions.iter().find(|p| p.model == m)?;
            Some((m, p.probability, curves.models.get(&m)?))
        });
    let Some((model, score, mc)) = marked else {
        return Vec::new();
    };
    // Thresholding at the patient's score: the last ROC point whose threshold is >= it.
    let operating = mc
        .roc
        .iter()
        .rfind(|(_, _, t)| t.is_none_or(|t| t >= score))
        .map(|&(x, y, _)| (x, y));
    let label = format!("this patient ({model} {score:.2})");
    let roc_marker = operating.map(|(x, y)| Marker {
        x,
        y: Some(y),
        label: label.clone(),
    });
    let at_score = Marker {
        x: score,
        y: None,
        label,
    };
    let roc: Vec<Series> = curves
        .models
        .iter()
        .map(|(m, c)| {
            Series::new(
                m.to_string(),
                c.roc.iter().map(|&(x, y, _)| (x, y)).collect(),
            )
        })
        .collect();
    let cal: Vec<Series> = curves
        .models
        .iter()
        .filter(|(_, c)| !c.calibration.is_empty())
        .map(|(m, c)| Series::new(m.to_string(), c.calibration.clone()))
        .collect();
    let dca: Vec<Series> = curves
        .models
        .iter()
        .map(|(m, c)| Series::new(m.to_string(), c.decision_curve.clone()))
        .collect();
    let treat_all = Series::new("Treat all", curves.treat_all.clone()).dashed();
    let cohort = if curves.cohort == "primary_cv" {
        "primary cohort, cross-validated"
    } else {
        curves.cohort.as_str()
    };
    vec![
        (
            format!(
                "ROC curves ({cohort}); the dot: sensitivity and 1 - specificity of a threshold at this patient's {model} score"
            ),
            roc_figure_marked("ROC", &roc, roc_marker.as_ref()),
        ),
        (
            format!("Calibration ({cohort}); the line: this patient's {model} probability"),
            calibration_figure_marked("Calibration", &cal, Some(&at_score)),
        ),
        (
            format!(
                "Decision curves ({cohort}); the line: this patient's {model} probability as the threshold"
            ),
            decision_curve_figure_marked("Decision curves", &dca, &treat_all, Some(&at_score)),
        ),
    ]
}
