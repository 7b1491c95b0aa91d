"""RevMan's study weights for many analyses at once (used to infer the pooling settings).

Rows carry a pooling-group index (an analysis, or a subgroup of one); every formula is a sum over
the rows of a group (``np.bincount``), so all analyses of a review are weighted in one pass.
Formulas (Deeks & Higgins, *Statistical algorithms in Review Manager 5*, 2010):

* inverse variance, fixed: w = 1/v;
* Mantel–Haenszel, fixed (cells with 0.5 added where a cell is zero, as in RevMan 5's MH sums):
  RR w = c·n₁/N, OR w = b·c/N, RD w = n₁·n₂/N (raw counts);
* Peto: w = V (the hypergeometric variance), i.e. 1/v of the Peto log OR;
* random effects (DerSimonian–Laird): τ² = max(0, (Q − df)/(Σw − Σw²/Σw)) with IV weights w = 1/v
  and Q = Σw(y − θ)² about the fixed-effect estimate of the method (MH estimate for MH), then
  w* = 1/(v + τ²).

Weights are returned in percent of their group's total (NaN where the row is not estimable).
"""
from __future__ import annotations

import numpy as np

__all__ = ["group_weights", "mh_weights"]


def _gsum(idx: np.ndarray, x: np.ndarray, n: int) -> np.ndarray:
    return np.bincount(idx, weights=np.where(np.isfinite(x), x, 0.0), minlength=n)


def mh_weights(cells: tuple[np.ndarray, ...], corrected: np.ndarray, measure: str) -> np.ndarray:
    """Mantel–Haenszel weights per row from the 2×2 cells (a, b, c, d)."""
    a, b, c, d = (x + 0.5 * corrected for x in cells)
    n1, n2 = a + b, c + d
    N = n1 + n2
    if measure == "RR":
        return c * n1 / N
    if measure == "OR":
        return b * c / N
    ra, rb, rc, rd = cells
    n1r, n2r = ra + rb, rc + rd
    return n1r * n2r / (n1r + n2r)


def _mh_theta(idx, cells, corrected, measure, n):
    """Mantel–Haenszel pooled estimate per group (log scale for RR/OR)."""
    a, b, c, d = (x + 0.5 * corrected for x in cells)
    N = a + b + c + d
    with np.errstate(divide="ignore", invalid="ignore"):
        if measure == "RR":
            return np.log(_gsum(idx, a * (c + d) / N, n) / _gsum(idx, c * (a + b) / N, n))
        if measure == "OR":
            return np.log(_gsum(idx, a * d / N, n) / _gsum(idx, b * c / N, n))
        ra, rb, rc, rd = cells
        n1, n2 = ra + rb, rc + rd
        w = n1 * n2 / (n1 + n2)
        return _gsum(idx, w * (ra / n1 - rc / n2), n) / _gsum(idx, w, n)


def group_weights(idx: np.ndarray, y: np.ndarray, v: np.ndarray, *, method: str, model: str,
                  measure: str = "", cells: tuple[np.ndarray, ...] | None = None,
                  corrected: np.ndarray | None = None) -> np.ndarray:
    """Percent weights of every row within its group ``idx`` (ints ≥ 0) for one method and model.

    ``y``/``v``: analysis-scale estimate and variance (NaN = not estimable, weight NaN).
    ``method``: "IV", "MH" (needs ``cells`` and ``corrected``) or "Peto" (weights 1/v).
    """
    ok = np.isfinite(y) & np.isfinite(v) & (v > 0)
    n = int(idx.max()) + 1 if idx.size else 0
    with np.errstate(divide="ignore", invalid="ignore"):
        wiv = np.where(ok, 1.0 / v, np.nan)
        if method == "MH":
            assert cells is not None and corrected is not None
            wf = np.where(ok, mh_weights(cells, corrected, measure), np.nan)
            theta = _mh_theta(idx, tuple(np.where(ok, x, 0.0) for x in cells),
                              np.where(ok, corrected, False), measure, n)
        else:
            wf = wiv
            theta = _gsum(idx, wiv * y, n) / _gsum(idx, wiv, n)
        if model == "random":
            q = _gsum(idx, wiv * (y - theta[idx]) ** 2, n)
            k = np.bincount(idx, weights=ok.astype(float), minlength=n)
            sw, sw2 = _gsum(idx, wiv, n), _gsum(idx, wiv**2, n)
            tau2 = np.where(k > 1, np.maximum(0.0, (q - (k - 1)) / (sw - sw2 / sw)), 0.0)
            wf = np.where(ok, 1.0 / (v + tau2[idx]), np.nan)
        total = _gsum(idx, wf, n)
        return 100.0 * wf / total[idx]
