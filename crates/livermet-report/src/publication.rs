//! The report's sections for a paper (issue 14): provenance, subgroups and centres, the
//! sensitivity by lesion size, reclassification (NRI/IDI), the CF model's bootstrap internal
//! validation, and the TRIPOD+AI checklist (a section of report.html and its own page,
//! `tripod_ai.html`, built with the same [`Page`]: self-contained, same CSP and check script).

use livermet_stats::calibration::Estimate;
use livermet_stats::reclassification::Interval;
use livermet_stats::validation::OptimismRow;
use livermet_study::evaluate::CohortEvaluation;
use livermet_study::results::StudyResults;
use livermet_study::subgroups::Subgroup;
use livermet_study::tripod::Checklist;

use crate::Page;

/// The columns of the checklist tables (report section and tripod_ai.html).
const CHECKLIST_COLUMNS: [&str; 5] = [
    "Item",
    "Topic",
    "The item asks",
    "Status",
    "This run / for the authors",
];

fn cohort_title(key: &str) -> &str {
    match key {
        "primary_cv" => "Primary cohort (cross-validation)",
        "external" => "External validation cohort",
        other => other,
    }
}

fn names(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

/// Build, inputs, seeds, machine and times.
pub fn provenance_section(page: &mut Page, r: &StudyResults) {
    let Some(p) = &r.provenance else { return };
    page.section("Provenance");
    page.paragraph(
        "Which build and which inputs produced this report. manifest.json (beside results.json) \
         lists the sha256 of the cohort CSVs and of every image file a patient used; it holds \
         nothing that depends on when or where the study ran, so a rerun on the same inputs \
         writes the same manifest.",
    );
    let mut pairs: Vec<(String, String)> = vec![
        ("livermet version".into(), p.livermet_version.clone()),
        ("git commit".into(), p.git_commit.clone()),
        ("backend".into(), p.backend.clone()),
        ("device".into(), p.device.clone()),
        ("threads".into(), p.threads.to_string()),
        (
            "STUDY.toml".into(),
            p.study_toml
                .as_ref()
                .map_or("settings given in code".into(), |t| {
                    format!("{} (sha256 {})", t.path.display(), t.sha256)
                }),
        ),
        ("settings sha256".into(), p.settings_sha256.clone()),
        (format!("{} sha256", p.manifest), p.manifest_sha256.clone()),
        (
            "model bundle sha256".into(),
            p.bundle_sha256.clone().unwrap_or_default(),
        ),
        ("seed (folds, networks)".into(), p.seeds.study.to_string()),
        (
            "bootstrap seeds".into(),
            format!(
                "CF validation {}, NRI/IDI {}",
                p.seeds.cf_bootstrap, p.seeds.reclassification_bootstrap
            ),
        ),
        (
            "network seeds".into(),
            p.seeds
                .units
                .iter()
                .map(|(u, s)| format!("{u} {s}"))
                .collect::<Vec<_>>()
                .join(", "),
        ),
        ("started (UTC)".into(), p.started_utc.clone()),
        ("finished (UTC)".into(), p.finished_utc.clone()),
        ("duration".into(), format!("{:.1} s", p.seconds)),
    ];
    if let Some(t) = &p.study_toml {
        pairs.push(("STUDY.toml as read".into(), t.text.clone()));
    }
    page.key_values("Build, inputs and run", &pairs);
    let rows: Vec<Vec<String>> = p
        .stages
        .iter()
        .map(|s| vec![s.stage.clone(), format!("{:.2}", s.seconds)])
        .collect();
    page.table(
        "Duration of each stage of this run",
        &names(&["Stage", "Seconds"]),
        &rows,
    );
}

/// One row per subgroup and model.
fn subgroup_rows(groups: &[Subgroup]) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    for g in groups {
        for (m, x) in &g.models {
            let t = &x.threshold_metrics;
            let auc = match (&x.auc, &g.note) {
                (Some(a), _) => a.label(),
                (None, Some(n)) => n.clone(),
                (None, None) => "-".into(),
            };
            rows.push(vec![
                g.variable.clone(),
                g.level.clone(),
                format!("{} ({})", g.n, g.events),
                m.to_string(),
                auc,
                t.sensitivity.percent_label(),
                t.specificity.percent_label(),
                t.accuracy.percent_label(),
            ]);
        }
    }
    rows
}

