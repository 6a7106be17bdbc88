//! `livermet image adc`: the ADC map (mm²/s) from a DWI series and its b-values.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use livermet_image::{AdcOptions, compute_adc};

use crate::cmd::progress::spinner;

#[derive(clap::Args, Debug)]
#[command(
    after_help = "Example: livermet image adc --dwi dwi.nii.gz --out adc.nii.gz \
    (b-values from dwi.bval beside it, or --bvals FILE)"
)]
pub struct Args {
    /// The DWI: a 4D NIfTI (b-values in the .bval beside it) or a DICOM series folder.
    #[arg(long)]
    pub dwi: PathBuf,
    /// An FSL .bval file (one b-value per volume, s/mm²); overrides the one beside the DWI.
    #[arg(long)]
    pub bvals: Option<PathBuf>,
    /// Average each shell's volumes geometrically instead of arithmetically.
    #[arg(long)]
    pub geometric: bool,
    /// b-values within this many s/mm² of each other form one shell.
    #[arg(long, default_value_t = 50.0)]
    pub shell_tolerance: f64,
    /// Output: the ADC map (float NIfTI, mm²/s).
    #[arg(long)]
    pub out: PathBuf,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    if !(args.shell_tolerance.is_finite() && args.shell_tolerance >= 0.0) {
        anyhow::bail!(
            "--shell-tolerance must be a non-negative number of s/mm², got {}",
            args.shell_tolerance
        );
    }
    let (dwi, warnings) = livermet_io::read_dwi_with_warnings(&args.dwi, args.bvals.as_deref())
        .with_context(|| format!("reading the DWI {}", args.dwi.display()))?;
    for w in warnings {
        eprintln!("warning: {w}");
    }
    livermet_io::check_finite(&dwi.volume, &args.dwi)
        .with_context(|| format!("reading the DWI {}", args.dwi.display()))?;
    let opts = AdcOptions {
        shell_tolerance: args.shell_tolerance,
        geometric_mean: args.geometric,
    };
    let pb = spinner("fitting ADC");
    let fit = compute_adc(&dwi.volume, &dwi.bvals, &opts)
        .with_context(|| format!("fitting ADC for {}", args.dwi.display()));
    pb.finish_and_clear();
    let fit = fit?;
    livermet_io::write_nifti(&fit.adc, &args.out)?;
    let shells: Vec<String> = fit
        .shells
        .iter()
        .map(|(b, n)| format!("b={b:.0} (x{n})"))
        .collect();
    println!(
        "wrote {} (shells {}; {} voxels with non-positive signal set to 0)",
        args.out.display(),
        shells.join(", "),
        fit.nonpositive_voxels
    );
    Ok(ExitCode::SUCCESS)
}
