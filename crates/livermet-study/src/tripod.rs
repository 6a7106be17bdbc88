//! The TRIPOD+AI checklist of a study (Collins et al., BMJ 2024;385:e078378: 27 items, 52
//! sub-items, counting each lettered sub-item and each item without letters once): for every
//! item, what this run filled in from its own numbers, or an explicit line that only the
//! authors can supply it. The item texts are short paraphrases of the published checklist;
//! the report cites the paper for the wording. `OUT/tripod_ai.json` is [`Checklist`] as it
//! serialises; livermet-report renders `OUT/tripod_ai.html` and the report's section from it.

use serde::Serialize;

use crate::evaluate::CohortEvaluation;
use crate::results::StudyResults;
use crate::run::StudyRun;
use crate::settings::ModelName;

/// Citation of the checklist.
pub const TRIPOD_AI_REFERENCE: &str = "Collins GS, Moons KGM, Dhiman P, et al. TRIPOD+AI statement: updated guidance for reporting clinical prediction models that use regression or machine learning methods. BMJ 2024;385:e078378";

/// The items: (section, topic, number, what the item asks).
pub const ITEMS: [(&str, &str, &str, &str); 52] = [
    (
        "Title",
        "Title",
        "1",
        "Identify the study as developing or evaluating the performance of a multivariable prediction model, the target population, and the outcome to be predicted.",
    ),
    (
        "Abstract",
        "Abstract",
        "2",
        "See the TRIPOD+AI for Abstracts checklist.",
    ),
    (
        "Introduction",
        "Background",
        "3a",
        "Explain the healthcare context (diagnostic or prognostic) and the rationale for developing or evaluating the model, with references to existing models.",
    ),
    (
        "Introduction",
        "Background",
        "3b",
        "Describe the target population and the intended purpose of the model in the care pathway, including its intended users.",
    ),
    (
        "Introduction",
        "Background",
        "3c",
        "Describe any known health inequalities between sociodemographic groups.",
    ),
    (
        "Introduction",
        "Objectives",
        "4",
        "Specify the study objectives, including whether the study describes development or validation of a prediction model (or both).",
    ),
    (
        "Methods",
        "Data",
        "5a",
        "Describe the sources of data separately for the development and evaluation datasets, the rationale for using these data, and their representativeness.",
    ),
    (
        "Methods",
        "Data",
        "5b",
        "Specify the dates of the collected participant data, including start and end of accrual and, if applicable, end of follow-up.",
    ),
    (
        "Methods",
        "Participants",
        "6a",
        "Specify key elements of the study setting, including the number and location of centres.",
    ),
    (
        "Methods",
        "Participants",
        "6b",
        "Describe the eligibility criteria for study participants.",
    ),
    (
        "Methods",
        "Participants",
        "6c",
        "Give details of any treatments received, and how they were handled during model development or evaluation, if relevant.",
    ),
    (
        "Methods",
        "Data preparation",
        "7",
        "Describe any data pre-processing and quality checking, including whether this was similar across relevant sociodemographic groups.",
    ),
    (
        "Methods",
        "Outcome",
        "8a",
        "Clearly define the outcome being predicted and the time horizon, how and when it was assessed, the rationale, and whether its assessment is consistent across sociodemographic groups.",
    ),
    (
        "Methods",
        "Outcome",
        "8b",
        "If outcome assessment requires subjective interpretation, describe the qualifications and demographic characteristics of the outcome assessors.",
    ),
    (
        "Methods",
        "Outcome",
        "8c",
        "Report any actions to blind assessment of the outcome to be predicted.",
    ),
    (
        "Methods",
        "Predictors",
        "9a",
        "Describe the choice of initial predictors and any pre-selection of predictors before model building.",
    ),
    (
        "Methods",
        "Predictors",
        "9b",
        "Clearly define all predictors, including how and when they were measured (and any blinding of their assessment).",
    ),
    (
        "Methods",
        "Predictors",
        "9c",
        "If predictor measurement requires subjective interpretation, describe the qualifications and demographic characteristics of the predictor assessors.",
    ),
    (
        "Methods",
        "Sample size",
        "10",
        "Explain how the study size was arrived at, separately for development and evaluation, and justify that it was sufficient; include any sample size calculation.",
    ),
    (
        "Methods",
        "Missing data",
        "11",
        "Describe how missing data were handled. Provide reasons for omitting any data.",
    ),
    (
        "Methods",
        "Analytical methods",
        "12a",
        "Describe how the data were used in the analysis (development, evaluation), including whether and how the data were partitioned, considering sample size requirements.",
    ),
    (
        "Methods",
        "Analytical methods",
        "12b",
        "Describe how predictors were handled in the analyses (functional form, rescaling, transformation, standardisation).",
    ),
    (
        "Methods",
        "Analytical methods",
        "12c",
        "Specify the type of model, its rationale, all model-building steps including hyperparameter tuning, and the method for internal validation.",
    ),
    (
        "Methods",
        "Analytical methods",
        "12d",
        "Describe if and how heterogeneity in model parameter values and model performance was handled and quantified across clusters (e.g. hospitals).",
    ),
    (
        "Methods",
        "Analytical methods",
        "12e",
        "Specify all measures and plots used (and their rationale) to evaluate model performance (discrimination, calibration, clinical utility) and, if relevant, to compare models.",
    ),
    (
        "Methods",
        "Analytical methods",
        "12f",
        "Describe any model updating (e.g. recalibration) arising from the evaluation, overall or for particular groups or settings.",
    ),
    (
        "Methods",
        "Analytical methods",
        "12g",
        "For model evaluation, describe how the model predictions were calculated (e.g. formula, code, object, API).",
    ),
    (
        "Methods",
        "Class imbalance",
        "13",
        "If class imbalance methods were used, state why and how, and any subsequent recalibration of the model or its predictions.",
    ),
    (
        "Methods",
        "Fairness",
        "14",
        "Describe any approaches that were used to address model fairness and their rationale.",
    ),
    (
        "Methods",
        "Model output",
        "15",
        "Specify the output of the model (probabilities, classification); give details and rationale for any classification and how the thresholds were identified.",
    ),
    (
        "Methods",
        "Training versus evaluation",
        "16",
        "Identify any differences between the development and evaluation data in healthcare setting, eligibility criteria, outcome and predictors.",
    ),
    (
        "Methods",
        "Ethical approval",
        "17",
        "Name the institutional research board or ethics committee that approved the study and describe the participants' informed consent or its waiver.",
    ),
    (
        "Open science",
        "Funding",
        "18a",
        "Give the source of funding and the role of the funders for the present study.",
    ),
    (
        "Open science",
        "Conflicts of interest",
        "18b",
        "Declare any conflicts of interest and financial disclosures for all authors.",
    ),
    (
        "Open science",
        "Protocol",
        "18c",
        "Indicate where the study protocol can be accessed or state that a protocol was not prepared.",
    ),
    (
        "Open science",
        "Registration",
        "18d",
        "Provide registration information for the study (register and number), or state that it was not registered.",
    ),
    (
        "Open science",
        "Data sharing",
        "18e",
        "Provide details of the availability of the study data.",
    ),
    (
        "Open science",
        "Code sharing",
        "18f",
        "Provide details of the availability of the analytical code.",
    ),
    (
        "Open science",
        "Patient and public involvement",
        "19",
        "Provide details of any patient and public involvement in the design, conduct, reporting, interpretation or dissemination of the study, or state no involvement.",
    ),
    (
        "Results",
        "Participants",
        "20a",
        "Describe the flow of participants through the study, including the number with and without the outcome and, if applicable, follow-up time (a diagram may help).",
    ),
    (
        "Results",
        "Participants",
        "20b",
        "Report the characteristics overall and for each data source or setting: key dates, predictors, treatments, sample size, outcome events, follow-up and missing data; report differences across key demographic groups.",
    ),
    (
        "Results",
        "Participants",
        "20c",
        "For model evaluation, compare the distribution of important predictors (demographics, predictors, outcome) with the development data.",
    ),
    (
        "Results",
        "Model development",
        "21",
        "Specify the number of participants and outcome events in each analysis (model development, hyperparameter tuning, model evaluation).",
    ),
    (
        "Results",
        "Model specification",
        "22",
        "Provide details of the full prediction model (formula, code, object, API) to allow predictions in new individuals and third-party evaluation, including any restrictions to access or re-use.",
    ),
    (
        "Results",
        "Model performance",
        "23a",
        "Report model performance estimates with confidence intervals, including for key subgroups (e.g. sociodemographic); consider plots.",
    ),
    (
        "Results",
        "Model performance",
        "23b",
        "If examined, report results of any heterogeneity in model performance across clusters.",
    ),
    (
        "Results",
        "Model updating",
        "24",
        "Report the results from any model updating, including the updated model and its performance.",
    ),
    (
        "Discussion",
        "Interpretation",
        "25",
        "Give an overall interpretation of the main results, including issues of fairness, in the context of the objectives and previous studies.",
    ),
    (
        "Discussion",
        "Limitations",
        "26",
        "Discuss any limitations of the study (non-representative sample, sample size, overfitting, missing data) and their effects on bias, statistical uncertainty and generalisability.",
    ),
    (
        "Discussion",
        "Usability of the model in the context of current care",
        "27a",
        "Describe how poor quality or unavailable input data (e.g. predictor values) should be assessed and handled when implementing the model.",
    ),
    (
        "Discussion",
        "Usability of the model in the context of current care",
        "27b",
        "Specify whether users will be required to interact in the handling of the input data or use of the model, and what level of expertise is required.",
    ),
    (
        "Discussion",
        "Usability of the model in the context of current care",
        "27c",
        "Discuss any next steps for future research, with a specific view to applicability and generalisability of the model.",
    ),
];

