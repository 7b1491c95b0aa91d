"""Benchmark: pool_many against statsmodels and the scalar engine; pool_batch against pool_many.

Run from the project root:  python benchmarks/pooling.py  [--n 100000] [--sample 2000] [--seed 1]
                            [--rounds 7] [--release-0.2 REF] [--profile]
Needs statsmodels (pinned in benchmarks/requirements.txt; not a book dependency).

What it does
* draws N random 3-study analyses (y ~ N(0, 0.4²), v ~ U(0.01, 0.4));
* times, interleaved in the same rounds (best of ``--rounds`` each, so every contender sees the
  same machine load): pool_many on all N (random effects, DerSimonian–Laird, Wald); pool_batch on
  the same N in long format, as ``reproduce`` calls it (one row per study, one segment per
  analysis, data type "generic"), three ways — see BATCH below for what each computes; its
  tables are built when first read, so each way reads the tables it names; statsmodels'
  combine_effects(method_re="dl") looped over a sample; and release 0.2's pool_many (its
  ``mytools/engine`` read from git at ``--release-0.2``, default the last commit of 2026-11-29,
  version 0.2.0) on the same N — so a change in the statsmodels ratio can be told apart: our
  side slower, or statsmodels faster on this machine;
* prints per-analysis times and the ratios side by side: statsmodels / pool_many and each
  pool_batch way / pool_many (the same core, mytools.engine.core: the ratio is the cost of the
  long-format layout, the per-segment settings, the columns pool_many does not compute and the
  tables);
* times our scalar pool_generic over the sample; ``--profile``: where pool_batch's time goes;
* prints the largest difference between pool_many and pool_generic (scalar reference), and
  between pool_many and statsmodels, separately where statsmodels' τ² is ≥ 0 and where it is < 0.

Allocator: the script first allocates and frees one 24 MB array, so that glibc's malloc serves
arrays of this size (2.4 MB: 100,000 × 3 doubles) from its heap for the rest of the run, as in a
long-running process. Without it, whether a contender's arrays come fresh from the OS (page
faults on every call) depends on what ran before it (glibc raises its mmap threshold to the
largest block freed): one pool_many call took 5.7 or 13.5 ms depending on the script around it.
The warm-up is the same for every contender.

Why statsmodels differs: its DL τ² (statsmodels.stats.meta_analysis._fit_tau_mm) is the raw
moment estimate (Q − (k−1))/(Σw − Σw²/Σw) without the max(0, ·) floor of DerSimonian & Laird
(1986) and RevMan, so whenever Q < k − 1 it returns a negative τ² and uses weights 1/(v − |τ²|):
the random-effects estimate and SE are then wrong. With τ² ≥ 0 the two agree to rounding error.
Timing is wall-clock on whatever machine runs it; it is a benchmark, not a test.
"""
from __future__ import annotations

import argparse
import cProfile
import importlib.util
import io
import platform
import pstats
import subprocess
import sys
import tarfile
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

from mytools import pool_batch, pool_generic, pool_many


RELEASE_02 = "15fdcfd57a29a76b6c6284d2adf5183f08f57d53"  # main at the end of 2026-11-29: 0.2.0

MANY = "θ, SE, CI, τ², Q, I², k (arrays)"
MANY_COLUMNS = ("k", "ci_low", "ci_high", "theta", "se", "q", "i2", "tau2")
# what each pool_batch way computes and returns (pool_batch's tables are built when first read)
BATCH = {
    "pool_batch cols": ("pool_batch(..., columns=<pool_many's>).pooled",
                        "pool_many's columns as a table (k, CI, θ, SE, Q, I², τ²) + status texts "
                        "(pooling, reason, note); no P, P of Q"),
    "pool_batch pooled": ("pool_batch(...).pooled",
                          "the whole pooled table: the above + natural-scale estimate and CI, z, "
                          "P, t df, df, P of Q (χ²), I² from Q and from τ², τ² CI, prediction "
                          "interval"),
    "pool_batch both": ("pool_batch(...) .pooled and .studies",
                        "the whole pooled table + the studies table (300,000 rows: y, v, "
                        "estimate, study CI, weight %, weight, estimable, zero-cell flag)"),
}


def warm_allocator() -> None:
    """Allocate and free 24 MB once: glibc then serves smaller arrays from its heap (see above)."""
    block = np.ones(3 * 1024 * 1024)
    del block


