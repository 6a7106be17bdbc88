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
