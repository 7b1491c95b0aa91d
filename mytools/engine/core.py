"""The pooling core: inverse-variance fixed and random effects for many analyses at once — the one
implementation behind every pooled number (scalar ``pool_*``, ``pool_many``, ``pool_batch``).

Layout: one analysis per row of NaN-padded (analyses × studies) matrices ``Y`` (analysis-scale
estimates) and ``V`` (their variances), the same cells NaN in both. Any engine function that takes
many analyses takes this layout; long-format rows are laid out by :func:`pad_segments`.

Formulas (Deeks & Higgins 2010 unless said): fixed effect μ = Σwy/Σw, SE = 1/√Σw, w = 1/v (or the
Mantel–Haenszel fit passed as ``fixed``); Cochran's Q = Σw(y − μ_fixed)², df = k − 1; I² from Q
or from τ² (:mod:`.tau2`); random effects w* = 1/(v + τ²), μ = Σw*y/Σw*, Wald μ ± z·SE with
SE = 1/√Σw*, or Hartung–Knapp–Sidik–Jonkman (Hartung & Knapp 2001; Sidik & Jonkman 2002):
SE² = q/Σw*, q = Σw*(y − μ)²/(k − 1) (``hksj_floor``: max(1, q)), μ ± t_{k−1}·SE; prediction
interval μ ± t_{df}·√(τ² + SE²), df = k − 2 or k − 1 (Higgins, Thompson & Spiegelhalter 2009).

Edges, decided once (``status`` per row; every entry point reports the same message):

* no estimable study → :data:`NO_STUDY`;
* an infinite or zero-SE fixed-effect fit (MH with raw counts and no events in one arm) →
  :data:`FIXED_NOT_ESTIMABLE`;
* one study with ``ci_method="hksj"`` → the Wald interval (``hksj_one`` is True; t needs k ≥ 2);
* HKSJ with q = 0 (all estimates identical) → :data:`HKSJ_ZERO`, never a zero-width interval;
* a pooled number that is not finite in double precision (a sum such as Σw, Σw², Q, Σw·y or τ²
  overflows; study estimates near ±1e154 or variances near 1e-154) → :data:`NOT_REPRESENTABLE`,
  never a RuntimeWarning or a silent ∞/NaN. Studies whose own y or v is not finite never get here
  (:func:`~.effects.finite_effects`: callers leave them out as not estimable).

>>> import numpy as np
>>> r = pool_rows(np.array([[0.0, 1.0], [0.2, np.nan]]), np.array([[1.0, 1.0], [0.04, np.nan]]),
...               model="fixed")
>>> r.theta.tolist(), r.k.tolist(), r.q.tolist()
([0.5, 0.2], [2, 1], [0.5, 0.0])
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
from scipy import special

from .settings import REVMAN5, Settings
from .tau2 import (i2_q, i2_tau2, q_profile, rowsum as _rs, tau2_dl, tau2_iterate, tau2_reml_fisher,
                   trace_p)

__all__ = ["Pooled", "pool_rows", "pad_segments", "STATUS_MESSAGES", "OK", "NO_STUDY",
           "FIXED_NOT_ESTIMABLE", "HKSJ_ZERO", "NOT_REPRESENTABLE", "HKSJ_ONE_NOTE"]

OK, NO_STUDY, FIXED_NOT_ESTIMABLE, HKSJ_ZERO, NOT_REPRESENTABLE = 0, 1, 2, 3, 4
STATUS_MESSAGES = {
    NO_STUDY: "no estimable study",
    FIXED_NOT_ESTIMABLE: "the pooled estimate is not estimable from these counts (an infinite "
                         "estimate or zero SE: with zero_cell='none' a zero total of events in one "
                         "arm makes the MH estimate infinite; use zero_cell='revman')",
    HKSJ_ZERO: "the Hartung–Knapp SE is 0 (all study estimates identical, q = 0): the interval "
               "would have zero width; use ci_method='wald' or hksj_floor=True",
    NOT_REPRESENTABLE: "the pooled result is not a finite number in double precision (study "
                       "estimates or variances so extreme that a sum, τ² or the back-transformed "
                       "ratio overflows)",
}
HKSJ_ONE_NOTE = "Hartung–Knapp needs k ≥ 2; with one study the Wald interval is shown"


@dataclass(frozen=True, eq=False)
class Pooled:
    """Per-row results (analysis scale; NaN where ``status`` is not OK). ``t_df``: NaN for normal
    intervals; ``weights``: the pooling weights per cell (0 in padding); ``hksj_one``: one-study
    rows that asked for HKSJ and got Wald; ``later``: with ``report="later"``, the function that
    computes ``p`` and ``p_q``."""

    theta: np.ndarray
    se: np.ndarray
    ci_low: np.ndarray
    ci_high: np.ndarray
    z: np.ndarray
    p: np.ndarray
    t_df: np.ndarray
    q: np.ndarray
    df: np.ndarray
    p_q: np.ndarray
    i2: np.ndarray
    i2_q: np.ndarray
    i2_tau2: np.ndarray
    tau2: np.ndarray
    tau2_ci_low: np.ndarray
    tau2_ci_high: np.ndarray
    pi_low: np.ndarray
    pi_high: np.ndarray
    k: np.ndarray
    weights: np.ndarray | None
    hksj: np.ndarray
    hksj_one: np.ndarray
    status: np.ndarray
    iterations: int = 0
    later: Callable[[], dict[str, np.ndarray]] | None = None

    def message(self, i: int) -> str | None:
        """The error message of row ``i`` (None when it pooled)."""
        return STATUS_MESSAGES.get(int(self.status[i]))


def _rows(x, n: int, dtype=None) -> np.ndarray:
    """A per-row setting as an array of length n (a scalar is broadcast)."""
    return np.broadcast_to(np.asarray(x, dtype=dtype), (n,))


def _is(x, value, n: int):
    """Per-row ``x == value``: a bool array, or one Python bool when ``x`` is one value for all."""
    if np.ndim(x) == 0:
        return bool(x == value)
    return np.asarray(x) == value


def _wsq(W: np.ndarray, Y: np.ndarray, mu: np.ndarray) -> np.ndarray:
    """The cells w·(y − μ)² of each row, in one array (no temporaries)."""
    R = np.subtract(Y, mu[:, None])
    np.multiply(R, R, out=R)
    np.multiply(W, R, out=R)
    return R


def _q(W: np.ndarray, Y: np.ndarray, mu: np.ndarray) -> np.ndarray:
    """Σw(y − μ)² per row. (y − μ)² overflows when |y − μ| > 1.3e154: rows that are not finite
    are summed again as (w·(y − μ))·(y − μ), finite whenever w(y − μ)² is."""
    q = _rs(_wsq(W, Y, mu))
    if _all_finite(q):
        return q
    bad = np.flatnonzero(~np.isfinite(q) & np.isfinite(mu))
    if bad.size:
        R = Y[bad] - mu[bad, None]
        q[bad] = _rs((W[bad] * R) * R)
    return q


def _all_finite(*xs: np.ndarray) -> bool:
    """True when every value of every array is finite: one sum each (NaN and ±∞ make the total
    non-finite; a total that overflows only sends the caller to its exact check)."""
    with np.errstate(all="ignore"):
        return bool(np.isfinite(sum(float(np.sum(x)) for x in xs)))


def _pick(mask, a, b):
    """``np.where(mask, a, b)``, without the copy when ``mask`` is one bool for all rows."""
    if mask is True or mask is False:
        return a if mask else b
    return np.where(mask, a, b)


def _crit(df: np.ndarray, level, rows: np.ndarray) -> np.ndarray:
    """Two-sided t critical values on ``df`` at ``level`` for ``rows`` (NaN elsewhere), computed
    once per distinct (df, level): the key df + level is unique because 0 < level < 1 (one level
    for all rows: the distinct df found by counting, not sorting; same key, same numbers)."""
    out = np.full(df.shape, np.nan)
    if not rows.any():
        return out
    if np.ndim(level) == 0:
        d = df[rows].astype(np.intp)  # whole numbers of degrees of freedom
        present = np.flatnonzero(np.bincount(d))
        table = np.empty(present[-1] + 1)
        table[present] = _t_at(present + level)
        out[rows] = table[d]
        return out
    u, inv = np.unique(df[rows] + level[rows], return_inverse=True)
    out[rows] = _t_at(u)[inv]
    return out


def _t_at(key: np.ndarray) -> np.ndarray:
    """t quantiles for keys df + level (the df is the whole part)."""
    d = np.floor(key)
    return special.stdtrit(d, 1.0 - (1.0 - (key - d)) / 2.0)


def pool_rows(Y: np.ndarray, V: np.ndarray, *, model="random", tau2_method="DL",
              ci_method="wald", ci_level=0.95, tau2_ci=False, settings: Settings = REVMAN5,
              fixed: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None = None,
              report: bool | str = True) -> Pooled:
    """Pool every row of ``Y``/``V`` (formulas and edges in the module docstring).

    ``model``, ``tau2_method``, ``ci_method``, ``ci_level``, ``tau2_ci``: one value or one per row.
    ``settings`` supplies ``hksj_floor``, ``prediction_df``, ``i2`` and ``hksj_p``. ``fixed``:
    (use, θ, SE, weights) of another fixed-effect fit (MH) for the rows where ``use`` is True; Q
    is then about that θ (as RevMan) and DL's τ² comes from that Q. ``report=False`` computes only
    θ, SE, interval, τ², Q and I² from Q (``pool_many``'s fields; the rest NaN, weights None);
    ``report="later"`` computes everything but P and P of Q (NaN), which ``later()`` returns when
    called (for ``pool_batch``, whose table may be read later or not at all).
    Inputs are not checked here: callers validate (v > 0, same NaN cells)."""
    n = Y.shape[0]
    with np.errstate(all="ignore"):  # the sum may overflow: ±∞ is not NaN, (∞ − ∞) NaN is safe
        has_nan = np.isnan(Y.sum())
    if has_nan:  # a NaN cell makes the sum NaN: one fast reduction when there is none
        miss = np.isnan(Y)
        k = Y.shape[1] - miss.sum(axis=1)  # integers: exact in any order
        pad = np.where(k > 0, Y[np.arange(n), np.argmax(~miss, axis=1)], 0.0)[:, None]
        Yz = np.asfortranarray(np.where(miss, pad, Y))  # y of the row's first study: (y − μ)² stays
        Vz = np.asfortranarray(np.where(miss, np.inf, V))  # finite where the row's own cells' are
    else:
        k = np.full(n, Y.shape[1])
        Yz, Vz = Y, V
    rnd = _is(model, "random", n)
    with np.errstate(all="ignore"):  # overflow: the NOT_REPRESENTABLE status, not a warning
        W = 1.0 / Vz
        sw, sw2 = _rs(W), _rs(W * W)
        theta_f, se_f, w_f = _rs(W * Yz) / sw, 1.0 / np.sqrt(sw), W
        if fixed is not None:
            use, th, se_, w_ = fixed
            theta_f, se_f = np.where(use, th, theta_f), np.where(use, se_, se_f)
            w_f = np.where(use[:, None], w_, W)
        q = _q(W, Yz, theta_f)
        q[k <= 1] = 0.0
        trp = trace_p(W, sw, sw2, k)  # Σw − Σw²/Σw without cancellation (DL, I² from τ²)
    status = _fixed_status(np.where(k == 0, NO_STUDY, OK), theta_f, se_f, q, sw, sw2, fixed)
    ok = status == OK
    with np.errstate(all="ignore"):
        tau2, iters = _tau2(Yz, Vz, k, q, sw, trp, rnd & ok, tau2_method, settings.reml)
    return _random_and_report(Yz, Vz, k, q, sw, trp, tau2, iters, rnd, status, theta_f, se_f,
                              w_f, _is(ci_method, "hksj", n),
                              ci_level if np.ndim(ci_level) == 0 else np.asarray(ci_level, float),
                              _rows(tau2_ci, n, bool), settings, report)


def _fixed_status(status, theta_f, se_f, q, sw, sw2, fixed):
    """FIXED_NOT_ESTIMABLE where an MH fit is ±∞ or has no finite SE > 0 (a zero total of events;
    :func:`~.mantel_haenszel.mh_rows` makes θ NaN when its sums overflow); NOT_REPRESENTABLE where
    Σw, Σw², Q or the fit is not finite otherwise (an overflow)."""
    if _all_finite(theta_f, se_f, sw, sw2, q) and (se_f.size == 0 or se_f.min() > 0):
        return status  # the usual case: nothing to mark
    with np.errstate(invalid="ignore"):
        bad = ~(np.isfinite(theta_f) & np.isfinite(se_f) & (se_f > 0))
        over = bad | ~(np.isfinite(sw) & np.isfinite(sw2) & np.isfinite(q))
    mh_inf = bad & ~np.isnan(theta_f) & (False if fixed is None else fixed[0])  # NaN: mh_rows overflow
    ok = status == OK
    return np.where(ok & mh_inf, FIXED_NOT_ESTIMABLE, np.where(ok & over, NOT_REPRESENTABLE, status))


def _tau2(Yz, Vz, k, q, sw, trp, want, method, reml="exact"):
    """τ² per row: DL closed form; REML/PM iterated (from DL) on the rows that ask for them; with
    ``reml="revman"``, REML by RevMan's Fisher scoring (:func:`tau2_reml_fisher`; rows where it
    does not settle in 100 steps are solved exactly)."""
    tau2 = np.where(want, tau2_dl(q, k, sw, trp=trp), 0.0)
    iters = 0
    for m in ("REML", "PM"):
        rows = np.flatnonzero(want & (k > 1) & _is(method, m, k.size))
        if rows.size and m == "REML" and reml == "revman":
            t, it, unsettled = tau2_reml_fisher(Yz[rows], Vz[rows], k[rows])
            tau2[rows], iters = t, max(iters, it)
            rows = rows[unsettled]
        if rows.size:
            t, it = tau2_iterate(m, Yz[rows], Vz[rows], k[rows], tau2[rows])
            tau2[rows], iters = t, max(iters, it)
    return tau2, iters


def _random_and_report(Yz, Vz, k, q, sw, trp, tau2, iters, rnd, status, theta_f, se_f, w_f,
                       want_hk, level, tau2_ci, st: Settings, report: bool | str) -> Pooled:
    ok = status == OK
    nan = np.full(k.shape, np.nan)
    with np.errstate(all="ignore"):
        Ws = np.add(Vz, tau2[:, None])
        np.divide(1.0, Ws, out=Ws)  # w* = 1/(v + τ²), one allocation
        swr = _rs(Ws)
        theta_r = _rs(Ws * Yz) / swr
        se_r = 1.0 / np.sqrt(swr)
        theta = _pick(rnd, theta_r, theta_f)
        se = _pick(rnd, se_r, se_f)
        want_hk = rnd & want_hk
        hk, hksj_one = want_hk & (k >= 2), want_hk & (k == 1) & ok
        df = k - 1
        crit = -special.ndtri((1.0 - level) / 2.0)
        if hk.any():  # Hartung–Knapp: SE² = q/Σw*, q = Σw*(y − μ)²/(k − 1), t on k − 1 df
            qh = _q(Ws, Yz, theta_r) / df
            if st.hksj_floor:
                qh = np.maximum(qh, 1.0)
            status = np.where(ok & hk & (qh <= 1e-20), HKSJ_ZERO, status)
            se = np.where(hk, np.sqrt(qh / swr), se)
            crit = np.where(hk, _crit(df.astype(float), level, hk), crit)
        ok = status == OK
        i2q = i2_q(q, df)
        out = dict(z=nan, p=nan, p_q=nan, i2_tau2=nan, pi_low=nan, pi_high=nan, tau2_ci_low=nan,
                   tau2_ci_high=nan, weights=None)
        if report:
            out.update(_report(Yz, Vz, k, q, sw, trp, tau2, theta, se, se_r, rnd, hk, ok, level,
                               tau2_ci, st, p_values=report is True))
            i2 = np.where(rnd & (k >= 2) & (st.i2 == "tau2"), out["i2_tau2"], i2q)
        else:
            i2 = i2q
        lo, hi = theta - crit * se, theta + crit * se
        z = out["z"] if report else theta / se
        status = _finite_status(status, lo, hi, se, z, tau2, i2, out if report else None, k,
                                rnd & tau2_ci)
        ok = status == OK
        if report:
            out["weights"] = (Ws if rnd is True and ok.all() else
                              np.where((ok & rnd)[:, None], Ws, np.where(ok[:, None], w_f, 0.0)))
    all_ok = bool(ok.all())

    def val(x):
        return x if all_ok else np.where(ok, x, np.nan)

    def later() -> dict[str, np.ndarray]:
        """P and P of Q, NaN where the row did not pool (as if computed now with the rest)."""
        with np.errstate(all="ignore"):
            return {name: val(x) for name, x in _p_values(out["z"], theta, se_r, hk, q, df, st).items()}
    return Pooled(theta=val(theta), se=val(se), ci_low=val(lo), ci_high=val(hi), t_df=val(np.where(hk, df, np.nan)) if hk.any() else nan,
                  q=val(q),
                  df=df, i2=val(i2), i2_q=val(i2q), tau2=val(tau2 if rnd is True else np.where(rnd, tau2, 0.0)), k=k,
                  hksj=hk & ok, hksj_one=hksj_one, status=status, iterations=iters,
                  later=later if report == "later" else None,
                  **{name: (x if name == "weights" or x is nan else val(x)) for name, x in out.items()})


def _finite_status(status, lo, hi, se, z, tau2, i2, out, k, want_ci):
    """NOT_REPRESENTABLE where a pooled number of an OK row is not finite: θ, SE, z, the interval,
    τ², I² and, with ``out`` (the report), where they apply I² from τ², the prediction interval
    and τ²'s CI."""
    if _all_finite(lo, hi, se, z, tau2, i2) and (out is None or _report_finite(out, k, want_ci)):
        return status  # the usual case: nothing to mark
    fin = (np.isfinite(lo) & np.isfinite(hi) & np.isfinite(se) & np.isfinite(z)  # z: always
           & np.isfinite(tau2) & np.isfinite(i2))
    if out is not None:  # the report's numbers too
        fin &= (~np.isinf(out["pi_low"]) & ~np.isinf(out["pi_high"])
                & ((k < 2) | np.isfinite(out["i2_tau2"]))
                & (~(want_ci & (k >= 2)) | np.isfinite(out["tau2_ci_low"] + out["tau2_ci_high"])))
    if fin.all():
        return status
    return np.where((status == OK) & ~fin, NOT_REPRESENTABLE, status)


