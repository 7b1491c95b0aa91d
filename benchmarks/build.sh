#!/usr/bin/env bash
# Time the whole book's build: cold (empty _build, every notebook executed) and warm (a rebuild
# with nothing changed, notebooks served from the execution cache). Median of N runs each (N=3).
#
#   bash benchmarks/build.sh            # uses .venv (created by .ci/build or .ci/test)
#   RUNS=5 bash benchmarks/build.sh
#
# Builds into a scratch folder (--path-output), so the repository's own _build is left alone.
# Prints one line per run and a summary to paste into the README's "Performance" section.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
RUNS="${RUNS:-3}"
OUT="$(mktemp -d /tmp/book-bench.XXXXXX)"
trap 'rm -rf "$OUT"' EXIT

if [ -z "${VIRTUAL_ENV:-}" ]; then
    if [ ! -x .venv/bin/jupyter-book ]; then
        echo "no .venv: run 'bash .ci/build' once first" >&2
        exit 1
    fi
    # shellcheck disable=SC1091
    . .venv/bin/activate
fi

build() {  # $1 = label; prints elapsed seconds
    local t0 t1
    t0=$(date +%s.%N)
    if ! jupyter-book build . --path-output "$OUT" > "$OUT.log" 2>&1; then
        echo "build failed ($1); log: $OUT.log" >&2
        tail -30 "$OUT.log" >&2
        exit 1
    fi
    t1=$(date +%s.%N)
    python -c "print(f'{$t1 - $t0:.1f}')"
}

median() { python -c "import statistics,sys; print(f'{statistics.median(map(float, sys.argv[1:])):.1f}')" "$@"; }

cold=() warm=()
for i in $(seq "$RUNS"); do
    rm -rf "$OUT/_build"
    c=$(build "cold $i"); cold+=("$c")
    w=$(build "warm $i"); warm+=("$w")
    echo "run $i: cold ${c} s, warm ${w} s"
done
rm -f "$OUT.log"

echo
echo "book build on $(nproc) cores, $(python --version 2>&1), jupyter-book $(python -c 'import jupyter_book; print(jupyter_book.__version__)')"
echo "cold build (empty cache):       median $(median "${cold[@]}") s  (runs: ${cold[*]})"
echo "warm rebuild (nothing changed): median $(median "${warm[@]}") s  (runs: ${warm[*]})"
