//! The plan on a Slurm cluster (docs/DESIGN.md, "The plan and Slurm"): one sbatch script per
//! stage of the plan in `OUT/slurm/` (`prepare.sbatch` and `train.sbatch`, job arrays with one
//! task per step, and `report.sbatch`), each task running `livermet study STUDY.toml --out OUT
//! --unit NAME`; submission of the steps not done (training after the prepare array with
//! `--dependency=afterok`, the report after both); waiting for the report job.
//!
//! Slurm is not a scheduler livermet builds: it only hands the plan's steps to `sbatch`, and
//! every step finds what it needs on the shared file system (a step run early is refused by
//! [`crate::run_step`], a step already done exits at once).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::StudyError;
use crate::plan::Plan;
use crate::run::Study;

/// STUDY.toml's `[slurm]` section: the resources of one step. Every key is optional.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SlurmSettings {
    /// `--partition` (none: the cluster's default partition).
    pub partition: Option<String>,
    /// `--time` of every job, as sbatch takes it ("HH:MM:SS", "D-HH:MM:SS").
    pub time: String,
    /// `--cpus-per-task` of every step (also its thread count).
    pub cpus_per_unit: usize,
    /// `--mem` of every step ("16G").
    pub memory: String,
    /// GPUs of each training step (`--gres=gpu:N`; with N > 0 the networks train with
    /// `--device gpu`). Prepare and report steps get none.
    pub gpus_per_unit: usize,
    /// More `#SBATCH` lines, as given (e.g. "--account=radiology", "--qos=normal").
    pub extra: Vec<String>,
    /// The livermet binary on the cluster's nodes (none: the binary that writes the scripts,
    /// which a shared file system shows to every node). Relative to STUDY.toml.
    pub binary: Option<PathBuf>,
}

impl Default for SlurmSettings {
    fn default() -> Self {
        Self {
            partition: None,
            time: "24:00:00".into(),
            cpus_per_unit: 4,
            memory: "16G".into(),
            gpus_per_unit: 0,
            extra: Vec::new(),
            binary: None,
        }
    }
}

