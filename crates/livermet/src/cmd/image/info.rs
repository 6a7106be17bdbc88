//! `livermet image info FILE...`: grid, voxel size, affine, orientation, data range and b-values
//! of NIfTI files and DICOM series folders.

use std::path::PathBuf;
use std::process::ExitCode;

use livermet_io::{ImageInfo, image_info};

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
            print!("{}", describe(info));
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The human-readable block for one image.
fn describe(i: &ImageInfo) -> String {
    let dims: Vec<String> = i.dims.iter().map(|d| d.to_string()).collect();
    let mut s = format!("{} ({})\n", i.path, i.format);
    s += &format!("  dims:        {}\n", dims.join(" x "));
    s += &format!(
        "  voxel size:  {:.4} x {:.4} x {:.4} mm\n",
        i.voxel_size[0], i.voxel_size[1], i.voxel_size[2]
    );
    s += &format!("  orientation: {}\n", i.orientation);
    s += "  affine (voxel -> RAS mm):\n";
    for row in &i.affine {
        s += &format!(
            "    [{:>11.4} {:>11.4} {:>11.4} {:>11.4}]\n",
            row[0], row[1], row[2], row[3]
        );
    }
    s += &format!(
        "  range:       min {} max {} mean {:.4}{}\n",
        i.min,
        i.max,
        i.mean,
        if i.non_finite > 0 {
            format!(" (finite voxels; {} NaN or infinite)", i.non_finite)
        } else {
            String::new()
        }
    );
    if let Some(b) = &i.bvals {
        let b: Vec<String> = b.iter().map(|v| v.to_string()).collect();
        s += &format!("  b-values:    {} (s/mm²)\n", b.join(", "));
    }
    s
}
