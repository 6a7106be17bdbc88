//! A whole synthetic cohort on disk: `primary.csv`, `external.csv`, `truth.json` and the images,
//! patients made in parallel (rayon) and identical for a seed whatever the thread count.

use std::path::{Path, PathBuf};

use livermet_cohort::CohortRecord;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::clinical::{CentreTable, Clinical, EXTERNAL_TABLE, PRIMARY_TABLE, draw_centre};
use crate::error::SynthError;
use crate::patient::synthesise_images;
use crate::posterior::{Posterior, posterior};
use crate::random::{Purpose, lognormal_truncated, stream};
use crate::render::B_VALUES;
use crate::scanner::{EXTERNAL_SCANNER, PRIMARY_SCANNER, ScannerProfile, Size};
use crate::truth::{PatientTruth, TRANSFORM_CONVENTION, Truth};
use crate::write::{Format, ImageCells, write_patient};

/// What `livermet synth` is asked for.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SynthSettings {
    /// Patients in the primary (NIfTI) and external (DICOM) centres.
    pub primary: usize,
    pub external: usize,
    pub seed: u64,
    pub size: Size,
    /// Separation of the latent imaging score between classes, in SDs of its noise (0 = the
    /// images carry no information about SLM).
    pub signal: f64,
    /// Write the CSVs only (image cells empty).
    pub clinical_only: bool,
}

impl Default for SynthSettings {
    /// The paper's cohort sizes (176 and 31), seed 1, small images, signal 1.0 (the latent
    /// score, CEA share included, then separates the classes with an AUC of about 0.83).
    fn default() -> Self {
        SynthSettings {
            primary: 176,
            external: 31,
            seed: 1,
            size: Size::Small,
            signal: 1.0,
            clinical_only: false,
        }
    }
}

/// One of the two centres.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Centre {
    Primary,
    External,
}

impl Centre {
    /// Name in the CSV's `centre` column, its folder and CSV stem.
    pub fn name(self) -> &'static str {
        match self {
            Centre::Primary => "primary",
            Centre::External => "external",
        }
    }
    fn code(self) -> u8 {
        self as u8
    }
    fn id_prefix(self) -> char {
        match self {
            Centre::Primary => 'P',
            Centre::External => 'E',
        }
    }
    fn table(self) -> &'static CentreTable {
        match self {
            Centre::Primary => &PRIMARY_TABLE,
            Centre::External => &EXTERNAL_TABLE,
        }
    }
    fn scanner(self) -> &'static ScannerProfile {
        match self {
            Centre::Primary => &PRIMARY_SCANNER,
            Centre::External => &EXTERNAL_SCANNER,
        }
    }
    fn format(self) -> Format {
        match self {
            Centre::Primary => Format::Nifti,
            Centre::External => Format::Dicom,
        }
    }
}

/// What was written, for the command to print.
#[derive(Debug, Clone, PartialEq)]
pub struct CentreSummary {
    pub centre: &'static str,
    pub csv: PathBuf,
    pub patients: usize,
    pub slm: usize,
}

/// What `synthesise` wrote.
#[derive(Debug, Clone, PartialEq)]
pub struct SynthSummary {
    pub centres: Vec<CentreSummary>,
    pub truth: PathBuf,
}

impl SynthSummary {
    /// What `livermet synth` prints: patients and SLM prevalence per centre with its CSV, the
    /// truth file, and `bytes` on disk under `out`.
    pub fn text(&self, out: &Path, bytes: u64) -> String {
        let mut text = String::new();
        for c in &self.centres {
            let prevalence = match c.patients {
                0 => 0.0,
                n => 100.0 * c.slm as f64 / n as f64,
            };
            text += &format!(
                "{:<9} {:>5} patients, {:>4} SLM ({prevalence:.1}%)  {}\n",
                c.centre,
                c.patients,
                c.slm,
                c.csv.display()
            );
        }
        text += &format!("truth     {}\n", self.truth.display());
        let mb = bytes as f64 / 1e6;
        text + &format!("on disk   {mb:.1} MB under {}\n", out.display())
    }
}

/// A patient's clinical values with its place in the cohort.
#[derive(Debug, Clone)]
pub struct PlannedPatient {
    pub centre: Centre,
    pub index: usize,
    pub patient_id: String,
    pub clinical: Clinical,
    /// The patient's true probability of SLM given what the generator drew.
    pub posterior: Posterior,
}

/// The cohort's patients (clinical values only), centre by centre, in CSV order.
pub fn plan(settings: &SynthSettings) -> Vec<PlannedPatient> {
    let mut out = Vec::new();
    for (centre, n) in [
        (Centre::Primary, settings.primary),
        (Centre::External, settings.external),
    ] {
        let table = centre.table();
        let width = n.to_string().len().max(3);
        let n_slm = table.slm_count(n);
        let draws = draw_centre(
            settings.seed,
            centre.code(),
            table,
            n,
            n_slm,
            settings.signal,
        );
        let prevalence = n_slm as f64 / n.max(1) as f64;
        for (index, clinical) in draws.into_iter().enumerate() {
            let patient_id = format!("{}{:0width$}", centre.id_prefix(), index + 1);
            out.push(PlannedPatient {
                centre,
                index,
                patient_id,
                posterior: posterior(table, prevalence, settings.signal, &clinical),
                clinical,
            });
        }
    }
    out
}

