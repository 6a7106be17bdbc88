//! `livermet synth` (scaffold: the synth helper replaces this file).

use std::process::ExitCode;

#[derive(clap::Args, Debug)]
pub struct Args {}

pub fn run(_args: Args) -> anyhow::Result<ExitCode> {
    anyhow::bail!("`livermet synth` is not built yet")
}
