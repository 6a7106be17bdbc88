//! `livermet image register`: rigid Mattes-MI registration of a moving image onto a fixed one.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use livermet_image::register::{Initialisation, RegistrationOptions, register_rigid_masked};
use livermet_image::transform::write_transform_json;
use livermet_image::{Interpolation, resample};

use crate::cmd::image::read_input;
use crate::cmd::progress::spinner;

#[derive(clap::Args, Debug)]
#[command(
    after_help = "Example: livermet image register --fixed t2.nii.gz --moving t1.nii.gz \
    --out t1_on_t2.nii.gz --transform-out t1_to_t2.json --json"
)]
pub struct Args {
    /// The fixed image (NIfTI or a DICOM series folder): the grid the output is on.
    #[arg(long)]
    pub fixed: PathBuf,
    /// The moving image, registered onto the fixed one (any contrast).
    #[arg(long)]
    pub moving: PathBuf,
    /// Output: the moving image resampled onto the fixed grid (cubic B-spline), NIfTI.
    #[arg(long)]
    pub out: PathBuf,
    /// Also write the transform, `{"matrix": [[...4 rows...]]}` (fixed -> moving world RAS mm).
    #[arg(long)]
    pub transform_out: Option<PathBuf>,
    /// Fixed-image mask: only voxels where it is nonzero drive the registration.
    #[arg(long)]
    pub mask: Option<PathBuf>,
    /// How the transform starts: `geometry` (align the images' geometric centres, ITK
    /// GEOMETRY), `moments` (their intensity centres of mass, ITK MOMENTS) or `header` (trust
    /// the scanner coordinates).
    #[arg(long, default_value = "geometry")]
    pub init: Initialisation,
    /// Seed of the metric's sample set.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Print the result as JSON (transform, params, metric, iterations, seconds, levels).
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let fixed = read_input(&args.fixed, "the fixed image")?;
    let moving = read_input(&args.moving, "the moving image")?;
    let mask = match &args.mask {
        Some(p) => Some(read_input(p, "the mask")?),
        None => None,
    };
    let opts = RegistrationOptions {
        seed: args.seed,
        initialisation: args.init,
        ..Default::default()
    };
    let pb = spinner("registering");
    let reg = register_rigid_masked(&fixed, &moving, mask.as_ref(), &opts).with_context(|| {
        format!(
            "registering {} onto {}",
            args.moving.display(),
            args.fixed.display()
        )
    });
    pb.finish_and_clear();
    let reg = reg?;
    let out = resample(
        &moving,
        &fixed.grid(),
        Some(&reg.transform),
        Interpolation::BSpline,
    );
    livermet_io::write_nifti(&out, &args.out).context("writing the registered image")?;
    if let Some(t) = &args.transform_out {
        write_transform_json(t, &reg.transform)?;
    }
    if args.json {
        println!("{}", serde_json::to_string_pretty(&reg)?);
    } else {
        println!(
            "registered {} onto {}: {} -> {}",
            args.moving.display(),
            args.fixed.display(),
            reg.summary(),
            args.out.display()
        );
    }
    Ok(ExitCode::SUCCESS)
}
