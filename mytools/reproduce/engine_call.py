"""Turn one analysis read from a RevMan file into a call of the pooling engine.

Moved out of ``mytools.data`` (the data layer never imports the engine): ``reproduce`` owns it.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from mytools.engine import pooling
from mytools.data import DataError, Problem
from mytools.data.revman import ReviewData

__all__ = ["EngineCall", "engine_call"]


@dataclass(frozen=True)
class EngineCall:
    """A call of the pooling engine that re-runs one RevMan analysis: ``function`` is the name of a
    function in :mod:`mytools.engine.pooling`, ``kwargs`` its arguments (arrays, labels, options)."""

    function: str
    kwargs: dict[str, Any]

    def run(self, **overrides: Any):
        """Call the engine (``overrides`` replace options, e.g. ``model="random"``)."""
        return getattr(pooling, self.function)(**{**self.kwargs, **overrides})


def engine_call(review: ReviewData, analysis: str, subgroup: int | None = None) -> EngineCall:
    """Turn one analysis of a :class:`~mytools.data.revman.ReviewData` into a call of the engine.

    dichotomous → ``pool_binary`` (measure OR/RR/RD, method MH/IV/Peto; PETO_OR = OR by Peto);
    continuous → ``pool_continuous`` (MD/SMD, RevMan's Hedges' g); generic IV → ``pool_generic``
    (``giv_estimate`` as entered: natural log of the ratio when ``log_scale``); O−E and variance →
    ``pool_oe``. Model: the analysis's fixed or random (with its τ² method, RevMan 5: DL).
    Without ``subgroup`` the studies of every subgroup are pooled together, as RevMan's total is.
    """
    spec = review.analysis(analysis)
    rows = review.study_rows(analysis, subgroup)
    if rows.empty:
        raise DataError([Problem(review.source, None, None, None,
                                 "study rows to pool", "none", analysis)])
    common: dict[str, Any] = {"model": spec["model"] or "fixed", "labels": rows["study"].tolist()}
    if common["model"] == "random":
        common["tau2_method"] = spec["tau2_method"] or "DL"
    measure = str(spec["measure"])

    def col(name: str) -> np.ndarray:
        return rows[name].to_numpy(dtype=float)

    dtype = spec["data_type"]
    if dtype == "dichotomous":
        method = spec["method"] or "MH"
        if measure == "PETO_OR":
            measure, method = "OR", "Peto"
        return EngineCall("pool_binary", {
            "events_intervention": col("events_intervention"), "n_intervention": col("n_intervention"),
            "events_control": col("events_control"), "n_control": col("n_control"),
            "measure": measure, "method": method, **common})
    if dtype == "continuous":
        return EngineCall("pool_continuous", {
            "mean_intervention": col("mean_intervention"), "sd_intervention": col("sd_intervention"),
            "n_intervention": col("n_intervention"), "mean_control": col("mean_control"),
            "sd_control": col("sd_control"), "n_control": col("n_control"), "measure": measure,
            **common})
    if dtype == "generic":
        log = bool(spec["log_scale"])
        return EngineCall("pool_generic", {
            "estimate": col("giv_estimate"), "se": col("giv_se"), "log_scale": log,
            "entered_log": log, "measure": measure, **common})
    if dtype == "o_e":
        return EngineCall("pool_oe", {"o_e": col("o_e"), "variance": col("variance"), **common})
    raise DataError([Problem(review.source, None, None, "data_type",
                             "a data type the engine pools", str(dtype), analysis)])
