"""Between-study variance τ² for many analyses at once: DerSimonian–Laird, REML, Paule–Mandel, the
Q-profile CI of τ², and I² from τ² — the engine's one copy of each.

Layout: one analysis per row of NaN-padded matrices ``Y``, ``V`` (analysis scale); inside the
engine a missing cell carries v = ∞ (weight 0) and the y of its row's first study (so that
w·(y − μ)² is an exact 0, never 0·∞, even for estimates near ±1e154). DL is closed form; REML and PM are roots of
their estimating functions found by a vectorised safeguarded Newton/bisection iteration over the
rows not yet converged; the Q-profile bounds by vectorised bisection. Scalar Brent solvers in
``tests/engine/reference_tau2.py`` check these independently.

>>> import numpy as np
>>> y, v = np.array([[0.1, 0.5, 0.9]]), np.array([[0.01, 0.01, 0.01]])
>>> w = 1 / v; q = (w * (y - 0.5) ** 2).sum(axis=1)        # Q = 32
>>> tau2_dl(q, np.array([3]), w.sum(axis=1), (w * w).sum(axis=1)).round(6).tolist()  # 30/200
[0.15]
"""
from __future__ import annotations

import numpy as np
from scipy import special

from .errors import ConvergenceError, InputError

__all__ = ["rowsum", "trace_p", "tau2_dl", "tau2_iterate", "tau2_reml_fisher", "q_profile", "i2_from_tau2", "i2_tau2", "i2_q"]

_TOL = 1e-12
_MAXITER = 1100  # bisection alone narrows any bracket below 1.8e308 to 1e-12 in ≤ 1064 steps


def rowsum(A: np.ndarray) -> np.ndarray:
    """Row sums added column by column, left to right: the same rounding for a row whatever other
    rows share the matrix (a reduction along axis 1 sums pairwise when the matrix has one row and
    sequentially when it has many), and fast for the usual few studies per row."""
    A = np.asarray(A)
    if A.shape[-1] == 0:
        return np.zeros(A.shape[:-1])
    out = A[..., 0].astype(float)
    for j in range(1, A.shape[-1]):
        out += A[..., j]
    return out


def trace_p(W: np.ndarray, sw: np.ndarray, sw2: np.ndarray, k: np.ndarray | None = None) -> np.ndarray:
    """tr P = Σw − Σw²/Σw per row of the weights ``W`` (= Σ_{i≠j} w_i w_j / Σw > 0 for k ≥ 2).
    Where one weight carries nearly all of Σw the difference cancels (weights 1e16 apart gave
    Σw − Σw²/Σw ≤ 0, and DL a τ² of 1e49 with Q = 0): rows where it is ≤ 1e-3·Σw are computed
    as 2·Σ_i w_i·(Σ_{j<i} w_j)/Σw instead, a sum of non-negative terms (``k``: studies per row;
    rows with k < 2, where tr P is 0, are left as they are).

    >>> W = np.array([[1e16, 1.0], [1.0, 1.0]]); sw, sw2 = W.sum(axis=1), (W * W).sum(axis=1)
    >>> (sw - sw2 / sw).tolist(), trace_p(W, sw, sw2).tolist()
    ([0.0, 1.0], [2.0, 1.0])
    """
    with np.errstate(all="ignore"):
        d = sw - sw2 / sw
        bad = ~(d > 1e-3 * sw) & (sw > 0) & np.isfinite(sw)
        bad = np.flatnonzero(bad if k is None else bad & (k > 1))
        if bad.size:
            Wb = np.ascontiguousarray(W[bad])
            before = np.zeros_like(Wb)
            np.cumsum(Wb[:, :-1], axis=1, out=before[:, 1:])
            d[bad] = 2.0 * rowsum(Wb * before) / sw[bad]
    return d


def tau2_dl(q: np.ndarray, k: np.ndarray, sw: np.ndarray, sw2: np.ndarray | None = None, *,
            trp: np.ndarray | None = None) -> np.ndarray:
    """DerSimonian & Laird (1986): τ² = max(0, (Q − (k − 1))/(Σw − Σw²/Σw)), w = 1/v; 0 for k < 2.
    ``q`` is the Q the analysis reports (about the MH estimate for MH analyses, as RevMan);
    ``trp``: the denominator from :func:`trace_p` (else computed from ``sw2`` as written)."""
    with np.errstate(all="ignore"):
        den = (sw - sw2 / sw) if trp is None else trp
        return np.where(k > 1, np.maximum(0.0, (q - (k - 1)) / den), 0.0)


