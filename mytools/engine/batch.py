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

from typing import Iterable, Mapping

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from scipy import special

from .batch_effects import RowEffects, row_effects
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
POOLED_COLUMNS = ("k", "estimate", "ci_low", "ci_high", "theta", "se", "z", "p", "t_df", "q", "df",
                  "p_q", "i2", "i2_q", "i2_tau2", "tau2", "tau2_ci_low", "tau2_ci_high", "pi_low",
                  "pi_high", "pooling", "reason", "note")
_STATUS_COLUMNS = ("pooling", "reason", "note")


class BatchResult:
    """``studies``: one row per input row; ``pooled``: one row per segment (see :func:`pool_batch`).
    Each table is built when it is first read, then kept: a caller that reads only one of them
    does not pay for the other."""

    __slots__ = ("_build", "_tables")

    def __init__(self, studies, pooled):
        """``studies``, ``pooled``: each a DataFrame or a function of no arguments building it."""
        self._build = {"studies": studies, "pooled": pooled}
        self._tables: dict[str, pd.DataFrame] = {}

    def _table(self, name: str) -> pd.DataFrame:
        if name not in self._tables:
            make = self._build.pop(name)
            self._tables[name] = make if isinstance(make, pd.DataFrame) else make()
        return self._tables[name]

    @property
    def studies(self) -> pd.DataFrame:
        return self._table("studies")

    @property
    def pooled(self) -> pd.DataFrame:
        return self._table("pooled")

    def subgroup_test(self, segment_ids: Iterable[int]) -> tuple[float, int, float, float]:
        """RevMan's test for subgroup differences over these subgroup segments: (Q, df, P, I²);
        segments without an estimate are left out. With one left RevMan writes Q 0, df 0, P 1 and
        I² 0 (CD014353 3.2), and so do we; with none, NaN."""
        missing = [c for c in ("theta", "se") if c not in self.pooled]
        if missing:
            raise InputError(f"subgroup_test needs the pooled columns theta and se; this batch was "
                             f"pooled with columns= leaving out {', '.join(missing)}")
        p = self.pooled.loc[list(segment_ids)]
        p = p[p["pooling"] == "ok"]
        if len(p) == 1:
            return 0.0, 0, 1.0, 0.0
        if len(p) < 2:
            return float("nan"), 0, float("nan"), float("nan")
        return subgroup_test(p["theta"].to_numpy(), p["se"].to_numpy())


def _prepare(rows, segments, settings, invalid, effects=None):
    """Settings, segment ids, segment table and per-row effects of a batch (inputs checked;
    ``effects`` given: used as they are, one per row)."""
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
    if effects is None:
        return st, s, sa, m, row_effects(rows, s, sa, st, invalid)
    if effects.y.shape != s.shape:
        raise InputError(f"effects: {effects.y.size} rows, 'segment' {s.size}")
    # copies: the tables take these arrays without copying, and the caller keeps its own
    return st, s, sa, m, RowEffects(effects.y.copy(), effects.v.copy(), effects.estimable.copy(),
                                    effects.corrected.copy(), effects.cells)


def _index(rows):
    return rows.index if isinstance(rows, pd.DataFrame) else None


def study_effects(rows: pd.DataFrame | Mapping[str, ArrayLike],
                  segments: pd.DataFrame | Mapping[str, ArrayLike],
                  settings: Settings | str = REVMAN5, *, invalid: str = "raise",
                  effects: RowEffects | None = None) -> pd.DataFrame:
    """Per-study effects of a long-format batch without pooling: ``pool_batch(...).studies``
    without ``weight_percent`` (columns ``segment, y, v, estimate, ci_low, ci_high, estimable,
    zero_cell_corrected``; CI y ± z·√v at the segment's ``study_ci_level``, back-transformed when
    ``log_scale``). Cheap: use it to try many settings on the same rows. ``effects``: as in
    :func:`pool_batch` (e.g. the same rows under several study CI levels)."""
    _, s, sa, m, eff = _prepare(rows, segments, settings, invalid, effects)
    return _studies(_index(rows), s, eff, eff.estimable, None, m, _study_scale(sa))


