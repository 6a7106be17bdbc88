#!/usr/bin/env bash
# The project's test command (README, `.ci/run`): installs the one thing the tests need beyond
# the Rust toolchain (a headless Chromium for the report's browser checks, from Debian's
# packages, skipped when one is there), then runs every test of the workspace.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-test-deps.sh
cargo test --workspace "$@"
