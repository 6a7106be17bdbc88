//! NRI and IDI against R's Hmisc::improveProb (`fixtures/stats/reclassification/make_reference.R`).

mod common;

use common::count_table;
use livermet_stats::bootstrap::Resamples;
use livermet_stats::calibration::Estimate;
use livermet_stats::reclassification::{
    Nri, RiskCut, reclassification, reclassification_bootstrap,
};
use serde_json::Value;

const DIR: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../fixtures/stats/reclassification"
);

fn expected() -> Value {
    serde_json::from_str(&std::fs::read_to_string(format!("{DIR}/expected.json")).unwrap()).unwrap()
}

/// Columns of a CSV by name.
fn columns(path: &str, names: &[&str]) -> Vec<Vec<f64>> {
    let text = std::fs::read_to_string(format!("{DIR}/{path}")).unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let idx: Vec<usize> = names
        .iter()
        .map(|n| header.iter().position(|h| h == n).unwrap())
        .collect();
    let rows: Vec<Vec<f64>> = lines
        .map(|l| l.split(',').map(|c| c.parse().unwrap()).collect())
        .collect();
    idx.iter()
        .map(|&j| rows.iter().map(|r| r[j]).collect())
        .collect()
}

fn close(what: &str, got: f64, want: &Value) {
    let w = want.as_f64().unwrap_or_else(|| panic!("{what}: {want}"));
    assert!(
        (got - w).abs() <= 1e-9 * w.abs().max(1.0),
        "{what}: {got} vs R {w}"
    );
}

fn check_estimate(what: &str, got: &Estimate, want: &Value) {
    close(&format!("{what} estimate"), got.estimate, &want["estimate"]);
    close(&format!("{what} se"), got.se, &want["se"]);
    close(&format!("{what} z"), got.z, &want["z"]);
    // p to 1e-9 absolute or 1e-6 relative (the far tail).
    let (p, w) = (got.p, want["p"].as_f64().unwrap());
    assert!(
        (p - w).abs() <= 1e-9 || (p - w).abs() <= 1e-6 * w,
        "{what} p: {p:e} vs R {w:e}"
    );
    close(&format!("{what} ci_low"), got.ci_low, &want["ci_low"]);
    close(&format!("{what} ci_high"), got.ci_high, &want["ci_high"]);
}

fn check_nri(what: &str, got: &Nri, want: &Value) {
    for (name, v) in [
        ("up_events", got.up_events),
        ("down_events", got.down_events),
        ("up_non_events", got.up_non_events),
        ("down_non_events", got.down_non_events),
    ] {
        assert_eq!(v as u64, want[name].as_u64().unwrap(), "{what} {name}");
    }
    check_estimate(&format!("{what} overall"), &got.overall, &want["overall"]);
    check_estimate(&format!("{what} events"), &got.events, &want["events"]);
    check_estimate(
        &format!("{what} non-events"),
        &got.non_events,
        &want["non_events"],
    );
}

fn pair_data(pair: &Value) -> (Vec<bool>, Vec<f64>, Vec<f64>) {
    let names = [
        pair["outcome"].as_str().unwrap(),
        pair["old"].as_str().unwrap(),
        pair["new"].as_str().unwrap(),
    ];
    let mut c = columns(pair["data"].as_str().unwrap(), &names).into_iter();
    let y = c.next().unwrap().iter().map(|&v| v == 1.0).collect();
    (y, c.next().unwrap(), c.next().unwrap())
}

/// Our table of counts in the fixture's integer type.
fn counts(t: &[Vec<usize>]) -> Vec<Vec<u64>> {
    t.iter()
        .map(|r| r.iter().map(|&v| v as u64).collect())
        .collect()
}

