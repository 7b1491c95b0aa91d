"""The settings of each analysis: as stated in the file, or inferred from RevMan's own numbers.

A bare ``-data-rows.csv`` carries no settings (``settings_source == "none"``), but RevMan's
per-study ``Mean``/``CI start``/``CI end`` fix the effect measure, the study CI level and "swap
event and non-event" (every candidate is computed for every row and the one that reproduces the
stored numbers within the file's rounding wins), and the ``Weight`` column fixes the statistical
method (MH, IV, Peto), the model (fixed, random DerSimonian–Laird) and whether weights are shares
of the whole analysis or of each subgroup (subtotals only). Each setting is reported with how it
was established: "stated in the file", "inferred from RevMan's per-study numbers", "inferred from
weights" or "undetermined: <why>" (then RevMan's default is used and the report says so).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from .studies import MEASURES_BY_TYPE, as_arrays, display_rows, effects_by_setting, study_effects
from .tolerance import close
from .weights import group_weights

__all__ = ["infer_settings", "SETTING_COLUMNS"]

STATED = "stated in the file"
BY_STUDY = "inferred from RevMan's per-study numbers"
BY_WEIGHT = "inferred from weights"
IMPLIED = "implied by the data type (RevMan pools continuous and generic data by inverse variance)"
LEVELS = (0.95, 0.99, 0.90)
SETTING_COLUMNS = ["analysis", "name", "data_type", "measure", "measure_how", "ci_level_study",
                   "ci_level_how", "swap_events", "log_scale", "method", "method_how", "model",
                   "model_how", "tau2_method", "ci_method", "ci_level", "pooled", "pooled_how",
                   "settings_source"]


def rows_with_type(review) -> pd.DataFrame:
    """``review.rows`` with its analysis's ``data_type`` on every row."""
    rows = review.rows.reset_index(drop=True)
    types = dict(zip(review.analyses["analysis"], review.analyses["data_type"]))
    return rows.assign(data_type=rows["analysis"].map(types))


def _stated(an: pd.DataFrame) -> pd.DataFrame:
    out = pd.DataFrame({"analysis": an["analysis"], "name": an["name"], "data_type": an["data_type"],
                        "measure": an["measure"], "measure_how": STATED,
                        "ci_level_study": an["ci_level_study"].astype(float), "ci_level_how": STATED,
                        "swap_events": an["swap_events"].astype(bool),
                        "log_scale": an["log_scale"].astype(bool), "method": an["method"],
                        "method_how": STATED, "model": an["model"], "model_how": STATED,
                        "tau2_method": an["tau2_method"], "ci_method": an["ci_method"],
                        "ci_level": an["ci_level"].astype(float), "settings_source": "file"})
    overall = an["overall"].astype(bool)
    sub = an["subgroup_estimates"].astype(bool)
    out["pooled"] = np.where(overall, "overall", np.where(sub, "subgroups", "none"))
    out["pooled_how"] = STATED
    return out.reset_index(drop=True)


def _candidates(data_type: str) -> list[tuple[str, float, bool, bool]]:
    """(measure, study CI level, swap, log_scale) candidates, most usual first."""
    out = []
    for swap in ((False, True) if data_type == "dichotomous" else (False,)):
        for m in MEASURES_BY_TYPE.get(data_type, ()):
            for lg in ((True, False) if data_type == "generic" else (m != "RD" and m not in ("MD", "SMD"),)):
                out += [(m, lvl, swap, lg) for lvl in LEVELS]
    return out


