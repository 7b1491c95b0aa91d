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
from .infer import records, rows_with_type
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


class _Diffs:
    """Collects (where, field, ours, revman, excess) for one analysis."""

    def __init__(self, decimals: int | None):
        self.decimals = decimals
        self.items: list[tuple[str, str, float, float, float]] = []
        self.notes: list[str] = []

    def add(self, where: str, field: str, ours: float, revman: float) -> None:
        if revman is None or not np.isfinite(revman):
            return
        self.items.append((where, field, float(ours), float(revman),
                           float(excess(ours, revman, self.decimals, field))))

    def add_rows(self, labels, field: str, ours: np.ndarray, revman: np.ndarray,
                 ex: np.ndarray) -> np.ndarray:
        """Per-study comparisons; ``ex`` = :func:`excess` of these rows (computed per review)."""
        for i in np.flatnonzero(np.isfinite(revman) | np.isfinite(ours)):
            self.items.append((f"study {labels[i]}", field, float(ours[i]), float(revman[i]), float(ex[i])))
        return ex

    def worst(self):
        return max(self.items, key=lambda t: t[4]) if self.items else None


def _fmt(est: float, lo: float, hi: float) -> str:
    if not np.isfinite(est):
        return "—"
    return f"{est:.3g} [{lo:.3g}, {hi:.3g}]"


def _ours(p: dict) -> dict:
    """Our pooled numbers named as RevMan's stored columns (RevMan prints |Z| and |T|)."""
    hk = np.isfinite(p["t_df"])
    stat = abs(p["z"])
    df = p["df"]
    return {**{f: p[f] for f in ("estimate", "ci_low", "ci_high", "pi_low", "pi_high", "tau2", "q",
                                 "i2", "p")},
            "df": float(df), "p_q": 1.0 if df == 0 else p["p_q"],
            "z": np.nan if hk else stat, "t": stat if hk else np.nan}


def _compare_result(d: _Diffs, where: str, ours: dict, stored: dict) -> None:
    for f in RESULT_FIELDS:
        rv = stored.get(f"revman_{f}", np.nan)
        if f == "t" and rv == 0 and stored.get("revman_df", np.nan) == 0:
            continue  # RevMan writes T = 0 for a single study (no Hartung–Knapp interval)
        o = ours.get(f, np.nan)
        if (f in ("i2", "p_q") and stored.get("revman_df") == 0
                and abs(stored.get("revman_q", np.nan)) <= 1e-12 and rv == {"i2": 100.0, "p_q": 0.0}[f]):
            # one study: RevMan's Q is 0 up to float noise; when the noise is > 0 (CD003188's .rm5
            # stores Chi² = 1.9e-30 for 1.5 subgroup 2) it shows I² = (Q − 0)/Q = 100% and
            # P(χ²₀ > Q) = 0 (also CD011506 1.12, where the 6-decimal file shows Chi² 0.0)
            d.notes.append(f"{where}: RevMan's {f} for one study comes from rounding noise in its "
                           "Chi² (stored as 0); not compared")
            continue
        if f == "tau2" and np.isfinite(rv) and not np.isfinite(o):
            o = 0.0  # RevMan may store τ² = 0 for a fixed-effect analysis
        d.add(where, f, o, rv)


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

    def excesses(self, decimals: int | None) -> None:
        """|ours − RevMan's| in tolerances for every row: estimate, CI limits, weight."""
        self.ex = np.column_stack(
            [excess(self.display[:, j], self.stored[:, j], decimals, f)
             for j, f in enumerate(("estimate", "ci_low", "ci_high"))]
            + [excess(self.weights, self.revman_weight, decimals, "weight")])


def _all_zero(stored: np.ndarray, a: dict) -> bool:
    """RevMan wrote zeros or blanks instead of results (Fleiss 1993's uncalculated SMD outcome)."""
    overall = np.array([a.get(c, np.nan) for c in ("revman_estimate", "revman_ci_low", "revman_ci_high")])
    return bool(np.all(np.nan_to_num(stored) == 0) and np.all(np.nan_to_num(overall) == 0))


