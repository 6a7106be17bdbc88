//! Benchmarks (not tests) of the ROC statistics, recorded in bench/RESULTS.md:
//! - DeLong (Sun & Xu midrank algorithm) on n = 1,000,000 subjects, one score and three scores;
//! - stratified bootstrap CI, 2000 resamples, n = 10,000.
//!
//! Run: `cargo run --release -p livermet-stats --example bench_delong`
//! (RAYON_NUM_THREADS sets the thread count; the target is under 1 s on 2 cores.)

use std::time::Instant;

use livermet_stats::bootstrap::bootstrap_auc_ci;
use livermet_stats::delong::delong;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// n subjects, 40% events; `k` scores = uniform noise + 0.3 · outcome, rounded to 1e-4 so
/// there are ties, as real scores have.
fn synthetic(n: usize, k: usize, seed: u64) -> (Vec<bool>, Vec<Vec<f64>>) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let y: Vec<bool> = (0..n).map(|_| rng.random_bool(0.4)).collect();
    let scores = (0..k)
        .map(|_| {
            y.iter()
                .map(|&o| {
                    ((rng.random::<f64>() + 0.3 * f64::from(u8::from(o))) * 1e4).round() / 1e4
                })
                .collect()
        })
        .collect();
    (y, scores)
}

/// Best wall time of `reps` runs of `f`, in seconds.
fn best_of<T>(reps: usize, mut f: impl FnMut() -> T) -> (f64, T) {
    let mut best = f64::INFINITY;
    let mut last = None;
    for _ in 0..reps {
        let t = Instant::now();
        let out = f();
        best = best.min(t.elapsed().as_secs_f64());
        last = Some(out);
    }
    (best, last.expect("reps >= 1"))
}

fn main() {
    println!("rayon threads: {}", rayon::current_num_threads());

    let (y, s) = synthetic(1_000_000, 3, 1);
    let (t1, fit) = best_of(5, || delong(&[&s[0]], &y).expect("delong"));
    println!(
        "DeLong, n = 1,000,000, 1 score:  best of 5 = {t1:.3} s (AUC {:.4}, SE {:.6})",
        fit.auc[0],
        fit.variance(0).sqrt()
    );
    let refs: Vec<&[f64]> = s.iter().map(|v| &v[..]).collect();
    let (t3, fit3) = best_of(3, || delong(&refs, &y).expect("delong"));
    let test = fit3.delong_test(0, 1).expect("test");
    println!(
        "DeLong, n = 1,000,000, 3 scores + paired test: best of 3 = {t3:.3} s (p(0 vs 1) = {:.3})",
        test.p.unwrap_or(f64::NAN)
    );

    let (y, s) = synthetic(10_000, 1, 2);
    let (tb, ci) = best_of(3, || {
        bootstrap_auc_ci(&[&s[0]], &y, 2000, 7, 0.95).expect("bootstrap")
    });
    println!(
        "bootstrap, n = 10,000, 2000 resamples: best of 3 = {tb:.3} s (CI {:.4} - {:.4})",
        ci[0].ci_low, ci[0].ci_high
    );
}