/// Where a study runs does not change what it computes: two studies that differ only in their
/// `[slurm]` sections are the same study (`work/settings.json` accepts both).
impl PartialEq for SlurmSettings {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

/// The scripts written into `OUT/slurm/`, by stage.
#[derive(Debug, Clone)]
pub struct Scripts {
    pub prepare: PathBuf,
    pub train: PathBuf,
    pub report: PathBuf,
}

/// The folder of a study's Slurm scripts and logs.
pub fn slurm_dir(out: &Path) -> PathBuf {
    out.join("slurm")
}

/// `s` quoted for bash (single quotes; a single quote inside as `'\''`).
fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// The path as an absolute one (the jobs do not start in the submitting folder).
fn absolute(p: &Path) -> Result<PathBuf, StudyError> {
    std::path::absolute(p).map_err(|e| StudyError::file(p, e))
}

/// The text of the sbatch script of `stage` running `steps` (one array task per step, except
/// the report), `unit_cmd` the command line without the step's name.
fn script(
    stage: &str,
    steps: &[String],
    slurm: &SlurmSettings,
    logs: &Path,
    unit_cmd: &str,
) -> String {
    let array = stage != "report";
    let mut s = format!(
        "#!/bin/bash\n# livermet study: the {stage} step{} of the plan, written by `livermet study --slurm`.\n",
        if array { "s" } else { "" }
    );
    s += if array {
        "# `--submit` passes --array with the steps not yet done (it overrides the line below);\n\
         # each task runs one step: livermet study STUDY.toml --out OUT --unit NAME.\n"
    } else {
        "# `--submit` submits it after the prepare and training arrays (afterok).\n"
    };
    s += &format!("#SBATCH --job-name=livermet-{stage}\n");
    let log = if array { "%A_%a" } else { "%j" };
    if array {
        s += &format!("#SBATCH --array=0-{}\n", steps.len().saturating_sub(1));
    }
    s += &format!(
        "#SBATCH --output={}\n",
        logs.join(format!("{stage}-{log}.out")).display()
    );
    s += &format!("#SBATCH --cpus-per-task={}\n", slurm.cpus_per_unit.max(1));
    s += &format!("#SBATCH --mem={}\n", slurm.memory);
    s += &format!("#SBATCH --time={}\n", slurm.time);
    if let Some(p) = &slurm.partition {
        s += &format!("#SBATCH --partition={p}\n");
    }
    let gpu = stage == "train" && slurm.gpus_per_unit > 0;
    if gpu {
        s += &format!("#SBATCH --gres=gpu:{}\n", slurm.gpus_per_unit);
    }
    for line in &slurm.extra {
        s += &format!("#SBATCH {line}\n");
    }
    s += "set -euo pipefail\n";
    // The CPU kernels sum in a fixed order, so the thread count changes no number (DESIGN.md,
    // "Seeds and determinism"); it only keeps a step inside its allocation.
    s += "export RAYON_NUM_THREADS=\"${SLURM_CPUS_PER_TASK:-1}\"\n";
    let device = if gpu { "gpu" } else { "cpu" };
    if array {
        let list: Vec<String> = steps.iter().map(|n| quote(n)).collect();
        s += &format!("steps=({})\n", list.join(" "));
        s += &format!(
            "exec {unit_cmd} --device {device} --unit \"${{steps[$SLURM_ARRAY_TASK_ID]}}\"\n"
        );
    } else {
        s += &format!("exec {unit_cmd} --device {device} --unit report\n");
    }
    s
}

/// Writes `OUT/slurm/{prepare,train,report}.sbatch` for `plan` (every step listed, so a task
/// ID names the same step in every submission) and `OUT/slurm/logs/`.
pub fn write_scripts(study: &Study, plan: &Plan, study_toml: &Path) -> Result<Scripts, StudyError> {
    let slurm = &study.settings.slurm;
    let binary = match &slurm.binary {
        Some(b) => b.clone(),
        None => std::env::current_exe().map_err(|e| {
            StudyError::Slurm(format!(
                "cannot find this livermet binary ({e}); set `binary` in STUDY.toml's [slurm]"
            ))
        })?,
    };
    let dir = absolute(&slurm_dir(&study.out))?;
    let logs = dir.join("logs");
    std::fs::create_dir_all(&logs).map_err(|e| StudyError::file(&logs, e))?;
    let unit_cmd = format!(
        "{} study {} --out {}",
        quote(&absolute(&binary)?.to_string_lossy()),
        quote(&absolute(study_toml)?.to_string_lossy()),
        quote(&absolute(&study.out)?.to_string_lossy()),
    );
    let mut paths = Vec::new();
    for stage in ["prepare", "train", "report"] {
        let (steps, _) = plan.stage(stage);
        let names: Vec<String> = steps.iter().map(|s| s.name.clone()).collect();
        let path = dir.join(format!("{stage}.sbatch"));
        let text = script(stage, &names, slurm, &logs, &unit_cmd);
        livermet_io::write_bytes_atomic(&path, text.as_bytes())?;
        paths.push(path);
    }
    let [prepare, train, report] = <[PathBuf; 3]>::try_from(paths).expect("three stages");
    Ok(Scripts {
        prepare,
        train,
        report,
    })
}

/// A submitted job: its ID and, for an array, the steps of its tasks.
#[derive(Debug, Clone, Serialize)]
pub struct Job {
    pub stage: &'static str,
    pub id: String,
    /// `(task ID, step name)` of every task submitted (empty for the report job).
    pub tasks: Vec<(usize, String)>,
}

impl std::fmt::Display for Job {
    /// `train: job 123 tasks 0=fold0-mri 1=fold0-combined` (`report: job 124` without tasks).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: job {}", self.stage, self.id)?;
        if !self.tasks.is_empty() {
            let tasks: Vec<String> = self.tasks.iter().map(|(i, n)| format!("{i}={n}")).collect();
            write!(f, " tasks {}", tasks.join(" "))?;
        }
        Ok(())
    }
}

