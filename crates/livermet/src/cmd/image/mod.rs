//! `livermet image ...`: one file per subcommand.

use std::process::ExitCode;

use clap::Subcommand;

#[derive(Subcommand, Debug)]
pub enum ImageCommand {
    /// Placeholder until the first image subcommand lands (remove when `info` exists).
    #[command(hide = true)]
    Pending,
}

pub fn run(cmd: ImageCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        ImageCommand::Pending => anyhow::bail!("no image subcommand is built yet"),
    }
}
