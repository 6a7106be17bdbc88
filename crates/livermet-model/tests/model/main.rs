//! Tests of livermet-model on tiny networks (widths 4,4,8,8,8,8; 32x32 patches) on the CPU
//! `flex` device.

mod common;
mod conv;
mod network;
mod norm;
mod resume;
mod saliency;
mod training;