def _report_finite(out, k, want_ci) -> bool:
    """No prediction bound is ±∞, I² from τ² is finite where k ≥ 2 and the τ² CI where asked."""
    if np.isinf(out["pi_low"]).any() or np.isinf(out["pi_high"]).any():
        return False
    k2 = k >= 2
    if not (_all_finite(out["i2_tau2"]) if k2.all() else _all_finite(out["i2_tau2"][k2])):
        return False
    ci = want_ci & k2
    return not ci.any() or _all_finite(out["tau2_ci_low"][ci], out["tau2_ci_high"][ci])


def _p_values(z, theta, se_r, hk, q, df, st: Settings) -> dict[str, np.ndarray]:
    """P of the test of no effect (normal; t on k − 1 df for HKSJ rows, or the Wald P beside them
    when ``hksj_p == "wald"``) and P of Q (χ² on k − 1 df, where k ≥ 2)."""
    p = 2.0 * special.ndtr(-np.abs(z))
    h = np.flatnonzero(hk)
    if h.size and st.hksj_p == "wald":  # RevMan Web: the Wald P beside the HKSJ statistic and interval
        p[h] = 2.0 * special.ndtr(-np.abs(theta[h] / se_r[h]))
    elif h.size:
        p[h] = 2.0 * special.stdtr(np.maximum(df[h], 1), -np.abs(z[h]))
    p_q = np.full(df.shape, np.nan)
    pos = np.flatnonzero(df > 0)
    p_q[pos] = special.chdtrc(df[pos], q[pos])
    return dict(p=p, p_q=p_q)


