//! The one integration-test binary: it runs the real `livermet` executable.
//! One module per command family.

mod bad_inputs;
mod common;
mod image_adc;
mod image_info;
mod image_register;
mod patient_ids;
mod phi;
mod publication;
mod slurm;
mod stats_logistic;
mod stats_nri;
mod stats_roc;
mod stats_table1;
mod study;
mod synth;
mod train;
mod validate_prepare;
