"""Re-pool every analysis and subgroup of one review and compare with RevMan's stored numbers.

For each analysis: per-study estimate, CI and weight; per-analysis and per-subgroup estimate, CI,
prediction interval, τ², Q (Chi²), df, its P, I², Z or T and P; the test for subgroup
differences — each against RevMan's number within the precision the file carries
(:mod:`mytools.reproduce.tolerance`). A number RevMan did not store is not compared.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from .infer import rows_with_type
from .pool import NotComputable, Pooled, pool_group, subgroup_test
from .studies import display_rows, effects_by_setting
from .tolerance import excess

__all__ = ["check_review", "RESULT_FIELDS", "LINE_COLUMNS"]

RESULT_FIELDS = ("estimate", "ci_low", "ci_high", "pi_low", "pi_high", "tau2", "q", "df", "p_q",
                 "i2", "z", "t", "p")
SUBTEST_FIELDS = ("subgroup_q", "subgroup_df", "subgroup_p", "subgroup_i2")
LINE_COLUMNS = ["review", "analysis", "name", "measure", "method", "model", "settings", "revman",
                "ours", "largest_difference", "status", "reason", "studies", "studies_match",
                "weights_match", "weights_compared", "compared", "differ", "revman_estimate", "revman_ci_low",
                "revman_ci_high", "estimate", "ci_low", "ci_high", "worst_field", "worst_excess"]


class _Diffs:
    """Collects (where, field, ours, revman, excess) for one analysis."""

    def __init__(self, decimals: int | None):
        self.decimals = decimals
        self.items: list[tuple[str, str, float, float, float]] = []

    def add(self, where: str, field: str, ours: float, revman: float) -> None:
        if revman is None or not np.isfinite(revman):
            return
        ex = float(excess(ours, revman, self.decimals, field))
        self.items.append((where, field, float(ours), float(revman), ex))

    def worst(self):
        return max(self.items, key=lambda t: t[4]) if self.items else None


def _cells(rows: pd.DataFrame, swap: np.ndarray) -> tuple[np.ndarray, ...]:
    a, n1 = rows["events_intervention"].to_numpy(float), rows["n_intervention"].to_numpy(float)
    c, n2 = rows["events_control"].to_numpy(float), rows["n_control"].to_numpy(float)
    a, c = np.where(swap, n1 - a, a), np.where(swap, n2 - c, c)
    return a, n1 - a, c, n2 - c


def _fmt(est: float, lo: float, hi: float) -> str:
    if not np.isfinite(est):
        return "—"
    return f"{est:.3g} [{lo:.3g}, {hi:.3g}]"


def _compare_result(d: _Diffs, where: str, ours: dict, stored: pd.Series) -> None:
    for f in RESULT_FIELDS:
        rv = stored.get(f"revman_{f}", np.nan)
        if f == "t" and rv == 0 and stored.get("revman_df", np.nan) == 0:
            continue  # RevMan writes T = 0 for a single study (no Hartung–Knapp interval)
        if f == "tau2" and np.isfinite(rv) and not np.isfinite(ours.get(f, np.nan)):
            ours = {**ours, "tau2": 0.0}  # RevMan may store τ² = 0 for a fixed-effect analysis
        d.add(where, f, ours.get(f, np.nan), rv)


def _pool_subgroups(y, v, cells, s, sub, mode):
    out: dict[str, Pooled] = {}
    reasons = {}
    for num in [n for n in pd.unique(sub) if n > 0]:
        m = sub == num
        try:
            out[num] = pool_group(y[m], v[m], tuple(x[m] for x in cells), s, mode=mode)
        except NotComputable as exc:
            reasons[num] = str(exc)
    return out, reasons


def _all_zero(rows: pd.DataFrame, a: pd.Series) -> bool:
    """RevMan wrote zeros or blanks instead of results (Fleiss 1993's uncalculated SMD outcome)."""
    cols = ["revman_estimate", "revman_ci_low", "revman_ci_high"]
    stored = rows[cols].to_numpy(float)
    overall = np.array([a.get(c, np.nan) for c in cols], dtype=float)
    empty = np.nan_to_num(stored) == 0
    return bool(np.all(empty) and np.all(np.nan_to_num(overall) == 0))


def check_analysis(a: pd.Series, s: dict, rows: pd.DataFrame, eff, subs: pd.DataFrame,
                   decimals: int | None, mode: str) -> tuple[dict, np.ndarray]:
    """One analysis: returns its report line (dict) and our per-row weights."""
    d = _Diffs(decimals)
    n = len(rows)
    line = {"studies": n, "status": "match", "reason": ""}
    if n == 0:
        return {**line, "status": "not computable", "reason": "the analysis has no study rows"}, np.array([])
    if _all_zero(rows, a) and eff.estimable.any():
        return {**line, "status": "not computable",
                "reason": "RevMan stored no results (0 or blank: the analysis was not calculated in the file)"}, \
            np.full(n, np.nan)
    y, v = eff.y, eff.v
    est, lo, hi = display_rows(eff, np.full(n, float(s["ci_level_study"] or 0.95)))
    ok_rows = np.ones(n, dtype=bool)
    for f, ours in (("estimate", est), ("ci_low", lo), ("ci_high", hi)):
        rv = rows[f"revman_{f}"].to_numpy(float)
        ex = excess(ours, rv, decimals, f)
        ok_rows &= ex <= 1
        for i in np.flatnonzero(np.isfinite(rv) | np.isfinite(ours)):
            d.items.append((f"study {rows['study'].iat[i]}", f, ours[i], rv[i], float(ex[i])))
    cells = _cells(rows, np.full(n, bool(s["swap_events"])))
    sub = rows["subgroup_number"].fillna(0).to_numpy(int)
    sub_pools, sub_reasons = _pool_subgroups(y, v, cells, s, sub, mode)
    weights = np.full(n, np.nan)
    overall = None
    reason = ""
    if s["pooled"] == "overall":
        try:
            overall = pool_group(y, v, cells, s, mode=mode)
            weights = overall.weights
        except NotComputable as exc:
            reason = str(exc)
    elif s["pooled"] == "subgroups":
        for num, p in sub_pools.items():
            weights[sub == num] = p.weights
        if np.any(sub == 0):  # no subgroups, totals off: RevMan still weights the studies
            m = sub == 0
            try:
                weights[m] = pool_group(y[m], v[m], tuple(x[m] for x in cells), s,
                                        mode=mode).weights
            except NotComputable as exc:
                reason = str(exc)
    rw = rows["revman_weight"].to_numpy(float)
    rw = np.where(rw == 0, np.nan, rw)
    wx = excess(weights, rw, decimals)
    for i in range(n):
        if np.isfinite(rw[i]) or np.isfinite(weights[i]):
            d.items.append((f"study {rows['study'].iat[i]}", "weight", weights[i], rw[i], float(wx[i])))
    if overall is not None:
        _compare_result(d, "overall", overall.values, a)
    elif reason or np.isfinite(a.get("revman_estimate", np.nan)):
        line = {**line, "status": "not computable", "reason": reason or "overall not pooled"}
    for _, g in subs.iterrows():
        num = int(g["subgroup_number"])
        where = f"subgroup {num}"
        if num in sub_pools:
            vals = dict(sub_pools[num].values)
            if overall is not None:
                vals["weight"] = float(np.nansum(weights[sub == num]))
            _compare_result(d, where, vals, g)
            d.add(where, "weight", vals.get("weight", np.nan), g.get("revman_weight", np.nan))
        elif np.isfinite(g.get("revman_estimate", np.nan)):
            line["status"], line["reason"] = "not computable", f"{where}: {sub_reasons.get(num, 'no rows')}"
    if len(sub_pools) >= 2 and np.isfinite(a.get("revman_subgroup_q", np.nan)):
        t = subgroup_test(sub_pools)
        for f in SUBTEST_FIELDS:
            d.add("subgroup differences", f.removeprefix("subgroup_"), t[f], a.get(f"revman_{f}", np.nan))
    return {**_summarise(line, d, ok_rows, wx, rw, weights, a, overall), "_items": d.items}, weights


def _summarise(line, d: _Diffs, ok_rows, wx, rw, weights, a, overall) -> dict:
    w = d.worst()
    differ = sum(1 for t in d.items if t[4] > 1)
    if line["status"] != "match":
        pass
    elif differ:
        line["status"] = "differs"
        line["reason"] = f"{differ} number(s) differ; worst: {w[0]} {w[1]}"
    has_w = np.isfinite(rw) | np.isfinite(weights)
    ours = overall.values if overall is not None else {}
    return {**line, "studies_match": int(ok_rows.sum()),
            "weights_match": int(np.sum((wx <= 1) & has_w)) if has_w.any() else np.nan,
            "weights_compared": int(has_w.sum()), "compared": len(d.items), "differ": differ,
            "worst_field": f"{w[0]}: {w[1]}" if w else "",
            "worst_excess": w[4] if w else np.nan,
            "largest_difference": (f"{w[1]} ({w[0]}) {abs(w[2] - w[3]):.2g}"
                                   if w and np.isfinite(w[2] - w[3]) else (f"{w[1]} ({w[0]}) missing" if w else "")),
            "revman_estimate": a.get("revman_estimate", np.nan),
            "revman_ci_low": a.get("revman_ci_low", np.nan),
            "revman_ci_high": a.get("revman_ci_high", np.nan),
            "estimate": ours.get("estimate", np.nan), "ci_low": ours.get("ci_low", np.nan),
            "ci_high": ours.get("ci_high", np.nan)}


def check_review(review, settings: pd.DataFrame, *, details: bool = False):
    """One report line per analysis of ``review`` (a ReviewData) re-pooled with ``settings``.

    With ``details=True`` also every compared number: (analysis, where, field, ours, revman,
    excess) where excess = |ours − revman| / tolerance (≤ 1 is a match)."""
    an = review.analyses.reset_index(drop=True)
    rows = rows_with_type(review)
    sset = settings.set_index("analysis")
    keys = sset.reindex(rows["analysis"])[["data_type", "measure", "swap_events", "log_scale"]]
    keys = keys.reset_index(drop=True)
    keys["data_type"] = rows["data_type"].to_numpy()
    eff = effects_by_setting(rows, keys)
    by_an = rows.groupby("analysis", sort=False).indices
    subs_by = review.subgroups.groupby("analysis", sort=False) if len(review.subgroups) else None
    mode = "revman_web" if str(review.format).startswith("datapackage-2") else "revman5"
    lines = []
    for _, a in an.iterrows():
        key = a["analysis"]
        s = {**sset.loc[key].to_dict(), "data_type": a["data_type"]}
        pos = by_an.get(key, np.array([], dtype=int))
        subs = subs_by.get_group(key) if subs_by is not None and key in subs_by.groups else review.subgroups.iloc[:0]
        sub_eff = eff.__class__(y=eff.y[pos], v=eff.v[pos], estimable=eff.estimable[pos],
                                reason=eff.reason[pos], log_scale=np.asarray(eff.log_scale)[pos],
                                corrected=eff.corrected[pos])
        try:
            line, _ = check_analysis(a, s, rows.iloc[pos], sub_eff, subs, review.decimals, mode)
        except (NotComputable, ValueError) as exc:
            line = {"status": "not computable", "reason": str(exc), "studies": len(pos)}
        how = "stated" if s.get("settings_source") == "file" else "inferred"
        lines.append({"review": review.review_id or review.source, "analysis": key, "name": a["name"],
                      "measure": s.get("measure"), "method": s.get("method"), "model": s.get("model"),
                      "settings": how,
                      "revman": _fmt(a.get("revman_estimate", np.nan), a.get("revman_ci_low", np.nan),
                                     a.get("revman_ci_high", np.nan)),
                      "ours": _fmt(line.get("estimate", np.nan), line.get("ci_low", np.nan),
                                   line.get("ci_high", np.nan)), **line})
    out = pd.DataFrame(lines)
    if not details:
        return out.reindex(columns=LINE_COLUMNS)
    det = pd.DataFrame([(ln["analysis"], *it) for ln in lines for it in ln.get("_items", [])],
                       columns=["analysis", "where", "field", "ours", "revman", "excess"])
    return out.reindex(columns=LINE_COLUMNS), det
