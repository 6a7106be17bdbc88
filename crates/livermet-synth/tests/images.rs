//! One patient's images against the phantom's truth (in memory, no files).

use livermet_io::{Affine, apply_affine, invert_affine};
use livermet_synth::patient::{MAX_ROTATION_DEG, MAX_SHIFT_MM, PatientImages, synthesise_images};
use livermet_synth::random::{Purpose, stream};
use livermet_synth::render::{B_VALUES, fit_adc};
use livermet_synth::scanner::{EXTERNAL_SCANNER, PRIMARY_SCANNER, ScannerProfile, Size};

fn patient(seed: u64, index: u64, scanner: &ScannerProfile, latent: f64) -> PatientImages {
    let mut rng = stream(seed, 0, index, Purpose::Images);
    synthesise_images(&mut rng, &Size::Small.protocol(), scanner, latent)
}

fn assert_small_rigid(t: &Affine) {
    for r in 0..3 {
        for c in 0..3 {
            let dot: f64 = (0..3).map(|k| t[k][r] * t[k][c]).sum();
            let want = if r == c { 1.0 } else { 0.0 };
            assert!(
                (dot - want).abs() < 1e-12,
                "rotation not orthonormal: {t:?}"
            );
        }
    }
    let det = t[0][0] * (t[1][1] * t[2][2] - t[1][2] * t[2][1])
        - t[0][1] * (t[1][0] * t[2][2] - t[1][2] * t[2][0])
        + t[0][2] * (t[1][0] * t[2][1] - t[1][1] * t[2][0]);
    assert!(
        (det - 1.0).abs() < 1e-12,
        "not a proper rotation (det {det})"
    );
    // Rotation angle from the trace: at most the three per-axis angles together.
    let angle = ((t[0][0] + t[1][1] + t[2][2] - 1.0) / 2.0)
        .clamp(-1.0, 1.0)
        .acos()
        .to_degrees();
    assert!(
        angle > 0.0 && angle <= 3.0 * MAX_ROTATION_DEG,
        "rotation {angle} deg"
    );
    assert!((0..3).all(|r| t[r][3].abs() <= MAX_SHIFT_MM), "shift {t:?}");
    assert_eq!(t[3], [0.0, 0.0, 0.0, 1.0]);
}

#[test]
fn tumour_mask_is_non_empty_and_spans_the_intended_slices() {
    let mut counts = Vec::new();
    for i in 0..6 {
        let p = patient(21, i, &PRIMARY_SCANNER, 0.0);
        let t = &p.truth;
        assert!(
            t.roi_voxels > 200,
            "patient {i}: ROI has {} voxels",
            t.roi_voxels
        );
        assert!(p.roi.data.iter().all(|&v| v == 0.0 || v == 1.0));
        assert_eq!(p.roi.grid(), p.t2.grid(), "ROI not on the T2 grid");
        // The tumour is meant to cover 6-11 slices of 3 mm, give or take its +-22% surface.
        assert!(
            (4..=14).contains(&t.tumour_slice_count),
            "patient {i}: {} slices",
            t.tumour_slice_count
        );
        assert!(
            t.tumour_slices[0] > 0 && t.tumour_slices[1] < p.t2.dims[2] - 1,
            "tumour touches the slab edge"
        );
        // The mask's centre slice holds the tumour centre.
        let k_centre = p.t2.world_to_voxel(t.tumour_centre_mm)[2].round() as usize;
        assert!((t.tumour_slices[0]..=t.tumour_slices[1]).contains(&k_centre));
        for tr in [&t.transforms.t1, &t.transforms.t1ce, &t.transforms.dwi] {
            assert_small_rigid(tr);
        }
        counts.push(t.tumour_slice_count);
    }
    assert!(
        counts.iter().filter(|&&c| c > 5).count() >= 4,
        "most tumours should exceed 5 slices: {counts:?}"
    );
}