def pool_batch(rows: pd.DataFrame | Mapping[str, ArrayLike],
               segments: pd.DataFrame | Mapping[str, ArrayLike],
               settings: Settings | str = REVMAN5, *, invalid: str = "raise",
               columns: Iterable[str] | None = None, effects: RowEffects | None = None) -> BatchResult:
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
    the default, they raise :class:`InputError` naming the row). ``columns``: the pooled columns
    wanted (default all); ``pooled`` then has those, in the order above, and always ``pooling,
    reason, note``; a column nobody asks for is not computed where that saves time (P, P of Q).
    ``effects``: the rows' per-study effects computed before (:func:`.batch_effects.row_effects`
    under the same segments' data type, measure, method, ``swap_events`` and the same settings,
    e.g. ``RowEffects.take`` of one computation for rows repeated under other pooling options):
    used as given, not recomputed.
    Inputs are checked and the segments pooled in this call; the two tables are built when first
    read (:class:`BatchResult`)."""
    want = _wanted(columns)
    st, s, sa, m, eff = _prepare(rows, segments, settings, invalid, effects)
    e = eff.estimable
    nrows = np.bincount(s, minlength=m)
    if e.all():  # the usual case: no gathering
        sel, k = slice(None), nrows
    else:
        sel = np.flatnonzero(e)
        k = np.bincount(s[sel], minlength=m)
    parts = [_pool_class(segs, sel, s, m, eff, sa, st) for segs in _size_classes(k, m)]
    out = _gather(parts, m)
    log = sa.expand(sa.table["log_scale"])
    bad = _ratio_status(out, log)
    index, scale = _index(rows), _study_scale(sa)  # now: the caller may change its inputs later
    return BatchResult(
        studies=lambda: _studies(index, s, eff, e, _row_weights(parts, s, bad), m, scale),
        pooled=lambda: _frame(_with_p(out, parts, m, want, bad), k, nrows, log, want))


def _size_classes(k: np.ndarray, m: int) -> list[np.ndarray]:
    """The segments by size class (k ≤ 4, ≤ 8, ≤ 16 …): one array of segment ids per class."""
    if m == 0:
        return []
    if k.max() <= 4:
        return [np.arange(m)]
    size_class = np.ceil(np.log2(np.maximum(k, 4))).astype(int)
    classes = np.flatnonzero(np.bincount(size_class))
    if classes.size == 1:
        return [np.arange(m)]
    return [np.flatnonzero(size_class == c) for c in classes]


def _wanted(columns) -> tuple[str, ...]:
    """The pooled columns asked for, in the table's order (checked), with the status columns."""
    if columns is None:
        return POOLED_COLUMNS
    asked = {columns} if isinstance(columns, str) else set(columns)
    unknown = sorted(asked.difference(POOLED_COLUMNS))
    if unknown:
        raise InputError(f"columns: unknown {', '.join(map(repr, unknown))}; expected some of "
                         + ", ".join(POOLED_COLUMNS))
    return tuple(c for c in POOLED_COLUMNS if c in asked or c in _STATUS_COLUMNS)


def _pool_class(segs, sel, s, m, eff, sa, st):
    """Pool the segments ``segs`` (one size class) of the rows ``sel`` (indices, or a slice for
    all) through the core: (segs, rows, row and column position of each row in the matrices or
    None for a reshape, the core's result)."""
    if segs.size == m:
        rsel, seg_of = sel, s[sel]
    else:
        pos = np.full(m, -1)
        pos[segs] = np.arange(segs.size)
        keep = pos[s[sel]] >= 0
        rsel = np.flatnonzero(keep) if isinstance(sel, slice) else sel[keep]
        seg_of = pos[s[rsel]]
    rp, cp, Y, V = pad_segments(seg_of, segs.size, eff.y[rsel], eff.v[rsel])
    fixed = _mh_fixed(segs, rsel, rp, cp, Y.shape, eff, sa, st)
    r = pool_rows(Y, V, model=sa.per("model", segs), tau2_method=sa.per("tau2_method", segs),
                  ci_method=sa.per("ci_method", segs), ci_level=sa.per("ci_level", segs),
                  tau2_ci=sa.per("tau2_ci", segs), settings=st, fixed=fixed, report="later")
    return segs, rsel, rp, cp, r


def _gather(parts, m: int, later: bool = False) -> dict[str, np.ndarray]:
    """The core's per-segment results of every size class and the status, one array per name
    (the core's own arrays when one class holds every segment); ``later``: P and P of Q only."""
    out = {} if later else {"status": np.zeros(m, dtype=int), "hksj_one": np.zeros(m, dtype=bool)}
    for segs, _, _, _, r in parts:
        res = r.later() if later else {name: getattr(r, name) for name in (*_OUT, "status", "hksj_one")}
        for name, x in res.items():
            if segs.size == m:
                out[name] = x
            else:
                out.setdefault(name, np.full(m, np.nan))[segs] = x
    for name in ("p", "p_q") if later else _OUT:
        out.setdefault(name, np.full(m, np.nan))
    return out


def _ratio_status(out, log) -> np.ndarray | None:
    """NOT_REPRESENTABLE (in ``out``) for ratio segments whose θ, CI or prediction bound has no
    finite ratio e^x (:func:`~.effects.ratio_overflows`), as :func:`~.finish.finish_pooling`;
    returns those segments (None when there are none)."""
    if np.ndim(log) == 0 and not log:
        return None
    status = out["status"]
    bad = log & (status == OK) & ratio_overflows(*(out[x] for x in ("theta", "ci_low", "ci_high",
                                                                     "pi_low", "pi_high")))
    if not bad.any():
        return None
    out["status"] = np.where(bad, NOT_REPRESENTABLE, status)
    for name in _OUT:
        out[name] = np.where(bad, np.nan, out[name])
    return bad


def _with_p(out, parts, m: int, want, bad) -> dict[str, np.ndarray]:
    """``out`` with P and P of Q when the table wants them (NaN for ``bad`` segments)."""
    if "p" not in want and "p_q" not in want:
        return out
    pv = _gather(parts, m, later=True)
    if bad is not None:
        pv = {name: np.where(bad, np.nan, x) for name, x in pv.items()}
    return {**out, **pv}