def check_analysis(R: _Review, a: dict, pos: np.ndarray, subs: list[dict],
                   decimals: int | None) -> dict:
    """One analysis of a prepared review: its report line (plus ``_items``, every comparison)."""
    d = _Diffs(decimals)
    n = len(pos)
    line = {"studies": n, "status": "match", "reason": ""}
    if n == 0:
        return {**line, "status": "not computable", "reason": "the analysis has no study rows"}
    if R.error:
        return {**line, "status": "not computable", "reason": R.error}
    if _all_zero(R.stored[pos], a) and R.estimable[pos].any():
        return {**line, "status": "not computable",
                "reason": "RevMan stored no results (0 or blank: the analysis was not calculated in the file)"}
    labels = R.study[pos]
    ok_rows = np.ones(n, dtype=bool)
    for j, f in enumerate(("estimate", "ci_low", "ci_high")):
        ok_rows &= d.add_rows(labels, f, R.display[pos, j], R.stored[pos, j], R.ex[pos, j]) <= 1
    rw = R.revman_weight[pos]
    wx = d.add_rows(labels, "weight", R.weights[pos], rw, R.ex[pos, 3])
    stored_sub = {int(r["subgroup_number"]): r for r in subs}
    ours_overall: dict = {}
    sids = R.seg_by_an.get(a["analysis"], np.array([], dtype=int))
    for sid in sids:
        kind, num = R.seg_kind[sid], int(R.seg_sub[sid])
        if kind == "subgroup":
            if num not in stored_sub:
                continue
            stored, where = stored_sub[num], f"subgroup {num}"
        elif kind == "overall":
            stored, where = a, "overall"
        else:
            continue
        p = {c: x[sid] for c, x in R.pcols.items()}
        if p["pooling"] != "ok":
            if np.isfinite(stored.get("revman_estimate", np.nan)):
                line.update(status="not computable", reason=f"{where}: {p['reason']}")
            elif kind == "overall":
                line.update(status="not computable",
                            reason=f"{where}: {p['reason']} (RevMan shows no result either)")
            continue
        vals = _ours(p)
        if kind == "overall":
            ours_overall = vals
        else:
            vals["weight"] = float(np.nansum(R.weights[pos][R.sub_num[pos] == num]))
            d.add(where, "weight", vals["weight"], stored.get("revman_weight", np.nan))
        _compare_result(d, where, vals, stored)
    sub_ids = [sid for sid in sids if R.seg_kind[sid] == "subgroup"]
    if len(sub_ids) >= 2 and np.isfinite(a.get("revman_subgroup_q", np.nan)):
        q, df, pv, i2 = R.batch.subgroup_test(sub_ids)
        if df == 0:  # one subgroup with an estimate: RevMan stores Chi² 0, df 0, P 1, I² 0
            q, pv, i2 = 0.0, 1.0, 0.0
        for f, v in (("q", q), ("df", df), ("p", pv), ("i2", i2)):
            d.add("subgroup differences", f, v, a.get(f"revman_subgroup_{f}", np.nan))
    has_w = np.isfinite(rw) | np.isfinite(R.weights[pos])
    return {**_summarise(line, d), "studies_match": int(ok_rows.sum()),
            "weights_match": int(np.sum((wx <= 1) & has_w)) if has_w.any() else np.nan,
            "weights_compared": int(has_w.sum()),
            "estimate": ours_overall.get("estimate", np.nan),
            "ci_low": ours_overall.get("ci_low", np.nan), "ci_high": ours_overall.get("ci_high", np.nan),
            "_items": d.items}


def _summarise(line: dict, d: _Diffs) -> dict:
    w = d.worst()
    differ = sum(1 for t in d.items if t[4] > 1)
    if line["status"] == "match" and differ:
        line = {**line, "status": "differs",
                "reason": f"{differ} number(s) differ; worst: {w[0]} {w[1]}"}
    elif line["status"] == "match" and d.notes:
        line = {**line, "reason": "; ".join(dict.fromkeys(d.notes))}
    if w is None:
        big = ""
    elif np.isfinite(w[2] - w[3]):
        big = f"{w[1]} ({w[0]}) {abs(w[2] - w[3]):.2g}"
    else:
        big = f"{w[1]} ({w[0]}) missing"
    return {**line, "compared": len(d.items), "differ": differ, "largest_difference": big,
            "worst_field": f"{w[0]}: {w[1]}" if w else "", "worst_excess": w[4] if w else np.nan}


def check_review(review, settings: pd.DataFrame, *, details: bool = False):
    """One report line per analysis of ``review`` (a ReviewData) re-pooled with ``settings``.

    With ``details=True`` also every compared number: (analysis, where, field, ours, revman,
    excess) where excess = |ours − revman| / tolerance (≤ 1 is a match)."""
    R = _Review(review, settings)
    R.excesses(review.decimals)
    by_an = R.rows.groupby("analysis", sort=False).indices
    subs_by: dict = {}
    for r in (records(review.subgroups) if len(review.subgroups) else []):
        subs_by.setdefault(r["analysis"], []).append(r)
    sset = {s["analysis"]: s for s in records(settings)}
    lines = []
    for a in records(review.analyses):
        key = a["analysis"]
        s = sset.get(key, {})
        pos = by_an.get(key, np.array([], dtype=int))
        line = check_analysis(R, a, pos, subs_by.get(key, []), review.decimals)
        lines.append({"review": review.review_id or review.source, "analysis": key,
                      "name": a["name"], "measure": s.get("measure"), "method": s.get("method"),
                      "model": s.get("model"),
                      "settings": "stated" if s.get("settings_source") == "file" else "inferred",
                      "revman": _fmt(a.get("revman_estimate", np.nan), a.get("revman_ci_low", np.nan),
                                     a.get("revman_ci_high", np.nan)),
                      "ours": (_fmt(line.get("estimate", np.nan), line.get("ci_low", np.nan),
                                    line.get("ci_high", np.nan)) if s.get("pooled") != "subgroups"
                               else "subtotals only"),
                      "revman_estimate": a.get("revman_estimate", np.nan),
                      "revman_ci_low": a.get("revman_ci_low", np.nan),
                      "revman_ci_high": a.get("revman_ci_high", np.nan), **line})
    out = pd.DataFrame(lines).reindex(columns=LINE_COLUMNS)
    out.attrs["engine_error"] = R.error
    if not details:
        return out
    det = pd.DataFrame([(ln["analysis"], *it) for ln in lines for it in ln.get("_items", [])],
                       columns=["analysis", "where", "field", "ours", "revman", "excess"])
    return out, det