/// `0-3,5,7-8`: task IDs as `--array` takes them.
fn array_spec(ids: &[usize]) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut i = 0;
    while i < ids.len() {
        let mut j = i;
        while j + 1 < ids.len() && ids[j + 1] == ids[j] + 1 {
            j += 1;
        }
        parts.push(if i == j {
            ids[i].to_string()
        } else {
            format!("{}-{}", ids[i], ids[j])
        });
        i = j + 1;
    }
    parts.join(",")
}

/// Runs `sbatch --parsable ARGS SCRIPT`, returning the job ID.
fn sbatch(args: &[String], script: &Path) -> Result<String, StudyError> {
    let out = Command::new("sbatch")
        .arg("--parsable")
        .args(args)
        .arg(script)
        .output()
        .map_err(|e| {
            StudyError::Slurm(format!(
                "cannot run sbatch ({e}); run --submit on a machine of the cluster (or submit {} yourself)",
                script.display()
            ))
        })?;
    let text = String::from_utf8_lossy(&out.stdout);
    let id = text.trim().split(';').next().unwrap_or("").to_string();
    if !out.status.success() || id.is_empty() {
        return Err(StudyError::Slurm(format!(
            "sbatch {} failed: {}",
            script.display(),
            String::from_utf8_lossy(&out.stderr).trim()
        )));
    }
    Ok(id)
}

/// Submits the steps of `plan` that are not done: the prepare array, the training array after
/// it (`afterok`), the report after both (and whenever it is not done). A dependency that fails
/// cancels the jobs waiting on it (`--kill-on-invalid-dep=yes`) rather than leaving them
/// pending forever. Returns the jobs submitted (none when everything is done).
pub fn submit(scripts: &Scripts, plan: &Plan) -> Result<Vec<Job>, StudyError> {
    let mut jobs: Vec<Job> = Vec::new();
    let after = |jobs: &[Job]| -> Vec<String> {
        let mut args = vec!["--kill-on-invalid-dep=yes".to_string()];
        if !jobs.is_empty() {
            let ids: Vec<&str> = jobs.iter().map(|j| j.id.as_str()).collect();
            args.push(format!("--dependency=afterok:{}", ids.join(":")));
        }
        args
    };
    for (stage, path) in [("prepare", &scripts.prepare), ("train", &scripts.train)] {
        let (steps, todo) = plan.stage(stage);
        if todo.is_empty() {
            continue;
        }
        let mut args = after(&jobs);
        args.push(format!("--array={}", array_spec(&todo)));
        let id = sbatch(&args, path)?;
        let tasks = todo.iter().map(|&i| (i, steps[i].name.clone())).collect();
        jobs.push(Job { stage, id, tasks });
    }
    let (_, report_todo) = plan.stage("report");
    if !jobs.is_empty() || !report_todo.is_empty() {
        let id = sbatch(&after(&jobs), &scripts.report)?;
        jobs.push(Job {
            stage: "report",
            id,
            tasks: Vec::new(),
        });
    }
    Ok(jobs)
}

/// A job's state as Slurm reports it (`COMPLETED`, `FAILED`, `CANCELLED`, ...) and its exit
/// code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobState {
    pub state: String,
    pub exit_code: i32,
}

impl JobState {
    /// Whether the job completed with exit code 0.
    pub fn succeeded(&self) -> bool {
        self.state == "COMPLETED" && self.exit_code == 0
    }

    /// The exit status a process waiting on the job ends with: the job's exit code when it is
    /// one in 1..=255, else 1 (a failed job always fails the waiter).
    pub fn waiter_status(&self) -> u8 {
        u8::try_from(self.exit_code)
            .ok()
            .filter(|&c| c > 0)
            .unwrap_or(1)
    }