def _row_weights(parts, s: np.ndarray, bad) -> np.ndarray:
    """Each row's pooling weight (0 for rows not pooled, and in ``bad`` segments)."""
    w_row = np.zeros(s.size)
    for _, rsel, rp, cp, r in parts:
        w_row[rsel] = r.weights.reshape(-1) if rp is None else r.weights[rp, cp]
    if bad is not None:
        w_row[bad[s]] = 0.0
    return w_row


def _mh_fixed(segs, rsel, rp, cp, shape, eff, sa, st):
    """(use, θ, SE, weights) of the MH segments among ``segs`` (cells laid out like ``Y``)."""
    t = sa.table
    use = sa.expand((t["method"] == "MH") & (t["data_type"] == "dichotomous"), segs)
    if not np.any(use):
        return None
    use = np.broadcast_to(use, segs.shape)
    cells = [_cells(eff.cells[key][rsel], rp, cp, shape, np.nan) for key in "abcd"]
    add = (_cells(0.5 * eff.corrected[rsel], rp, cp, shape, 0.0) if st.zero_cell == "revman"
           else np.zeros(shape))
    theta, se = np.full(segs.size, np.nan), np.full(segs.size, np.nan)
    w = np.zeros(shape)
    meas = sa["measure"][segs]
    for measure in BINARY_MEASURES:
        rows = np.flatnonzero(use & (meas == measure))
        if rows.size:
            theta[rows], se[rows], w[rows] = mh_rows(*(M[rows] for M in cells), measure, add[rows])
    return use, theta, se, np.where(np.isnan(w), 0.0, w)


def _cells(x: np.ndarray, rp, cp, shape, fill: float) -> np.ndarray:
    """Per-row values laid out like the padded matrices (``fill`` in the padding)."""
    if rp is None:
        return x.reshape(shape)
    M = np.full(shape, fill)
    M[rp, cp] = x
    return M


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


def _frame(out, k, nrows, log, want) -> pd.DataFrame:
    """The ``pooled`` table (the columns ``want``): natural-scale estimates and intervals, the
    core's reason per segment (text columns taken from the few distinct strings by code, not
    converted row by row)."""
    status, empty = out["status"], nrows == 0
    cols = {"k": k, "df": k - 1,
            "pooling": lambda: _POOLING.take(np.where(status == 0, 0, np.where(empty, 1, 2))),
            "reason": lambda: _REASON.take(np.where(empty, _REASON.size - 1, status)),
            "note": lambda: _NOTE.take(out["hksj_one"].astype(np.intp))}
    for name, of in (("estimate", "theta"), ("ci_low", "ci_low"), ("ci_high", "ci_high"),
                     ("pi_low", "pi_low"), ("pi_high", "pi_high")):
        cols[name] = (lambda of=of: _back(out[of], log))
    return _table({name: (cols[name]() if callable(cols.get(name)) else cols.get(name, out.get(name)))
                   for name in want})


def _table(cols: dict, index=None) -> pd.DataFrame:
    """A DataFrame over these fresh arrays without copying them (one block per column, no
    consolidation); an array sharing memory with an earlier column is copied, so that no two
    columns (and nothing outside the table) share memory."""
    kept: list[np.ndarray] = []
    for name, x in cols.items():
        a = np.asarray(x) if isinstance(x, np.ndarray) else None
        if a is not None and any(np.may_share_memory(a, b) for b in kept):
            cols[name] = a = a.copy()
        if a is not None:
            kept.append(a)
    return pd.DataFrame(cols, index=index, copy=False)


def _study_scale(sa: SegmentSettings):
    """(settings tuple of each segment or None, z of each tuple's study CI, its log scale)."""
    return (sa.code, -special.ndtri((1.0 - sa.table["study_ci_level"]) / 2.0),
            np.array(sa.table["log_scale"], dtype=bool))


def _studies(index, s, eff, e, w_row, m, scale) -> pd.DataFrame:
    """The ``studies`` table: per-study effects, CI at the segment's ``study_ci_level``, weights."""
    code, zs, log = scale
    code = None if code is None else code[s]
    zs = zs[0] if code is None else zs[code]
    sd = np.sqrt(eff.v)
    log = log[0] if code is None else log[code]
    back = lambda x: _back(x, log)  # noqa: E731
    out = {"segment": s, "y": eff.y, "v": eff.v, "estimate": back(eff.y),
           "ci_low": back(eff.y - zs * sd), "ci_high": back(eff.y + zs * sd)}
    if w_row is not None:
        every = bool(e.all())
        w = w_row if every else np.where(e, w_row, 0.0)  # unnormalised (1/(v + τ²), or MH's)
        wsum = np.bincount(s, weights=w, minlength=m)
        with np.errstate(divide="ignore", invalid="ignore"):
            pct = 100.0 * w_row / wsum[s]
        out["weight_percent"] = pct if every else np.where(e, pct, 0.0)
        out["weight"] = w
    out.update(estimable=e, zero_cell_corrected=eff.corrected)
    return _table(out, index)
