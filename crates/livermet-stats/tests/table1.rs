//! Table 1 against the table computed with scipy (`fixtures/stats/table1/make_table1.py`), and
//! its edge cases.

use livermet_stats::describe::Continuous;
use livermet_stats::table1::{
    Summary, SummaryForm, Table1, Table1Options, TestName, Variable, VariableKind, table1,
    table1_with,
};
use serde_json::Value;

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../fixtures/stats/table1");

fn missing(cell: &str) -> bool {
    matches!(cell.trim(), "" | "NA" | "NaN" | "nan" | "." | "null")
}

fn cell(c: &str) -> Option<String> {
    (!missing(c)).then(|| c.to_string())
}

/// The fixture cohort's Table 1 by slm over every column but patient_id.
fn cohort_table() -> Table1 {
    cohort_table_with(Table1Options::default())
}

fn cohort_table_with(options: Table1Options) -> Table1 {
    let text = std::fs::read_to_string(format!("{FIXTURES}/cohort.csv")).unwrap();
    let mut lines = text.lines();
    let headers: Vec<&str> = lines.next().unwrap().split(',').collect();
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    let column = |name: &str| {
        let c = headers.iter().position(|h| *h == name).unwrap();
        rows.iter().map(|r| cell(r[c])).collect::<Vec<_>>()
    };
    let vars: Vec<Variable> = headers
        .iter()
        .filter(|h| !["patient_id", "slm"].contains(h))
        .map(|h| Variable {
            name: h.to_string(),
            cells: column(h),
            kind: None,
        })
        .collect();
    table1_with("slm", &column("slm"), &vars, options).unwrap()
}

