# Shared set-up for .ci/build and .ci/test (sourced, not run).
# Creates the virtual environment .venv when it is missing and (re)installs requirements.txt when
# it (or pyproject.toml) changed since the last install; a hash stamp is kept in .venv.
# Needs only Python 3.11+ with venv (Debian: python3 and python3-venv, installed here if missing).
# BOOK_VENV=/path/to/venv uses an existing environment as it is instead (no install).

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

VENV="$ROOT/.venv"
STAMP="$VENV/.requirements.sha256"
PYTHON="${PYTHON:-python3}"

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

as_root() {
    if [ "$(id -u)" = 0 ]; then "$@"
    elif command -v sudo >/dev/null 2>&1; then sudo "$@"
    else echo "need root to run: $*" >&2; return 1
    fi
}

apt_install() {
    say "installing Debian packages: $*"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@"
}

# Headless Chromium and its WebDriver (Debian's chromium and chromium-driver, same version) for
# the browser tests (tests/book/test_book_browser.py, tests/book/test_binder_jupyterlab.py).
ensure_browser() {
    local missing=()
    command -v chromium >/dev/null 2>&1 || missing+=(chromium)
    command -v chromedriver >/dev/null 2>&1 || missing+=(chromium-driver)
    if [ "${#missing[@]}" -gt 0 ]; then
        apt_install "${missing[@]}"
    fi
}

ensure_venv() {
    if [ -n "${BOOK_VENV:-}" ]; then
        # an existing environment, used as it is (nothing installed): BOOK_VENV=/path/to/venv
        # shellcheck disable=SC1091
        . "$BOOK_VENV/bin/activate"
        return 0
    fi
    if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
        echo "Python 3.11 or newer is needed ('$PYTHON' is missing or older); set PYTHON=..." >&2
        return 1
    fi
    if [ ! -x "$VENV/bin/python" ]; then
        say "creating the virtual environment .venv"
        if ! "$PYTHON" -m venv "$VENV" 2>/dev/null; then
            rm -rf "$VENV"
            apt_install python3-venv
            "$PYTHON" -m venv "$VENV"
        fi
    fi
    local want have
    want="$(cat requirements.txt pyproject.toml | sha256sum | cut -d' ' -f1)"
    have="$(cat "$STAMP" 2>/dev/null || true)"
    if [ "$want" != "$have" ]; then
        say "installing requirements.txt into .venv"
        "$VENV/bin/python" -m pip install --disable-pip-version-check -q -r requirements.txt
        echo "$want" > "$STAMP"
    fi
    # shellcheck disable=SC1091
    . "$VENV/bin/activate"
}
