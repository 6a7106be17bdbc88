//! Logistic regression, drop tests, univariable fits, backward stepwise and the CF selection,
//! against statsmodels (fixtures/stats/logistic/, made by make_reference.py there), plus
//! hand-checkable cases and the edge cases (separation, one class, collinearity).

use std::path::PathBuf;

use livermet_stats::StatsError;
use livermet_stats::logistic::{
    Design, FitOptions, LogisticFit, drop_tests, fit_logistic, fit_logistic_with, univariable_fits,
};
use livermet_stats::stepwise::{CfSelection, ScreenTest, backward_stepwise_lr, cf_model_selection};
use serde_json::Value;

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures/stats/logistic")
        .join(name)
}

/// A plain CSV (no quoting) as header + rows of cells.
fn read_csv(name: &str) -> (Vec<String>, Vec<Vec<String>>) {
    let text = std::fs::read_to_string(fixture(name)).unwrap();
    let mut lines = text.lines();
    let header = lines
        .next()
        .unwrap()
        .split(',')
        .map(str::to_string)
        .collect();
    let rows = lines
        .map(|l| l.split(',').map(str::to_string).collect())
        .collect();
    (header, rows)
}

fn expected(name: &str) -> Value {
    serde_json::from_str(&std::fs::read_to_string(fixture(name)).unwrap()).unwrap()
}

/// Values to 1e-6 absolute.
fn close(got: f64, want: &Value, what: &str) {
    let want = want
        .as_f64()
        .unwrap_or_else(|| panic!("{what}: not a number"));
    assert!(
        (got - want).abs() <= 1e-6,
        "{what}: got {got}, statsmodels {want}"
    );
}

/// p-values: 1e-6 absolute or 1e-4 relative.
fn close_p(got: f64, want: &Value, what: &str) {
    let want = want.as_f64().unwrap();
    let ok = (got - want).abs() <= 1e-6 || (got - want).abs() <= 1e-4 * want.abs();
    assert!(ok, "{what}: p got {got}, statsmodels {want}");
}

/// Build the design of `predictors` (`categorical`: name -> reference) and the 0/1 outcome.
fn load(
    file: &str,
    outcome: &str,
    predictors: &[&str],
    categorical: &[(&str, Option<&str>)],
) -> (Design, Vec<bool>) {
    let (header, rows) = read_csv(file);
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let y: Vec<bool> = rows
        .iter()
        .map(|r| r[col(outcome)].parse::<f64>().unwrap() == 1.0)
        .collect();
    let mut d = Design::new(rows.len());
    for &p in predictors {
        let c = col(p);
        if let Some((_, reference)) = categorical.iter().find(|(n, _)| *n == p) {
            let v: Vec<&str> = rows.iter().map(|r| r[c].as_str()).collect();
            d.add_categorical(p, &v, *reference).unwrap();
        } else {
            let v: Vec<f64> = rows.iter().map(|r| r[c].parse().unwrap()).collect();
            d.add_numeric(p, &v).unwrap();
        }
    }
    (d, y)
}

const FAIR: [&str; 8] = [
    "rate_marriage",
    "age",
    "yrs_married",
    "children",
    "religious",
    "educ",
    "occupation",
    "occupation_husb",
];

fn fair(reference: Option<&str>) -> (Design, Vec<bool>) {
    load(
        "fair_subset.csv",
        "affair",
        &FAIR,
        &[("occupation", reference)],
    )
}

fn spector() -> (Design, Vec<bool>) {
    load("spector.csv", "GRADE", &["GPA", "TUCE", "PSI"], &[])
}

/// Every number of a fitted model against statsmodels' `summary` block of the fixture.
fn assert_fit(fit: &LogisticFit, want: &Value, what: &str) {
    let coefs = want["coefficients"].as_array().unwrap();
    assert_eq!(
        fit.coefficients.len(),
        coefs.len(),
        "{what}: number of coefficients"
    );
    for (c, w) in fit.coefficients.iter().zip(coefs) {
        assert_eq!(
            c.name,
            w["name"].as_str().unwrap(),
            "{what}: coefficient order"
        );
        let at = |k: &str| format!("{what} {} {k}", c.name);
        close(c.coef, &w["coef"], &at("coef"));
        close(c.se, &w["se"], &at("se"));
        close(c.z, &w["z"], &at("z"));
        close_p(c.p, &w["p"], &at("p"));
        close(c.ci_low, &w["ci_low"], &at("ci_low"));
        close(c.ci_high, &w["ci_high"], &at("ci_high"));
        close(c.odds_ratio, &w["odds_ratio"], &at("odds_ratio"));
        close(c.or_ci_low, &w["or_ci_low"], &at("or_ci_low"));
        close(c.or_ci_high, &w["or_ci_high"], &at("or_ci_high"));
    }
    assert_eq!(fit.n as u64, want["n"].as_u64().unwrap());
    close(
        fit.log_likelihood,
        &want["log_likelihood"],
        &format!("{what} llf"),
    );
    close(
        fit.null_log_likelihood,
        &want["null_log_likelihood"],
        &format!("{what} llnull"),
    );
    close(fit.lr_chi2, &want["lr_chi2"], &format!("{what} LR chi2"));
    assert_eq!(fit.lr_df as f64, want["lr_df"].as_f64().unwrap());
    close_p(fit.lr_p, &want["lr_p"], &format!("{what} LR p"));
    close(fit.aic, &want["aic"], &format!("{what} aic"));
    close(fit.bic, &want["bic"], &format!("{what} bic"));
    assert!(fit.converged && fit.iterations <= fit.max_iterations);
}

