//! `livermet stats ...`: one file per subcommand; `data.rs` reads the CSV they share.

pub mod calibration;
pub mod data;
pub mod dca;
pub mod logistic;
pub mod nri;
pub mod optimism;
pub mod roc;
pub mod table1;

use std::process::ExitCode;

use clap::Subcommand;

#[derive(Subcommand, Debug)]
pub enum StatsCommand {
    /// Logistic regression: Wald/LR inference, drop tests, univariable screen, backward stepwise.
    Logistic(logistic::Args),
    /// Calibration: intercept, slope, Brier, binned curve, Hosmer-Lemeshow.
    Calibration(calibration::Args),
    /// ROC: AUC with DeLong CI, paired DeLong tests, bootstrap CI, threshold metrics.
    Roc(roc::Args),
    /// Decision curves: net benefit and net interventions avoided (as dcurves).
    Dca(dca::Args),
    /// Table 1: each variable per group and in total, with the test used named in its row.
    Table1(table1::Args),
    /// Reclassification of a new model against an old one: NRI (category-free and at risk
    /// categories) and IDI, as Hmisc's improveProb, optionally with bootstrap CIs.
    Nri(nri::Args),
    /// Internal validation by the bootstrap (Harrell's optimism correction) of a logistic
    /// model-building procedure, selection repeated in every resample (as rms's validate).
    Optimism(optimism::Args),
}

pub fn run(cmd: StatsCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        StatsCommand::Logistic(a) => logistic::run(a),
        StatsCommand::Calibration(a) => calibration::run(a),
        StatsCommand::Roc(a) => roc::run(a),
        StatsCommand::Dca(a) => dca::run(a),
        StatsCommand::Table1(a) => table1::run(a),
        StatsCommand::Nri(a) => nri::run(a),
        StatsCommand::Optimism(a) => optimism::run(a),
    }
}
