//! `STUDY.toml`: what a study runs on and how (docs/DESIGN.md, "The protocol"). Every key is
//! checked: an unknown key is an error (a typo must not silently fall back to a default).
//!
//! ```toml
//! primary = "cohort/primary.csv"      # paths relative to this file
//! external = "cohort/external.csv"    # optional
//! protocol = "quick"                   # or "paper"
//! folds = 5
//! seed = 42
//! models = ["CF", "MRI", "Combined"]
//! fusion = "offset"                    # or "paper"
//! [training]                           # any TrainConfig field overrides the protocol's
//! epochs = 6
//! [network]
//! widths = [8, 8, 16, 16, 32, 32]
//! [slurm]                              # where the units run on a cluster (`--slurm`)
//! partition = "gpu"
//! ```

use std::path::{Path, PathBuf};

use livermet_cohort::CLINICAL_FEATURES;
pub use livermet_model::ModelName;
use livermet_model::{Fusion, NetConfig, Protocol, TrainConfig};
use serde::{Deserialize, Serialize};

use crate::StudyError;
use crate::prepare::PrepareSettings;
use crate::slurm::SlurmSettings;

/// Overrides of the protocol's training settings (absent = the protocol's value).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrainingOverrides {
    pub lr0: Option<f64>,
    pub l1: Option<f64>,
    pub l2: Option<f64>,
    pub batch_size: Option<usize>,
    pub epochs: Option<usize>,
    pub copies_per_slice: Option<usize>,
}

/// Overrides of the protocol's network.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NetworkOverrides {
    /// Six block widths.
    pub widths: Option<Vec<usize>>,
    pub clinical_units: Option<usize>,
    pub dropout: Option<f64>,
    /// Patch side in pixels (also what `prepare` records).
    pub patch_size: Option<usize>,
}

/// The parsed `STUDY.toml`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StudySettings {
    /// The primary cohort CSV (cross-validation, then the final models' training set).
    pub primary: PathBuf,
    /// The external validation cohort CSV.
    #[serde(default)]
    pub external: Option<PathBuf>,
    #[serde(default = "default_protocol")]
    pub protocol: Protocol,
    /// Folds of the patient-level cross-validation (paper: 5).
    #[serde(default = "default_folds")]
    pub folds: usize,
    /// Seed of the folds, the networks and the augmentation.
    #[serde(default = "default_seed")]
    pub seed: u64,
    /// Which models to fit.
    #[serde(default = "default_models")]
    pub models: Vec<ModelName>,
    /// How the Combined model takes in the clinical values: `offset` (the in-fold CF model's
    /// linear predictor in the network's logit; the default) or `paper` (a fully connected
    /// clinical branch concatenated before the classifier, as the paper did).
    #[serde(default = "default_fusion")]
    pub fusion: Fusion,
    #[serde(default)]
    pub training: TrainingOverrides,
    #[serde(default)]
    pub network: NetworkOverrides,
    /// Preprocessing (registration, ADC) settings other than the patch size.
    #[serde(default)]
    pub prepare: Option<PrepareSettings>,
    /// The cluster resources of the units (`livermet study --slurm`). Where a study runs does
    /// not change what it computes: not saved in `work/settings.json` or `results.json`, and
    /// equal for every two studies ([`SlurmSettings`]'s `PartialEq`), so changing the
    /// partition or the time limit of a study keeps its finished units.
    #[serde(default, skip_serializing)]
    pub slurm: SlurmSettings,
    /// The STUDY.toml these settings were read from, as read (the provenance of
    /// `results.json` and `manifest.json`); `None` for settings made in code. Not part of
    /// what a study computes: never serialised, and equal for every two studies.
    #[serde(skip)]
    pub source: SettingsFile,
}

/// The file a [`StudySettings`] was read from and its text.
#[derive(Debug, Clone, Default)]
pub struct SettingsFile(pub Option<(PathBuf, String)>);

