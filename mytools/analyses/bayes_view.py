"""What a Bayesian result says about one registered analysis, in the terms a reader asks about:
μ and the prediction θ_new on the natural scale, P(benefit) and P(an important benefit).

Given a ``pool_bayes`` result (``summary_frame()`` with rows ``mu``/``theta_new`` and columns
``median``, ``ci_low``, ``ci_high`` on the analysis scale; ``prob_greater(c)`` = P(μ > c)) and the
analysis' registry row. Benefit is the direction the registry calls better (``higher_is_better``):
P(benefit) = P(μ > 0) or P(μ < 0) = 1 − P(μ > 0) on the analysis scale (log for ratios).
An important benefit is μ beyond the threshold on the benefit side; thresholds are passed in (the
book's are in :mod:`mytools.present.grade`), (0, 0) or None meaning none is established.
"""
from __future__ import annotations

import math
from typing import Any, Mapping

import pandas as pd

from ..engine.vocabulary import RATIO_MEASURES

__all__ = ["benefit_side", "important_cut", "benefit_probabilities", "bayes_row", "frame", "summary_rows",
           "density_curve", "plot_span", "curves"]


def benefit_side(spec: Mapping[str, Any]) -> int:
    """+1 when larger values are better (``higher_is_better``), else −1."""
    v = spec.get("higher_is_better")
    if isinstance(v, str):
        v = v.strip().lower() == "true"
    return 1 if bool(v) else -1


def important_cut(measure: str, thresholds: tuple[float, float] | None, side: int) -> float | None:
    """The threshold of an important benefit on the analysis scale (log for ratios), or None.

    >>> round(important_cut("RR", (0.75, 1.25), -1), 4), important_cut("SMD", (-0.2, 0.2), 1)
    (-0.2877, 0.2)
    >>> important_cut("MD", (0.0, 0.0), 1) is None
    True
    """
    if thresholds is None or tuple(thresholds) == (0.0, 0.0):
        return None
    t = thresholds[1] if side > 0 else thresholds[0]
    return math.log(t) if str(measure).upper() in RATIO_MEASURES else float(t)


def benefit_probabilities(result: Any, measure: str, side: int,
                          thresholds: tuple[float, float] | None) -> tuple[float, float | None]:
    """(P(benefit), P(important benefit) or None) from ``result.prob_greater``."""
    def p_side(c: float) -> float:
        p = float(result.prob_greater(c))
        return p if side > 0 else 1.0 - p
    cut = important_cut(measure, thresholds, side)
    return p_side(0.0), (None if cut is None else p_side(cut))


def bayes_row(analysis_id: str, spec: Mapping[str, Any], result: Any, prior_label: str,
              thresholds: tuple[float, float] | None) -> dict[str, Any]:
    """One row: ``analysis_id, prior_label, mu_median, mu_low, mu_high, new_low, new_high``
    (natural scale), ``p_benefit, p_important`` (NaN without a threshold), ``cut`` (the important
    threshold on the natural scale, NaN without one)."""
    measure = str(spec["measure"])
    back = math.exp if measure.upper() in RATIO_MEASURES else (lambda v: v)
    s = result.summary_frame()
    side = benefit_side(spec)
    p, p_imp = benefit_probabilities(result, measure, side, thresholds)
    cut = important_cut(measure, thresholds, side)
    return {"analysis_id": analysis_id, "prior_label": prior_label,
            "mu_median": back(float(s.loc["mu", "median"])), "mu_low": back(float(s.loc["mu", "ci_low"])),
            "mu_high": back(float(s.loc["mu", "ci_high"])),
            "new_low": back(float(s.loc["theta_new", "ci_low"])), "new_high": back(float(s.loc["theta_new", "ci_high"])),
            "p_benefit": p, "p_important": math.nan if p_imp is None else p_imp,
            "cut": math.nan if cut is None else back(cut)}


def frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """The rows of :func:`bayes_row` as a frame (column order fixed)."""
    cols = ["analysis_id", "prior_label", "mu_median", "mu_low", "mu_high", "new_low", "new_high",
            "p_benefit", "p_important", "cut"]
    return pd.DataFrame(rows, columns=cols)


def summary_rows(bayes: Any, ars: Mapping[str, Any], thresholds_of: Any, keys: tuple[str, ...],
                 label_of: Any) -> pd.DataFrame:
    """:func:`bayes_row` for every analysis in ``ars`` and prior key in ``keys``: ``bayes.get(aid,
    key)`` gives the result, ``thresholds_of(measure)`` the thresholds, ``label_of(aid, key)`` the
    prior's label."""
    return frame([bayes_row(aid, ar.spec, bayes.get(aid, key), label_of(aid, key), thresholds_of(ar.measure))
                  for aid, ar in ars.items() for key in keys])


def density_curve(result: Any, low: float, high: float, n: int = 301) -> tuple[Any, Any]:
    """(x, posterior density of μ at x), x from ``low`` to ``high`` on the analysis scale."""
    import numpy as np

    x = np.linspace(low, high, n)
    return x, np.asarray(result.density("mu", x), dtype=float)


def curves(bayes: Any, weights: Mapping[str, pd.DataFrame], key: str = "empirical") -> dict[str, tuple[Any, Any]]:
    """:func:`density_curve` of prior ``key`` for each analysis of ``weights`` (model-weight
    frames), over :func:`plot_span`."""
    return {aid: density_curve(bayes.get(aid, key), *plot_span(w, str(w["measure"].iloc[0])))
            for aid, w in weights.items()}


def plot_span(rows: pd.DataFrame, measure: str, pad: float = 0.3) -> tuple[float, float]:
    """The x range (analysis scale) that shows the review's interval and the Bayesian interval of
    a model-weight frame, padded by ``pad`` × its width on each side."""
    f = math.log if str(measure).upper() in RATIO_MEASURES else (lambda v: v)
    keep = rows[rows["row"].isin(["review", "bayes_mu"])]
    lo, hi = f(float(keep["ci_low"].min())), f(float(keep["ci_high"].max()))
    lo, hi = min(lo, 0.0), max(hi, 0.0)
    w = hi - lo
    return lo - pad * w, hi + pad * w
