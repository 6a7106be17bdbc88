//! `livermet image ...`: one file per subcommand.

use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;
use clap::Subcommand;
use livermet_io::{Volume, check_finite, read_volume_with_warnings};

pub mod adc;
pub mod info;
pub mod register;
pub mod resample;

#[derive(Subcommand, Debug)]
pub enum ImageCommand {
    /// Rigid multi-modal registration (Mattes MI) of a moving image onto a fixed one.
    Register(register::Args),
    /// Print dims, voxel size, affine, orientation, data range and b-values of images.
    Info(info::Args),
    /// ADC map (mm²/s) from a DWI series: shells, log-linear least squares.
    Adc(adc::Args),
    /// Resample an image onto a reference grid (B-spline, linear or nearest), optionally through a transform.
    Resample(resample::Args),
}

pub fn run(cmd: ImageCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        ImageCommand::Register(a) => register::run(a),
        ImageCommand::Info(a) => info::run(a),
        ImageCommand::Adc(a) => adc::run(a),
        ImageCommand::Resample(a) => resample::run(a),
    }
}

/// Read the image a tool works on (`role`: "the fixed image", ...): what the reader repaired is a
/// warning on stderr, and NaN or infinite voxels are an error, since every tool would spread
/// them into its output.
pub fn read_input(path: &Path, role: &str) -> anyhow::Result<Volume> {
    let (volume, warnings) =
        read_volume_with_warnings(path).with_context(|| format!("reading {role}"))?;
    for w in warnings {
        eprintln!("warning: {w}");
    }
    check_finite(&volume, path).with_context(|| format!("reading {role}"))?;
    Ok(volume)
}
