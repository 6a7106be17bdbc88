//! Which burn devices this build offers. The one place that names a backend: everything else
//! takes a `&Device` (the binary asks here, by name, and passes the device down).

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Arc, Mutex};

use burn::tensor::{Device, Tensor};

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
