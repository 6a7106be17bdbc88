//! `prepare` on a small synthetic cohort, checked against the cohort's `truth.json`:
//! registration recovers every known transform (TRE < 1 mm), ADC in the tumour is within 5% of
//! the truth, the manifest follows the middle-5 rule, and a second run skips every patient.

use std::path::Path;

use livermet_cohort::{ValidateOptions, read_cohort};
use livermet_image::body_mask;
use livermet_io::{Affine, read_volume};
use livermet_study::accuracy::target_registration_error;
use livermet_study::prepare::load_prepared;
use livermet_study::{PrepareSettings, prepare_cohort, prepared_dir};
use livermet_synth::{SynthSettings, Truth, synthesise};

fn matrix(v: &serde_json::Value) -> Affine {
    let mut m = [[0.0; 4]; 4];
    for r in 0..4 {
        for c in 0..4 {
            m[r][c] = v[r][c].as_f64().unwrap();
        }
    }
    m
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

#[test]
fn prepare_recovers_the_synthetic_truth() {
    let dir = tempfile::tempdir().unwrap();
    let synth = SynthSettings {
        primary: 3,
        external: 2,
        seed: 11,
        ..SynthSettings::default()
    };
    synthesise(dir.path(), &synth, &|| {}).unwrap();
    let truth: Truth =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("truth.json")).unwrap())
            .unwrap();
    let settings = PrepareSettings::default();
    for centre in ["primary", "external"] {
        let cohort = read_cohort(
            &dir.path().join(format!("{centre}.csv")),
            &ValidateOptions::default(),
        )
        .unwrap();
        let out = dir.path().join("prepared").join(centre);
        let report = prepare_cohort(&cohort.patients, &out, &settings, &|| {}).unwrap();
        assert!(report.failed.is_empty(), "{:?}", report.failed);
        assert_eq!(report.prepared.len(), cohort.patients.len());
        for p in &cohort.patients {
            let it = truth.images_of(&p.id).unwrap();
            let pdir = prepared_dir(&out, &p.id).unwrap();
            let imgs = p.images.as_ref().unwrap();
            let t2 = read_volume(&imgs.t2).unwrap();
            let roi = read_volume(&imgs.roi).unwrap();
            let tf: serde_json::Value = serde_json::from_str(
                &std::fs::read_to_string(pdir.join("transforms.json")).unwrap(),
            )
            .unwrap();
            for (seq, true_m) in [
                ("t1", &it.transforms.t1),
                ("t1ce", &it.transforms.t1ce),
                ("dwi", &it.transforms.dwi),
            ] {
                let tre =
                    target_registration_error(&t2, &roi, &matrix(&tf[seq]["matrix"]), true_m, 3);
                assert!(tre < 1.0, "patient {} {seq}: TRE {tre:.3} mm", p.id);
            }
            // ADC: un-z-score the prepared ADC channel and take the median over the ROI.
            let rec = load_prepared(&out, &p.id).unwrap();
            let channels = read_volume(&pdir.join("channels.nii.gz")).unwrap();
            assert_eq!(channels.frames, 5);
            let (_, mean, sd) = rec.zscore[4].clone();
            let adc = channels.frame(4);
            let in_roi: Vec<f64> = (0..roi.data.len())
                .filter(|&i| roi.data[i] != 0.0)
                .map(|i| adc.data[i] as f64 * sd + mean)
                .collect();
            let got = median(in_roi);
            let want = it.tumour_adc_map.mean;
            assert!(
                (got - want).abs() / want < 0.05,
                "patient {}: tumour ADC {got:.3e} vs truth {want:.3e}",
                p.id
            );
            // Middle-5 rule and patch centres inside the tumour's slices.
            let m = &rec.manifest;
            assert_eq!(m.slices.len(), it.tumour_slice_count.min(5));
            let first = it.tumour_slices[0] + (it.tumour_slice_count - m.slices.len()) / 2;
            assert_eq!(m.slices[0].k, first, "patient {}", p.id);
            // T2 channel is z-scored over the body.
            let t2z = channels.frame(0);
            let mask = body_mask(&t2);
            let body: Vec<f64> = (0..mask.len())
                .filter(|&i| mask[i])
                .map(|i| t2z.data[i] as f64)
                .collect();
            let mu = body.iter().sum::<f64>() / body.len() as f64;
            assert!(mu.abs() < 1e-3, "T2 body mean {mu}");
        }
        // A second run with the same settings skips everyone.
        let again = prepare_cohort(&cohort.patients, &out, &settings, &|| {}).unwrap();
        assert_eq!(again.skipped.len(), cohort.patients.len());
        assert!(
            !Path::new(&format!(
                "{}.tmp",
                prepared_dir(&out, &cohort.patients[0].id)
                    .unwrap()
                    .display()
            ))
            .exists()
        );
    }
}
