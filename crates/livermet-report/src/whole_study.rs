//! The whole study as one library call: run (or resume) it, evaluate it, write the report and
//! the model bundle (what `livermet study` and `livermet demo` do, without the terminal); and
//! one step of its plan (`livermet study --unit NAME`), the report step included.

use std::path::Path;

use livermet_model::Device;
use livermet_study::bundle::write_bundle;
use livermet_study::explain::{case_saliency, cohort_attribution};
use livermet_study::plan::is_done;
use livermet_study::provenance::{
    MANIFEST_FILE, Provenance, Seeds, StageClock, StudyToml, folder_sha256, settings_sha256,
    sha256_hex, study_manifest,
};
use livermet_study::representative::representative_cases;
use livermet_study::results::{StudyResults, study_results};
use livermet_study::tripod::tripod_checklist;
use livermet_study::{
    ModelName, Observer, Step, StepOutcome, Study, StudyError, StudyRun, StudySettings, run_step,
    run_study,
};

use crate::{ReportError, ReportInputs, write_study_report};

/// Runs (or resumes) the study of `settings` in `out`, then writes its report (`results.json`,
/// the CSV tables, `figures/`, `report.html`) and its bundle (`model/`) there. Progress goes to
/// `obs`; the last stage it is told of is "evaluating and writing the report".
pub fn run_whole_study(
    settings: &StudySettings,
    out: &Path,
    device: &Device,
    obs: &dyn Observer,
) -> Result<StudyResults, ReportError> {
    let clock = StageClock::new(obs);
    let run = run_study(settings, out, device, &clock)?;
    report_study(&run, out, &clock, device)
}

/// Runs step `step` of the opened `study` (`livermet study --unit NAME`), exactly as
/// [`run_whole_study`] runs it; a step whose needs are not done is refused
/// ([`StudyError::NotReady`]), a step already done is not run again.
pub fn run_study_step(
    study: Study,
    step: Step,
    device: &Device,
    obs: &dyn Observer,
) -> Result<StepOutcome, ReportError> {
    if step != Step::Report {
        return Ok(run_step(&study, step, device, obs)?);
    }
    let clock = StageClock::new(obs);
    if is_done(&study, step)? {
        return Ok(StepOutcome::AlreadyDone);
    }
    if let Some(missing) = study.missing_need(step)? {
        return Err(StudyError::NotReady {
            step: step.name(),
            missing,
        }
        .into());
    }
    let out = study.out.clone();
    report_study(&study.collect()?, &out, &clock, device)?;
    Ok(StepOutcome::Done)
}

/// The report step: evaluates the finished `run` and writes its bundle, its manifest and its
/// report (results.json with the provenance, tables, figures, report.html, the TRIPOD+AI
/// checklist) into `out`. `clock` has timed the stages of this run so far.
fn report_study(
    run: &StudyRun,
    out: &Path,
    clock: &StageClock,
    device: &Device,
) -> Result<StudyResults, ReportError> {
    let settings = &run.settings;
    let obs: &dyn Observer = clock;
    obs.stage("evaluating and writing the report");
    let mut results = study_results(run)?;
    // The representative patients are drawn at the Combined model's threshold (the paper's
    // Figure 2), or the MRI model's when the study has no Combined model.
    let model = [ModelName::Combined, ModelName::MRI]
        .into_iter()
        .find(|m| settings.fits(*m));
    let mut cases = Vec::new();
    if let Some(m) = model {
        let patch = settings.patch_size();
        cases.push((
            "primary_cv".to_string(),
            representative_cases(&run.primary_cv, m, &run.prepared_primary, patch)?,
        ));
        if let Some(ext) = &run.external_scores {
            cases.push((
                "external".to_string(),
                representative_cases(ext, m, &run.prepared_external, patch)?,
            ));
        }
    }
    // Where the Combined model looked on each representative patient, and how its log-odds
    // split between clinical values and images in each cohort.
    let mut attributions = Vec::new();
    if settings.fits(ModelName::Combined) {
        for (cohort, list) in &mut cases {
            for case in list.iter_mut() {
                let maps = case_saliency(run, cohort, &case.patient_id, device)?;
                let dir = livermet_io::patient_dir(
                    &out.join("saliency").join(cohort.as_str()),
                    &case.patient_id,
                )
                .map_err(livermet_study::StudyError::from)?;
                livermet_io::write_dir_atomic(&dir, |tmp| {
                    livermet_io::write_nifti(
                        &maps.grad_cam,
                        &tmp.join("saliency_combined.nii.gz"),
                    )?;
                    livermet_io::write_nifti(
                        &maps.occlusion,
                        &tmp.join("occlusion_combined.nii.gz"),
                    )
                })?;
                case.saliency = maps.middle_grad_cam;
            }
            attributions.extend(cohort_attribution(run, cohort, device)?);
        }
    }
    // The bundle first, so the report can name its hash; the report step is done once both
    // results.json and the bundle's card are newer than every unit (`plan::is_done`).
    let bundle = out.join("model");
    write_bundle(run, &results, &bundle)?;
    obs.stage("hashing the inputs (manifest.json)");
    let manifest = study_manifest(settings, &run.primary, &run.external)?;
    let manifest_bytes = serde_json::to_vec_pretty(&manifest)
        .map_err(|e| ReportError::Svg(format!("manifest.json: {e}")))?;
    livermet_io::write_bytes_atomic(&out.join(MANIFEST_FILE), &manifest_bytes)
        .map_err(StudyError::from)?;
    let (started_utc, finished_utc, seconds, stages) = clock.finish();
    results.provenance = Some(Provenance {
        livermet_version: manifest.livermet_version.clone(),
        git_commit: manifest.git_commit.clone(),
        backend: livermet_model::device::backend_name(device),
        device: livermet_model::device::device_name(device).as_str().into(),
        threads: rayon::current_num_threads(),
        study_toml: settings.source.0.as_ref().map(|(path, text)| StudyToml {
            path: path.clone(),
            sha256: sha256_hex(text.as_bytes()),
            text: text.clone(),
        }),
        settings_sha256: settings_sha256(settings),
        seeds: Seeds::of(settings),
        manifest: MANIFEST_FILE.into(),
        manifest_sha256: sha256_hex(&manifest_bytes),
        bundle_sha256: Some(folder_sha256(&bundle)?),
        started_utc,
        finished_utc,
        seconds,
        stages,
    });
    let tripod = tripod_checklist(run, &results);
    let mut scores = vec![&run.primary_cv];
    scores.extend(run.external_scores.as_ref());
    write_study_report(
        out,
        &ReportInputs {
            results: &results,
            scores,
            cases,
            attributions,
            seconds: clock.elapsed(),
            tripod: Some(&tripod),
        },
    )?;
    Ok(results)
}
