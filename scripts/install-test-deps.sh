#!/usr/bin/env bash
# Installs what the test suite needs beyond the Rust toolchain: a headless Chromium for the
# report's browser check (crates/livermet-report, tests/browser.rs). Idempotent: does nothing
# when a browser is already there ($LIVERMET_CHROMIUM, chromium, chromium-browser,
# google-chrome[-stable] on PATH, or /usr/bin/chromium). Installs Debian's `chromium` package.
set -euo pipefail

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
