"""Many analyses and subgroups pooled at once from long-format rows (for ``reproduce``).

``pool_batch(rows, segments, settings)``: one row per study per *segment* (a segment is one pooled
unit: an analysis overall, or one subgroup of it), one entry per segment with its data type,
measure, method, model and interval. Per-study effects come from :mod:`.batch_effects` (the
formulas of :mod:`.effects` and :mod:`.peto`); the rows are laid out as NaN-padded matrices per
size class (:func:`~mytools.engine.core.pad_segments`: k ≤ 4, ≤ 8, ≤ 16 …, so a few large analyses
do not pad every small one) and pooled by the core (:func:`~mytools.engine.core.pool_rows`, with
the Mantel–Haenszel fit of :func:`~mytools.engine.mantel_haenszel.mh_rows` for MH segments): the
very code behind the scalar functions and ``pool_many``. A segment that cannot be pooled gets NaN
with the core's ``reason``; it does not stop the batch.

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
from .batch_segments import SegmentSettings, segment_settings
from .effects import ratio_overflows
from .core import HKSJ_ONE_NOTE, NOT_REPRESENTABLE, OK, STATUS_MESSAGES, pad_segments, pool_rows
from .errors import InputError
from .mantel_haenszel import mh_rows
from .settings import REVMAN5, Settings, get_mode
from .subgroups import subgroup_test
from .vocabulary import BINARY_MEASURES

__all__ = ["pool_batch", "study_effects", "BatchResult"]

_OUT = ("theta", "se", "ci_low", "ci_high", "z", "p", "t_df", "q", "p_q", "i2", "i2_q", "i2_tau2",
        "tau2", "tau2_ci_low", "tau2_ci_high", "pi_low", "pi_high")


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
    sa = segment_settings(segments, st)
    m = sa.m
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
    """Pool every segment of a long-format batch (see the module docstring).

    ``rows``: ``segment`` and the input columns of the segments' data types
    (``events_intervention, n_intervention, events_control, n_control``; ``mean_*``, ``sd_*``,
    ``n_*``; ``giv_estimate, giv_se``; ``o_e, variance``). ``segments``: ``data_type`` and
    optionally ``measure, method, model, tau2_method, ci_method, log_scale, swap_events, tau2_ci,
    ci_level, study_ci_level`` (missing ones from ``settings``). ``pooled`` has one row per segment
    (``k, estimate, ci_low, ci_high, theta, se, z, p, t_df, q, df, p_q, i2, i2_q, i2_tau2, tau2,
    tau2_ci_low, tau2_ci_high, pi_low, pi_high, pooling, reason, note``); ``studies`` one per row.
    ``studies`` carries ``weight_percent`` and the unnormalised ``weight`` of each row.
    ``invalid="mark"``: rows with missing or impossible counts are not estimable (with "raise",
    the default, they raise :class:`InputError` naming the row)."""
    st, s, sa, m, eff = _prepare(rows, segments, settings, invalid)
    e = eff.estimable
    sel = np.flatnonzero(e)
    k = np.bincount(s[sel], minlength=m)
    out = {}
    status = np.zeros(m, dtype=int)
    hksj_one = np.zeros(m, dtype=bool)
    w_row = np.zeros(s.size)
    size_class = np.ceil(np.log2(np.maximum(k, 4))).astype(int)
    classes = np.flatnonzero(np.bincount(size_class))
    for c in classes:
        segs = np.arange(m) if classes.size == 1 else np.flatnonzero(size_class == c)
        _pool_class(segs, sel, s, m, eff, sa, st, out, status, hksj_one, w_row)
    for name in _OUT:
        out.setdefault(name, np.full(m, np.nan))
    _ratio_status(out, status, sa.expand(sa.table["log_scale"]), w_row, s)
    nrows = np.bincount(s, minlength=m)
    pooled = _frame(out, k, nrows, status, hksj_one, sa.expand(sa.table["log_scale"]))
    return BatchResult(studies=_studies(rows, s, eff, e, w_row, m, sa), pooled=pooled)


def _pool_class(segs, sel, s, m, eff, sa, st, out, status, hksj_one, w_row) -> None:
    """Pool the segments ``segs`` (one size class) through the core; results into ``out``,
    ``status``, ``hksj_one`` and ``w_row`` (``out``'s arrays are the core's when ``segs`` is all)."""
    whole = segs.size == m
    if whole:
        rsel, seg_of = sel, s[sel]
    else:
        pos = np.full(m, -1)
        pos[segs] = np.arange(segs.size)
        rsel = sel[pos[s[sel]] >= 0]
        seg_of = pos[s[rsel]]
    every = rsel.size == s.size  # every row of the batch is in this call: no gathering
    rp, cp, Y, V = pad_segments(seg_of, segs.size, eff.y if every else eff.y[rsel],
                                eff.v if every else eff.v[rsel])
    fixed = _mh_fixed(segs, rsel, rp, cp, Y.shape, eff, sa, st)
    r = pool_rows(Y, V, model=sa.per("model", segs), tau2_method=sa.per("tau2_method", segs),
                  ci_method=sa.per("ci_method", segs), ci_level=sa.per("ci_level", segs),
                  tau2_ci=sa.per("tau2_ci", segs), settings=st, fixed=fixed)
    for name in _OUT:
        if whole:
            out[name] = getattr(r, name)
        else:
            out.setdefault(name, np.full(m, np.nan))[segs] = getattr(r, name)
    status[segs], hksj_one[segs] = r.status, r.hksj_one
    w_row[rsel] = r.weights[rp, cp]


def _ratio_status(out, status, log, w_row, s) -> None:
    """NOT_REPRESENTABLE (in place) for ratio segments whose θ, CI or prediction bound has no
    finite ratio e^x (:func:`~.effects.ratio_overflows`), as :func:`~.finish.finish_pooling`."""
    if np.ndim(log) == 0 and not log:
        return
    bad = log & (status == OK) & ratio_overflows(*(out[x] for x in ("theta", "ci_low", "ci_high",
                                                                     "pi_low", "pi_high")))
    if bad.any():
        status[bad] = NOT_REPRESENTABLE
        for name in _OUT:
            out[name] = np.where(bad, np.nan, out[name])
        w_row[bad[s]] = 0.0


def _mh_fixed(segs, rsel, rp, cp, shape, eff, sa, st):
    """(use, θ, SE, weights) of the MH segments among ``segs`` (cells laid out like ``Y``)."""
    t = sa.table
    use = sa.expand((t["method"] == "MH") & (t["data_type"] == "dichotomous"), segs)
    if not np.any(use):
        return None
    use = np.broadcast_to(use, segs.shape)
    cells = []
    for key in "abcd":
        M = np.full(shape, np.nan)
        M[rp, cp] = eff.cells[key][rsel]
        cells.append(M)
    add = np.zeros(shape)
    if st.zero_cell == "revman":
        add[rp, cp] = 0.5 * eff.corrected[rsel]
    theta, se = np.full(segs.size, np.nan), np.full(segs.size, np.nan)
    w = np.zeros(shape)
    meas = sa["measure"][segs]
    for measure in BINARY_MEASURES:
        rows = np.flatnonzero(use & (meas == measure))
        if rows.size:
            theta[rows], se[rows], w[rows] = mh_rows(*(M[rows] for M in cells), measure, add[rows])
    return use, theta, se, np.where(np.isnan(w), 0.0, w)


def _back(x: np.ndarray, log) -> np.ndarray:
    """Back to the natural scale where ``log`` (one value or one per entry)."""
    if np.ndim(log) == 0:
        if not log:
            return x
        with np.errstate(over="ignore"):
            return np.exp(x)
    with np.errstate(over="ignore"):
        return np.where(log, np.exp(x), x)


_POOLING = pd.array(["ok", "empty", "not_estimable"], dtype="str")
_REASON = pd.array([""] + [STATUS_MESSAGES[c] for c in sorted(STATUS_MESSAGES)] + ["no rows"],
                   dtype="str")
_NOTE = pd.array(["", HKSJ_ONE_NOTE], dtype="str")


def _frame(out, k, nrows, status, hksj_one, log) -> pd.DataFrame:
    """The ``pooled`` table: natural-scale estimates and intervals, the core's reason per segment
    (text columns taken from the few distinct strings by code, not converted row by row)."""
    empty = nrows == 0
    reason = np.where(empty, _REASON.size - 1, status)
    pooling = np.where(status == 0, 0, np.where(empty, 1, 2))
    return pd.DataFrame({
        "k": k, "estimate": _back(out["theta"], log), "ci_low": _back(out["ci_low"], log),
        "ci_high": _back(out["ci_high"], log), "theta": out["theta"], "se": out["se"], "z": out["z"],
        "p": out["p"], "t_df": out["t_df"], "q": out["q"], "df": k - 1, "p_q": out["p_q"],
        "i2": out["i2"], "i2_q": out["i2_q"], "i2_tau2": out["i2_tau2"], "tau2": out["tau2"],
        "tau2_ci_low": out["tau2_ci_low"], "tau2_ci_high": out["tau2_ci_high"],
        "pi_low": _back(out["pi_low"], log), "pi_high": _back(out["pi_high"], log),
        "pooling": _POOLING.take(pooling), "reason": _REASON.take(reason),
        "note": _NOTE.take(hksj_one.astype(np.intp))})


def _studies(rows, s, eff, e, w_row, m, sa: SegmentSettings) -> pd.DataFrame:
    code = None if sa.code is None else sa.code[s]
    zs = -special.ndtri((1.0 - sa.table["study_ci_level"]) / 2.0)  # once per settings tuple
    zs = zs[0] if code is None else zs[code]
    sd = np.sqrt(eff.v)
    log = sa.table["log_scale"][0] if code is None else sa.table["log_scale"][code]
    back = lambda x: _back(x, log)  # noqa: E731
    index = rows.index if isinstance(rows, pd.DataFrame) else None
    out = {"segment": s, "y": eff.y, "v": eff.v, "estimate": back(eff.y),
           "ci_low": back(eff.y - zs * sd), "ci_high": back(eff.y + zs * sd)}
    if w_row is not None:
        wsum = np.bincount(s, weights=np.where(e, w_row, 0.0), minlength=m)
        with np.errstate(divide="ignore", invalid="ignore"):
            out["weight_percent"] = np.where(e, 100.0 * w_row / wsum[s], 0.0)
        out["weight"] = np.where(e, w_row, 0.0)  # unnormalised (1/(v + τ²), or the MH weight)
    out.update(estimable=e, zero_cell_corrected=eff.corrected)
    return pd.DataFrame(out, index=index)
