//! How well `prepare` recovered a synthetic cohort's truth, over every patient and sequence:
//! target registration error (mean over body and tumour voxels) and tumour ADC error.
//!
//! Usage (after `livermet synth --out S` and `livermet prepare S/<centre>.csv --out S/prepared/<centre>`):
//! `cargo run --release -p livermet-study --example prepare_accuracy -- S`

use livermet_cohort::{ValidateOptions, read_cohort};
use livermet_io::{Affine, read_volume};
use livermet_study::accuracy::target_registration_error;
use livermet_study::prepare::load_prepared;
use livermet_study::prepared_dir;
use livermet_synth::Truth;

fn matrix(v: &serde_json::Value) -> Affine {
    let mut m = [[0.0; 4]; 4];
    for (r, row) in m.iter_mut().enumerate() {
        for (c, x) in row.iter_mut().enumerate() {
            *x = v[r][c].as_f64().expect("matrix entry");
        }
    }
    m
}

fn main() {
    let dir = std::path::PathBuf::from(
        std::env::args()
            .nth(1)
            .expect("usage: prepare_accuracy SYNTH_DIR"),
    );
    let truth: Truth =
        serde_json::from_str(&std::fs::read_to_string(dir.join("truth.json")).unwrap()).unwrap();
    let (mut worst, mut sum, mut n) = (("".to_string(), 0.0f64), 0.0, 0usize);
    let mut adc_worst = 0.0f64;
    let mut seconds = Vec::new();
    let mut over = Vec::new();
    for centre in ["primary", "external"] {
        let cohort = read_cohort(
            &dir.join(format!("{centre}.csv")),
            &ValidateOptions::default(),
        )
        .unwrap();
        let out = dir.join("prepared").join(centre);
        for p in &cohort.patients {
            let it = truth.images_of(&p.id).unwrap();
            let im = p.images.as_ref().unwrap();
            let (t2, roi) = (read_volume(&im.t2).unwrap(), read_volume(&im.roi).unwrap());
            let pdir = prepared_dir(&out, &p.id).unwrap();
            let tf: serde_json::Value = serde_json::from_str(
                &std::fs::read_to_string(pdir.join("transforms.json")).unwrap(),
            )
            .unwrap();
            for (seq, tm) in [
                ("t1", &it.transforms.t1),
                ("t1ce", &it.transforms.t1ce),
                ("dwi", &it.transforms.dwi),
            ] {
                let tre = target_registration_error(&t2, &roi, &matrix(&tf[seq]["matrix"]), tm, 1);
                sum += tre;
                n += 1;
                if tre >= 1.0 {
                    over.push(format!("{} {seq} {tre:.2} mm", p.id));
                }
                if tre > worst.1 {
                    worst = (format!("{} {seq}", p.id), tre);
                }
            }
            let rec = load_prepared(&out, &p.id).unwrap();
            seconds.push(rec.seconds);
            let channels = read_volume(&pdir.join("channels.nii.gz")).unwrap();
            let (_, mean, sd) = rec.zscore[4].clone();
            let adc = channels.frame(4);
            let mut v: Vec<f64> = (0..roi.data.len())
                .filter(|&i| roi.data[i] != 0.0)
                .map(|i| adc.data[i] as f64 * sd + mean)
                .collect();
            v.sort_by(f64::total_cmp);
            let rel = (v[v.len() / 2] - it.tumour_adc_map.mean).abs() / it.tumour_adc_map.mean;
            adc_worst = adc_worst.max(rel);
        }
    }
    seconds.sort_by(f64::total_cmp);
    println!(
        "registrations: {n}; mean TRE {:.3} mm; worst {:.3} mm ({})",
        sum / n as f64,
        worst.1,
        worst.0
    );
    println!("registrations with TRE >= 1 mm: {} {:?}", over.len(), over);
    println!(
        "tumour ADC (median over ROI) worst relative error: {:.2}%",
        100.0 * adc_worst
    );
    println!(
        "per-patient prepare time (within a parallel run): median {:.2} s, max {:.2} s",
        seconds[seconds.len() / 2],
        seconds[seconds.len() - 1]
    );
}
