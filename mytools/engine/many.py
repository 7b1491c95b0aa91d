"""Many analyses at once: inverse-variance pooling of NaN-padded rows (:func:`pool_many`).

One analysis per row of ``y``/``v`` (analysis scale). DL in closed form; REML and PM by a
vectorised safeguarded Newton/bisection iteration over the rows not yet converged (see
:func:`_iterate_tau2`); the scalar functions of :mod:`mytools.engine.tau2` (Brent root-finding)
are the reference it is tested against. Long-format input (one row per study, with an analysis
index) is :func:`mytools.engine.batch.pool_batch`.

>>> import numpy as np
>>> m = pool_many(np.array([[0.0, 1.0], [0.2, np.nan]]), np.array([[1.0, 1.0], [0.04, np.nan]]),
...               model="fixed")
>>> m.estimate.tolist(), m.k.tolist()
([0.5, 0.2], [2, 1])
"""
from __future__ import annotations

import numpy as np
from scipy import special

from .distributions import z_crit
from .effects import check_option
from .errors import ConvergenceError, InputError
from .results import ManyResult
from .vocabulary import CI_METHODS, MODELS, TAU2_METHODS

__all__ = ["pool_many"]

_TOL = 1e-12
_MAXITER = 500


def _check_common(model: str, tau2_method: str, ci_method: str) -> None:
    check_option("model", model, MODELS)
    check_option("tau2_method", tau2_method, TAU2_METHODS)
    check_option("ci_method", ci_method, CI_METHODS)
    if ci_method == "hksj" and model != "random":
        raise InputError("ci_method='hksj' (Hartung–Knapp) applies to model='random' only")


def _rowsum(a: np.ndarray) -> np.ndarray:
    return np.einsum("ij->i", a)


def _colsum(cols: list[np.ndarray]) -> np.ndarray:
    """Element-wise sum of equally long 1-D arrays (one per study column)."""
    out = cols[0].copy()
    for c in cols[1:]:
        out += c
    return out