fn expected() -> Value {
    let text = std::fs::read_to_string(format!("{FIXTURES}/table1_expected.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

fn close(what: &str, got: Option<f64>, want: &Value) {
    match (got, want.as_f64()) {
        (Some(g), Some(w)) => assert!(
            (g - w).abs() <= 1e-6 * w.abs().max(1.0),
            "{what}: {g} vs {w}"
        ),
        (None, None) => {}
        (g, _) => panic!("{what}: got {g:?}, scipy {want}"),
    }
}

fn close_p(what: &str, got: Option<f64>, want: &Value) {
    let (g, w) = (got.unwrap(), want.as_f64().unwrap());
    assert!(
        (g - w).abs() <= 1e-6 || (g - w).abs() <= 1e-4 * w,
        "{what}: p {g:e} vs {w:e}"
    );
}

fn test_name(t: Option<TestName>) -> String {
    t.map(|t| t.to_string()).unwrap_or_default()
}

#[test]
fn cohort_table1_matches_scipy_row_by_row() {
    let (got, want) = (cohort_table(), expected());
    assert_eq!(
        got.groups
            .iter()
            .map(|g| g.label.as_str())
            .collect::<Vec<_>>(),
        ["0", "1"]
    );
    let sizes: Vec<u64> = got.groups.iter().map(|g| g.n as u64).collect();
    assert_eq!(serde_json::json!(sizes), want["group_n"]);
    let rows = want["rows"].as_array().unwrap();
    assert_eq!(got.rows.len(), rows.len());
    let mut tests_seen = std::collections::BTreeSet::new();
    for (row, w) in got.rows.iter().zip(rows) {
        let name = &row.name;
        assert_eq!(name, w["name"].as_str().unwrap());
        assert_eq!(serde_json::to_value(row.kind).unwrap(), w["kind"], "{name}");
        assert_eq!(test_name(row.test), w["test"].as_str().unwrap(), "{name}");
        tests_seen.insert(test_name(row.test));
        assert_eq!(
            serde_json::json!(row.missing),
            w["missing"],
            "{name} missing"
        );
        close(&format!("{name} statistic"), row.statistic, &w["statistic"]);
        close(&format!("{name} df"), row.df, &w["df"]);
        close_p(name, row.p, &w["p"]);
        match row.kind {
            VariableKind::Categorical => check_categorical(row, w),
            VariableKind::Continuous => check_continuous(row, w),
        }
    }
    assert_eq!(
        tests_seen.len(),
        5,
        "all five tests exercised: {tests_seen:?}"
    );
}

fn check_categorical(row: &livermet_stats::table1::Table1Row, w: &Value) {
    let levels: Vec<&str> = w["levels"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l.as_str().unwrap())
        .collect();
    for (k, g) in row.groups.iter().enumerate() {
        let Summary::Categorical { n, levels: counts } = g else {
            panic!("categorical")
        };
        assert_eq!(*n as u64, w["n"][k].as_u64().unwrap(), "{}", row.name);
        for (i, lc) in counts.iter().enumerate() {
            assert_eq!(lc.level, levels[i]);
            assert_eq!(
                lc.n as u64,
                w["counts"][i][k].as_u64().unwrap(),
                "{} {}",
                row.name,
                lc.level
            );
            let pct = 100.0 * lc.n as f64 / *n as f64;
            assert!((lc.percent.unwrap() - pct).abs() < 1e-12);
        }
    }
    assert_eq!(
        row.small_expected,
        w["small_expected"].as_bool().unwrap_or(false),
        "{}",
        row.name
    );
}

fn check_continuous(row: &livermet_stats::table1::Table1Row, w: &Value) {
    let form = if w["summary"] == "mean_sd" {
        SummaryForm::MeanSd
    } else {
        SummaryForm::MedianIqr
    };
    assert_eq!(row.summary, Some(form), "{}", row.name);
    let cells = row.groups.iter().chain(std::iter::once(&row.total));
    let wants = w["groups"]
        .as_array()
        .unwrap()
        .iter()
        .chain(std::iter::once(&w["total"]));
    for (g, want) in cells.zip(wants) {
        let Summary::Continuous(d) = g else {
            panic!("continuous")
        };
        assert_eq!(d.n as u64, want["n"].as_u64().unwrap());
        for (field, got) in [
            ("mean", d.mean),
            ("sd", d.sd),
            ("median", d.median),
            ("q1", d.q1),
            ("q3", d.q3),
        ] {
            close(&format!("{} {field}", row.name), got, &want[field]);
        }
    }
    for (k, sw) in row.normality.iter().enumerate() {
        let sw = sw.as_ref().unwrap();
        close(
            &format!("{} W", row.name),
            Some(sw.statistic),
            &w["shapiro"][k]["statistic"],
        );
        close_p(
            &format!("{} SW p", row.name),
            Some(sw.p_value),
            &w["shapiro"][k]["p"],
        );
    }
}

fn var(name: &str, cells: &[&str], kind: Option<VariableKind>) -> Variable {
    Variable {
        name: name.into(),
        cells: cells.iter().map(|c| cell(c)).collect(),
        kind,
    }
}

fn groups(cells: &[&str]) -> Vec<Option<String>> {
    cells.iter().map(|c| cell(c)).collect()
}

#[test]
fn a_group_with_one_subject_uses_mann_whitney_and_says_why() {
    let g = groups(&["0", "0", "0", "0", "0", "1"]);
    let v = var(
        "age",
        &["50", "61", "47", "58", "66", "70"],
        Some(VariableKind::Continuous),
    );
    let t = table1("slm", &g, &[v]).unwrap();
    let row = &t.rows[0];
    assert_eq!(row.test, Some(TestName::MannWhitneyU));
    assert_eq!(row.summary, Some(SummaryForm::MedianIqr));
    assert!(row.normality[1].is_none());
    assert!(
        row.notes
            .iter()
            .any(|n| n.contains("group 2") && n.contains("3 to 5000")),
        "{:?}",
        row.notes
    );
    // U of group 0 = 0 (all five below 70); exact p = 2 P(U <= 0) = 2/6.
    assert_eq!(row.statistic, Some(0.0));
    assert!((row.p.unwrap() - 2.0 / 6.0).abs() < 1e-12);
    let Summary::Continuous(d) = &row.groups[1] else {
        panic!()
    };
    assert_eq!((d.n, d.mean, d.sd), (1, Some(70.0), None));
}

#[test]
fn identical_values_have_sd_zero_and_an_undefined_shapiro_named_in_the_notes() {
    let g = groups(&["0", "0", "0", "0", "1", "1", "1", "1"]);
    let v = var(
        "x",
        &["5", "5", "5", "5", "5", "5", "5", "5"],
        Some(VariableKind::Continuous),
    );
    let row = &table1("slm", &g, &[v]).unwrap().rows[0];
    let Summary::Continuous(d) = &row.groups[0] else {
        panic!()
    };
    assert_eq!(d.sd, Some(0.0));
    assert!(row.normality.iter().all(Option::is_none));
    assert_eq!(
        row.notes
            .iter()
            .filter(|n| n.contains("all values are identical"))
            .count(),
        2
    );
    assert_eq!(row.test, Some(TestName::MannWhitneyU));
    assert_eq!(row.p, Some(1.0));
}

#[test]
fn a_variable_missing_in_one_group_is_summarised_but_not_tested() {
    let g = groups(&["0", "0", "0", "1", "1", "1"]);
    let cont = var(
        "cea",
        &["1.2", "3.4", "2.2", "", "NA", "."],
        Some(VariableKind::Continuous),
    );
    let cat = var("sex", &["M", "F", "M", "", "", ""], None);
    let t = table1("slm", &g, &[cont, cat]).unwrap();
    for row in &t.rows {
        assert_eq!(row.missing, vec![0, 3], "{}", row.name);
        assert_eq!((row.test, row.p), (None, None), "{}", row.name);
        assert!(
            row.notes.iter().any(|n| n.contains("no values in group 2")),
            "{:?}",
            row.notes
        );
    }
    let Summary::Categorical { n, levels } = &t.rows[1].groups[1] else {
        panic!()
    };
    assert_eq!(*n, 0);
    assert!(levels.iter().all(|l| l.n == 0 && l.percent.is_none()));
}

#[test]
fn a_grouping_column_without_exactly_two_values_is_a_clear_error() {
    let v = var("age", &["1", "2", "3", "4"], None);
    let err = table1(
        "stage",
        &groups(&["a", "b", "c", "a"]),
        std::slice::from_ref(&v),
    )
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("`stage` has 3 distinct value(s) (a, b, c)") && err.contains("exactly two"),
        "{err}"
    );
    let err = table1("slm", &groups(&["1", "1", "1", ""]), &[v])
        .unwrap_err()
        .to_string();
    assert!(err.contains("1 distinct value(s)"), "{err}");
}

#[test]
fn missing_group_rows_are_excluded_and_counted() {
    let g = groups(&["0", "1", "", "0", "1", "NA"]);
    let v = var("sex", &["M", "F", "M", "F", "M", "F"], None);
    let t = table1("slm", &g, &[v]).unwrap();
    assert_eq!((t.n, t.excluded_missing_group), (4, 2));
    let Summary::Categorical { n, .. } = &t.rows[0].total else {
        panic!()
    };
    assert_eq!(*n, 4);
}

#[test]
fn kind_rule_and_forcing() {
    let g = groups(&["0", "0", "0", "0", "1", "1", "1", "1"]);
    // Numeric with 3 distinct values: categorical automatically.
    let grade = var("grade", &["1", "2", "3", "1", "2", "3", "3", "3"], None);
    // Numeric with 8 distinct values: continuous, unless forced categorical.
    let cells = ["1", "2", "3", "4", "5", "6", "7", "8"];
    let auto = var("score", &cells, None);
    let forced = var("score", &cells, Some(VariableKind::Categorical));
    let t = table1("slm", &g, &[grade, auto, forced]).unwrap();
    let kinds: Vec<VariableKind> = t.rows.iter().map(|r| r.kind).collect();
    use VariableKind::*;
    assert_eq!(kinds, [Categorical, Continuous, Categorical]);
    let bad = var(
        "age",
        &["1", "x", "3", "4", "5", "6", "7", "8"],
        Some(Continuous),
    );
    let err = table1("slm", &g, &[bad]).unwrap_err().to_string();
    assert!(err.contains("`age`") && err.contains("`x`"), "{err}");
}

#[test]
fn small_expected_counts_choose_the_exact_tests() {
    let g = groups(&["0", "0", "0", "0", "0", "1", "1", "1", "1", "1"]);
    let two = var(
        "sex",
        &["M", "M", "M", "M", "F", "F", "F", "F", "F", "M"],
        None,
    );
    let three = var(
        "stage",
        &["T2", "T2", "T3", "T3", "T4", "T4", "T4", "T2", "T3", "T4"],
        None,
    );
    let t = table1("slm", &g, &[two, three]).unwrap();
    assert_eq!(t.rows[0].test, Some(TestName::FisherExact));
    // [[1,4],[4,1]] levels F, M: two-sided p = (1 + 25 + 25 + 1) / 252 (pmf C(5,x)^2 / 252).
    assert!((t.rows[0].p.unwrap() - 52.0 / 252.0).abs() < 1e-12);
    // [[2,1],[2,1],[1,3]] (T2, T3, T4 by group): R's fisher.test gives 0.571428571428569
    // (fixtures/stats/table1/fisher_rxc.json, `t_table1_unit`), i.e. 4/7.
    let stage = &t.rows[1];
    assert_eq!(stage.test, Some(TestName::FisherFreemanHalton));
    assert!(
        (stage.p.unwrap() - 0.571428571428569).abs() < 1e-9,
        "{:?}",
        stage.p
    );
    assert_eq!(
        (stage.statistic, stage.df, stage.small_expected),
        (None, None, false)
    );
    assert!(
        stage
            .notes
            .iter()
            .any(|n| n.contains("3x2") && n.contains("Fisher-Freeman-Halton")),
        "{:?}",
        stage.notes
    );
}

#[test]
fn a_table_too_large_to_enumerate_keeps_the_chi_square_test_and_says_so() {
    // 12 levels over 240 subjects, one rare level: an expected count below 5, and more tables
    // with these margins than the exact test enumerates.
    let mut groups_cells = Vec::new();
    let mut levels = Vec::new();
    for i in 0..240 {
        groups_cells.push(if i % 2 == 0 { "0" } else { "1" });
        levels.push(format!("L{:02}", if i < 4 { 11 } else { i % 11 }));
    }
    let g = groups(&groups_cells);
    let refs: Vec<&str> = levels.iter().map(String::as_str).collect();
    let t = table1("slm", &g, &[var("level", &refs, None)]).unwrap();
    let row = &t.rows[0];
    assert_eq!(row.test, Some(TestName::PearsonChiSquare));
    assert!(row.small_expected);
    assert!(
        row.notes
            .iter()
            .any(|n| n.contains("no exact test") && n.contains("too large")),
        "{:?}",
        row.notes
    );
}

#[test]
fn iqr_is_q3_minus_q1() {
    let d = Continuous::of(&[1.0, 2.0, 3.0, 4.0]);
    assert_eq!(d.iqr(), Some(1.5));
}

#[test]
fn welch_and_yates_options_match_scipy() {
    let got = cohort_table_with(Table1Options {
        welch: true,
        yates: true,
    });
    let want = expected();
    let (mut welch, mut yates) = (0, 0);
    for (row, w) in got.rows.iter().zip(want["rows"].as_array().unwrap()) {
        if w.get("welch_p").is_some() {
            assert_eq!(row.test, Some(TestName::WelchT), "{}", row.name);
            close("welch t", row.statistic, &w["welch_statistic"]);
            close("welch df", row.df, &w["welch_df"]);
            close_p("welch p", row.p, &w["welch_p"]);
            welch += 1;
        }
        if w.get("yates_p").is_some() {
            assert_eq!(
                row.test,
                Some(TestName::PearsonChiSquareYates),
                "{}",
                row.name
            );
            close("yates chi2", row.statistic, &w["yates_statistic"]);
            close_p("yates p", row.p, &w["yates_p"]);
            yates += 1;
        }
        if w["test"] == "Pearson chi-square" && w["df"].as_f64() != Some(1.0) {
            // Larger tables are never corrected.
            assert_eq!(row.test, Some(TestName::PearsonChiSquare), "{}", row.name);
        }
    }
    assert!(
        welch >= 1 && yates >= 2,
        "options exercised: welch {welch}, yates {yates}"
    );
}
