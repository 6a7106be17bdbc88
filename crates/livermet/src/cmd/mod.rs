//! One module per command (or command family). Each has `Args` (clap) and
//! `run(args) -> anyhow::Result<ExitCode>`; bad input is an `Err`, which `main` prints as one
//! line and turns into exit code 2.

pub mod bench;
pub mod demo;
pub mod image;
pub mod predict;
pub mod prepare;
pub mod progress;
pub mod stats;
pub mod study;
pub mod synth;
pub mod train;
pub mod validate;

/// An error and its causes on one line, without repeating a cause that the message already holds.
pub fn one_line(e: &anyhow::Error) -> String {
    let mut out = String::new();
    for cause in e.chain() {
        let s = cause.to_string().replace('\n', " ");
        if out.contains(&s) {
            continue;
        }
        if !out.is_empty() {
            out.push_str(": ");
        }
        out.push_str(&s);
    }
    out
}

/// `--device`, as every command that runs a network takes it; the one place a device is opened.
#[derive(clap::Args, Debug)]
pub struct DeviceArg {
    /// Where networks run: `cpu`, or `gpu` (a build with `--features livermet-model/gpu`, meant
    /// for `--protocol paper`).
    #[arg(long = "device", value_name = "DEVICE", default_value = "cpu")]
    pub name: livermet_model::device::DeviceName,
}

impl DeviceArg {
    pub fn open(&self) -> anyhow::Result<livermet_model::Device> {
        Ok(livermet_model::device::open(self.name)?)
    }
}

/// `--widths`: 6 widths as given, or 3 widths each used for two blocks.
pub fn expand_widths(w: &[usize]) -> anyhow::Result<Vec<usize>> {
    match w.len() {
        6 => Ok(w.to_vec()),
        3 => Ok(w.iter().flat_map(|&x| [x, x]).collect()),
        n => anyhow::bail!("--widths takes 3 or 6 values, got {n}"),
    }
}
