"""Conformance on reviews nobody tuned for: `reproduce` on every Pairwise70 review outside ../shared.

    pip install -r benchmarks/requirements.txt        # rdata, to read the package's .rda files
    git clone https://github.com/mahmood789/Pairwise70 /tmp/Pairwise70   # MIT; 501 reviews
    python benchmarks/conformance_pairwise70.py /tmp/Pairwise70 [--out /tmp/p70-csv]

* reads each ``data/<CD>_data.rda`` of the R package Pairwise70 (Cochrane's data-rows tables,
  repackaged; the source of ``../shared/fixtures/pairwise70-*``) and writes it as a
  ``-data-rows.csv`` with the data package's own 25 column names (R's NA as an empty cell,
  numbers to 15 significant digits, a missing ``Subgroup number`` column as an empty one); read
  this way, the 46 reviews in ``../shared/fixtures`` give the same values as those files;
* leaves out the reviews held in ``../shared/fixtures/pairwise70-sample`` and ``-hard`` (the
  ones the code was developed on) and splits the rest in two at random with a fixed seed: a
  development half, whose differences one may study, and a held-out half, to be measured only;
* runs ``python -m mytools reproduce`` on each half and prints, per half: analyses, how many
  match, how many RevMan left uncalculated (nothing to compare), how many differ with a named
  RevMan behaviour (:mod:`mytools.reproduce.explain`) and how many differ unexplained.
"""
from __future__ import annotations

import argparse
import csv
import math
import random
import subprocess
import sys
import tempfile
from pathlib import Path

COLUMNS = ["Analysis group", "Analysis number", "Analysis name", "Subgroup", "Subgroup number",
           "Applicability", "Study", "Study year", "GIV Mean", "GIV SE", "Experimental mean",
           "Experimental SD", "Experimental cases", "Experimental N", "Control mean", "Control SD",
           "Control cases", "Control N", "O-E", "Variance", "Weight", "Mean", "CI start",
           "CI end", "Footnotes"]
SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "fixtures"
SEED, DEV = 20261207, 228
BLANK = "RevMan stored no results"


def _cell(x) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)) or str(x) == "<NA>":
        return ""
    if isinstance(x, float):
        return str(int(x)) if x == int(x) and abs(x) < 1e15 else "%.15g" % x
    return str(x)


def convert(rda: Path, out: Path) -> Path:
    """One ``<CD>_data.rda`` → ``<CD>-data-rows.csv`` in ``out`` (see the module docstring)."""
    try:
        import rdata  # benchmark-only dependency
    except ImportError:
        sys.exit("reading Pairwise70's .rda files needs rdata: pip install -r benchmarks/requirements.txt")

    (frame,) = rdata.read_rda(str(rda)).values()
    frame = frame.rename(columns={c: str(c).replace(".", " ").replace("O E", "O-E")
                                  for c in frame.columns})
    for c in COLUMNS:
        if c not in frame.columns:
            frame[c] = None
    dst = out / (rda.name[: -len("_data.rda")] + "-data-rows.csv")
    with dst.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(COLUMNS)
        w.writerows([_cell(x) for x in row] for row in frame[COLUMNS].itertuples(index=False))
    return dst


def held_in_shared() -> set[str]:
    return {p.name for d in ("pairwise70-sample", "pairwise70-hard")
            for p in (SHARED / d).glob("*-data-rows.csv")}


def measure(folder: Path) -> dict:
    """``reproduce`` on ``folder`` (a fresh process); counts from its CSV report."""
    report = folder.with_suffix(".report.csv")
    subprocess.run([sys.executable, "-m", "mytools", "reproduce", str(folder), "--quiet",
                    "--csv", str(report)], check=False)
    lines = list(csv.DictReader(report.open()))
    status = [r["status"] for r in lines]
    blank = sum(r["reason"].startswith(BLANK) for r in lines)
    named = sum(r["status"] == "differs" and r["reason"].endswith(")") for r in lines)
    return {"analyses": len(lines), "match": status.count("match"), "revman blank": blank,
            "other not computable": status.count("not computable") - blank,
            "differ, named": named, "differ, unexplained": status.count("differs") - named}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("pairwise70", type=Path, help="a Pairwise70 checkout (or its data/ folder)")
    ap.add_argument("--out", type=Path, help="where to write the CSV files (default: a temp dir)")
    args = ap.parse_args()
    data = args.pairwise70 / "data" if (args.pairwise70 / "data").is_dir() else args.pairwise70
    if not any(data.glob("*_data.rda")):
        sys.exit(f"{data}: no <CD>_data.rda files (expected a Pairwise70 checkout or its data/ folder)")
    out = args.out or Path(tempfile.mkdtemp(prefix="pairwise70-"))
    seen = held_in_shared()
    files = sorted(p.name for p in (convert(r, _mkdir(out / "all")) for r in sorted(data.glob("*_data.rda")))
                   if p.name not in seen)
    random.Random(SEED).shuffle(files)
    parts = {"development": files[:DEV], "held out": files[DEV:]}
    print(f"{len(files)} Pairwise70 reviews outside ../shared/fixtures ({len(seen)} held there); "
          f"split with seed {SEED}\n")
    for name, members in parts.items():
        folder = _mkdir(out / name.replace(" ", "-"))
        for f in members:
            (folder / f).write_bytes((out / "all" / f).read_bytes())
        m = measure(folder)
        computed = m["analyses"] - m["revman blank"]
        print(f"{name:12s} {len(members)} reviews, {m['analyses']:,} analyses: {m['match']:,} match "
              f"({100 * m['match'] / m['analyses']:.2f} % of all; {100 * m['match'] / computed:.2f} % "
              f"of the {computed:,} RevMan calculated)")
        print("             " + "; ".join(f"{k} {v}" for k, v in m.items() if k not in ("analyses", "match")))


def _mkdir(p: Path) -> Path:
    p.mkdir(parents=True, exist_ok=True)
    return p


if __name__ == "__main__":
    main()
