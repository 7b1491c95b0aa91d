"""One analysis (or one subgroup) of a review pooled by the engine, with the settings of its file.

The same path as :func:`mytools.reproduce.reproduce` — settings from :func:`infer_settings`
(stated in the file, or inferred), one segment of :func:`mytools.engine.batch.pool_batch` in
RevMan 5 mode, or RevMan Web mode for data packages of version 2 — for one analysis at a time
(replaces the former ``engine_call``, which dispatched to the scalar pool functions by data type,
a second copy of the dispatch that ``pool_batch`` does).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..data import DataError, Problem
from ..engine.batch import pool_batch
from ..engine.batch_segments import segment_table
from ..engine.settings import get_mode
from ..engine.settings import REVMAN_WEB, Settings
from .infer import REVMAN5_FILES, ROW_INPUTS, infer_settings, records
from .split import applicability

__all__ = ["PooledAnalysis", "pool_analysis", "settings_mode"]

_SEGMENT = ("data_type", "measure", "method", "model", "tau2_method", "ci_method", "log_scale",
            "swap_events", "ci_level", "study_ci_level")


@dataclass(frozen=True)
class PooledAnalysis:
    """``settings``: the segment settings the engine used (defaults filled in); ``rows``: the study
    rows pooled (``ReviewData.rows`` columns); ``studies``: per-study effects and weights
    (``pool_batch(...).studies``); ``result``: the pooled numbers (a ``pool_batch(...).pooled`` row)."""

    settings: dict
    rows: pd.DataFrame
    studies: pd.DataFrame
    result: dict


def settings_mode(review) -> Settings:
    """The engine mode of a review's file: RevMan Web's for data packages of version 2, else
    RevMan 5's with RevMan's REML rule (:data:`mytools.reproduce.infer.REVMAN5_FILES`)."""
    return REVMAN_WEB if str(review.format).startswith("datapackage-2") else REVMAN5_FILES


def pool_analysis(review, analysis: str, subgroup: int | None = None) -> PooledAnalysis:
    """Pool the study rows of ``analysis`` (those counted in RevMan's total; or one ``subgroup``)
    with the analysis's settings. Raises :class:`~mytools.data.DataError` when there are none.
    ``Applicability``: ``SUBGROUP_ONLY`` rows count only in their subgroup, ``OVERALL_ONLY`` rows
    only in the total."""
    rows = review.study_rows(analysis, subgroup)
    in_sub, in_total = applicability(rows)
    rows = rows[in_total if subgroup is None else in_sub].reset_index(drop=True)
    if rows.empty:
        raise DataError([Problem(review.source, None, None, None,
                                 "study rows to pool", "none", analysis)])
    s = next(r for r in records(infer_settings(review)) if r["analysis"] == analysis)
    seg = {k: [s[k]] for k in _SEGMENT}
    seg["tau2_method"] = [s["tau2_method"] if isinstance(s["tau2_method"], str) else None]
    mode = settings_mode(review)
    batch = pool_batch({"segment": np.zeros(len(rows), dtype=int),
                        **{c: rows[c].to_numpy(float) for c in ROW_INPUTS}}, seg, settings=mode)
    used = {k: v[0] for k, v in segment_table(seg, get_mode(mode)).items()}
    return PooledAnalysis(settings=used, rows=rows, studies=batch.studies,
                          result=records(batch.pooled)[0])
