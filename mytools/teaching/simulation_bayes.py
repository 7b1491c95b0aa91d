"""The simulation lab with a Bayesian interval: coverage and width of the 95% intervals of the
fixed-effect, DerSimonian–Laird, REML + Hartung–Knapp and Bayesian methods at k = 2, 3, 5.

Same design as :mod:`.simulation` (mean differences in SD units, arm sizes drawn from the review's
trials, variances estimated as a trial would; :func:`.simulation.simulate_studies`), on a smaller
grid so that the book's build stays fast: τ² in ``BAYES_TAU2`` and ``BAYES_N_REP`` replicates per
cell (Monte-Carlo SE of a coverage near 95%: √(0.95 × 0.05 / n) ≈ 1.1 points at n = 400). The
Bayesian interval is the central 95% credible interval of μ from ``pool_bayes`` with μ flat and
τ ~ half-normal(0.5) (Friede et al. 2017's weakly informative choice for few small trials),
computed for all replicates of a k in one vectorised call. Coverage = share of intervals that
contain the true μ = 0.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd

from ..engine import HalfNormal, pool_bayes
from .simulation import METHODS, SEED, _mcse, _pool, simulate_studies

__all__ = ["BAYES_K", "BAYES_TAU2", "BAYES_N_REP", "BAYES_PRIOR", "BAYES_LABEL", "run_bayes_lab",
           "bayes_lab_table", "bayes_lab_values", "bayes_lab_sentences"]

BAYES_K: tuple[int, ...] = (2, 3, 5)
BAYES_TAU2: tuple[float, ...] = (0.0, 0.1, 0.4)
BAYES_N_REP: int = 400
BAYES_PRIOR = HalfNormal(0.5)
BAYES_LABEL = "Bayesian, half-normal(0.5) prior on τ"


def _cells(covered: np.ndarray, width: np.ndarray, cell: np.ndarray, n: int, n_rep: int):
    cov = np.bincount(cell, weights=covered, minlength=n) / n_rep
    wid = np.bincount(cell, weights=width, minlength=n) / n_rep
    return cov, wid


def run_bayes_lab(arm_sizes: np.ndarray | Sequence[Sequence[int]], *, k_values: Sequence[int] = BAYES_K,
                  tau2_values: Sequence[float] = BAYES_TAU2, n_rep: int = BAYES_N_REP, seed: int = SEED,
                  prior=BAYES_PRIOR) -> pd.DataFrame:
    """One row per (k, τ², method): ``coverage``, ``mcse``, ``mean_width`` of the 95% intervals.
    Methods: the lab's three (:data:`.simulation.METHODS`) and ``bayes``; each k seeded from
    ``(seed, k, 1)`` (independent of the main lab's draws)."""
    sizes = np.asarray(arm_sizes, dtype=float)
    grid = np.asarray(tau2_values, dtype=float)
    rows: list[dict[str, object]] = []
    for k in k_values:
        rng = np.random.default_rng(np.random.SeedSequence([seed, int(k), 1]))
        y, v = simulate_studies(rng, int(k), np.repeat(grid, n_rep), sizes)
        cell = np.repeat(np.arange(grid.size), n_rep)
        found: list[tuple[str, str, np.ndarray, np.ndarray]] = []
        for m in METHODS:
            res = _pool(y, v, m)  # the lab's own pool call (one place for the engine's options)
            found.append((m.key, m.label, np.asarray(res.ci_low), np.asarray(res.ci_high)))
        b = pool_bayes(y, np.sqrt(v), prior)
        found.append(("bayes", BAYES_LABEL, np.asarray(b.summary["mu"]["ci_low"]),
                      np.asarray(b.summary["mu"]["ci_high"])))
        for key, label, lo, hi in found:
            cov, wid = _cells((lo <= 0.0) & (hi >= 0.0), hi - lo, cell, grid.size, n_rep)
            rows += [{"k": int(k), "tau2": float(t), "method": key, "label": label, "coverage": float(cov[j]),
                      "mcse": float(_mcse(cov[j], n_rep)), "mean_width": float(wid[j])}
                     for j, t in enumerate(grid)]
    return pd.DataFrame(rows)


def bayes_lab_table(frame: pd.DataFrame) -> pd.DataFrame:
    """For reading: one row per (k, τ²), for each method "coverage % (mean width)"."""
    out = []
    for (k, t), g in frame.groupby(["k", "tau2"], sort=True):
        row: dict[str, object] = {"Trials": int(k), "τ²": f"{t:g}"}
        for r in g.itertuples(index=False):
            row[r.label] = f"{100 * r.coverage:.1f}% ({r.mean_width:.2f})"
        out.append(row)
    return pd.DataFrame(out)


def bayes_lab_values(frame: pd.DataFrame, prefix: str = "fewsim") -> dict[str, float]:
    """Values for prose: coverage and mean width of every cell, keyed
    ``{prefix}_{method}_k{k}_t{τ² × 100:g}_cov`` / ``…_width``, and the replicates per cell."""
    out: dict[str, float] = {}
    for r in frame.itertuples(index=False):
        tag = f"{prefix}_{r.method}_k{r.k}_t{r.tau2 * 100:g}"
        out[f"{tag}_cov"] = r.coverage
        out[f"{tag}_width"] = r.mean_width
    return out


def bayes_lab_sentences(frame: pd.DataFrame) -> list[str]:
    """For each k: the Bayesian interval's coverage range and width beside Hartung–Knapp's, in words."""
    out = []
    for k, g in frame.groupby("k", sort=True):
        b, h = g[g["method"] == "bayes"], g[g["method"] == "reml_hksj"]
        out.append(f"With {int(k)} trials the Bayesian interval covered {100 * b['coverage'].min():.1f}% to "
                   f"{100 * b['coverage'].max():.1f}% of the time across the values of τ², with a mean width "
                   f"of {b['mean_width'].min():.2f} to {b['mean_width'].max():.2f} SD; REML + Hartung–Knapp "
                   f"covered {100 * h['coverage'].min():.1f}% to {100 * h['coverage'].max():.1f}% with widths "
                   f"{h['mean_width'].min():.2f} to {h['mean_width'].max():.2f}.")
    return out
