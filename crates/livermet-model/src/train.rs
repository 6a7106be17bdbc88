//! Training: Adam on cross-entropy + L1 + L2, exponential learning-rate decay, patches drawn
//! and augmented on the fly each epoch, patient-level validation AUC, checkpoints.
//!
//! Determinism: all randomness of an epoch (shuffling, augmentation seeds, dropout masks) comes
//! from a ChaCha8 generator seeded with `seed` on stream `epoch`, so epoch `e` is the same
//! whether the run got there in one go or was resumed from a checkpoint. burn's own RNG is used
//! only for the initial weights ([`NetConfig::init_seeded`]).

use burn::config::Config;
use burn::module::Module;
use burn::optim::{AdamConfig, GradientsParams, ModuleOptimizer};
use burn::tensor::{Device, Int, Tensor, TensorData};
use rand::{RngCore, SeedableRng, seq::SliceRandom};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::config::NetConfig;
use crate::data::{PatchSource, check_source};
use crate::error::ModelError;
use crate::infer::patient_scores;
use crate::net::Net;
use crate::objective::{cross_entropy, learning_rate, weight_penalty};

/// Training settings (docs/DESIGN.md "training" row; paper: Adam 5e-6, decay 0.1, batch 32,
/// 100 epochs).
#[derive(Config, Debug, PartialEq)]
pub struct TrainConfig {
    /// Initial learning rate `lr0`.
    #[config(default = 5e-6)]
    pub lr0: f64,
    /// L1 penalty factor on conv/linear weights.
    #[config(default = 1e-5)]
    pub l1: f64,
    /// L2 penalty factor on conv/linear weights.
    #[config(default = 1e-5)]
    pub l2: f64,
    /// Patches per batch.
    #[config(default = 32)]
    pub batch_size: usize,
    /// Epochs `E` of the run.
    #[config(default = 100)]
    pub epochs: usize,
    /// Augmented copies of each tumour slice per epoch (paper: ~12,200 patches ≈ 17 per slice).
    #[config(default = 17)]
    pub copies_per_slice: usize,
    /// Seed of the initial weights and of every epoch's randomness.
    #[config(default = 42)]
    pub seed: u64,
}

/// What one epoch did: the JSON log line of `livermet train`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EpochLog {
    /// Epoch number, 1-based.
    pub epoch: usize,
    /// Learning rate used.
    pub lr: f64,
    /// Mean training loss (cross-entropy + penalties) over the epoch's batches.
    pub loss: f64,
    /// Mean cross-entropy alone.
    pub cross_entropy: f64,
    /// Training patches seen.
    pub patches: usize,
    /// Patient-level validation AUC (None without a validation set or with one class only).
    pub val_auc: Option<f64>,
}

impl EpochLog {
    /// `epoch 3/6  loss 0.6412  lr 1.00e-3  held-out AUC 0.812` (no AUC part without one).
    pub fn text(&self, epochs: usize) -> String {
        let auc = self
            .val_auc
            .map_or(String::new(), |a| format!("  held-out AUC {a:.3}"));
        format!(
            "epoch {}/{epochs}  loss {:.4}  lr {:.2e}{auc}",
            self.epoch, self.loss, self.lr
        )
    }
}

/// Progress inside an epoch, for a progress bar.
#[derive(Debug, Clone, Copy)]
pub struct BatchProgress {
    /// Batches done in this epoch.
    pub batch: usize,
    /// Batches in this epoch.
    pub batches: usize,
    /// Loss of the batch just done.
    pub loss: f64,
}

/// A training run in progress: the model, its optimiser and where the run stands.
pub struct Trainer {
    pub(crate) net: NetConfig,
    pub(crate) config: TrainConfig,
    pub(crate) device: Device,
    /// Always `Some` between calls; taken while `optim.step` consumes it.
    pub(crate) model: Option<Net>,
    pub(crate) optim: ModuleOptimizer,
    pub(crate) log: Vec<EpochLog>,
}