/// Voxels of `grid` (of a sequence moved by `t`) whose centre lies deep inside the tumour.
fn deep_tumour_voxels(
    p: &PatientImages,
    dims: [usize; 3],
    affine: &Affine,
    t: &Affine,
    depth: f64,
) -> Vec<usize> {
    let inv = invert_affine(t);
    let mut out = Vec::new();
    for k in 0..dims[2] {
        for j in 0..dims[1] {
            for i in 0..dims[0] {
                let q = apply_affine(affine, [i as f64, j as f64, k as f64]);
                if p.phantom.tumour.level(apply_affine(&inv, q)) < depth {
                    out.push(i + dims[0] * (j + dims[1] * k));
                }
            }
        }
    }
    out
}

#[test]
fn dwi_in_the_tumour_follows_the_monoexponential_model_within_noise() {
    let p = patient(5, 0, &PRIMARY_SCANNER, 0.8);
    let adc = p.truth.tumour_adc_mm2_s;
    assert!((0.8e-3..=1.2e-3).contains(&adc));
    let n = p.dwi.frame_len();
    assert_eq!(p.dwi.frames, 3);
    let idx = deep_tumour_voxels(&p, p.dwi.dims, &p.dwi.affine, &p.truth.transforms.dwi, 0.6);
    assert!(idx.len() > 30, "only {} deep tumour voxels", idx.len());
    let mean = |f: usize| {
        idx.iter()
            .map(|&v| p.dwi.data[f * n + v] as f64)
            .sum::<f64>()
            / idx.len() as f64
    };
    let s0 = mean(0);
    let sd = PRIMARY_SCANNER.dwi_noise * PRIMARY_SCANNER.intensity_scale;
    for (f, b) in B_VALUES.iter().enumerate().skip(1) {
        let want = s0 * (-b * adc).exp();
        // Noise of the mean plus the tumour's 5% ADC texture, which averages out over voxels
        // only roughly: 4% of the signal.
        let tol = 4.0 * sd / (idx.len() as f64).sqrt() + 0.04 * want;
        assert!(
            (mean(f) - want).abs() < tol,
            "b={b}: mean {} vs S0 exp(-b ADC) {want}",
            mean(f)
        );
    }
    let fitted = fit_adc(&[mean(0), mean(1), mean(2)]);
    assert!(
        (fitted - adc).abs() < 0.06 * adc,
        "ADC from the mean signals {fitted} vs truth {adc}"
    );
    let map = p.truth.tumour_adc_map;
    assert!(
        map.n_voxels > 0 && (map.mean - adc).abs() < 0.03 * adc,
        "noiseless ADC map mean {map:?} vs {adc}"
    );
    // Outside the body: Rician noise only, mean sd*sqrt(pi/2).
    let inv = invert_affine(&p.truth.transforms.dwi);
    let body = p.phantom.anatomy.body;
    let [nx, ny, _] = p.dwi.dims;
    let air: Vec<f64> = (0..n)
        .filter(|&v| {
            let q = apply_affine(
                &p.dwi.affine,
                [
                    (v % nx) as f64,
                    ((v / nx) % ny) as f64,
                    (v / (nx * ny)) as f64,
                ],
            );
            let x = apply_affine(&inv, q);
            (x[0] / body[0]).powi(2) + (x[1] / body[1]).powi(2) > 1.5
        })
        .map(|v| p.dwi.data[v] as f64)
        .collect();
    assert!(air.len() > 1000);
    let air_mean = air.iter().sum::<f64>() / air.len() as f64;
    let rayleigh = sd * (std::f64::consts::PI / 2.0).sqrt();
    assert!(
        (air_mean - rayleigh).abs() < 0.1 * rayleigh,
        "background mean {air_mean} vs Rayleigh {rayleigh}"
    );
}

