"""Independent reference for the engine's τ² (tests only; not a second engine): DerSimonian–Laird,
REML, Paule–Mandel and the Q-profile CI of τ² by scalar root-finding (Brent) on 1-D arrays, to
check the vectorised Newton/bisection of :mod:`mytools.engine.tau2` against.

>>> import numpy as np
>>> y, v = np.array([0.1, 0.5, 0.9]), np.array([0.01, 0.01, 0.01])
>>> q = float(np.sum((y - y.mean()) ** 2 / v))          # 32.0
>>> round(tau2_dl(q, v), 6), round(i2_q(q, 2), 4)       # (Q − df)/(Σw − Σw²/Σw) = 30/200
(0.15, 93.75)
"""
from __future__ import annotations

import numpy as np
from scipy import optimize, special

from mytools.engine.errors import ConvergenceError, InputError

__all__ = ["i2_q", "tau2_dl", "tau2_reml", "tau2_pm", "estimate_tau2", "q_profile_ci",
           "q_generalised"]


def i2_q(q: float, df: int) -> float:
    """RevMan I² = max(0, (Q − df)/Q)·100, and 0 when Q = 0 (Higgins & Thompson 2002)."""
    return 0.0 if q <= 0 or q <= df else (q - df) / q * 100.0


def tau2_dl(q: float, v: np.ndarray) -> float:
    """DerSimonian & Laird (1986): τ² = max(0, (Q − (k−1)) / (Σw − Σw²/Σw)), w = 1/v (0 for k = 1)."""
    k = v.size
    if k < 2:
        return 0.0
    w = 1.0 / v
    c = np.sum(w) - np.sum(w**2) / np.sum(w)
    return float(max(0.0, (q - (k - 1)) / c))


def _reml_score(t: float, y: np.ndarray, v: np.ndarray) -> float:
    """REML score ∂ℓ/∂τ² (×2) = y'PPy − tr(P), P = W − W11'W/Σw, W = diag(1/(v + τ²))."""
    w = 1.0 / (v + t)
    sw = np.sum(w)
    mu = np.sum(w * y) / sw
    return float(np.sum(w**2 * (y - mu) ** 2) - (sw - np.sum(w**2) / sw))


def q_generalised(t: float, y: np.ndarray, v: np.ndarray) -> float:
    """Generalised Q(τ²) = Σw(y − μ_w)², w = 1/(v + τ²); decreasing in τ² (Viechtbauer 2007)."""
    w = 1.0 / (v + t)
    mu = np.sum(w * y) / np.sum(w)
    return float(np.sum(w * (y - mu) ** 2))


def _pm_eq(t: float, y: np.ndarray, v: np.ndarray) -> float:
    """Paule–Mandel estimating equation: Q(τ²) − (k − 1)."""
    return q_generalised(t, y, v) - (y.size - 1)


def _root_from_zero(f, y: np.ndarray, v: np.ndarray, *args) -> float:
    """τ² = 0 when f(0) ≤ 0, else the root of the decreasing f in (0, ∞) (bracket, then Brent)."""
    if y.size < 2 or f(0.0, y, v, *args) <= 0:
        return 0.0
    hi = max(1e-8, float(np.var(y)) + float(np.max(v)))
    for _ in range(200):
        if f(hi, y, v, *args) < 0:
            break
        hi *= 2
    else:  # pragma: no cover - f → −(tr P) < 0 as τ² → ∞, so a bracket always exists
        raise ConvergenceError("could not bracket the τ² root")
    return float(optimize.brentq(f, 0.0, hi, args=(y, v, *args), xtol=1e-15, rtol=1e-15, maxiter=1000))


def tau2_reml(y: np.ndarray, v: np.ndarray) -> float:
    """REML τ² (Viechtbauer 2005): root of the REML score, 0 when the score at 0 is ≤ 0."""
    return _root_from_zero(_reml_score, y, v)


def tau2_pm(y: np.ndarray, v: np.ndarray) -> float:
    """Paule & Mandel (1982) τ²: root of Q(τ²) = k − 1, 0 when Q(0) ≤ k − 1."""
    return _root_from_zero(_pm_eq, y, v)


def estimate_tau2(method: str, y: np.ndarray, v: np.ndarray, q_dl: float) -> float:
    """τ² by ``method``: "DL" (from ``q_dl``, the Q the analysis reports), "REML" or "PM"."""
    if method == "DL":
        return tau2_dl(q_dl, v)
    if method == "REML":
        return tau2_reml(y, v)
    if method == "PM":
        return tau2_pm(y, v)
    raise InputError(f"unknown tau2_method={method!r}; expected 'DL', 'REML' or 'PM'")


def _q_minus(t: float, y: np.ndarray, v: np.ndarray, target: float) -> float:
    return q_generalised(t, y, v) - target


def q_profile_ci(y: np.ndarray, v: np.ndarray, level: float = 0.95,
                 tau2_hat: float | None = None) -> tuple[float, float]:
    """Q-profile confidence interval for τ² (Viechtbauer 2007), as metafor's ``confint`` (type "QP").

    The bounds solve Q(τ²) = χ²_{k−1, upper α/2} (lower bound) and Q(τ²) = χ²_{k−1, lower α/2}
    (upper bound); a bound is 0 when Q(0) is already below its target. The search stops at
    τ²_max = max(100, 10·τ̂²) as metafor does (τ̂² = ``tau2_hat``, REML when not given), and a
    bound beyond it is reported as τ²_max (RevMan Web packages show such a 100, CD009958).
    Needs k ≥ 2.
    """
    k = y.size
    if k < 2:
        raise InputError("the Q-profile CI of τ² needs at least 2 studies")
    alpha = 1.0 - level
    crit_lo = float(special.chdtri(k - 1, alpha / 2))        # upper quantile: for the lower bound
    crit_hi = float(special.chdtri(k - 1, 1.0 - alpha / 2))  # lower quantile: for the upper bound
    tmax = max(100.0, 10.0 * (tau2_reml(y, v) if tau2_hat is None else tau2_hat))
    q0, qmax = q_generalised(0.0, y, v), q_generalised(tmax, y, v)

    def bound(target: float) -> float:
        if q0 < target:
            return 0.0
        if qmax > target:
            return tmax
        return float(optimize.brentq(_q_minus, 0.0, tmax, args=(y, v, target), xtol=1e-12,
                                     rtol=1e-12, maxiter=1000))

    return bound(crit_lo), bound(crit_hi)

