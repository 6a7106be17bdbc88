#!/usr/bin/env bash
# Installs R and the R packages that REGENERATE the R reference fixtures (fixtures/stats/*/*.R:
# Hmisc's improveProb, rms's fastbw and validate, fisher.test), from Debian's packages
# (bookworm: r-base-core 4.2.2, r-cran-hmisc 4.8-0, r-cran-rms 6.5-0, r-cran-proc 1.18.0,
# r-cran-jsonlite 1.8.4, r-cran-mass 7.3-58). The test suite does NOT need it: the fixtures are
# committed with the versions that made them. Idempotent; run as root (or with sudo).
set -euo pipefail

PACKAGES=(r-base-core r-cran-hmisc r-cran-rms r-cran-proc r-cran-jsonlite r-cran-mass)

have_all() {
    command -v Rscript >/dev/null 2>&1 &&
        Rscript -e 'for (p in c("Hmisc", "rms", "pROC", "jsonlite", "MASS"))
                      if (!requireNamespace(p, quietly = TRUE)) quit(status = 1)' >/dev/null 2>&1
}

if have_all; then
    echo "install-r-fixture-deps: R and its packages already installed"
    exit 0
fi
# shellcheck source=scripts/apt-install.sh
source "$(dirname "$0")/apt-install.sh"
apt_install install-r-fixture-deps "${PACKAGES[@]}"
have_all || {
    echo "install-r-fixture-deps: packages installed but an R package does not load" >&2
    exit 1
}
Rscript -e 'cat(R.version.string, "\n"); for (p in c("Hmisc", "rms", "pROC", "jsonlite", "MASS")) cat(p, format(packageVersion(p)), "\n")'
