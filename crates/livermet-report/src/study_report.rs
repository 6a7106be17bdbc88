//! The study report in `OUT/` (docs/DESIGN.md, "Files"): `results.json` (every number), CSV tables,
//! figures as SVG and PNG under `figures/`, and `report.html` (one self-contained page).

use std::path::{Path, PathBuf};

use livermet_stats::dca::net_benefit_curve;
use livermet_stats::table1::text::{TextRow, header, p_text, text_rows};
use livermet_stats::thresholds::ThresholdMetrics;
use livermet_study::evaluate::CohortEvaluation;
use livermet_study::explain::CohortAttribution;
use livermet_study::representative::Case;
use livermet_study::results::StudyResults;
use livermet_study::{CohortScores, ModelName};

use crate::figures::{
    Series, Tile, TileRow, calibration_figure, decision_curve_figure, representative_figure,
    roc_figure,
};
use crate::publication::{
    cf_validation_section, provenance_section, reclassification_section, subgroup_section,
    tripod_page, tripod_section,
};
use crate::{Page, ReportError, svg_to_png};
use livermet_io::write_bytes_atomic;
use livermet_study::tripod::Checklist;

/// Cohort keys as the report names them.
/// Column names as owned strings.
fn names(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

fn cohort_title(key: &str) -> &str {
    match key {
        "primary_cv" => "Primary cohort (5-fold cross-validation)",
        "external" => "External validation cohort",
        other => other,
    }
}

/// What goes into the report besides [`StudyResults`].
#[derive(Debug)]
pub struct ReportInputs<'a> {
    pub results: &'a StudyResults,
    /// Scores of each cohort (`primary_cv`, `external`), written as CSV.
    pub scores: Vec<&'a CohortScores>,
    /// Representative patients per cohort key.
    pub cases: Vec<(String, Vec<Case>)>,
    /// The Combined model's attribution per cohort (empty without a Combined model).
    pub attributions: Vec<CohortAttribution>,
    /// Wall time of the study, seconds.
    pub seconds: f64,
    /// The TRIPOD+AI checklist (written as `tripod_ai.json` and `tripod_ai.html`, and a
    /// section of the report).
    pub tripod: Option<&'a Checklist>,
}

/// The files written, relative to the report folder.
#[derive(Debug, Default)]
pub struct ReportFiles {
    pub files: Vec<PathBuf>,
}