/// Who supplies an item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// This run's numbers answer the item.
    FilledByRun,
    /// This run gives the numbers; the authors add what only they know.
    PartlyByRun,
    /// Only the authors can supply it.
    ForTheAuthors,
}

impl Status {
    pub fn label(self) -> &'static str {
        match self {
            Status::FilledByRun => "filled by this run",
            Status::PartlyByRun => "partly filled; the authors complete it",
            Status::ForTheAuthors => "for the authors",
        }
    }
}

/// One item or sub-item.
#[derive(Debug, Clone, Serialize)]
pub struct ChecklistItem {
    pub section: String,
    pub topic: String,
    /// `1`, `3a`, ...
    pub item: String,
    /// What the item asks (paraphrased).
    pub asks: String,
    pub status: Status,
    /// What this run filled in (one line each); empty for [`Status::ForTheAuthors`].
    pub this_run: Vec<String>,
    /// What the authors must supply; `None` when the run fills the item.
    pub for_the_authors: Option<String>,
}

/// The whole checklist of one study.
#[derive(Debug, Clone, Serialize)]
pub struct Checklist {
    pub guideline: String,
    pub reference: String,
    pub filled_by_run: usize,
    pub partly_by_run: usize,
    pub for_the_authors: usize,
    pub items: Vec<ChecklistItem>,
}

