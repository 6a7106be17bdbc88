//! The clinical draw reproduces the paper's Tables 1 and 2 per class.

use livermet_synth::clinical::{
    CentreTable, Clinical, EXTERNAL_TABLE, PRIMARY_TABLE, draw_patient,
};
use livermet_synth::random::{Purpose, stream};
use livermet_synth::{SynthSettings, plan};

const N: usize = 20_000;

fn draw(table: &CentreTable, slm: bool, seed: u64) -> Vec<Clinical> {
    let mut rng = stream(seed, 9, u64::from(slm), Purpose::Clinical);
    (0..N)
        .map(|_| draw_patient(&mut rng, table.class(slm), slm, 1.5, 0.4))
        .collect()
}

fn rate(xs: &[Clinical], f: impl Fn(&Clinical) -> bool) -> f64 {
    xs.iter().filter(|c| f(c)).count() as f64 / xs.len() as f64
}

fn quantile(mut v: Vec<f64>, q: f64) -> f64 {
    v.sort_by(f64::total_cmp);
    v[((v.len() - 1) as f64 * q).round() as usize]
}

fn check_table(name: &str, table: &CentreTable, seed: u64) {
    for slm in [false, true] {
        let p = table.class(slm);
        let xs = draw(table, slm, seed);
        let what = format!("{name} slm={slm}");
        let close = |label: &str, got: f64, want: f64, tol: f64| {
            assert!(
                (got - want).abs() <= tol,
                "{what} {label}: drew {got:.4}, table {want:.4}"
            );
        };
        close("male rate", rate(&xs, |c| c.male), p.male_rate, 0.02);
        close(
            "CEA >= 5 rate",
            rate(&xs, Clinical::cea_elevated),
            p.cea_elevated_rate,
            0.02,
        );
        close(
            "CA19-9 >= 37 rate",
            rate(&xs, Clinical::ca199_elevated),
            p.ca199_elevated_rate,
            0.02,
        );
        let ages: Vec<f64> = xs.iter().map(|c| c.age).collect();
        let mean = ages.iter().sum::<f64>() / N as f64;
        let sd = (ages.iter().map(|a| (a - mean).powi(2)).sum::<f64>() / N as f64).sqrt();
        // Clipping to 18-95 moves the mean of the widest class (SD 17.45) by about 0.3 year.
        close("age mean", mean, p.age_mean, 0.6);
        close("age SD", sd, p.age_sd, 0.8);
        let dist: Vec<f64> = xs.iter().map(|c| c.tumor_distance_cm).collect();
        close(
            "distance median",
            quantile(dist.clone(), 0.5),
            p.distance_median,
            0.15,
        );
        let iqr = quantile(dist.clone(), 0.75) - quantile(dist.clone(), 0.25);
        close("distance IQR", iqr, p.distance_iqr, 0.3);
        assert!(
            xs.iter()
                .all(|c| (18.0..=95.0).contains(&c.age)
                    && (0.5..=15.0).contains(&c.tumor_distance_cm)),
            "{what}: value out of range"
        );
        assert!(
            xs.iter().all(|c| c.cea_ng_ml > 0.0 && c.ca199_u_ml > 0.0),
            "{what}: non-positive marker"
        );
    }
}

#[test]
fn twenty_thousand_per_class_reproduce_table_1() {
    check_table("primary", &PRIMARY_TABLE, 11);
}

#[test]
fn twenty_thousand_per_class_reproduce_table_2() {
    check_table("external", &EXTERNAL_TABLE, 12);
}

#[test]
fn latent_signal_separates_classes_by_the_setting() {
    let xs: Vec<f64> = draw(&PRIMARY_TABLE, true, 5)
        .iter()
        .map(|c| c.latent)
        .collect();
    let ys: Vec<f64> = draw(&PRIMARY_TABLE, false, 5)
        .iter()
        .map(|c| c.latent)
        .collect();
    let m = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
    // signal 1.5 plus the CEA share of the noise (0.3 x the class difference in standardised
    // log CEA, about 0.35 here).
    let gap = m(&xs) - m(&ys);
    assert!(gap > 1.5 && gap < 2.2, "latent gap {gap}");
}

#[test]
fn plan_has_exact_class_counts_shuffled_with_ids() {
    let s = SynthSettings {
        clinical_only: true,
        ..SynthSettings::default()
    };
    let pl = plan(&s);
    let prim: Vec<_> = pl
        .iter()
        .filter(|p| p.patient_id.starts_with('P'))
        .collect();
    let ext: Vec<_> = pl
        .iter()
        .filter(|p| p.patient_id.starts_with('E'))
        .collect();
    assert_eq!((prim.len(), ext.len()), (176, 31));
    assert_eq!(prim.iter().filter(|p| p.clinical.slm).count(), 72);
    assert_eq!(ext.iter().filter(|p| p.clinical.slm).count(), 10);
    assert_eq!(prim[0].patient_id, "P001");
    assert_eq!(ext[30].patient_id, "E031");
    // Shuffled: the SLM patients are not simply the first 72.
    assert!(prim[..72].iter().any(|p| !p.clinical.slm));
    let other = plan(&SynthSettings { seed: 2, ..s });
    assert_ne!(
        pl.iter().map(|p| p.clinical.slm).collect::<Vec<_>>(),
        other.iter().map(|p| p.clinical.slm).collect::<Vec<_>>()
    );
}
