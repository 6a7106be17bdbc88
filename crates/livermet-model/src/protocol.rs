//! The two protocols of docs/DESIGN.md: `paper` (the paper's settings, a GPU job) and `quick` (the
//! same code path sized for a 2-core CPU: narrower network, fewer epochs and augmented copies,
//! and a learning rate raised to match the shorter run).

use livermet_image::AugmentConfig;

use crate::config::NetConfig;
use crate::model_name::ModelName;
use crate::train::TrainConfig;

/// Which protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Protocol {
    /// Widths 8-32, 64-pixel patches, 4 epochs, 1 copy per slice, lr0 1e-3.
    Quick,
    /// Widths 32-128, 100 epochs, 17 copies per slice, lr0 5e-6 (the paper).
    Paper,
}

impl Protocol {
    /// The name of `STUDY.toml` and the command line (`quick`, `paper`).
    pub fn as_str(self) -> &'static str {
        match self {
            Protocol::Quick => "quick",
            Protocol::Paper => "paper",
        }
    }

    /// The network of `model` with `n_clinical` clinical features (Combined only).
    pub fn net(self, model: ModelName, n_clinical: usize) -> NetConfig {
        let net = NetConfig::for_model(model, n_clinical);
        match self {
            Protocol::Paper => net,
            // 64-pixel patches (45 mm at the T2 grid's 0.7 mm) still hold the tumour and its
            // margin, at a quarter of the pixels of the paper's 112.
            Protocol::Quick => net.with_width_multiplier(0.25).with_patch_size(64),
        }
    }

    /// The training settings.
    pub fn train(self) -> TrainConfig {
        match self {
            Protocol::Paper => TrainConfig::new(),
            Protocol::Quick => TrainConfig::new()
                .with_epochs(4)
                .with_copies_per_slice(1)
                .with_lr0(1e-3),
        }
    }

    /// The augmentation (both protocols: the paper's shift, flip and +-10 degrees).
    pub fn augment(self) -> AugmentConfig {
        AugmentConfig::default()
    }
}

impl std::str::FromStr for Protocol {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "quick" => Ok(Protocol::Quick),
            "paper" => Ok(Protocol::Paper),
            _ => Err(format!("`{s}` is not a protocol; use quick or paper")),
        }
    }
}
