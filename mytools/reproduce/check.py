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

import numpy as np
import pandas as pd

from ..engine.batch import pool_batch
from ..engine.errors import InputError
from .infer import rows_with_type
from .pool import settings_mode
from .segments import ROW_INPUTS, build_segments
from .tolerance import excess

__all__ = ["check_review", "RESULT_FIELDS", "LINE_COLUMNS"]

RESULT_FIELDS = ("estimate", "ci_low", "ci_high", "pi_low", "pi_high", "tau2", "q", "df", "p_q",
                 "i2", "z", "t", "p")
LINE_COLUMNS = ["review", "analysis", "name", "measure", "method", "model", "settings", "revman",
                "ours", "largest_difference", "status", "reason", "studies", "studies_match",
                "weights_match", "weights_compared", "compared", "differ", "revman_estimate",
                "revman_ci_low", "revman_ci_high", "estimate", "ci_low", "ci_high", "worst_field",
                "worst_excess"]
SEG_COLUMNS = ["data_type", "measure", "method", "model", "tau2_method", "ci_method", "log_scale",
               "swap_events", "ci_level", "study_ci_level"]


def _fmt(est: float, lo: float, hi: float) -> str:
    if not np.isfinite(est):
        return "—"
    return f"{est:.3g} [{lo:.3g}, {hi:.3g}]"


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
        seg_rows, self.segs = build_segments(review, settings, display=True)
        self.error = ""
        self.seg_by_an: dict = {}
        self.sub_num = self.rows["subgroup_number"].fillna(0).to_numpy(int)
        self.study = self.rows["study"].to_numpy()
        self.seg_kind = np.array([], dtype=object)
        self.seg_weight = np.array([], dtype=float)
        if not len(self.segs):
            return
        try:
            self.batch = pool_batch(seg_rows[["segment", *ROW_INPUTS]], self.segs[SEG_COLUMNS],
                                    settings=mode, invalid="mark")
        except InputError as exc:
            self.error = str(exc)
            return
        pooled = self.batch.pooled
        self.pcols = {c: pooled[c].to_numpy() for c in pooled.columns}
        self.seg_by_an = self.segs.groupby("analysis", sort=False).indices
        self.seg_kind = self.segs["kind"].to_numpy()
        self.seg_sub = self.segs["subgroup_number"].to_numpy(int)
        st = self.batch.studies
        row, seg = seg_rows["row"].to_numpy(int), seg_rows["segment"].to_numpy(int)
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



class _Items:
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


def _row_items(R: _Review, acode: np.ndarray, live: np.ndarray, items: _Items) -> None:
    """Per-study comparisons of the rows of live analyses (``acode``: each row's analysis)."""
    labels = np.array([f"study {s}" for s in R.study], dtype=object)
    cols = [(R.display[:, j], R.stored[:, j]) for j in range(3)] + [(R.weights, R.revman_weight)]
    for j, (f, (ours, rv)) in enumerate(zip(("estimate", "ci_low", "ci_high", "weight"), cols)):
        m = live[acode] & (np.isfinite(rv) | np.isfinite(ours)) & (acode >= 0)
        items.add(acode[m], j * len(acode) + np.flatnonzero(m), labels[m], f, ours[m], rv[m],
                  R.ex[m, j])


def _stored_by_segment(review, R: _Review, a_index: pd.Index) -> dict[str, np.ndarray]:
    """RevMan's stored result for every segment: the analysis's row for ``overall``, the subgroup's
    row for ``subgroup`` (NaN where RevMan stored none or the segment is of another kind)."""
    n = len(R.segs)
    names = ["estimate", *RESULT_FIELDS[1:], "weight"]
    out = {f: np.full(n, np.nan) for f in names}
    has = np.zeros(n, dtype=bool)
    ai = a_index.get_indexer(R.segs["analysis"])
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


def _ours_by_segment(R: _Review) -> dict[str, np.ndarray]:
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


def _segment_items(review, R: _Review, a_index: pd.Index, live: np.ndarray, items: _Items,
                   status: np.ndarray, reason: np.ndarray, notes: list) -> np.ndarray:
    """Pooled comparisons of every overall and subgroup segment; sets ``status``/``reason`` where
    our pooling failed. Returns each segment's analysis position (−1: not compared)."""
    if not len(R.segs) or R.error:
        return np.full(len(R.segs), -1)
    stored = _stored_by_segment(review, R, a_index)
    ai = a_index.get_indexer(R.segs["analysis"])
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
    where = np.where(R.seg_kind[seg] == "overall", "overall",
                     np.array([f"subgroup {int(k)}" for k in R.seg_sub[seg]], dtype=object))
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