/// Writes the whole report into `out`.
pub fn write_study_report(out: &Path, inputs: &ReportInputs) -> Result<ReportFiles, ReportError> {
    let r = inputs.results;
    let figures = out.join("figures");
    std::fs::create_dir_all(&figures).map_err(|source| ReportError::Io {
        path: figures.clone(),
        source,
    })?;
    let mut files = ReportFiles::default();
    let mut put = |name: &str, bytes: &[u8]| -> Result<(), ReportError> {
        write_bytes_atomic(&out.join(name), bytes)?;
        files.files.push(PathBuf::from(name));
        Ok(())
    };
    let json = serde_json::to_vec_pretty(r).map_err(|e| ReportError::Svg(e.to_string()))?;
    put("results.json", &json)?;
    for s in &inputs.scores {
        put(&format!("scores_{}.csv", s.cohort), s.to_csv().as_bytes())?;
    }
    put(
        "performance.csv",
        csv(&performance_header(), &every_cohort(r, performance_rows_of)).as_bytes(),
    )?;
    put(
        "comparisons.csv",
        csv(&comparison_header(), &every_cohort(r, comparison_rows_of)).as_bytes(),
    )?;
    put(
        "decision_curves.csv",
        csv(
            &[
                "cohort",
                "model",
                "threshold",
                "net_benefit",
                "net_intervention_avoided",
            ]
            .map(String::from),
            &every_cohort(r, dca_rows_of),
        )
        .as_bytes(),
    )?;
    put(
        "calibration.csv",
        csv(&calibration_header(), &every_cohort(r, calibration_rows_of)).as_bytes(),
    )?;
    put(
        "score_associations.csv",
        csv(&association_header(), &every_cohort(r, association_rows_of)).as_bytes(),
    )?;
    put("cf_model.csv", csv(&cf_header(), &cf_rows(r)).as_bytes())?;
    if !inputs.attributions.is_empty() {
        let (header, rows) = attribution_table(&inputs.attributions, false);
        put("attribution_shares.csv", csv(&header, &rows).as_bytes())?;
    }
    for (key, c) in &r.cohorts {
        let rows: Vec<Vec<String>> = table1_rows(c).into_iter().map(|t| t.cells).collect();
        put(
            &format!("table1_{key}.csv"),
            csv(&header(&c.table1), &rows).as_bytes(),
        )?;
    }

    let mut page =
        Page::new("livermet study report: synchronous liver metastases of rectal cancer");
    summary_section(&mut page, r, inputs.seconds);
    for (key, c) in cohorts_in_order(r) {
        page.section(cohort_title(key));
        page.paragraph(&format!("{} patients, {} with SLM.", c.n, c.events));
        page.table(
            "Performance at the median score (as the paper reports it)",
            &[
                "Model",
                "AUC (95% CI)",
                "Threshold",
                "ACC",
                "SEN",
                "SPE",
                "PPV",
                "NPV",
            ]
            .map(String::from),
            &performance_html(c),
        );
        page.table(
            "DeLong tests of paired AUCs",
            &["Models", "AUC difference (95% CI)", "z", "p"].map(String::from),
            &comparison_html(c),
        );
        for (kind, svg) in cohort_figures(key, c) {
            let stem = format!("{kind}_{key}");
            put(&format!("figures/{stem}.svg"), svg.as_bytes())?;
            put(&format!("figures/{stem}.png"), &svg_to_png(&svg)?)?;
            page.figure(&figure_caption(kind, key), &svg);
        }
        page.table(
            "Calibration (intercept, slope, Brier score, Hosmer-Lemeshow)",
            &calibration_summary_header(),
            &calibration_summary_rows(c),
        );
        let t1 = table1_rows(c);
        page.table(
            &format!("Table 1: clinical characteristics ({})", cohort_title(key)),
            &header(&c.table1),
            &t1.into_iter().map(|t| t.cells).collect::<Vec<_>>(),
        );
        page.table(
            "Univariable logistic regression: DL score at or above the median on each clinical \
             characteristic",
            &["Score", "Characteristic", "OR (95% CI)", "p"].map(String::from),
            &association_html(c),
        );
        if let Some((_, cases)) = inputs.cases.iter().find(|(k, _)| k == key)
            && !cases.is_empty()
        {
            let svg = cases_figure(key, cases);
            put(&format!("figures/representative_{key}.svg"), svg.as_bytes())?;
            put(
                &format!("figures/representative_{key}.png"),
                &svg_to_png(&svg)?,
            )?;
            page.figure(&figure_caption("representative", key), &svg);
        }
    }
    attribution_section(&mut page, &inputs.attributions);
    let cohorts = cohorts_in_order(r);
    subgroup_section(&mut page, &cohorts, r);
    reclassification_section(&mut page, &cohorts);
    cf_section(&mut page, r);
    cf_validation_section(&mut page, r);
    settings_section(&mut page, r);
    provenance_section(&mut page, r);
    if let Some(c) = inputs.tripod {
        tripod_section(&mut page, c);
        let json = serde_json::to_vec_pretty(c).map_err(|e| ReportError::Svg(e.to_string()))?;
        put("tripod_ai.json", &json)?;
        put("tripod_ai.html", tripod_page(c).as_bytes())?;
    }
    put("report.html", page.render().as_bytes())?;
    Ok(files)
}

fn figure_caption(kind: &str, key: &str) -> String {
    let what = match kind {
        "roc" => "ROC curves of the CF, MRI and Combined models",
        "dca" => {
            "Decision curves (net benefit against threshold probability), with treat-all and treat-none"
        }
        "calibration" => {
            "Calibration curves (deciles of predicted risk against the observed SLM rate)"
        }
        _ => {
            "Representative patients at the median-score threshold of the Combined model: T2WI, T1WI, T1CE, DWI and ADC of the middle tumour slice with the tumour outline and the Combined model's Grad-CAM (red to yellow; OUT/saliency/<cohort>/<patient>/ holds the maps on the T2 grid)"
        }
    };
    format!("{what}. {}.", cohort_title(key))
}

/// The per-cohort table of attribution shares (exact Shapley values of the Combined model's
/// log-odds, [`livermet_study::explain`]).
fn attribution_section(page: &mut Page, attributions: &[CohortAttribution]) {
    if attributions.is_empty() {
        return;
    }
    page.section("Clinical values or images: attribution");
    page.paragraph(
        "Exact Shapley values of the Combined model's log-odds of each patient (by the unit that \
         scored it) over two players, the clinical values and the images, against the training \
         patients' mean clinical values and mean image features; the share of a player is its \
         |value| over the sum of both. The feature columns are the mean |Shapley value| of each \
         clinical feature with the images held at the patient's (log-odds).",
    );
    let (header, rows) = attribution_table(attributions, true);
    page.table(
        "Mean attribution shares of the Combined model per cohort",
        &header,
        &rows,
    );
}

