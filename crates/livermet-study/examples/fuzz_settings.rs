//! Structure-aware fuzzing of `STUDY.toml` (`StudySettings::load`) on the stable toolchain:
//! documents are generated from the settings' schema (every key, right and wrong types, edge
//! values, table / dotted / inline-table spellings, unknown keys), and half of them are then
//! mutated byte by byte to reach the TOML parser's error paths. Each document is loaded in a
//! `catch_unwind`; a panic is a crash, a load taking over a second is a hang, and a document
//! that loads must give settings every stage accepts (network, training and preprocessing
//! checks pass). Crashing inputs are saved for replay as regression tests.
//!
//! AFL++ (bench/fuzz.sh) covers the binary readers; this loop covers the settings parser,
//! whose crate pulls in burn and so is too slow to build instrumented.
//!
//! cargo run -p livermet-study --example fuzz_settings -- MINUTES SEED CRASH_DIR

use std::path::Path;
use std::time::{Duration, Instant};

use livermet_model::ModelName;
use livermet_study::StudySettings;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// A key of the schema and the kind of value it takes.
#[derive(Clone, Copy)]
enum Kind {
    Int,
    Float,
    Bool,
    Str(&'static [&'static str]),
    IntArray,
    FloatArray,
    StrArray(&'static [&'static str]),
}

const MODELS: &[&str] = &["CF", "MRI", "Combined", "cf", "", "ResNet"];
const PROTOCOLS: &[&str] = &["quick", "paper", "Quick", "fast", ""];
const INITS: &[&str] = &["Geometry", "Moments", "Header", "geometry", "none"];
const PATHS: &[&str] = &["p.csv", "e.csv", "missing.csv", "", ".", "sub/../p.csv"];

const TOP: &[(&str, Kind)] = &[
    ("primary", Kind::Str(PATHS)),
    ("external", Kind::Str(PATHS)),
    ("protocol", Kind::Str(PROTOCOLS)),
    ("folds", Kind::Int),
    ("seed", Kind::Int),
    ("models", Kind::StrArray(MODELS)),
];
const TRAINING: &[(&str, Kind)] = &[
    ("lr0", Kind::Float),
    ("l1", Kind::Float),
    ("l2", Kind::Float),
    ("batch_size", Kind::Int),
    ("epochs", Kind::Int),
    ("copies_per_slice", Kind::Int),
];
const NETWORK: &[(&str, Kind)] = &[
    ("widths", Kind::IntArray),
    ("clinical_units", Kind::Int),
    ("dropout", Kind::Float),
    ("patch_size", Kind::Int),
];
const PREPARE: &[(&str, Kind)] = &[
    ("format", Kind::Int),
    ("shell_tolerance", Kind::Float),
    ("geometric_mean", Kind::Bool),
    ("max_slices", Kind::Int),
    ("patch_size", Kind::Int),
];
const REGISTRATION: &[(&str, Kind)] = &[
    ("bins", Kind::Int),
    ("samples", Kind::Int),
    ("coarse_samples", Kind::Int),
    ("seed", Kind::Int),
    ("initialisation", Kind::Str(INITS)),
    ("shrink_factors", Kind::IntArray),
    ("smoothing_sigmas", Kind::FloatArray),
    ("initial_step_voxels", Kind::Float),
    ("min_step_voxels", Kind::Float),
    ("coarse_min_step_voxels", Kind::Float),
    ("relaxation", Kind::Float),
    ("max_iterations", Kind::Int),
    ("min_overlap", Kind::Float),
    ("fov_margin_mm", Kind::Float),
    ("restarts", Kind::Int),
    ("first_restart_level", Kind::Int),
];

fn int(rng: &mut ChaCha8Rng) -> String {
    const EDGE: &[&str] = &[
        "0",
        "1",
        "2",
        "3",
        "5",
        "-1",
        "8",
        "32",
        "112",
        "4096",
        "2147483647",
        "9223372036854775807",
        "-9223372036854775808",
        "0x10",
        "1_000",
    ];
    if rng.random_bool(0.7) {
        EDGE[rng.random_range(0..EDGE.len())].into()
    } else {
        rng.random_range(-1000i64..100_000).to_string()
    }
}

