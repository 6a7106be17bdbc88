//! Registration accuracy on a synthetic cohort for a few option variants (development aid).
//! Usage: cargo run --release -p livermet-study --example tre_sweep -- DIR_WITH_SYNTH
use livermet_cohort::{ValidateOptions, read_cohort};
use livermet_image::body_mask;
use livermet_image::register::{RegistrationOptions, register_rigid, register_rigid_masked};
use livermet_io::{Affine, Volume, apply_affine, read_dwi, read_volume};
use livermet_synth::Truth;

fn tre(t2: &Volume, roi: &Volume, est: &Affine, truth: &Affine) -> f64 {
    let mask = body_mask(t2);
    let (mut sum, mut n) = (0.0, 0usize);
    for k in 0..t2.dims[2] {
        for j in (0..t2.dims[1]).step_by(3) {
            for i in (0..t2.dims[0]).step_by(3) {
                let idx = t2.index(i, j, k);
                if !mask[idx] && roi.data[idx] == 0.0 {
                    continue;
                }
                let x = t2.voxel_to_world([i as f64, j as f64, k as f64]);
                let (a, b) = (apply_affine(est, x), apply_affine(truth, x));
                sum +=
                    ((a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2) + (a[2] - b[2]).powi(2)).sqrt();
                n += 1;
            }
        }
    }
    sum / n as f64
}

fn main() {
    let dir = std::path::PathBuf::from(std::env::args().nth(1).unwrap());
    if !dir.join("truth.json").exists() {
        let s = livermet_synth::SynthSettings {
            primary: 6,
            external: 3,
            seed: 11,
            ..Default::default()
        };
        livermet_synth::synthesise(&dir, &s, &|| {}).unwrap();
    }
    let truth: Truth =
        serde_json::from_str(&std::fs::read_to_string(dir.join("truth.json")).unwrap()).unwrap();
    let base = RegistrationOptions::default();
    let variants: Vec<(&str, RegistrationOptions, bool)> = vec![
        ("default", base.clone(), false),
        ("masked", base.clone(), true),
        (
            "all-samples",
            RegistrationOptions {
                samples: 0,
                ..base.clone()
            },
            false,
        ),
        (
            "bins32",
            RegistrationOptions {
                bins: 32,
                ..base.clone()
            },
            false,
        ),
        (
            "minstep.001",
            RegistrationOptions {
                min_step_voxels: 0.001,
                max_iterations: 500,
                ..base.clone()
            },
            false,
        ),
    ];
    for centre in ["primary", "external"] {
        let cohort = read_cohort(
            &dir.join(format!("{centre}.csv")),
            &ValidateOptions::default(),
        )
        .unwrap();
        for p in &cohort.patients {
            let it = truth
                .patients
                .iter()
                .find(|t| t.patient_id == p.id)
                .unwrap()
                .images
                .clone()
                .unwrap();
            let im = p.images.as_ref().unwrap();
            let t2 = read_volume(&im.t2).unwrap();
            let roi = read_volume(&im.roi).unwrap();
            let mask = Volume::new(
                t2.dims,
                1,
                t2.affine,
                body_mask(&t2).iter().map(|&b| b as u8 as f32).collect(),
            );
            let t1 = read_volume(&im.t1).unwrap();
            let t1ce = read_volume(&im.t1ce).unwrap();
            let dwi = read_dwi(&im.dwi, None).unwrap().volume.frame(0);
            for (seq, mv, tm) in [
                ("t1", &t1, &it.transforms.t1),
                ("t1ce", &t1ce, &it.transforms.t1ce),
                ("dwi", &dwi, &it.transforms.dwi),
            ] {
                let mut line = format!("{} {seq:5}", p.id);
                for (name, o, masked) in &variants {
                    let t = std::time::Instant::now();
                    let r = if *masked {
                        register_rigid_masked(&t2, mv, Some(&mask), o)
                    } else {
                        register_rigid(&t2, mv, o)
                    }
                    .unwrap();
                    line += &format!(
                        " {name}={:.2}({:.2}s)",
                        tre(&t2, &roi, &r.transform, tm),
                        t.elapsed().as_secs_f64()
                    );
                }
                println!("{line}");
            }
        }
    }
}