/// A comment or a reformatted line in STUDY.toml changes no result: two studies are the same
/// study whatever their files' text (as [`SlurmSettings`]).
impl PartialEq for SettingsFile {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

fn default_protocol() -> Protocol {
    Protocol::Quick
}
fn default_folds() -> usize {
    5
}
fn default_seed() -> u64 {
    42
}
/// The Combined model's fusion when STUDY.toml does not name one.
pub const DEFAULT_FUSION: Fusion = Fusion::Offset;

fn default_fusion() -> Fusion {
    DEFAULT_FUSION
}
fn default_models() -> Vec<ModelName> {
    ModelName::ALL.to_vec()
}

impl StudySettings {
    /// Reads and checks `STUDY.toml`; relative cohort paths are resolved against its folder.
    /// Every value is range-checked here, before any work starts: an error names the file, the
    /// key and its line.
    pub fn load(path: &Path) -> Result<Self, StudyError> {
        let bad = |reason: String| StudyError::Settings {
            path: path.to_path_buf(),
            reason,
        };
        let text = std::fs::read_to_string(path).map_err(|e| bad(format!("cannot read: {e}")))?;
        let mut s: StudySettings = toml::from_str(&text).map_err(|e| {
            // A value quoted in the message may hold a newline (found by fuzzing): one line.
            let message = e.message().trim_end().replace('\n', "\\n");
            bad(message + &line_of(&text, e.span()).unwrap_or_default())
        })?;
        // Absolute, so the same STUDY.toml names the same study from any working folder (a
        // Slurm job starts elsewhere than the command that submitted it).
        let base = path.parent().filter(|p| !p.as_os_str().is_empty());
        let base = std::path::absolute(base.unwrap_or(Path::new(".")))
            .map_err(|e| bad(format!("cannot resolve its folder: {e}")))?;
        s.primary = base.join(&s.primary);
        s.external = s.external.map(|e| base.join(e));
        s.slurm.binary = s.slurm.binary.map(|b| base.join(b));
        if let Some((key, why)) = s.problem() {
            let line = key_span(&text, &key)
                .and_then(|span| line_of(&text, Some(span)))
                .unwrap_or_default();
            return Err(bad(format!("{key}{line} {why}")));
        }
        s.source = SettingsFile(Some((path.to_path_buf(), text)));
        Ok(s)
    }

    /// Consistency and range checks that do not need the cohorts: the first wrong setting as
    /// (dotted key, what is wrong and what to do).
    pub fn problem(&self) -> Option<(String, String)> {
        for (what, p) in std::iter::once(("primary", &self.primary))
            .chain(self.external.iter().map(|e| ("external", e)))
        {
            if !p.is_file() {
                return Some((
                    what.into(),
                    format!(
                        "names {}, which does not exist; fix the path (relative to STUDY.toml)",
                        p.display()
                    ),
                ));
            }
        }
        if !(2..=100).contains(&self.folds) {
            return Some((
                "folds".into(),
                format!("is {}; it must lie in 2 to 100", self.folds),
            ));
        }
        if self.models.is_empty() {
            return Some((
                "models".into(),
                "is empty; name at least one of CF, MRI, Combined".into(),
            ));
        }
        if let Some(m) = self
            .models
            .iter()
            .find(|m| self.models.iter().filter(|x| x == m).count() > 1)
        {
            return Some((
                "models".into(),
                format!("names {m} twice; name each model once"),
            ));
        }
        if let Some((field, why)) = self.train().problem() {
            return Some((format!("training.{field}"), why));
        }
        // Both networks, the Combined one with the clinical inputs its fusion takes.
        for model in [ModelName::MRI, ModelName::Combined] {
            let n_clinical = self.combined_inputs(CLINICAL_FEATURES.len());
            if let Some((field, why)) = self.net(model, n_clinical).problem() {
                return Some((format!("network.{field}"), why));
            }
        }
        if let Some((field, why)) = self.prepare_settings().problem() {
            // The patch side is the network's: `prepare_settings` copies it from there.
            let key = if field == "patch_size" {
                "network.patch_size".into()
            } else {
                format!("prepare.{field}")
            };
            return Some((key, why));
        }
        None
    }

