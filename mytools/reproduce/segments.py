"""A review's analyses as *segments* for the engine's batch API (:func:`mytools.engine.batch.pool_batch`).

A segment is one pooled unit: an analysis overall (when RevMan pools it), each of its subgroups,
or — when only subtotals are pooled and the analysis has no subgroups — its rows as one group.
A study row that counts in a subgroup and in the overall total appears in both segments. With
``display=True`` an analysis that RevMan does not pool gets one ``display`` segment of all its rows,
so that every row's estimate and CI come from the engine too.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..engine.batch_effects import DATA_TYPES
from .infer import ROW_INPUTS, records, rows_with_type

__all__ = ["build_segments", "ROW_INPUTS"]

_SEG_SETTINGS = ["data_type", "measure", "method", "model", "tau2_method", "ci_method",
                 "log_scale", "swap_events", "ci_level", "ci_level_study"]


def build_segments(review, settings: pd.DataFrame, *, display: bool = False
                   ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(rows, segments) for ``pool_batch``: ``rows`` carries ``segment`` and ``row`` (the position
    in ``review.rows``); ``segments`` one row per segment with ``analysis``, ``kind``
    ("overall" | "subgroup" | "group" | "display") and ``subgroup_number``, plus the settings."""
    rows = rows_with_type(review)
    sset = {s["analysis"]: s for s in records(settings)}
    sub = rows["subgroup_number"].fillna(0).to_numpy(int)
    dtypes = rows["data_type"].to_numpy(object)
    parts, segs = [], []
    for a, pos in rows.groupby("analysis", sort=False).indices.items():
        s = sset.get(a)
        if s is None or not isinstance(s["measure"], str) or dtypes[pos[0]] not in DATA_TYPES:
            continue
        units = []
        if s["pooled"] == "overall":
            units.append(("overall", 0, pos))
        for num in sorted(set(sub[pos]) - {0}):
            units.append(("subgroup", num, pos[sub[pos] == num]))
        if s["pooled"] == "subgroups" and np.any(sub[pos] == 0):
            units.append(("group", 0, pos[sub[pos] == 0]))
        if display and not units:
            units.append(("display", 0, pos))
        for kind, num, p in units:
            parts.append(np.c_[p, np.full(len(p), len(segs))])
            segs.append({"analysis": a, "kind": kind, "subgroup_number": num,
                         **{k: s.get(k) for k in _SEG_SETTINGS if k != "data_type"},
                         "data_type": dtypes[p[0]]})
    if not segs:
        return pd.DataFrame(columns=["row", "segment", *ROW_INPUTS]), pd.DataFrame(columns=_SEG_SETTINGS)
    idx = np.concatenate(parts)
    out = rows.iloc[idx[:, 0]][ROW_INPUTS].reset_index(drop=True)
    out.insert(0, "segment", idx[:, 1])
    out.insert(0, "row", idx[:, 0])
    seg = pd.DataFrame(segs)
    seg["study_ci_level"] = seg.pop("ci_level_study").astype(float)
    seg["tau2_method"] = seg["tau2_method"].where(seg["tau2_method"].map(lambda x: isinstance(x, str)), None)
    for c in ("log_scale", "swap_events"):
        seg[c] = seg[c].astype(bool)
    return out, seg
