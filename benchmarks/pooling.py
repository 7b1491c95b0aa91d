"""Benchmark: pool_many against statsmodels and the scalar engine; pool_batch against pool_many.

Run from the project root:  python benchmarks/pooling.py  [--n 100000] [--sample 2000] [--seed 1]
Needs statsmodels (pinned in benchmarks/requirements.txt; not a book dependency).

What it does
* draws N random 3-study analyses (y ~ N(0, 0.4²), v ~ U(0.01, 0.4));
* times pool_many on all of them (random effects, DerSimonian–Laird, Wald), best of 5;
* times statsmodels' combine_effects(method_re="dl") looped over a sample (best of 3), and our scalar
  pool_generic over the same sample; prints per-analysis times and the speed ratio;
* times pool_batch (long format, as ``reproduce`` calls it: one row per study, one segment per
  analysis, data type "generic") on the same N analyses, best of 3, and prints its ratio to
  pool_many — both are the same core (mytools.engine.core), so the ratio is the cost of the
  long-format layout, the per-segment settings and the two result tables;
* prints the largest difference between pool_many and pool_generic (scalar reference), and
  between pool_many and statsmodels, separately where statsmodels' τ² is ≥ 0 and where it is < 0.

Why statsmodels differs: its DL τ² (statsmodels.stats.meta_analysis._fit_tau_mm) is the raw
moment estimate (Q − (k−1))/(Σw − Σw²/Σw) without the max(0, ·) floor of DerSimonian & Laird
(1986) and RevMan, so whenever Q < k − 1 it returns a negative τ² and uses weights 1/(v − |τ²|):
the random-effects estimate and SE are then wrong. With τ² ≥ 0 the two agree to rounding error.
Timing is wall-clock on whatever machine runs it; it is a benchmark, not a test.
"""
from __future__ import annotations

import argparse
import platform
import time
import warnings

import numpy as np

from mytools import pool_batch, pool_generic, pool_many


def best_of(fn, repeat: int = 5) -> float:
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=100_000, help="number of 3-study analyses")
    ap.add_argument("--sample", type=int, default=2_000, help="analyses looped in statsmodels/scalar")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()

    import scipy
    import statsmodels
    from statsmodels.stats.meta_analysis import combine_effects

    rng = np.random.default_rng(args.seed)
    Y = rng.normal(0.0, 0.4, size=(args.n, 3))
    V = rng.uniform(0.01, 0.4, size=(args.n, 3))

    print(f"python {platform.python_version()}, numpy {np.__version__}, scipy {scipy.__version__}, "
          f"statsmodels {statsmodels.__version__}; {platform.processor() or platform.machine()}")
    print(f"{args.n:,} random 3-study analyses, random effects DL, Wald CI\n")

    res = pool_many(Y, V, tau2_method="DL", ci_method="wald")
    t_many = best_of(lambda: pool_many(Y, V, tau2_method="DL", ci_method="wald"))
    print(f"pool_many (vectorised)      total {t_many:8.4f} s   per analysis {t_many / args.n * 1e6:10.3f} µs")

    rows = {"segment": np.repeat(np.arange(args.n), 3), "giv_estimate": Y.ravel(),
            "giv_se": np.sqrt(V).ravel()}
    segs = {"data_type": np.full(args.n, "generic", dtype=object),
            "model": np.full(args.n, "random", dtype=object)}
    bat = pool_batch(rows, segs).pooled
    t_batch = best_of(lambda: pool_batch(rows, segs), repeat=3)
    print(f"pool_batch (long format)    total {t_batch:8.4f} s   per analysis "
          f"{t_batch / args.n * 1e6:10.3f} µs")
    d_b = np.max(np.abs(bat[["theta", "se", "tau2", "q"]].to_numpy()
                        - np.c_[res.estimate, res.se, res.tau2, res.q]))
    print(f"ratio pool_batch / pool_many on the same {args.n:,} analyses: {t_batch / t_many:.1f}x "
          f"(largest difference {d_b:.3g})")

    idx = rng.choice(args.n, size=min(args.sample, args.n), replace=False)

    def sm_loop():
        out = []
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # sqrt of negative HKSJ variances
            for i in idx:
                r = combine_effects(Y[i], V[i], method_re="dl")
                out.append((r.mean_effect_re, r.sd_eff_w_re, r.tau2))
        return np.array(out)

    sm = sm_loop()
    t_sm = best_of(sm_loop, repeat=3)  # best of 3, like pool_many's best of 5: robust to machine load
    per_sm = t_sm / idx.size
    print(f"statsmodels combine_effects loop ({idx.size:,})   per analysis {per_sm * 1e6:10.1f} µs")

    t0 = time.perf_counter()
    sc = np.array([(g.theta, g.se, g.tau2, g.q) for g in
                   (pool_generic(Y[i], np.sqrt(V[i]), model="random") for i in idx)])
    per_sc = (time.perf_counter() - t0) / idx.size
    print(f"pool_generic scalar loop ({idx.size:,})          per analysis {per_sc * 1e6:10.1f} µs")

    per_many = t_many / args.n
    print(f"\nratio statsmodels / pool_many per analysis: {per_sm / per_many:,.0f}x")
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


if __name__ == "__main__":
    main()
