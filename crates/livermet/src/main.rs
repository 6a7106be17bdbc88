//! `livermet`: the command line. A thin layer over the library crates: it parses arguments,
//! picks the device, shows progress, and turns errors into one line and an exit code.

// The doc comments of the argument structs are clap's help text, written for a terminal
// (`<model>`, `NAME[LEVEL]`), not rustdoc.
#![allow(rustdoc::broken_intra_doc_links, rustdoc::invalid_html_tags)]

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod cmd;

/// Predict synchronous liver metastases (SLM) of rectal cancer from multiparametric MRI of the
/// primary tumour and routine clinical values, and validate such models honestly.
#[derive(Parser, Debug)]
#[command(name = "livermet", version, about, long_about = None,
    after_help = "Start with `livermet demo`: it makes a synthetic two-centre cohort and runs the whole study on it.")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Synthesise a two-centre cohort and run the study on it.
    Demo(cmd::demo::Args),
    /// Write a synthetic two-centre cohort (CSV + NIfTI/DICOM images + truth.json).
    Synth(cmd::synth::Args),
    /// Check every row and file of a cohort CSV; list all problems at once.
    Validate(cmd::validate::Args),
    /// ADC, registration, resampling, normalisation and tumour patches for every patient.
    Prepare(cmd::prepare::Args),
    /// The whole study from STUDY.toml: folds, CF/MRI/Combined, external validation, report.
    Study(cmd::study::Args),
    /// SLM risk of one new patient from a study's model bundle.
    Predict(cmd::predict::Args),
    /// Train one network (MRI or Combined) on a prepared cohort and one fold.
    Train(cmd::train::Args),
    /// Benchmarks of the current backend.
    #[command(subcommand)]
    Bench(cmd::bench::BenchCommand),
    /// Imaging tools: info, ADC, registration, resampling.
    #[command(subcommand)]
    Image(cmd::image::ImageCommand),
    /// Statistics: logistic models, ROC/DeLong, decision curves, calibration, Table 1.
    #[command(subcommand)]
    Stats(cmd::stats::StatsCommand),
}

fn main() -> ExitCode {
    // Before any other thread starts (livermet_model::allocator).
    livermet_model::allocator::keep_freed_memory();
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Demo(a) => cmd::demo::run(a),
        Command::Synth(a) => cmd::synth::run(a),
        Command::Validate(a) => cmd::validate::run(a),
        Command::Prepare(a) => cmd::prepare::run(a),
        Command::Study(a) => cmd::study::run(a),
        Command::Predict(a) => cmd::predict::run(a),
        Command::Train(a) => cmd::train::run(a),
        Command::Bench(c) => cmd::bench::run(c),
        Command::Image(c) => cmd::image::run(c),
        Command::Stats(c) => cmd::stats::run(c),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            // One line: the error and its causes, joined by ": ".
            eprintln!("error: {}", cmd::one_line(&e));
            ExitCode::from(2)
        }
    }
}
