//! `livermet image resample`: an image onto a reference grid, through an optional transform.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use livermet_image::transform::read_transform_json;
use livermet_image::{Interpolation, resample};

use crate::cmd::image::read_input;

#[derive(clap::Args, Debug)]
#[command(
    after_help = "Example: livermet image resample --input t1.nii.gz --reference t2.nii.gz \
    --transform t1_to_t2.json --interp bspline --out t1_on_t2.nii.gz"
)]
pub struct Args {
    /// The image to resample (NIfTI or DICOM series folder; 4D is resampled frame by frame).
    #[arg(long)]
    pub input: PathBuf,
    /// The image whose grid the output takes (only its geometry is used).
    #[arg(long)]
    pub reference: PathBuf,
    /// Transform JSON `{"matrix": [[...4 rows...]]}`, row-major, mapping reference (fixed) world
    /// RAS mm to input (moving) world, as `image register --transform-out` writes. Default: identity.
    #[arg(long)]
    pub transform: Option<PathBuf>,
    /// Interpolation: `bspline`, `linear` or `nearest` (boundary rules as ITK's, see
    /// livermet_image::resample). Points outside the input get 0.
    #[arg(long, default_value = "bspline")]
    pub interp: Interpolation,
    /// Output NIfTI on the reference grid.
    #[arg(long)]
    pub out: PathBuf,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let input = read_input(&args.input, "the input image")?;
    // Only the reference's grid is used: its voxels may be anything.
    let reference =
        livermet_io::read_volume(&args.reference).context("reading the reference image")?;
    let transform = match &args.transform {
        Some(p) => Some(read_transform_json(p)?),
        None => None,
    };
    let out = resample(&input, &reference.grid(), transform.as_ref(), args.interp);
    if out.data.iter().all(|&v| v == 0.0) && input.data.iter().any(|&v| v != 0.0) {
        anyhow::bail!(
            "{} does not overlap the reference {} (every output voxel fell outside it); check the transform and the images' headers",
            args.input.display(),
            args.reference.display()
        );
    }
    livermet_io::write_nifti(&out, &args.out)?;
    println!(
        "wrote {} ({}x{}x{}, {} frame(s))",
        args.out.display(),
        out.dims[0],
        out.dims[1],
        out.dims[2],
        out.frames
    );
    Ok(ExitCode::SUCCESS)
}
