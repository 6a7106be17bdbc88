//! Training and inference speed of a network on a device (`livermet bench train`). Not a test:
//! it measures; `bench/model_vs_pytorch.sh` compares it with the same network in PyTorch.

use std::time::Instant;

use burn::module::Module;
use burn::optim::GradientsParams;
use burn::tensor::{Device, Int, Tensor, TensorData};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::config::NetConfig;
use crate::error::Result;
use crate::objective::{cross_entropy, weight_penalty};
use crate::train::adam;

/// Measured speed: the median over rounds, and each round.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Throughput {
    /// Training patches per second (forward + backward + Adam step, batch `batch_size`).
    pub train_patches_per_s: f64,
    /// Inference patches per second (forward only, no autodiff, batch norm folded into the
    /// convs as `livermet` scores patients).
    pub infer_patches_per_s: f64,
    /// Inference patches per second of the unfolded network (batch norm as its own op).
    pub infer_unfused_patches_per_s: f64,
    /// Every round, in order (the fields above are their medians).
    pub rounds: Vec<Round>,
}

/// One round of timed steps.
#[derive(Debug, Clone, Copy, serde::Serialize)]
pub struct Round {
    pub train_patches_per_s: f64,
    pub infer_patches_per_s: f64,
    pub infer_unfused_patches_per_s: f64,
}

/// Median of `v` (mean of the middle two for an even count); NaN when empty.
fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    match v.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => v[n / 2],
        n => 0.5 * (v[n / 2 - 1] + v[n / 2]),
    }
}

/// Times `rounds` rounds of `train_steps` training steps and `infer_steps` inference batches
/// of `batch_size` random patches on `device`, after one untimed warm-up step of each (which
/// also lets a GPU backend compile its kernels), and reports the median round. Every timed
/// step ends by reading a value back, so queued device work is inside the measurement.
pub fn measure(
    net: &NetConfig,
    device: &Device,
    batch_size: usize,
    train_steps: usize,
    infer_steps: usize,
    rounds: usize,
) -> Result<Throughput> {
    let ad = device.clone().autodiff();
    let mut model = net.init_seeded(&ad, 1)?;
    let mut optim = adam();
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let s = net.patch_size;
    let shape = [batch_size, net.in_channels, s, s];
    let images: Vec<f32> = (0..shape.iter().product::<usize>())
        .map(|_| rng.random::<f32>())
        .collect();
    let labels: Vec<i64> = (0..batch_size).map(|i| (i % 2) as i64).collect();
    let clinical: Vec<f32> = (0..batch_size * net.n_clinical)
        .map(|_| rng.random::<f32>())
        .collect();
    let batch = |dev: &Device| {
        let x = Tensor::<4>::from_data(TensorData::new(images.clone(), shape), dev);
        let c = (net.n_clinical > 0).then(|| {
            Tensor::<2>::from_data(
                TensorData::new(clinical.clone(), [batch_size, net.n_clinical]),
                dev,
            )
        });
        (x, c)
    };
    let mut step = |model: crate::net::Net| {
        let (x, c) = batch(&ad);
        let y = Tensor::<1, Int>::from_data(TensorData::new(labels.clone(), [batch_size]), &ad);
        let loss = cross_entropy(model.forward(x, c, None), y) + weight_penalty(&model, 1e-5, 1e-5);
        let grads = GradientsParams::from_grads(loss.backward(), &model);
        let model = optim.step(1e-5, model, grads);
        let _ = loss.into_scalar::<f32>();
        model
    };
    let time_infer = |model: &crate::net::Net, fused: bool| {
        let model = model.valid();
        let folded = crate::fused::FusedNet::from_net(&model);
        let run = || {
            let (x, c) = batch(device);
            let p = if fused {
                folded.probabilities(x, c)
            } else {
                model.probabilities(x, c)
            };
            let _ = p.into_data();
        };
        run();
        let t = Instant::now();
        for _ in 0..infer_steps {
            run();
        }
        (infer_steps * batch_size) as f64 / t.elapsed().as_secs_f64()
    };
    model = step(model);
    let mut all = Vec::with_capacity(rounds.max(1));
    for _ in 0..rounds.max(1) {
        let t = Instant::now();
        for _ in 0..train_steps {
            model = step(model);
        }
        let train = (train_steps * batch_size) as f64 / t.elapsed().as_secs_f64();
        all.push(Round {
            train_patches_per_s: train,
            infer_patches_per_s: time_infer(&model, true),
            infer_unfused_patches_per_s: time_infer(&model, false),
        });
    }
    let med = |f: fn(&Round) -> f64| median(all.iter().map(f).collect());
    Ok(Throughput {
        train_patches_per_s: med(|r| r.train_patches_per_s),
        infer_patches_per_s: med(|r| r.infer_patches_per_s),
        infer_unfused_patches_per_s: med(|r| r.infer_unfused_patches_per_s),
        rounds: all,
    })
}

