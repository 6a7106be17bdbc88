//! Stratified, patient-level k-fold assignment: every patient is in exactly one fold, and each
//! fold has about the same share of SLM patients (no patient's slices can leak across folds,
//! because folds are made of patients, never of slices or patches).

use std::collections::BTreeMap;
use std::path::Path;

use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::CohortError;

/// Which fold each patient is in (`folds[patient_id]` in `0..k`). Saved as JSON so every stage
/// (and the user) sees the same split.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FoldAssignment {
    pub k: usize,
    pub seed: u64,
    pub folds: BTreeMap<String, usize>,
}

impl FoldAssignment {
    /// Patient IDs in fold `fold` (the held-out patients of that fold), sorted.
    pub fn test_ids(&self, fold: usize) -> Vec<&str> {
        self.folds
            .iter()
            .filter(|(_, f)| **f == fold)
            .map(|(id, _)| id.as_str())
            .collect()
    }

    /// Patient IDs not in fold `fold` (the training patients of that fold), sorted.
    pub fn train_ids(&self, fold: usize) -> Vec<&str> {
        self.folds
            .iter()
            .filter(|(_, f)| **f != fold)
            .map(|(id, _)| id.as_str())
            .collect()
    }

    /// Write as pretty JSON, atomically (`livermet_io::atomic`).
    pub fn save(&self, path: &Path) -> Result<(), CohortError> {
        Ok(livermet_io::write_json_atomic(path, self)?)
    }

    /// Read a file written by [`FoldAssignment::save`].
    pub fn load(path: &Path) -> Result<Self, CohortError> {
        let err = |reason: String| CohortError::FoldFile {
            path: path.to_path_buf(),
            reason,
        };
        let text = std::fs::read_to_string(path).map_err(|e| err(e.to_string()))?;
        let fa: Self =
            serde_json::from_str(&text).map_err(|e| err(format!("not a fold file: {e}")))?;
        if let Some((id, f)) = fa.folds.iter().find(|(_, f)| **f >= fa.k) {
            return Err(err(format!(
                "patient {id} is in fold {f}, but k = {}",
                fa.k
            )));
        }
        Ok(fa)
    }
}

/// Assign `(patient_id, slm)` pairs to `k` stratified folds with a seeded shuffle.
///
/// Each class is shuffled (ChaCha8, `seed`) and dealt round-robin; the negatives continue from
/// the fold where the positives stopped, so fold sizes differ by at most one. The result does
/// not depend on the input order (patients are sorted by ID before shuffling).
pub fn stratified_folds(
    patients: &[(String, bool)],
    k: usize,
    seed: u64,
) -> Result<FoldAssignment, CohortError> {
    if k < 2 {
        return Err(CohortError::Folds {
            k,
            reason: "k must be at least 2".into(),
        });
    }
    let mut seen = std::collections::BTreeSet::new();
    if let Some((id, _)) = patients.iter().find(|(id, _)| !seen.insert(id.as_str())) {
        return Err(CohortError::Folds {
            k,
            reason: format!("patient {id} appears twice"),
        });
    }
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut folds = BTreeMap::new();
    let mut next = 0usize;
    for class in [true, false] {
        let mut ids: Vec<&String> = patients
            .iter()
            .filter(|(_, y)| *y == class)
            .map(|(id, _)| id)
            .collect();
        if ids.len() < k {
            let name = if class { "SLM" } else { "non-SLM" };
            return Err(CohortError::Folds {
                k,
                reason: format!(
                    "only {} {name} patient(s); each fold needs at least one: use fewer folds",
                    ids.len()
                ),
            });
        }
        ids.sort();
        ids.shuffle(&mut rng);
        for id in ids {
            folds.insert(id.clone(), next % k);
            next += 1;
        }
    }
    Ok(FoldAssignment { k, seed, folds })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cohort(pos: usize, neg: usize) -> Vec<(String, bool)> {
        (0..pos + neg)
            .map(|i| (format!("P{i:03}"), i < pos))
            .collect()
    }

    #[test]
    fn folds_are_stratified_balanced_and_cover_everyone_once() {
        let c = cohort(72, 104);
        let fa = stratified_folds(&c, 5, 7).unwrap();
        assert_eq!(fa.folds.len(), 176);
        for f in 0..5 {
            let ids = fa.test_ids(f);
            let pos = ids
                .iter()
                .filter(|id| c.iter().any(|(p, y)| p == *id && *y))
                .count();
            assert!((35..=36).contains(&ids.len()), "fold {f} has {}", ids.len());
            assert!((14..=15).contains(&pos), "fold {f} has {pos} SLM");
            assert_eq!(fa.train_ids(f).len() + ids.len(), 176);
        }
    }

    #[test]
    fn same_seed_same_folds_whatever_the_input_order() {
        let c = cohort(20, 30);
        let mut rev = c.clone();
        rev.reverse();
        assert_eq!(
            stratified_folds(&c, 5, 1).unwrap(),
            stratified_folds(&rev, 5, 1).unwrap()
        );
        assert_ne!(
            stratified_folds(&c, 5, 1).unwrap(),
            stratified_folds(&c, 5, 2).unwrap()
        );
    }

    #[test]
    fn too_few_of_a_class_or_duplicates_are_errors() {
        assert!(stratified_folds(&cohort(3, 30), 5, 1).is_err());
        assert!(stratified_folds(&cohort(10, 10), 1, 1).is_err());
        let mut c = cohort(10, 10);
        c.push(("P001".into(), false));
        assert!(stratified_folds(&c, 5, 1).is_err());
    }

    #[test]
    fn save_and_load_round_trip_and_reject_bad_files() {
        let dir = tempfile::tempdir().unwrap();
        let fa = stratified_folds(&cohort(10, 10), 5, 3).unwrap();
        let p = dir.path().join("folds.json");
        fa.save(&p).unwrap();
        assert_eq!(FoldAssignment::load(&p).unwrap(), fa);
        std::fs::write(&p, r#"{"k":2,"seed":1,"folds":{"A":3}}"#).unwrap();
        assert!(FoldAssignment::load(&p).is_err());
    }
}
