# Sourced by the install scripts: `apt_install WHO PACKAGE...` installs Debian packages with
# apt-get (as root, or with sudo), updating the package lists and retrying once if the first try
# fails. WHO names the calling script in its messages. Exits 1 with the command to run when it
# cannot (no apt-get; not root and no sudo).

apt_install() {
    local who="$1"
    shift
    if ! command -v apt-get >/dev/null 2>&1; then
        echo "$who: no apt-get; install $* yourself" >&2
        exit 1
    fi
    local sudo=()
    if [[ "$(id -u)" -ne 0 ]]; then
        if command -v sudo >/dev/null 2>&1; then
            sudo=(sudo)
        else
            echo "$who: not root and no sudo; run: apt-get install -y --no-install-recommends $*" >&2
            exit 1
        fi
    fi
    echo "$who: installing $* with apt-get"
    if ! "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
        apt-get install -y --no-install-recommends "$@"; then
        echo "$who: install failed; updating the package lists and trying again"
        "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update
        "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
            apt-get install -y --no-install-recommends "$@"
    fi
}
