"""Many analyses at once from NaN-padded rows (:func:`pool_many`): the core's own layout, checked.

One analysis per row of ``y``/``v`` (analysis scale), NaN in the same cells of both; the numbers
come from :func:`mytools.engine.core.pool_rows`, the one implementation behind every pooled number
(long-format input, one row per study with a segment index, is :func:`mytools.engine.batch.pool_batch`).

>>> import numpy as np
>>> m = pool_many(np.array([[0.0, 1.0], [0.2, np.nan]]), np.array([[1.0, 1.0], [0.04, np.nan]]),
...               model="fixed")
>>> m.estimate.tolist(), m.k.tolist()
([0.5, 0.2], [2, 1])
"""
from __future__ import annotations

import numpy as np

from .core import pool_rows
from .effects import check_option, finite_effects
from .errors import InputError, NotEstimableError
from .results import ManyResult
from .settings import resolve
from .vocabulary import CI_METHODS, MODELS, TAU2_METHODS

__all__ = ["pool_many"]


_VMIN = 1.0 / np.finfo(float).max  # below this 1/v overflows (up to rounding: finite_effects)


def _check_many(Y: np.ndarray, V: np.ndarray) -> bool:
    """Validate NaN-padded rows for :func:`pool_many`; errors name the first bad row. True when
    every cell is a finite y with a finite v whose weight 1/v is finite (three reductions, no
    temporaries: a finite sum has no NaN or infinity, a minimum > _VMIN no NaN, zero or
    subnormal)."""
    if Y.ndim != 2 or Y.shape != V.shape:
        raise InputError(f"y and v must be 2-D arrays of the same shape, got {Y.shape} and {V.shape}")
    if Y.shape[1] == 0:
        raise InputError("y and v have no columns (no studies)")
    with np.errstate(over="ignore"):
        if np.isfinite(Y.sum()) and V.min() > _VMIN and np.isfinite(V.max()):
            return True
    miss, vmiss = np.isnan(Y), np.isnan(V)
    if np.any(miss != vmiss):
        r = int(np.flatnonzero(np.any(miss != vmiss, axis=1))[0])
        raise InputError(f"row {r}: y and v are not NaN in the same cells")
    neg = ~miss & ~(np.where(miss, 1.0, V) >= 0)
    if np.any(neg):
        raise InputError(f"row {int(np.flatnonzero(neg.any(axis=1))[0])}: field 'v' must be ≥ 0")
    return False


def pool_many(
    y: np.ndarray,
    v: np.ndarray,
    *,
    model: str = "random",
    tau2_method: str = "DL",
    ci_method: str = "wald",
    hksj_floor: bool = False,
    ci_level: float = 0.95,
) -> ManyResult:
    """Inverse-variance pooling of many analyses at once, one per row of ``y``/``v``.

    Rows are NaN-padded (the same cells NaN in ``y`` and ``v``, every other v ≥ 0; a study with
    v = 0, y or v infinite, or v so small that 1/v overflows is not estimable and left out like a
    NaN cell, as the other entry points do: :func:`~.effects.finite_effects`). A row whose pooled
    numbers overflow raises :class:`NotEstimableError` (``NOT_REPRESENTABLE``). Formulas,
    iteration and edges: :mod:`mytools.engine.core` and :mod:`mytools.engine.tau2` (REML/PM to
    |Δτ²| ≤ 1e-12·(1 + τ²)). A row with no study, or an HKSJ row with q = 0, raises
    :class:`NotEstimableError` naming the row, with the scalar functions' message; a one-study
    HKSJ row gets the Wald interval (``hksj_one``). Estimates on the analysis scale; I² from Q
    (RevMan); P values and prediction intervals come from the scalar and batch functions.
    """
    check_option("model", model, MODELS)
    check_option("tau2_method", tau2_method, TAU2_METHODS)
    check_option("ci_method", ci_method, CI_METHODS)
    if ci_method == "hksj" and model != "random":
        raise InputError("ci_method='hksj' (Hartung–Knapp) applies to model='random' only")
    st = resolve(None, tau2_method=tau2_method, ci_method=ci_method, hksj_floor=hksj_floor,
                 ci_level=ci_level)
    Y, V = np.asarray(y, dtype=float), np.asarray(v, dtype=float)
    if not _check_many(Y, V):  # v = 0, y or v ±∞, 1/v ∞: not estimable (as NaN; ``k`` counts the rest)
        out = ~finite_effects(Y, V) & ~np.isnan(Y)
        if out.any():
            Y, V = np.where(out, np.nan, Y), np.where(out, np.nan, V)
    r = pool_rows(Y, V, model=model, tau2_method=tau2_method, ci_method=ci_method,
                  ci_level=st.ci_level, settings=st, report=False)
    bad = np.flatnonzero(r.status)
    if bad.size:
        i = int(bad[0])
        raise NotEstimableError(f"row {i}: {r.message(i)}")
    return ManyResult(estimate=r.theta, se=r.se, ci_low=r.ci_low, ci_high=r.ci_high, tau2=r.tau2,
                      q=r.q, i2=r.i2, k=r.k, iterations=r.iterations, hksj_one=r.hksj_one)
