//! The study as Slurm job arrays on a real one-node cluster (`scripts/slurm-local.sh`): the
//! tiny study of `study.rs` run locally in one process and through `--slurm --submit --wait`
//! (2 prepare shards, 12 training units, the report) gives the same `results.json`, number for
//! number; `--plan --json` lists the steps and what is done; a step run before what it needs is
//! one line and exit 2; a resubmission of a finished study submits nothing. Skipped, with the
//! reason printed, only where Slurm cannot be installed (not root, no apt-get).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::common::{livermet, run_in, stderr, stdout};
use crate::study::{cohort, json};

/// A cluster started by `scripts/slurm-local.sh start DIR`; dropping it stops every daemon it
/// started (also when the test fails).
struct Cluster {
    dir: PathBuf,
}

fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/slurm-local.sh")
}

impl Cluster {
    /// `Err(reason)` where Slurm cannot be installed here.
    fn start(dir: PathBuf) -> Result<Self, String> {
        let o = Command::new("bash")
            .arg(script())
            .arg("start")
            .arg(&dir)
            .output()
            .expect("run slurm-local.sh");
        match o.status.code() {
            Some(0) => Ok(Cluster { dir }),
            Some(3) => Err(stderr(&o)),
            _ => {
                // Whatever started is stopped before the test fails.
                drop(Cluster { dir });
                panic!("slurm-local.sh start failed:\n{}{}", stdout(&o), stderr(&o))
            }
        }
    }

    fn conf(&self) -> PathBuf {
        self.dir.join("slurm.conf")
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = Command::new("bash")
            .arg(script())
            .arg("stop")
            .arg(&self.dir)
            .output();
    }
}

/// `livermet study study.toml --out OUT ARGS...` in `d` against the cluster.
fn study(d: &Path, cluster: &Cluster, out: &str, args: &[&str]) -> Output {
    livermet()
        .current_dir(d)
        .env("SLURM_CONF", cluster.conf())
        .args(["study", "study.toml", "--out", out])
        .args(args)
        .output()
        .expect("spawn livermet")
}

#[test]
fn a_slurm_run_equals_the_local_run() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let toml = cohort(d);
    let mut text = std::fs::read_to_string(&toml).unwrap();
    text += "[slurm]\ntime = \"00:10:00\"\ncpus_per_unit = 1\nmemory = \"1G\"\n";
    std::fs::write(&toml, text).unwrap();

    let cluster = match Cluster::start(d.join("cluster")) {
        Ok(c) => c,
        Err(reason) => {
            println!("skipped: Slurm cannot be installed here: {}", reason.trim());
            return;
        }
    };

    // The plan before anything ran: 2 shards, 3 folds x 3 models + 3 final units, the report.
    let o = study(d, &cluster, "slurm", &["--plan", "--json", "--shards", "2"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let plan: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let steps = plan["steps"].as_array().unwrap();
    let names: Vec<&str> = steps.iter().map(|s| s["name"].as_str().unwrap()).collect();
    assert_eq!(names.len(), 2 + 12 + 1, "{names:?}");
    assert_eq!(&names[..3], ["prepare-0of2", "prepare-1of2", "fold0-cf"]);
    assert_eq!(names[14], "report");
    assert!(steps.iter().all(|s| s["done"] == false));
    let patients: u64 = steps[..2]
        .iter()
        .map(|s| s["patients"].as_u64().unwrap())
        .sum();
    assert_eq!(patients, 18);
    assert_eq!(
        steps[3]["needs"],
        serde_json::json!(["prepare-0of2", "prepare-1of2"])
    );
    assert_eq!(steps[2]["needs"], serde_json::json!([]));

    // A network unit before its patients are prepared: one line, exit 2.
    let o = study(d, &cluster, "slurm", &["--unit", "fold0-mri"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let e = stderr(&o);
    assert!(e.contains("not prepared") && e.lines().count() == 1, "{e}");

    let o = study(
        d,
        &cluster,
        "slurm",
        &["--slurm", "--shards", "2", "--submit", "--wait"],
    );
    let log = |o: &Output| format!("{}{}", stdout(o), stderr(o));
    assert!(o.status.success(), "{}", log(&o));
    let text = stdout(&o);
    assert!(
        text.contains("prepare: job")
            && text.contains("train: job")
            && text.contains("report: job"),
        "{text}"
    );
    let script = std::fs::read_to_string(d.join("slurm/slurm/train.sbatch")).unwrap();
    assert!(script.contains("#SBATCH --array=0-11") && script.contains("--cpus-per-task=1"));

    // The same study in one process, then number for number the same results.
    let o = run_in(d, &["study", "study.toml", "--out", "local"]);
    assert!(o.status.success(), "{}", stderr(&o));
    // Apart from the provenance (when, on how many threads, which stages this process ran),
    // which only the inputs' manifest must share.
    let (mut a, mut b) = (
        json(&d.join("slurm/results.json")),
        json(&d.join("local/results.json")),
    );
    let (pa, pb) = (a["provenance"].take(), b["provenance"].take());
    assert_eq!(a, b);
    assert_eq!(pa["manifest_sha256"], pb["manifest_sha256"]);
    assert_eq!(
        std::fs::read(d.join("slurm/manifest.json")).unwrap(),
        std::fs::read(d.join("local/manifest.json")).unwrap()
    );
    assert_ne!(
        pa["stages"], pb["stages"],
        "the report job ran the report stage only"
    );
    for csv in [
        "scores_primary_cv.csv",
        "scores_external.csv",
        "performance.csv",
    ] {
        assert_eq!(
            std::fs::read(d.join("slurm").join(csv)).unwrap(),
            std::fs::read(d.join("local").join(csv)).unwrap(),
            "{csv}"
        );
    }

    // Everything is done: the plan says so and a resubmission submits nothing.
    let o = study(d, &cluster, "slurm", &["--plan", "--json", "--shards", "2"]);
    let plan: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert!(
        plan["steps"]
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["done"] == true)
    );
    let o = study(
        d,
        &cluster,
        "slurm",
        &["--slurm", "--shards", "2", "--submit", "--wait"],
    );
    assert!(o.status.success(), "{}", log(&o));
    assert!(stdout(&o).contains("nothing to submit"), "{}", log(&o));
    let o = study(d, &cluster, "slurm", &["--unit", "fold2-combined"]);
    assert!(
        o.status.success() && stdout(&o).contains("already done"),
        "{}",
        log(&o)
    );
    drop(cluster);
}