    /// The clinical inputs of the Combined network: the standardised CF candidates (paper
    /// fusion), or the one CF linear predictor (offset fusion).
    pub fn combined_inputs(&self, candidates: usize) -> usize {
        match self.fusion {
            Fusion::Paper => candidates,
            Fusion::Offset => 1,
        }
    }

    /// The network of `model` after the overrides; `n_clinical` as [`Self::combined_inputs`].
    pub fn net(&self, model: ModelName, n_clinical: usize) -> NetConfig {
        let mut net = self.protocol.net(model, n_clinical);
        net.fusion = self.fusion;
        let o = &self.network;
        net.patch_size = self.patch_size();
        if let Some(w) = &o.widths {
            net.widths = w.clone();
        }
        if let Some(u) = o.clinical_units {
            net.clinical_units = u;
        }
        if let Some(d) = o.dropout {
            net.dropout = d;
        }
        net
    }

    /// The patch side: the override, else the protocol's.
    pub fn patch_size(&self) -> usize {
        self.network
            .patch_size
            .unwrap_or(self.protocol.net(ModelName::MRI, 0).patch_size)
    }

    /// Training settings after the overrides (the seed is set per fold and model by the study).
    pub fn train(&self) -> TrainConfig {
        let mut t = self.protocol.train();
        let o = &self.training;
        t.lr0 = o.lr0.unwrap_or(t.lr0);
        t.l1 = o.l1.unwrap_or(t.l1);
        t.l2 = o.l2.unwrap_or(t.l2);
        t.batch_size = o.batch_size.unwrap_or(t.batch_size);
        t.epochs = o.epochs.unwrap_or(t.epochs);
        t.copies_per_slice = o.copies_per_slice.unwrap_or(t.copies_per_slice);
        t
    }

    /// Preprocessing settings: the given ones (or defaults) with the study's patch size.
    pub fn prepare_settings(&self) -> PrepareSettings {
        let mut p = self.prepare.clone().unwrap_or_default();
        p.patch_size = self.patch_size();
        p
    }

    /// Whether `model` is fitted.
    pub fn fits(&self, model: ModelName) -> bool {
        self.models.contains(&model)
    }
}

/// Where the value of a dotted key (`training.epochs`) is written in the TOML text, found by
/// parsing it again with spans (tables, dotted keys and inline tables alike); `None` when the
/// key is not written (a protocol default).
fn key_span(text: &str, key: &str) -> Option<std::ops::Range<usize>> {
    use toml::de::{DeTable, DeValue};
    let doc = DeTable::parse(text).ok()?;
    let mut parts = key.split('.');
    let mut value = doc.get_ref().get(parts.next()?)?;
    for part in parts {
        value = match value.get_ref() {
            DeValue::Table(t) => t.get(part)?,
            _ => return None,
        };
    }
    Some(value.span())
}

/// " (line N)" for a TOML error span.
fn line_of(text: &str, span: Option<std::ops::Range<usize>>) -> Option<String> {
    let start = span?.start.min(text.len());
    Some(format!(
        " (line {})",
        text[..start].matches('\n').count() + 1
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
        let p = dir.join(name);
        std::fs::write(&p, text).unwrap();
        p
    }

    #[test]
    fn unknown_keys_and_missing_cohorts_are_one_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "p.csv", "x\n");
        let toml = write(dir.path(), "s.toml", "primary = \"p.csv\"\nepoch = 3\n");
        let e = StudySettings::load(&toml).unwrap_err().to_string();
        assert!(
            e.contains("unknown field `epoch`") && e.contains("line 2"),
            "{e}"
        );
        let toml = write(
            dir.path(),
            "s2.toml",
            "primary = \"p.csv\"\n[training]\nepoch = 3\n",
        );
        let e = StudySettings::load(&toml).unwrap_err().to_string();
        assert!(e.contains("unknown field `epoch`"), "{e}");
        let toml = write(dir.path(), "s3.toml", "primary = \"missing.csv\"\n");
        let e = StudySettings::load(&toml).unwrap_err().to_string();
        assert!(
            e.contains("s3.toml: primary (line 1) names") && e.contains("missing.csv"),
            "{e}"
        );
    }