def best_of(fn, repeat: int = 5) -> float:
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def interleaved(fns: dict, rounds: int) -> dict[str, float]:
    """Best wall-clock time of each function over ``rounds`` rounds that run every function once."""
    best = {name: float("inf") for name in fns}
    for _ in range(rounds):
        for name, fn in fns.items():
            t0 = time.perf_counter()
            fn()
            best[name] = min(best[name], time.perf_counter() - t0)
    return best


def release_engine(ref: str):
    """Release 0.2's ``mytools/engine`` (self-contained) imported from git as ``engine_r02``, or
    None with the reason when git or the commit is not available."""
    root = Path(__file__).resolve().parents[1]
    try:
        tar = subprocess.run(["git", "-C", str(root), "archive", ref, "mytools/engine"],
                             capture_output=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError) as exc:
        print(f"release 0.2 ({ref[:7]}) not available from git: {exc}")
        return None
    tmp = Path(tempfile.mkdtemp(prefix="engine_r02_"))
    with tarfile.open(fileobj=io.BytesIO(tar)) as tf:
        tf.extractall(tmp, filter="data")
    pkg = tmp / "mytools" / "engine"
    spec = importlib.util.spec_from_file_location("engine_r02", pkg / "__init__.py",
                                                  submodule_search_locations=[str(pkg)])
    mod = importlib.util.module_from_spec(spec)
    sys.modules["engine_r02"] = mod
    spec.loader.exec_module(mod)
    return mod


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=100_000, help="number of 3-study analyses")
    ap.add_argument("--sample", type=int, default=2_000, help="analyses looped in statsmodels/scalar")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--rounds", type=int, default=7, help="interleaved timing rounds (best of)")
    ap.add_argument("--release-0.2", dest="release", default=RELEASE_02,
                    help="git commit of release 0.2 ('' to skip)")
    ap.add_argument("--profile", action="store_true", help="where pool_batch's time goes")
    args = ap.parse_args()

    import scipy
    import statsmodels
    from statsmodels.stats.meta_analysis import combine_effects

    warm_allocator()
    rng = np.random.default_rng(args.seed)
    Y = rng.normal(0.0, 0.4, size=(args.n, 3))
    V = rng.uniform(0.01, 0.4, size=(args.n, 3))

    print(f"python {platform.python_version()}, numpy {np.__version__}, scipy {scipy.__version__}, "
          f"statsmodels {statsmodels.__version__}; {platform.processor() or platform.machine()}")
    print(f"{args.n:,} random 3-study analyses, random effects DL, Wald CI; best of {args.rounds} "
          "interleaved rounds\n")

    rows = {"segment": np.repeat(np.arange(args.n), 3), "giv_estimate": Y.ravel(),
            "giv_se": np.sqrt(V).ravel()}
    segs = {"data_type": np.full(args.n, "generic", dtype=object),
            "model": np.full(args.n, "random", dtype=object)}
    idx = rng.choice(args.n, size=min(args.sample, args.n), replace=False)

    def sm_loop():
        out = []
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # sqrt of negative HKSJ variances
            for i in idx:
                r = combine_effects(Y[i], V[i], method_re="dl")
                out.append((r.mean_effect_re, r.sd_eff_w_re, r.tau2))
        return np.array(out)

    def both():
        r = pool_batch(rows, segs)
        return r.pooled, r.studies

    fns = {"pool_many": lambda: pool_many(Y, V, tau2_method="DL", ci_method="wald"),
           "pool_batch cols": lambda: pool_batch(rows, segs, columns=MANY_COLUMNS).pooled,
           "pool_batch pooled": lambda: pool_batch(rows, segs).pooled,
           "pool_batch both": both, "statsmodels": sm_loop}
    old = release_engine(args.release) if args.release else None
    if old is not None:
        fns["pool_many 0.2"] = lambda: old.pool_many(Y, V, tau2_method="DL", ci="wald")
    res, bat, sm = fns["pool_many"](), fns["pool_batch pooled"](), sm_loop()  # warm up
    t = interleaved(fns, args.rounds)
    t_many, per_sm = t["pool_many"], t["statsmodels"] / idx.size
    per_many = t_many / args.n
    print(f"pool_many (vectorised)      total {t_many:8.4f} s   per analysis {per_many * 1e6:10.3f} µs"
          f"   computes {MANY}")
    for name, (call, what) in BATCH.items():
        print(f"{name + ' (long format)':28s}total {t[name]:8.4f} s   per analysis "
              f"{t[name] / args.n * 1e6:10.3f} µs   {call}: {what}")
    print(f"statsmodels combine_effects loop ({idx.size:,})   per analysis {per_sm * 1e6:10.1f} µs")
    if old is not None:
        t_old = t["pool_many 0.2"]
        print(f"release 0.2 pool_many       total {t_old:8.4f} s   per analysis "
              f"{t_old / args.n * 1e6:10.3f} µs   (git {args.release[:7]})")
    d_b = np.max(np.abs(bat[["theta", "se", "tau2", "q"]].to_numpy()
                        - np.c_[res.estimate, res.se, res.tau2, res.q]))
    print(f"\nratio statsmodels / pool_many per analysis:        {per_sm / per_many:8,.0f}x"
          "   (goal ≥ 1,000x)")
    for name in BATCH:
        print(f"ratio {name} / pool_many, same {args.n:,} analyses: {t[name] / t_many:5.1f}x"
              f"   (goal ≤ 3x)")
    print(f"largest difference pool_batch - pool_many (θ, SE, τ², Q): {d_b:.3g}")
    if old is not None:
        print(f"ratio statsmodels / release 0.2's pool_many:         {per_sm / (t_old / args.n):8,.0f}x"
              f"   (0.2's pool_many / today's: {t_old / t_many:.2f})")
    if args.profile:
        profile_batch(both)

    t0 = time.perf_counter()
    sc = np.array([(g.theta, g.se, g.tau2, g.q) for g in
                   (pool_generic(Y[i], np.sqrt(V[i]), model="random") for i in idx)])
    per_sc = (time.perf_counter() - t0) / idx.size
    print(f"pool_generic scalar loop ({idx.size:,})          per analysis {per_sc * 1e6:10.1f} µs")

    print(f"ratio pool_generic / pool_many per analysis: {per_sc / per_many:,.0f}x")
    print(f"100,000 analyses in < 0.2 s: {'yes' if t_many * 100_000 / args.n < 0.2 else 'NO'}")

    d_sc = np.max(np.abs(np.c_[res.estimate[idx], res.se[idx], res.tau2[idx], res.q[idx]] - sc))
    print(f"\nlargest |pool_many - pool_generic| (estimate, se, tau2, Q) over the sample: {d_sc:.3g}")

    neg = sm[:, 2] < 0
    ok = ~neg
    d_ok = np.max(np.abs(np.c_[res.estimate[idx], res.se[idx], res.tau2[idx]][ok] - sm[ok]))
    print(f"statsmodels tau2 < 0 in {neg.mean() * 100:.1f}% of the sample "
          f"(we floor at 0, as DerSimonian-Laird and RevMan do)")
    print(f"largest |pool_many - statsmodels| where its tau2 >= 0: {d_ok:.3g}")
    if neg.any():
        d_neg = np.max(np.abs(res.estimate[idx][neg] - sm[neg, 0]))
        print(f"largest |estimate difference| where its tau2 < 0: {d_neg:.3g} "
              f"(statsmodels weights 1/(v + tau2) with a negative tau2; not a valid DL estimate)")

    for tm in ("REML", "PM"):
        for ci in ("wald", "hksj"):
            t = best_of(lambda: pool_many(Y, V, tau2_method=tm, ci_method=ci), repeat=3)
            r = pool_many(Y, V, tau2_method=tm, ci_method=ci)
            print(f"pool_many {tm:4s} {ci:4s}: total {t:7.3f} s for {args.n:,} "
                  f"({r.iterations} vectorised iterations)")


