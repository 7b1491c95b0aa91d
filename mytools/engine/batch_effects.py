"""Per-study effects for a long-format batch (one row per study per segment), all rows at once.

Each row takes the data type, measure and rules of its segment; the formulas are those of
:mod:`.effects` and :mod:`.peto`, which are called on all rows of one kind at once, so the batch
and the scalar pool functions compute the very same numbers. Real files carry rows that cannot be
estimated (a blank SE or SD, a zero group size): in a batch they are ``estimable=False`` with the
reason, not an error; impossible numbers (negative counts, events above the group size) raise
:class:`~mytools.engine.errors.InputError` naming the row, or, with ``invalid="mark"`` (for
re-executing files as they are), are ``estimable=False`` like the unusable ones.

Peto: a dichotomous segment with ``method="Peto"`` or ``measure="PETO_OR"`` gets Peto's per-study
ln OR = (O − E)/V, variance 1/V (:mod:`.peto`), whichever method then pools it.

A row whose effect or variance is not a finite number in double precision (an SD of 1e308, an SE
of 1e-160; :func:`~.effects.finite_effects`) is ``estimable=False``, as in the scalar functions.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .effects import LOG_MAX, RowLabels, binary_effects, continuous_effects, finite_effects
from .errors import InputError
from .vocabulary import BINARY_MEASURES, CONTINUOUS_MEASURES, DATA_TYPES
from .peto import peto_effects, peto_oe_v

__all__ = ["RowEffects", "row_effects", "row_effects_once"]


@dataclass
class RowEffects:
    """y, v (analysis scale), estimability and, for 2×2 rows, the cells MH needs."""

    y: np.ndarray
    v: np.ndarray
    estimable: np.ndarray
    corrected: np.ndarray
    cells: dict[str, np.ndarray]  # a, b, c, d (raw; NaN for other rows)

    def take(self, idx: np.ndarray) -> "RowEffects":
        """The effects of the rows ``idx`` (in that order), e.g. one analysis's rows repeated
        under several pooling settings that leave the per-study effects unchanged."""
        return RowEffects(self.y[idx], self.v[idx], self.estimable[idx], self.corrected[idx],
                          {key: c[idx] for key, c in self.cells.items()})


def _col(rows, name: str, n: int) -> np.ndarray:
    if name not in rows:
        return np.full(n, np.nan)
    return np.asarray(rows[name], dtype=float).reshape(-1)


def _labels(idx: np.ndarray) -> RowLabels:
    return RowLabels(idx)


def _whole(x: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore"):
        return np.isfinite(x) & (x >= 0) & (x == np.round(x))


def _binary(rows, n, sel, measure_r, swap_r, st, out: RowEffects, peto: np.ndarray,
            invalid: str = "raise") -> None:
    a, n1 = _col(rows, "events_intervention", n), _col(rows, "n_intervention", n)
    c, n2 = _col(rows, "events_control", n), _col(rows, "n_control", n)
    a = np.where(swap_r, n1 - a, a)
    c = np.where(swap_r, n2 - c, c)
    if invalid == "mark":  # missing or impossible counts: not estimable instead of an error
        with np.errstate(invalid="ignore"):
            sel = sel & _whole(a) & _whole(n1) & _whole(c) & _whole(n2) & (a <= n1) & (c <= n2)
    for name, x in (("events_intervention", a), ("n_intervention", n1),
                    ("events_control", c), ("n_control", n2)):
        bad = sel & ~np.isfinite(x)
        if bad.any():
            raise InputError(f"row {int(np.flatnonzero(bad)[0])}: field {name!r} is missing; "
                             "a dichotomous row needs events and totals")
    usable = sel & (n1 > 0) & (n2 > 0)
    for m in BINARY_MEASURES:
        idx = np.flatnonzero(usable & (measure_r == m) & ~peto)
        if idx.size:
            es, raw = binary_effects(a[idx], n1[idx], c[idx], n2[idx], measure=m,
                                     labels=_labels(idx), all_events=st.all_events)
            out.y[idx], out.v[idx], out.estimable[idx] = es.y, es.v, es.estimable
            out.corrected[idx] = es.corrected
            for key in "abcd":
                out.cells[key][idx] = raw[key]
    idx = np.flatnonzero(usable & peto)
    if idx.size:
        _, raw = binary_effects(a[idx], n1[idx], c[idx], n2[idx], measure="OR", labels=_labels(idx))
        y, v, e = peto_effects(*peto_oe_v(raw["a"], raw["b"], raw["c"], raw["d"]))
        out.y[idx], out.v[idx], out.estimable[idx] = y, v, e
        for key in "abcd":
            out.cells[key][idx] = raw[key]


def _continuous(rows, n, sel, measure_r, st, out: RowEffects, invalid: str = "raise") -> None:
    cols = [_col(rows, x, n) for x in ("mean_intervention", "sd_intervention", "n_intervention",
                                       "mean_control", "sd_control", "n_control")]
    ok = sel & np.all([np.isfinite(x) for x in cols], axis=0)
    if invalid == "mark":
        ok &= _whole(cols[2]) & _whole(cols[5])
    ok &= (cols[1] > 0) & (cols[4] > 0) & (cols[2] > 0) & (cols[5] > 0)
    for m in CONTINUOUS_MEASURES:
        idx = np.flatnonzero(ok & (measure_r == m))
        if m == "SMD":
            with np.errstate(over="ignore"):
                idx = idx[(cols[2][idx] + cols[5][idx]) >= (3 if st.smd == "revman" else 4)]
        if idx.size:
            es, _ = continuous_effects(*(x[idx] for x in cols), measure=m, smd=st.smd,
                                       labels=_labels(idx))
            out.y[idx], out.v[idx], out.estimable[idx] = es.y, es.v, es.estimable


def _kinds(seg: np.ndarray, seg_attr) -> dict[int, np.ndarray]:
    """The rows of each data type present (index in DATA_TYPES → mask), from the data type of
    each settings tuple (a few); an unknown data type raises naming the first row."""
    dt_tab = seg_attr.table["data_type"]
    code = np.full(dt_tab.size, -1)
    for j, name in enumerate(DATA_TYPES):
        code[dt_tab == name] = j
    if seg_attr.code is None:  # one settings tuple: every row has its data type
        if seg.size and code[0] < 0:
            _unknown(0, seg, seg_attr)
        return {int(code[0]): np.ones(seg.size, bool)} if seg.size else {}
    dt = code[seg_attr.code[seg]]
    if (dt < 0).any():
        _unknown(int(np.flatnonzero(dt < 0)[0]), seg, seg_attr)
    return {j: mask for j in range(len(DATA_TYPES)) if (mask := dt == j).any()}


def _unknown(i: int, seg, seg_attr):
    raise InputError(f"row {i}: data_type {seg_attr['data_type'][seg[i]]!r}; expected one of "
                     f"{', '.join(DATA_TYPES)}")


def row_effects(rows, seg: np.ndarray, seg_attr, st, invalid: str = "raise") -> RowEffects:
    """Effects of every row from its segment's ``data_type``, ``measure``, ``method``,
    ``swap_events`` (a :class:`~.batch_segments.SegmentSettings`) and the settings ``st``;
    ``invalid`` "raise" or "mark" (impossible numbers not estimable)."""
    n = seg.size
    kinds = _kinds(seg, seg_attr)
    binary = kinds.get(0)
    cells = ({k: np.full(n, np.nan) for k in "abcd"} if binary is not None
             else {k: np.broadcast_to(np.nan, (n,)) for k in "abcd"})  # read-only: no 2×2 rows
    out = RowEffects(np.full(n, np.nan), np.full(n, np.nan), np.zeros(n, bool), np.zeros(n, bool),
                     cells)
    if binary is not None:
        measure_r = seg_attr["measure"][seg]
        peto_seg = (seg_attr["method"] == "Peto") | (seg_attr["measure"] == "PETO_OR")
        _binary(rows, n, binary, measure_r, seg_attr["swap_events"][seg], st, out,
                binary & peto_seg[seg], invalid)
    if 1 in kinds:
        _continuous(rows, n, kinds[1], seg_attr["measure"][seg], st, out, invalid)
    with np.errstate(all="ignore"):
        if 2 in kinds:
            est, se = _col(rows, "giv_estimate", n), _col(rows, "giv_se", n)
            _put(out, kinds[2] & np.isfinite(est) & np.isfinite(se) & (se > 0), est, se,
                 lambda s_: s_ ** 2)
        if 3 in kinds:
            oe, V = _col(rows, "o_e", n), _col(rows, "variance", n)
            _put(out, kinds[3] & np.isfinite(oe) & np.isfinite(V) & (V > 0), oe / V, V,
                 lambda v_: 1.0 / v_)
    if 2 in kinds or 3 in kinds:  # beyond double precision: not estimable (binary, continuous: in .effects)
        log = seg_attr.expand(seg_attr.table["log_scale"])
        _not_finite(out, log if np.ndim(log) == 0 else log[seg])
    return out


def _not_finite(out: RowEffects, log) -> None:
    """Estimable rows outside :func:`~.effects.finite_effects` become not estimable (NaN); when
    every row is estimable, a few reductions show the usual case (nothing to do)."""
    y, v, e = out.y, out.v, out.estimable
    if y.size and np.ndim(log) == 0 and e.all():
        with np.errstate(all="ignore"):
            vmin = v.min()
            if (np.isfinite(y.sum() + v.sum()) and vmin > 0 and np.isfinite(1.0 / vmin)
                    and (not log or (y.max() <= LOG_MAX and y.min() >= -LOG_MAX))):
                return
    fin = finite_effects(y, v, log) | ~e
    if not fin.all():
        out.estimable &= fin
        out.y[~fin], out.v[~fin] = np.nan, np.nan


def _put(out: RowEffects, ok: np.ndarray, y: np.ndarray, x: np.ndarray, var) -> None:
    """Rows ``ok`` get y and variance ``var(x)`` and are estimable (no gather when all are ok)."""
    if ok.all():
        out.y[:], out.v[:], out.estimable[:] = y, var(x), True
    else:
        out.y[ok], out.v[ok], out.estimable[ok] = y[ok], var(x[ok]), True


def row_effects_once(rows, seg: np.ndarray, key: np.ndarray, seg_attr, st,
                     invalid: str = "raise", *, at: np.ndarray | None = None) -> RowEffects:
    """:func:`row_effects` for rows that repeat: the rows with equal ``key`` have the same inputs
    and segment settings (e.g. one study row replicated under pooling candidates or segments
    that leave its effect unchanged), so each is computed once, at its first row, and repeated.
    ``at``: each entry's row in ``rows`` when ``rows`` holds the distinct rows only (not one per
    entry); they are then read only where an effect is computed."""
    first, inv = _first_of_each(np.asarray(key))
    src = first if at is None else np.asarray(at)[first]
    once = row_effects({c: np.asarray(x)[src] for c, x in rows.items()}, np.asarray(seg)[first],
                       seg_attr, st, invalid)
    return once.take(inv)


def _first_of_each(key: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``np.unique(key, return_index=True, return_inverse=True)[1:]``: the first position of each
    distinct key (keys in increasing order) and each entry's key number; without sorting when the
    keys are non-negative integers of a small range (row numbers, as :func:`row_effects_once`'s
    callers give)."""
    if key.dtype.kind not in "iu" or not key.size or key.min() < 0 or key.max() > 16 * key.size:
        _, first, inv = np.unique(key, return_index=True, return_inverse=True)
        return first, inv.reshape(-1)
    first = np.full(int(key.max()) + 1, key.size)
    np.minimum.at(first, key, np.arange(key.size))
    present = first < key.size
    return first[present], (np.cumsum(present) - 1)[key]
