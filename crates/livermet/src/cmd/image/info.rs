//! `livermet image info FILE...`: grid, voxel size, affine, orientation, data range and b-values
//! of NIfTI files and DICOM series folders.

use std::path::PathBuf;
use std::process::ExitCode;

use livermet_io::image_info;

#[derive(clap::Args, Debug)]
#[command(
    after_help = "Example: livermet image info livermet-demo/images/P001/t2.nii.gz livermet-demo/images/E001/dwi --json"
)]
pub struct Args {
    /// NIfTI files (.nii, .nii.gz) or folders each holding one DICOM series.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// Print a JSON array, one object per file (keys: path, dims, voxel_size, affine,
    /// orientation, min, max, mean (of the finite voxels), non_finite (NaN or infinite voxels),
    /// warnings, bvals (null when none), format).
    #[arg(long)]
    pub json: bool,
}

/// Read every image first (the first bad one is the error: one line, exit 2), then print.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let infos = args
        .files
        .iter()
        .map(|f| image_info(f))
        .collect::<Result<Vec<_>, _>>()?;
    // Warnings go to stderr in both modes: NaN voxels or a repaired header must not pass unseen.
    for w in infos.iter().flat_map(|i| &i.warnings) {
        eprintln!("warning: {w}");
    }
    if args.json {
        println!("{}", serde_json::to_string_pretty(&infos)?);
    } else {
        for info in &infos {
            print!("{}", info.text());
        }
    }
    Ok(ExitCode::SUCCESS)
}