    /// Whether the job has ended.
    pub fn ended(&self) -> bool {
        !matches!(
            self.state.as_str(),
            "PENDING"
                | "RUNNING"
                | "CONFIGURING"
                | "COMPLETING"
                | "SUSPENDED"
                | "REQUEUED"
                | "RESIZING"
                | "STAGE_OUT"
                | "SIGNALING"
                | "REQUEUE_HOLD"
                | "REQUEUE_FED"
        )
    }
}

/// The value of `key=` in one line of `scontrol show job -o`.
fn field<'a>(line: &'a str, key: &str) -> Option<&'a str> {
    line.split_whitespace()
        .find_map(|w| w.strip_prefix(key)?.strip_prefix('='))
}

/// `scontrol show job -o ID`: one line per job (per task of an array), or `None` when the
/// controller no longer knows the job.
fn scontrol_lines(id: &str) -> Result<Option<Vec<String>>, StudyError> {
    let out = Command::new("scontrol")
        .args(["show", "job", "-o", id])
        .output()
        .map_err(|e| StudyError::Slurm(format!("cannot run scontrol ({e})")))?;
    if !out.status.success() {
        return Ok(None);
    }
    let text = String::from_utf8_lossy(&out.stdout);
    Ok(Some(text.lines().map(str::to_string).collect()))
}

/// The state of job `id`: from the controller while it knows the job, else from the
/// accounting database (`sacct`).
pub fn job_state(id: &str) -> Result<JobState, StudyError> {
    let parse = |state: &str, code: &str| JobState {
        state: state.split_whitespace().next().unwrap_or("").to_string(),
        exit_code: code
            .split(':')
            .next()
            .and_then(|c| c.parse().ok())
            .unwrap_or(-1),
    };
    if let Some(lines) = scontrol_lines(id)?
        && let Some(line) = lines.first()
        && let (Some(s), Some(c)) = (field(line, "JobState"), field(line, "ExitCode"))
    {
        return Ok(parse(s, c));
    }
    let out = Command::new("sacct")
        .args(["-j", id, "-X", "-n", "-P", "-o", "State,ExitCode"])
        .output()
        .map_err(|e| StudyError::Slurm(format!("cannot run sacct ({e})")))?;
    let text = String::from_utf8_lossy(&out.stdout);
    match text.lines().next().and_then(|l| l.split_once('|')) {
        Some((s, c)) if out.status.success() => Ok(parse(s, c)),
        _ => Err(StudyError::Slurm(format!(
            "neither scontrol nor sacct knows job {id}"
        ))),
    }
}

/// Waits until job `id` has ended (polling every `poll`), then returns its state.
pub fn wait(id: &str, poll: Duration) -> Result<JobState, StudyError> {
    loop {
        let s = job_state(id)?;
        if s.ended() {
            return Ok(s);
        }
        std::thread::sleep(poll);
    }
}

/// How a submission ended (`--wait`): its report job (submitted last, after every other),
/// that job's state, and when it did not succeed every task of the submission that did not
/// complete, as `(step, state)`.
#[derive(Debug, Clone)]
pub struct Ended<'a> {
    pub report: &'a Job,
    pub state: JobState,
    pub failed: Vec<(String, String)>,
}

/// Waits (polling every `poll`) for the report job of the submission `jobs` ([`submit`]'s,
/// not empty) to end.
pub fn wait_for_report(jobs: &[Job], poll: Duration) -> Result<Ended<'_>, StudyError> {
    let report = jobs
        .last()
        .ok_or_else(|| StudyError::Slurm("no job was submitted".into()))?;
    let state = wait(&report.id, poll)?;
    let mut failed = Vec::new();
    if !state.succeeded() {
        for j in jobs {
            failed.extend(failed_tasks(j)?);
        }
    }
    Ok(Ended {
        report,
        state,
        failed,
    })
}