def _infer_measure(rows: pd.DataFrame, decimals: int | None) -> dict[str, dict]:
    """Per analysis: the (measure, level, swap, log) candidate that reproduces most study rows."""
    R = rows[["revman_estimate", "revman_ci_low", "revman_ci_high"]].to_numpy(dtype=float)
    informative = ~np.isnan(R[:, 0])
    code, names = pd.factorize(rows["analysis"], sort=False)
    arrs = as_arrays(rows)
    scores: dict[tuple, np.ndarray] = {}
    for dt in rows["data_type"].dropna().unique():
        sel = (rows["data_type"] == dt).to_numpy()
        sub = {c: x[sel] for c, x in arrs.items()}
        for cand in _candidates(dt):
            m, lvl, sw, lg = cand
            se = study_effects(sub, dt, m, swap=sw, log_scale=lg)
            D = np.column_stack(display_rows(se, np.full(int(sel.sum()), lvl)))
            good = np.all(close(D, R[sel], decimals), axis=1)
            s = np.bincount(code[sel], weights=good & informative[sel], minlength=len(names))
            scores[(dt, *cand)] = np.where(np.bincount(code[sel], minlength=len(names)) > 0, s, -1)
    n_inf = np.bincount(code, weights=informative, minlength=len(names))
    out = {}
    for i, a in enumerate(names):
        ranked = [(s[i], c) for c, s in scores.items() if s[i] >= 0]
        best = max(s for s, _ in ranked)
        tied = [c for s, c in ranked if s == best]
        dt, m, lvl, sw, lg = tied[0]
        if n_inf[i] == 0:
            how = "undetermined: RevMan shows no per-study estimate in this analysis"
        elif best < n_inf[i]:
            how = f"{BY_STUDY} (best fit: {int(best)} of {int(n_inf[i])} rows)"
        else:
            how = BY_STUDY
        out[a] = {"measure": m, "ci_level_study": lvl, "swap_events": sw, "log_scale": lg,
                  "measure_how": how, "ci_level_how": how,
                  "alternatives": sorted({c[1] for c in tied[1:] if c[1] != m})}
    return out


def _pool_candidates(data_type: str, measure: str) -> list[tuple[str, str]]:
    if measure == "PETO_OR":
        return [("Peto", "fixed"), ("IV", "random")]
    methods = ("MH", "IV") if data_type == "dichotomous" else ("IV",)
    return [(me, mo) for me in methods for mo in ("fixed", "random")]


def _weights_scores(rows: pd.DataFrame, keys: pd.DataFrame, decimals: int | None) -> dict:
    """Score of every (method, model, scope) candidate per analysis: rows whose weight matches."""
    se = effects_by_setting(rows, keys)
    a, n1 = rows["events_intervention"].to_numpy(float), rows["n_intervention"].to_numpy(float)
    c, n2 = rows["events_control"].to_numpy(float), rows["n_control"].to_numpy(float)
    sw = keys["swap_events"].to_numpy(bool)
    a, c = np.where(sw, n1 - a, a), np.where(sw, n2 - c, c)
    cells = (a, n1 - a, c, n2 - c)
    rw = rows["revman_weight"].to_numpy(float)
    rw = np.where(rw == 0, np.nan, rw)
    acode, anames = pd.factorize(rows["analysis"], sort=False)
    scode = pd.factorize(rows["analysis"].astype(str) + "\x00" + rows["subgroup_number"].astype(str))[0]
    out: dict[tuple, np.ndarray] = {}
    combos = keys[["data_type", "measure"]].drop_duplicates().itertuples(index=False)
    for dt, m in combos:
        sel = ((keys["data_type"] == dt) & (keys["measure"] == m)).to_numpy()
        for method, model in _pool_candidates(dt, m):
            for scope, code in (("overall", acode), ("subgroups", scode)):
                idx = pd.factorize(code[sel])[0]
                w = group_weights(idx, se.y[sel], se.v[sel], method=method, model=model, measure=m,
                                  cells=tuple(x[sel] for x in cells), corrected=se.corrected[sel])
                good = close(w, rw[sel], decimals)
                s = np.bincount(acode[sel], weights=good, minlength=len(anames))
                prev = out.setdefault((method, model, scope), np.full(len(anames), -1.0))
                has = np.bincount(acode[sel], minlength=len(anames)) > 0
                prev[has] = s[has]
    return out


