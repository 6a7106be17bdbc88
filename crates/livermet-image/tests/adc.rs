//! ADC fit: hand-checkable cases of S = S0 exp(-b ADC) and the bad inputs.

use livermet_image::{AdcOptions, ImageError, compute_adc, highest_b_frame};
use livermet_io::{IDENTITY, Volume};

/// A 4D DWI of `dims` whose frame f is `signal(voxel, f)`.
fn dwi(dims: [usize; 3], frames: usize, signal: impl Fn(usize, usize) -> f64) -> Volume {
    let n = dims[0] * dims[1] * dims[2];
    let data = (0..frames)
        .flat_map(|f| (0..n).map(move |v| (f, v)))
        .map(|(f, v)| signal(v, f) as f32);
    Volume::new(dims, frames, IDENTITY, data.collect())
}

fn rel(a: f64, b: f64) -> f64 {
    (a - b).abs() / b.abs()
}

#[test]
fn two_shells_give_the_exact_adc() {
    // S0 = 1000, ADC = 1e-3 mm²/s: S(1000) = 1000 e^-1, so ADC = ln(S0/S)/1000 = 1e-3.
    let vol = dwi([2, 2, 1], 2, |_, f| {
        if f == 0 {
            1000.0
        } else {
            1000.0 * (-1.0f64).exp()
        }
    });
    let r = compute_adc(&vol, &[0.0, 1000.0], &AdcOptions::default()).unwrap();
    assert_eq!(r.shells, vec![(0.0, 1), (1000.0, 1)]);
    assert_eq!(r.nonpositive_voxels, 0);
    assert_eq!(r.adc.frames, 1);
    for &a in &r.adc.data {
        assert!(rel(a as f64, 1e-3) < 1e-6, "{a}");
    }
}

#[test]
fn three_noiseless_shells_recover_each_voxel_adc() {
    let bvals = [0.0, 400.0, 1200.0];
    let truth = |v: usize| 0.4e-3 + 0.2e-3 * v as f64; // 0.4e-3 .. 2.6e-3 mm²/s
    let s0 = |v: usize| 500.0 + 37.0 * v as f64;
    let vol = dwi([3, 4, 1], 3, |v, f| s0(v) * (-bvals[f] * truth(v)).exp());
    let r = compute_adc(&vol, &bvals, &AdcOptions::default()).unwrap();
    for (v, &a) in r.adc.data.iter().enumerate() {
        assert!(
            rel(a as f64, truth(v)) < 1e-6,
            "voxel {v}: {a} vs {}",
            truth(v)
        );
    }
}

#[test]
fn repeated_b_values_are_grouped_into_shells_and_averaged() {
    // Frames: b = 0, 0 (signals 90, 110: mean 100), 800, 810 (signals 40, 60: mean 50),
    // 1500 (signal 20). Shells: (0, 2), (805, 2), (1500, 1).
    let bvals = [0.0, 800.0, 0.0, 1500.0, 810.0];
    let signal = [90.0, 40.0, 110.0, 20.0, 60.0];
    let vol = dwi([1, 1, 1], 5, |_, f| signal[f]);
    let r = compute_adc(&vol, &bvals, &AdcOptions::default()).unwrap();
    assert_eq!(r.shells, vec![(0.0, 2), (805.0, 2), (1500.0, 1)]);
    // Hand fit: y = ln(100), ln(50), ln(20) at b = 0, 805, 1500.
    let (b, y) = ([0.0, 805.0, 1500.0], [100f64.ln(), 50f64.ln(), 20f64.ln()]);
    let (bm, ym) = (b.iter().sum::<f64>() / 3.0, y.iter().sum::<f64>() / 3.0);
    let sxy: f64 = (0..3).map(|s| (b[s] - bm) * (y[s] - ym)).sum();
    let sxx: f64 = (0..3).map(|s| (b[s] - bm).powi(2)).sum();
    let expected = -sxy / sxx;
    assert!(
        rel(r.adc.data[0] as f64, expected) < 1e-6,
        "{} vs {expected}",
        r.adc.data[0]
    );
    // A tolerance of 5 s/mm² splits 800 and 810 into shells of their own.
    let narrow = AdcOptions {
        shell_tolerance: 5.0,
        geometric_mean: false,
    };
    let r = compute_adc(&vol, &bvals, &narrow).unwrap();
    assert_eq!(
        r.shells,
        vec![(0.0, 2), (800.0, 1), (810.0, 1), (1500.0, 1)]
    );
}