/// The attribution shares per cohort: for the page (`html`: titles, percentages, 3 decimals)
/// or for `attribution_shares.csv` (keys, full precision).
fn attribution_table(
    attributions: &[CohortAttribution],
    html: bool,
) -> (Vec<String>, Vec<Vec<String>>) {
    let features: Vec<String> = attributions
        .first()
        .map(|a| a.mean_abs_features.keys().cloned().collect())
        .unwrap_or_default();
    let mut header: Vec<String> = if html {
        names(&["Cohort", "n", "clinical share", "imaging share"])
    } else {
        names(&["cohort", "n", "mean_clinical_share", "mean_imaging_share"])
    };
    header.extend(features.iter().map(|f| {
        if html {
            format!("|{f}|")
        } else {
            format!("mean_abs_{f}")
        }
    }));
    let rows = attributions
        .iter()
        .map(|a| {
            let share = |v: f64| {
                if html {
                    format!("{:.1}%", 100.0 * v)
                } else {
                    v.to_string()
                }
            };
            let mut r = vec![
                if html {
                    cohort_title(&a.cohort).to_string()
                } else {
                    a.cohort.clone()
                },
                a.n.to_string(),
                share(a.mean_clinical_share),
                share(a.mean_imaging_share),
            ];
            r.extend(features.iter().map(|f| {
                let v = a.mean_abs_features[f];
                if html {
                    format!("{v:.3}")
                } else {
                    v.to_string()
                }
            }));
            r
        })
        .collect();
    (header, rows)
}

fn summary_section(page: &mut Page, r: &StudyResults, seconds: f64) {
    page.section("Summary");
    page.paragraph(&format!(
        "Protocol {:?}, {} folds, seed {}, livermet {}; the study took {:.0} s.",
        r.protocol, r.folds, r.seed, r.livermet_version, seconds
    ));
    let mut rows = Vec::new();
    for (key, c) in cohorts_in_order(r) {
        for (m, e) in &c.models {
            rows.push(vec![
                cohort_title(key).to_string(),
                m.to_string(),
                e.estimate.label(),
            ]);
        }
    }
    page.table(
        "AUC (95% CI, DeLong)",
        &["Cohort".into(), "Model".into(), "AUC (95% CI)".into()],
        &rows,
    );
    bayes_limit_table(page, r);
}

/// On the synthetic twin: "How close to the limit" (the AUC of the true posteriors beside each
/// model's, and the gap).
fn bayes_limit_table(page: &mut Page, r: &StudyResults) {
    let mut rows = Vec::new();
    for (key, c) in cohorts_in_order(r) {
        let Some(l) = &c.bayes_limit else { continue };
        let limit = &l.bayes_limit_clinical_latent;
        let clinical = &l.bayes_limit_clinical;
        for (m, gap) in &l.gap_to_bayes_limit {
            let e = &c.models[m];
            rows.push(vec![
                cohort_title(key).to_string(),
                m.to_string(),
                e.estimate.label(),
                limit.label(),
                format!("{gap:.3}"),
                clinical.label(),
            ]);
        }
    }
    if rows.is_empty() {
        return;
    }
    page.paragraph(
        "This cohort is the synthetic twin, whose generator knows each patient's true probability \
         of SLM: from the five clinical values alone, and from them plus the latent imaging score \
         that the images express. The AUC of the true probability is the Bayes limit: no model \
         of these inputs can do better in expectation.",
    );
    page.table(
        "How close to the limit",
        &names(&[
            "Cohort",
            "Model",
            "AUC (95% CI)",
            "Bayes limit, clinical + imaging",
            "Gap",
            "Bayes limit, clinical only",
        ]),
        &rows,
    );
}

