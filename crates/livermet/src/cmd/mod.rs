//! One module per command (or command family). Each has `Args` (clap) and
//! `run(args) -> anyhow::Result<ExitCode>`; bad input is an `Err`, which `main` prints as one
//! line and turns into exit code 2.

use std::io::Write;
use std::path::Path;

use anyhow::Context;

pub mod bench;
pub mod demo;
pub mod image;
pub mod predict;
pub mod prepare;
pub mod progress;
pub mod stats;
pub mod study;
pub mod synth;
pub mod train;
pub mod validate;

/// An error and its causes on one line, without repeating a cause that the message already holds.
pub fn one_line(e: &anyhow::Error) -> String {
    let mut out = String::new();
    for cause in e.chain() {
        let s = cause.to_string().replace('\n', " ");
        if out.contains(&s) {
            continue;
        }
        if !out.is_empty() {
            out.push_str(": ");
        }
        out.push_str(&s);
    }
    out
}

/// Write `bytes` to `path` through a temporary file in the same folder, then rename, so a
/// failure never leaves a half-written file.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .with_context(|| format!("{}: not a file name", path.display()))?;
    let tmp = dir.join(format!(
        ".{}.tmp{}",
        name.to_string_lossy(),
        std::process::id()
    ));
    let result = std::fs::File::create(&tmp)
        .and_then(|mut f| f.write_all(bytes).and_then(|_| f.sync_all()))
        .and_then(|_| std::fs::rename(&tmp, path));
    if let Err(e) = result {
        let _ = std::fs::remove_file(&tmp);
        anyhow::bail!(
            "cannot write {}: {e}: check the folder exists and is writable",
            path.display()
        );
    }
    Ok(())
}
