"""The numbers the methods chapter quotes from its worked examples, under ``methods_…`` glue keys
(the counting and slicing that used to sit in the chapter's cells)."""
from __future__ import annotations

from typing import Any, Mapping

import pandas as pd

from .steps import step_value, study_labels


def sae_values(table: pd.DataFrame, published: Mapping[str, Any] | None) -> dict[str, Any]:
    """Glue values of the two-trial Mantel–Haenszel example (``methods_sae_…``) from its step
    table (:func:`~mytools.teaching.worked.steps.binary_step_table`) and the published result."""
    labels = study_labels(table)
    if len(labels) != 2:
        raise ValueError(f"the worked risk-ratio example needs two studies, got {labels}")
    out: dict[str, Any] = {}
    for i, lab in enumerate(labels, 1):
        out[f"methods_sae_label{i}"] = lab
        out[f"methods_sae_rr{i}"] = step_value(table, "RR", lab)
        out[f"methods_sae_mhw{i}"] = step_value(table, "MH weight (%)", lab)
        out[f"methods_sae_rew{i}"] = step_value(table, "random weight (%)", lab)
    for key, quantity in (("est", "RR (MH, fixed)"), ("lo", "95% CI, lower"), ("hi", "95% CI, upper"),
                          ("q", "Q"), ("i2", "I² (%)"), ("tau2", "τ² (DL)"), ("re", "RR (random)")):
        out[f"methods_sae_{key}"] = step_value(table, quantity)
    out["methods_sae_maxdiff"] = float((table["by_hand"] - table["mytools"]).abs().max())
    pub = dict(published or {})
    for key, col in (("est", "estimate"), ("lo", "ci_low"), ("hi", "ci_high")):
        if pub.get(col) is None:
            raise ValueError(f"the worked example's published result has no {col}")
        out[f"methods_sae_pub_{key}"] = float(pub[col])
    return out


def smd_values(table: pd.DataFrame, published: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Glue values of the Hedges' g example (``methods_smd_…``) from its step table."""
    out: dict[str, Any] = {f"methods_smd_{key}": step_value(table, quantity)
                           for key, quantity in (("est", "SMD (fixed)"), ("lo", "95% CI, lower"),
                                                 ("hi", "95% CI, upper"), ("q", "Q"), ("i2", "I² (%)"))}
    out["methods_smd_k"] = len(study_labels(table))
    out["methods_smd_df"] = out["methods_smd_k"] - 1
    for key, col in (("est", "estimate"), ("lo", "ci_low"), ("hi", "ci_high")):
        if published and published.get(col) is not None:
            out[f"methods_smd_pub_{key}"] = float(published[col])
    return out


def hedges_values(hedges: pd.DataFrame) -> dict[str, Any]:
    """Glue values of the RevMan-vs-exact Hedges correction table (smallest trial, largest gap)."""
    i = hedges["N"].idxmin()
    return {"methods_j_smallest_trial": str(hedges.at[i, "trial"]),
            "methods_j_smallest_n": int(hedges.at[i, "N"]),
            "methods_j_max_diff": float(hedges["g difference (%)"].max())}
