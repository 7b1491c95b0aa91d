"""How much an answer depends on the model: one analysis under the review's model, random effects
(REML + Hartung–Knapp, plain and with the variance factor floored at 1), the frequentist
prediction interval and, when given, the Bayesian posterior of μ and the prediction θ_new.

Rows (``MODEL_ROWS``, codes; words in :mod:`mytools.present.model_weight`):

* ``review`` — the analysis as registered (the review's own measure, method and model).
* ``reml_hksj`` — REML τ² (Viechtbauer 2005), Hartung–Knapp–Sidik–Jonkman interval (t on k − 1
  df; Hartung & Knapp 2001, IntHout et al. 2014), as RevMan offers since January 2025.
* ``reml_hksj_floor`` — the same with the variance factor q floored at 1 (Knapp & Hartung 2003;
  Röver et al. 2015): never narrower than the Wald interval with the t quantile.
* ``prediction`` — where a new trial's true effect would lie: μ̂ ± t_{k−2} √(τ̂² + SE²) with REML
  τ̂² and the REML mean's Wald SE (Higgins, Thompson & Spiegelhalter 2009), from the engine's
  ``prediction_df = "k-2"``; only for k ≥ 3.
* ``bayes_mu`` / ``bayes_new`` — the posterior median and central 95% credible interval of μ and of
  θ_new, from a ``pool_bayes`` summary frame passed in (:func:`bayes_rows`).

The random-effects rows need k ≥ 2 (with one study they equal the review's result and are left
out). Every interval is on the natural scale (ratios for RR), with ``excludes_null`` (the 95%
interval lies wholly on one side of no effect).
"""
from __future__ import annotations

import math
from typing import Any

import pandas as pd

from ..data import Dataset
from .run import analysis
from .variants import reanalyse
from ..engine.vocabulary import is_ratio

__all__ = ["MODEL_ROWS", "model_weight", "bayes_rows", "null_of"]

MODEL_ROWS = ("review", "reml_hksj", "reml_hksj_floor", "prediction", "bayes_mu", "bayes_new")
_COLUMNS = ("analysis_id", "row", "estimate", "ci_low", "ci_high", "k", "measure", "excludes_null")


def null_of(measure: str) -> float:
    """No effect on the natural scale: 1 for ratios, 0 for differences."""
    return 1.0 if is_ratio(measure) else 0.0


def _row(aid: str, key: str, est: Any, lo: Any, hi: Any, k: int, measure: str) -> dict[str, Any]:
    null = null_of(measure)
    finite = lo is not None and hi is not None and math.isfinite(float(lo)) and math.isfinite(float(hi))
    excl = bool(finite and (float(lo) > null or float(hi) < null)) if finite else None
    return {"analysis_id": aid, "row": key, "estimate": None if est is None else float(est),
            "ci_low": float(lo) if finite else math.nan, "ci_high": float(hi) if finite else math.nan,
            "k": int(k), "measure": measure, "excludes_null": excl}


def bayes_rows(analysis_id: str, summary: pd.DataFrame, k: int, measure: str) -> list[dict[str, Any]]:
    """``bayes_mu`` and ``bayes_new`` rows from a ``pool_bayes`` ``summary_frame()`` (index ``mu``,
    ``theta_new``; columns ``median``, ``ci_low``, ``ci_high`` on the analysis scale, log for ratios).

    >>> s = pd.DataFrame({"median": [0.0, 0.0], "ci_low": [-1.0, -2.0], "ci_high": [1.0, 2.0]},
    ...                  index=["mu", "theta_new"])
    >>> [round(r["ci_high"], 3) for r in bayes_rows("x", s, 2, "RR")]
    [2.718, 7.389]
    """
    back = math.exp if is_ratio(measure) else (lambda v: v)
    out = []
    for key, name in (("bayes_mu", "mu"), ("bayes_new", "theta_new")):
        r = summary.loc[name]
        out.append(_row(analysis_id, key, back(float(r["median"])), back(float(r["ci_low"])),
                        back(float(r["ci_high"])), k, measure))
    return out


def model_weight(analysis_id: str, data: Dataset,
                 bayes: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per model (``MODEL_ROWS`` that apply) for one analysis: ``row``, ``estimate``,
    ``ci_low``, ``ci_high`` (natural scale), ``k``, ``measure``, ``excludes_null``.

    ``bayes``: the analysis' ``pool_bayes`` summary frame (see :func:`bayes_rows`), or None.
    """
    ar = analysis(analysis_id, data)
    if ar.result is None:
        raise ValueError(f"{analysis_id}: not computable (inputs of {', '.join(ar.missing)} not available)")
    r, m = ar.result, ar.measure
    rows = [_row(analysis_id, "review", r.estimate, r.ci_low, r.ci_high, r.k, m)]
    if r.k >= 2:
        for key in ("reml_hksj", "reml_hksj_floor"):
            v = reanalyse(analysis_id, data, variant=key)
            rows.append(_row(analysis_id, key, v.estimate, v.ci_low, v.ci_high, r.k, m))
    if r.k >= 3:
        p = reanalyse(analysis_id, data, variant="random_reml")  # prediction_df "k-2" (REVMAN5's setting)
        rows.append(_row(analysis_id, "prediction", p.estimate, p.pi_low, p.pi_high, r.k, m))
    if bayes is not None:
        rows.extend(bayes_rows(analysis_id, bayes, r.k, m))
    return pd.DataFrame(rows, columns=list(_COLUMNS))