impl std::fmt::Debug for Trainer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Trainer")
            .field("net", &self.net)
            .field("epochs_done", &self.log.len())
            .finish()
    }
}

/// Adam as the paper's TensorFlow used it: Keras' epsilon 1e-7 (burn's default is 1e-5).
pub(crate) fn adam() -> ModuleOptimizer {
    AdamConfig::new().with_epsilon(1e-7).init()
}

impl Trainer {
    /// A fresh run on `device` (autodiff is added here), weights initialised from `config.seed`.
    pub fn new(net: NetConfig, config: TrainConfig, device: &Device) -> crate::error::Result<Self> {
        check_train_config(&config)?;
        let device = device.clone().autodiff();
        let model = net.init_seeded(&device, config.seed)?;
        Ok(Trainer {
            net,
            config,
            device,
            model: Some(model),
            optim: adam(),
            log: Vec::new(),
        })
    }

    /// Epochs finished so far.
    pub fn epochs_done(&self) -> usize {
        self.log.len()
    }

    /// The per-epoch log so far.
    pub fn log(&self) -> &[EpochLog] {
        &self.log
    }

    /// The network settings.
    pub fn net_config(&self) -> &NetConfig {
        &self.net
    }

    /// The training settings.
    pub fn train_config(&self) -> &TrainConfig {
        &self.config
    }

    /// The model for inference: without autodiff, batch norm on running statistics, no dropout.
    pub fn model(&self) -> Net {
        self.net().valid()
    }

    /// The training-mode network (on the autodiff device).
    pub(crate) fn net(&self) -> &Net {
        self.model.as_ref().expect("model is present between steps")
    }

    /// All weights as flat vectors (for comparing runs).
    pub fn weights(&self) -> Vec<Vec<f32>> {
        crate::infer::weight_values(self.net())
    }

    /// Runs the next epoch on `train` and, if given, scores `validation` patients.
    pub fn run_epoch(
        &mut self,
        train: &dyn PatchSource,
        validation: Option<&dyn PatchSource>,
        progress: &mut dyn FnMut(BatchProgress),
    ) -> crate::error::Result<EpochLog> {
        let epoch = self.log.len();
        if epoch >= self.config.epochs {
            return Err(ModelError::InvalidSetting(format!(
                "all {} epochs are done already",
                self.config.epochs
            )));
        }
        check_source(train, self.net.n_clinical)?;
        let lr = learning_rate(self.config.lr0, epoch, self.config.epochs);
        let mut rng = epoch_rng(self.config.seed, epoch);
        let items = shuffled_items(train, self.config.copies_per_slice, &mut rng);
        let batches: Vec<&[(usize, usize)]> = items.chunks(self.config.batch_size).collect();
        let (mut sum_loss, mut sum_ce) = (0.0, 0.0);
        for (b, batch) in batches.iter().enumerate() {
            let (loss, ce) = self.train_step(train, batch, lr, &mut rng)?;
            sum_loss += loss;
            sum_ce += ce;
            progress(BatchProgress {
                batch: b + 1,
                batches: batches.len(),
                loss,
            });
        }
        let n = batches.len().max(1) as f64;
        let val_auc = match validation {
            Some(v) => {
                let scores = patient_scores(&self.model(), &self.net, v, self.config.batch_size)?;
                let labels: Vec<bool> = v.patients().iter().map(|p| p.label == 1).collect();
                // Undefined (None) with one class only.
                livermet_stats::roc::auc(&scores, &labels).ok()
            }
            None => None,
        };
        let entry = EpochLog {
            epoch: epoch + 1,
            lr,
            loss: sum_loss / n,
            cross_entropy: sum_ce / n,
            patches: items.len(),
            val_auc,
        };
        self.log.push(entry.clone());
        Ok(entry)
    }

