"""The settings of each analysis: as stated in the file, or inferred from RevMan's own numbers.

A bare ``-data-rows.csv`` carries no settings (``settings_source == "none"``), but RevMan's
per-study ``Mean``/``CI start``/``CI end`` fix the effect measure, the study CI level and "swap
event and non-event" (every candidate is computed for every row and the one that reproduces the
stored numbers within the file's rounding wins), and the ``Weight`` column fixes the statistical
method (MH, IV, Peto), the model (fixed, random DerSimonian–Laird; random REML, RevMan 2025's
default, where no RevMan 5 choice reproduces the weights) and whether weights are shares
of the whole analysis or of each subgroup (subtotals only). Each setting is reported with how it
was established: "stated in the file", "inferred from RevMan's per-study numbers", "inferred from
weights" or "undetermined: <why>" (then RevMan's default is used and the report says so).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..engine.batch import study_effects
from ..engine.batch_effects import RowEffects, row_effects_once
from ..engine.batch_segments import segment_settings
from ..engine.settings import REVMAN5, get_mode
from .infer_weights import (
    REML, REVMAN5_FILES, ROW_INPUTS, column_inputs, weights_scores, with_reml,
)
from .tolerance import close
from ..engine.vocabulary import CONTINUOUS_MEASURES, DICHOTOMOUS_MEASURES

__all__ = ["infer_settings", "SETTING_COLUMNS"]

STATED = "stated in the file"
BY_STUDY = "inferred from RevMan's per-study numbers"
BY_WEIGHT = "inferred from weights"
IMPLIED = "implied by the data type (RevMan pools continuous and generic data by inverse variance)"
LEVELS = (0.95, 0.99, 0.90)
MEASURES_BY_TYPE = {"dichotomous": DICHOTOMOUS_MEASURES, "continuous": CONTINUOUS_MEASURES,
                    "generic": ("generic",), "o_e": ("PETO_OR",)}
SETTING_COLUMNS = ["analysis", "name", "data_type", "measure", "measure_how", "study_ci_level",
                   "ci_level_how", "swap_events", "log_scale", "method", "method_how", "model",
                   "model_how", "tau2_method", "ci_method", "ci_level", "pooled", "pooled_how",
                   "settings_source"]


def records(df: pd.DataFrame) -> list[dict]:
    """``df.to_dict("records")`` (Python scalars), built column by column: pandas' own walks the
    frame row by row, which costs milliseconds per call on the report's wide frames."""
    names = list(df.columns)  # iterating a pandas Index per row costs more than the rows
    cols = [df[c].to_numpy().tolist() for c in names]
    return [dict(zip(names, vals)) for vals in zip(*cols)]


def rows_with_type(review) -> pd.DataFrame:
    """``review.rows`` with its analysis's ``data_type`` on every row."""
    rows = review.rows.reset_index(drop=True)
    types = dict(zip(review.analyses["analysis"].tolist(), review.analyses["data_type"].tolist()))
    return rows.assign(data_type=rows["analysis"].map(types))


