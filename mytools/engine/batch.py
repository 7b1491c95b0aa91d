"""Many analyses and subgroups pooled at once from long-format rows (for ``reproduce``).

``pool_batch(rows, segments, settings)``: one row per study per *segment* (a segment is one pooled
unit: an analysis overall, or one subgroup of it), one entry per segment with its data type,
measure, method, model and interval. Per-study effects come from :mod:`.batch_effects`; sums per
segment are ``np.bincount`` over the segment index; REML/PM τ² use the vectorised iteration of
:mod:`.many` on a NaN-padded matrix; everything else is closed form. The formulas are those of the
scalar functions (:mod:`.pooling`, :mod:`.inverse_variance`, :mod:`.mantel_haenszel`), which are
the reference this module is tested against (agreement ~1e-12). A segment that cannot be pooled
gets NaN with a ``reason``; it does not stop the batch.

>>> import pandas as pd
>>> rows = pd.DataFrame({"segment": [0, 0, 1], "events_intervention": [12, 5, 3],
...                      "n_intervention": [50, 40, 10], "events_control": [20, 9, 1],
...                      "n_control": [50, 41, 10]})
>>> res = pool_batch(rows, {"data_type": ["dichotomous", "dichotomous"], "measure": ["RR", "RR"]})
>>> [round(x, 4) for x in res.pooled["estimate"]]
[0.5906, 3.0]
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Mapping

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from scipy import special

from .batch_effects import row_effects
from .batch_segments import segment_table
from .distributions import p_chi2, p_normal, p_t, t_crit
from .errors import InputError
from .many import _iterate_tau2
from .settings import REVMAN5, Settings, get_mode
from .subgroups import subgroup_test

__all__ = ["pool_batch", "study_effects", "BatchResult"]


@dataclass(frozen=True, eq=False)
class BatchResult:
    """``studies``: one row per input row; ``pooled``: one row per segment (see :func:`pool_batch`)."""

    studies: pd.DataFrame
    pooled: pd.DataFrame

    def subgroup_test(self, segment_ids: Iterable[int]) -> tuple[float, int, float, float]:
        """RevMan's test for subgroup differences over these subgroup segments: (Q, df, P, I²);
        segments without an estimate are left out. With one left RevMan writes Q 0, df 0, P 1 and
        I² 0 (CD014353 3.2), and so do we; with none, NaN."""
        p = self.pooled.loc[list(segment_ids)]
        p = p[p["pooling"] == "ok"]
        if len(p) == 1:
            return 0.0, 0, 1.0, 0.0
        if len(p) < 2:
            return float("nan"), 0, float("nan"), float("nan")
        return subgroup_test(p["theta"].to_numpy(), p["se"].to_numpy())


def _mh_segments(fx, e, s, m, sa, cells, corrected, zero_cell):
    """MH θ, SE and per-row weights for the MH segments (formulas of :mod:`.mantel_haenszel`)."""
    mh_row = e & (sa["method"][s] == "MH") & (sa["data_type"][s] == "dichotomous")
    if not mh_row.any():
        return np.zeros(s.size, bool)
    add = 0.5 * corrected if zero_cell == "revman" else 0.0
    a0, b0, c0, d0 = (cells[k] for k in "abcd")
    a, b, c, d = a0 + add, b0 + add, c0 + add, d0 + add
    meas = sa["measure"][s]
    sm = np.where(mh_row, s, m)  # rows outside MH go to a dummy bin m

    def tot(x):
        return np.bincount(sm, weights=np.where(mh_row, x, 0.0), minlength=m + 1)[:m]

    with np.errstate(divide="ignore", invalid="ignore"):
        n1, n2 = a + b, c + d
        N = n1 + n2
        rr, ors, rd = (mh_row & (meas == x) for x in ("RR", "OR", "RD"))
        R_rr, S_rr = tot(np.where(rr, a * n2 / N, 0)), tot(np.where(rr, c * n1 / N, 0))
        V_rr = tot(np.where(rr, (n1 * n2 * (a + c) - a * c * N) / N**2, 0))
        R, S = a * d / N, b * c / N
        P, Q = (a + d) / N, (b + c) / N
        sR, sS = tot(np.where(ors, R, 0)), tot(np.where(ors, S, 0))
        sPR, sQS = tot(np.where(ors, P * R, 0)), tot(np.where(ors, Q * S, 0))
        sX = tot(np.where(ors, P * S + Q * R, 0))
        n1r, n2r = a0 + b0, c0 + d0
        Nr = n1r + n2r
        w_rd = tot(np.where(rd, n1r * n2r / Nr, 0))
        num_rd = tot(np.where(rd, (a0 * n2r - c0 * n1r) / Nr, 0))
        v_rd = tot(np.where(rd, (a * b * n2**3 + c * d * n1**3) / (n1 * n2 * N**2), 0))
        w_rd_c = tot(np.where(rd, n1 * n2 / N, 0))
        seg_meas = sa["measure"]
        theta = np.select([seg_meas == "RR", seg_meas == "OR"],
                          [np.log(R_rr / S_rr), np.log(sR / sS)], num_rd / w_rd)
        var = np.select([seg_meas == "RR", seg_meas == "OR"],
                        [V_rr / (R_rr * S_rr),
                         sPR / (2 * sR**2) + sX / (2 * sR * sS) + sQS / (2 * sS**2)],
                        v_rd / w_rd_c**2)
        w_row = np.select([meas == "RR", meas == "OR"], [c * n1 / N, S], n1r * n2r / Nr)
    seg_mh = np.bincount(sm, weights=mh_row.astype(float), minlength=m + 1)[:m] > 0
    fx["theta"] = np.where(seg_mh, theta, fx["theta"])
    fx["se"] = np.where(seg_mh, np.sqrt(var), fx["se"])
    fx["w"] = np.where(mh_row, w_row, fx["w"])
    return seg_mh


def _tau2(e, s, m, y, v, k, q, sa, st, model_random):
    """τ² per segment: DL closed form; REML/PM by the vectorised iteration on a padded matrix."""
    w = np.where(e, 1.0 / np.where(e, v, 1.0), 0.0)
    sw = np.bincount(s, weights=w, minlength=m)
    sw2 = np.bincount(s, weights=w * w, minlength=m)
    with np.errstate(divide="ignore", invalid="ignore"):
        tau2 = np.where(model_random & (k > 1), np.maximum(0.0, (q - (k - 1)) / (sw - sw2 / sw)), 0.0)
    for method in ("REML", "PM"):
        todo = np.flatnonzero(model_random & (k > 1) & (sa["tau2_method"] == method))
        # padded matrices per size class (k ≤ 4, ≤ 8, ≤ 16 …), so a few large analyses do not
        # pad every small one to their size
        size_class = np.ceil(np.log2(np.maximum(k[todo], 4))).astype(int)
        for c in np.unique(size_class):
            _reml_pm(method, todo[size_class == c], e, s, m, y, v, k, tau2)
    return tau2, sw, sw2


def _reml_pm(method, segs, e, s, m, y, v, k, tau2) -> None:
    """REML/PM τ² of the segments ``segs`` (in place), by :func:`mytools.engine.many._iterate_tau2`
    on their rows laid out as a NaN-padded matrix (missing cells: v = ∞, weight 0)."""
    if segs.size:
        pos = np.full(m, -1)
        pos[segs] = np.arange(segs.size)
        sel = e & (pos[s] >= 0)
        rows_seg = pos[s[sel]]
        order = np.argsort(rows_seg, kind="stable")
        rs = rows_seg[order]
        starts = np.searchsorted(rs, np.arange(segs.size))
        col = np.arange(rs.size) - starts[rs]
        Y = np.zeros((segs.size, int(k[segs].max())))
        V = np.full(Y.shape, np.inf)
        Y[rs, col], V[rs, col] = y[sel][order], v[sel][order]
        t, _ = _iterate_tau2(method, Y, V, k[segs], tau2[segs])
        tau2[segs] = t


def _z(levels: np.ndarray) -> np.ndarray:
    """Two-sided normal critical values per segment."""
    return -special.ndtri((1.0 - levels) / 2.0)


def _t(levels: np.ndarray, df: np.ndarray) -> np.ndarray:
    """Two-sided t critical values per segment (NaN where df < 1), once per distinct (df, level)."""
    out = np.full(levels.shape, np.nan)
    ok = df >= 1
    if ok.any():
        pairs, inv = np.unique(np.stack([df[ok].astype(float), levels[ok]]), axis=1,
                               return_inverse=True)
        vals = np.array([t_crit(d, lv) for d, lv in pairs.T])
        out[ok] = vals[np.asarray(inv).reshape(-1)]
    return out


def _fixed(e, s, m, y, v, k, sa, cells, corrected, st):
    """Fixed-effect θ, SE, per-row weights and Q (IV or MH) per segment."""
    w = np.where(e, 1.0 / np.where(e, v, 1.0), 0.0)
    ye = np.where(e, y, 0.0)
    sw = np.bincount(s, weights=w, minlength=m)
    with np.errstate(divide="ignore", invalid="ignore"):
        mu = np.bincount(s, weights=w * ye, minlength=m) / sw
        fx = {"theta": mu, "se": 1.0 / np.sqrt(sw), "w": w}
    _mh_segments(fx, e, s, m, sa, cells, corrected, st.zero_cell)
    r = np.where(e, ye - fx["theta"][s], 0.0)
    q = np.bincount(s, weights=w * r * r, minlength=m)
    q = np.where(k == 1, 0.0, q)
    return fx, q


def _random(e, s, m, y, v, k, q, sa, st):
    """Random-effects θ, SE, per-row weights, τ², interval multiplier and t df per segment."""
    rnd = sa["model"] == "random"
    tau2, sw_iv, sw2_iv = _tau2(e, s, m, y, v, k, q, sa, st, rnd)
    ws = np.where(e, 1.0 / (np.where(e, v, 1.0) + tau2[s]), 0.0)
    ye = np.where(e, y, 0.0)
    sw = np.bincount(s, weights=ws, minlength=m)
    with np.errstate(divide="ignore", invalid="ignore"):
        theta = np.bincount(s, weights=ws * ye, minlength=m) / sw
        se_w = 1.0 / np.sqrt(sw)
        hk = rnd & (sa["ci_method"] == "hksj") & (k >= 2)
        r = np.where(e, ye - theta[s], 0.0)
        qh = np.bincount(s, weights=ws * r * r, minlength=m) / (k - 1)
        if st.hksj_floor:
            qh = np.maximum(qh, 1.0)
        se = np.where(hk, np.sqrt(qh / sw), se_w)
    return dict(tau2=tau2, w=ws, theta=theta, se=se, se_wald=se_w, hksj=hk, sw_iv=sw_iv,
                sw2_iv=sw2_iv)


def _prepare(rows, segments, settings, invalid):
    """Settings, segment ids, segment table and per-row effects of a batch (inputs checked)."""
    st = get_mode(settings)
    if invalid not in ("raise", "mark"):
        raise InputError(f"invalid={invalid!r}; expected 'raise' or 'mark'")
    if "segment" not in rows:
        raise InputError("rows: column 'segment' is required")
    s = np.asarray(rows["segment"]).astype(int).reshape(-1)
    for name in rows.keys() if hasattr(rows, "keys") else ():
        if np.size(rows[name]) != s.size:
            raise InputError(f"rows: column {name!r} has {np.size(rows[name])} entries, 'segment' {s.size}")
    sa = segment_table(segments, st)
    m = sa["data_type"].size
    if s.size and (s.min() < 0 or s.max() >= m):
        raise InputError(f"rows: segment ids must be in 0..{m - 1}")
    return st, s, sa, m, row_effects(rows, s, sa, st, invalid)


def study_effects(rows: pd.DataFrame | Mapping[str, ArrayLike],
                  segments: pd.DataFrame | Mapping[str, ArrayLike],
                  settings: Settings | str = REVMAN5, *, invalid: str = "raise") -> pd.DataFrame:
    """Per-study effects of a long-format batch without pooling: ``pool_batch(...).studies``
    without ``weight_percent`` (columns ``segment, y, v, estimate, ci_low, ci_high, estimable,
    zero_cell_corrected``; CI y ± z·√v at the segment's ``study_ci_level``, back-transformed when
    ``log_scale``). Cheap: use it to try many settings on the same rows."""
    _, s, sa, m, eff = _prepare(rows, segments, settings, invalid)
    return _studies(rows, s, eff, eff.estimable, None, m, sa)


def pool_batch(rows: pd.DataFrame | Mapping[str, ArrayLike],
               segments: pd.DataFrame | Mapping[str, ArrayLike],
               settings: Settings | str = REVMAN5, *, invalid: str = "raise") -> BatchResult:
    """Pool every segment of a long-format batch (columns and results in /work/plan/engine-api.md
    and the module docstring). Formulas: those of the scalar ``pool_*`` functions.
    ``invalid="mark"``: rows with missing or impossible counts are not estimable (with "raise",
    the default, they raise :class:`InputError` naming the row)."""
    st, s, sa, m, eff = _prepare(rows, segments, settings, invalid)
    e = eff.estimable
    k = np.bincount(s, weights=e.astype(float), minlength=m).astype(int)
    nrows = np.bincount(s, minlength=m)
    fx, q = _fixed(e, s, m, eff.y, eff.v, k, sa, eff.cells, eff.corrected, st)
    rd = _random(e, s, m, eff.y, eff.v, k, q, sa, st)
    rnd = sa["model"] == "random"
    theta = np.where(rnd, rd["theta"], fx["theta"])
    se = np.where(rnd, rd["se"], fx["se"])
    w_row = np.where(rnd[s], rd["w"], fx["w"])
    with np.errstate(invalid="ignore"):
        fixed_ok = np.isfinite(fx["theta"]) & np.isfinite(fx["se"]) & (fx["se"] > 0)
    pooled = _assemble(theta, se, q, k, nrows, rnd, rd, sa, st, fixed_ok)
    _tau2_ci(pooled, e, s, eff.y, eff.v, rnd, sa)
    studies = _studies(rows, s, eff, e, w_row, m, sa)
    return BatchResult(studies=studies, pooled=pooled)


def _assemble(theta, se, q, k, nrows, rnd, rd, sa, st, fixed_ok) -> pd.DataFrame:
    hk = rd["hksj"]
    tdf = np.where(hk, k - 1, 0)
    crit = np.where(hk, _t(sa["ci_level"], tdf), _z(sa["ci_level"]))
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        z = theta / se
        p = np.where(hk, p_t(z, np.maximum(tdf, 1)), p_normal(z))
        if st.hksj_p == "wald":
            p = np.where(hk, p_normal(theta / rd["se_wald"]), p)
        lo, hi = theta - crit * se, theta + crit * se
        df = k - 1
        i2q = np.where((q > df) & (q > 0), (q - df) / np.where(q > 0, q, 1.0) * 100.0, 0.0)
        s2 = (k - 1) * rd["sw_iv"] / (rd["sw_iv"] ** 2 - rd["sw2_iv"])
        tau2 = np.where(rnd, rd["tau2"], 0.0)
        i2t = np.where(k >= 2, 100.0 * tau2 / (tau2 + s2), np.nan)
        i2 = np.where(rnd & (k >= 2) & (st.i2 == "tau2"), i2t, i2q)
        pidf = k - (2 if st.prediction_df == "k-2" else 1)
        half = _t(sa["ci_level"], pidf) * np.sqrt(tau2 + se**2)
        has_pi = rnd & (pidf >= 1)
        pi_lo, pi_hi = np.where(has_pi, theta - half, np.nan), np.where(has_pi, theta + half, np.nan)
        p_q = np.where(df > 0, p_chi2(q, np.maximum(df, 1)), np.nan)
    log = sa["log_scale"]
    def back(x):
        with np.errstate(over="ignore"):
            return np.where(log, np.exp(x), x)
    ok = (k > 0) & fixed_ok & np.isfinite(theta) & np.isfinite(se) & (se > 0)
    reason = np.where(nrows == 0, "no rows", np.where(k == 0, "no estimable study", np.where(
        ok, "", "pooled estimate not estimable (HKSJ SE 0, or an infinite MH estimate)")))
    pooling = np.where(ok, "ok", np.where(nrows == 0, "empty", "not_estimable"))
    def val(x):  # NaN for segments that could not be pooled
        return np.where(ok, x, np.nan)
    return pd.DataFrame({
        "k": k, "estimate": val(back(theta)), "ci_low": val(back(lo)), "ci_high": val(back(hi)),
        "theta": val(theta), "se": val(se), "z": val(z), "p": val(p),
        "t_df": val(np.where(hk, tdf, np.nan)), "q": val(q), "df": df, "p_q": val(p_q),
        "i2": val(i2), "i2_q": val(i2q), "i2_tau2": val(i2t), "tau2": val(tau2),
        "tau2_ci_low": np.nan, "tau2_ci_high": np.nan, "pi_low": val(back(pi_lo)),
        "pi_high": val(back(pi_hi)), "pooling": pooling, "reason": reason})


def _q_gen(t: np.ndarray, y, v, s_loc, n_seg) -> np.ndarray:
    """Generalised Q(τ²) = Σw(y − μ_w)², w = 1/(v + τ²), for each segment at its own τ² = t."""
    w = 1.0 / (v + t[s_loc])
    sw = np.bincount(s_loc, weights=w, minlength=n_seg)
    mu = np.bincount(s_loc, weights=w * y, minlength=n_seg) / sw
    r = y - mu[s_loc]
    return np.bincount(s_loc, weights=w * r * r, minlength=n_seg)


def _tau2_ci(pooled, e, s, y, v, rnd, sa) -> None:
    """Q-profile CI of τ² (formulas and the τ²_max = max(100, 10τ̂²) cap of
    :func:`~mytools.engine.tau2.q_profile_ci`) for the random-effects segments that ask for it, by
    a bisection run on all of them at once (80 halvings of [0, τ²_max])."""
    want = np.flatnonzero(rnd & sa["tau2_ci"] & (pooled["k"].to_numpy() >= 2)
                          & (pooled["pooling"].to_numpy() == "ok"))
    if not want.size:
        return
    pos = np.full(sa["data_type"].size, -1)
    pos[want] = np.arange(want.size)
    sel = e & (pos[s] >= 0)
    s_loc, yy, vv = pos[s[sel]], y[sel], v[sel]
    k = pooled["k"].to_numpy()[want]
    alpha = 1.0 - sa["ci_level"][want]
    tmax = np.maximum(100.0, 10.0 * pooled["tau2"].to_numpy()[want])
    q0 = _q_gen(np.zeros(want.size), yy, vv, s_loc, want.size)
    qmax = _q_gen(tmax, yy, vv, s_loc, want.size)
    bounds = []
    for target in (special.chdtri(k - 1, alpha / 2), special.chdtri(k - 1, 1.0 - alpha / 2)):
        lo, hi = np.zeros(want.size), tmax.copy()
        for _ in range(80):
            mid = 0.5 * (lo + hi)
            above = _q_gen(mid, yy, vv, s_loc, want.size) > target
            lo, hi = np.where(above, mid, lo), np.where(above, hi, mid)
        b = np.where(q0 < target, 0.0, np.where(qmax > target, tmax, 0.5 * (lo + hi)))
        bounds.append(b)
    pooled.loc[want, "tau2_ci_low"] = bounds[0]
    pooled.loc[want, "tau2_ci_high"] = bounds[1]


def _studies(rows, s, eff, e, w_row, m, sa) -> pd.DataFrame:
    zs = _z(sa["study_ci_level"][s])
    sd = np.sqrt(eff.v)
    log = sa["log_scale"][s]
    def back(x):
        with np.errstate(over="ignore"):
            return np.where(log, np.exp(x), x)
    index = rows.index if isinstance(rows, pd.DataFrame) else None
    out = {"segment": s, "y": eff.y, "v": eff.v, "estimate": back(eff.y),
           "ci_low": back(eff.y - zs * sd), "ci_high": back(eff.y + zs * sd)}
    if w_row is not None:
        wsum = np.bincount(s, weights=np.where(e, w_row, 0.0), minlength=m)
        with np.errstate(divide="ignore", invalid="ignore"):
            out["weight_percent"] = np.where(e, 100.0 * w_row / wsum[s], 0.0)
    out.update(estimable=e, zero_cell_corrected=eff.corrected)
    return pd.DataFrame(out, index=index)
