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
* the two sides read the same files (every ``*.csv`` under the folder; ``reproduce`` also lists
  the folder and checks each file is a regular file). Every run is a fresh Python process, and
  the runs alternate (pandas, reproduce, pandas, …) so that the load of a shared machine falls on
  both alike; ``--repeat R`` pairs of runs (default 3). Two timings per run:

  - **work**: ``[pandas.read_csv(f) for f in files]`` against ``mytools.reproduce.reproduce(folder)``
    (read and validate, infer settings, pool, compare, the report frame), timed inside the
    process after the imports: neither side counts interpreter start-up or imports;
  - **process**: the whole process as a user meets it, interpreter start-up and imports on both
    sides: ``python -c "import pandas; …read_csv each file…"`` against
    ``python -m mytools reproduce --quiet FOLDER`` (which also prints the summary line).

  It prints the median and the range (min–max) of each side and of the ratio reproduce / pandas
  (per pair of runs), and the peak resident memory of each process
  (``resource.getrusage(RUSAGE_SELF).ru_maxrss``: interpreter and imports included; the RSS right
  after the imports is printed beside it);
* ``--profile FILE`` also writes a cProfile of one ``reproduce`` run (read it with
  ``python -m pstats FILE``) and prints the top functions by cumulative time.

Wall-clock on whatever machine runs it (here: a shared 2-core machine); a benchmark, not a test.
"""
from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT.parent / "shared" / "fixtures" / "pairwise70-sample"

_CHILD = r"""
import json, resource, sys, time
from pathlib import Path
what, folder = sys.argv[1], Path(sys.argv[2])
import pandas as pd
if what == "reproduce":
    from mytools.reproduce import reproduce
rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
t0 = time.perf_counter()
if what == "pandas":
    frames = [pd.read_csv(f) for f in sorted(folder.rglob("*.csv"))]
    info = {"files": len(frames), "rows": sum(len(f) for f in frames)}
else:
    rep = reproduce(folder)
    st = rep["status"].value_counts()
    info = {"analyses": len(rep), "reviews": int(rep["review"].nunique()),
            "match": int(st.get("match", 0))}
seconds = time.perf_counter() - t0
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"seconds": seconds, "rss_after_imports_mb": rss0 / 1024, "peak_rss_mb": rss / 1024,
                  **info}))
"""

_FLOOR_PROCESS = ("import sys, pathlib, pandas as pd; "
                  "[pd.read_csv(f) for f in sorted(pathlib.Path(sys.argv[1]).rglob('*.csv'))]")


def _child(what: str, folder: Path) -> dict:
    out = subprocess.run([sys.executable, "-c", _CHILD, what, str(folder)],
                         check=True, capture_output=True, text=True, cwd=ROOT)
    return json.loads(out.stdout.strip().splitlines()[-1])


def _process(what: str, folder: Path) -> float:
    """Wall time of a whole process (interpreter start-up, imports, work, exit)."""
    cmd = ([sys.executable, "-c", _FLOOR_PROCESS, str(folder)] if what == "pandas" else
           [sys.executable, "-m", "mytools", "reproduce", "--quiet", str(folder)])
    t0 = time.perf_counter()
    out = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    seconds = time.perf_counter() - t0
    if out.returncode not in (0, 1):  # 1: some analysis differs (still a full run)
        raise RuntimeError(f"{' '.join(cmd)} failed ({out.returncode}): {out.stderr[-2000:]}")
    return seconds


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


def _spread(xs: list[float], fmt: str) -> str:
    return f"{statistics.median(xs):{fmt}} ({min(xs):{fmt}}–{max(xs):{fmt}})"


def bench(folder: Path, repeat: int, label: str) -> dict:
    """``repeat`` alternating pairs of fresh processes per timing; returns the medians."""
    floor, rep, floor_p, rep_p = [], [], [], []
    for _ in range(repeat):
        floor.append(_child("pandas", folder))
        rep.append(_child("reproduce", folder))
    for _ in range(repeat):
        floor_p.append(_process("pandas", folder))
        rep_p.append(_process("reproduce", folder))
    f0, r0 = floor[0], rep[0]
    work_f, work_r = [x["seconds"] for x in floor], [x["seconds"] for x in rep]
    ratio = [r / f for r, f in zip(work_r, work_f)]
    ratio_p = [r / f for r, f in zip(rep_p, floor_p)]
    print(f"{label}: {f0['files']} CSV files, {f0['rows']:,} rows; "
          f"{r0['analyses']:,} analyses in {r0['reviews']} reviews ({r0['match']:,} match); "
          f"{repeat} fresh processes per side, median (min–max)")
    print(f"  work (imports excluded)    pandas.read_csv {_spread(work_f, '.3f')} s   "
          f"reproduce {_spread(work_r, '.3f')} s   ratio {_spread(ratio, '.1f')}x")
    print(f"  whole process (start-up    pandas          {_spread(floor_p, '.3f')} s   "
          f"reproduce {_spread(rep_p, '.3f')} s   ratio {_spread(ratio_p, '.1f')}x")
    print("  and imports included)")
    print(f"  peak RSS: pandas {max(x['peak_rss_mb'] for x in floor):.0f} MB (after imports "
          f"{f0['rss_after_imports_mb']:.0f} MB); reproduce {max(x['peak_rss_mb'] for x in rep):.0f} MB "
          f"(after imports {r0['rss_after_imports_mb']:.0f} MB)")
    return {"ratio": statistics.median(ratio), "ratio_process": statistics.median(ratio_p)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("folders", nargs="*", type=Path, help="folders of review data (default: the sample)")
    ap.add_argument("--copies", type=int, default=13, help="copies of each folder for the scale run "
                    "(0: no scale run)")
    ap.add_argument("--repeat", type=int, default=3, help="fresh processes per side and timing")
    ap.add_argument("--profile", metavar="FILE", help="write a cProfile of one reproduce run")
    args = ap.parse_args()
    folders = args.folders or [SAMPLE]
    import platform

    import pandas as pd

    print(f"python {platform.python_version()}, pandas {pd.__version__}; "
          f"{platform.processor() or platform.machine()}\n")
    for folder in folders:
        bench(folder, args.repeat, str(folder))
        if args.copies > 0:
            with tempfile.TemporaryDirectory(prefix="reproduce_io_") as tmp:
                scaled = _copies(folder, args.copies, Path(tmp))
                print()
                bench(scaled, args.repeat,
                      f"{folder.name} copied {args.copies}x under new names (simulated scale)")
                if args.profile:
                    _profile(scaled, args.profile)
        elif args.profile:
            _profile(folder, args.profile)


if __name__ == "__main__":
    main()