def _stated(an: pd.DataFrame) -> pd.DataFrame:
    out = pd.DataFrame({"analysis": an["analysis"], "name": an["name"], "data_type": an["data_type"],
                        "measure": an["measure"], "measure_how": STATED,
                        "study_ci_level": an["study_ci_level"].astype(float), "ci_level_how": STATED,
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


def _best(scores: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per column (analysis): the first row (candidate) with the highest score, and that score."""
    first = np.argmax(scores, axis=0)
    return first, scores[first, np.arange(scores.shape[1])]


def _candidate_scores(arrs: dict, R: np.ndarray, informative: np.ndarray, code: np.ndarray,
                      n: int, cands: list, parts: list, decimals: int | None) -> np.ndarray:
    """Rows reproduced per (candidate, analysis); −1 where the candidate was not tried there.
    Every candidate's per-study estimate and CI come from the engine
    (:func:`mytools.engine.batch.study_effects`), all candidates in one call."""
    scores = np.full((len(cands), n), -1.0)
    keep = [j for j, p in enumerate(parts) if len(p)]
    if not keep:
        return scores
    idx = np.concatenate([parts[j] for j in keep])  # each candidate's rows, one after another
    segment = np.repeat(np.arange(len(keep)), [len(parts[j]) for j in keep])
    seg = {k: [cands[j][i] for j in keep] for i, k in enumerate(
        ("data_type", "measure", "study_ci_level", "swap_events", "log_scale"))}
    eff = _once_per_level(arrs, segment, idx, seg, [cands[j] for j in keep])
    st = study_effects({"segment": segment}, seg, invalid="mark", effects=eff)
    D = st[["estimate", "ci_low", "ci_high"]].to_numpy(float)
    good = np.all(close(D, R[idx], decimals), axis=1) & informative[idx]
    cell = segment * n + code[idx]
    size = len(keep) * n
    got = np.bincount(cell, weights=good, minlength=size).reshape(len(keep), n)
    present = np.bincount(cell, minlength=size).reshape(got.shape) > 0
    scores[keep] = np.where(present, got, -1.0)
    return scores


def _once_per_level(arrs: dict, segment: np.ndarray, idx: np.ndarray, seg: dict,
                    cands: list) -> RowEffects:
    """The per-study effects of rows ``idx`` of ``arrs`` under the candidates ``cands`` (one
    per ``segment``), computed once per row and (data type, measure, swap, log scale): the
    candidates that differ only in the study CI level share them."""
    code: dict = {}
    group = np.array([code.setdefault(c[:2] + c[3:], len(code)) for c in cands])
    st = get_mode(REVMAN5)  # study_effects' default, as _candidate_scores calls it
    return row_effects_once(arrs, segment, group[segment] * (idx.max() + 1) + idx,
                            segment_settings(seg, st), st, "mark", at=idx)


def _infer_measure(rows: pd.DataFrame, code: np.ndarray, n: int,
                   decimals: int | None) -> dict[str, np.ndarray]:
    """Per analysis (``code``: each row's analysis, ``n`` analyses): the (measure, level, swap,
    log) candidate that reproduces most study rows (the first in :func:`_candidates`' order among
    equals), as :func:`_measure_columns`. In two passes, with the same result as trying every
    candidate everywhere: first each data type's most usual candidate (RR, MD, generic ratio, at
    95%); an analysis it reproduces entirely is settled (no later candidate can do better and the
    first wins ties); every candidate is tried on the rest."""
    R = rows[["revman_estimate", "revman_ci_low", "revman_ci_high"]].to_numpy(dtype=float)
    informative = ~np.isnan(R[:, 0])
    n_inf = np.bincount(code, weights=informative, minlength=n)
    dts = rows["data_type"].to_numpy(object)
    cands, sels, head = [], [], []  # sels[j]: the rows of candidate j's data type
    for dt in rows["data_type"].dropna().unique():
        sel = np.flatnonzero(dts == dt)
        head.append(len(cands))
        for cand in _candidates(dt):
            cands.append((dt, *cand))
            sels.append(sel)
    if not cands:
        return _measure_columns(cands, np.zeros(n, dtype=int), np.full(n, -1.0), n_inf)
    arrs = column_inputs(rows)
    one = [p if j in head else p[:0] for j, p in enumerate(sels)]
    first_pass = _candidate_scores(arrs, R, informative, code, n, cands, one, decimals)
    settled = np.any(first_pass == n_inf, axis=0)
    rest = {id(p): p[~settled[code[p]]] for p in sels}  # once per data type
    scores = _candidate_scores(arrs, R, informative, code, n, cands, [rest[id(p)] for p in sels],
                               decimals)
    scores[:, settled] = np.where(first_pass[:, settled] >= 0, first_pass[:, settled], -1.0)
    first, best = _best(scores)
    return _measure_columns(cands, first, best, n_inf)


def _measure_columns(cands: list, first: np.ndarray, best: np.ndarray,
                     n_inf: np.ndarray) -> dict[str, np.ndarray]:
    """Per analysis: ``measure``, ``study_ci_level``, ``swap_events``, ``log_scale`` of its best
    candidate (``first``, scoring ``best`` rows of ``n_inf`` with a RevMan estimate) and
    ``measure_how``; ``found`` is False (measure None) where no candidate applied (best < 0)."""
    found = best >= 0
    table = np.empty((max(len(cands), 1), 5), dtype=object)
    table[:len(cands)] = cands
    pick = table[first]
    how = np.full(first.size, BY_STUDY, dtype=object)
    partial = np.flatnonzero((n_inf > 0) & (best < n_inf))
    how[partial] = [f"{BY_STUDY} (best fit: {int(b)} of {int(k)} rows)"
                    for b, k in zip(best[partial], n_inf[partial])]
    how[n_inf == 0] = "undetermined: RevMan shows no per-study estimate in this analysis"
    return {"found": found, "measure": np.where(found, pick[:, 1], None),
            "study_ci_level": np.where(found, pick[:, 2], np.nan).astype(float),
            "swap_events": found & pick[:, 3].astype(bool),
            "log_scale": found & pick[:, 4].astype(bool), "measure_how": how}


def _choose_pooling(dt: str, measure: str, scores: dict, i: int, n_rows: int,
                    has_weights: bool, has_sub: bool, one_study: tuple[bool, bool] = (False, False)) -> dict:
    """Method, model and scope (and how each was established) of analysis ``i`` from the
    candidates' weight scores; RevMan's default where the weights decide nothing."""
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
    pref = {"overall": 0, "subgroups": 1, "fixed": 0, "random": 1, REML: 2, default[0]: 0}
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


def _pattern_keys(scores: dict, facts: dict, pos: np.ndarray, dt: np.ndarray,
                  measure: np.ndarray) -> list[np.ndarray]:
    """What :func:`_choose_pooling` reads of each analysis (``pos``: its position in ``facts`` and
    the scores; ``dt``, ``measure``: its data type and measure), one array per item, one entry per
    analysis: data type, measure, the group facts, which candidates tie for the best score,
    whether the best is 0, and the best-fit count (only when below the analysis's rows).
    Analyses equal in every array choose alike."""
    n_rows = facts["n_rows"][pos]
    cols = [dt, measure, facts["weighted"][pos],
            facts["has_sub"][pos], facts["one_all"][pos], facts["one_sub"][pos]]
    if scores:
        S = np.array(list(scores.values()))[:, pos]
        valid = S >= 0
        best = np.where(valid, S, -np.inf).max(axis=0)
        partial = best < n_rows
        cols += [*(valid & (S == best)), best == 0, np.where(partial, best, -2.0),
                 np.where(partial, n_rows, -2)]
    return cols


def _pooling_columns(scores: dict, facts: dict, pos: np.ndarray, dt: np.ndarray,
                     measure: np.ndarray) -> dict[str, np.ndarray]:
    """Per analysis (as :func:`_pattern_keys`): :func:`_choose_pooling`'s columns and
    ``tau2_method`` (DL for random effects; the model "random (REML)" is "random" with REML),
    chosen once per distinct pattern (thousands of analyses share a few patterns)."""
    inv = np.zeros(pos.size, dtype=np.int64)  # the pattern of each analysis, in order of appearance
    for col in _pattern_keys(scores, facts, pos, dt, measure):
        code, values = pd.factorize(col, use_na_sentinel=False)
        inv = pd.factorize(inv * len(values) + code)[0]
    rep = np.flatnonzero(np.diff(np.maximum.accumulate(inv), prepend=-1) > 0)
    chosen = []
    for r in rep.tolist():
        i = int(pos[r])
        pool = _choose_pooling(dt[r], measure[r], scores, i, int(facts["n_rows"][i]),
                               bool(facts["weighted"][i]), bool(facts["has_sub"][i]),
                               one_study=(bool(facts["one_all"][i]), bool(facts["one_sub"][i])))
        pool["tau2_method"] = {"random": "DL", REML: "REML"}.get(pool["model"])
        if pool["model"] == REML:
            pool["model"] = "random"
        chosen.append(pool)
    return {c: np.array([p[c] for p in chosen], dtype=object)[inv] for c in chosen[0]}


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
    order = {a: i for i, a in enumerate(an["analysis"].tolist())}
    if len(parts) == 1 and len(order) == len(an):  # in the file's order already, keys unique
        return parts[0][SETTING_COLUMNS]
    out = pd.concat(parts, ignore_index=True)
    return out.sort_values("analysis", key=lambda s: s.map(order)).reset_index(drop=True)[SETTING_COLUMNS]


def _group_facts(rows: pd.DataFrame, acode: np.ndarray, n: int) -> dict[str, np.ndarray]:
    """Per analysis (``acode``: each row's, ``n`` analyses): ``n_rows``, ``weighted`` (any RevMan
    weight), ``has_sub`` (any subgroup), and whether every pooled group has at most one weighted
    study: the analysis (``one_all``), each subgroup (``one_sub``)."""
    weighted = rows["revman_weight"].fillna(0).to_numpy(float) != 0
    sub = rows["subgroup_number"].fillna(0).to_numpy(int)
    width = int(sub.max(initial=0)) + 1
    scode, spairs = pd.factorize(acode * width + sub)
    per_sub = np.bincount(scode, weights=weighted, minlength=len(spairs))
    sub_max = np.zeros(n)
    np.maximum.at(sub_max, spairs // width, per_sub)
    n_w = np.bincount(acode, weights=weighted, minlength=n)
    return {"n_rows": np.bincount(acode, minlength=n), "weighted": n_w > 0,
            "has_sub": np.bincount(acode, weights=sub > 0, minlength=n) > 0,
            "one_all": n_w <= 1, "one_sub": sub_max <= 1}


_NO_ROWS = "undetermined: the analysis has no study rows"
#: The inferred columns of an analysis without study rows (or without any candidate measure).
_MISSING = {"measure": None, "measure_how": _NO_ROWS, "study_ci_level": np.nan,
            "swap_events": False, "log_scale": False, "method": None, "method_how": _NO_ROWS,
            "model": None, "model_how": _NO_ROWS, "pooled": "none", "pooled_how": _NO_ROWS,
            "tau2_method": None}


def _weight_scores(rows: pd.DataFrame, acode: np.ndarray, n: int, meas: dict,
                   decimals: int | None) -> tuple[dict, dict]:
    """The pooling candidates' weight scores (REML ones where RevMan 5's fall short) given each
    analysis's measure, and the group facts (:func:`_group_facts`)."""
    keys = pd.DataFrame({"data_type": rows["data_type"].to_numpy(object),
                         **{c: meas[c][acode] for c in ("measure", "swap_events", "log_scale")}})
    scores = weights_scores(rows, keys, decimals)
    facts = _group_facts(rows, acode, n)
    if scores:
        scores.update(with_reml(rows, acode, keys, decimals, scores, facts))
    return scores, facts


def _inferred(an: pd.DataFrame, rows: pd.DataFrame, decimals: int | None) -> pd.DataFrame:
    """The settings of analyses ``an`` (none stated in the file) from their study ``rows``: the
    measure per analysis, then the pooling per distinct pattern of weight scores."""
    acode, names = pd.factorize(rows["analysis"], sort=False)
    meas = _infer_measure(rows, acode, len(names), decimals)
    pos = names.get_indexer(an["analysis"])
    has = pos >= 0
    has[has] = meas["found"][pos[has]]
    pos, dt = pos[has], an["data_type"].to_numpy(object)
    found = {c: meas[c][pos] for c in ("measure", "measure_how", "study_ci_level", "swap_events",
                                       "log_scale")}
    if has.any():
        scores, facts = _weight_scores(rows, acode, len(names), meas, decimals)
        found.update(_pooling_columns(scores, facts, pos, dt[has], found["measure"]))
    cols = {}
    for c, missing in _MISSING.items():  # lists: pandas infers each column's dtype, as from records
        col = np.full(len(an), missing, dtype=object)
        col[has] = found[c]
        cols[c] = col.tolist()
    level = np.where(has, np.array(cols["study_ci_level"], dtype=float), 0.95)
    return pd.DataFrame({"analysis": an["analysis"].tolist(), "name": an["name"].tolist(),
                         "data_type": dt.tolist(), **cols, "ci_level_how": cols["measure_how"],
                         "ci_method": ["wald"] * len(an), "ci_level": level,
                         "settings_source": ["none"] * len(an)})
