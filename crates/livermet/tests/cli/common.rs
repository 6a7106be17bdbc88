//! Helpers for running the built `livermet` binary.

#![allow(dead_code)]

use std::path::Path;
use std::process::{Command, Output};

/// The `livermet` binary cargo built for this test run.
pub fn livermet() -> Command {
    Command::new(env!("CARGO_BIN_EXE_livermet"))
}

/// Run `livermet args...` in `dir` and return its output.
pub fn run_in(dir: &Path, args: &[&str]) -> Output {
    livermet()
        .current_dir(dir)
        .args(args)
        .output()
        .expect("spawn livermet")
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}