/// Trains `net` for `epochs` epochs on a synthetic cohort held in memory — `patients` training
/// and as many held-out patients, 2 slices each, where SLM patients carry a bright blob in the
/// T2 channel (a strong imaging signal) — and returns the epoch logs (held-out AUC included).
/// Shows a device training end to end without prepared data (`livermet bench train --epochs`).
pub fn synthetic_training(
    net: &NetConfig,
    config: &crate::train::TrainConfig,
    device: &Device,
    patients: usize,
    progress: &mut dyn FnMut(&crate::train::EpochLog),
) -> Result<Vec<crate::train::EpochLog>> {
    let make = |seed: u64| -> Result<crate::data::InMemoryPatches> {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let s = net.patch_size;
        let mut data = crate::data::InMemoryPatches::new(net.in_channels, s, true);
        for p in 0..patients {
            let label = (p % 2) as u8;
            let clinical = (0..net.n_clinical).map(|_| rng.random::<f32>()).collect();
            let slices = (0..2)
                .map(|_| {
                    let mut v: Vec<f32> = (0..net.patch_len())
                        .map(|_| rng.random::<f32>() - 0.5)
                        .collect();
                    if label == 1 {
                        let (lo, hi) = (s * 3 / 8, s * 5 / 8);
                        for i in lo..hi {
                            for j in lo..hi {
                                v[i * s + j] += 1.0;
                            }
                        }
                    }
                    v
                })
                .collect();
            data.push(format!("S{seed}-{p:03}"), label, clinical, slices)?;
        }
        Ok(data)
    };
    let (train, held_out) = (make(1)?, make(2)?);
    let mut trainer = crate::train::Trainer::new(net.clone(), config.clone(), device)?;
    while trainer.epochs_done() < config.epochs {
        let log = trainer.run_epoch(&train, Some(&held_out), &mut |_| {})?;
        progress(&log);
    }
    Ok(trainer.log().to_vec())
}

/// What `livermet bench train` runs: the timed steps of [`measure`] and, with `epochs > 0`,
/// a [`synthetic_training`] of `patients` patients per half.
#[derive(Debug, Clone, Copy)]
pub struct BenchSettings {
    pub batch: usize,
    pub train_steps: usize,
    pub infer_steps: usize,
    pub rounds: usize,
    pub epochs: usize,
    pub patients: usize,
}

/// `livermet bench train`'s result (its `--json`).
#[derive(Debug, Clone, serde::Serialize)]
pub struct Benchmark {
    /// [`crate::device::backend_name`].
    pub backend: String,
    #[serde(flatten)]
    pub throughput: Throughput,
    /// [`peak_rss_mb`] after the run.
    pub peak_rss_mb: Option<f64>,
    pub widths: Vec<usize>,
    pub batch: usize,
    pub patch_size: usize,
    /// [`threads`].
    pub threads: usize,
    /// The synthetic training's epoch logs (empty without one).
    pub synthetic_epochs: Vec<crate::train::EpochLog>,
    /// Its wall time (0 without one).
    pub synthetic_training_s: f64,
}

impl Benchmark {
    /// One line: both speeds (median round), peak memory and what was measured.
    pub fn text(&self) -> String {
        let t = &self.throughput;
        format!(
            "{}: train {:.1} patches/s, inference {:.1} patches/s (median of {} rounds), peak RSS \
             {} MB (widths {:?}, batch {}, 5x{}x{})\n",
            self.backend,
            t.train_patches_per_s,
            t.infer_patches_per_s,
            t.rounds.len(),
            self.peak_rss_mb.map_or("?".into(), |r| format!("{r:.0}")),
            self.widths,
            self.batch,
            self.patch_size,
            self.patch_size
        )
    }
}

/// Measures `net` on `device` as `settings` say; `progress` sees each synthetic epoch's log.
/// The synthetic training uses the quick protocol's learning rate and 4 copies per slice.
pub fn bench(
    net: &NetConfig,
    device: &Device,
    settings: &BenchSettings,
    progress: &mut dyn FnMut(&crate::train::EpochLog),
) -> Result<Benchmark> {
    let s = settings;
    let throughput = measure(net, device, s.batch, s.train_steps, s.infer_steps, s.rounds)?;
    let mut synthetic_epochs = Vec::new();
    let mut synthetic_training_s = 0.0;
    if s.epochs > 0 {
        let cfg = crate::train::TrainConfig::new()
            .with_epochs(s.epochs)
            .with_lr0(1e-3)
            .with_copies_per_slice(4);
        let t0 = Instant::now();
        synthetic_epochs = synthetic_training(net, &cfg, device, s.patients, progress)?;
        synthetic_training_s = t0.elapsed().as_secs_f64();
    }
    Ok(Benchmark {
        backend: crate::device::backend_name(device),
        throughput,
        peak_rss_mb: peak_rss_mb(),
        widths: net.widths.clone(),
        batch: s.batch,
        patch_size: net.patch_size,
        threads: threads(),
        synthetic_epochs,
        synthetic_training_s,
    })
}

/// Peak resident memory of this process (Linux `VmHWM`), MB.
pub fn peak_rss_mb() -> Option<f64> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = s.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

/// Worker threads of the CPU backend: `RAYON_NUM_THREADS` if set, else the available cores.
pub fn threads() -> usize {
    std::env::var("RAYON_NUM_THREADS")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|&n| n > 0)
        .unwrap_or_else(|| {
            std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(1)
        })
}
