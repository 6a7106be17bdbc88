//! The plan of a study: its steps in the order a local run executes them, each with the steps
//! it needs (docs/DESIGN.md, "The plan and Slurm"). The one list of what a study does:
//! [`crate::run_study`] walks it in one process, `livermet study --unit NAME` runs one step of
//! it, and `--slurm` hands its steps to Slurm as job arrays, so the three cannot drift apart.
//!
//! Steps: `prepare-<i>of<n>` (shard i of n of the patients of both cohorts, dealt round-robin
//! over the primary then the external cohort), every unit of [`crate::unit`] (`fold<K>-<model>`
//! for every fold and model, then `final-<model>`), and `report` (evaluation, report, bundle).

use std::path::Path;
use std::time::SystemTime;

use serde::Serialize;

use crate::StudyError;
use crate::run::{Study, work_dir};
use crate::settings::StudySettings;
use crate::unit::{UNIT_SCORES, UnitId};

/// One shard of the patients to prepare: patient j of the primary-then-external list belongs
/// to shard `j % of`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    pub index: usize,
    pub of: usize,
}

impl Shard {
    /// Whether position `j` of the primary-then-external patient list is in this shard.
    pub fn holds(self, j: usize) -> bool {
        j % self.of == self.index
    }
}

/// One step of a study.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Prepare the patients of one shard.
    Prepare(Shard),
    /// Fit one unit (a model in a fold, or a final model).
    Train(UnitId),
    /// Evaluate the study and write its report and model bundle.
    Report,
}

/// The files that mark the report as written: `results.json` (livermet-report writes it
/// first) and the bundle's `model/card.json` (the bundle folder is swapped in last).
pub const REPORT_FILES: [&str; 2] = ["results.json", "model/card.json"];

impl Step {
    /// The step's name, as `--unit` takes it.
    pub fn name(self) -> String {
        match self {
            Step::Prepare(s) => format!("prepare-{}of{}", s.index, s.of),
            Step::Train(id) => id.name(),
            Step::Report => "report".into(),
        }
    }

    /// `prepare`, `train` or `report`: the job array a step belongs to.
    pub fn stage(self) -> &'static str {
        match self {
            Step::Prepare(_) => "prepare",
            Step::Train(_) => "train",
            Step::Report => "report",
        }
    }

    /// Parses a name as [`Step::name`] writes it.
    pub fn parse(name: &str) -> Result<Self, StudyError> {
        if name == "report" {
            return Ok(Step::Report);
        }
        if let Some(rest) = name.strip_prefix("prepare-") {
            let shard = rest.split_once("of").and_then(|(i, n)| {
                let (index, of) = (i.parse().ok()?, n.parse().ok()?);
                (index < of).then_some(Shard { index, of })
            });
            return shard.map(Step::Prepare).ok_or_else(|| {
                StudyError::Mismatch(format!(
                    "`{name}` is not a prepare step; they are named prepare-<i>of<n> with i < n \
                     (e.g. prepare-0of4); `livermet study STUDY.toml --out OUT --plan` lists them"
                ))
            });
        }
        UnitId::parse(name).map(Step::Train).map_err(|_| {
            StudyError::Mismatch(format!(
                "`{name}` is not a step of a study: give prepare-<i>of<n>, fold<K>-<model>, \
                 final-<model> or report (model cf, mri or combined); \
                 `livermet study STUDY.toml --out OUT --plan` lists them"
            ))
        })
    }

    /// The steps this one needs done first. A network needs every patient prepared (its
    /// training patients and those it scores are spread over all shards); the CF model needs
    /// only the clinical values; the report needs everything.
    pub fn needs(self, settings: &StudySettings, shards: usize) -> Vec<Step> {
        let prepare = (0..shards).map(|index| Step::Prepare(Shard { index, of: shards }));
        match self {
            Step::Prepare(_) => Vec::new(),
            Step::Train(id) if id.model().is_network() => prepare.collect(),
            Step::Train(_) => Vec::new(),
            Step::Report => prepare
                .chain(units(settings).into_iter().map(Step::Train))
                .collect(),
        }
    }
}

/// Every unit of a study in the order the local run fits them: each fold's models, then the
/// final models.
pub fn units(settings: &StudySettings) -> Vec<UnitId> {
    let folds = (0..settings.folds).flat_map(|fold| {
        settings
            .models
            .iter()
            .map(move |&m| UnitId::Fold { fold, model: m })
    });
    folds
        .chain(settings.models.iter().map(|&m| UnitId::Final(m)))
        .collect()
}

/// Every step of a study with its patients dealt into `shards` shards, in execution order.
pub fn steps(settings: &StudySettings, shards: usize) -> Vec<Step> {
    (0..shards)
        .map(|index| Step::Prepare(Shard { index, of: shards }))
        .chain(units(settings).into_iter().map(Step::Train))
        .chain(std::iter::once(Step::Report))
        .collect()
}