def _reml_terms(y: np.ndarray, v: np.ndarray, t: np.ndarray):
    """REML's pieces per row at τ² = ``t`` (Viechtbauer 2005), w = 1/(v + τ²), r = y − μ(τ²):
    f = Σw²r² − tr P (tr P = Σw − Σw²/Σw, :func:`trace_p`) and tr(P²) = Σw² − 2Σw³/Σw + (Σw²/Σw)²
    (the Fisher information, up to ½), plus w, r, r² and Σw for f'."""
    w = 1.0 / (v + t[:, None])
    sw = rowsum(w)
    r = y - (rowsum(w * y) / sw)[:, None]
    w2, r2 = w * w, r * r
    sw2, sw3 = rowsum(w2), rowsum(w2 * w)
    f = rowsum(w2 * r2) - trace_p(w, sw, sw2)
    return f, sw2 - 2 * sw3 / sw + (sw2 / sw) ** 2, w, r, r2, sw


def _score(method: str, y: np.ndarray, v: np.ndarray, t: np.ndarray, km1: np.ndarray):
    """Estimating function f(τ²) (root = estimate; f decreases through the root) and f'(τ²), per row.

    REML (:func:`_reml_terms`): f = Σw²r² − tr P; f' = −2Σw³r² + 2(Σw²r)²/Σw + tr(P²).
    PM (Paule & Mandel 1982): f = Σw r² − (k − 1);  f' = −Σw²r².
    """
    if method == "PM":
        w = 1.0 / (v + t[:, None])
        r = y - (rowsum(w * y) / rowsum(w))[:, None]
        r2 = r * r
        return rowsum(w * r2) - km1, -rowsum(w * w * r2)
    f, trp2, w, r, r2, sw = _reml_terms(y, v, t)
    w2 = w * w
    return f, -2 * rowsum(w2 * w * r2) + 2 * rowsum(w2 * r) ** 2 / sw + trp2


def tau2_iterate(method: str, Y: np.ndarray, V: np.ndarray, k: np.ndarray, start: np.ndarray):
    """REML or PM τ² per row: the root of :func:`_score` in (0, ∞), 0 when f(0) ≤ 0.

    Safeguarded Newton ("rtsafe"): each row keeps a bracket [lo, hi] with f(lo) > 0 > f(hi) (hi by
    doubling), takes the Newton step when it stays inside and bisects otherwise, until
    |Δτ²| ≤ 1e-12·(1 + τ²); ``start`` (e.g. DL) is the first guess. Missing cells: v = ∞.
    Returns τ² and the number of vectorised steps; rows unconverged after 1100 raise (bisection
    alone narrows any bracket in double range to the tolerance in fewer: a bracket as wide as
    1e139, from a study with v = 1e139, needs 500). A row whose
    f is not a finite number (an overflow: estimates near ±1e154) gets τ² NaN, which the core
    reports as not representable; no RuntimeWarning.
    """
    with np.errstate(all="ignore"):
        return _iterate(method, Y, V, k, start)


def _iterate(method, Y, V, k, start):
    tau2 = np.zeros(Y.shape[0])
    km1 = (k - 1).astype(float)
    idx = np.flatnonzero(k > 1)
    if idx.size:
        f0, _ = _score(method, Y[idx], V[idx], np.zeros(idx.size), km1[idx])
        tau2[idx[~np.isfinite(f0)]] = np.nan
        idx = idx[f0 > 0]
    if not idx.size:
        return tau2, 0
    y, v, kk = Y[idx], V[idx], km1[idx]
    fin = np.isfinite(v)
    ybar = rowsum(np.where(fin, y, 0)) / rowsum(fin)
    spread = (rowsum(np.where(fin, (y - ybar[:, None]) ** 2, 0)) / rowsum(fin)
              + np.where(fin, v, 0).max(axis=1))
    lo, hi = np.zeros(idx.size), np.maximum(spread, 1e-8)
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
    act, it = np.arange(idx.size), 0
    while act.size and it < _MAXITER:
        it += 1
        ta, la, ha = t[act], lo[act], hi[act]
        f, d = _score(method, y[act], v[act], ta, kk[act])
        lost = ~np.isfinite(f)  # overflow at this τ²: NaN, and the row stops
        f = np.where(lost, 0.0, f)
        ta = np.where(lost, np.nan, ta)
        la, ha = np.where(f > 0, ta, la), np.where(f > 0, ha, ta)
        with np.errstate(divide="ignore", invalid="ignore"):
            newton = ta - f / d
        ok = np.isfinite(newton) & (newton > la) & (newton < ha)
        new = np.where(f == 0, ta, np.where(ok, newton, 0.5 * (la + ha)))
        done = (np.abs(new - ta) <= _TOL * (1.0 + ta)) | (f == 0) | (ha - la <= _TOL * (1.0 + ta)) | lost
        t[act], lo[act], hi[act] = new, la, ha
        act = act[~done]
    if act.size:
        raise ConvergenceError(f"{method} τ² did not converge in {_MAXITER} iterations for rows "
                               f"{idx[act[:10]].tolist()}")
    tau2[idx] = t
    return tau2, it