fn float(rng: &mut ChaCha8Rng) -> String {
    const EDGE: &[&str] = &[
        "0.0", "-0.0", "nan", "inf", "-inf", "1e-300", "1e300", "0.5", "0.999", "1.0", "1.5",
        "-1.0", "5e-6", "1e-3", "2.0", "0.01",
    ];
    if rng.random_bool(0.7) {
        EDGE[rng.random_range(0..EDGE.len())].into()
    } else {
        format!("{:e}", rng.random_range(-10.0f64..10.0))
    }
}

fn string(rng: &mut ChaCha8Rng, choices: &[&str]) -> String {
    let s = choices[rng.random_range(0..choices.len())];
    format!("{s:?}")
}

fn value(rng: &mut ChaCha8Rng, kind: Kind) -> String {
    // One value in ten has the wrong type.
    if rng.random_bool(0.1) {
        let wrong = [
            Kind::Int,
            Kind::Float,
            Kind::Bool,
            Kind::Str(PATHS),
            Kind::IntArray,
        ];
        let pick = wrong[rng.random_range(0..wrong.len())];
        return value(rng, pick);
    }
    let array = |rng: &mut ChaCha8Rng, f: &dyn Fn(&mut ChaCha8Rng) -> String| {
        let n = if rng.random_bool(0.6) {
            6
        } else {
            rng.random_range(0..9)
        };
        let items: Vec<String> = (0..n).map(|_| f(rng)).collect();
        format!("[{}]", items.join(", "))
    };
    match kind {
        Kind::Int => int(rng),
        Kind::Float => float(rng),
        Kind::Bool => ["true", "false"][rng.random_range(0..2)].into(),
        Kind::Str(c) => string(rng, c),
        Kind::IntArray => array(rng, &|r| {
            if r.random_bool(0.8) {
                r.random_range(0..40).to_string()
            } else {
                int(r)
            }
        }),
        Kind::FloatArray => array(rng, &float),
        Kind::StrArray(c) => array(rng, &|r| string(r, c)),
    }
}

/// Some keys of `schema`, with values, plus now and then an unknown one.
fn pairs(rng: &mut ChaCha8Rng, schema: &[(&str, Kind)]) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for (k, kind) in schema {
        if rng.random_bool(0.35) {
            out.push((k.to_string(), value(rng, *kind)));
        }
    }
    if rng.random_bool(0.05) {
        out.push(("epoch".into(), int(rng)));
    }
    out
}

/// A whole document; each table is written as a `[table]`, as dotted keys or inline.
fn document(rng: &mut ChaCha8Rng) -> String {
    let mut doc = String::new();
    let mut top = pairs(rng, TOP);
    if rng.random_bool(0.9) && !top.iter().any(|(k, _)| k == "primary") {
        top.insert(0, ("primary".into(), "\"p.csv\"".into()));
    }
    for (k, v) in &top {
        doc += &format!("{k} = {v}\n");
    }
    let tables = [
        ("training", TRAINING),
        ("network", NETWORK),
        ("prepare", PREPARE),
        ("prepare.registration", REGISTRATION),
    ];
    for (name, schema) in tables {
        let kv = pairs(rng, schema);
        if kv.is_empty() {
            continue;
        }
        match rng.random_range(0..3) {
            0 => {
                doc += &format!("[{name}]\n");
                for (k, v) in &kv {
                    doc += &format!("{k} = {v}\n");
                }
            }
            1 => {
                for (k, v) in &kv {
                    doc = format!("{name}.{k} = {v}\n") + &doc;
                }
            }
            _ => {
                let inner: Vec<String> = kv.iter().map(|(k, v)| format!("{k} = {v}")).collect();
                doc = format!("{name} = {{ {} }}\n", inner.join(", ")) + &doc;
            }
        }
    }
    doc
}

