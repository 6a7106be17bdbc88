#!/usr/bin/env bash
# Shows that vendor/burn-flex is upstream burn-flex 0.22.1 except inside the regions marked
# `livermet patch` (vendor/README.md): every line added or removed lies between a line that
# contains `livermet patch` and the next line that contains `livermet patch end`, or in a file
# whose first line contains `livermet patch` (a file livermet added). Upstream files the copy
# left out are listed below. Prints the summary of the diff; exit 1 on a change outside a region.
#
# Upstream comes from crates.io through cargo: the workspace patches burn-flex, so its own
# build never downloads it; a throw-away package depending on burn-flex =0.22.1 makes
# `cargo fetch` put it in the registry (skipped when it is there already).
set -euo pipefail
cd "$(dirname "$0")/.."
version=0.22.1
vendored=vendor/burn-flex
cargo_home=${CARGO_HOME:-$HOME/.cargo}

find_upstream() {
    local d
    for d in "$cargo_home"/registry/src/*/burn-flex-"$version"; do
        if [[ -f "$d/Cargo.toml" ]]; then
            echo "$d"
            return 0
        fi
    done
    return 0
}

upstream=$(find_upstream)
if [[ -z "$upstream" ]]; then
    tmp=$(mktemp -d)
    trap 'rm -rf "$tmp"' EXIT
    mkdir -p "$tmp/src"
    : >"$tmp/src/lib.rs"
    cat >"$tmp/Cargo.toml" <<EOF
[package]
name = "fetch-upstream-burn-flex"
version = "0.0.0"
edition = "2021"
publish = false

[dependencies]
burn-flex = { version = "=$version", default-features = false }

[workspace]
EOF
    echo "check-vendor: fetching burn-flex $version from crates.io"
    (cd "$tmp" && cargo fetch --quiet)
    upstream=$(find_upstream)
fi
if [[ -z "$upstream" || ! -f "$upstream/Cargo.toml" ]]; then
    echo "check-vendor: cannot find burn-flex $version under $cargo_home/registry/src after cargo fetch" >&2
    exit 1
fi

# Upstream files the vendored copy leaves out on purpose (vendor/README.md), and cargo's own.
left_out=(Cargo.lock BENCHMARKS.md COMPARISON.md .cargo_vcs_info.json .cargo-ok)

status=0
changed=0
added=0
while IFS= read -r rel; do
    a="$upstream/$rel"
    b="$vendored/$rel"
    if [[ ! -e "$b" ]]; then
        skip=0
        for l in "${left_out[@]}"; do
            [[ "$rel" == "$l" ]] && skip=1
        done
        if [[ $skip -eq 0 ]]; then
            echo "check-vendor: $rel of upstream is missing from $vendored" >&2
            status=1
        fi
        continue
    fi
    cmp -s "$a" "$b" && continue
    changed=$((changed + 1))
    # The changed lines of the vendored file (for a pure deletion, the line after it), then
    # the check that each lies inside a marked region of that file.
    if ! { diff -U0 "$a" "$b" || true; } | awk -v file="$rel" -v vend="$b" '
        /^@@/ {
            split($3, p, ",")
            start = substr(p[1], 2) + 0
            n = (p[2] == "") ? 1 : p[2] + 0
            if (n == 0) { want[start + 1] = 1 } else { for (i = start; i < start + n; i++) want[i] = 1 }
        }
        END {
            line = 0; inside = 0; bad = 0
            while ((getline text < vend) > 0) {
                line++
                opens = (text ~ /livermet patch/ && text !~ /livermet patch end/)
                if (opens) inside = 1
                # A blank line carries no code: diff may pair it with either side of a region.
                if ((line in want) && !inside && text !~ /^[ \t]*$/) {
                    printf "check-vendor: %s:%d is changed outside a `livermet patch` region: %s\n", file, line, text > "/dev/stderr"
                    bad = 1
                }
                if (text ~ /livermet patch end/) inside = 0
            }
            if (inside) {
                printf "check-vendor: %s: a `livermet patch` region is not closed by `livermet patch end`\n", file > "/dev/stderr"
                bad = 1
            }
            exit bad
        }'; then
        status=1
    fi
done < <(cd "$upstream" && find . -type f | sed 's|^\./||' | sort)

while IFS= read -r rel; do
    [[ -e "$upstream/$rel" ]] && continue
    added=$((added + 1))
    if ! head -n 1 "$vendored/$rel" | grep -q "livermet patch"; then
        echo "check-vendor: $rel is not in upstream and its first line does not say \`livermet patch\`" >&2
        status=1
    fi
done < <(cd "$vendored" && find . -type f | sed 's|^\./||' | sort)

echo "check-vendor: $vendored vs burn-flex $version ($upstream): $changed file(s) changed, $added added, ${#left_out[@]} upstream file name(s) allowed to be left out"
if [[ $status -eq 0 ]]; then
    echo "check-vendor: every change is inside a \`livermet patch\` region"
fi
exit $status
