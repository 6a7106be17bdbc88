//! livermet-model: the paper's 2D ResNet (MRI and Combined), its training loop, checkpoints
//! and inference, on any burn device.
//!
//! Library code takes a `&Device` and never names a backend: the binary picks the device
//! (`Device::flex()` on the CPU, a GPU device with the `gpu` feature). Training adds autodiff
//! to the device it is given; inference runs on the plain device.
//!
//! - [`NetConfig`] / [`Net`]: the network ([`net`]), saved as `net.json` beside its weights.
//! - [`Trainer`]: Adam, cross-entropy + L1 + L2, `lr0 * 0.1^(e/E)`, checkpoints ([`checkpoint`]).
//! - [`PatchSource`]: where patches come from ([`data`]); [`InMemoryPatches`] for tests.
//! - [`patient_scores`]: mean slice probability per patient ([`infer`]).
//! - [`saliency`]: Grad-CAM and occlusion sensitivity of a patient's tumour slices.
//! - [`throughput::measure`]: patches/s for `livermet bench train`.

pub mod allocator;
pub mod checkpoint;
pub mod config;
pub mod data;
pub mod device;
pub mod error;
pub mod fused;
pub mod infer;
pub mod model_name;
pub mod net;
pub mod objective;
pub mod prepared;
pub mod protocol;
pub mod saliency;
pub mod throughput;
pub mod train;

pub use checkpoint::{CheckpointState, RngState, STATE_FILE};
pub use config::{Fusion, NetConfig};
pub use data::{InMemoryPatches, PatchSource, PatientInfo};
pub use error::{ModelError, Result};
pub use fused::FusedNet;
pub use infer::{load_model, patient_scores, save_model, slice_probabilities, weight_values};
pub use model_name::ModelName;
pub use net::Net;
pub use objective::{learning_rate, weight_penalty};
pub use prepared::{PatientRow, PreparedPatches};
pub use protocol::Protocol;
pub use saliency::{OcclusionSettings, PatientSaliency, patient_saliency};
pub use train::{BatchProgress, EpochLog, TrainConfig, Trainer};

/// burn's `Device`, re-exported so callers need not depend on burn to pick one.
pub use burn::tensor::Device;
