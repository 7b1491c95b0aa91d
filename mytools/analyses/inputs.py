"""Registry row -> the study rows fed to the engine (one row per study, wide form).

Three input tables: ``review_rows`` (the review's own data rows, read by the data layer into a
``ReviewData``), ``outcome_data`` (arm-level rows of the sources route) and ``study_estimates``
(generic inverse-variance rows). Arms are ``_t`` (intervention) and ``_c`` (control) as in the
engine's study tables.
"""
from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..data import Dataset
from ..engine.effects import BINARY_MEASURES

__all__ = ["spec_of", "inputs_of", "inputs_provenance", "clean"]

_REVMAN = ["revman_weight", "revman_estimate", "revman_ci_low", "revman_ci_high"]


def clean(value: Any) -> Any:
    """pandas missing values -> None, numpy scalars -> Python scalars.

    >>> clean(float("nan")) is None, clean(np.int64(3))
    (True, 3)
    """
    if value is pd.NA or value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    return value.item() if hasattr(value, "item") else value


def spec_of(aid: str, data: Dataset) -> dict:
    """The registry row of ``aid`` as a dict (KeyError names the known ids)."""
    ids = data.analyses["analysis_id"].to_numpy(dtype=object)
    hit = np.flatnonzero(ids == aid)
    if not len(hit):
        raise KeyError(f"no analysis {aid!r} in analyses.csv; known ids: {', '.join(ids)}")
    return {k: clean(v) for k, v in data.analyses.iloc[int(hit[0])].items()}


def _labels(data: Dataset) -> dict[str, str]:
    return dict(zip(data.studies["study_id"], data.studies["label"]))


def _review_inputs(spec: dict, data: Dataset) -> pd.DataFrame:
    rd = data.review(spec["review_id"])
    rows = rd.study_rows(spec["review_analysis"], spec.get("subgroup_number"))
    m = data.review_study_map
    m = m[m["review_id"] == spec["review_id"]]
    sid_of = dict(zip(m["review_label"], m["study_id"]))
    ident_of = dict(zip(m["review_label"], m["identity"]))
    labels = _labels(data)
    doi = dict(zip(data.reviews["review_id"], data.reviews["doi"])).get(spec["review_id"])
    cols = ["events_intervention", "n_intervention", "events_control", "n_control"] \
        if spec["data_type"] == "dichotomous" else \
        ["mean_intervention", "sd_intervention", "n_intervention", "mean_control", "sd_control", "n_control"]
    studies = [str(s) for s in rows["study"]]
    sids = [sid_of[s] for s in studies]
    ident = [str(ident_of[s]) for s in studies]
    footnote = rows["footnote"].fillna("").astype(str).to_numpy()
    out = {"study_id": sids,
           "label": [labels[s] + (" (identity inferred)" if i == "inferred" else "") for s, i in zip(sids, ident)],
           "review_label": studies, "subgroup": rows["subgroup"].fillna("").astype(str).to_numpy(),
           "subgroup_number": rows["subgroup_number"].fillna(0).astype(int).to_numpy()}
    out.update({c: rows[c].to_numpy(dtype=float) for c in cols})
    out.update({"provenance": "review_data", "study_identity": ident,
                "source": f"doi:{doi}" if isinstance(doi, str) else "", "footnote": footnote, "note": footnote})
    out.update({c: rows[c].to_numpy(dtype=float) for c in _REVMAN})
    out.update({"file": rows["file"].to_numpy(), "line": rows["line"].to_numpy()})
    return pd.DataFrame(out)


def _arm_inputs(spec: dict, data: Dataset) -> pd.DataFrame:
    rows = data.outcome_data[data.outcome_data["analysis_id"] == spec["analysis_id"]]
    recs = []
    for sid, g in rows.groupby("study_id", sort=False):
        t = g[g["arm"] == "intervention"].iloc[0]
        c = g[g["arm"] == "control"].iloc[0]
        provs = list(dict.fromkeys([t["provenance"], c["provenance"]]))
        recs.append({
            "study_id": sid,
            "events_intervention": t["events"], "n_intervention": t["n"], "mean_intervention": t["mean"], "sd_intervention": t["sd"],
            "events_control": c["events"], "n_control": c["n"], "mean_control": c["mean"], "sd_control": c["sd"],
            "arm_label_intervention": t["arm_label"], "arm_label_control": c["arm_label"],
            "provenance": provs[0] if len(provs) == 1 else "mixed",
            "study_identity": t["study_identity"],
            "source": " ; ".join(dict.fromkeys([t["source"], c["source"]])),
            "note": " | ".join(dict.fromkeys(x for x in (t["note"], c["note"]) if isinstance(x, str))),
        })
    out = pd.DataFrame(recs)
    drop = ["mean_intervention", "sd_intervention", "mean_control", "sd_control"] if spec["measure"] in BINARY_MEASURES else ["events_intervention", "events_control"]
    return out.drop(columns=drop)


def inputs_of(spec: dict, data: Dataset) -> pd.DataFrame:
    """One row per study: study-level inputs in wide form, label, provenance, identity, source."""
    table = spec["input_table"]
    if table == "review_rows":
        return _review_inputs(spec, data).reset_index(drop=True)
    if table == "study_estimates":
        rows = data.study_estimates[data.study_estimates["analysis_id"] == spec["analysis_id"]]
        out = rows[["study_id", "estimate", "ci_low", "ci_high", "se", "log_scale", "participants",
                    "provenance", "study_identity", "source", "note"]].copy()
    elif table == "outcome_data":
        out = _arm_inputs(spec, data)
    else:
        return pd.DataFrame(columns=["study_id", "label", "provenance"])
    labels = _labels(data)
    out.insert(1, "label", [labels[s] + (" (identity inferred)" if ident == "inferred" else "")
                            for s, ident in zip(out["study_id"], out["study_identity"])])
    return out.reset_index(drop=True)


def inputs_provenance(inputs: pd.DataFrame) -> str:
    """One class for all inputs: the shared class, ``mixed``, or ``not_available`` if any is missing."""
    provs = set(inputs["provenance"]) if len(inputs) else {"not_available"}
    if "not_available" in provs:
        return "not_available"
    if len(provs) == 1 and "mixed" not in provs:
        return provs.pop()
    return "mixed"
