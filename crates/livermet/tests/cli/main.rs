//! The one integration-test binary: it runs the real `livermet` executable.
//! One module per command family.

mod common;
mod image_adc;
mod image_register;
mod stats_logistic;
mod stats_roc;
mod stats_table1;
mod image_info;
mod synth;
mod validate_prepare;
mod train;
