#!/usr/bin/env bash
# Installs what the test suite needs beyond the Rust toolchain: a headless Chromium for the
# report's browser check (crates/livermet-report, tests/browser.rs), and Slurm with munge for
# the cluster test (crates/livermet/tests/cli/slurm.rs; `scripts/slurm-local.sh install`:
# Debian's slurmctld, slurmd, slurm-client and munge). Idempotent: does nothing when a browser
# is already there ($LIVERMET_CHROMIUM, chromium, chromium-browser, google-chrome[-stable] on
# PATH, or /usr/bin/chromium) and Slurm is on PATH. Installs Debian's `chromium` package.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)

# Slurm: where it cannot be installed (not root, no apt-get) the cluster test skips itself and
# says why; anything else is an error.
slurm_status=0
bash "$here/slurm-local.sh" install || slurm_status=$?
if [[ $slurm_status -eq 3 ]]; then
    echo "install-test-deps: Slurm cannot be installed here; the cluster test will be skipped"
elif [[ $slurm_status -ne 0 ]]; then
    exit "$slurm_status"
fi

have_browser() {
    if [[ -n "${LIVERMET_CHROMIUM:-}" && -x "${LIVERMET_CHROMIUM}" ]]; then
        return 0
    fi
    local b
    for b in chromium chromium-browser google-chrome google-chrome-stable; do
        if command -v "$b" >/dev/null 2>&1; then
            return 0
        fi
    done
    [[ -x /usr/bin/chromium ]]
}

if have_browser; then
    echo "install-test-deps: Chromium already installed"
    exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
    echo "install-test-deps: no Chromium and no apt-get; install Chromium or Chrome yourself and set LIVERMET_CHROMIUM to its binary" >&2
    exit 1
fi

# shellcheck source=scripts/apt-install.sh
source "$(dirname "$0")/apt-install.sh"
apt_install install-test-deps chromium

if have_browser; then
    echo "install-test-deps: Chromium installed"
else
    echo "install-test-deps: chromium was installed but no browser binary was found" >&2
    exit 1
fi
