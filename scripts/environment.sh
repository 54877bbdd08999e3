# Shared by scripts/test and scripts/demo: find Python 3.10+, create .venv, install the project.
# Everything an install needs is here, so a fresh Debian machine needs only these scripts.

find_python() {
    local candidate
    for candidate in python3.13 python3.12 python3.11 python3.10 python3; do
        if command -v "$candidate" >/dev/null 2>&1 &&
            "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 10))' 2>/dev/null; then
            command -v "$candidate"
            return 0
        fi
    done
    echo "error: Python 3.10 or newer is needed (apt-get install python3)" >&2
    return 1
}

as_root() {
    if [ "$(id -u)" -eq 0 ]; then
        "$@"
    elif command -v sudo >/dev/null 2>&1; then
        sudo "$@"
    else
        return 1
    fi
}

apt_install() {
    # Debian packages the project needs outside Python (python3-venv, graphviz)
    command -v apt-get >/dev/null 2>&1 || return 1
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null 2>&1 ||
        { as_root apt-get update -qq >/dev/null 2>&1 &&
            as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null 2>&1; }
}

ensure_graphviz() {
    # Graphviz's `dot` renders draw_graph's pictures; install Debian's package when we can
    command -v dot >/dev/null 2>&1 && return 0
    echo "Installing Debian's graphviz (the dot program, for rendering graphs)..." >&2
    apt_install graphviz ||
        echo "note: could not install graphviz (needs apt-get and root); rendering tests skip" >&2
}

ensure_venv() {
    # ensure_venv EXTRAS: .venv with the project installed (editable) with those extras
    local extras="$1" python stamp
    python=$(find_python)
    if [ ! -x .venv/bin/pip ]; then
        rm -rf .venv
        if ! "$python" -m venv .venv >/dev/null 2>&1; then
            rm -rf .venv
            echo "Installing Debian's python3-venv (venv needs it)..." >&2
            apt_install python3-venv || {
                echo "error: '$python -m venv' failed; install python3-venv and retry" >&2
                return 1
            }
            "$python" -m venv .venv
        fi
    fi
    stamp=".venv/.installed-$(cat pyproject.toml | sha256sum | cut -c1-16)-${extras//,/_}"
    if [ ! -f "$stamp" ]; then
        echo "Installing autograd-mini[$extras] into .venv..." >&2
        .venv/bin/python -m pip install --quiet --upgrade pip >/dev/null 2>&1 || true
        if ! .venv/bin/python -m pip install --quiet --disable-pip-version-check \
            -e ".[$extras]" >.venv/install.log 2>&1; then
            cat .venv/install.log >&2
            echo "error: installing the project failed (log above, also in .venv/install.log)" >&2
            return 1
        fi
        rm -f .venv/.installed-*
        touch "$stamp"
    fi
}
