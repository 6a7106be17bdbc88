//! Benchmark (not a test): backward stepwise elimination by likelihood ratio on 10,000 subjects
//! x 10 candidate predictors (4 informative, 6 noise), seeded.
//!
//! Run: `cargo run --release -p livermet-stats --example stats_stepwise [-- N P REPEATS]`
//! Results: bench/RESULTS.md ("livermet-stats: stepwise selection").

use std::time::Instant;

use livermet_stats::logistic::{Design, FitOptions};
use livermet_stats::stepwise::backward_stepwise_lr;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// A standard normal by Box-Muller.
fn normal(rng: &mut ChaCha8Rng) -> f64 {
    let u1: f64 = 1.0 - rng.random::<f64>();
    let u2: f64 = rng.random();
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

fn main() {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .map(|a| a.parse().expect("a number"))
        .collect();
    let n = args.first().copied().unwrap_or(10_000);
    let p = args.get(1).copied().unwrap_or(10);
    let repeats = args.get(2).copied().unwrap_or(5);
    let mut rng = ChaCha8Rng::seed_from_u64(2025);
    let x: Vec<Vec<f64>> = (0..p)
        .map(|_| (0..n).map(|_| normal(&mut rng)).collect())
        .collect();
    let beta = [0.8, -0.6, 0.4, 0.2];
    let y: Vec<bool> = (0..n)
        .map(|i| {
            let eta = -0.5
                + beta
                    .iter()
                    .enumerate()
                    .map(|(j, b)| b * x[j][i])
                    .sum::<f64>();
            rng.random::<f64>() < 1.0 / (1.0 + (-eta).exp())
        })
        .collect();
    let mut design = Design::new(n);
    let names: Vec<String> = (0..p).map(|j| format!("x{j}")).collect();
    for (name, col) in names.iter().zip(&x) {
        design.add_numeric(name, col).unwrap();
    }
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    let mut times = Vec::new();
    let mut result = None;
    for _ in 0..repeats {
        let t = Instant::now();
        let r = backward_stepwise_lr(&design, &y, &refs, 0.10, &FitOptions::default()).unwrap();
        times.push(t.elapsed().as_secs_f64());
        result = Some(r);
    }
    let r = result.unwrap();
    times.sort_by(f64::total_cmp);
    println!(
        "backward stepwise LR, n = {n}, p = {p}: {} steps, removed [{}], kept [{}]",
        r.steps.len(),
        r.steps
            .iter()
            .map(|s| s.removed.as_str())
            .collect::<Vec<_>>()
            .join(", "),
        r.final_predictors.join(", ")
    );
    println!(
        "wall time over {repeats} runs: median {:.1} ms, min {:.1} ms, max {:.1} ms",
        times[times.len() / 2] * 1e3,
        times[0] * 1e3,
        times[times.len() - 1] * 1e3
    );
}
