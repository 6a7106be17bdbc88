//! The one integration-test binary: it runs the real `livermet` executable.
//! One module per command family.

mod common;
