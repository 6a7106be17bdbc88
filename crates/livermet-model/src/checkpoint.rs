//! Checkpoints after every epoch, written so that a crash at any instant leaves the last
//! complete one readable: weights and optimiser state go to new files named by epoch (burnpack
//! writes them under a temporary name and renames), then `state.json` — which names them — is
//! written to a temporary file and renamed over the old one; only then are the previous
//! epoch's files removed. Every JSON file goes through `livermet_io::atomic`.

use std::path::{Path, PathBuf};

use burn::module::Module;
use livermet_io::{read_json, write_json_atomic};
use serde::{Deserialize, Serialize};

use crate::config::NetConfig;
use crate::error::{ModelError, Result};
use crate::infer::load_weights;
use crate::train::{EpochLog, TrainConfig, Trainer, adam};

/// The checkpoint's index file.
pub const STATE_FILE: &str = "state.json";

/// Where the run's random generator stands: the next epoch draws from ChaCha8 seeded with
/// `seed`, on stream `stream` (= the epoch), from word `word_pos`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RngState {
    /// The run's seed.
    pub seed: u64,
    /// ChaCha stream of the next epoch.
    pub stream: u64,
    /// Word position in that stream.
    pub word_pos: u128,
}

/// Contents of `state.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CheckpointState {
    /// The network the weights belong to.
    pub net: NetConfig,
    /// The run's training settings.
    pub train: TrainConfig,
    /// Epochs finished.
    pub epochs_done: usize,
    /// Random generator position for the next epoch.
    pub rng: RngState,
    /// Weights file (burnpack), relative to the checkpoint folder.
    pub weights: String,
    /// Optimiser-state file (burnpack), relative to the checkpoint folder.
    pub optimiser: String,
    /// The per-epoch log so far.
    pub log: Vec<EpochLog>,
}

impl Trainer {
    /// Writes the checkpoint of the epochs done so far into `dir`.
    pub fn save_checkpoint(&self, dir: &Path) -> Result<()> {
        std::fs::create_dir_all(dir).map_err(|e| ModelError::io(dir, e))?;
        let epoch = self.epochs_done();
        let weights = format!("weights-e{epoch:04}.bpk");
        let optimiser = format!("optimiser-e{epoch:04}.bpk");
        let record_err = |path: PathBuf| {
            move |e: burn::store::RecordError| ModelError::Record {
                path,
                message: e.to_string(),
            }
        };
        let wpath = dir.join(&weights);
        self.net()
            .clone()
            .save_file(&wpath)
            .map_err(record_err(wpath.clone()))?;
        let opath = dir.join(&optimiser);
        self.optim.save(&opath).map_err(record_err(opath.clone()))?;
        let state = CheckpointState {
            net: self.net.clone(),
            train: self.config.clone(),
            epochs_done: epoch,
            rng: RngState {
                seed: self.config.seed,
                stream: epoch as u64,
                word_pos: 0,
            },
            weights: weights.clone(),
            optimiser: optimiser.clone(),
            log: self.log.clone(),
        };
        write_json_atomic(&dir.join(STATE_FILE), &state)?;
        remove_stale(dir, &[&weights, &optimiser]);
        Ok(())
    }

    /// The state of the checkpoint in `dir`, which must have been made with `net` and `config`;
    /// anything else is a [`ModelError::ConfigMismatch`] saying what differs.
    pub fn checkpoint_state(
        dir: &Path,
        net: &NetConfig,
        config: &TrainConfig,
    ) -> Result<CheckpointState> {
        let state_path = dir.join(STATE_FILE);
        if !state_path.exists() {
            return Err(ModelError::NoCheckpoint(dir.to_path_buf()));
        }
        let state: CheckpointState = read_json(&state_path)?;
        let mut detail = state.net.difference(net);
        if state.train != *config {
            let t = format!("training settings {:?} vs {:?}", state.train, config);
            detail = if detail.is_empty() {
                t
            } else {
                format!("{detail}; {t}")
            };
        }
        if !detail.is_empty() {
            return Err(ModelError::ConfigMismatch {
                path: state_path,
                detail,
            });
        }
        Ok(state)
    }

    /// Continues the run checkpointed in `dir`. `net` and `config` must be the settings it was
    /// started with; anything else is a [`ModelError::ConfigMismatch`].
    pub fn resume(
        dir: &Path,
        net: &NetConfig,
        config: &TrainConfig,
        device: &burn::tensor::Device,
    ) -> Result<Self> {
        let state = Trainer::checkpoint_state(dir, net, config)?;
        let device = device.clone().autodiff();
        let model = load_weights(net, &dir.join(&state.weights), &device)?;
        let opath = dir.join(&state.optimiser);
        let optim = adam().load(&opath).map_err(|e| ModelError::Record {
            path: opath,
            message: e.to_string(),
        })?;
        Ok(Trainer {
            net: state.net,
            config: state.train,
            device,
            model: Some(model),
            optim,
            log: state.log,
        })
    }
}

/// Removes weights/optimiser files of earlier epochs (best effort: a leftover file is harmless).
fn remove_stale(dir: &Path, keep: &[&str]) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let ours = name.starts_with("weights-e") || name.starts_with("optimiser-e");
        if ours && name.ends_with(".bpk") && !keep.contains(&name.as_str()) {
            let _ = std::fs::remove_file(e.path());
        }
    }
}
