"""Re-execute the 40-review Pairwise70 sample with our engine and with R metafor; compare; time.

    PYTHONPATH=. python benchmarks/reproduce_vs_metafor.py [--repeats 5] [--sample DIR]

Both sides pool the same units ("segments": every pooled analysis and every subgroup, settings
as inferred by ``mytools.reproduce.infer_settings`` from RevMan's own numbers): ours in one call of
the engine's batch API (``mytools.engine.batch.pool_batch``), metafor in a loop of ``rma.uni``
(inverse variance: fixed, DL, REML) or ``rma.mh`` (Mantel–Haenszel fixed, on the cells with
RevMan's 0.5 correction) — the way a meta-researcher loops over thousands of analyses. Reading the
files and inferring the settings are timed separately (not part of the pooling comparison).

Identity: estimate and SE of every unit (and τ² and Q for inverse variance) agree to 1e-8.
Units metafor cannot pool RevMan's way are timed but not compared: Mantel–Haenszel random effects
(RevMan's τ² comes from Q about the MH estimate; metafor's DL from Q about the IV estimate) and
Peto (metafor's ``rma.peto`` is not used; Peto units are pooled as IV of (O−E)/V, identical).
Prints the per-analysis time ratio (metafor loop / our batch).
"""
from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from mytools.data.revman import read_review  # noqa: E402
from mytools.engine.batch import pool_batch  # noqa: E402
from mytools.reproduce import infer_settings  # noqa: E402
from mytools.reproduce.segments import build_segments  # noqa: E402

SAMPLE = ROOT.parent / "shared" / "fixtures" / "pairwise70-sample"
TOL = 1e-8


def load(sample: Path):
    t0 = time.perf_counter()
    reviews = [read_review(f) for f in sorted(sample.glob("*-data-rows.csv"))]
    t1 = time.perf_counter()
    settings = [infer_settings(r) for r in reviews]
    t2 = time.perf_counter()
    rows, segs, off = [], [], 0
    for r, s in zip(reviews, settings):
        rw, sg = build_segments(r, s)
        rw["segment"] += off
        off += len(sg)
        rows.append(rw)
        segs.append(sg.assign(review=r.review_id))
    rows = pd.concat(rows, ignore_index=True).drop(columns="row")
    rows["segment"] = rows["segment"].astype(int)
    segs = pd.concat(segs, ignore_index=True)
    return rows, segs, {"read": t1 - t0, "infer": t2 - t1, "reviews": len(reviews)}


def ours(rows, segs, repeats: int):
    seg_in = segs.drop(columns=["analysis", "kind", "subgroup_number", "review"])
    best = np.inf
    for _ in range(repeats):
        t0 = time.perf_counter()
        res = pool_batch(rows, seg_in)
        best = min(best, time.perf_counter() - t0)
    return res, best


def metafor_inputs(rows, segs, res):
    st = res.studies
    ok = st["estimable"].to_numpy(bool)
    mh = (segs["method"] == "MH").to_numpy()
    a, n1 = rows["events_intervention"].to_numpy(float), rows["n_intervention"].to_numpy(float)
    c, n2 = rows["events_control"].to_numpy(float), rows["n_control"].to_numpy(float)
    sw = segs["swap_events"].to_numpy(bool)[rows["segment"].to_numpy(int)]
    a, c = np.where(sw, n1 - a, a), np.where(sw, n2 - c, c)
    cells = np.c_[a, n1 - a, c, n2 - c]
    corr = st["zero_cell_corrected"].to_numpy(bool)[:, None] * 0.5
    cells = cells + corr
    r = pd.DataFrame({"segment": rows["segment"], "yi": st["y"], "vi": st["v"], "ai": cells[:, 0],
                      "bi": cells[:, 1], "ci": cells[:, 2], "di": cells[:, 3]})[ok]
    pooled_ok = (res.pooled["status"] == "ok").to_numpy()
    fit = np.where(mh & (segs["model"] == "fixed").to_numpy(), "rma.mh", "rma")
    method = np.where(segs["model"] == "fixed", "FE",
                      np.where(segs["tau2_method"].fillna("DL") == "REML", "REML", "DL"))
    s = pd.DataFrame({"segment": segs.index, "fit": fit, "method": method,
                      "measure": segs["measure"]})[pooled_ok]
    comparable = ~(mh & (segs["model"] == "random").to_numpy())
    return r, s, comparable[pooled_ok]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--sample", type=Path, default=SAMPLE)
    args = ap.parse_args()
    rows, segs, prep = load(args.sample)
    res, t_ours = ours(rows, segs, args.repeats)
    r_rows, r_segs, comparable = metafor_inputs(rows, segs, res)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        r_rows.to_csv(tmp / "rows.csv", index=False, float_format="%.17g")
        r_segs.to_csv(tmp / "segs.csv", index=False)
        cmd = ["Rscript", str(ROOT / "benchmarks" / "reproduce_vs_metafor.R"), str(tmp / "rows.csv"),
               str(tmp / "segs.csv"), str(tmp / "out.csv"), str(max(1, args.repeats // 2))]
        out = subprocess.run(cmd, capture_output=True, text=True, check=True)
        r_out = pd.read_csv(tmp / "out.csv").set_index("segment")
    t_r = float(out.stdout.split("ELAPSED")[1])
    p = res.pooled.loc[r_out.index]
    cmp = r_out[comparable]
    pc = p[comparable]
    diffs = {"theta": np.abs(pc["theta"] - cmp["theta"]).max(),
             "se": np.abs(pc["se"] - cmp["se"]).max()}
    iv = (r_segs.set_index("segment").loc[cmp.index, "fit"] == "rma").to_numpy()
    diffs["tau2"] = np.abs(pc["tau2"].fillna(0)[iv] - cmp["tau2"][iv]).max()
    diffs["q"] = np.abs(pc["q"][iv] - cmp["q"][iv]).max()
    n = len(r_segs)
    print(f"{prep['reviews']} reviews, {segs['analysis'].groupby(segs['review']).nunique().sum()} "
          f"analyses, {len(segs)} pooled units ({n} with an estimate), {len(rows)} study rows")
    print(f"read {prep['read']:.2f} s, infer settings {prep['infer']:.2f} s (not in the comparison)")
    print(f"ours   : {t_ours * 1e3:.1f} ms for all units in one pool_batch call "
          f"({t_ours / n * 1e6:.1f} µs per unit)")
    print(out.stdout.splitlines()[0])
    print(f"metafor: {t_r:.2f} s ({t_r / n * 1e3:.2f} ms per unit)")
    print(f"identical numbers on {int(comparable.sum())} comparable units: max |diff| "
          + ", ".join(f"{k} {v:.1e}" for k, v in diffs.items()))
    ratio = t_r / t_ours
    print(f"RATIO per analysis: ours is {ratio:.0f}x faster than the metafor loop")
    ok = all(v <= TOL for v in diffs.values())
    if not ok:
        print(f"NOT IDENTICAL (tolerance {TOL})", file=sys.stderr)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
