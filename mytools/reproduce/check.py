"""Re-pool every analysis and subgroup of one review and compare with RevMan's stored numbers.

For each analysis: per-study estimate, CI and weight; per-analysis and per-subgroup estimate, CI,
prediction interval, τ², Q (Chi²), df, its P, I², Z or T and P; the test for subgroup
differences — each against RevMan's number within the precision the file carries
(:mod:`mytools.reproduce.tolerance`). A number RevMan did not store is not compared.

All pooling of a review is one call of the engine's batch API
(:func:`mytools.engine.batch.pool_batch`, units from :mod:`mytools.reproduce.segments`), in the
engine's RevMan 5 mode, or its RevMan Web mode for data packages of version 2 (RevMan Web since
2025: I² from τ² for random effects, Wald P beside the Hartung–Knapp interval).
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd

from ..engine.batch import pool_batch
from ..engine.batch_effects import row_effects_once
from ..engine.batch_segments import segment_settings
from ..engine.errors import InputError
from .infer import rows_with_type
from .pool import settings_mode
from .segments import ROW_INPUTS, build_segments
from .explain import OPEN_CASES, open_cases
from .items import RESULT_FIELDS, Items, row_items, segment_items, subgroup_tests
from .report import review_key
from .split import split_weights
from .tolerance import excess

__all__ = ["check_review", "RESULT_FIELDS", "LINE_COLUMNS", "OPEN_CASES"]

LINE_COLUMNS = ["review", "analysis", "name", "measure", "method", "model", "settings", "revman",
                "ours", "largest_difference", "status", "reason", "studies", "studies_match",
                "weights_match", "weights_compared", "compared", "differ", "revman_estimate",
                "revman_ci_low", "revman_ci_high", "estimate", "ci_low", "ci_high", "worst_field",
                "worst_excess"]
SEG_COLUMNS = ["data_type", "measure", "method", "model", "tau2_method", "ci_method", "log_scale",
               "swap_events", "ci_level", "study_ci_level"]


def _fmt(ci: np.ndarray) -> list[str]:
    """Each row (estimate, CI low, CI high) as "est [lo, hi]" to 3 significant digits; "—" where
    the estimate is not finite."""
    cols = [ci[:, j].tolist() for j in range(3)]  # flat lists: no list per row for the GC to track
    return [f"{e:.3g} [{lo:.3g}, {hi:.3g}]" if ok else "—"
            for e, lo, hi, ok in zip(*cols, np.isfinite(ci[:, 0]).tolist())]


class _Review:
    """Everything computed once per review: one engine call gives every row's estimate, CI and
    weight and every segment's pooled result."""

    def __init__(self, review, settings: pd.DataFrame):
        self.rows = rows_with_type(review)
        self.sset = settings.set_index("analysis")
        n = len(self.rows)
        self.stored = self.rows[["revman_estimate", "revman_ci_low", "revman_ci_high"]].to_numpy(float)
        rw = self.rows["revman_weight"].to_numpy(float)
        self.revman_weight = np.where(rw == 0, np.nan, rw)
        self.display = np.full((n, 3), np.nan)
        self.estimable = np.zeros(n, dtype=bool)
        self.weights = np.full(n, np.nan)
        mode = settings_mode(review)
        row, seg, self.segs = build_segments(self.rows, settings, display=True)
        self.error = ""
        self.sub_num = self.rows["subgroup_number"].fillna(0).to_numpy(int)
        self.study = self.rows["study"].to_numpy()
        self.seg_kind = np.array([], dtype=object)
        self.seg_weight = np.array([], dtype=float)
        if not len(self.segs):
            return
        table = self.segs[SEG_COLUMNS]
        inputs = {c: np.asarray(self.rows[c].to_numpy()[row], dtype=float) for c in ROW_INPUTS}
        try:
            self.batch = pool_batch({"segment": seg}, table, settings=mode, invalid="mark",
                                    effects=_once_per_row(inputs, seg, row, table, mode))
        except InputError:  # the engine's own message, as without shared effects
            try:
                self.batch = pool_batch({"segment": seg, **inputs}, table, settings=mode,
                                        invalid="mark")
            except InputError as exc:
                self.error = str(exc)
                return
        pooled = self.batch.pooled
        self.pcols = {c: pooled[c].to_numpy() for c in pooled.columns}
        self.seg_kind = self.segs["kind"].to_numpy()
        self.seg_sub = self.segs["subgroup_number"].to_numpy(int)
        st = self.batch.studies
        first = np.unique(row, return_index=True)[1]  # a row's effect is the same in every segment
        self.display[row[first]] = st[["estimate", "ci_low", "ci_high"]].to_numpy(float)[first]
        est = st["estimable"].to_numpy(bool)
        self.estimable[row[first]] = est[first]
        self.display[~self.estimable] = np.nan
        w = np.where(est, st["weight_percent"].to_numpy(float), np.nan)
        sub_only = self.segs["analysis"].map(self.sset["pooled"]).to_numpy() == "subgroups"
        take = (np.isin(self.seg_kind, ("overall", "group"))
                | ((self.seg_kind == "subgroup") & sub_only))[seg]
        self.weights[row[take]] = w[take]
        self.seg_of_row, self.row_of_seg, self.take = seg, row, take
        shown = split_weights(self.rows, row, np.zeros(row.size, dtype=int), self.seg_kind[seg],
                              st["weight"].to_numpy(float), st["v"].to_numpy(float), est)
        sp = self.seg_kind[seg] == "split"
        self.weights[row[sp]] = np.where(shown[sp] == 0, np.nan, shown[sp])  # RevMan's 0 is blank
        self.seg_weight = self._subgroup_weights()

    def _subgroup_weights(self) -> np.ndarray:
        """Per segment: the summed weight of its analysis's rows in its subgroup number (RevMan's
        subgroup weight is the share of the analysis that the subgroup's studies carry)."""
        code, names = pd.factorize(self.rows["analysis"], sort=False)
        width = int(self.sub_num.max(initial=0)) + 1
        tot = np.bincount(code * width + self.sub_num, weights=np.nan_to_num(self.weights),
                          minlength=len(names) * width)
        ai = pd.Index(names).get_indexer(self.segs["analysis"])
        ok = (ai >= 0) & (self.seg_sub < width)
        out = np.zeros(len(self.segs))
        out[ok] = tot[ai[ok] * width + self.seg_sub[ok]]
        return out

    def excesses(self, decimals: int | None) -> None:
        """|ours − RevMan's| in tolerances for every row: estimate, CI limits, weight."""
        self.decimals = decimals
        self.ex = np.column_stack(
            [excess(self.display[:, j], self.stored[:, j], decimals, f)
             for j, f in enumerate(("estimate", "ci_low", "ci_high"))]
            + [excess(self.weights, self.revman_weight, decimals, "weight")])