#[test]
fn nri_and_idi_match_hmisc_improve_prob() {
    let want = expected();
    let pairs = want["pairs"].as_object().unwrap();
    assert_eq!(pairs.len(), 4);
    for (name, pair) in pairs {
        let (y, old, new) = pair_data(pair);
        let median = reclassification(&y, &old, &new, &RiskCut::Median).unwrap();
        assert_eq!(median.events as u64, pair["events"].as_u64().unwrap());
        assert_eq!(
            median.non_events as u64,
            pair["non_events"].as_u64().unwrap()
        );
        check_nri(
            &format!("{name} continuous"),
            &median.continuous,
            &pair["continuous"],
        );
        let idi = &median.idi;
        close(
            &format!("{name} improvement in sensitivity"),
            idi.improvement_sensitivity,
            &pair["idi"]["improvement_sensitivity"],
        );
        close(
            &format!("{name} improvement in specificity"),
            idi.improvement_specificity,
            &pair["idi"]["improvement_specificity"],
        );
        check_estimate(&format!("{name} IDI"), &idi.idi, &pair["idi"]);

        let m = &median.categorical;
        close(
            &format!("{name} median old"),
            m.cuts_old[0],
            &pair["median"]["cut_old"],
        );
        close(
            &format!("{name} median new"),
            m.cuts_new[0],
            &pair["median"]["cut_new"],
        );
        check_nri(&format!("{name} at the medians"), &m.nri, &pair["median"]);

        let cuts: Vec<f64> = pair["cuts"]["cuts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c.as_f64().unwrap())
            .collect();
        let fixed = reclassification(&y, &old, &new, &RiskCut::Common(cuts)).unwrap();
        let c = &fixed.categorical;
        check_nri(&format!("{name} at 0.2, 0.4"), &c.nri, &pair["cuts"]);
        let tables = &pair["cuts"]["tables"];
        assert_eq!(counts(&c.events_table), count_table(&tables["events"]));
        assert_eq!(
            counts(&c.non_events_table),
            count_table(&tables["non_events"])
        );
        // The continuous NRI and IDI do not depend on the categories.
        assert_eq!(fixed.continuous, median.continuous);
        assert_eq!(fixed.idi, median.idi);
    }
}

fn resamples(path: &str) -> Vec<Vec<usize>> {
    std::fs::read_to_string(format!("{DIR}/{path}"))
        .unwrap()
        .lines()
        .map(|l| l.split(',').map(|c| c.parse().unwrap()).collect())
        .collect()
}

#[test]
fn bootstrap_percentile_cis_match_r_on_the_same_resamples() {
    let want = expected();
    let boot = &want["bootstrap"];
    let pair = &want["pairs"][boot["pair"].as_str().unwrap()];
    let (y, old, new) = pair_data(pair);
    let given = Resamples::Given(resamples(boot["resamples"].as_str().unwrap()));
    assert_eq!(given.count() as u64, boot["B"].as_u64().unwrap());
    let median =
        reclassification_bootstrap(&y, &old, &new, &RiskCut::Median, &given, 0.95).unwrap();
    let cuts = RiskCut::Common(vec![0.2, 0.4]);
    let fixed = reclassification_bootstrap(&y, &old, &new, &cuts, &given, 0.95).unwrap();
    assert_eq!(median.unusable, 0);
    let ci = &boot["ci"];
    let check = |what: &str, got: livermet_stats::reclassification::Interval| {
        close(&format!("{what} low"), got.ci_low, &ci[what]["ci_low"]);
        close(&format!("{what} high"), got.ci_high, &ci[what]["ci_high"]);
    };
    check("continuous", median.continuous.overall);
    check("continuous_events", median.continuous.events);
    check("continuous_non_events", median.continuous.non_events);
    check("idi", median.idi);
    check("median", median.categorical.overall);
    check("median_events", median.categorical.events);
    check("median_non_events", median.categorical.non_events);
    check("cuts", fixed.categorical.overall);
}

#[test]
fn seeded_bootstrap_is_deterministic_and_brackets_the_estimate() {
    let want = expected();
    let (y, old, new) = pair_data(&want["pairs"]["birthwt"]);
    let draws = Resamples::Stratified {
        count: 500,
        seed: 3,
    };
    let a = reclassification_bootstrap(&y, &old, &new, &RiskCut::Median, &draws, 0.95).unwrap();
    let b = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap()
        .install(|| {
            reclassification_bootstrap(&y, &old, &new, &RiskCut::Median, &draws, 0.95).unwrap()
        });
    assert_eq!(a, b, "same seed, any number of threads: same intervals");
    let est = reclassification(&y, &old, &new, &RiskCut::Median).unwrap();
    for (ci, e) in [
        (a.continuous.overall, est.continuous.overall.estimate),
        (a.idi, est.idi.idi.estimate),
        (a.categorical.overall, est.categorical.nri.overall.estimate),
    ] {
        assert!(ci.ci_low < e && e < ci.ci_high, "{ci:?} around {e}");
    }
    // The percentile interval of the NRI is close to the normal one (Hmisc's SE) here.
    let normal = &est.continuous.overall;
    assert!((a.continuous.overall.ci_low - normal.ci_low).abs() < 0.1);
    assert!((a.continuous.overall.ci_high - normal.ci_high).abs() < 0.1);
}

#[test]
fn bad_input_is_refused_with_a_reason() {
    let y = [true, false, true, false];
    let p = [0.2, 0.4, 0.6, 0.8];
    let e = reclassification(&y, &p, &[0.1, 0.2, 1.5, 0.3], &RiskCut::Median).unwrap_err();
    assert!(
        e.to_string().contains("new model probability of subject 3"),
        "{e}"
    );
    let e = reclassification(&[true; 4], &p, &p, &RiskCut::Median).unwrap_err();
    assert!(e.to_string().contains("needs events and non-events"), "{e}");
    let e = reclassification(&y, &p, &p, &RiskCut::Common(vec![0.5, 0.3])).unwrap_err();
    assert!(e.to_string().contains("increasing"), "{e}");
    let uneven = RiskCut::PerModel {
        old: vec![0.5],
        new: vec![0.3, 0.6],
    };
    let e = reclassification(&y, &p, &p, &uneven).unwrap_err();
    assert!(e.to_string().contains("same categories"), "{e}");
    let e = reclassification_bootstrap(
        &y,
        &p,
        &p,
        &RiskCut::Median,
        &Resamples::Given(vec![vec![0, 1, 2, 3], vec![0, 9, 1, 1]]),
        0.95,
    )
    .unwrap_err();
    assert!(e.to_string().contains("subject index 9"), "{e}");
}

#[test]
fn nobody_reclassified_gives_zero_nri_with_undefined_z() {
    let y = [true, false, true, false, false];
    let p = [0.7, 0.2, 0.6, 0.4, 0.1];
    let r = reclassification(&y, &p, &p, &RiskCut::Median).unwrap();
    assert_eq!(r.continuous.overall.estimate, 0.0);
    assert_eq!(r.continuous.overall.se, 0.0);
    assert!(r.continuous.overall.z.is_nan(), "0 / 0, as R");
    assert_eq!(r.idi.idi.estimate, 0.0);
    let json = serde_json::to_value(&r).unwrap();
    assert!(json["continuous"]["overall"]["z"].is_null());
}
