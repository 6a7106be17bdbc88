//! Which burn devices this build offers. The one place that names a backend and the one place
//! a device is chosen: everything else takes a `&Device` (the command line names one,
//! [`open`] makes it, and it is passed down).

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::str::FromStr;
use std::sync::{Arc, Mutex};

use burn::tensor::{Device, Tensor};

use crate::error::ModelError;

/// Where networks run, as `--device` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DeviceName {
    /// burn's `flex` backend on the CPU cores.
    #[default]
    Cpu,
    /// burn's Vulkan backend (a build with `--features livermet-model/gpu`).
    Gpu,
}

impl DeviceName {
    /// The name `--device` takes (`cpu`, `gpu`).
    pub fn as_str(self) -> &'static str {
        match self {
            DeviceName::Cpu => "cpu",
            DeviceName::Gpu => "gpu",
        }
    }
}

impl FromStr for DeviceName {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let s = s.trim();
        [DeviceName::Cpu, DeviceName::Gpu]
            .into_iter()
            .find(|d| d.as_str().eq_ignore_ascii_case(s))
            .ok_or_else(|| format!("`{s}` is not a device; use cpu or gpu"))
    }
}

/// The device named `name`, checked to run: a CPU-only build asked for the GPU, or a GPU build
/// on a machine without a usable Vulkan GPU, is a [`ModelError::Device`] saying what to do.
pub fn open(name: DeviceName) -> Result<Device, ModelError> {
    match name {
        DeviceName::Cpu => Ok(cpu()),
        DeviceName::Gpu => {
            let gpu = gpu().ok_or_else(|| {
                ModelError::Device(
                    "this livermet was built without GPU support; rebuild with \
                     `cargo build --release -p livermet --features livermet-model/gpu` or use --device cpu"
                        .into(),
                )
            })?;
            check_usable(&gpu).map_err(|why| {
                ModelError::Device(format!(
                    "no usable GPU: {why}; the GPU build runs burn on Vulkan and needs the GPU's \
                     Vulkan driver (NVIDIA: the driver's Vulkan ICD and libvulkan1), or use --device cpu"
                ))
            })?;
            Ok(gpu)
        }
    }
}

/// The CPU device: burn's pure-Rust `flex` backend (SIMD kernels, rayon threads).
pub fn cpu() -> Device {
    Device::flex()
}

/// The GPU device of a build with the `gpu` feature: burn's wgpu runtime pinned to Vulkan
/// (SPIR-V kernels compiled at run time by the driver, so nothing is downloaded at build time;
/// burn 0.22's `cuda` feature would fetch LLVM while building). `None` in a CPU-only build.
/// The device is lazy: a machine without a Vulkan GPU fails at its first use.
pub fn gpu() -> Option<Device> {
    #[cfg(feature = "gpu")]
    {
        Some(Device::vulkan(burn::tensor::DeviceKind::DefaultDevice))
    }
    #[cfg(not(feature = "gpu"))]
    {
        None
    }
}

/// A short name of the device's backend for logs and `bench` output ("flex", "vulkan").
pub fn backend_name(device: &Device) -> String {
    let d = format!("{device:?}").to_lowercase();
    ["flex", "vulkan", "wgpu", "cuda", "cpu"]
        .into_iter()
        .find(|n| d.contains(n))
        .map_or(d.clone(), str::to_string)
}

/// Which [`DeviceName`] `device` is, for reports and provenance (burn's `Debug` of a device
/// reads `Device<Flex(Cpu)>`).
pub fn device_name(device: &Device) -> DeviceName {
    match backend_name(device).as_str() {
        "flex" | "cpu" => DeviceName::Cpu,
        _ => DeviceName::Gpu,
    }
}

/// Checks that `device` can run by reading back one tiny tensor. burn's GPU backends panic when
/// they find no adapter (on their own thread, then on the caller's); this catches that, keeps
/// the backend's message quiet, and returns it as the error instead.
pub fn check_usable(device: &Device) -> Result<(), String> {
    let first: Arc<Mutex<Option<String>>> = Arc::new(Mutex::new(None));
    let seen = Arc::clone(&first);
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let payload = info.payload();
        let message = payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "the backend failed".into());
        seen.lock()
            .unwrap_or_else(|e| e.into_inner())
            .get_or_insert(message);
    }));
    let outcome = catch_unwind(AssertUnwindSafe(|| {
        Tensor::<1>::from_floats([1.0], device).into_scalar::<f32>()
    }));
    std::panic::set_hook(previous);
    match outcome {
        Ok(_) => Ok(()),
        Err(_) => Err(first
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take()
            .unwrap_or_else(|| "the backend failed".into())),
    }
}
