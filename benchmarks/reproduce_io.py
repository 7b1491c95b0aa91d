"""Benchmark: ``reproduce`` against its I/O floor (pandas reading the same CSV files), in one run.

Run from the project root:
    python benchmarks/reproduce_io.py [FOLDER …] [--copies N] [--repeat R] [--profile FILE]

What it does
* FOLDER (default: the 40-review Pairwise70 sample in ``../shared/fixtures/pairwise70-sample``)
  holds ``…-data-rows.csv`` files (or any input ``reproduce`` reads; the floor only counts CSVs);
* ``--copies N`` simulates scale: the folder's CSVs are copied N times under different names into
  a temporary folder (N = 13 on the sample gives 520 reviews, the size of the corpus the issue
  measured on 500 unseen reviews). The reviews are the same data under new names, so the numbers
  say how ``reproduce`` scales with the number of files, not how it fares on new data;
* each measurement runs in a fresh Python process (imports excluded from the time, best of
  ``--repeat``): (1) ``pandas.read_csv`` of every CSV, (2) ``mytools.reproduce.reproduce`` of the
  folder; it prints wall time, the ratio (2)/(1), and the peak resident memory of each process
  (``resource.getrusage(RUSAGE_SELF).ru_maxrss``, which includes the interpreter and imports; the
  RSS right after the imports is printed beside it);
* ``--profile FILE`` also writes a cProfile of one ``reproduce`` run (read it with
  ``python -m pstats FILE``) and prints the top functions by cumulative time.

Wall-clock on whatever machine runs it (here: a shared 2-core machine); a benchmark, not a test.
"""
from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT.parent / "shared" / "fixtures" / "pairwise70-sample"

_CHILD = r"""
import json, resource, sys, time
from pathlib import Path
what, folder, repeat = sys.argv[1], Path(sys.argv[2]), int(sys.argv[3])
import pandas as pd
if what == "reproduce":
    from mytools.reproduce import reproduce
rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
files = sorted(folder.rglob("*.csv"))
best, info = float("inf"), {}
for _ in range(repeat):
    t0 = time.perf_counter()
    if what == "pandas":
        frames = [pd.read_csv(f) for f in files]
        info = {"files": len(files), "rows": sum(len(f) for f in frames)}
    else:
        rep = reproduce(folder)
        st = rep["status"].value_counts()
        info = {"analyses": len(rep), "reviews": int(rep["review"].nunique()),
                "match": int(st.get("match", 0))}
    best = min(best, time.perf_counter() - t0)
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"seconds": best, "rss_after_imports_mb": rss0 / 1024, "peak_rss_mb": rss / 1024, **info}))
"""


def _child(what: str, folder: Path, repeat: int) -> dict:
    out = subprocess.run([sys.executable, "-c", _CHILD, what, str(folder), str(repeat)],
                         check=True, capture_output=True, text=True, cwd=ROOT)
    return json.loads(out.stdout.strip().splitlines()[-1])


def _copies(src: Path, n: int, dest: Path) -> Path:
    """``src``'s CSV files copied ``n`` times into ``dest`` under new names (copy01_…)."""
    files = sorted(src.rglob("*.csv"))
    for k in range(n):
        for f in files:
            shutil.copyfile(f, dest / f"copy{k:02d}_{f.name}")
    return dest


def _profile(folder: Path, path: str) -> None:
    import cProfile
    import pstats

    from mytools.reproduce import reproduce

    cProfile.runctx("reproduce(folder)", globals(), {"reproduce": reproduce, "folder": folder}, path)
    print(f"\nprofile of one reproduce run written to {path}; top 25 by cumulative time:")
    pstats.Stats(path).sort_stats("cumulative").print_stats(25)


def bench(folder: Path, repeat: int, label: str) -> None:
    floor = _child("pandas", folder, repeat)
    rep = _child("reproduce", folder, repeat)
    print(f"{label}: {floor['files']} CSV files, {floor['rows']:,} rows; "
          f"{rep['analyses']:,} analyses in {rep['reviews']} reviews ({rep['match']:,} match)")
    print(f"  pandas.read_csv of every file  {floor['seconds']:8.3f} s   peak RSS "
          f"{floor['peak_rss_mb']:7.0f} MB (after imports {floor['rss_after_imports_mb']:.0f} MB)")
    print(f"  reproduce (read, infer, pool,  {rep['seconds']:8.3f} s   peak RSS "
          f"{rep['peak_rss_mb']:7.0f} MB (after imports {rep['rss_after_imports_mb']:.0f} MB)")
    print("             compare, report)")
    print(f"  ratio reproduce / pandas read: {rep['seconds'] / floor['seconds']:.1f}x")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("folders", nargs="*", type=Path, help="folders of review data (default: the sample)")
    ap.add_argument("--copies", type=int, default=13, help="copies of each folder for the scale run "
                    "(0: no scale run)")
    ap.add_argument("--repeat", type=int, default=3, help="best of R runs per measurement")
    ap.add_argument("--profile", metavar="FILE", help="write a cProfile of one reproduce run")
    args = ap.parse_args()
    folders = args.folders or [SAMPLE]
    import platform

    import pandas as pd

    print(f"python {platform.python_version()}, pandas {pd.__version__}; "
          f"{platform.processor() or platform.machine()}; best of {args.repeat}\n")
    for folder in folders:
        bench(folder, args.repeat, str(folder))
        if args.copies > 0:
            with tempfile.TemporaryDirectory(prefix="reproduce_io_") as tmp:
                scaled = _copies(folder, args.copies, Path(tmp))
                print()
                bench(scaled, max(1, args.repeat - 2),
                      f"{folder.name} copied {args.copies}x under new names (simulated scale)")
                if args.profile:
                    _profile(scaled, args.profile)
        elif args.profile:
            _profile(folder, args.profile)


if __name__ == "__main__":
    main()