def _subgroup_tests(review, R: _Review, a_index: pd.Index, live: np.ndarray, items: _Items) -> None:
    """The test for subgroup differences of every analysis with two or more pooled subgroups."""
    if not len(R.segs) or R.error:
        return
    an = review.analyses.reset_index(drop=True)
    stored = {f: pd.to_numeric(an.get(f"revman_subgroup_{f}", pd.Series(np.nan, index=an.index)),
                               errors="coerce").to_numpy(float) for f in ("q", "df", "p", "i2")}
    for key, sids in R.seg_by_an.items():
        i = a_index.get_loc(key) if key in a_index else -1
        sub_ids = [sid for sid in sids if R.seg_kind[sid] == "subgroup"]
        if i < 0 or not live[i] or len(sub_ids) < 2 or not np.isfinite(stored["q"][i]):
            continue
        q, df, pv, i2 = R.batch.subgroup_test(sub_ids)
        if df == 0:  # one subgroup with an estimate: RevMan stores Chi² 0, df 0, P 1, I² 0
            q, pv, i2 = 0.0, 1.0, 0.0
        for k, (f, v) in enumerate((("q", q), ("df", df), ("p", pv), ("i2", i2))):
            rv = stored[f][i]
            if np.isfinite(rv):
                items.add([i], 2 * _SEG_ORDER + k, "subgroup differences", f, [v], [rv],
                          [excess(v, rv, R.decimals, f)])


OPEN_CASES = {
    "split": "the analysis splits a study across subgroups (Applicability SUBGROUP_ONLY / "
             "OVERALL_ONLY rows); RevMan's weights for such analyses are not reproduced yet",
    "all_events": "the analysis has a study in which every participant had the event in both "
                  "arms; RevMan's random-effects weights with such a study are not reproduced yet",
}


def _open_cases(R: _Review, acode: np.ndarray, n: int) -> list[tuple[np.ndarray, str]]:
    """Per analysis, the two kinds of RevMan behaviour we know we do not reproduce (found on
    reviews nobody tuned for: CD011535 1.8, CD014964 2.3; CD011535 1.2, CD002042 1.1), so that a
    line that differs says which one it meets."""
    rows = R.rows
    app = rows["applicability"].astype(str).to_numpy() if "applicability" in rows else None
    split = np.zeros(len(rows), dtype=bool) if app is None else (app != "SUBGROUP_AND_OVERALL")
    a, c = (rows[k].to_numpy(float) for k in ("events_intervention", "events_control"))
    n1, n2 = (rows[k].to_numpy(float) for k in ("n_intervention", "n_control"))
    with np.errstate(invalid="ignore"):
        every = (rows["data_type"].to_numpy(object) == "dichotomous") & (a == n1) & (c == n2) & (a + c > 0)
    return [(_per_analysis(R, acode, n, split) > 0, OPEN_CASES["split"]),
            (_per_analysis(R, acode, n, every) > 0, OPEN_CASES["all_events"])]


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
    items, notes = _Items(), []
    _row_items(R, acode, live, items)
    seg_an = _segment_items(review, R, a_index, live, items, status, reason, notes)
    _subgroup_tests(review, R, a_index, live, items)
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
    big, wfield, wex = (np.full(n, "", dtype=object), np.full(n, "", dtype=object), np.full(n, np.nan))
    for i in np.flatnonzero(worst >= 0):
        k = worst[i]
        d = abs(i_ours[k] - i_rv[k])
        big[i] = f"{i_field[k]} ({i_where[k]}) " + (f"{d:.2g}" if np.isfinite(d) else "missing")
        wfield[i], wex[i] = f"{i_where[k]}: {i_field[k]}", i_ex[k]
        if status[i] == "match" and differ[i]:
            status[i] = "differs"
            reason[i] = f"{differ[i]} number(s) differ; worst: {i_where[k]} {i_field[k]}"
    for i, texts in note.items():
        if status[i] == "match" and not differ[i]:
            reason[i] = "; ".join(dict.fromkeys(texts))
    for flag, text in _open_cases(R, acode, n):
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
    pooled_sub = s["pooled"].to_numpy(object) == "subgroups"
    rv = an.reindex(columns=["revman_estimate", "revman_ci_low", "revman_ci_high"]).to_numpy(float)
    est = line[["estimate", "ci_low", "ci_high"]].to_numpy(float)
    out = line.assign(
        review=review.review_id or review.source, name=an["name"].to_numpy(object),
        measure=s["measure"].to_numpy(object), method=s["method"].to_numpy(object),
        model=s["model"].to_numpy(object),
        settings=np.where(s["settings_source"].to_numpy(object) == "file", "stated", "inferred"),
        revman=[_fmt(*r) for r in rv.tolist()],
        ours=np.where(pooled_sub, "subtotals only", [_fmt(*r) for r in est.tolist()]),
        revman_estimate=rv[:, 0], revman_ci_low=rv[:, 1], revman_ci_high=rv[:, 2],
    ).reindex(columns=LINE_COLUMNS)
    out.attrs["engine_error"] = R.error
    if not details:
        return out
    cols = ["analysis", "where", "field", "ours", "revman", "excess"]
    return out, pd.DataFrame(dict(zip(cols, det)), columns=cols)