fn cf_section(page: &mut Page, r: &StudyResults) {
    page.section("Clinical factor (CF) model");
    let Some(cf) = &r.cf_model else {
        page.paragraph("The CF model was not fitted in this study.");
        return;
    };
    page.paragraph(&format!(
        "Fitted on the whole primary cohort: univariable screen p < 0.1 kept [{}]; backward stepwise \
         likelihood-ratio elimination (removal at p > 0.10) kept [{}]. Predictors kept in each \
         cross-validation fold: {}.",
        cf.screened_in.join(", "),
        cf.predictors.join(", "),
        r.cf_predictors_per_fold.iter().enumerate().map(|(i, p)| format!("fold {}: [{}]", i + 1, p.join(", "))).collect::<Vec<_>>().join("; ")
    ));
    for (name, why) in &cf.excluded {
        page.paragraph(&format!("Candidate {name} was not screened: {why}."));
    }
    page.table(
        "Final CF model: coefficients and odds ratios",
        &cf_header(),
        &cf_rows(r),
    );
}

fn settings_section(page: &mut Page, r: &StudyResults) {
    page.section("Settings");
    let d: Vec<Vec<String>> = r
        .settings_differing_from_paper
        .iter()
        .map(|s| vec![s.setting.clone(), s.this_study.clone(), s.paper.clone()])
        .collect();
    if d.is_empty() {
        page.paragraph("Every setting is the paper's.");
    } else {
        page.table(
            "Settings that differ from the paper's protocol",
            &["Setting".into(), "This study".into(), "Paper".into()],
            &d,
        );
    }
    let text = serde_json::to_string_pretty(&r.settings).unwrap_or_default();
    let pairs: Vec<(String, String)> = vec![
        ("livermet version".into(), r.livermet_version.clone()),
        ("seed".into(), r.seed.to_string()),
        ("protocol".into(), format!("{:?}", r.protocol)),
        ("all settings (JSON)".into(), text),
    ];
    page.key_values("Versions, seed and settings", &pairs);
}

/// The primary cohort first, then the external one.
fn cohorts_in_order(r: &StudyResults) -> Vec<(&String, &CohortEvaluation)> {
    let mut v: Vec<_> = r.cohorts.iter().collect();
    v.sort_by_key(|(k, _)| k.as_str() != "primary_cv");
    v
}

/// The performance table as the paper prints it: proportions as "61.1% (44/72)".
fn performance_html(c: &CohortEvaluation) -> Vec<Vec<String>> {
    models_in_order(c)
        .iter()
        .map(|m| {
            let e = &c.models[m];
            let t = &e.threshold_metrics;
            vec![
                m.to_string(),
                e.estimate.label(),
                format!("{:.3}", t.threshold),
            ]
            .into_iter()
            .chain(percent_labels(t))
            .collect()
        })
        .collect()
}

/// ACC, SEN, SPE, PPV, NPV as "61.1% (44/72)" labels, in the tables' column order.
fn percent_labels(t: &ThresholdMetrics) -> [String; 5] {
    [&t.accuracy, &t.sensitivity, &t.specificity, &t.ppv, &t.npv].map(|p| p.percent_label())
}

fn comparison_html(c: &CohortEvaluation) -> Vec<Vec<String>> {
    c.comparisons
        .iter()
        .map(|x| {
            let t = &x.test;
            vec![
                format!("{} vs {}", x.a, x.b),
                format!("{:.3} ({:.3} to {:.3})", t.auc_diff, t.ci_low, t.ci_high),
                t.z.map_or("-".into(), |z| format!("{z:.2}")),
                p_text(t.p),
            ]
        })
        .collect()
}

fn association_html(c: &CohortEvaluation) -> Vec<Vec<String>> {
    c.score_associations
        .iter()
        .map(|a| {
            let x = &a.coefficient;
            vec![
                a.model.to_string(),
                a.characteristic.clone(),
                format!(
                    "{:.3} ({:.3}-{:.3})",
                    x.odds_ratio, x.or_ci_low, x.or_ci_high
                ),
                p_text(Some(x.p)),
            ]
        })
        .collect()
}

fn opt(v: Option<f64>) -> String {
    v.map_or(String::new(), |v| v.to_string())
}

fn csv(header: &[String], rows: &[Vec<String>]) -> String {
    let esc = |c: &str| {
        if c.contains([',', '"', '\n']) {
            format!("\"{}\"", c.replace('"', "\"\""))
        } else {
            c.to_string()
        }
    };
    let mut text = header.iter().map(|h| esc(h)).collect::<Vec<_>>().join(",") + "\n";
    for r in rows {
        text += &(r.iter().map(|c| esc(c)).collect::<Vec<_>>().join(",") + "\n");
    }
    text
}

