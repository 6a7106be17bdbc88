//! Tiny networks and synthetic patches shared by the tests.

use livermet_model::{Device, InMemoryPatches, NetConfig, TrainConfig};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

pub const SIZE: usize = 32;
pub const CHANNELS: usize = 5;

pub fn cpu() -> Device {
    Device::flex()
}

/// MRI network with widths 4,4,8,8,8,8 on 32x32 patches.
pub fn tiny_net() -> NetConfig {
    NetConfig::new()
        .with_patch_size(SIZE)
        .with_widths(vec![4, 4, 8, 8, 8, 8])
}

/// Combined network with `n` clinical features.
pub fn tiny_combined(n: usize) -> NetConfig {
    tiny_net().with_n_clinical(n).with_clinical_units(4)
}

/// A quick training setting for tiny data.
pub fn quick_train(epochs: usize) -> TrainConfig {
    TrainConfig::new()
        .with_lr0(1e-3)
        .with_epochs(epochs)
        .with_batch_size(8)
        .with_copies_per_slice(2)
        .with_seed(7)
}

/// One random patch; class-1 patches carry a bright square in channel 0 (a strong imaging
/// signal), class-0 patches do not.
pub fn patch(label: u8, rng: &mut ChaCha8Rng) -> Vec<f32> {
    let mut v: Vec<f32> = (0..CHANNELS * SIZE * SIZE)
        .map(|_| rng.random::<f32>() - 0.5)
        .collect();
    if label == 1 {
        for i in 10..22 {
            for j in 10..22 {
                v[i * SIZE + j] += 2.0;
            }
        }
    }
    v
}

/// `n` patients alternating label 0/1 with `slices` patches each and `n_clinical` features.
pub fn cohort(n: usize, slices: usize, n_clinical: usize, seed: u64) -> InMemoryPatches {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut data = InMemoryPatches::new(CHANNELS, SIZE, true);
    for p in 0..n {
        let label = (p % 2) as u8;
        let clinical = (0..n_clinical).map(|_| rng.random::<f32>()).collect();
        let patches = (0..slices).map(|_| patch(label, &mut rng)).collect();
        data.push(format!("P{p:03}"), label, clinical, patches)
            .unwrap();
    }
    data
}