def _once_per_row(inputs: dict, seg: np.ndarray, row: np.ndarray, table: pd.DataFrame, mode):
    """The per-study effects of the segment entries (``inputs``, ``seg``: one per entry; ``row``:
    its study row), computed once per study row: a row in its subgroup and in the total (and the
    split segment) has the same effect in each (effects depend on the analysis's data type,
    measure, method and swap only)."""
    return row_effects_once(inputs, seg, row, segment_settings(table, mode), mode, "mark")


def _worst(an: np.ndarray, ex: np.ndarray, n: int) -> np.ndarray:
    """Per analysis the position (in the sorted items) of its first largest excess; −1 if none."""
    out = np.full(n, -1)
    if not an.size:
        return out
    groups, start = np.unique(an, return_index=True)
    top = np.maximum.reduceat(ex, start)
    g = np.repeat(np.arange(groups.size), np.diff(np.append(start, an.size)))
    pos = np.where(ex == top[g], np.arange(an.size), an.size)
    out[groups] = np.minimum.reduceat(pos, start)
    return out


def _worst_columns(worst: np.ndarray, arr: tuple, differ: np.ndarray, status: np.ndarray,
                   reason: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per analysis its worst comparison (item ``worst``, −1: none; ``arr``: the items' arrays)
    as ``largest_difference``, ``worst_field`` and ``worst_excess``; a matching analysis with
    numbers that differ becomes "differs", naming the worst (``status``, ``reason`` updated)."""
    n = worst.size
    big, wfield, wex = np.full(n, "", dtype=object), np.full(n, "", dtype=object), np.full(n, np.nan)
    _, i_where, i_field, i_ours, i_rv, i_ex = arr
    has = np.flatnonzero(worst >= 0)
    k = worst[has]
    where, field = i_where[k].tolist(), i_field[k].tolist()
    d = np.abs(i_ours[k] - i_rv[k]).tolist()
    big[has] = [f"{f} ({w}) " + (f"{x:.2g}" if math.isfinite(x) else "missing")
                for f, w, x in zip(field, where, d)]
    wfield[has] = [f"{w}: {f}" for w, f in zip(where, field)]
    wex[has] = i_ex[k]
    flip = (status[has] == "match") & (differ[has] > 0)
    status[has[flip]] = "differs"
    reason[has[flip]] = [f"{c} number(s) differ; worst: {w} {f}" for c, w, f in
                         zip(differ[has[flip]].tolist(), np.array(where, dtype=object)[flip],
                             np.array(field, dtype=object)[flip])]
    return big, wfield, wex


def _per_analysis(R: _Review, acode: np.ndarray, n: int, w) -> np.ndarray:
    m = acode >= 0
    return np.bincount(acode[m], weights=np.asarray(w, dtype=float)[m], minlength=n)


def _lines(review, R: _Review, settings: pd.DataFrame) -> tuple[pd.DataFrame, tuple]:
    an = review.analyses.reset_index(drop=True)
    keys = an["analysis"].to_numpy(object)
    a_index, n = pd.Index(keys), len(keys)
    acode = a_index.get_indexer(R.rows["analysis"]) if len(R.rows) else np.zeros(0, dtype=np.int64)
    studies = _per_analysis(R, acode, n, np.ones(len(acode))).astype(int)
    status = np.full(n, "match", dtype=object)
    reason = np.full(n, "", dtype=object)
    zero_row = np.all(np.nan_to_num(R.stored) == 0, axis=1)
    ov = an.reindex(columns=["revman_estimate", "revman_ci_low", "revman_ci_high"]).to_numpy(float)
    all_zero = ((_per_analysis(R, acode, n, ~zero_row) == 0) & np.all(np.nan_to_num(ov) == 0, axis=1)
                & (_per_analysis(R, acode, n, R.estimable) > 0))
    early = [(studies == 0, "the analysis has no study rows"),
             (np.full(n, bool(R.error)), R.error),
             (all_zero, "RevMan stored no results (0 or blank: the analysis was not calculated in the file)")]
    live = np.ones(n, dtype=bool)
    for m, why in early:
        m = m & live
        status[m], reason[m] = "not computable", why
        live &= ~m
    items, notes = Items(), []
    row_items(R, acode, live, items)
    seg_pos = a_index.get_indexer(R.segs["analysis"]) if len(R.segs) else np.zeros(0, dtype=np.int64)
    seg_an = segment_items(review, R, seg_pos, live, items, status, reason, notes)
    subgroup_tests(review, R, seg_pos, live, items)
    arr = items.arrays()
    i_an, i_where, i_field, i_ours, i_rv, i_ex = arr
    compared = np.bincount(i_an, minlength=n)
    differ = np.bincount(i_an, weights=i_ex > 1, minlength=n).astype(int)
    worst = _worst(i_an, i_ex, n)
    ok_rows = np.all(R.ex[:, :3] <= 1, axis=1)
    has_w = np.isfinite(R.revman_weight) | np.isfinite(R.weights)
    w_cmp = _per_analysis(R, acode, n, has_w)
    w_ok = _per_analysis(R, acode, n, (R.ex[:, 3] <= 1) & has_w)
    note = {}
    for i, t in notes:
        note.setdefault(i, []).append(t)
    big, wfield, wex = _worst_columns(worst, arr, differ, status, reason)
    for i, texts in note.items():
        if status[i] == "match" and not differ[i]:
            reason[i] = "; ".join(dict.fromkeys(texts))
    for flag, text in open_cases(R, acode, n, status == "differs"):
        for i in np.flatnonzero(flag & (status == "differs")):
            reason[i] += f" ({text})"
    est = np.full((n, 3), np.nan)
    if len(R.segs) and not R.error:
        o = np.flatnonzero((seg_an >= 0) & (R.seg_kind == "overall") & (R.pcols["pooling"] == "ok"))
        est[seg_an[o]] = np.column_stack([R.pcols[c][o].astype(float)
                                          for c in ("estimate", "ci_low", "ci_high")])
    nan = np.full(n, np.nan)
    line = pd.DataFrame({
        "analysis": keys, "status": status, "reason": reason, "studies": studies,
        "studies_match": np.where(live, _per_analysis(R, acode, n, ok_rows), nan),
        "weights_match": np.where(live & (w_cmp > 0), w_ok, nan),
        "weights_compared": np.where(live, w_cmp, nan),
        "compared": np.where(live, compared, nan), "differ": np.where(live, differ, nan),
        "largest_difference": np.where(live, big, None), "worst_field": np.where(live, wfield, None),
        "worst_excess": wex, "estimate": est[:, 0], "ci_low": est[:, 1], "ci_high": est[:, 2]})
    return line, (keys[i_an], i_where, i_field, i_ours, i_rv, i_ex)


def check_review(review, settings: pd.DataFrame, *, details: bool = False):
    """One report line per analysis of ``review`` (a ReviewData) re-pooled with ``settings``;
    every comparison of the review at once (arrays over all its analyses, no loop per analysis).

    With ``details=True`` also every compared number: (analysis, where, field, ours, revman,
    excess) where excess = |ours − revman| / tolerance (≤ 1 is a match)."""
    R = _Review(review, settings)
    R.excesses(review.decimals)
    line, det = _lines(review, R, settings)
    an = review.analyses.reset_index(drop=True)
    s = settings.drop_duplicates("analysis", keep="last").set_index("analysis").reindex(line["analysis"])
    rv = an.reindex(columns=["revman_estimate", "revman_ci_low", "revman_ci_high"]).to_numpy(float)
    est = line[["estimate", "ci_low", "ci_high"]].to_numpy(float)
    ours = np.array(_fmt(est), dtype=object)
    ours[s["pooled"].to_numpy(object) == "subgroups"] = "subtotals only"
    out = line.assign(
        review=review_key(review), name=an["name"].to_numpy(object),
        measure=s["measure"].to_numpy(object), method=s["method"].to_numpy(object),
        model=s["model"].to_numpy(object),
        settings=np.where(s["settings_source"].to_numpy(object) == "file", "stated", "inferred"),
        revman=_fmt(rv), ours=pd.array(ours, dtype="str"),
        revman_estimate=rv[:, 0], revman_ci_low=rv[:, 1], revman_ci_high=rv[:, 2],
    ).reindex(columns=LINE_COLUMNS)
    out.attrs["engine_error"] = R.error
    if not details:
        return out
    cols = ["analysis", "where", "field", "ours", "revman", "excess"]
    return out, pd.DataFrame(dict(zip(cols, det)), columns=cols)
