# Shared by scripts/test, scripts/demo and scripts/notebooks: find Python 3.10+, create .venv with
# the dependencies that pyproject.toml names, build the project's sdist and wheel, and install the
# wheel (never an editable install), so that what runs is what a user installs.
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

ensure_chromium() {
    # Debian's Chromium and its WebDriver: the browser tests open pages in headless Chromium
    command -v chromium >/dev/null 2>&1 && command -v chromedriver >/dev/null 2>&1 && return 0
    echo "Installing Debian's chromium and chromium-driver (for the browser tests)..." >&2
    apt_install chromium chromium-driver ||
        echo "note: could not install chromium (needs apt-get and root); browser tests fail" >&2
}

ensure_venv() {
    # ensure_venv EXTRAS: .venv holding the dependencies of autograd-mini[EXTRAS] and nothing
    # else: built anew whenever pyproject.toml or EXTRAS change, so none accumulate
    local extras="$1" python stamp
    stamp=".venv/.dependencies-$(sha256sum <pyproject.toml | cut -c1-16)-${extras//,/_}"
    [ -f "$stamp" ] && [ -x .venv/bin/python ] && return 0
    python=$(find_python)
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
    echo "Installing the dependencies of autograd-mini[$extras] into .venv..." >&2
    .venv/bin/python -m pip install --quiet --upgrade pip >/dev/null 2>&1 || true
    # pip resolves them from pyproject.toml; the project it installs with them is replaced by
    # the freshly built wheel right after (install_wheel)
    if ! .venv/bin/python -m pip install --quiet --disable-pip-version-check \
        ".[$extras]" >.venv/install.log 2>&1; then
        cat .venv/install.log >&2
        echo "error: installing the dependencies failed (log above, also in .venv/install.log)" >&2
        return 1
    fi
    touch "$stamp"
}

source_hash() {
    # A hash of every file the packages are built from (what the wheel would change with)
    {
        find autograd_mini nn -type f ! -path '*/__pycache__/*' ! -name '*.pyc' | LC_ALL=C sort
        echo pyproject.toml README.md LICENSE MANIFEST.in
    } | xargs sha256sum | sha256sum | cut -c1-16
}

build_packages() {
    # build_packages DIR: the sdist, then the wheel built from that sdist (so a file the sdist
    # lacks is missing from the wheel too), into DIR, in place of earlier builds of them
    local dist="$1"
    rm -rf "$dist"/autograd_mini-* autograd_mini.egg-info # a stale SOURCES.txt adds files back
    if ! .venv/bin/python -m build --no-isolation --outdir "$dist" . >.venv/build.log 2>&1; then
        cat .venv/build.log >&2
        echo "error: building the sdist and wheel failed (log above, also in .venv/build.log)" >&2
        return 1
    fi
}

install_wheel() {
    # install_wheel DIR HASH: install DIR's wheel into .venv in place of any earlier install,
    # and note the source hash it was built from
    local wheels=("$1"/autograd_mini-*.whl)
    .venv/bin/python -m pip install --quiet --disable-pip-version-check --force-reinstall \
        --no-deps "${wheels[0]}"
    rm -f .venv/.wheel-*
    touch ".venv/.wheel-$2"
}

install_fresh_wheel() {
    # Build the packages from the checkout into dist/ and install the wheel, every time
    local hash
    hash=$(source_hash)
    echo "Building autograd-mini's sdist and wheel (dist/) and installing the wheel..." >&2
    build_packages dist
    rm -rf autograd_mini.egg-info # else python -m in the checkout finds its metadata first
    install_wheel dist "$hash"
}

ensure_wheel_installed() {
    # The wheel of the checkout as it is now, installed in .venv: rebuilt only if a file changed
    [ -f ".venv/.wheel-$(source_hash)" ] || install_fresh_wheel
}

prepare_environment() {
    # prepare_environment fresh|current: Graphviz, .venv with the [dev] dependencies, and the
    # wheel: built and installed anew (fresh), or only if the checkout changed since (current)
    ensure_graphviz
    ensure_venv dev
    if [ "$1" = fresh ]; then install_fresh_wheel; else ensure_wheel_installed; fi
}

with_setup_lock() {
    # with_setup_lock COMMAND...: one set-up at a time (the tests run scripts/demo and
    # scripts/notebooks, which may set up .venv while another does)
    if command -v flock >/dev/null 2>&1; then
        (
            flock 9
            "$@"
        ) 9>.venv.lock
    else
        "$@"
    fi
}
