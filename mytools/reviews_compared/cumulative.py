"""Cumulative meta-analysis by publication year: which analyses allow one, and the steps.

Pooling goes through the analyses layer (:func:`mytools.analyses.pool_inputs`), so each step uses
exactly the method registered for the analysis (measure, MH/IV, fixed/random).
"""
from __future__ import annotations

import pandas as pd

from ..analyses import analysis, pool_inputs
from ..data import Dataset
from .membership import is_blank

#: The analysis the chapter accumulates: the benefit that changed the IVIg conclusion.
CUMULATIVE_EXAMPLE = "ivig_disability"

_REQUIRED = {
    "binary": ("events_intervention", "n_intervention", "events_control", "n_control"),
    "continuous": ("mean_intervention", "sd_intervention", "n_intervention", "mean_control", "sd_control", "n_control"),
    "generic": ("estimate", "se"),
}


def _input_kind(inputs: pd.DataFrame) -> str:
    if "estimate" in inputs.columns:
        return "generic"
    return "binary" if "events_intervention" in inputs.columns else "continuous"


def usable(inputs: pd.DataFrame | None) -> pd.Series:
    """Per study (row of ``AnalysisResult.inputs``): does it carry every number the engine needs?"""
    if inputs is None or not len(inputs):
        return pd.Series([], dtype=bool)
    cols = _REQUIRED[_input_kind(inputs)]
    if any(c not in inputs.columns for c in cols):
        return pd.Series(False, index=inputs.index)
    return inputs[list(cols)].notna().all(axis=1)


def _years(data: Dataset, study_ids: pd.Series) -> pd.Series:
    """Publication year of each study (``studies.year``); NaN when unknown, and for a placeholder
    (an unidentified trial: its year, if any, is the review's 'study year', not a publication)."""
    st = data.studies.set_index("study_id")
    year = pd.to_numeric(st["year"], errors="coerce").astype(float)
    if "record_type" in st.columns:
        year[st["record_type"].astype(str) == "placeholder"] = float("nan")
    return pd.Series([year.get(s, float("nan")) for s in study_ids], index=study_ids.index, dtype=float)


def _why_not(k_rows: int, k_in: int, k_pub: int | None, min_studies: int, no_year: list[str]) -> str:
    if k_rows > k_in:
        return f"per-study data missing for {k_rows - k_in} of {k_rows} studies"
    if no_year:
        return f"year of publication unknown for {', '.join(no_year)}"
    if k_pub is not None and k_in < k_pub:
        return f"per-study data for {k_in} of the {k_pub} studies pooled by the review"
    if k_in < min_studies:
        return f"only {k_in} {'study' if k_in == 1 else 'studies'}: nothing to accumulate"
    return ""


def cumulative_candidates(data: Dataset, comparison_id: str = "ivig", min_studies: int = 2) -> pd.DataFrame:
    """Registered analyses of one comparison and whether a cumulative meta-analysis is possible.

    One row per analysis of ``comparison_id`` with ``outcome``, ``k_published`` (studies in the
    published result), ``k_inputs`` (studies with every per-study number the engine needs),
    ``qualifies`` (all published studies have inputs and there are at least ``min_studies``)
    and ``why`` (the reason when it does not qualify).
    """
    reg = data.analyses[data.analyses["comparison_id"] == comparison_id]
    if "route" in reg.columns:  # the older routes to the same results are not other analyses
        reg = reg[reg["route"] != "sources"]
    rows = []
    for aid in reg["analysis_id"]:
        ar = analysis(aid, data)
        k_pub = (ar.published or {}).get("k")
        k_pub = None if is_blank(k_pub) else int(k_pub)
        ok = usable(ar.inputs)
        years = _years(data, ar.inputs["study_id"]) if len(ar.inputs) else pd.Series([], dtype=float)
        no_year = [str(x) for x in ar.inputs.loc[years.isna(), "label"]] if len(ar.inputs) else []
        why = _why_not(len(ok), int(ok.sum()), k_pub, min_studies, no_year)
        rows.append({"analysis_id": aid, "review_id": ar.spec.get("review_id"),
                     "outcome": ar.spec.get("outcome"), "k_published": k_pub, "k_inputs": int(ok.sum()),
                     "qualifies": why == "", "why": why})
    return pd.DataFrame(rows)


def _participants(sub: pd.DataFrame) -> float:
    if "n_intervention" in sub.columns:
        return float((sub["n_intervention"].astype(float) + sub["n_control"].astype(float)).sum())
    if "participants" in sub.columns:
        return float(pd.to_numeric(sub["participants"]).sum())
    return float("nan")


def cumulative_meta(data: Dataset, analysis_id: str) -> pd.DataFrame:
    """Cumulative meta-analysis by publication year of one registered analysis.

    Studies are added in the order of ``studies.year``; at each step the registered method
    (measure, MH/IV, fixed/random, as in the analysis registry) is re-run by the engine on the
    studies published so far. Raises ``ValueError`` when a study lacks inputs. Columns: ``year``,
    ``added`` (label of the study added), ``k``, ``participants``, ``estimate``, ``ci_low``,
    ``ci_high``, ``provenance`` (of the added study's inputs), ``measure``.
    """
    ar = analysis(analysis_id, data)
    inputs = ar.inputs
    ok = usable(inputs)
    if not len(ok) or not ok.all():
        missing = [] if not len(ok) else inputs.loc[~ok, "study_id"].tolist()
        raise ValueError(f"analysis {analysis_id}: per-study inputs missing for {missing or 'all studies'}; "
                         "a cumulative meta-analysis needs every study's numbers")
    f = inputs.copy()
    f["_year"] = _years(data, f["study_id"])
    if f["_year"].isna().any():
        raise ValueError(f"analysis {analysis_id}: year of publication unknown for "
                         f"{f.loc[f['_year'].isna(), 'label'].tolist()}; studies.csv has no year for them")
    f["_year"] = f["_year"].astype(int)
    f = f.sort_values(["_year", "label"], kind="mergesort").reset_index(drop=True)
    rows = []
    for i in range(len(f)):
        sub = f.iloc[: i + 1].drop(columns="_year").reset_index(drop=True)
        res = pool_inputs(ar.spec, sub)
        rows.append({"year": int(f.at[i, "_year"]), "added": str(f.at[i, "label"]), "k": i + 1,
                     "participants": _participants(sub), "estimate": float(res.estimate),
                     "ci_low": float(res.ci_low), "ci_high": float(res.ci_high),
                     "provenance": str(f.at[i, "provenance"]), "measure": str(ar.spec.get("measure"))})
    return pd.DataFrame(rows)


def cumulative_title(data: Dataset, analysis_id: str = CUMULATIVE_EXAMPLE) -> str:
    """'<comparison>: <outcome> (<measure>)' from the registry, for the figure's title."""
    spec = analysis(analysis_id, data).spec
    outcome = str(spec.get("outcome") or analysis_id).split(",")[0].split(" (")[0]
    return f"{spec.get('comparison')}: {outcome[:1].lower() + outcome[1:]} ({spec.get('measure')})"