fn performance_header() -> Vec<String> {
    names(&[
        "cohort",
        "model",
        "auc",
        "ci_low",
        "ci_high",
        "threshold",
        "accuracy",
        "sensitivity",
        "specificity",
        "ppv",
        "npv",
        "tp",
        "fp",
        "tn",
        "fn",
        "ACC",
        "SEN",
        "SPE",
        "PPV",
        "NPV",
    ])
}

/// The rows of `rows_of` for every cohort, cohort by cohort.
fn every_cohort(
    r: &StudyResults,
    rows_of: fn(&str, &CohortEvaluation) -> Vec<Vec<String>>,
) -> Vec<Vec<String>> {
    r.cohorts.iter().flat_map(|(k, c)| rows_of(k, c)).collect()
}

fn performance_rows_of(key: &str, c: &CohortEvaluation) -> Vec<Vec<String>> {
    c.models
        .iter()
        .map(|(m, e)| {
            let t = &e.threshold_metrics;
            vec![
                key.to_string(),
                m.to_string(),
                e.estimate.auc.to_string(),
                opt(e.estimate.ci_low),
                opt(e.estimate.ci_high),
                t.threshold.to_string(),
                opt(t.accuracy.estimate),
                opt(t.sensitivity.estimate),
                opt(t.specificity.estimate),
                opt(t.ppv.estimate),
                opt(t.npv.estimate),
                t.tp.to_string(),
                t.fp.to_string(),
                t.tn.to_string(),
                t.fn_.to_string(),
            ]
            .into_iter()
            .chain(percent_labels(t))
            .collect()
        })
        .collect()
}

fn comparison_header() -> Vec<String> {
    [
        "cohort", "a", "b", "auc_a", "auc_b", "auc_diff", "z", "p", "ci_low", "ci_high",
    ]
    .map(String::from)
    .to_vec()
}

fn comparison_rows_of(key: &str, c: &CohortEvaluation) -> Vec<Vec<String>> {
    c.comparisons
        .iter()
        .map(|x| {
            let t = &x.test;
            vec![
                key.to_string(),
                x.a.to_string(),
                x.b.to_string(),
                t.auc_a.to_string(),
                t.auc_b.to_string(),
                t.auc_diff.to_string(),
                opt(t.z),
                opt(t.p),
                t.ci_low.to_string(),
                t.ci_high.to_string(),
            ]
        })
        .collect()
}

fn dca_rows_of(key: &str, c: &CohortEvaluation) -> Vec<Vec<String>> {
    c.decision_curves
        .iter()
        .map(|d| {
            vec![
                key.to_string(),
                d.model.clone(),
                d.threshold.to_string(),
                d.net_benefit.to_string(),
                d.net_intervention_avoided.to_string(),
            ]
        })
        .collect()
}

fn calibration_header() -> Vec<String> {
    names(&[
        "cohort",
        "model",
        "bin",
        "n",
        "events",
        "mean_predicted",
        "observed",
        "ci_low",
        "ci_high",
    ])
}

fn calibration_rows_of(key: &str, c: &CohortEvaluation) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    for (m, e) in &c.models {
        let Some(cal) = &e.calibration else { continue };
        for (i, b) in cal.curve.iter().enumerate() {
            rows.push(vec![
                key.to_string(),
                m.to_string(),
                (i + 1).to_string(),
                b.n.to_string(),
                b.events.to_string(),
                b.mean_predicted.to_string(),
                b.observed.to_string(),
                b.ci_low.to_string(),
                b.ci_high.to_string(),
            ]);
        }
    }
    rows
}

fn calibration_summary_header() -> Vec<String> {
    names(&[
        "Model",
        "Intercept (95% CI)",
        "Slope (95% CI)",
        "Brier",
        "Hosmer-Lemeshow chi2 (df), p",
    ])
}

fn calibration_summary_rows(c: &CohortEvaluation) -> Vec<Vec<String>> {
    c.models
        .iter()
        .map(|(m, e)| match &e.calibration {
            Some(cal) => {
                let i = &cal.calibration_in_the_large;
                let s = &cal.calibration_slope;
                let hl = &cal.hosmer_lemeshow;
                vec![
                    m.to_string(),
                    format!("{:.3} ({:.3} to {:.3})", i.estimate, i.ci_low, i.ci_high),
                    format!(
                        "{:.3} ({:.3} to {:.3})",
                        s.slope.estimate, s.slope.ci_low, s.slope.ci_high
                    ),
                    format!("{:.4}", cal.brier),
                    format!("{:.2} ({}), {}", hl.chi2, hl.df, p_text(Some(hl.p))),
                ]
            }
            None => vec![
                m.to_string(),
                e.calibration_note.clone().unwrap_or_default(),
                String::new(),
                String::new(),
                String::new(),
            ],
        })
        .collect()
}

