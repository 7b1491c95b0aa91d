"""Inverse-variance pooling and the common last step of every pooling family.

Fixed effect: μ = Σwy/Σw, SE = 1/√Σw, w = 1/v; Cochran's Q = Σw(y − μ)² (Deeks & Higgins 2010).
Random effects: w* = 1/(v + τ²) with τ² from :mod:`mytools.engine.tau2`; Wald interval
μ ± z·SE, or Hartung–Knapp–Sidik–Jonkman (Hartung & Knapp 2001; Sidik & Jonkman 2002):
SE²_HKSJ = q·/Σw*, q = Σw*(y − μ)²/(k − 1) (``hksj_floor``: max(1, q)), μ ± t_{k−1}·SE.
Prediction interval (Higgins, Thompson & Spiegelhalter 2009): μ ± t_{df}·√(τ² + SE²), df = k − 2
(or k − 1, as the settings say). :func:`finish` turns per-study values and a fixed-effect fit (MH,
Peto or IV) into a :class:`~mytools.engine.results.MetaResult`.

>>> import numpy as np
>>> mu, se, q = iv_fixed(np.array([0.0, 1.0]), np.array([1.0, 1.0]))
>>> mu, round(se, 6), q
(0.5, 0.707107, 0.5)
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .distributions import p_chi2, p_normal, p_t, t_crit, z_crit
from .errors import NotEstimableError
from .results import MetaResult
from .settings import Settings
from .tau2 import estimate_tau2, i2_from_tau2, i2_q, q_profile_ci

__all__ = ["iv_fixed", "hksj_se", "prediction_interval", "finish"]


def iv_fixed(y: np.ndarray, v: np.ndarray) -> tuple[float, float, float]:
    """Inverse-variance fixed effect: μ = Σwy/Σw, SE = 1/√Σw, Q = Σw(y − μ)², w = 1/v."""
    w = 1.0 / v
    mu = float(np.sum(w * y) / np.sum(w))
    return mu, float(np.sqrt(1.0 / np.sum(w))), float(np.sum(w * (y - mu) ** 2))


def hksj_se(y: np.ndarray, w: np.ndarray, mu: float, floor: bool = False) -> float:
    """HKSJ SE = √(q/Σw), q = Σw(y − μ)²/(k − 1); with ``floor`` q is max(1, q) (needs k ≥ 2)."""
    q = float(np.sum(w * (y - mu) ** 2) / (y.size - 1))
    if floor:
        q = max(1.0, q)
    return float(np.sqrt(q / np.sum(w)))


def prediction_interval(mu: float, se: float, tau2: float, k: int, settings: Settings):
    """(low, high) on the analysis scale, or (None, None) when df = k − 2 (or k − 1) is < 1."""
    df = k - (2 if settings.prediction_df == "k-2" else 1)
    if df < 1:
        return None, None
    half = t_crit(df, settings.ci_level) * float(np.sqrt(tau2 + se**2))
    return mu - half, mu + half


@dataclass
class _Pooled:
    theta: float
    se: float
    w: np.ndarray
    tau2: float
    crit: float
    t_df: int | None
    ci_method: str


def _random(y, v, q, st: Settings, ci: str, notes: list[str]) -> _Pooled:
    """Random-effects mean, its SE and interval multiplier (Wald or HKSJ)."""
    k = y.size
    tau2 = estimate_tau2(st.tau2_method, y, v, q)
    w = 1.0 / (v + tau2)
    theta = float(np.sum(w * y) / np.sum(w))
    se = float(np.sqrt(1.0 / np.sum(w)))
    if ci == "hksj" and k < 2:
        notes.append("Hartung–Knapp needs k ≥ 2; with one study the Wald interval is shown")
        ci = "wald"
    if ci == "wald":
        return _Pooled(theta, se, w, tau2, z_crit(st.ci_level), None, "wald")
    se = hksj_se(y, w, theta, st.hksj_floor)
    if se == 0:
        raise NotEstimableError("Hartung–Knapp SE is 0 (all study estimates identical); use ci_method='wald'")
    return _Pooled(theta, se, w, tau2, t_crit(k - 1, st.ci_level), k - 1, "hksj")


def _back(x, log_scale: bool):
    return np.exp(x) if log_scale else x


def _not_estimable(labels, e, measure, method) -> None:
    if not np.any(e):
        raise NotEstimableError(
            f"no study is estimable for {measure} ({method}): "
            + ", ".join(repr(x) for x in labels)
            + " all have no events in both arms or events in every participant of both arms"
        )


def _study_table(labels, inputs, y_all, v_all, e, w, extra_cols, st: Settings, log_scale):
    weight_pct = np.zeros(len(labels))
    weight_pct[e] = 100.0 * w / np.sum(w)
    sd = np.sqrt(v_all)
    zs = z_crit(st.study_ci_level)
    return pd.DataFrame({"label": list(labels), **inputs,
                         "estimate": _back(y_all, log_scale),
                         "ci_low": _back(y_all - zs * sd, log_scale),
                         "ci_high": _back(y_all + zs * sd, log_scale),
                         "se": sd, "weight_percent": weight_pct, "estimable": e.astype(bool),
                         **extra_cols})


def finish(*, labels: tuple[str, ...], inputs: dict, y_all: np.ndarray, v_all: np.ndarray,
           estimable: np.ndarray, extra_cols: dict, fixed: tuple[float, float, np.ndarray] | None,
           q: float | None, measure: str, method: str, model: str, ci: str, settings: Settings,
           log_scale: bool, notes: list[str], data_type: str) -> MetaResult:
    """Pool the estimable studies and build the result (fixed = (θ, SE, weights) of MH/Peto, or
    None for inverse variance; ``q`` the heterogeneity Q that goes with it)."""
    e = estimable
    _not_estimable(labels, e, measure, method)
    skipped = [labels[i] for i in np.flatnonzero(~e)]
    if skipped:
        notes.append("not estimable (double zero), excluded from pooling: " + ", ".join(skipped))
    y, v = y_all[e], v_all[e]
    k = int(y.size)
    if fixed is None:
        mu, se_f, q = iv_fixed(y, v)
        fixed = (mu, se_f, 1.0 / v)
    q = 0.0 if k == 1 else float(q)
    theta_f, se_f, w_fixed = fixed
    if not (np.isfinite(theta_f) and np.isfinite(se_f) and se_f > 0):
        raise NotEstimableError(
            f"the pooled {measure} ({method}) is not estimable from these counts "
            f"(estimate {theta_f!r}, SE {se_f!r}); with zero_cell='none' a zero total of events in one "
            "arm across all studies makes the MH estimate infinite; use zero_cell='revman'")
    st = settings
    if model == "fixed":
        pooled = _Pooled(theta_f, se_f, w_fixed, 0.0, z_crit(st.ci_level), None, "wald")
    else:
        pooled = _random(y, v, q, st, ci, notes)
    theta, se = pooled.theta, pooled.se
    pi_low = pi_high = None
    tau2_lo = tau2_hi = None
    if model == "random":
        lo_, hi_ = prediction_interval(theta, se, pooled.tau2, k, st)
        if lo_ is not None:
            pi_low, pi_high = float(_back(lo_, log_scale)), float(_back(hi_, log_scale))
        if st.tau2_ci and k >= 2:
            tau2_lo, tau2_hi = q_profile_ci(y, v, st.ci_level, pooled.tau2)
    z = theta / se
    if pooled.t_df is None:
        p = p_normal(z)
    elif st.hksj_p == "wald":  # RevMan Web: Wald P beside the HKSJ statistic and interval
        p = p_normal(theta * np.sqrt(np.sum(pooled.w)))
    else:
        p = p_t(z, pooled.t_df)
    df = k - 1
    i2q = i2_q(q, df)
    i2t = float(i2_from_tau2(pooled.tau2, v)) if k >= 2 else None
    i2 = i2q if (st.i2 == "q" or model == "fixed" or i2t is None) else i2t
    table = _study_table(labels, inputs, y_all, v_all, e, pooled.w, extra_cols, st, log_scale)
    return MetaResult(
        estimate=float(_back(theta, log_scale)),
        ci_low=float(_back(theta - pooled.crit * se, log_scale)),
        ci_high=float(_back(theta + pooled.crit * se, log_scale)),
        se=float(se), z=float(z), p=float(p), q=q, df=df,
        p_q=None if df == 0 else float(p_chi2(q, df)), i2=float(i2), tau2=float(pooled.tau2), k=k,
        pi_low=pi_low, pi_high=pi_high, measure=measure, method=method, model=model,
        tau2_method=st.tau2_method if model == "random" else None, ci_method=pooled.ci_method,
        log_scale=log_scale, theta=float(theta), studies=table, notes=tuple(notes),
        data_type=data_type, settings=st.name, ci_level=st.ci_level,
        study_ci_level=st.study_ci_level, t_df=pooled.t_df, i2_q=float(i2q), i2_tau2=i2t,
        tau2_ci_low=tau2_lo, tau2_ci_high=tau2_hi)

