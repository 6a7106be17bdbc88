#!/usr/bin/env bash
# livermet-io read/write speed for a 256x256x30 volume (NIfTI float32/.gz/int16, DICOM series).
# Dev profile as the tests use it (dependencies at opt-level 3, our crate at 1): an upper bound.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo run -q -p livermet-io --example io_speed
