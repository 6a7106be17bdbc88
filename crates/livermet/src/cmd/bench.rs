//! `livermet bench train`: training and inference speed of the paper-sized network on this
//! machine's device (`bench/model_vs_pytorch.sh` sets it beside the same network in PyTorch).

use std::process::ExitCode;

use livermet_model::NetConfig;
use livermet_model::throughput::{self, BenchSettings};

use crate::cmd::expand_widths;

#[derive(clap::Subcommand, Debug)]
pub enum BenchCommand {
    /// Patches/s of training (forward + backward + Adam) and inference on synthetic patches.
    #[command(after_help = "Example: livermet bench train --json --widths 64,128,256")]
    Train(TrainArgs),
}

#[derive(clap::Args, Debug)]
pub struct TrainArgs {
    /// Block widths, 3 values (each used twice) or 6.
    #[arg(long, value_delimiter = ',', default_value = "64,128,256")]
    pub widths: Vec<usize>,
    /// Patches per batch.
    #[arg(long, default_value_t = 32)]
    pub batch: usize,
    /// Patch side (5 channels).
    #[arg(long, default_value_t = 112)]
    pub patch_size: usize,
    /// Timed training steps (after one warm-up step).
    #[arg(long, default_value_t = 5)]
    pub train_steps: usize,
    /// Timed inference batches (after one warm-up batch).
    #[arg(long, default_value_t = 10)]
    pub infer_steps: usize,
    /// Rounds of timed training and inference steps; the median round is reported.
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u64).range(1..))]
    pub rounds: u64,
    #[command(flatten)]
    pub device: super::DeviceArg,
    /// Also train this many epochs on a synthetic in-memory cohort (strong imaging signal,
    /// held-out AUC per epoch) and report the epoch logs and time.
    #[arg(long, default_value_t = 0)]
    pub epochs: usize,
    /// Patients in each half (training / held-out) of that synthetic cohort.
    #[arg(long, default_value_t = 32)]
    pub patients: usize,
    /// Print JSON: {backend, train_patches_per_s, infer_patches_per_s, peak_rss_mb, ...}.
    #[arg(long)]
    pub json: bool,
}

pub fn run(cmd: BenchCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        BenchCommand::Train(a) => train(a),
    }
}

fn train(a: TrainArgs) -> anyhow::Result<ExitCode> {
    let dev = a.device.open()?;
    let net = NetConfig::new()
        .with_widths(expand_widths(&a.widths)?)
        .with_patch_size(a.patch_size);
    let settings = BenchSettings {
        batch: a.batch,
        train_steps: a.train_steps,
        infer_steps: a.infer_steps,
        rounds: a.rounds as usize,
        epochs: a.epochs,
        patients: a.patients,
    };
    let b = throughput::bench(&net, &dev, &settings, &mut |l| {
        eprintln!("{}", l.text(a.epochs))
    })?;
    if a.json {
        // Through a `Value`: keys sorted, as this output has always had them.
        println!(
            "{}",
            serde_json::to_string_pretty(&serde_json::to_value(&b)?)?
        );
    } else {
        print!("{}", b.text());
    }
    Ok(ExitCode::SUCCESS)
}