def tau2_reml_fisher(Y: np.ndarray, V: np.ndarray, k: np.ndarray, threshold: float = 1e-8,
                     maxiter: int = 100):
    """RevMan's REML τ² per row: Fisher scoring (Harville 1977; metafor's ``rma.uni``) from the
    Hedges estimator τ²₀ = max(0, Σ(y − ȳ)²/(k − 1) − Σv/k), step Δ = f/tr(P²)
    (:func:`_reml_terms`),
    halved while τ² + Δ < 0, stopping after the first step with |Δ| < ``threshold`` (RevMan:
    1e-8; :class:`mytools.engine.settings.Settings` ``reml``). Missing cells: v = ∞. Returns τ²,
    the number of vectorised steps, and the rows not settled after ``maxiter`` steps (metafor's
    limit: Fisher scoring can oscillate; the caller solves those exactly). A row whose step
    overflows gets τ² NaN, with no warning (the core reports it as not representable)."""
    tau2 = np.zeros(Y.shape[0])
    idx = np.flatnonzero(k > 1)
    if not idx.size:
        return tau2, 0, idx
    y, v, kk = Y[idx], V[idx], k[idx].astype(float)
    fin = np.isfinite(v)
    with np.errstate(all="ignore"):
        ybar = rowsum(np.where(fin, y, 0)) / kk
        t = np.maximum(0.0, rowsum(np.where(fin, (y - ybar[:, None]) ** 2, 0)) / (kk - 1)
                       - rowsum(np.where(fin, v, 0)) / kk)
    act, it = np.arange(idx.size), 0
    with np.errstate(all="ignore"):  # an overflowing row gets τ² NaN (the core reports it)
        while act.size and it < maxiter:
            it += 1
            ta = t[act]
            f, trp2, *_ = _reml_terms(y[act], v[act], ta)
            adj = f / trp2
            for _ in range(60):
                neg = ta + adj < 0
                if not neg.any():
                    break
                adj = np.where(neg, adj / 2, adj)
            t[act] = np.where(np.isfinite(adj), ta + adj, np.nan)
            act = act[~((np.abs(adj) < threshold) | ~np.isfinite(adj))]
    tau2[idx] = t
    return tau2, it, idx[act]


def _q_gen(t: np.ndarray, Y: np.ndarray, V: np.ndarray) -> np.ndarray:
    """Generalised Q(τ²) = Σw(y − μ_w)², w = 1/(v + τ²), per row at its own τ² (decreasing in τ²)."""
    w = 1.0 / (V + t[:, None])
    mu = rowsum(w * Y) / rowsum(w)
    return rowsum(w * (Y - mu[:, None]) ** 2)


def q_profile(Y: np.ndarray, V: np.ndarray, k: np.ndarray, level, tau2_hat: np.ndarray):
    """Q-profile CI of τ² per row (Viechtbauer 2007; metafor ``confint``, type "QP"), k ≥ 2.

    The bounds solve Q(τ²) = χ²_{k−1, upper α/2} (lower bound) and Q(τ²) = χ²_{k−1, lower α/2}
    (upper bound); a bound is 0 when Q(0) is already below its target. The search stops at
    τ²_max = max(100, 10·τ̂²) as metafor does, and a bound beyond it is reported as τ²_max (RevMan
    Web packages show such a 100, CD009958). Vectorised bisection: 80 halvings of [0, τ²_max].
    """
    with np.errstate(all="ignore"):
        return _q_profile(Y, V, k, level, tau2_hat)


