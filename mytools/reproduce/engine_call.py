"""Turn one analysis read from a RevMan file into a call of the pooling engine.

Moved out of ``mytools.data`` (the data layer never imports the engine): ``reproduce`` owns it.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from mytools.engine import pooling
from mytools.data.revman5 import RevManError, RevManReview

__all__ = ["EngineCall", "engine_call"]


@dataclass(frozen=True)
class EngineCall:
    """A call of the pooling engine that re-runs one RevMan outcome: ``function`` is the name of a
    function in :mod:`mytools.pooling`, ``kwargs`` its arguments (arrays, labels, options)."""

    function: str
    kwargs: dict[str, Any]

    def run(self, **overrides: Any):
        """Call the engine (``overrides`` replace options, e.g. ``model="random"``)."""
        return getattr(pooling, self.function)(**{**self.kwargs, **overrides})


def engine_call(review: RevManReview, analysis_id: str, subgroup: int | None = None) -> EngineCall:
    """Turn one parsed RevMan outcome into a call of the pooling engine.

    dichotomous → ``pool_binary`` (measure OR/RR/RD, method MH/IV/Peto); continuous →
    ``pool_continuous`` (MD/SMD, RevMan's Hedges' g); generic IV → ``pool_generic`` (ratios on
    the natural scale with ``log_scale=True``); O−E and variance → ``pool_generic`` with
    ln(ratio) = (O−E)/V and SE = 1/√V (Peto). Model: RevMan's fixed or random (DerSimonian–Laird).
    Studies of every subgroup are pooled together, as RevMan's overall total does.
    """
    spec = review.outcome(analysis_id)
    rows = review.study_rows(analysis_id, subgroup)
    if rows.empty:
        raise RevManError(f"{review.source}, outcome {analysis_id}: no study data to pool")
    labels = rows["study_label"].tolist()
    common = {"model": spec["model"], "labels": labels}
    if spec["model"] == "random":
        common["tau2_method"] = "DL"
    measure = str(spec["measure"]).upper()

    def col(name: str) -> np.ndarray:
        return rows[name].to_numpy(dtype=float)

    dtype = spec["data_type"]
    if dtype == "dichotomous":
        method = {"MH": "MH", "IV": "IV", "PETO": "Peto"}.get(str(spec["method"]).upper(), spec["method"])
        if measure == "PETO_OR":
            measure, method = "OR", "Peto"
        return EngineCall("pool_binary", {
            "events_t": col("events_t"), "n_t": col("n_t"), "events_c": col("events_c"),
            "n_c": col("n_c"), "measure": measure, "method": method, **common})
    if dtype == "continuous":
        return EngineCall("pool_continuous", {
            "mean_t": col("mean_t"), "sd_t": col("sd_t"), "n_t": col("n_t"), "mean_c": col("mean_c"),
            "sd_c": col("sd_c"), "n_c": col("n_c"), "measure": measure, **common})
    if dtype == "generic":
        return EngineCall("pool_generic", {
            "estimate": col("estimate"), "se": col("se"), "log_scale": bool(spec["log_scale"]),
            **common})
    if dtype == "o_e":
        v = col("var")
        return EngineCall("pool_generic", {
            "estimate": np.exp(col("o_e") / v), "se": 1 / np.sqrt(v), "log_scale": True, **common})
    raise RevManError(f"{review.source}, outcome {analysis_id}: data type {dtype!r} cannot be pooled")