fn subgroup_header() -> Vec<String> {
    names(&[
        "Variable",
        "Subgroup",
        "n (SLM)",
        "Model",
        "AUC (95% CI)",
        "SEN",
        "SPE",
        "ACC",
    ])
}

/// Subgroups of every cohort, the sensitivity by lesion size, and the centres.
pub fn subgroup_section(
    page: &mut Page,
    cohorts: &[(&String, &CohortEvaluation)],
    r: &StudyResults,
) {
    page.section("Subgroups and centres");
    page.paragraph(
        "AUC with its DeLong 95% CI and the metrics at the cohort's median-score threshold \
         (the whole cohort's threshold, applied in each subgroup) per sex, age band (< 50, \
         50-64, >= 65 years) and tumour distance from the anal verge (low < 5 cm, mid 5-10 cm, \
         high > 10 cm). A subgroup without patients with SLM, or without patients free of it, \
         has no AUC: the table says so.",
    );
    for (key, c) in cohorts {
        page.table(
            &format!("Subgroups: {}", cohort_title(key)),
            &subgroup_header(),
            &subgroup_rows(&c.subgroups),
        );
        if let Some(l) = &c.lesion_size {
            let rows: Vec<Vec<String>> = l
                .models
                .iter()
                .map(|m| {
                    vec![
                        m.model.to_string(),
                        format!("{:.3}", m.threshold),
                        m.under_3cm.percent_label(),
                        m.at_least_3cm.percent_label(),
                        m.all.percent_label(),
                    ]
                })
                .collect();
            page.table(
                &format!(
                    "Sensitivity by size of the largest liver metastasis: {} ({} SLM patients with a size, {} without)",
                    cohort_title(key),
                    l.with_size,
                    l.without_size
                ),
                &names(&["Model", "Threshold", "SEN < 3 cm", "SEN >= 3 cm", "SEN, all SLM"]),
                &rows,
            );
        }
    }
    if !r.centres.is_empty() {
        page.table(
            "Per centre, primary (out-of-fold) and external scores pooled; threshold: the pooled median",
            &subgroup_header(),
            &subgroup_rows(&r.centres),
        );
    }
}

fn estimate_cell(e: &Estimate, boot: Option<Interval>) -> String {
    let b = boot.map_or(String::new(), |i| {
        format!("; bootstrap {:.3} to {:.3}", i.ci_low, i.ci_high)
    });
    format!("{:.3} ({:.3} to {:.3}){b}", e.estimate, e.ci_low, e.ci_high)
}

/// NRI and IDI of each pair of models, per cohort.
pub fn reclassification_section(page: &mut Page, cohorts: &[(&String, &CohortEvaluation)]) {
    if cohorts.iter().all(|(_, c)| c.reclassification.is_empty()) {
        return;
    }
    page.section("Reclassification (NRI, IDI)");
    let resamples = cohorts
        .iter()
        .flat_map(|(_, c)| &c.reclassification)
        .find_map(|p| p.bootstrap.as_ref().map(|b| b.resamples));
    page.paragraph(&format!(
        "Pencina et al. 2008: the category-free NRI, the NRI at each model's median (high risk \
         at or above it, the paper's rule) and the IDI of the first model against the second, \
         with the Wald 95% CIs of R Hmisc's improveProb{}.",
        resamples.map_or(String::new(), |b| format!(
            " and percentile bootstrap CIs ({b} resamples stratified by SLM)"
        ))
    ));
    for (key, c) in cohorts {
        let rows: Vec<Vec<String>> = c
            .reclassification
            .iter()
            .map(|p| {
                let r = &p.reclassification;
                let b = p.bootstrap.as_ref();
                vec![
                    format!("{} vs {}", p.new, p.old),
                    estimate_cell(&r.continuous.overall, b.map(|b| b.continuous.overall)),
                    estimate_cell(&r.categorical.nri.overall, b.map(|b| b.categorical.overall)),
                    estimate_cell(&r.idi.idi, b.map(|b| b.idi)),
                    p.note.clone().unwrap_or_default(),
                ]
            })
            .collect();
        page.table(
            &format!("NRI and IDI: {}", cohort_title(key)),
            &names(&[
                "New vs old",
                "NRI, category-free (95% CI)",
                "NRI at the median (95% CI)",
                "IDI (95% CI)",
                "Note",
            ]),
            &rows,
        );
    }
}