def _q_profile(Y, V, k, level, tau2_hat):
    """:func:`q_profile`; NaN bounds where Q(0) or Q(τ²_max) is not finite (an overflow)."""
    alpha = 1.0 - np.asarray(level, dtype=float)
    tmax = np.maximum(100.0, 10.0 * tau2_hat)
    q0, qmax = _q_gen(np.zeros(Y.shape[0]), Y, V), _q_gen(tmax, Y, V)
    lost = ~(np.isfinite(q0) & np.isfinite(qmax))
    out = []
    for target in (special.chdtri(k - 1, alpha / 2), special.chdtri(k - 1, 1.0 - alpha / 2)):
        lo, hi = np.zeros(Y.shape[0]), tmax.copy()
        for _ in range(80):
            mid = 0.5 * (lo + hi)
            above = _q_gen(mid, Y, V) > target
            lo, hi = np.where(above, mid, lo), np.where(above, hi, mid)
        out.append(np.where(lost, np.nan, np.where(q0 < target, 0.0,
                                                     np.where(qmax > target, tmax, 0.5 * (lo + hi)))))
    return out[0], out[1]


def i2_from_tau2(tau2: float | np.ndarray, v: np.ndarray) -> float | np.ndarray:
    """I² (percent) from τ² with the Higgins–Thompson typical within-study variance
    s² = (k − 1)Σw / ((Σw)² − Σw²), w = 1/v: I² = 100·τ²/(τ² + s²) (Higgins & Thompson 2002;
    metafor's I² for non-DL estimators). ``v`` 1-D with scalar ``tau2``, or 2-D NaN-padded rows
    with one τ² per row.

    >>> i2_from_tau2(0.1, np.array([0.1, 0.1, 0.1]))
    50.0
    """
    V = np.asarray(v, dtype=float)
    T = np.asarray(tau2, dtype=float)
    if V.ndim not in (1, 2):
        raise InputError(f"v must be 1-D or 2-D, got shape {V.shape}")
    if np.any(T < 0) or not np.all(np.isfinite(T)):
        raise InputError("tau2 must be finite and ≥ 0")
    if np.any(V[~np.isnan(V)] <= 0):
        raise InputError("field 'v' must be > 0")
    W = np.where(np.isnan(V), 0.0, 1.0 / np.where(np.isnan(V), 1.0, V))
    k = (~np.isnan(V)).sum(axis=-1)
    if np.any(k < 2):
        raise InputError("i2_from_tau2 needs at least 2 studies per analysis")
    W2 = np.atleast_2d(W)
    sw, sw2 = W2.sum(axis=-1), (W2**2).sum(axis=-1)
    out = i2_tau2(T, k, sw, sw2, trp=trace_p(W2, sw, sw2).reshape(np.shape(k)))
    return float(out) if np.ndim(out) == 0 else out


def i2_tau2(tau2, k, sw, sw2=None, *, trp=None):
    """I² = 100·τ²/(τ² + s²), s² = (k − 1)Σw/((Σw)² − Σw²) (formula of :func:`i2_from_tau2`),
    computed as (k − 1)/(Σw − Σw²/Σw), which does not overflow (Σw)² (DL's denominator;
    ``trp``: that denominator from :func:`trace_p`)."""
    with np.errstate(all="ignore"):
        s2 = (k - 1) / ((sw - sw2 / sw) if trp is None else trp)
        return 100.0 * (tau2 / (tau2 + s2))  # the ratio first: 100·τ² may overflow


def i2_q(q, df):
    """RevMan's I² = max(0, (Q − df)/Q)·100, and 0 when Q = 0 (Higgins & Thompson 2002)."""
    q, df = np.asarray(q, dtype=float), np.asarray(df)
    with np.errstate(divide="ignore", invalid="ignore"):
        if q.ndim == 0 and df.ndim == 0:
            return float((q - df) / q * 100.0) if q > df and q > 0 else 0.0
        out = q - df  # in place from here: one allocation
        out /= q
        out *= 100.0
        out[~((q > df) & (q > 0))] = 0.0
    return out