def _rowdot(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.einsum("ij,ij->i", a, b)


def _t_crit_rows(df: np.ndarray, level: float) -> np.ndarray:
    """t quantiles per row, computed once per distinct df."""
    u, inv = np.unique(df, return_inverse=True)
    return special.stdtrit(u, 1.0 - (1.0 - level) / 2.0)[inv]


def _check_many(Y: np.ndarray, V: np.ndarray, ci_method: str) -> tuple[np.ndarray, bool]:
    """Validate NaN-padded rows for :func:`pool_many`; errors name the first bad row."""
    miss = np.isnan(Y)
    vmiss = np.isnan(V)
    if np.any(miss != vmiss):
        r = int(np.flatnonzero(np.any(miss != vmiss, axis=1))[0])
        raise InputError(f"row {r}: y and v are not NaN in the same cells")
    bad = np.isinf(Y) | np.isinf(V)
    if np.any(bad):
        raise InputError(f"row {int(np.flatnonzero(bad.any(axis=1))[0])}: y or v is infinite")
    nonpos = ~miss & ~(np.where(miss, 1.0, V) > 0)
    if np.any(nonpos):
        raise InputError(f"row {int(np.flatnonzero(nonpos.any(axis=1))[0])}: field 'v' must be > 0")
    k = Y.shape[1] - miss.sum(axis=1)
    if np.any(k == 0):
        raise InputError(f"row {int(np.flatnonzero(k == 0)[0])}: no studies (all NaN)")
    if ci_method == "hksj" and np.any(k < 2):
        raise InputError(f"row {int(np.flatnonzero(k < 2)[0])}: Hartung–Knapp needs at least 2 studies")
    return k, bool(miss.any())


def pool_many(
    y: np.ndarray,
    v: np.ndarray,
    *,
    model: str = "random",
    tau2_method: str = "DL",
    ci_method: str = "wald",
    ci_level: float = 0.95,
) -> ManyResult:
    """Inverse-variance pooling of many analyses at once, one per row of ``y``/``v``.

    Rows are NaN-padded (the same cells must be NaN in ``y`` and ``v``); every row needs at least
    one study (two for ``ci_method="hksj"``). All work is array arithmetic over rows (a missing cell gets
    v = ∞, hence weight 0): DL in closed form; REML (root of the REML score y'PPy − tr P) and PM
    (root of Σw(y − μ)² − (k − 1)) by a vectorised safeguarded Newton/bisection iteration on the
    rows not yet converged (|Δτ²| ≤ 1e-12·(1 + τ²)), see :func:`_iterate_tau2`; τ² = 0 when the
    estimating function is ≤ 0 at 0. Rows unconverged after 500 steps raise ConvergenceError.
    Q and I² as in RevMan (inverse-variance fixed-effect Q); estimates on the analysis scale.
    """
    _check_common(model, tau2_method, ci_method)
    Y = np.asarray(y, dtype=float)
    V = np.asarray(v, dtype=float)
    if Y.ndim != 2 or Y.shape != V.shape:
        raise InputError(f"y and v must be 2-D arrays of the same shape, got {Y.shape} and {V.shape}")
    if Y.shape[1] == 0:
        raise InputError("y and v have no columns (no studies)")
    clean = bool(np.isfinite(Y).all() and np.isfinite(V).all() and (V > 0).all())  # fast path
    if clean and ci_method == "hksj" and Y.shape[1] < 2:
        raise InputError("row 0: Hartung–Knapp needs at least 2 studies")
    if clean:
        k = np.full(Y.shape[0], Y.shape[1])
        any_miss = False
    else:
        k, any_miss = _check_many(Y, V, ci_method)
    if any_miss:  # a missing study: y = 0 and v = ∞, so its weight 1/(v + τ²) is exactly 0
        miss = np.isnan(Y)
        Y = np.where(miss, 0.0, Y)
        V = np.where(miss, np.inf, V)
    # The closed-form part works column by column: with few studies per row (the usual case) a
    # handful of 1-D passes over the rows is much faster than reductions along a short axis 1.
    ys = [np.ascontiguousarray(Y[:, j]) for j in range(Y.shape[1])]
    vs = [np.ascontiguousarray(V[:, j]) for j in range(V.shape[1])]
    ws = [1.0 / vj for vj in vs]
    sw = _colsum(ws)
    mu_f = _colsum([w * yj for w, yj in zip(ws, ys)]) / sw
    q = _colsum([w * (yj - mu_f) ** 2 for w, yj in zip(ws, ys)])
    df = k - 1
    single = k == 1
    if single.any():
        q[single] = 0.0
    i2 = np.where(q > df, (q - df) / np.where(q > 0, q, 1.0) * 100.0, 0.0)
    iters = 0
    if model == "fixed":
        tau2 = np.zeros(Y.shape[0])
        swr, mu = sw, mu_f
    else:
        c = sw - _colsum([w * w for w in ws]) / sw
        with np.errstate(divide="ignore", invalid="ignore"):
            tau2 = np.where(single, 0.0, np.maximum(0.0, (q - df) / c))
        if tau2_method in ("REML", "PM"):
            tau2, iters = _iterate_tau2(tau2_method, Y, V, k, tau2)
        ws = [1.0 / (vj + tau2) for vj in vs]
        swr = _colsum(ws)
        mu = _colsum([w * yj for w, yj in zip(ws, ys)]) / swr
    se = np.sqrt(1.0 / swr)
    if ci_method == "hksj":
        se = np.sqrt(_colsum([w * (yj - mu) ** 2 for w, yj in zip(ws, ys)]) / (df * swr))
        half = _t_crit_rows(df, ci_level) * se
    else:
        half = z_crit(ci_level) * se
    return ManyResult(estimate=mu, se=se, ci_low=mu - half, ci_high=mu + half,
                      tau2=tau2, q=q, i2=i2, k=k, iterations=iters)


def _score(method: str, y: np.ndarray, v: np.ndarray, t: np.ndarray, km1: np.ndarray):
    """Estimating function f(τ²) (root = estimate; f decreases through the root) and f'(τ²), per row.

    REML: f = Σw²r² − tr P, with tr P = Σw − Σw²/Σw, r = y − μ(τ²), w = 1/(v + τ²);
    f' = −2Σw³r² + 2(Σw²r)²/Σw + Σw² − 2Σw³/Σw + (Σw²/Σw)².
    PM:   f = Σw r² − (k − 1);  f' = −Σw²r².
    """
    w = 1.0 / (v + t[:, None])
    sw = _rowsum(w)
    r = y - (_rowdot(w, y) / sw)[:, None]
    w2 = w * w
    r2 = r * r
    w2r2 = _rowdot(w2, r2)
    if method == "PM":
        return _rowdot(w, r2) - km1, -w2r2
    sw2 = _rowsum(w2)
    w3 = w2 * w
    sw3 = _rowsum(w3)
    f = w2r2 - (sw - sw2 / sw)
    df = (-2 * _rowdot(w3, r2) + 2 * _rowdot(w2, r) ** 2 / sw + sw2 - 2 * sw3 / sw + (sw2 / sw) ** 2)
    return f, df


def _iterate_tau2(method: str, Y: np.ndarray, V: np.ndarray, k: np.ndarray, start: np.ndarray):
    """Vectorised REML or PM τ²: the root of the estimating function of :func:`_score` in (0, ∞),
    0 when f(0) ≤ 0. Safeguarded Newton ("rtsafe"): each row keeps a bracket [lo, hi] with
    f(lo) > 0 > f(hi) (hi found by doubling), takes the Newton step when it stays inside the bracket
    and bisects otherwise; iterated only on rows not yet converged (|Δτ²| ≤ 1e-12·(1 + τ²)).
    Missing cells carry v = ∞ (weight 0). Returns τ² and the number of vectorised steps."""
    n = Y.shape[0]
    tau2 = np.zeros(n)
    km1 = (k - 1).astype(float)
    idx = np.flatnonzero(k > 1)
    if idx.size:
        f0, _ = _score(method, Y[idx], V[idx], np.zeros(idx.size), km1[idx])
        idx = idx[f0 > 0]
    if not idx.size:
        return tau2, 0
    y, v, kk = Y[idx], V[idx], km1[idx]
    fin = np.isfinite(v)
    ybar = np.where(fin, y, 0).sum(axis=1) / fin.sum(axis=1)
    spread = (np.where(fin, (y - ybar[:, None]) ** 2, 0).sum(axis=1) / fin.sum(axis=1)
              + np.where(fin, v, 0).max(axis=1))
    lo = np.zeros(idx.size)
    hi = np.maximum(spread, 1e-8)
    todo = np.arange(idx.size)
    for _ in range(200):  # f → −tr P < 0 (REML) or −(k − 1) < 0 (PM) as τ² → ∞
        fh, _ = _score(method, y[todo], v[todo], hi[todo], kk[todo])
        pos = fh >= 0
        lo[todo[pos]] = hi[todo[pos]]
        hi[todo[pos]] *= 2
        todo = todo[pos]
        if not todo.size:
            break
    else:  # pragma: no cover
        raise ConvergenceError(f"{method} τ²: no upper bracket for rows {idx[todo[:10]].tolist()}")
    s0 = start[idx]
    t = np.where((s0 > lo) & (s0 < hi), s0, 0.5 * (lo + hi))
    act = np.arange(idx.size)
    it = 0
    while act.size and it < _MAXITER:
        it += 1
        ta, la, ha = t[act], lo[act], hi[act]
        f, d = _score(method, y[act], v[act], ta, kk[act])
        la = np.where(f > 0, ta, la)
        ha = np.where(f > 0, ha, ta)
        with np.errstate(divide="ignore", invalid="ignore"):
            newton = ta - f / d
        ok = np.isfinite(newton) & (newton > la) & (newton < ha)
        new = np.where(f == 0, ta, np.where(ok, newton, 0.5 * (la + ha)))
        done = (np.abs(new - ta) <= _TOL * (1.0 + ta)) | (f == 0) | (ha - la <= _TOL * (1.0 + ta))
        t[act], lo[act], hi[act] = new, la, ha
        act = act[~done]
    if act.size:
        raise ConvergenceError(f"{method} τ² did not converge in {_MAXITER} iterations for rows "
                               f"{idx[act[:10]].tolist()}")
    tau2[idx] = t
    return tau2, it
