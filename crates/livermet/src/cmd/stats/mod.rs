//! `livermet stats ...`: one file per subcommand; `data.rs` reads the CSV they share.

pub mod data;

use std::process::ExitCode;

use clap::Subcommand;

#[derive(Subcommand, Debug)]
pub enum StatsCommand {
    /// Placeholder until the first stats subcommand lands (remove when one exists).
    #[command(hide = true)]
    Pending,
}

pub fn run(cmd: StatsCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        StatsCommand::Pending => anyhow::bail!("no stats subcommand is built yet"),
    }
}