/// The CF model's bootstrap optimism table.
pub fn cf_validation_section(page: &mut Page, r: &StudyResults) {
    let Some(v) = &r.cf_internal_validation else {
        return;
    };
    page.section("Internal validation of the CF model (bootstrap)");
    page.paragraph(&format!(
        "Harrell's optimism correction with B = {} bootstrap resamples (seed {}): in each, the \
         univariable screen and the backward elimination are repeated on the resample, the \
         model is evaluated on the resample and on the original primary cohort, and the mean \
         difference (the optimism) is subtracted from the apparent performance.{}",
        v.resamples,
        v.seed,
        v.note
            .as_ref()
            .map_or(String::new(), |n| format!(" Note: {n}."))
    ));
    let Some(t) = &v.table else { return };
    let row = |name: &str, x: &OptimismRow| {
        vec![
            name.to_string(),
            format!("{:.3}", x.apparent),
            format!("{:.3}", x.optimism),
            format!("{:.3}", x.corrected),
            format!("{:.4}", x.optimism_se),
        ]
    };
    page.table(
        &format!(
            "CF model: apparent, optimism and corrected performance ({} of {} resamples used)",
            t.used, t.resamples
        ),
        &names(&[
            "Index",
            "Apparent",
            "Optimism",
            "Corrected",
            "Monte-Carlo SE of the optimism",
        ]),
        &[
            row("AUC", &t.auc),
            row("Calibration slope", &t.calibration_slope),
            row("Calibration intercept", &t.calibration_intercept),
            row("Brier score", &t.brier),
        ],
    );
}

fn checklist_rows(c: &Checklist) -> Vec<Vec<String>> {
    c.items
        .iter()
        .map(|i| {
            let mut what = i.this_run.join("; ");
            if let Some(a) = &i.for_the_authors {
                if !what.is_empty() {
                    what.push_str("; ");
                }
                what.push_str(a);
            }
            vec![
                i.item.clone(),
                format!("{}: {}", i.section, i.topic),
                i.asks.clone(),
                i.status.label().to_string(),
                what,
            ]
        })
        .collect()
}

fn checklist_summary(c: &Checklist) -> String {
    format!(
        "{} ({}). Of its {} items and sub-items, this run fills {}, fills {} in part (the \
         authors complete them), and leaves {} to the authors.",
        c.guideline,
        c.reference,
        c.items.len(),
        c.filled_by_run,
        c.partly_by_run,
        c.for_the_authors
    )
}

/// The checklist as a section of report.html.
pub fn tripod_section(page: &mut Page, c: &Checklist) {
    page.section("TRIPOD+AI checklist");
    page.paragraph(&format!(
        "{} The checklist is also in tripod_ai.html and tripod_ai.json.",
        checklist_summary(c)
    ));
    page.table(
        "TRIPOD+AI items",
        &names(&CHECKLIST_COLUMNS),
        &checklist_rows(c),
    );
}

/// `tripod_ai.html`: the checklist on its own page, one table per section of the paper.
pub fn tripod_page(c: &Checklist) -> String {
    let mut page = Page::new("TRIPOD+AI checklist of this livermet study");
    page.section("About");
    page.paragraph(&checklist_summary(c));
    let rows = checklist_rows(c);
    let mut sections: Vec<&str> = c.items.iter().map(|i| i.section.as_str()).collect();
    sections.dedup();
    for s in sections {
        page.section(s);
        let part: Vec<Vec<String>> = c
            .items
            .iter()
            .zip(&rows)
            .filter(|(i, _)| i.section == s)
            .map(|(_, r)| r.clone())
            .collect();
        page.table("", &names(&CHECKLIST_COLUMNS), &part);
    }
    page.render()
}
