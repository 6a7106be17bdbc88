//! Patches/s of the paper-sized network on the CPU (`flex`) without the CLI:
//! `cargo run --release -p livermet-model --example throughput -- [train_steps] [infer_steps]`
//! (the same measurement as `livermet bench train --json`).

use livermet_model::{NetConfig, device, throughput};

fn main() {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let (train_steps, infer_steps) = (
        args.first().copied().unwrap_or(3),
        args.get(1).copied().unwrap_or(6),
    );
    let net = NetConfig::paper_sized();
    let dev = device::cpu();
    let t = throughput::measure(&net, &dev, 32, train_steps, infer_steps, 1).expect("measure");
    println!(
        "{}",
        serde_json::to_string_pretty(&serde_json::json!({
            "backend": device::backend_name(&dev),
            "train_patches_per_s": t.train_patches_per_s,
            "infer_patches_per_s": t.infer_patches_per_s,
            "infer_unfused_patches_per_s": t.infer_unfused_patches_per_s,
            "widths": net.widths,
            "batch": 32,
        }))
        .expect("json")
    );
}
