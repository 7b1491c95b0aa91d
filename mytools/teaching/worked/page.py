"""The numbers the methods chapter quotes from its worked examples (``methods_…`` keys of its ``v``)
(the counting and slicing that used to sit in the chapter's cells)."""
from __future__ import annotations

from typing import Any, Mapping

import pandas as pd
from scipy import stats

from ...analyses import analysis, pool_inputs
from ...data import Dataset
from .sensitivity import sensitivity_findings
from .steps import step_value, study_labels


def sae_values(table: pd.DataFrame, published: Mapping[str, Any] | None) -> dict[str, Any]:
    """Glue values of the two-trial Mantel–Haenszel example (``methods_sae_…``) from its step
    table (:func:`~mytools.teaching.worked.steps.binary_step_table`) and the published result."""
    labels = study_labels(table)
    if len(labels) != 2:
        raise ValueError(f"the worked risk-ratio example needs two studies, got {labels}")
    labels.sort(key=lambda lab: -step_value(table, "MH weight (%)", lab))  # label1: the larger MH weight
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


def hedges_display(hedges: pd.DataFrame) -> pd.DataFrame:
    """Reader's version of the Hedges-correction table (five decimals for J, three for the gap)."""
    out = hedges.copy()
    for c in ("J (RevMan)", "J (exact)"):
        out[c] = out[c].map("{:.5f}".format)
    out["g difference (%)"] = out["g difference (%)"].map("{:.3f}".format)
    return out


def findings_markdown(long: pd.DataFrame) -> Any:
    """:func:`~mytools.teaching.worked.sensitivity.sensitivity_findings` as an IPython Markdown
    object, displayed from the chapter's own cell."""
    from IPython.display import Markdown  # notebook display only

    return Markdown(sensitivity_findings(long))


def leave_one_out(data: Dataset, analysis_id: str) -> pd.DataFrame:
    """The registered analysis with all studies (first row), then without each study in turn,
    pooled with the registered method through :func:`mytools.analyses.pool_inputs`.

    Columns: ``left_out`` ('none' first), ``k``, ``estimate``, ``ci_low``, ``ci_high``."""
    a = analysis(analysis_id, data)
    if a.result is None:
        raise ValueError(f"{analysis_id}: no computed result to leave studies out of")
    rows = [{"left_out": "none", "k": a.result.k, "estimate": a.result.estimate,
             "ci_low": a.result.ci_low, "ci_high": a.result.ci_high}]
    for i, label in enumerate(a.inputs["label"]):
        r = pool_inputs(a.spec, a.inputs.drop(index=a.inputs.index[i]).reset_index(drop=True))
        rows.append({"left_out": str(label), "k": r.k, "estimate": r.estimate, "ci_low": r.ci_low,
                     "ci_high": r.ci_high})
    return pd.DataFrame(rows)


#: Verdict codes of :func:`mytools.teaching.predictions.predictions`, in words.
VERDICT_WORDS: dict[str, str] = {
    "exact": "right: the review's numbers and study",
    "counts_exact_identity_wrong": "numbers right, study wrong",
    "close": "close, not exact",
    "wrong": "wrong",
}


def _study_labels(data: Dataset, ids: str) -> str:
    lab = data.studies.set_index("study_id")["label"].to_dict()
    return ", ".join(str(lab.get(s.strip(), s.strip())) for s in str(ids).split(",") if s.strip())


def predictions_table(pred: pd.DataFrame, data: Dataset) -> pd.DataFrame:
    """Reader's table of the reconstruction's predictions beside the review's data (studies by
    their labels in ``data.studies``)."""
    return pd.DataFrame({
        "Result": [f"#{int(n)}" for n in pred["abstract_no"]],
        "Quantity": pred["quantity"],
        "Predicted": pred["predicted"],
        "Predicted study": [_study_labels(data, s) for s in pred["predicted_study"]],
        "The review's data": pred["review"],
        "The review's study": pred["review_label"],
        "Verdict": [VERDICT_WORDS.get(v, str(v)) for v in pred["verdict"]],
    })


def prediction_values(pred: pd.DataFrame, data: Dataset) -> dict[str, Any]:
    """Counts the page quotes about the predictions (``methods_pred_…``)."""
    counts = pred[pred["quantity"].str.contains("2×2")]
    sd = pred[~pred["quantity"].str.contains("2×2")]
    exact_counts = counts["counts_match"].astype(bool)
    return {
        "methods_pred_n": int(len(pred)),
        "methods_pred_counts_n": int(len(counts)),
        "methods_pred_counts_exact": int(exact_counts.sum()),
        "methods_pred_identity_wrong": int((counts["verdict"] == "counts_exact_identity_wrong").sum()),
        "methods_pred_sd_reldiff": float(sd["largest_relative_difference"].max()) if len(sd) else float("nan"),
        **_identity_wrong(counts, data),
    }


def _identity_wrong(counts: pd.DataFrame, data: Dataset) -> dict[str, str]:
    """The first prediction whose numbers were right but study wrong: the study predicted and the
    review's (``methods_pred_wrong_…``)."""
    wrong = counts[counts["verdict"] == "counts_exact_identity_wrong"]
    if wrong.empty:
        return {}
    r = wrong.iloc[0]
    return {"methods_pred_wrong_no": f"#{int(r['abstract_no'])}",
            "methods_pred_wrong_predicted_study": _study_labels(data, r["predicted_study"]),
            "methods_pred_wrong_review_study": str(r["review_label"])}


def certainty_values(data: Dataset, review_id: str = "cochrane2025") -> dict[str, Any]:
    """How many of a review's abstract results have each GRADE certainty (``methods_grade_…``)."""
    pub = data.published_results
    pub = pub[(pub["review_id"] == review_id) & pub["certainty"].notna()]
    if "abstract_no" in pub.columns:
        pub = pub[pub["abstract_no"].notna()]
    counts = pub["certainty"].astype(str).str.strip().str.lower().value_counts()
    out: dict[str, Any] = {"methods_grade_n": int(len(pub))}
    for level in ("high", "moderate", "low", "very low"):
        out[f"methods_grade_{level.replace(' ', '_')}"] = int(counts.get(level, 0))
    return out


def wald_vs_t_critical(df: int) -> tuple[float, float]:
    """The 97.5% quantiles used by a Wald (normal) and a Hartung–Knapp (t on ``df`` d.f.) interval.

    >>> [round(x, 2) for x in wald_vs_t_critical(1)]
    [1.96, 12.71]
    """
    return float(stats.norm.ppf(0.975)), float(stats.t.ppf(0.975, df))


def critical_values() -> dict[str, float]:
    """The 97.5% normal quantile and the t quantile on one degree of freedom
    (``methods_z975``, ``methods_t975_df1``): why a two-trial Hartung–Knapp interval is so wide."""
    z, t = wald_vs_t_critical(1)
    return {"methods_z975": z, "methods_t975_df1": t}