STAGES = (("segment_settings", "settings: factorise and check the segments' settings"),
          ("row_effects", "per-study effects of the rows"),
          ("pad_segments", "lay the rows out as padded matrices"),
          ("pool_rows", "the core (pool_many's part, prediction interval, I² from τ², weights)"),
          ("_report", "  of which prediction interval, I² from τ²"),
          ("_p_values", "P and P of Q (chi-square), when the pooled table is read"),
          ("_frame", "the pooled table (one row per analysis)"),
          ("_studies", "the studies table (one row per study)"))


def profile_batch(fn, repeat: int = 3) -> None:
    """cProfile of ``fn`` (pool_batch, both tables read): the share of its time in each stage
    (cumulative)."""
    prof = cProfile.Profile()
    prof.enable()
    for _ in range(repeat):
        fn()
    prof.disable()
    cum = {}
    for (file, _, name), v in pstats.Stats(prof).stats.items():
        if "mytools" in file or name == "both":
            cum[name] = cum.get(name, 0.0) + v[3]
    total = cum["both"]
    print(f"\npool_batch under cProfile ({repeat} calls): share of its time by stage (cumulative)")
    for name, what in STAGES:
        print(f"  {100 * cum.get(name, 0.0) / total:5.1f}%  {what} ({name})")


if __name__ == "__main__":
    main()