/// One step of a plan, as `--plan` prints it.
#[derive(Debug, Clone, Serialize)]
pub struct PlannedStep {
    pub name: String,
    /// `prepare`, `train` or `report`.
    pub stage: &'static str,
    /// Names of the steps it needs done first.
    pub needs: Vec<String>,
    /// Patients it prepares (prepare steps only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub patients: Option<usize>,
    /// Whether its result is already there.
    pub done: bool,
}

/// The plan of one study folder.
#[derive(Debug, Clone, Serialize)]
pub struct Plan {
    pub shards: usize,
    pub steps: Vec<PlannedStep>,
}

impl Plan {
    /// The plan of `study` with `shards` prepare shards, each step marked done or not.
    pub fn of(study: &Study, shards: usize) -> Result<Plan, StudyError> {
        if shards == 0 {
            return Err(StudyError::Mismatch(
                "--shards 0: give at least 1 shard".into(),
            ));
        }
        let mut out = Vec::new();
        for step in steps(&study.settings, shards) {
            out.push(PlannedStep {
                name: step.name(),
                stage: step.stage(),
                needs: step
                    .needs(&study.settings, shards)
                    .into_iter()
                    .map(Step::name)
                    .collect(),
                patients: match step {
                    Step::Prepare(s) => Some(study.shard_patients(Some(s)).count()),
                    _ => None,
                },
                done: is_done(study, step)?,
            });
        }
        Ok(Plan { shards, steps: out })
    }

    /// The plan as `--plan` prints it: one line per step (name, stage, done or todo, what it
    /// needs, the patients of a prepare shard).
    pub fn text(&self) -> String {
        let done = self.steps.iter().filter(|s| s.done).count();
        let mut out = format!(
            "{} steps ({} prepare shards), {done} done:\n",
            self.steps.len(),
            self.shards
        );
        for s in &self.steps {
            let needs = match s.needs.len() {
                0 => "-".to_string(),
                n if n > 4 => format!("{n} steps (every prepare and training step)"),
                _ => s.needs.join(", "),
            };
            let patients = s
                .patients
                .map(|n| format!(" ({n} patients)"))
                .unwrap_or_default();
            let state = if s.done { "done" } else { "todo" };
            out += &format!(
                "  {:<16} {:<8} {state}  needs: {needs}{patients}\n",
                s.name, s.stage
            );
        }
        out
    }

    /// The steps of `stage` in plan order, and the positions of those not done in that list
    /// (the array task IDs to submit).
    pub fn stage(&self, stage: &str) -> (Vec<&PlannedStep>, Vec<usize>) {
        let list: Vec<&PlannedStep> = self.steps.iter().filter(|s| s.stage == stage).collect();
        let todo = list
            .iter()
            .enumerate()
            .filter(|(_, s)| !s.done)
            .map(|(i, _)| i)
            .collect();
        (list, todo)
    }
}

/// Whether `step`'s result is there: every patient of the shard prepared with the study's
/// settings and unchanged inputs; the unit's `scores.json`; the report's files, written after
/// the newest `scores.json`.
pub fn is_done(study: &Study, step: Step) -> Result<bool, StudyError> {
    Ok(match step {
        Step::Prepare(s) => study.first_unprepared(Some(s))?.is_none(),
        Step::Train(id) => work_dir(&study.out)
            .join(id.name())
            .join(UNIT_SCORES)
            .exists(),
        Step::Report => {
            let written: Option<Vec<SystemTime>> = REPORT_FILES
                .iter()
                .map(|f| modified(&study.out.join(f)))
                .collect();
            let units: Option<Vec<SystemTime>> = units(&study.settings)
                .into_iter()
                .map(|id| modified(&work_dir(&study.out).join(id.name()).join(UNIT_SCORES)))
                .collect();
            match (written, units) {
                (Some(w), Some(u)) => w.iter().min() >= u.iter().max(),
                _ => false,
            }
        }
    })
}

/// A file's modification time; `None` when it does not exist.
fn modified(path: &Path) -> Option<SystemTime> {
    std::fs::metadata(path).and_then(|m| m.modified()).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn step_names_round_trip_and_bad_names_say_what_is_valid() {
        for step in [
            Step::Prepare(Shard { index: 2, of: 4 }),
            Step::Train(UnitId::Final(crate::ModelName::MRI)),
            Step::Report,
        ] {
            assert_eq!(Step::parse(&step.name()).unwrap(), step);
        }
        for bad in ["prepare-4of4", "prepare-x", "fold0", "reports"] {
            let e = Step::parse(bad).unwrap_err().to_string();
            assert!(e.contains("--plan") && e.contains(bad), "{e}");
        }
        let shards: Vec<usize> = (0..7)
            .filter(|&j| Shard { index: 1, of: 3 }.holds(j))
            .collect();
        assert_eq!(shards, vec![1, 4]);
    }
}