    /// Every range is checked at load, naming the file, the dotted key and its line, however
    /// the key is written (table, dotted key, inline table).
    #[test]
    fn out_of_range_values_name_the_file_key_and_line() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "p.csv", "x\n");
        let cases = [
            ("[training]\nepochs = 0\n", "training.epochs (line 3) is 0"),
            (
                "[training]\nlr0 = -0.001\n",
                "training.lr0 (line 3) is -0.001",
            ),
            ("[training]\nlr0 = nan\n", "training.lr0 (line 3) is NaN"),
            (
                "training.batch_size = 0\n",
                "training.batch_size (line 2) is 0",
            ),
            ("training = { l2 = -1.0 }\n", "training.l2 (line 2) is -1"),
            (
                "[training]\ncopies_per_slice = 0\n",
                "training.copies_per_slice (line 3)",
            ),
            (
                "[network]\ndropout = 1.5\n",
                "network.dropout (line 3) is 1.5",
            ),
            (
                "[network]\nwidths = [1, 0, 2, 2, 2, 2]\n",
                "network.widths (line 3)",
            ),
            (
                "[network]\npatch_size = 4\n",
                "network.patch_size (line 3) is 4",
            ),
            (
                // The clinical branch exists with paper fusion only.
                "fusion = \"paper\"\n[network]\nclinical_units = 0\n",
                "network.clinical_units (line 4)",
            ),
            ("folds = 1\n", "folds (line 2) is 1"),
            ("models = []\n", "models (line 2) is empty"),
            ("models = [\"c\\n\"]\n", "unknown variant `c\\n`"),
            (
                "models = [\"CF\", \"CF\"]\n",
                "models (line 2) names CF twice",
            ),
            ("[prepare]\nmax_slices = 0\n", "prepare.max_slices (line 3)"),
            (
                "[prepare]\nshell_tolerance = -5.0\n",
                "prepare.shell_tolerance (line 3)",
            ),
            (
                "[prepare.registration]\nbins = 1\n",
                "prepare.registration.bins (line 3) is 1",
            ),
            (
                "[prepare.registration]\nrelaxation = 1.5\n",
                "prepare.registration.relaxation (line 3)",
            ),
        ];
        for (i, (body, want)) in cases.iter().enumerate() {
            let toml = write(
                dir.path(),
                &format!("c{i}.toml"),
                &format!("primary = \"p.csv\"\n{body}"),
            );
            let e = StudySettings::load(&toml).unwrap_err().to_string();
            assert!(
                e.contains(&format!("c{i}.toml: {want}")) && !e.contains('\n'),
                "{body}: {e}"
            );
        }
    }

    #[test]
    fn overrides_replace_the_protocol_values_and_paths_are_relative() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "p.csv", "x\n");
        let toml = write(
            dir.path(),
            "s.toml",
            "primary = \"p.csv\"\nprotocol = \"paper\"\nseed = 7\nmodels = [\"CF\"]\n\
             [training]\nepochs = 3\n[network]\nwidths = [1,1,2,2,3,3]\npatch_size = 32\n",
        );
        let s = StudySettings::load(&toml).unwrap();
        assert_eq!(s.primary, dir.path().join("p.csv"));
        assert_eq!(s.train().epochs, 3);
        assert_eq!(s.train().lr0, Protocol::Paper.train().lr0);
        let net = s.net(ModelName::Combined, 5);
        assert_eq!(net.widths, vec![1, 1, 2, 2, 3, 3]);
        assert_eq!((net.patch_size, net.n_clinical), (32, 5));
        assert_eq!(s.prepare_settings().patch_size, 32);
        assert_eq!(s.models, vec![ModelName::CF]);
        assert!(!s.fits(ModelName::MRI));
    }
}