#[test]
fn geometric_mean_averages_the_logs() {
    // b = 0: signals 50 and 200 (geometric mean 100, arithmetic 125); b = 1000: 10.
    let bvals = [0.0, 0.0, 1000.0];
    let signal = [50.0, 200.0, 10.0];
    let vol = dwi([1, 1, 1], 3, |_, f| signal[f]);
    let geo = AdcOptions {
        geometric_mean: true,
        ..AdcOptions::default()
    };
    let g = compute_adc(&vol, &bvals, &geo).unwrap().adc.data[0] as f64;
    assert!(rel(g, (100.0f64 / 10.0).ln() / 1000.0) < 1e-6, "{g}");
    let a = compute_adc(&vol, &bvals, &AdcOptions::default())
        .unwrap()
        .adc
        .data[0] as f64;
    assert!(rel(a, (125.0f64 / 10.0).ln() / 1000.0) < 1e-6, "{a}");
}

#[test]
fn nonpositive_signal_gives_zero_and_is_counted() {
    // Voxel 0 fine; voxel 1 zero at b=1000; voxel 2 negative at b=0;
    // voxel 3: one of two b=0 volumes negative (-10, 210: arithmetic mean 100 > 0).
    let bvals = [0.0, 0.0, 1000.0];
    let table = [
        [100.0, 100.0, 30.0],
        [100.0, 100.0, 0.0],
        [-5.0, -5.0, 30.0],
        [-10.0, 210.0, 30.0],
    ];
    let vol = dwi([4, 1, 1], 3, |v, f| table[v][f]);
    let r = compute_adc(&vol, &bvals, &AdcOptions::default()).unwrap();
    assert_eq!(r.nonpositive_voxels, 2);
    assert_eq!((r.adc.data[1], r.adc.data[2]), (0.0, 0.0));
    assert!(r.adc.data[0] > 0.0 && r.adc.data[3] > 0.0);
    // The geometric mean of (-10, 210) is undefined: voxel 3 counts too.
    let geo = AdcOptions {
        geometric_mean: true,
        ..AdcOptions::default()
    };
    let r = compute_adc(&vol, &bvals, &geo).unwrap();
    assert_eq!(r.nonpositive_voxels, 3);
    assert_eq!(r.adc.data[3], 0.0);
}

#[test]
fn a_single_shell_is_an_error() {
    let vol = dwi([2, 1, 1], 3, |_, _| 100.0);
    let err = compute_adc(&vol, &[1000.0, 1010.0, 1050.0], &AdcOptions::default()).unwrap_err();
    assert!(
        matches!(err, ImageError::SingleShell { b } if (b - 1020.0).abs() < 1e-9),
        "{err}"
    );
    assert!(err.to_string().contains("at least two b-values"));
}

#[test]
fn mismatched_counts_and_bad_b_values_are_errors() {
    let vol = dwi([2, 1, 1], 3, |_, _| 100.0);
    let err = compute_adc(&vol, &[0.0, 1000.0], &AdcOptions::default()).unwrap_err();
    assert!(
        matches!(
            err,
            ImageError::BvalCount {
                volumes: 3,
                bvals: 2
            }
        ),
        "{err}"
    );
    let err = compute_adc(&vol, &[0.0, -800.0, 1000.0], &AdcOptions::default()).unwrap_err();
    assert!(matches!(err, ImageError::BadBvalue { .. }), "{err}");
    let err = compute_adc(&vol, &[0.0, f64::NAN, 1000.0], &AdcOptions::default()).unwrap_err();
    assert!(matches!(err, ImageError::BadBvalue { .. }), "{err}");
}

#[test]
fn highest_b_frame_is_the_mean_of_the_top_shell() {
    let bvals = [0.0, 1000.0, 500.0, 990.0];
    let vol = dwi([2, 1, 1], 4, |v, f| (10 * f + v) as f64);
    let top = highest_b_frame(&vol, &bvals);
    assert_eq!(top.frames, 1);
    // Frames 1 and 3: (10 + v + 30 + v) / 2.
    assert_eq!(top.data, vec![20.0, 21.0]);
}