fn assert_drop_tests(got: &[livermet_stats::logistic::DropTest], want: &Value, what: &str) {
    let want = want.as_array().unwrap();
    assert_eq!(got.len(), want.len(), "{what}");
    for (g, w) in got.iter().zip(want) {
        assert_eq!(g.name, w["name"].as_str().unwrap());
        assert_eq!(
            g.df as u64,
            w["df"].as_u64().unwrap(),
            "{what} {} df",
            g.name
        );
        close(g.chi2, &w["chi2"], &format!("{what} {} chi2", g.name));
        close_p(g.p, &w["p"], &format!("{what} {} p", g.name));
    }
}

fn assert_stepwise(got: &livermet_stats::stepwise::Stepwise, want: &Value, what: &str) {
    let steps = want["steps"].as_array().unwrap();
    assert_eq!(got.steps.len(), steps.len(), "{what}: number of steps");
    for (g, w) in got.steps.iter().zip(steps) {
        assert_eq!(
            g.removed,
            w["removed"].as_str().unwrap(),
            "{what}: removal order"
        );
        assert_eq!(g.df as u64, w["df"].as_u64().unwrap());
        close(
            g.chi2,
            &w["chi2"],
            &format!("{what} step {} chi2", g.removed),
        );
        close_p(g.p, &w["p"], &format!("{what} step {} p", g.removed));
    }
    let fin: Vec<&str> = want["final_predictors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(got.final_predictors, fin, "{what}: final predictors");
    assert_fit(&got.fit, &want["final"], &format!("{what} final model"));
    assert_drop_tests(
        &got.drop_tests,
        &want["drop_tests"],
        &format!("{what} final drop tests"),
    );
}

#[test]
fn spector_model_drop_tests_and_univariable_fits_match_statsmodels() {
    let (d, y) = spector();
    let want = expected("spector_expected.json");
    let opts = FitOptions::default();
    let fit = fit_logistic(&d, &y, &opts).unwrap();
    assert_fit(&fit, &want["full"], "spector");
    assert_eq!(fit.events as u64, want["events"].as_u64().unwrap());
    assert_drop_tests(
        &drop_tests(&d, &y, &fit, &opts).unwrap(),
        &want["drop_tests"],
        "spector",
    );
    let uni = univariable_fits(&d, &y, &opts).unwrap();
    for (u, w) in uni.iter().zip(want["univariable"].as_array().unwrap()) {
        assert_fit(&u.fit, &w["fit"], &format!("univariable {}", u.name));
        close_p(u.lr.p, &w["lr_p"], &format!("univariable {} LR p", u.name));
        close(
            u.wald.chi2,
            &w["wald_chi2"],
            &format!("univariable {} Wald chi2", u.name),
        );
        close_p(
            u.wald.p,
            &w["wald_p"],
            &format!("univariable {} Wald p", u.name),
        );
    }
    let bw = backward_stepwise_lr(&d, &y, &["GPA", "TUCE", "PSI"], 0.10, &opts).unwrap();
    assert_stepwise(&bw, &want["backward_p_remove_0.10"], "spector backward");
}

#[test]
fn categorical_predictor_with_default_and_chosen_reference_matches_statsmodels() {
    let want = expected("fair_expected.json");
    let opts = FitOptions::default();
    let (d, y) = fair(None);
    let fit = fit_logistic(&d, &y, &opts).unwrap();
    // Default reference: the first level in sorted order (patsy's), `farm`.
    assert!(fit.coefficient("occupation[farm]").is_none());
    assert_fit(&fit, &want["full"], "fair");
    assert_drop_tests(
        &drop_tests(&d, &y, &fit, &opts).unwrap(),
        &want["drop_tests"],
        "fair",
    );
    let (d2, y2) = fair(Some("white_collar"));
    let fit2 = fit_logistic(&d2, &y2, &opts).unwrap();
    assert_fit(
        &fit2,
        &want["full_reference_white_collar"],
        "fair, reference white_collar",
    );
    // Recoding the reference reparametrises the same model.
    assert!((fit.log_likelihood - fit2.log_likelihood).abs() < 1e-9);
}

#[test]
fn univariable_lr_and_joint_wald_tests_of_a_categorical_term_match() {
    let want = expected("fair_expected.json");
    let (d, y) = fair(None);
    let uni = univariable_fits(&d, &y, &FitOptions::default()).unwrap();
    for (u, w) in uni.iter().zip(want["univariable"].as_array().unwrap()) {
        assert_eq!(u.name, w["name"].as_str().unwrap());
        close(u.lr.chi2, &w["lr_chi2"], &format!("{} LR chi2", u.name));
        close_p(u.lr.p, &w["lr_p"], &format!("{} LR p", u.name));
        assert_eq!(u.wald.df as u64, w["wald_df"].as_u64().unwrap());
        close(
            u.wald.chi2,
            &w["wald_chi2"],
            &format!("{} Wald chi2", u.name),
        );
        close_p(u.wald.p, &w["wald_p"], &format!("{} Wald p", u.name));
    }
    assert_eq!(uni[6].wald.df, 5, "occupation: 6 levels, 5 dummies");
}

#[test]
fn backward_stepwise_path_matches_the_statsmodels_loop() {
    let want = expected("fair_expected.json");
    let (d, y) = fair(None);
    let opts = FitOptions::default();
    for key in ["backward_p_remove_0.10", "backward_p_remove_0.01"] {
        let p_remove = if key.ends_with("0.10") { 0.10 } else { 0.01 };
        let bw = backward_stepwise_lr(&d, &y, &FAIR, p_remove, &opts).unwrap();
        assert_stepwise(&bw, &want[key], key);
    }
}

#[test]
fn cf_model_selection_screens_then_eliminates_like_the_reference() {
    let want = expected("fair_expected.json");
    let (d, y) = fair(None);
    for (test, key) in [
        (ScreenTest::Wald, "cf_screen_0.1_wald"),
        (ScreenTest::LikelihoodRatio, "cf_screen_0.1_lr"),
    ] {
        let sel = CfSelection {
            screen_test: test,
            ..CfSelection::default()
        };
        let cf = cf_model_selection(&d, &y, &sel).unwrap();
        let kept: Vec<&str> = want[key]["screened_in"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        assert_eq!(cf.screened_in, kept, "{key}: screen");
        assert!(
            !cf.screened_in.contains(&"occupation".to_string()),
            "occupation p = 0.2 is out"
        );
        assert_stepwise(&cf.stepwise, &want[key], key);
    }
}

#[test]
fn two_by_two_table_gives_the_log_odds_ratio_and_woolf_se() {
    // Exposed: 20 events / 10 non-events; unexposed: 15 / 30. The MLE is the sample log odds
    // ratio, SE = sqrt(1/a + 1/b + 1/c + 1/d) (Woolf), intercept = log(15/30).
    let mut x = Vec::new();
    let mut y = Vec::new();
    for (exposed, event, count) in [
        (1.0, true, 20),
        (1.0, false, 10),
        (0.0, true, 15),
        (0.0, false, 30),
    ] {
        x.extend(std::iter::repeat_n(exposed, count));
        y.extend(std::iter::repeat_n(event, count));
    }
    let mut d = Design::new(y.len());
    d.add_numeric("exposed", &x).unwrap();
    let fit = fit_logistic(&d, &y, &FitOptions::default()).unwrap();
    let b = fit.coefficient("exposed").unwrap();
    assert!((b.coef - (20.0f64 * 30.0 / (10.0 * 15.0)).ln()).abs() < 1e-10);
    assert!((b.odds_ratio - 4.0).abs() < 1e-9);
    let woolf = (1.0f64 / 20.0 + 1.0 / 10.0 + 1.0 / 15.0 + 1.0 / 30.0).sqrt();
    assert!((b.se - woolf).abs() < 1e-10);
    assert!((fit.coefficients[0].coef - 0.5f64.ln()).abs() < 1e-10);
    // Fitted probabilities reproduce the cell rates, so they sum to the events.
    let p = fit.predict(&d).unwrap();
    assert!((p.iter().sum::<f64>() - 35.0).abs() < 1e-8);
    assert!((p[0] - 20.0 / 30.0).abs() < 1e-10);
}

fn separation_message(r: Result<LogisticFit, StatsError>) -> String {
    match r {
        Err(StatsError::Separation(m)) => m,
        other => panic!("expected a separation error, got {other:?}"),
    }
}

#[test]
fn perfect_separation_is_an_error_not_huge_coefficients() {
    let x = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0];
    let y = [false, false, false, false, true, true, true, true];
    let mut d = Design::new(8);
    d.add_numeric("cea", &x).unwrap();
    let m = separation_message(fit_logistic(&d, &y, &FitOptions::default()));
    assert!(m.contains("complete separation by `cea`"), "{m}");
}

#[test]
fn quasi_complete_separation_by_a_categorical_level_is_reported() {
    // Every subject with sex F is an event; M subjects have both outcomes.
    let sex = ["F", "F", "F", "M", "M", "M", "M", "M", "M", "M"];
    let age = [50.0, 61.0, 45.0, 70.0, 52.0, 66.0, 58.0, 49.0, 63.0, 55.0];
    let y = [
        true, true, true, true, false, false, true, false, true, false,
    ];
    let mut d = Design::new(10);
    d.add_numeric("age", &age).unwrap();
    d.add_categorical("sex", &sex, Some("M")).unwrap();
    let m = separation_message(fit_logistic(&d, &y, &FitOptions::default()));
    assert!(m.contains("quasi-complete separation by `sex[F]`"), "{m}");
}

#[test]
fn separation_by_a_combination_of_predictors_is_caught_by_the_diverging_fit() {
    // x1 + x2 > 0 exactly for the events, yet neither x1 nor x2 alone separates.
    let x1 = [1.0, -1.0, 2.0, 0.5, -2.0, 1.0, -0.5, 0.0, 3.0, -3.0];
    let x2 = [0.5, 2.0, -1.0, 0.0, 2.5, -2.0, -1.0, -0.5, -2.5, 2.0];
    let y: Vec<bool> = x1.iter().zip(&x2).map(|(a, b)| a + b > 0.0).collect();
    let mut d = Design::new(10);
    d.add_numeric("x1", &x1).unwrap();
    d.add_numeric("x2", &x2).unwrap();
    let m = separation_message(fit_logistic(&d, &y, &FitOptions::default()));
    assert!(m.contains("`x1`") && m.contains("`x2`"), "{m}");
}

#[test]
fn one_outcome_class_only_is_insufficient_data() {
    let mut d = Design::new(4);
    d.add_numeric("age", &[50.0, 60.0, 70.0, 80.0]).unwrap();
    let r = fit_logistic(&d, &[true; 4], &FitOptions::default());
    assert!(
        matches!(r, Err(StatsError::InsufficientData(ref m)) if m.contains("4 events among 4"))
    );
}

#[test]
fn constant_and_collinear_predictors_are_singular_and_named() {
    let (base, y) = spector();
    let n = base.n();
    let mut d = base.clone();
    d.add_numeric("constant", &vec![3.0; n]).unwrap();
    let r = fit_logistic_with(&d, &y, &["GPA", "constant"], &FitOptions::default());
    assert!(
        matches!(r, Err(StatsError::Singular(ref m)) if m.contains("`constant`")),
        "{r:?}"
    );
    let (header, rows) = read_csv("spector.csv");
    let (g, t) = (header.iter().position(|h| h == "GPA").unwrap(), 1);
    let sum: Vec<f64> = rows
        .iter()
        .map(|r| r[g].parse::<f64>().unwrap() + 2.0 * r[t].parse::<f64>().unwrap())
        .collect();
    let mut d = base;
    d.add_numeric("gpa_plus_2tuce", &sum).unwrap();
    let r = fit_logistic(&d, &y, &FitOptions::default());
    assert!(
        matches!(r, Err(StatsError::Singular(ref m)) if m.contains("`gpa_plus_2tuce`") && m.contains("`TUCE`")),
        "{r:?}"
    );
}

#[test]
fn iteration_cap_is_reported_as_not_converged() {
    let (d, y) = fair(None);
    let opts = FitOptions {
        tolerance: 1e-8,
        max_iterations: 2,
    };
    let fit = fit_logistic(&d, &y, &opts).unwrap();
    assert!(!fit.converged);
    assert_eq!(fit.iterations, 2);
    assert!(
        fit_logistic(&d, &y, &FitOptions::default())
            .unwrap()
            .converged
    );
}

#[test]
fn bad_reference_level_and_unseen_levels_are_errors() {
    let mut d = Design::new(3);
    let r = d.add_categorical("sex", &["M", "F", "M"], Some("X"));
    assert!(matches!(r, Err(StatsError::InvalidValue(ref m)) if m.contains("levels: F, M")));
    let (dd, y) = fair(None);
    let fit = fit_logistic_with(&dd, &y, &["occupation"], &FitOptions::default()).unwrap();
    let mut other = Design::new(2);
    other
        .add_categorical("occupation", &["farm", "astronaut"], None)
        .unwrap();
    assert!(
        matches!(fit.predict(&other), Err(StatsError::InvalidValue(ref m)) if m.contains("astronaut"))
    );
}
