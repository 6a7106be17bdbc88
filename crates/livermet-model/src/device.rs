//! Which burn devices this build offers. The one place that names a backend: everything else
//! takes a `&Device` (the binary asks here, by name, and passes the device down).

use burn::tensor::Device;

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
