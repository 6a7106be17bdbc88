//! One module per command (or command family). Each has `Args` (clap) and
//! `run(args) -> anyhow::Result<ExitCode>`; bad input is an `Err`, which `main` prints as one
//! line and turns into exit code 2.

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

/// `--widths`: 6 widths as given, or 3 widths each used for two blocks.
pub fn expand_widths(w: &[usize]) -> anyhow::Result<Vec<usize>> {
    match w.len() {
        6 => Ok(w.to_vec()),
        3 => Ok(w.iter().flat_map(|&x| [x, x]).collect()),
        n => anyhow::bail!("--widths takes 3 or 6 values, got {n}"),
    }
}