fn association_header() -> Vec<String> {
    names(&[
        "cohort",
        "score",
        "characteristic",
        "odds_ratio",
        "or_ci_low",
        "or_ci_high",
        "p",
    ])
}

fn association_rows_of(key: &str, c: &CohortEvaluation) -> Vec<Vec<String>> {
    c.score_associations
        .iter()
        .map(|a| {
            let x = &a.coefficient;
            vec![
                key.to_string(),
                a.model.to_string(),
                a.characteristic.clone(),
                x.odds_ratio.to_string(),
                x.or_ci_low.to_string(),
                x.or_ci_high.to_string(),
                x.p.to_string(),
            ]
        })
        .collect()
}

fn cf_header() -> Vec<String> {
    names(&[
        "term",
        "coef",
        "se",
        "p",
        "odds_ratio",
        "or_ci_low",
        "or_ci_high",
    ])
}

/// The final CF fit's coefficients, read from the selection record.
fn cf_rows(r: &StudyResults) -> Vec<Vec<String>> {
    let Some(cf) = &r.cf_model else {
        return Vec::new();
    };
    let coefs = cf.selection["stepwise"]["fit"]["coefficients"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let num =
        |v: &serde_json::Value, k: &str| v[k].as_f64().map_or(String::new(), |x| x.to_string());
    coefs
        .iter()
        .map(|c| {
            vec![
                c["name"].as_str().unwrap_or("").to_string(),
                num(c, "coef"),
                num(c, "se"),
                num(c, "p"),
                num(c, "odds_ratio"),
                num(c, "or_ci_low"),
                num(c, "or_ci_high"),
            ]
        })
        .collect()
}

fn table1_rows(c: &CohortEvaluation) -> Vec<TextRow> {
    text_rows(&c.table1)
}

/// ROC, decision and calibration figures of one cohort.
fn cohort_figures(key: &str, c: &CohortEvaluation) -> Vec<(&'static str, String)> {
    let title = cohort_title(key);
    let roc: Vec<Series> = c
        .models
        .iter()
        .map(|(m, e)| {
            Series::new(
                format!("{m}: AUC {}", e.estimate.label()),
                e.roc.iter().map(|p| (p.fpr, p.tpr)).collect(),
            )
        })
        .collect();
    let curve = |name: &str| net_benefit_curve(&c.decision_curves, name);
    let dca: Vec<Series> = c
        .models
        .keys()
        .map(|m| Series::new(m.to_string(), curve(m.as_str())))
        .collect();
    let treat_all = Series::new("Treat all", curve("all")).dashed();
    let cal: Vec<Series> = c
        .models
        .iter()
        .filter_map(|(m, e)| {
            e.calibration.as_ref().map(|cal| {
                Series::new(
                    m.to_string(),
                    cal.curve
                        .iter()
                        .map(|b| (b.mean_predicted, b.observed))
                        .collect(),
                )
            })
        })
        .collect();
    vec![
        ("roc", roc_figure(&format!("ROC: {title}"), &roc)),
        (
            "dca",
            decision_curve_figure(&format!("Decision curves: {title}"), &dca, &treat_all),
        ),
        (
            "calibration",
            calibration_figure(&format!("Calibration: {title}"), &cal),
        ),
    ]
}

/// The paper's Figure 2 for one cohort.
fn cases_figure(key: &str, cases: &[Case]) -> String {
    let rows: Vec<TileRow> = cases
        .iter()
        .map(|c| TileRow {
            label: format!("{}: {}, score {:.2}", c.kind, c.patient_id, c.score),
            tiles: c
                .channels
                .iter()
                .map(|px| Tile {
                    width: c.size,
                    height: c.size,
                    pixels: px.clone(),
                    mask: c.mask.clone(),
                    overlay: c.saliency.clone(),
                })
                .collect(),
        })
        .collect();
    representative_figure(
        &format!("Representative patients: {}", cohort_title(key)),
        &["T2WI", "T1WI", "T1CE", "DWI", "ADC"],
        &rows,
    )
}

/// Models of a cohort, in the paper's order.
fn models_in_order(c: &CohortEvaluation) -> Vec<ModelName> {
    ModelName::ALL
        .into_iter()
        .filter(|m| c.models.contains_key(m))
        .collect()
}
