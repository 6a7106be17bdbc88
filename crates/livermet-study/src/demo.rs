//! The demo (`livermet demo`): the whole study on a synthetic two-centre cohort in one folder,
//! `OUT/cohort/` (primary.csv, external.csv and their images) and `OUT/study.toml` beside the
//! study's outputs. Run again, it keeps a cohort synthesised with the same settings.

use std::path::PathBuf;

use livermet_cohort::{CohortError, ValidateOptions, validate_cohort};
use livermet_io::write_bytes_atomic;
use livermet_model::Protocol;
use livermet_synth::{Size, SynthSettings};

use crate::StudyError;
use crate::settings::StudySettings;

/// A demo folder, its protocol and its seed (the cohort's and the study's).
#[derive(Debug, Clone)]
pub struct Demo {
    pub out: PathBuf,
    pub protocol: Protocol,
    pub seed: u64,
}

impl Demo {
    /// The synthetic cohort's folder.
    pub fn cohort_dir(&self) -> PathBuf {
        self.out.join("cohort")
    }

    /// The primary and external centres' CSVs.
    pub fn cohort_csvs(&self) -> [PathBuf; 2] {
        let dir = self.cohort_dir();
        [dir.join("primary.csv"), dir.join("external.csv")]
    }

    /// Validates both centres' CSVs as a user's cohort would be: each CSV with its number of
    /// patients, or the first CSV with problems as [`CohortError::Invalid`] (every problem in
    /// its list).
    pub fn validate_cohort(&self) -> Result<Vec<(PathBuf, usize)>, StudyError> {
        let mut valid = Vec::new();
        for csv in self.cohort_csvs() {
            let report = validate_cohort(&csv, &ValidateOptions::default())?;
            if !report.problems.is_empty() {
                let problems = report.problems;
                return Err(CohortError::Invalid {
                    path: csv,
                    problems,
                }
                .into());
            }
            valid.push((csv, report.patients.len()));
        }
        Ok(valid)
    }

    /// The paper's cohort sizes with the demo's seed: small images for `quick`, the paper's
    /// T2 matrix for `paper`.
    pub fn synth_settings(&self) -> SynthSettings {
        let size = match self.protocol {
            Protocol::Quick => Size::Small,
            Protocol::Paper => Size::Paper,
        };
        SynthSettings {
            seed: self.seed,
            size,
            ..SynthSettings::default()
        }
    }

    /// The file that records the settings of the synthesised cohort.
    fn marker(&self) -> PathBuf {
        self.cohort_dir().join("demo-synth.json")
    }

    /// Whether the cohort folder holds a cohort synthesised with [`Demo::synth_settings`]: it
    /// is kept, since synthesising it again would change every file's time stamp and force the
    /// whole preparation again.
    pub fn cohort_is_current(&self) -> bool {
        let wanted = format!("{:?}", self.synth_settings());
        std::fs::read_to_string(self.marker()).is_ok_and(|s| s == wanted)
    }

    /// Records that the cohort folder now holds the cohort of [`Demo::synth_settings`].
    pub fn mark_cohort_current(&self) -> Result<(), StudyError> {
        let wanted = format!("{:?}", self.synth_settings());
        Ok(write_bytes_atomic(&self.marker(), wanted.as_bytes())?)
    }

    /// Writes `OUT/study.toml` (so the user can re-run or edit the study) and reads it back:
    /// the file and the study's settings.
    pub fn write_study_settings(&self) -> Result<(PathBuf, StudySettings), StudyError> {
        let toml = format!(
            "# Written by `livermet demo`; run it again with `livermet study {0}/study.toml --out {0}`.\n\
             primary = \"cohort/primary.csv\"\nexternal = \"cohort/external.csv\"\n\
             protocol = \"{1}\"\nseed = {2}\n",
            self.out.display(),
            self.protocol.as_str(),
            self.seed
        );
        let path = self.out.join("study.toml");
        write_bytes_atomic(&path, toml.as_bytes())?;
        let settings = StudySettings::load(&path)?;
        Ok((path, settings))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cohort_is_current_only_for_the_settings_it_was_made_with() {
        let dir = tempfile::tempdir().unwrap();
        let demo = |protocol, seed| Demo {
            out: dir.path().to_path_buf(),
            protocol,
            seed,
        };
        let quick = demo(Protocol::Quick, 1);
        assert_eq!(quick.synth_settings().size, Size::Small);
        assert_eq!(demo(Protocol::Paper, 1).synth_settings().size, Size::Paper);
        assert!(!quick.cohort_is_current());
        std::fs::create_dir_all(quick.cohort_dir()).unwrap();
        quick.mark_cohort_current().unwrap();
        assert!(quick.cohort_is_current());
        assert!(!demo(Protocol::Quick, 2).cohort_is_current());
        assert!(!demo(Protocol::Paper, 1).cohort_is_current());
    }
}