/// Byte-level mutations: flips, inserts of TOML punctuation, deletions, duplicated chunks.
fn mutate(rng: &mut ChaCha8Rng, doc: String) -> Vec<u8> {
    let mut b = doc.into_bytes();
    for _ in 0..rng.random_range(1..6) {
        let at = rng.random_range(0..=b.len());
        match rng.random_range(0..5) {
            0 if !b.is_empty() => {
                let i = at.min(b.len() - 1);
                b[i] ^= 1 << rng.random_range(0..8);
            }
            1 => {
                const PUNCT: &[u8] = b"[]{}=\".,'#\n\\ \x00\xff-+e_";
                b.insert(at, PUNCT[rng.random_range(0..PUNCT.len())]);
            }
            2 if !b.is_empty() => {
                let n = rng.random_range(1..8).min(b.len() - at.min(b.len() - 1));
                let i = at.min(b.len() - 1);
                b.drain(i..(i + n).min(b.len()));
            }
            _ if !b.is_empty() => {
                let i = at.min(b.len() - 1);
                let j = (i + rng.random_range(1..32)).min(b.len());
                let chunk = b[i..j].to_vec();
                let k = rng.random_range(0..=b.len());
                b.splice(k..k, chunk);
            }
            _ => {}
        }
    }
    b
}

/// Loads one document: whether it was accepted, or `Err` describing a finding (a panic, a
/// multi-line message, or accepted settings that a stage refuses).
fn check(dir: &Path, bytes: &[u8]) -> Result<bool, String> {
    let path = dir.join("study.toml");
    std::fs::write(&path, bytes).expect("write the document");
    let loaded = std::panic::catch_unwind(|| StudySettings::load(&path))
        .map_err(|_| "StudySettings::load panicked".to_string())?;
    let Ok(s) = loaded else {
        let e = loaded.unwrap_err().to_string();
        if e.contains('\n') {
            return Err(format!("error message of more than one line: {e}"));
        }
        return Ok(false);
    };
    for model in [ModelName::MRI, ModelName::Combined] {
        s.net(model, s.combined_inputs(5))
            .check()
            .map_err(|e| format!("accepted settings give an unusable network: {e}"))?;
    }
    if let Some((k, why)) = s.train().problem() {
        return Err(format!(
            "accepted settings give unusable training: {k} {why}"
        ));
    }
    if let Some((k, why)) = s.prepare_settings().problem() {
        return Err(format!(
            "accepted settings give unusable preprocessing: {k} {why}"
        ));
    }
    Ok(true)
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let minutes: f64 = args.first().map_or(1.0, |a| a.parse().expect("MINUTES"));
    let seed: u64 = args.get(1).map_or(1, |a| a.parse().expect("SEED"));
    let crash_dir = args.get(2).map_or_else(
        || Path::new("fuzz/crashes/study_toml").to_path_buf(),
        Into::into,
    );
    // Panics are findings, counted below: keep their default messages off the terminal.
    std::panic::set_hook(Box::new(|_| {}));
    let dir = tempfile::tempdir().expect("scratch folder");
    std::fs::write(dir.path().join("p.csv"), "x\n").expect("p.csv");
    std::fs::write(dir.path().join("e.csv"), "x\n").expect("e.csv");
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let (start, budget) = (Instant::now(), Duration::from_secs_f64(minutes * 60.0));
    let (mut execs, mut accepted, mut crashes, mut hangs) = (0u64, 0u64, 0u64, 0u64);
    while start.elapsed() < budget {
        let doc = document(&mut rng);
        let bytes = if rng.random_bool(0.5) {
            mutate(&mut rng, doc)
        } else {
            doc.into_bytes()
        };
        let t = Instant::now();
        let result = check(dir.path(), &bytes);
        let slow = t.elapsed() > Duration::from_secs(1);
        execs += 1;
        accepted += u64::from(result == Ok(true));
        if let Err(why) = &result {
            crashes += 1;
            eprintln!("finding: {why}");
        }
        hangs += u64::from(slow);
        if result.is_err() || slow {
            std::fs::create_dir_all(&crash_dir).expect("crash folder");
            std::fs::write(crash_dir.join(format!("case-{execs}.toml")), &bytes)
                .expect("save the finding");
        }
    }
    println!(
        "study_toml: {execs} executions in {:.1} minutes ({accepted} accepted), {crashes} crashes, {hangs} hangs",
        start.elapsed().as_secs_f64() / 60.0
    );
    if crashes + hangs > 0 {
        std::process::exit(1);
    }
}