def _choose_pooling(a: str, dt: str, measure: str, scores: dict, i: int, n_rows: int,
                    has_weights: bool, has_sub: bool, one_study: tuple[bool, bool] = (False, False)) -> dict:
    default = ("Peto" if measure == "PETO_OR" else "MH" if dt == "dichotomous" else "IV", "fixed")
    if not has_weights:
        why = "undetermined: RevMan shows no weights (the analysis is not pooled)"
        return {"method": default[0], "method_how": why, "model": default[1], "model_how": why,
                "pooled": "none", "pooled_how": BY_WEIGHT}
    ranked = [(s[i], c) for c, s in scores.items() if s[i] >= 0]
    best = max(s for s, _ in ranked)
    tied = [c for s, c in ranked if s == best]
    if best == 0:
        why = "undetermined: no method and model reproduces RevMan's weights"
        return {"method": default[0], "method_how": why, "model": default[1], "model_how": why,
                "pooled": "overall", "pooled_how": why}
    pref = {"overall": 0, "subgroups": 1, "fixed": 0, "random": 1, default[0]: 0}
    method, model, scope = min(tied, key=lambda c: (pref[c[2]], pref[c[1]], pref.get(c[0], 1)))
    others = sorted({f"{me} {mo}" for me, mo, _ in tied} - {f"{method} {model}"})
    fit = "" if best >= n_rows else f" (best fit: {int(best)} of {n_rows} rows)"
    single = one_study[0] if scope == "overall" else one_study[1]
    why = ("one study per pooled group, which gets 100% under every method and model" if single
           else "τ² = 0, so fixed and random effects weigh alike")
    same = ("undetermined: " + ", ".join([f"{method} {model}", *others])
            + f" give the same weights here ({why})")
    method_how = BY_WEIGHT + fit if all(c[0] == method for c in tied) else same
    if dt in ("continuous", "generic") and method == "IV":
        method_how = IMPLIED
    model_how = BY_WEIGHT + fit if all(c[1] == model for c in tied) else same
    scopes = {c[2] for c in tied}
    pooled_how = BY_WEIGHT if len(scopes) == 1 or not has_sub else (
        "undetermined: one study per subgroup; pooled over the whole analysis assumed")
    return {"method": method, "method_how": method_how, "model": model, "model_how": model_how,
            "pooled": scope, "pooled_how": pooled_how}


def infer_settings(review) -> pd.DataFrame:
    """Per analysis, each setting and how it was established (see module docstring).

    ``review``: a :class:`mytools.data.revman.ReviewData` (or anything with ``analyses``, ``rows``,
    ``decimals``). Analyses whose file states its settings are returned as stated.
    """
    an = review.analyses.reset_index(drop=True)
    rows = rows_with_type(review)
    stated = an["settings_source"] == "file"
    parts = [_stated(an[stated])] if stated.any() else []
    todo = an[~stated]
    if len(todo):
        r = rows[rows["analysis"].isin(todo["analysis"])].reset_index(drop=True)
        parts.append(_inferred(todo, r, review.decimals))
    if not parts:
        return pd.DataFrame(columns=SETTING_COLUMNS)
    out = pd.concat(parts, ignore_index=True)
    order = {a: i for i, a in enumerate(an["analysis"])}
    return out.sort_values("analysis", key=lambda s: s.map(order)).reset_index(drop=True)[SETTING_COLUMNS]


def _inferred(an: pd.DataFrame, rows: pd.DataFrame, decimals: int | None) -> pd.DataFrame:
    meas = _infer_measure(rows, decimals) if len(rows) else {}
    keys = pd.DataFrame([{"data_type": dt, **{k: meas.get(a, {}).get(k) for k in
                                              ("measure", "swap_events", "log_scale")}}
                         for a, dt in zip(rows["analysis"], rows["data_type"])])
    scores = _weights_scores(rows, keys, decimals) if len(rows) else {}
    anames = list(pd.factorize(rows["analysis"], sort=False)[1])
    rw = rows["revman_weight"].fillna(0).to_numpy(float)
    out = []
    for _, a in an.iterrows():
        key = a["analysis"]
        base = {"analysis": key, "name": a["name"], "data_type": a["data_type"],
                "tau2_method": None, "ci_method": "wald", "ci_level": 0.95, "settings_source": "none"}
        if key not in meas:
            why = "undetermined: the analysis has no study rows"
            out.append({**base, "measure": None, "measure_how": why, "ci_level_study": np.nan,
                        "ci_level_how": why, "swap_events": False, "log_scale": False, "method": None,
                        "method_how": why, "model": None, "model_how": why, "pooled": "none",
                        "pooled_how": why})
            continue
        m = meas[key]
        sel = (rows["analysis"] == key).to_numpy()
        sub = rows.loc[sel, "subgroup_number"].fillna(0)
        per_group = (rw[sel] != 0).astype(int)
        one = (bool(per_group.sum() <= 1),
               bool(pd.Series(per_group).groupby(sub.to_numpy()).sum().max() <= 1))
        pool = _choose_pooling(key, a["data_type"], m["measure"], scores, anames.index(key),
                               int(sel.sum()), bool((rw[sel] != 0).any()), bool((sub > 0).any()),
                               one_study=one)
        if pool["model"] == "random":
            base["tau2_method"] = "DL"
        base["ci_level"] = m["ci_level_study"]
        out.append({**base, **{k: v for k, v in m.items() if k != "alternatives"}, **pool})
    return pd.DataFrame(out)
