"""Every compared number of a review, as arrays over all its analyses (used by :mod:`.check`).

Per study row: estimate, CI limits, weight; per pooled segment (the analysis overall, each
subgroup): the subgroup's weight and every field of :data:`RESULT_FIELDS`, with RevMan's own
conventions (|Z| and |T|, T = 0 and I² = 100 % for one study, τ² = 0 stored for fixed effect);
per analysis with two or more subgroups: the test for subgroup differences. ``R`` is the
prepared review of :mod:`.check` (its rows, segments and one engine call's results).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from .tolerance import excess

__all__ = ["RESULT_FIELDS", "Items", "row_items", "segment_items", "subgroup_tests"]

RESULT_FIELDS = ("estimate", "ci_low", "ci_high", "pi_low", "pi_high", "tau2", "q", "df", "p_q",
                 "i2", "z", "t", "p")


class Items:
    """Every compared number of a review as parallel arrays (one entry per comparison), in the
    order the report reads them: per analysis its study rows (estimate, CI limits, weight), then
    each pooled segment (overall, subgroups: weight first, then :data:`RESULT_FIELDS`), then the
    test for subgroup differences."""

    def __init__(self) -> None:
        self.parts: list[tuple] = []

    def add(self, an, order, where, field, ours, revman, ex) -> None:
        n = len(an)
        if n:
            self.parts.append((np.asarray(an, dtype=np.int64),
                               np.broadcast_to(np.asarray(order, dtype=np.int64), (n,)),
                               np.broadcast_to(np.asarray(where, dtype=object), (n,)),
                               np.broadcast_to(np.asarray(field, dtype=object), (n,)),
                               np.asarray(ours, dtype=float), np.asarray(revman, dtype=float),
                               np.asarray(ex, dtype=float)))

    def arrays(self) -> tuple:
        """(analysis, where, field, ours, revman, excess), sorted by analysis, then report order."""
        if not self.parts:
            e = np.array([], dtype=float)
            return np.array([], dtype=np.int64), e.astype(object), e.astype(object), e, e, e
        cols = [np.concatenate([p[j] for p in self.parts]) for j in range(7)]
        order = np.lexsort((cols[1], cols[0]))
        return tuple(c[order] for j, c in enumerate(cols) if j != 1)


def row_items(R, acode: np.ndarray, live: np.ndarray, items: Items) -> None:
    """Per-study comparisons of the rows of live analyses (``acode``: each row's analysis)."""
    labels = np.array([f"study {s}" for s in R.study], dtype=object)
    cols = [(R.display[:, j], R.stored[:, j]) for j in range(3)] + [(R.weights, R.revman_weight)]
    for j, (f, (ours, rv)) in enumerate(zip(("estimate", "ci_low", "ci_high", "weight"), cols)):
        m = live[acode] & (np.isfinite(rv) | np.isfinite(ours)) & (acode >= 0)
        items.add(acode[m], j * len(acode) + np.flatnonzero(m), labels[m], f, ours[m], rv[m],
                  R.ex[m, j])


def _stored_by_segment(review, R, ai: np.ndarray) -> dict[str, np.ndarray]:
    """RevMan's stored result for every segment (``ai``: its analysis position): the analysis's
    row for ``overall``, the subgroup's row for ``subgroup`` (NaN where RevMan stored none or the
    segment is of another kind)."""
    n = len(R.segs)
    names = ["estimate", *RESULT_FIELDS[1:], "weight"]
    out = {f: np.full(n, np.nan) for f in names}
    has = np.zeros(n, dtype=bool)
    ov = (R.seg_kind == "overall") & (ai >= 0)
    an = review.analyses.reset_index(drop=True)
    for f in names:
        c = f"revman_{f}"
        if c in an:
            out[f][ov] = pd.to_numeric(an[c], errors="coerce").to_numpy(float)[ai[ov]]
    has |= ov
    subs = review.subgroups
    if len(subs):
        subs = subs.drop_duplicates(["analysis", "subgroup_number"], keep="last")
        key = pd.MultiIndex.from_arrays([subs["analysis"].to_numpy(object),
                                         subs["subgroup_number"].to_numpy(float).astype(np.int64)])
        want = pd.MultiIndex.from_arrays([R.segs["analysis"].to_numpy(object), R.seg_sub.astype(np.int64)])
        si = key.get_indexer(want)
        sg = (R.seg_kind == "subgroup") & (si >= 0)
        for f in names:
            c = f"revman_{f}"
            if c in subs:
                out[f][sg] = pd.to_numeric(subs[c], errors="coerce").to_numpy(float)[si[sg]]
        has |= sg
    out["_has"] = has
    return out


def _ours_by_segment(R) -> dict[str, np.ndarray]:
    """Our pooled numbers named as RevMan's stored columns (RevMan prints |Z| and |T|)."""
    p = R.pcols
    hk = np.isfinite(p["t_df"].astype(float))
    stat = np.abs(p["z"].astype(float))
    df = p["df"].astype(float)
    out = {f: p[f].astype(float) for f in ("estimate", "ci_low", "ci_high", "pi_low", "pi_high",
                                           "tau2", "q", "i2", "p")}
    out.update(df=df, p_q=np.where(df == 0, 1.0, p["p_q"].astype(float)),
               z=np.where(hk, np.nan, stat), t=np.where(hk, stat, np.nan))
    return out


_SEG_ORDER = 1 << 40  # segment items come after every row item of their analysis


def segment_items(review, R, ai: np.ndarray, live: np.ndarray, items: Items,
                   status: np.ndarray, reason: np.ndarray, notes: list) -> np.ndarray:
    """Pooled comparisons of every overall and subgroup segment (``ai``: each one's analysis
    position, −1 for none); sets ``status``/``reason`` where our pooling failed. Returns each
    segment's analysis position where compared (−1: not compared)."""
    if not len(R.segs) or R.error:
        return np.full(len(R.segs), -1)
    stored = _stored_by_segment(review, R, ai)
    seg = np.flatnonzero(stored["_has"] & (ai >= 0))
    seg = seg[live[ai[seg]]]
    ok = R.pcols["pooling"][seg] == "ok"
    for sid in seg[~ok]:  # in segment order: the last failure of an analysis names it
        kind, i = R.seg_kind[sid], ai[sid]
        where = "overall" if kind == "overall" else f"subgroup {int(R.seg_sub[sid])}"
        why = R.pcols["reason"][sid]
        if np.isfinite(stored["estimate"][sid]):
            status[i], reason[i] = "not computable", f"{where}: {why}"
        elif kind == "overall":
            status[i], reason[i] = "not computable", f"{where}: {why} (RevMan shows no result either)"
    seg = seg[ok]
    nums, num = np.unique(R.seg_sub[seg], return_inverse=True)  # each label formatted once
    where = np.where(R.seg_kind[seg] == "overall", "overall",
                     np.array([f"subgroup {int(k)}" for k in nums], dtype=object)[num.reshape(-1)])
    ours = _ours_by_segment(R)
    st = {f: v[seg] for f, v in stored.items()}
    an, base = ai[seg], _SEG_ORDER + seg.astype(np.int64) * 32
    sub = R.seg_kind[seg] == "subgroup"
    sw = R.seg_weight[seg]
    m = sub & np.isfinite(st["weight"])
    items.add(an[m], base[m], where[m], "weight", sw[m], st["weight"][m],
              excess(sw[m], st["weight"][m], R.decimals, "weight"))
    one = (st["df"] == 0) & (np.abs(st["q"]) <= 1e-12)
    for k, f in enumerate(RESULT_FIELDS, start=1):
        rv, o = st[f], ours[f][seg]
        m = np.isfinite(rv)
        if f == "t":
            m &= ~((rv == 0) & (st["df"] == 0))  # RevMan writes T = 0 for a single study
        if f in ("i2", "p_q"):
            # one study: RevMan's Q is 0 up to float noise; when the noise is > 0 (CD003188's .rm5
            # stores Chi² = 1.9e-30 for 1.5 subgroup 2) it shows I² = (Q − 0)/Q = 100% and
            # P(χ²₀ > Q) = 0 (also CD011506 1.12, where the 6-decimal file shows Chi² 0.0)
            noise = m & one & (rv == {"i2": 100.0, "p_q": 0.0}[f])
            notes += [(i, f"{w}: RevMan's {f} for one study comes from rounding noise in its Chi² "
                       "(stored as 0); not compared") for i, w in zip(an[noise], where[noise])]
            m &= ~noise
        if f == "tau2":
            o = np.where(np.isfinite(rv) & ~np.isfinite(o), 0.0, o)  # τ² = 0 stored for fixed effect
        items.add(an[m], base[m] + k, where[m], f, o[m], rv[m], excess(o[m], rv[m], R.decimals, f))
    out = np.full(len(R.segs), -1)
    out[seg] = an
    return out


def subgroup_tests(review, R, ai: np.ndarray, live: np.ndarray, items: Items) -> None:
    """The test for subgroup differences of every live analysis with two or more pooled subgroups
    and a stored test (``ai``: each segment's analysis position, −1 for none)."""
    if not len(R.segs) or R.error:
        return
    an = review.analyses.reset_index(drop=True)
    stored = {f: pd.to_numeric(an.get(f"revman_subgroup_{f}", pd.Series(np.nan, index=an.index)),
                               errors="coerce").to_numpy(float) for f in ("q", "df", "p", "i2")}
    sub = np.flatnonzero(R.seg_kind == "subgroup")
    order = np.argsort(ai[sub], kind="stable")  # each analysis's subgroup segments, in order
    sub = sub[order]
    of = ai[sub]
    count = np.bincount(of[of >= 0], minlength=live.size)
    todo = np.flatnonzero(live & (count >= 2) & np.isfinite(stored["q"]))
    for i, lo, hi in zip(todo, np.searchsorted(of, todo), np.searchsorted(of, todo, side="right")):
        q, df, pv, i2 = R.batch.subgroup_test(sub[lo:hi].tolist())
        if df == 0:  # one subgroup with an estimate: RevMan stores Chi² 0, df 0, P 1, I² 0
            q, pv, i2 = 0.0, 1.0, 0.0
        for k, (f, v) in enumerate((("q", q), ("df", df), ("p", pv), ("i2", i2))):
            rv = stored[f][i]
            if np.isfinite(rv):
                items.add([i], 2 * _SEG_ORDER + k, "subgroup differences", f, [v], [rv],
                          [excess(v, rv, R.decimals, f)])
