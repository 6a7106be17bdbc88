//! The network's hyper-parameters (docs/DESIGN.md, "network" and "clinical fusion" rows).

use burn::config::Config;

use crate::error::ModelError;
use crate::model_name::ModelName;

/// Hyper-parameters of the paper's 2D ResNet, saved as JSON beside every set of weights so a
/// checkpoint can only be loaded into the network it was made for.
///
/// Defaults are docs/DESIGN.md's: 5 input channels (T2WI, T1WI, T1CE, DWI, ADC), 112x112 patches,
/// widths 32,32,64,64,128,128, leaky ReLU slope 0.2, dropout 0.5. `n_clinical = 0` is the MRI
/// model; `n_clinical > 0` is the Combined model, whose clinical vector goes through
/// `Linear(n_clinical, clinical_units)` + leaky ReLU and is concatenated with the pooled image
/// features before the classifier (paper, Methods: "clinical features ... fully connected layer
/// ... concatenated").
#[derive(Config, Debug, PartialEq)]
pub struct NetConfig {
    /// Image channels of a patch.
    #[config(default = 5)]
    pub in_channels: usize,
    /// Patch side in pixels (square patches).
    #[config(default = 112)]
    pub patch_size: usize,
    /// Output channels of the 7x7 stem conv and of the six residual blocks: `widths[0]` is the
    /// stem and first block, and a block whose width differs from the one before has stride 2.
    #[config(default = "vec![32, 32, 64, 64, 128, 128]")]
    pub widths: Vec<usize>,
    /// Clinical features fed to the Combined model (0 = MRI model, no clinical branch).
    #[config(default = 0)]
    pub n_clinical: usize,
    /// Units of the clinical fully connected layer.
    #[config(default = 16)]
    pub clinical_units: usize,
    /// Dropout probability before the classifier.
    #[config(default = 0.5)]
    pub dropout: f64,
    /// Negative slope of every leaky ReLU (paper: 0.2).
    #[config(default = 0.2)]
    pub leaky_slope: f64,
    /// How the Combined model takes in its clinical input (ignored by the MRI model).
    #[config(default = "Fusion::Paper")]
    pub fusion: Fusion,
}

/// How the Combined model joins the clinical values to the image features.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Fusion {
    /// The paper's: the clinical vector goes through `Linear(n_clinical, clinical_units)` +
    /// leaky ReLU and is concatenated with the pooled image features before the classifier.
    #[default]
    Paper,
    /// The clinical evidence enters the SLM log-odds as an offset, as in a GLM: the one clinical
    /// input is the linear predictor of the CF model fitted on the same training patients, added
    /// to the classifier's log-odds, so the image network learns only what the clinical values
    /// miss (the "wide" part of a wide-and-deep model, with the CF model's weights). With no
    /// imaging information the network has nothing to add and the model stays the CF model.
    Offset,
}

impl Fusion {
    /// The name used in STUDY.toml and reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Fusion::Paper => "paper",
            Fusion::Offset => "offset",
        }
    }
}

impl NetConfig {
    /// The default network of `model` with `n_clinical` clinical features (used by Combined
    /// only; CF has no network and callers ask [`ModelName::is_network`] first).
    pub fn for_model(model: ModelName, n_clinical: usize) -> Self {
        let n = if model.uses_clinical_vector() {
            n_clinical
        } else {
            0
        };
        NetConfig::new().with_n_clinical(n)
    }

    /// Widths scaled by `multiplier` (rounded, at least 1): 2.0 gives the 64-256 network.
    pub fn with_width_multiplier(self, multiplier: f64) -> Self {
        let widths = self
            .widths
            .iter()
            .map(|&w| ((w as f64 * multiplier).round() as usize).max(1))
            .collect();
        self.with_widths(widths)
    }

    /// The paper-sized network used by `livermet bench train`: widths 64,64,128,128,256,256.
    pub fn paper_sized() -> Self {
        NetConfig::new().with_widths(vec![64, 64, 128, 128, 256, 256])
    }

    /// Which model this network is: MRI without a clinical branch, else Combined.
    pub fn model(&self) -> ModelName {
        if self.n_clinical == 0 {
            ModelName::MRI
        } else {
            ModelName::Combined
        }
    }

    /// Values in one patch: `in_channels * patch_size^2` (channel-major).
    pub fn patch_len(&self) -> usize {
        self.in_channels * self.patch_size * self.patch_size
    }

    /// Checks that the settings describe a network that can be built.
    pub fn check(&self) -> crate::error::Result<()> {
        match self.problem() {
            Some((field, why)) => Err(ModelError::InvalidSetting(format!("{field} {why}"))),
            None => Ok(()),
        }
    }

    /// The first setting that cannot make a network: the field's name and what is wrong.
    pub fn problem(&self) -> Option<(&'static str, String)> {
        if self.widths.len() != 6 || self.widths.contains(&0) {
            return Some((
                "widths",
                format!("is {:?}; it must list 6 positive block widths", self.widths),
            ));
        }
        if self.in_channels == 0 {
            return Some(("in_channels", "is 0; it must be positive".into()));
        }
        // Stem halves the side, each width change halves it again: it must stay >= 1.
        let halvings = 1 + self.widths.windows(2).filter(|w| w[0] != w[1]).count();
        if self.patch_size >> halvings == 0 {
            return Some((
                "patch_size",
                format!(
                    "is {}; it must be at least {} for the {halvings} halvings of these widths",
                    self.patch_size,
                    1usize << halvings
                ),
            ));
        }
        if !(0.0..1.0).contains(&self.dropout) {
            return Some((
                "dropout",
                format!("is {}; it must lie in [0, 1)", self.dropout),
            ));
        }
        if self.n_clinical > 0 && self.fusion == Fusion::Paper && self.clinical_units == 0 {
            return Some((
                "clinical_units",
                "is 0; the Combined model with paper fusion needs at least 1".into(),
            ));
        }
        if self.n_clinical > 1 && self.fusion == Fusion::Offset {
            return Some((
                "n_clinical",
                format!(
                    "is {}; offset fusion takes one clinical input (the CF linear predictor)",
                    self.n_clinical
                ),
            ));
        }
        None
    }

    /// A short human description of how `self` differs from `other` (empty when equal).
    pub fn difference(&self, other: &NetConfig) -> String {
        let mut d = Vec::new();
        let mut cmp = |name: &str, a: String, b: String| {
            if a != b {
                d.push(format!("{name} {a} vs {b}"));
            }
        };
        cmp(
            "in_channels",
            self.in_channels.to_string(),
            other.in_channels.to_string(),
        );
        cmp(
            "patch_size",
            self.patch_size.to_string(),
            other.patch_size.to_string(),
        );
        cmp(
            "widths",
            format!("{:?}", self.widths),
            format!("{:?}", other.widths),
        );
        cmp(
            "n_clinical",
            self.n_clinical.to_string(),
            other.n_clinical.to_string(),
        );
        cmp(
            "clinical_units",
            self.clinical_units.to_string(),
            other.clinical_units.to_string(),
        );
        cmp(
            "dropout",
            self.dropout.to_string(),
            other.dropout.to_string(),
        );
        cmp(
            "fusion",
            self.fusion.as_str().into(),
            other.fusion.as_str().into(),
        );
        cmp(
            "leaky_slope",
            self.leaky_slope.to_string(),
            other.leaky_slope.to_string(),
        );
        d.join(", ")
    }
}
