//! The paper's three models under one name everywhere: in `STUDY.toml`, `results.json`, the
//! bundle, the work folders (`fold0-mri`) and the command line (`--model mri`).

use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// One of the paper's three models (Sun et al. 2025, Methods). CF is the clinical logistic
/// model (fitted by `livermet-study`); MRI and Combined are this crate's networks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum ModelName {
    /// Clinical factors: univariable screen + backward stepwise logistic regression.
    CF,
    /// The 2D ResNet on the five MRI channels.
    MRI,
    /// The ResNet with the clinical vector fused before the classifier.
    Combined,
}

impl ModelName {
    /// All three, in the paper's order.
    pub const ALL: [ModelName; 3] = [ModelName::CF, ModelName::MRI, ModelName::Combined];

    /// Whether the model is a network (MRI, Combined) rather than the logistic CF model.
    pub fn is_network(self) -> bool {
        self != ModelName::CF
    }

    /// Whether the network takes the standardised clinical vector (Combined only).
    pub fn uses_clinical_vector(self) -> bool {
        self == ModelName::Combined
    }

    /// The name as the paper and the report write it.
    pub fn as_str(self) -> &'static str {
        match self {
            ModelName::CF => "CF",
            ModelName::MRI => "MRI",
            ModelName::Combined => "Combined",
        }
    }

    /// The lower-case name of folders (`work/fold0-mri`, `model/combined`) and of the
    /// command line (`--model combined`).
    pub fn slug(self) -> &'static str {
        match self {
            ModelName::CF => "cf",
            ModelName::MRI => "mri",
            ModelName::Combined => "combined",
        }
    }
}

impl std::fmt::Display for ModelName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ModelName {
    type Err = String;

    /// `cf`, `mri` or `combined`, in any case.
    fn from_str(s: &str) -> Result<Self, String> {
        ModelName::ALL
            .into_iter()
            .find(|m| m.slug().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| format!("`{s}` is not a model; use cf, mri or combined"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_typos_are_refused() {
        for m in ModelName::ALL {
            assert_eq!(m.slug().parse::<ModelName>(), Ok(m));
            assert_eq!(m.as_str().parse::<ModelName>(), Ok(m));
        }
        assert!(
            "mr".parse::<ModelName>()
                .unwrap_err()
                .contains("cf, mri or combined")
        );
        // The serialised names are the paper's (results.json keys).
        assert_eq!(serde_json::to_string(&ModelName::MRI).unwrap(), "\"MRI\"");
    }
}