/// "A (95% CI)" of each model of a cohort.
fn aucs(c: &CohortEvaluation) -> String {
    c.models
        .iter()
        .map(|(m, e)| format!("{m} {}", e.estimate.label()))
        .collect::<Vec<_>>()
        .join("; ")
}

fn cohort_name(key: &str) -> &str {
    match key {
        "primary_cv" => "primary cohort (cross-validated)",
        "external" => "external cohort",
        other => other,
    }
}

/// The checklist of the finished `run` with its `results` (provenance included when set).
pub fn tripod_checklist(run: &StudyRun, results: &StudyResults) -> Checklist {
    let r = results;
    let s = &run.settings;
    let count = |ps: &[livermet_cohort::Patient]| {
        let e = ps.iter().filter(|p| p.slm == Some(true)).count();
        (ps.len(), e)
    };
    let (np, ep) = count(&run.primary);
    let (ne, ee) = count(&run.external);
    let centres = |ps: &[livermet_cohort::Patient]| {
        let mut c: Vec<&str> = ps.iter().map(|p| p.centre.as_str()).collect();
        c.sort();
        c.dedup();
        c.join(", ")
    };
    let cohort_lines = |f: &dyn Fn(&str, &CohortEvaluation) -> String| -> Vec<String> {
        let mut keys: Vec<&String> = r.cohorts.keys().collect();
        keys.sort_by_key(|k| k.as_str() != "primary_cv");
        keys.into_iter()
            .map(|k| format!("{}: {}", cohort_name(k), f(k, &r.cohorts[k])))
            .collect()
    };
    let folds: Vec<String> = (0..run.folds.k)
        .map(|k| {
            let test: Vec<&livermet_cohort::Patient> = run
                .primary
                .iter()
                .filter(|p| run.folds.folds.get(&p.id) == Some(&k))
                .collect();
            let te = test.iter().filter(|p| p.slm == Some(true)).count();
            format!(
                "fold {}: trained on {} patients ({} with SLM), evaluated on {} ({} with SLM)",
                k + 1,
                np - test.len(),
                ep - te,
                test.len(),
                te
            )
        })
        .collect();
    let candidates = livermet_cohort::CLINICAL_FEATURES.len();
    let epp = |events: usize| events as f64 / candidates as f64;
    let lesion_missing = run
        .primary
        .iter()
        .chain(&run.external)
        .filter(|p| p.slm == Some(true) && p.lesion_size_cm.is_none())
        .count();
    let prov = r.provenance.as_ref();
    let networks: Vec<&ModelName> = s.models.iter().filter(|m| m.is_network()).collect();
    let net = s.net(ModelName::Combined, s.combined_inputs(candidates));
    let train = s.train();

    let mut items = Vec::new();
    for (section, topic, item, asks) in ITEMS {
        use Status::*;
        let (status, this_run, authors): (Status, Vec<String>, Option<&str>) = match item {
            "1" => (
                PartlyByRun,
                vec![format!(
                    "a multivariable diagnostic model of synchronous liver metastases (SLM) of rectal cancer from MRI and clinical values: development with {}-fold cross-validation on {np} patients{}",
                    run.folds.k,
                    if ne > 0 { format!(", external validation on {ne}") } else { String::new() }
                )],
                Some("the title of the paper"),
            ),
            "2" => (ForTheAuthors, vec![], Some("the abstract (TRIPOD+AI for Abstracts)")),
            "3a" | "3b" | "3c" | "4" | "5b" | "6b" | "6c" | "8b" | "8c" | "9c" | "17" | "18a"
            | "18b" | "18c" | "18d" | "18e" | "19" | "25" | "26" | "27c" => (
                ForTheAuthors,
                vec![],
                Some(match item {
                    "5b" => "the dates of accrual and follow-up (the cohort CSVs hold none)",
                    "6b" => "the inclusion and exclusion criteria",
                    "6c" => "treatments received before MRI, if any",
                    "8b" | "8c" => "who assessed SLM (imaging, pathology), their qualifications and any blinding",
                    "9c" => "who delineated the tumour ROIs and read the images, and their qualifications",
                    "17" => "the ethics committee, approval number and consent or waiver",
                    "18e" => "where the study data can be obtained",
                    "19" => "patient and public involvement, or a statement of none",
                    _ => "the authors' text",
                }),
            ),
            "5a" => (
                PartlyByRun,
                vec![
                    format!(
                        "development: {} ({np} patients); evaluation: {}",
                        s.primary.display(),
                        s.external.as_ref().map_or("none".into(), |e| format!("{} ({ne} patients)", e.display()))
                    ),
                    "the cohort CSVs and every image file a patient used are identified by sha256 in manifest.json".into(),
                ],
                Some("the sources of the data (study design, routine care), the rationale and representativeness"),
            ),
            "6a" => (
                PartlyByRun,
                vec![
                    format!("primary cohort: centre(s) {}", centres(&run.primary)),
                    format!("external cohort: centre(s) {}", centres(&run.external)),
                ],
                Some("the setting (e.g. secondary care) and the centres' locations"),
            ),
            "7" => (
                FilledByRun,
                vec![
                    "every cohort validated (livermet validate: every value and image checked, a cohort with any problem refused)".into(),
                    format!(
                        "per patient, identically for every patient: ADC from the DWI where not given, rigid registration to T2, resampling to the T2 grid, z-score per sequence, up to {} tumour slices, {} px patches ({})",
                        s.prepare_settings().max_slices,
                        s.patch_size(),
                        serde_json::to_string(&s.prepare_settings()).unwrap_or_default()
                    ),
                ],
                None,
            ),
            "8a" => (
                PartlyByRun,
                vec![format!(
                    "outcome: the cohort CSV's `slm` (1 = SLM at diagnosis); {ep} of {np} primary and {ee} of {ne} external patients"
                )],
                Some("how and when SLM was assessed, its time horizon and the rationale"),
            ),
            "9a" => (
                FilledByRun,
                vec![
                    format!("CF candidates: {} (all routinely recorded clinical values of the paper)", livermet_cohort::CLINICAL_FEATURES.join(", ")),
                    "CF pre-selection: univariable logistic screen at p < 0.1, then backward LR elimination (removal p > 0.10), inside every training fold".into(),
                    "images: T2WI, T1WI, T1CE, DWI and ADC of the tumour (all five sequences, no pre-selection)".into(),
                ],
                None,
            ),
            "9b" => (
                PartlyByRun,
                vec!["sex (male 1), age (years, linear), tumour distance from the anal verge (cm, linear), CEA >= 5 ng/ml, CA19-9 >= 37 U/ml".into()],
                Some("how and when the predictors were measured (e.g. serum markers within the MRI's period) and any blinding"),
            ),
            "10" => (
                PartlyByRun,
                cohort_lines(&|_, c| format!(
                    "{} patients, {} events; {:.1} events per candidate predictor ({} CF candidates)",
                    c.n, c.events, epp(c.events), candidates
                )),
                Some("how the study size was arrived at and why it suffices"),
            ),
            "11" => (
                FilledByRun,
                cohort_lines(&|_, c| {
                    let m: Vec<String> = c
                        .table1
                        .rows
                        .iter()
                        .map(|row| format!("{} {}", row.name, row.missing.iter().sum::<usize>()))
                        .collect();
                    format!("missing values per variable: {}", m.join(", "))
                })
                .into_iter()
                .chain([
                    "livermet validate refuses a cohort with a missing clinical value, label or image, so no patient was omitted or imputed by livermet".to_string(),
                    format!("lesion_size_cm (optional): not recorded for {lesion_missing} SLM patient(s); they are left out of the lesion-size sensitivity only"),
                ])
                .collect(),
                None,
            ),
            "12a" => (
                FilledByRun,
                std::iter::once(format!(
                    "{}-fold patient-level cross-validation of the primary cohort, folds stratified by SLM (seed {}); every fitted step (CF selection, standardisation, networks) inside the training folds; final models refitted on the whole primary cohort{}",
                    run.folds.k,
                    run.folds.seed,
                    if ne > 0 { " and applied unchanged to the external cohort" } else { "" }
                ))
                .chain(folds.iter().cloned())
                .collect(),
                None,
            ),
            "12b" => (
                FilledByRun,
                vec![
                    "CF: age and distance linear, CEA and CA19-9 dichotomised at 5 ng/ml and 37 U/ml, sex binary".into(),
                    format!("Combined network: clinical values by fusion `{}` (standardised with the training fold's mean and SD)", s.fusion.as_str()),
                    "images: z-score per sequence per patient".into(),
                ],
                None,
            ),
            "12c" => (
                FilledByRun,
                s.fits(ModelName::CF)
                    .then(|| "CF: logistic regression after the univariable screen and backward elimination".to_string())
                    .into_iter()
                    .chain((!networks.is_empty()).then(|| format!(
                        "networks ({}): residual CNN, widths {:?}, patch {} px, dropout {}, {} epochs, Adam lr {} with exponential decay, batch {}, L1 {}, L2 {}; no hyperparameter tuning (fixed protocol `{:?}`)",
                        networks.iter().map(|m| m.as_str()).collect::<Vec<_>>().join(", "),
                        net.widths, net.patch_size, net.dropout, train.epochs, train.lr0, train.batch_size, train.l1, train.l2, s.protocol
                    )))
                    .chain([format!("internal validation: {}-fold cross-validation{}", run.folds.k,
                        r.cf_internal_validation.as_ref().map_or(String::new(), |v| format!("; the CF model also by Harrell's bootstrap optimism correction (B = {} resamples, selection repeated in each)", v.resamples)))])
                    .collect(),
                None,
            ),
            "12d" => (
                PartlyByRun,
                vec![format!(
                    "performance per centre on the pooled cohorts ({} centre(s)); no random-effects model of heterogeneity",
                    r.centres.len()
                )],
                Some("whether heterogeneity across centres was modelled beyond the per-centre table"),
            ),
            "12e" => (
                FilledByRun,
                vec![
                    "discrimination: AUC with DeLong 95% CI, paired DeLong tests; ACC, SEN, SPE, PPV, NPV at the median score with Clopper-Pearson CIs".into(),
                    "calibration: intercept, slope, Brier score, Hosmer-Lemeshow, calibration curves by deciles".into(),
                    "clinical utility: decision curves (net benefit) with treat-all and treat-none".into(),
                    "model comparison: DeLong tests, NRI (category-free and at the median) and IDI".into(),
                ],
                None,
            ),
            "12f" | "24" => (
                FilledByRun,
                vec!["no model updating: the external cohort is scored by the final models unchanged (no recalibration)".into()],
                None,
            ),
            "12g" => (
                FilledByRun,
                vec![format!(
                    "predictions by the model bundle OUT/model (`livermet predict`){}",
                    prov.and_then(|p| p.bundle_sha256.as_ref()).map_or(String::new(), |h| format!(", bundle sha256 {h}"))
                )],
                None,
            ),
            "13" => (
                FilledByRun,
                vec!["no class-imbalance method: unweighted likelihood / cross-entropy, no resampling of classes".into()],
                None,
            ),
            "14" => (
                PartlyByRun,
                vec!["no fairness method applied; performance reported per sex and age band (item 23a)".into()],
                Some("the rationale, and any fairness approach beyond subgroup reporting"),
            ),
            "15" => (
                FilledByRun,
                cohort_lines(&|_, c| {
                    let t: Vec<String> = c.models.iter().map(|(m, e)| format!("{m} {:.3}", e.threshold_metrics.threshold)).collect();
                    format!("output: probability of SLM; classified high risk when at or above the cohort's median score (the paper's rule): {}", t.join(", "))
                }),
                None,
            ),
            "16" => (
                PartlyByRun,
                vec![format!(
                    "development centre(s) {}, evaluation centre(s) {}; the same predictors and outcome column; Table 1 of each cohort compares their distributions",
                    centres(&run.primary), centres(&run.external)
                )],
                Some("differences in setting, eligibility and outcome assessment between the cohorts"),
            ),
            "18f" => (
                PartlyByRun,
                vec![format!(
                    "livermet {}, git commit {}",
                    prov.map_or(crate::provenance::LIVERMET_VERSION, |p| p.livermet_version.as_str()),
                    prov.map_or(crate::provenance::GIT_COMMIT, |p| p.git_commit.as_str())
                )],
                Some("where the code can be obtained (repository URL, licence)"),
            ),
            "20a" => (
                PartlyByRun,
                std::iter::once(format!(
                    "primary cohort: {np} patients ({ep} with SLM, {} without); external cohort: {ne} ({ee} with SLM, {} without); no patient excluded by livermet",
                    np - ep, ne - ee
                ))
                .chain(folds.iter().cloned())
                .collect(),
                Some("the flow before the cohort CSVs (screened, excluded and why)"),
            ),
            "20b" => (
                PartlyByRun,
                cohort_lines(&|_, c| format!(
                    "Table 1 ({} variables: sex, age, tumour distance, CEA, CA19-9) by SLM; no missing values",
                    c.table1.rows.len()
                )),
                Some("key dates, treatments and follow-up"),
            ),
            "20c" => (
                FilledByRun,
                vec!["Table 1 of the external cohort beside that of the primary cohort (same variables and tests)".into()],
                None,
            ),
            "21" => (
                FilledByRun,
                std::iter::once(format!("final models: {np} patients, {ep} with SLM"))
                    .chain(folds.iter().cloned())
                    .chain(cohort_lines(&|_, c| format!("evaluated on {} patients, {} with SLM", c.n, c.events)))
                    .collect(),
                None,
            ),
            "22" => (
                FilledByRun,
                r.cf_model
                    .iter()
                    .map(|cf| format!("CF model: predictors [{}] with coefficients in cf_model.csv and model/cf.json", cf.predictors.join(", ")))
                    .chain([format!(
                        "networks and the CF model in the bundle OUT/model (freely re-usable by `livermet predict`){}",
                        prov.and_then(|p| p.bundle_sha256.as_ref()).map_or(String::new(), |h| format!("; bundle sha256 {h}"))
                    )])
                    .collect(),
                None,
            ),
            "23a" => (
                FilledByRun,
                cohort_lines(&|_, c| {
                    let cal: Vec<String> = c
                        .models
                        .iter()
                        .filter_map(|(m, e)| e.calibration.as_ref().map(|k| format!("{m} slope {:.2}", k.calibration_slope.slope.estimate)))
                        .collect();
                    format!(
                        "AUC (95% CI) {}; calibration {}; decision curves; {} subgroups (sex, age band, tumour distance band){}",
                        aucs(c),
                        if cal.is_empty() { "not assessable".into() } else { cal.join(", ") },
                        c.subgroups.len(),
                        if c.lesion_size.is_some() { "; sensitivity by lesion size < 3 / >= 3 cm" } else { "" }
                    )
                }),
                None,
            ),
            "23b" => (
                FilledByRun,
                r.centres
                    .iter()
                    .map(|g| {
                        let a: Vec<String> = g
                            .models
                            .iter()
                            .map(|(m, x)| format!("{m} {}", x.auc.as_ref().map_or("no AUC".into(), |a| a.label())))
                            .collect();
                        format!(
                            "centre {}: {} patients, {} with SLM; {}",
                            g.level,
                            g.n,
                            g.events,
                            g.note.clone().unwrap_or_else(|| a.join(", "))
                        )
                    })
                    .collect(),
                None,
            ),
            "27a" => (
                PartlyByRun,
                vec!["livermet validate and predict refuse a patient with a missing, implausible or unreadable value or image, naming it".into()],
                Some("how missing or poor-quality inputs should be handled in practice"),
            ),
            "27b" => (
                PartlyByRun,
                vec!["users supply the five clinical values, the five MRI sequences and a tumour ROI; livermet prepares them without interaction".into()],
                Some("the expertise required (e.g. ROI delineation)"),
            ),
            _ => (ForTheAuthors, vec![], Some("the authors' text")),
        };
        items.push(ChecklistItem {
            section: section.into(),
            topic: topic.into(),
            item: item.into(),
            asks: asks.into(),
            status,
            this_run,
            for_the_authors: authors.map(|a| format!("for the authors: {a}")),
        });
    }
    let n = |st: Status| items.iter().filter(|i| i.status == st).count();
    Checklist {
        guideline: "TRIPOD+AI".into(),
        reference: TRIPOD_AI_REFERENCE.into(),
        filled_by_run: n(Status::FilledByRun),
        partly_by_run: n(Status::PartlyByRun),
        for_the_authors: n(Status::ForTheAuthors),
        items,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_checklist_has_27_items_and_52_sub_items() {
        assert_eq!(ITEMS.len(), 52);
        let mut numbers: Vec<u32> = ITEMS
            .iter()
            .map(|(_, _, n, _)| n.trim_end_matches(char::is_alphabetic).parse().unwrap())
            .collect();
        numbers.dedup();
        assert_eq!(numbers, (1..=27).collect::<Vec<_>>());
        let mut ids: Vec<&str> = ITEMS.iter().map(|i| i.2).collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), 52, "an item number twice");
    }
}
