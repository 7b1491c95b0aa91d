"""The weights step of :mod:`mytools.reproduce.infer`: which statistical method, model and scope
reproduce RevMan's ``Weight`` column. Every (method, model, scope) candidate of every analysis is
pooled by the engine in one call, the per-study effects computed once per row (they do not depend
on the candidate); REML random effects (RevMan 2025) are tried only where no RevMan 5 candidate
reproduces every weight.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..engine.batch import pool_batch
from ..engine.batch_effects import RowEffects, row_effects_once
from ..engine.batch_segments import segment_settings
from ..engine.settings import resolve
from .split import applicability, split_weights
from .tolerance import close

__all__ = ["REML", "REVMAN5_FILES", "ROW_INPUTS", "column_inputs", "weights_scores", "with_reml"]

#: The engine mode for files without RevMan Web's settings: RevMan 5's, with RevMan's own REML
#: stopping rule for the REML τ² that RevMan 2025 files carry (:class:`~mytools.engine.settings.Settings`).
REVMAN5_FILES = resolve("revman5", reml="revman")
REML = "random (REML)"  # the model candidate "random effects, REML τ²" (RevMan 2025's default)
ROW_INPUTS = ["events_intervention", "n_intervention", "events_control", "n_control",
              "mean_intervention", "sd_intervention", "mean_control", "sd_control", "giv_estimate",
              "giv_se", "o_e", "variance"]


def column_inputs(rows: pd.DataFrame) -> dict[str, np.ndarray]:
    """The engine's input columns of ``rows`` as float arrays (missing columns → NaN)."""
    n = len(rows)
    out = {}
    for c in ROW_INPUTS:
        if c not in rows:
            out[c] = np.full(n, np.nan)
            continue
        try:
            out[c] = rows[c].to_numpy(dtype=float)
        except (TypeError, ValueError):
            out[c] = pd.to_numeric(rows[c], errors="coerce").to_numpy(dtype=float)
    return out


def _pool_candidates(data_type: str, measure: str) -> list[tuple[str, str]]:
    """RevMan 5's (method, model) choices; random effects are DerSimonian–Laird."""
    if measure == "PETO_OR":
        return [("Peto", "fixed"), ("IV", "random")]
    methods = ("MH", "IV") if data_type == "dichotomous" else ("IV",)
    return [(me, mo) for me in methods for mo in ("fixed", "random")]


def _reml_candidates(data_type: str, measure: str) -> list[tuple[str, str]]:
    """RevMan 2025's random effects: inverse variance with a REML τ² (its default; the data
    package's ``Heterogeneity estimator`` says ``REML``). Tried only where no RevMan 5 candidate
    reproduces every weight (:func:`with_reml`)."""
    return [] if measure == "PETO_OR" else [("IV", REML)]


#: The three scopes of a candidate's segments, as :func:`~.split.split_weights` names them, and
#: the scope each is scored as (a split analysis's subgroup rows show its overall weights).
_KINDS = np.array(["overall", "subgroup", "split"], dtype=object)
_OVERALL, _SPLIT = 0, 2  # positions in _KINDS
_SCORED_AS = ("overall", "subgroups", "overall")


