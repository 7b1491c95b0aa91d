"""Re-pool one group of study rows (an analysis or a subgroup) with the engine, RevMan's way.

The per-study effects come from :mod:`mytools.reproduce.studies` (RevMan's row rules). Pooling
is the engine's: Mantel–Haenszel and Peto-from-2×2 through :func:`mytools.engine.pooling.pool_binary`
(on the swapped counts when "swap event and non-event" is on), every inverse-variance analysis
(IV dichotomous, continuous, generic, O − E) through :func:`pool_generic` on the per-study
(y, √v): the same inverse-variance formulas, with RevMan's row rules already applied (all-events
RR studies kept, 99% study CIs). Pooled CIs at levels other than 95% are
θ ± z_{(1+level)/2}·SE (t_{k−1} for Hartung–Knapp).
"""
from __future__ import annotations

import inspect
from dataclasses import dataclass

import numpy as np
from scipy import special

from ..engine.effects import InputError
from ..engine.pooling import (MetaResult, NotEstimableError, pool_binary, pool_generic,
                              pool_subgroups)

__all__ = ["Pooled", "pool_group", "NotComputable"]

# RevMan keeps all-events studies in RR analyses; newer engines take ``all_events="revman"``
_ENGINE_ALL_EVENTS = "all_events" in inspect.signature(pool_binary).parameters


class NotComputable(ValueError):
    """The group cannot be pooled (no estimable study, unsupported setting): the reason."""


@dataclass(frozen=True)
class Pooled:
    """Our numbers for one pooled group, named as RevMan's stored columns (without ``revman_``)."""

    values: dict[str, float]
    weights: np.ndarray  # percent, NaN for rows not pooled
    theta: float
    se: float
    result: MetaResult


def _crit(level: float, df: int | None) -> float:
    q = (1.0 + level) / 2.0
    return float(special.stdtrit(df, q)) if df else float(-special.ndtri(1.0 - q))


def _text(x: object, default: str) -> str:
    return x if isinstance(x, str) and x else default


def _engine(y, v, cells, s, mode: str) -> MetaResult:
    """One engine call for the group (only estimable rows are passed)."""
    model = _text(s.get("model"), "fixed")
    tau2 = _text(s.get("tau2_method"), "DL")
    ci = _text(s.get("ci_method"), "wald")
    if s["data_type"] == "dichotomous" and s["method"] in ("MH", "Peto") and s["measure"] != "PETO_OE":
        a, b, c, d = cells
        meas = "OR" if s["measure"] == "PETO_OR" else s["measure"]
        method = "Peto" if s["measure"] == "PETO_OR" else s["method"]
        extra = {"all_events": "revman"} if _ENGINE_ALL_EVENTS else {}
        return pool_binary(a, a + b, c, c + d, measure=meas, method=method, model=model,
                           tau2_method=tau2, ci=ci, settings=mode, **extra)
    log = bool(s["log_scale"])
    est = np.exp(y) if log else y
    return pool_generic(est, np.sqrt(v), log_scale=log, model=model, tau2_method=tau2, ci=ci,
                        settings=mode)


def pool_group(y: np.ndarray, v: np.ndarray, cells: tuple[np.ndarray, ...], settings: dict,
               *, mode: str = "revman5") -> Pooled:
    """Pool the estimable rows of one group; ``settings`` is a row of :func:`infer_settings`.

    ``mode``: the engine's settings mode, "revman5" or "revman_web" (RevMan Web since 2025: I² from
    τ² for random effects, Wald P beside the Hartung–Knapp CI, prediction interval on k − 1 df).
    Raises :class:`NotComputable` with the reason when nothing can be pooled.
    """
    ok = np.isfinite(y) & np.isfinite(v)
    if not ok.any():
        raise NotComputable("no estimable study")
    if (settings["method"] in ("MH", "Peto") and settings["data_type"] == "dichotomous"
            and not _ENGINE_ALL_EVENTS):
        # all-events RR rows are estimable for RevMan but the engine's MH drops them
        a, b, c, d = cells
        if settings["measure"] == "RR" and np.any(ok & (b + d == 0)):
            raise NotComputable("an all-events study in a Mantel–Haenszel RR analysis "
                                "(the engine excludes it; RevMan keeps it)")
    try:
        r = _engine(y[ok], v[ok], tuple(x[ok] for x in cells), settings, mode)
    except (NotEstimableError, InputError) as exc:
        raise NotComputable(str(exc)) from None
    level = float(settings.get("ci_level") or 0.95)
    tdf = r.df if r.ci_method == "hksj" else None
    half = _crit(level, tdf) * r.se
    back = np.exp if r.log_scale else (lambda x: x)
    i2 = r.i2
    vals = {"estimate": float(back(r.theta)), "ci_low": float(back(r.theta - half)),
            "ci_high": float(back(r.theta + half)), "tau2": r.tau2 if r.model == "random" else np.nan,
            "q": r.q, "df": float(r.df), "p_q": 1.0 if r.p_q is None else r.p_q, "i2": i2,
            "z": abs(r.z) if tdf is None else np.nan, "t": abs(r.z) if tdf is not None else np.nan,
            "p": r.p, "pi_low": np.nan if r.pi_low is None else r.pi_low,
            "pi_high": np.nan if r.pi_high is None else r.pi_high}
    w = np.full(y.shape, np.nan)
    w[ok] = r.studies["weight_percent"].to_numpy(dtype=float)
    return Pooled(values=vals, weights=w, theta=r.theta, se=r.se, result=r)


def subgroup_test(pooled: dict[str, Pooled]) -> dict[str, float]:
    """RevMan's test for subgroup differences (the engine's :func:`pool_subgroups`):
    Q = Σw_j(θ_j − θ̄)², w_j = 1/SE_j², df = J − 1, I² = max(0, (Q − df)/Q)."""
    t = pool_subgroups({k: p.result for k, p in pooled.items()})
    return {"subgroup_q": t.q, "subgroup_df": float(t.df), "subgroup_p": t.p, "subgroup_i2": t.i2}
