"""Peto's odds ratio: O − E and its variance V per study, from a 2×2 table or as entered.

From a table (Yusuf et al. 1985; Deeks & Higgins 2010): O − E = a − n1(a + c)/N and
V = n1 n2 (a + c)(b + d)/(N²(N − 1)). Per study ln OR = (O − E)/V with variance 1/V; pooled
ln OR = Σ(O − E)/ΣV with SE 1/√ΣV, which is inverse-variance pooling of those per-study values
(weights V), so Q = Σ(O − E)²/V − (Σ(O − E))²/ΣV. No continuity correction is needed: a study is
estimable when V > 0. RevMan's "O − E and variance" outcomes enter O − E and V directly (log-rank
statistics for time-to-event data); the study estimate is exp((O − E)/V), CI exp((O − E)/V ± z/√V)
(checked against RevMan's CD008469 rows in tests/engine/test_engine_peto.py).

>>> import numpy as np
>>> oe, V = peto_oe_v(np.array([10.]), np.array([40.]), np.array([5.]), np.array([45.]))
>>> float(oe[0]), round(float(V[0]), 6)     # E = 50·15/100 = 7.5; V = 50·50·15·85/(100²·99)
(2.5, 3.219697)
"""
from __future__ import annotations

import numpy as np

__all__ = ["peto_oe_v", "peto_effects"]


def peto_oe_v(a: np.ndarray, b: np.ndarray, c: np.ndarray, d: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """O − E and V of each 2×2 table (formulas above); V = 0 when the table carries no information."""
    n1, n2 = a + b, c + d
    N = n1 + n2
    oe = a - n1 * (a + c) / N
    with np.errstate(divide="ignore", invalid="ignore"):
        V = np.where(N > 1, n1 * n2 * (a + c) * (b + d) / (N**2 * (N - 1)), 0.0)
    return oe, V


def peto_effects(oe: np.ndarray, V: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-study ln OR = (O − E)/V and variance 1/V; NaN and ``estimable=False`` where V ≤ 0."""
    e = V > 0
    y = np.full(V.shape, np.nan)
    v = np.full(V.shape, np.nan)
    y[e], v[e] = oe[e] / V[e], 1.0 / V[e]
    return y, v, e
