"""Critical values and tail probabilities for any confidence level (normal, t, χ²).

Thin wrappers over ``scipy.special`` (the routines behind ``scipy.stats``, without its overhead).
A confidence level is a fraction in (0, 1): 0.95 gives z = Φ⁻¹(0.975) = 1.959963984540054
(RevMan uses this value, not 1.96: its stored intervals are matched to a relative 1e-6 with it in
tests/engine/test_pooling_revman.py).

>>> round(z_crit(0.95), 6), round(z_crit(0.99), 6), round(z_crit(0.90), 6)
(1.959964, 2.575829, 1.644854)
>>> round(t_crit(4, 0.95), 6)
2.776445
"""
from __future__ import annotations

import numpy as np
from scipy import special

from .errors import InputError

__all__ = ["check_level", "z_crit", "t_crit", "p_normal", "p_t", "p_chi2"]


def check_level(level: float, name: str = "ci_level") -> float:
    """``level`` as a float in (0, 1); 95 or "95%" are refused (say 0.95)."""
    try:
        x = float(level)
    except (TypeError, ValueError):
        raise InputError(f"{name}={level!r}; expected a confidence level such as 0.95") from None
    if not 0.0 < x < 1.0:
        raise InputError(f"{name}={level!r}; expected a fraction in (0, 1) such as 0.95 (not 95)")
    return x


def z_crit(level: float = 0.95) -> float:
    """Two-sided normal critical value z = Φ⁻¹(1 − (1 − level)/2)."""
    return float(-special.ndtri((1.0 - level) / 2.0))


def t_crit(df, level: float = 0.95):
    """Two-sided Student-t critical value t_{df}(1 − (1 − level)/2); ``df`` scalar or array."""
    out = special.stdtrit(df, 1.0 - (1.0 - level) / 2.0)
    return float(out) if np.ndim(out) == 0 else out


def p_normal(z):
    """Two-sided P = 2Φ(−|z|)."""
    out = 2.0 * special.ndtr(-np.abs(z))
    return float(out) if np.ndim(out) == 0 else out


def p_t(t, df):
    """Two-sided P = 2 F_t(−|t|; df)."""
    out = 2.0 * special.stdtr(df, -np.abs(t))
    return float(out) if np.ndim(out) == 0 else out


def p_chi2(q, df):
    """Upper χ² tail P(χ²_df ≥ q)."""
    out = special.chdtrc(df, q)
    return float(out) if np.ndim(out) == 0 else out