/// Write the cohort into `out`; `on_patient` is called once per patient finished (any thread).
pub fn synthesise(
    out: &Path,
    settings: &SynthSettings,
    on_patient: &(dyn Fn() + Sync),
) -> Result<SynthSummary, SynthError> {
    if settings.primary + settings.external == 0 {
        return Err(SynthError::Settings(
            "both --primary and --external are 0: nothing to make".into(),
        ));
    }
    if !(settings.signal.is_finite() && settings.signal >= 0.0) {
        return Err(SynthError::Settings(format!(
            "--signal must be a number >= 0, got {}",
            settings.signal
        )));
    }
    std::fs::create_dir_all(out).map_err(|source| SynthError::Write {
        path: out.to_path_buf(),
        source,
    })?;
    let planned = plan(settings);
    let protocol = settings.size.protocol();
    let made: Vec<(CohortRecord, PatientTruth)> = planned
        .par_iter()
        .map(|p| {
            let mut record = record(p, settings.seed);
            let mut truth = PatientTruth {
                patient_id: p.patient_id.clone(),
                centre: p.centre.name().into(),
                slm: p.clinical.slm,
                latent_signal: p.clinical.latent,
                posterior: Some(p.posterior),
                images: None,
            };
            if !settings.clinical_only {
                let mut rng = stream(
                    settings.seed,
                    p.centre.code(),
                    p.index as u64,
                    Purpose::Images,
                );
                let images =
                    synthesise_images(&mut rng, &protocol, p.centre.scanner(), p.clinical.latent);
                let rel = format!("{}/{}", p.centre.name(), p.patient_id);
                let cells = write_patient(out, &rel, &p.patient_id, &images, p.centre.format())?;
                set_cells(&mut record, cells);
                truth.images = Some(images.truth);
            }
            on_patient();
            Ok((record, truth))
        })
        .collect::<Result<_, SynthError>>()?;

    let mut centres = Vec::new();
    for centre in [Centre::Primary, Centre::External] {
        let rows: Vec<&CohortRecord> = made
            .iter()
            .filter(|(r, _)| r.centre == centre.name())
            .map(|(r, _)| r)
            .collect();
        let csv = out.join(format!("{}.csv", centre.name()));
        write_csv(&csv, &rows)?;
        let slm = rows.iter().filter(|r| r.slm == "1").count();
        centres.push(CentreSummary {
            centre: centre.name(),
            csv,
            patients: rows.len(),
            slm,
        });
    }
    let truth = Truth {
        seed: settings.seed,
        settings: *settings,
        transform_convention: TRANSFORM_CONVENTION.into(),
        b_values: B_VALUES.to_vec(),
        patients: made.into_iter().map(|(_, t)| t).collect(),
    };
    let truth_path = out.join("truth.json");
    livermet_io::write_json_atomic(&truth_path, &truth)?;
    Ok(SynthSummary {
        centres,
        truth: truth_path,
    })
}

/// Median and log-scale sigma of the synthetic liver metastases' size (cm): P(size < 3 cm) is
/// then Phi(ln(3 / 2.3) / 0.6) = 0.67, the paper's 49 of 72 SLM patients (68%) under 3 cm.
const LESION_MEDIAN_CM: f64 = 2.3;
const LESION_SIGMA: f64 = 0.6;
/// The window of the draw, cm (what `validate` accepts is wider).
const LESION_RANGE_CM: (f64, f64) = (0.3, 15.0);

/// The largest liver metastasis of an SLM patient (cm, one decimal), from its own stream
/// ([`Purpose::LesionSize`]); `None` for a patient without SLM. The size is drawn independently
/// of the images and the clinical values: the twin's metastases are not imaged.
fn lesion_size_cm(p: &PlannedPatient, seed: u64) -> Option<f64> {
    if !p.clinical.slm {
        return None;
    }
    let mut rng = stream(seed, p.centre.code(), p.index as u64, Purpose::LesionSize);
    let (lo, hi) = LESION_RANGE_CM;
    let v = lognormal_truncated(&mut rng, LESION_MEDIAN_CM, LESION_SIGMA, lo, hi);
    Some((v * 10.0).round() / 10.0)
}

/// The CSV row of a planned patient, image cells empty.
fn record(p: &PlannedPatient, seed: u64) -> CohortRecord {
    let c = &p.clinical;
    CohortRecord {
        lesion_size_cm: lesion_size_cm(p, seed).map_or(String::new(), |v| format!("{v:.1}")),
        patient_id: p.patient_id.clone(),
        centre: p.centre.name().into(),
        slm: if c.slm { "1" } else { "0" }.into(),
        sex: if c.male { "M" } else { "F" }.into(),
        age: format!("{}", c.age),
        tumor_distance_cm: format!("{:.1}", c.tumor_distance_cm),
        cea_ng_ml: format!("{:.2}", c.cea_ng_ml),
        ca199_u_ml: format!("{:.1}", c.ca199_u_ml),
        ..CohortRecord::default()
    }
}

fn set_cells(r: &mut CohortRecord, c: ImageCells) {
    r.t2 = c.t2;
    r.t1 = c.t1;
    r.t1ce = c.t1ce;
    r.dwi = c.dwi;
    r.roi = c.roi;
    // `adc` stays empty: livermet computes ADC from the DWI.
}

/// A CSV of `rows` (header always written, even with no rows), atomically.
fn write_csv(path: &Path, rows: &[&CohortRecord]) -> Result<(), SynthError> {
    let mut w = csv::WriterBuilder::new()
        .has_headers(false)
        .from_writer(Vec::new());
    let err = |source| SynthError::Csv {
        path: path.to_path_buf(),
        source,
    };
    let header = livermet_cohort::COLUMNS
        .iter()
        .chain(&livermet_cohort::OPTIONAL_COLUMNS);
    w.write_record(header).map_err(err)?;
    for r in rows {
        w.serialize(r).map_err(err)?;
    }
    let bytes = w.into_inner().map_err(|e| SynthError::Write {
        path: path.to_path_buf(),
        source: e.into_error(),
    })?;
    livermet_io::write_bytes_atomic(path, &bytes).map_err(SynthError::from)
}
