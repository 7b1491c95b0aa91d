"""When is our number the same as RevMan's stored one? Within the precision the file carries.

A file that rounds to ``d`` decimals (``ReviewData.decimals``; 6 for data packages v1/v2.2 and
RevMan 5 CSV) holds each number to ±½·10⁻ᵈ; we allow that plus float slack (1e-9 relative).
A full-precision file (``decimals=None``: v2.3, .rm5) is compared at 1e-9 relative (with an
absolute floor of 1e-12 for numbers near 0).

Two kinds of stored numbers depend on RevMan's own distribution functions, which are
approximations: P values (χ², normal and t; observed to differ from exact values by up to
~6e-7 on the fixture packages) get an absolute floor of 1e-6, and limits built from a quantile
(pooled CI and prediction interval; RevMan's t quantiles differ in the 9th digit) get 1e-8
relative. Both are far below any printed precision.
"""
from __future__ import annotations

import numpy as np

__all__ = ["tolerance", "close", "excess"]

REL = 1e-9
ABS_FLOOR = 1e-12


P_FIELDS = {"p", "p_q", "subgroup_p"}
QUANTILE_FIELDS = {"ci_low", "ci_high", "pi_low", "pi_high"}
P_FLOOR = 1e-6
QUANTILE_REL = 1e-8


def tolerance(revman: np.ndarray | float, decimals: int | None, field: str = "") -> np.ndarray:
    """Largest difference accepted for each stored number (``field`` as in RevMan's columns)."""
    r = np.abs(np.asarray(revman, dtype=float))
    base = ABS_FLOOR if decimals is None else 0.5 * 10.0 ** (-decimals)
    if field in P_FIELDS:
        base = max(base, P_FLOOR)
    rel = QUANTILE_REL if field in QUANTILE_FIELDS else REL
    return base + rel * np.where(np.isfinite(r), r, 0.0)


def close(ours: np.ndarray | float, revman: np.ndarray | float, decimals: int | None,
          field: str = "") -> np.ndarray:
    """True where ``ours`` equals ``revman`` within :func:`tolerance` (NaN equals NaN).

    >>> bool(close(2.8928571, 2.892857, 6)), bool(close(2.89286, 2.892857, 6))
    (True, False)
    """
    o = np.asarray(ours, dtype=float)
    r = np.asarray(revman, dtype=float)
    both_nan = np.isnan(o) & np.isnan(r)
    with np.errstate(invalid="ignore"):
        return both_nan | (np.abs(o - r) <= tolerance(r, decimals, field))


def excess(ours: np.ndarray | float, revman: np.ndarray | float, decimals: int | None,
           field: str = "") -> np.ndarray:
    """|ours − revman| in units of the tolerance (≤ 1 is a match; inf when one side is missing)."""
    o = np.asarray(ours, dtype=float)
    r = np.asarray(revman, dtype=float)
    with np.errstate(invalid="ignore"):
        d = np.abs(o - r) / tolerance(r, decimals, field)
    return np.where(np.isnan(o) & np.isnan(r), 0.0, np.where(np.isnan(d), np.inf, d))