def _groups(code: np.ndarray, part: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rows ``part`` grouped by ``code`` (groups in code order, rows in order within a group):
    (the rows, each one's group number, each group's first row). The rows of a file come
    grouped already (an analysis's rows, a subgroup's rows together): then nothing is sorted."""
    c = code[part]
    if (c[1:] < c[:-1]).any():
        order = np.argsort(c, kind="stable")
        part, c = part[order], c[order]
    new = np.empty(c.size, dtype=bool)
    new[:1], new[1:] = True, c[1:] != c[:-1]
    return part, np.cumsum(new) - 1, part[new]


def _layout(keys: pd.DataFrame, acode: np.ndarray, sub: np.ndarray, applies: tuple,
            no_sub: np.ndarray, split: np.ndarray, candidates) -> dict | None:
    """The segments of :func:`weights_scores`: per (data type, measure) of ``keys`` and candidate
    (method, model), one segment per pooled group of each scope (the analysis; each subgroup;
    the subgroup rows of a split analysis, scored as "overall"). Long arrays: ``idx`` (each
    entry's row), ``segment``; per segment: ``first`` (a row of it), ``cand`` (its (method, model,
    scope) in ``cands``), ``scope`` (in :data:`_KINDS`), ``group`` (its (method, model)) and the
    table columns; ``pair``: each row's (data type, measure) in ``pairs``. None: no segment.
    Per row: ``acode`` its analysis, ``sub`` its subgroup number, ``applies`` (counts in its
    subgroup, in the total); per analysis ``no_sub``; per row of a ``split`` analysis True."""
    scode = pd.factorize(acode * (int(sub.max(initial=0)) + 1) + sub)[0]
    dcode, dts = pd.factorize(keys["data_type"].to_numpy(object))
    mcode, meas = pd.factorize(keys["measure"].to_numpy(object))
    pc = np.where((dcode >= 0) & (mcode >= 0), dcode * len(meas) + mcode, -1)
    in_sub, in_total = applies
    parts, pairs, cands, groups = [], [], {}, {}
    pair = np.full(len(keys), -1)  # each row's (data type, measure), as a position in pairs
    for p in pd.unique(pc[pc >= 0]):  # the (data type, measure) pairs, in order of appearance
        dt, m = dts[p // len(meas)], meas[p % len(meas)]
        sel = np.flatnonzero(pc == p)
        pair[sel] = len(pairs)
        pairs.append((dt, m))
        scoped = [(k, _groups(code, part)) for k, (code, part) in enumerate(
            ((acode, sel[in_total[sel]]), (scode, sel[~no_sub[acode[sel]] & in_sub[sel]]),
             (acode, sel[split[sel] & in_sub[sel]]))) if part.size]
        for method, model in candidates(dt, m):
            g = groups.setdefault((method, model), len(groups))
            for k, grouped in scoped:
                c = cands.setdefault((method, model, _SCORED_AS[k]), len(cands))
                parts.append((grouped, k, c, g, (dt, m, method, model)))
    if not parts:
        return None
    sizes = [p[0][2].size for p in parts]
    start = np.cumsum([0, *sizes[:-1]])
    out = {"idx": np.concatenate([p[0][0] for p in parts]),
           "segment": np.concatenate([p[0][1] + s0 for p, s0 in zip(parts, start)]),
           "first": np.concatenate([p[0][2] for p in parts]), "pair": pair, "pairs": pairs,
           "cands": list(cands)}
    for name, j in (("scope", 1), ("cand", 2), ("group", 3)):
        out[name] = np.repeat([p[j] for p in parts], sizes)
    for j, name in enumerate(("data_type", "measure", "method", "model")):
        out[name] = np.repeat(np.array([p[4][j] for p in parts], dtype=object), sizes)
    return out


def weights_scores(rows: pd.DataFrame, keys: pd.DataFrame, decimals: int | None,
                   candidates=_pool_candidates) -> dict:
    """Score of every (method, model, scope) candidate per analysis: rows whose weight matches.
    The weights of every candidate come from the engine (:func:`mytools.engine.batch.pool_batch`,
    RevMan 5 mode: DL τ² — REML for the model ``REML`` —, MH with RevMan's 0.5 correction), all
    candidates in one call: one segment per candidate and pooled group (the analysis, or each
    subgroup of it; :func:`_layout`). An analysis without subgroups is pooled once: its
    "subgroups" scope is its "overall" one. ``candidates(data_type, measure)`` lists the
    (method, model) pairs."""
    rw = rows["revman_weight"].to_numpy(float)
    rw = np.where(rw == 0, np.nan, rw)
    acode, anames = pd.factorize(rows["analysis"], sort=False)
    n = len(anames)
    sub = rows["subgroup_number"].fillna(0).to_numpy(int)
    no_sub = np.bincount(acode, weights=sub > 0, minlength=n) == 0
    in_sub, in_total = applicability(rows)
    split = (np.bincount(acode, weights=~(in_sub & in_total), minlength=n) > 0)[acode]
    lay = _layout(keys, acode, sub, (in_sub, in_total), no_sub, split, candidates)
    if lay is None:
        return {}
    idx, seg, r = lay["idx"], lay["segment"], lay["first"]
    sw, lg = keys["swap_events"].to_numpy(bool), keys["log_scale"].to_numpy(bool)
    reml = lay["model"] == REML
    table = {c: lay[c] for c in ("data_type", "measure", "method")}
    table.update(model=np.where(reml, "random", lay["model"]).astype(object),
                 tau2_method=np.where(reml, "REML", "DL").astype(object), swap_events=sw[r],
                 log_scale=lg[r], ci_method=np.full(r.size, "wald", dtype=object))
    eff = _shared_effects(column_inputs(rows), idx, lay["pair"], lay["pairs"], sw)
    st = pool_batch({"segment": seg}, table, settings=REVMAN5_FILES, invalid="mark",
                    effects=eff).studies
    est = st["estimable"].to_numpy(bool)
    w = np.where(est, st["weight_percent"].to_numpy(float), np.nan)
    scope = lay["scope"][seg]
    if (scope == _SPLIT).any():  # a split analysis (mytools.reproduce.split)
        shown = split_weights(rows, idx, lay["group"][seg], _KINDS[scope], st["weight"].to_numpy(float),
                              st["v"].to_numpy(float), est)
        w = np.where(scope == _SPLIT, np.where(shown == 0, np.nan, shown), w)
        w[(scope == _OVERALL) & split[idx] & in_sub[idx]] = -1.0  # shown by the split rule instead
    good = close(w, rw[idx], decimals)
    nc = len(lay["cands"])
    cell = lay["cand"][seg] * n + acode[idx]
    s = np.bincount(cell, weights=good, minlength=nc * n).reshape(nc, n)
    has = np.bincount(cell, minlength=nc * n).reshape(s.shape) > 0
    out = {c: np.where(has[j], s[j], -1.0) for j, c in enumerate(lay["cands"])}
    for (method, model, scope), v in list(out.items()):
        if scope == "overall":
            other = out.get((method, model, "subgroups"), np.full(n, -1.0))
            out[(method, model, "subgroups")] = np.where(no_sub, v, other)
    return out


def _shared_effects(arrs: dict, idx: np.ndarray, pair: np.ndarray, pairs: list[tuple[str, str]],
                    sw: np.ndarray) -> RowEffects:
    """The per-study effects of the replicated rows (``idx``: each one's row in ``arrs``): they
    depend on the analysis's data type and measure (``pairs[pair[row]]``) and swap only, not on
    the pooling candidate, so the engine computes them once per row
    (:func:`mytools.engine.batch_effects.row_effects_once`)."""
    table = {"data_type": np.array([dt for dt, _ in pairs for _ in (0, 1)], dtype=object),
             "measure": np.array([m for _, m in pairs for _ in (0, 1)], dtype=object),
             "method": np.array(["Peto" if m == "PETO_OR" else "IV" for _, m in pairs
                                 for _ in (0, 1)], dtype=object),
             "swap_events": np.tile([False, True], len(pairs))}
    return row_effects_once(arrs, (2 * pair + sw)[idx], idx, segment_settings(table, REVMAN5_FILES),
                            REVMAN5_FILES, "mark", at=idx)


def with_reml(rows: pd.DataFrame, acode: np.ndarray, keys: pd.DataFrame, decimals: int | None,
              scores: dict, facts: dict) -> dict:
    """Scores of the REML candidates (:func:`_reml_candidates`), computed only for the analyses
    with weights that no RevMan 5 candidate fully reproduces (−1 elsewhere); one more call.
    ``acode``: each row's analysis; ``facts``: per analysis ``weighted`` and ``n_rows``."""
    best = np.max(np.stack(list(scores.values())), axis=0)
    todo = facts["weighted"] & (best < facts["n_rows"])
    if not todo.any():
        return {}
    sel = todo[acode]
    part = weights_scores(rows[sel].reset_index(drop=True), keys[sel].reset_index(drop=True),
                          decimals, candidates=_reml_candidates)
    out = {}
    for c, v in part.items():
        out[c] = np.full(todo.size, -1.0)
        out[c][todo] = v
    return out
