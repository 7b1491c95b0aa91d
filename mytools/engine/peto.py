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

from .effects import _finite

__all__ = ["peto_oe_v", "peto_effects"]


def peto_oe_v(a: np.ndarray, b: np.ndarray, c: np.ndarray, d: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """O − E and V of each 2×2 table (formulas above); V = 0 when the table carries no information."""
    with np.errstate(all="ignore"):  # overflow (counts near 1e308): V or O − E ∞/NaN, not estimable
        n1, n2 = a + b, c + d
        N = n1 + n2
        oe = a - n1 * (a + c) / N
        V = np.where(N > 1, n1 * n2 * (a + c) * (b + d) / (N**2 * (N - 1)), 0.0)
    return oe, V


def peto_effects(oe: np.ndarray, V: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-study ln OR = (O − E)/V and variance 1/V; NaN and ``estimable=False`` where V ≤ 0 or
    the result is not a finite number (:func:`~.effects.finite_effects`: V near 1e-308 or 1e308)."""
    with np.errstate(all="ignore"):
        y, v = oe / V, 1.0 / V
    y, v, e, _ = _finite(y, v, V > 0, True)
    return y, v, e
