"""A review's analyses as *segments* for the engine's batch API (:func:`mytools.engine.batch.pool_batch`).

A segment is one pooled unit: an analysis overall (when RevMan pools it), each of its subgroups,
or — when only subtotals are pooled and the analysis has no subgroups — its rows as one group.
A study row that counts in a subgroup and in the overall total appears in both segments. A row's
``Applicability`` says where it counts (RevMan's data model): ``SUBGROUP_ONLY`` rows only in their
subgroup, ``OVERALL_ONLY`` rows only in the total (a multi-arm study split across subgroups and
entered once, combined, in the total). An analysis pooled overall that has such rows gets one
more segment, ``split``: its subgroup rows pooled together, which RevMan's displayed weights use
(:mod:`mytools.reproduce.split`). With ``display=True`` an analysis that RevMan does not pool gets
one ``display`` segment of all its rows, so that every row's estimate and CI come from the engine
too.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..engine.vocabulary import DATA_TYPES
from .infer import ROW_INPUTS
from .split import applicability

__all__ = ["build_segments", "ROW_INPUTS"]

_SEG_SETTINGS = ["data_type", "measure", "method", "model", "tau2_method", "ci_method",
                 "log_scale", "swap_events", "ci_level", "study_ci_level"]


_KINDS = np.array(["overall", "subgroup", "group", "display", "split"], dtype=object)


def _per_analysis(settings: pd.DataFrame, names: pd.Index) -> dict[str, np.ndarray]:
    """The settings of each analysis ``names`` (the last row of an analysis listed twice), one
    object array of Python scalars per column of :data:`_SEG_SETTINGS` and ``pooled``; None for
    an analysis without settings."""
    last = settings.drop_duplicates("analysis", keep="last")
    at = pd.Index(last["analysis"]).get_indexer(names)  # −1 (no settings): the None at the end
    out = {}
    for k in (*_SEG_SETTINGS[1:], "pooled"):
        vals = np.empty(len(last) + 1, dtype=object)
        vals[:-1] = last[k].to_numpy().tolist() if k in last else None
        out[k] = vals[at]
    return out


def _is_str(x: np.ndarray) -> np.ndarray:
    return np.array([isinstance(v, str) for v in x.tolist()], dtype=bool)


def build_segments(rows: pd.DataFrame, settings: pd.DataFrame, *, display: bool = False
                   ) -> tuple[np.ndarray, np.ndarray, pd.DataFrame]:
    """(row, segment, segments) for ``pool_batch``: one entry per study row per segment, its
    ``row`` (the position in ``rows``, a review's rows with their ``data_type``:
    :func:`~mytools.reproduce.infer.rows_with_type`) and ``segment``; ``segments`` one row per
    segment with ``analysis``, ``kind`` ("overall" | "subgroup" | "group" | "display" | "split")
    and ``subgroup_number``, plus the settings. Segments are ordered by analysis (as in the file),
    kind as listed, subgroup number; entries by segment, then row."""
    sub = rows["subgroup_number"].fillna(0).to_numpy(int)
    code, names = pd.factorize(rows["analysis"], sort=False)
    first = np.unique(code, return_index=True)[1]
    per_an = _per_analysis(settings, names)
    valid = _is_str(per_an["measure"])
    dtypes = rows["data_type"].to_numpy(object)[first] if len(rows) else np.array([], dtype=object)
    valid &= np.isin(dtypes, DATA_TYPES)
    pooled = per_an["pooled"]
    ok = valid[code] if len(rows) else np.zeros(0, dtype=bool)
    in_sub, in_total = applicability(rows)
    split = (np.bincount(code, weights=~(in_sub & in_total), minlength=len(names)) > 0)[code] \
        if len(rows) else np.zeros(0, dtype=bool)
    units = [(ok & (pooled[code] == "overall") & in_total, 0), (ok & (sub > 0) & in_sub, 1),
             (ok & (pooled[code] == "subgroups") & (sub == 0), 2)]
    if display:
        covered = np.bincount(code, weights=np.any([u for u, _ in units], axis=0), minlength=len(names))
        units.append((ok & (covered == 0)[code], 3))
    units.append((ok & (pooled[code] == "overall") & split & in_sub, 4))
    row = np.concatenate([np.flatnonzero(u) for u, _ in units])
    kind = np.concatenate([np.full(int(u.sum()), k) for u, k in units])
    if not row.size:
        return row, row, pd.DataFrame(columns=_SEG_SETTINGS)
    num = np.where(kind == 1, sub[row], 0)
    width = int(sub.max(initial=0)) + 1
    nk = len(_KINDS)
    key = (code[row] * nk + kind) * width + num  # the segment, in the order segments are listed
    order = np.argsort(key * len(rows) + row, kind="stable")  # by segment, then row
    key = key[order]
    new = np.empty(key.size, dtype=bool)
    new[:1], new[1:] = True, key[1:] != key[:-1]
    seg_id, keys = np.cumsum(new) - 1, key[new]
    an = keys // (nk * width)
    tau2 = per_an["tau2_method"]
    per_an["tau2_method"] = np.where(_is_str(tau2), tau2, None)
    cols = {k: per_an[k][an] for k in _SEG_SETTINGS[1:]}  # per analysis, then per segment
    cols["study_ci_level"] = cols["study_ci_level"].astype(float)
    for c in ("log_scale", "swap_events"):
        cols[c] = cols[c].astype(bool)
    seg = pd.DataFrame({"analysis": names[an], "kind": _KINDS[(keys // width) % nk],
                        "subgroup_number": keys % width, **cols, "data_type": dtypes[an]})
    return row[order], seg_id, seg