    /// One optimiser step on `batch`; returns (total loss, cross-entropy).
    fn train_step(
        &mut self,
        source: &dyn PatchSource,
        batch: &[(usize, usize)],
        lr: f64,
        rng: &mut ChaCha8Rng,
    ) -> crate::error::Result<(f64, f64)> {
        let mut seeds = Vec::with_capacity(batch.len());
        for _ in batch {
            seeds.push(rng.next_u64());
        }
        let inputs =
            crate::infer::batch_tensors(&self.net, source, batch, Some(&seeds), &self.device)?;
        let model = self.model.take().expect("model is present between steps");
        let keep = dropout_mask(batch.len(), model.fused_width(), self.net.dropout, rng);
        let keep = Tensor::<2>::from_data(keep, &self.device);
        let logits = model.forward(inputs.images, inputs.clinical, Some(keep));
        let labels = Tensor::<1, Int>::from_data(inputs.labels, &self.device);
        let ce = cross_entropy(logits, labels);
        let loss = ce.clone() + weight_penalty(&model, self.config.l1, self.config.l2);
        let grads = GradientsParams::from_grads(loss.backward(), &model);
        self.model = Some(self.optim.step(lr, model, grads));
        Ok((
            loss.into_scalar::<f32>() as f64,
            ce.into_scalar::<f32>() as f64,
        ))
    }
}

/// The generator of epoch `epoch`: seed `seed`, ChaCha stream `epoch`, position 0.
pub(crate) fn epoch_rng(seed: u64, epoch: usize) -> ChaCha8Rng {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(epoch as u64);
    rng
}

/// Every (patient, slice) `copies` times, shuffled.
fn shuffled_items(
    source: &dyn PatchSource,
    copies: usize,
    rng: &mut ChaCha8Rng,
) -> Vec<(usize, usize)> {
    let mut items = Vec::new();
    for (p, info) in source.patients().iter().enumerate() {
        for s in 0..info.n_slices {
            for _ in 0..copies {
                items.push((p, s));
            }
        }
    }
    items.shuffle(rng);
    items
}

/// Inverted-dropout mask `[rows, cols]`: each entry kept with probability `1 - p` and then
/// scaled by `1/(1-p)` (Srivastava et al. 2014), so inference needs no rescaling.
fn dropout_mask(rows: usize, cols: usize, p: f64, rng: &mut ChaCha8Rng) -> TensorData {
    let scale = (1.0 / (1.0 - p)) as f32;
    let values: Vec<f32> = (0..rows * cols)
        .map(|_| {
            let u = (rng.next_u32() >> 8) as f64 / (1u32 << 24) as f64;
            if u < p { 0.0 } else { scale }
        })
        .collect();
    TensorData::new(values, [rows, cols])
}

fn check_train_config(c: &TrainConfig) -> crate::error::Result<()> {
    match c.problem() {
        Some((field, why)) => Err(ModelError::InvalidSetting(format!("{field} {why}"))),
        None => Ok(()),
    }
}

impl TrainConfig {
    /// The first setting that cannot train a network: the field's name and what is wrong with
    /// it (written so that NaN fails every check).
    pub fn problem(&self) -> Option<(&'static str, String)> {
        let count = |name: &'static str, v: usize| {
            (v == 0).then(|| (name, format!("is {v}; it must be at least 1")))
        };
        let in_range = |name: &'static str, v: f64, lo: f64, lo_open: bool, hi: f64| {
            let above = if lo_open { v > lo } else { v >= lo };
            (!(above && v <= hi)).then(|| {
                let open = if lo_open { "(" } else { "[" };
                (name, format!("is {v}; it must lie in {open}{lo}, {hi}]"))
            })
        };
        count("epochs", self.epochs)
            .or_else(|| count("batch_size", self.batch_size))
            .or_else(|| count("copies_per_slice", self.copies_per_slice))
            // Adam's step is lr0-sized: above 1 every weight jumps by more than its scale.
            .or_else(|| in_range("lr0", self.lr0, 0.0, true, 1.0))
            .or_else(|| in_range("l1", self.l1, 0.0, false, 1.0))
            .or_else(|| in_range("l2", self.l2, 0.0, false, 1.0))
    }
}