def _report(Yz, Vz, k, q, sw, trp, tau2, theta, se, se_r, rnd, hk, ok, level, tau2_ci, st,
            p_values=True):
    """z, P and P of Q (unless ``p_values`` is False), I² from τ², prediction interval and
    Q-profile CI of τ² (formulas above)."""
    z = theta / se
    out = _p_values(z, theta, se_r, hk, q, k - 1, st) if p_values else {}
    pidf = (k - (2 if st.prediction_df == "k-2" else 1)).astype(float)
    has_pi = rnd & (pidf >= 1) & ok
    half = _crit(pidf, level, has_pi) * np.sqrt(tau2 + se**2)
    lo_t, hi_t = np.full(k.shape, np.nan), np.full(k.shape, np.nan)
    want = np.flatnonzero(ok & rnd & tau2_ci & (k >= 2))
    if want.size:
        lo_t[want], hi_t[want] = q_profile(Yz[want], Vz[want], k[want],
                                           np.broadcast_to(level, k.shape)[want], tau2[want])
    return dict(out, z=z,
                i2_tau2=np.where(k >= 2, i2_tau2(tau2, k, sw, trp=trp), np.nan),
                pi_low=np.where(has_pi, theta - half, np.nan),
                pi_high=np.where(has_pi, theta + half, np.nan), tau2_ci_low=lo_t, tau2_ci_high=hi_t)