#[test]
fn sequences_see_the_same_anatomy_through_their_transforms() {
    // T1CE at a tumour point: the moved grid's voxel nearest to T(p) is enhancing tumour,
    // brighter than the fat-free background of the lumen and about the predicted level.
    let p = patient(8, 2, &PRIMARY_SCANNER, 1.0);
    let idx = deep_tumour_voxels(
        &p,
        p.t1ce.dims,
        &p.t1ce.affine,
        &p.truth.transforms.t1ce,
        0.5,
    );
    assert!(idx.len() > 50);
    let m = idx.iter().map(|&v| p.t1ce.data[v] as f64).sum::<f64>() / idx.len() as f64;
    let s = p.truth.signal;
    let want = PRIMARY_SCANNER.intensity_scale * 0.38 * s.core_enhancement;
    assert!(
        (m - want).abs() < 0.15 * want,
        "T1CE tumour mean {m} vs {want}"
    );
    // Without the transform the same voxels would mostly miss (shifts of a few mm do matter
    // for some voxels): check the identity gives a different set.
    let ident = deep_tumour_voxels(&p, p.t1ce.dims, &p.t1ce.affine, &livermet_io::IDENTITY, 0.5);
    assert_ne!(idx, ident);
}

#[test]
fn the_external_scanner_is_brighter_noisier_and_coarser() {
    let a = patient(3, 1, &PRIMARY_SCANNER, 0.0);
    let b = patient(3, 1, &EXTERNAL_SCANNER, 0.0);
    let va = a.t2.voxel_size();
    let vb = b.t2.voxel_size();
    assert!((va[0] - 0.7).abs() < 1e-9 && (va[2] - 3.0).abs() < 1e-9);
    assert!((vb[0] / va[0] - EXTERNAL_SCANNER.voxel_factor).abs() < 1e-9);
    let (_, max_a, _) = a.t2.min_max_mean();
    let (_, max_b, _) = b.t2.min_max_mean();
    assert!(max_b > 1.3 * max_a);
}

#[test]
fn same_stream_same_images_other_seed_other_images() {
    let a = patient(4, 0, &PRIMARY_SCANNER, 0.3);
    let b = patient(4, 0, &PRIMARY_SCANNER, 0.3);
    let c = patient(5, 0, &PRIMARY_SCANNER, 0.3);
    assert_eq!(a.t2.data, b.t2.data);
    assert_eq!(a.dwi.data, b.dwi.data);
    assert_ne!(a.t2.data, c.t2.data);
}

#[test]
fn a_higher_latent_score_shows_as_lower_tumour_adc() {
    let lo = patient(6, 0, &PRIMARY_SCANNER, -2.0)
        .truth
        .tumour_adc_map
        .mean;
    let hi = patient(6, 0, &PRIMARY_SCANNER, 2.0)
        .truth
        .tumour_adc_map
        .mean;
    assert!(
        hi < lo - 0.2e-3,
        "ADC {hi} (high score) vs {lo} (low score)"
    );
}

#[test]
fn paper_size_has_the_papers_256_matrix_and_a_tumour_inside() {
    let mut rng = stream(2, 0, 0, Purpose::Images);
    let p = synthesise_images(&mut rng, &Size::Paper.protocol(), &PRIMARY_SCANNER, 0.0);
    assert_eq!(&p.t2.dims[..2], &[256, 256]);
    let v = p.t2.voxel_size();
    assert!((v[0] - 0.7).abs() < 1e-9 && (v[2] - 3.0).abs() < 1e-9);
    assert!(p.dwi.voxel_size()[0] > 1.3 && p.dwi.voxel_size()[2] > 4.9);
    let t = &p.truth;
    assert!(
        t.roi_voxels > 500 && (4..=15).contains(&t.tumour_slice_count),
        "{} voxels, {} slices",
        t.roi_voxels,
        t.tumour_slice_count
    );
    assert!(t.tumour_slices[0] > 0 && t.tumour_slices[1] < p.t2.dims[2] - 1);
}
