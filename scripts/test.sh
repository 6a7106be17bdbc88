#!/usr/bin/env bash
# The project's test command (README, `.ci/run`): installs the one thing the tests need beyond
# the Rust toolchain (a headless Chromium for the report's browser checks, from Debian's
# packages, skipped when one is there), then the gates: formatting, clippy with every warning
# an error (lints in the root Cargo.toml's [workspace.lints]), the vendored burn-flex against
# upstream (scripts/check-vendor.sh), and every test of the workspace.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-test-deps.sh
if command -v rustup >/dev/null 2>&1; then
    rustup component add rustfmt clippy >/dev/null
fi
cargo fmt --all --check
cargo clippy --workspace --all-targets -- -D warnings
bash scripts/check-vendor.sh
cargo test --workspace "$@"