def pad_segments(seg: np.ndarray, n_seg: int, *columns: np.ndarray, width: int | None = None):
    """Lay long-format rows (segment id per row) out as NaN-padded (segments × ``width``) matrices,
    studies left-aligned in input order (``width`` at least the largest segment; by default that).
    The width changes no number: row sums add the padding's exact zeros last (:func:`.tau2.rowsum`).
    Rows already grouped by segment are not sorted again; equal-sized segments are a reshape.
    Returns (row position, column position, matrices...); for a reshape the positions are None
    (row i of the input is cell i of the flattened matrices) and the matrices are views of the
    columns (the core does not write into them)."""
    counts = np.bincount(seg, minlength=n_seg)
    width = max(width or 1, int(counts.max()) if counts.size and seg.size else 1)
    grouped = seg.size < 2 or bool((seg[1:] >= seg[:-1]).all())
    if grouped and counts.size and bool((counts == width).all()):
        return None, None, *(np.asarray(c, dtype=float).reshape(n_seg, width) for c in columns)
    order = None if grouped else np.argsort(seg, kind="stable")
    s = seg if grouped else seg[order]
    starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
    col = np.arange(s.size) - starts[s]
    if grouped:
        row_pos, col_pos = s, col
    else:
        row_pos = np.empty(seg.size, dtype=np.int64)
        col_pos = np.empty(seg.size, dtype=np.int64)
        row_pos[order], col_pos[order] = s, col
    mats = []
    for c in columns:
        M = np.full((n_seg, width), np.nan)
        M[row_pos, col_pos] = c
        mats.append(M)
    return (row_pos, col_pos, *mats)