/// The tasks of `job` that did not complete, as `(step, state)`, while the controller knows
/// the job (after a failed `--wait`: which steps to look at in `OUT/slurm/logs/`).
pub fn failed_tasks(job: &Job) -> Result<Vec<(String, String)>, StudyError> {
    let Some(lines) = scontrol_lines(&job.id)? else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    for line in &lines {
        let state = field(line, "JobState").unwrap_or("").to_string();
        if state == "COMPLETED" {
            continue;
        }
        let task = field(line, "ArrayTaskId").and_then(|t| t.parse::<usize>().ok());
        let step = match task {
            Some(t) => job
                .tasks
                .iter()
                .find(|(i, _)| *i == t)
                .map_or(t.to_string(), |(_, n)| n.clone()),
            None if job.tasks.is_empty() => job.stage.to_string(),
            None => format!("tasks {}", field(line, "ArrayTaskId").unwrap_or("?")),
        };
        out.push((step, state));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jobs_print_their_tasks_and_a_failed_job_fails_its_waiter() {
        let job = |tasks| Job {
            stage: "train",
            id: "12".into(),
            tasks,
        };
        let tasks = vec![(0, "fold0-mri".to_string()), (3, "final-cf".to_string())];
        assert_eq!(
            job(tasks).to_string(),
            "train: job 12 tasks 0=fold0-mri 3=final-cf"
        );
        assert_eq!(job(Vec::new()).to_string(), "train: job 12");
        let state = |s: &str, exit_code| JobState {
            state: s.into(),
            exit_code,
        };
        assert!(state("COMPLETED", 0).succeeded());
        assert!(!state("COMPLETED", 3).succeeded() && !state("FAILED", 0).succeeded());
        let codes = [(3, 3), (0, 1), (-1, 1), (300, 1)];
        for (code, status) in codes {
            assert_eq!(state("FAILED", code).waiter_status(), status, "{code}");
        }
    }

    #[test]
    fn scripts_carry_the_resources_and_one_step_per_task() {
        let slurm = SlurmSettings {
            partition: Some("gpu".into()),
            gpus_per_unit: 1,
            extra: vec!["--account=rad".into()],
            ..Default::default()
        };
        let steps = vec!["fold0-cf".to_string(), "fold0-mri".to_string()];
        let text = script(
            "train",
            &steps,
            &slurm,
            Path::new("/o/slurm/logs"),
            "'/b/livermet' study 'S.toml' --out '/o'",
        );
        for line in [
            "#SBATCH --array=0-1",
            "#SBATCH --output=/o/slurm/logs/train-%A_%a.out",
            "#SBATCH --cpus-per-task=4",
            "#SBATCH --mem=16G",
            "#SBATCH --time=24:00:00",
            "#SBATCH --partition=gpu",
            "#SBATCH --gres=gpu:1",
            "#SBATCH --account=rad",
            "steps=('fold0-cf' 'fold0-mri')",
            "exec '/b/livermet' study 'S.toml' --out '/o' --device gpu --unit \"${steps[$SLURM_ARRAY_TASK_ID]}\"",
        ] {
            assert!(text.lines().any(|l| l == line), "{line} not in\n{text}");
        }
        let report = script("report", &[], &slurm, Path::new("/o/l"), "x");
        assert!(
            !report.contains("--array") && !report.contains("--gres"),
            "{report}"
        );
        assert!(report.contains("--device cpu --unit report"), "{report}");
        assert_eq!(array_spec(&[0, 1, 2, 5, 7, 8]), "0-2,5,7-8");
        assert_eq!(quote("it's"), r"'it'\''s'");
        let line = "JobId=4 ArrayJobId=1 ArrayTaskId=1 JobState=FAILED Reason=NonZeroExitCode ExitCode=2:0";
        assert_eq!(field(line, "JobState"), Some("FAILED"));
        assert_eq!(field(line, "ExitCode"), Some("2:0"));
        assert_eq!(field(line, "JobId"), Some("4"));
    }
}
