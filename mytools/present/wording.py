"""Words for the codes of ``mytools.analyses``: statuses, reasons, provenance classes, setting
bases, prediction verdicts; and the reproducibility report formatted for reading. Presentation
only: everything here is given results, nothing is computed or loaded."""
from __future__ import annotations

from typing import Any, Mapping

import pandas as pd

__all__ = ["STATUS_TEXT", "PROVENANCE_TEXT", "BASIS_TEXT", "VERDICT_TEXT", "status_text", "reason_text",
           "report_table", "fmt_triple", "registry_table", "study_map_table", "cross_check_table",
           "predictions_table", "reproducibility_values", "counts_table"]

#: Each reproduction status in a few words.
STATUS_TEXT: dict[str, str] = {
    "reproduced": "reproduced: recomputed from study-level inputs, equal to the published result at its printed precision",
    "recomputed": "recomputed: no published pooled result to compare with (outside the review's abstract)",
    "approximate": "approximately reproduced: computed, but further from the published result than the tolerance",
    "restated": "restated, not recomputed: the only input is the published estimate and CI itself",
    "not_reproducible": "not reproducible: the study-level numbers are not available in any readable source",
}

#: Provenance classes of input numbers.
PROVENANCE_TEXT: dict[str, str] = {
    "review_data": "from the review's own data package",
    "reported": "reported in a trial publication or registry",
    "reconstructed": "reconstructed from the published result (so agreement is by construction)",
    "approximated": "approximated (converted from reported quantities)",
    "mixed": "partly reported, partly reconstructed",
    "not_available": "not available in any readable source",
}

#: How a setting of the registry was established.
BASIS_TEXT: dict[str, str] = {
    "abstract": "stated in the abstract",
    "study_numbers": "inferred from RevMan's per-study numbers",
    "weights": "inferred from RevMan's weights",
    "data_type": "the only option for this data type",
    "default": "not determinable from one study: RevMan's default",
    "reproduction": "the setting that reproduces the published result",
    "sources": "the book's reading of the trial reports",
    "inferred": "inferred (not in the data rows)",
}

#: Verdicts of a prediction checked against the review's data.
VERDICT_TEXT: dict[str, str] = {
    "exact": "exact",
    "counts_exact_identity_wrong": "right on the counts, wrong on the study's identity",
    "close": "close",
    "wrong": "wrong",
}


def _get(obj: Any, name: str, default: Any = None) -> Any:
    if isinstance(obj, Mapping):
        return obj.get(name, default)
    if isinstance(obj, pd.Series):
        return obj.get(name, default)
    return getattr(obj, name, default)


def status_text(status: str) -> str:
    """The status in words, e.g. ``status_text("recomputed")``."""
    return STATUS_TEXT.get(status, status)


def _why(prov: str) -> str:
    if prov == "review_data":
        return " from the review's own data rows"
    if prov == "reported":
        return " from reported inputs"
    if prov in ("reconstructed", "mixed"):
        part = "partly " if prov == "mixed" else ""
        return (f"; inputs {part}reconstructed from the published result, so agreement is by construction, "
                "not independent confirmation")
    return f"; inputs {prov}"


def reason_text(row: Any) -> str:
    """One sentence: why an analysis (an ``AnalysisResult`` or a row of the report) has its status."""
    status, reason = str(_get(row, "status")), str(_get(row, "reason"))
    prov = str(_get(row, "inputs_provenance"))
    missing = _get(row, "missing") or ""
    missing = ", ".join(missing) if isinstance(missing, (tuple, list)) else str(missing)
    worst = _get(row, "max_abs_diff")
    spec = _get(row, "spec") or {}
    tol = _get(row, "tolerance", spec.get("tolerance"))
    tol_reason = _get(row, "tolerance_reason", spec.get("tolerance_reason")) or ""
    if reason == "inputs_not_available":
        return f"Not reproducible: the per-study inputs of {missing or 'the studies'} are not available."
    if reason == "no_published_result":
        return ("No published pooled result to compare with (outside the review's abstract); "
                f"recomputed from inputs {PROVENANCE_TEXT.get(prov, prov)}.")
    if reason == "single_published_estimate":
        return ("Restated, not recomputed: the only input is the published estimate and CI (SE approximated as "
                "CI width / 3.92); this checks the bookkeeping, not the review's analysis.")
    if reason == "differs_from_published":
        return (f"Computed from {prov} inputs but differs from the published result by up to {float(worst):.3f} "
                f"(tolerance {float(tol):g}).")
    if reason == "within_registered_tolerance":
        text = tol_reason[:1].lower() + tol_reason[1:]
        return (f"Reproduced within the registered tolerance {float(tol):g} (largest difference {float(worst):.3f})"
                f"{_why(prov)}: {text}")
    if prov == "review_data":
        return "Reproduced from the review's own data rows: every number equals the published one at its printed precision."
    return f"Reproduced to 2 decimals{_why(prov)}."


def fmt_triple(est: Any, lo: Any, hi: Any) -> str:
    """``0.86 (0.51 to 1.21)``; an em dash when there is no number."""
    if est is None or pd.isna(est):
        return "—"
    return f"{est:.2f} ({lo:.2f} to {hi:.2f})"


def report_table(report: pd.DataFrame) -> pd.DataFrame:
    """The reproducibility report for reading: one row per analysis, numbers as text, reasons in words."""
    def setting(r: Any) -> str:
        return f"{r.measure}, {r.method} {r.model}"

    return pd.DataFrame({
        "#": [("" if pd.isna(n) else str(int(n))) for n in report["abstract_no"]],
        "analysis": report["analysis_id"],
        "review analysis": [(a if isinstance(a, str) else "") + (f" subgroup {int(s)}" if not pd.isna(s) else "")
                            for a, s in zip(report["review_analysis"], report["subgroup_number"])],
        "outcome": report["outcome"],
        "measure": [setting(r) for r in report.itertuples()],
        "published": [fmt_triple(*x) for x in zip(report["pub_estimate"], report["pub_ci_low"], report["pub_ci_high"])],
        "recomputed": [fmt_triple(*x) for x in zip(report["estimate"], report["ci_low"], report["ci_high"])],
        "largest difference": ["—" if pd.isna(d) else f"{d:.3f}" for d in report["max_abs_diff"]],
        "status": report["status"],
        "inputs": report["inputs_provenance"],
        "reason": [reason_text(r) for _, r in report.iterrows()],
    })


def registry_table(registry: pd.DataFrame) -> pd.DataFrame:
    """The analysis registry for reading: one row per analysis (or subgroup), each setting with how
    it was established in words."""
    def with_basis(col: str) -> list[str]:
        return [f"{v} ({BASIS_TEXT.get(b, b)})" for v, b in zip(registry[col], registry[f"{col}_basis"])]

    return pd.DataFrame({
        "analysis": registry["analysis_id"],
        "review analysis": [f"{a}" + (f" subgroup {int(s)}" if not pd.isna(s) else "")
                            for a, s in zip(registry["review_analysis"], registry["subgroup_number"])],
        "#": ["" if pd.isna(n) else str(int(n)) for n in registry["abstract_no"]],
        "comparison (inferred)": registry["comparison"],
        "outcome": registry["outcome"],
        "data": registry["data_type"],
        "measure": with_basis("measure"),
        "method": with_basis("method"),
        "model": with_basis("model"),
        "pooled": ["overall" if o else "subgroup totals only" for o in registry["overall"]],
        "chapter": registry["chapter"],
    })


def study_map_table(study_map: pd.DataFrame, studies: pd.DataFrame) -> pd.DataFrame:
    """The review's study labels beside the book's studies: identity and what it rests on."""
    st = studies.set_index("study_id")
    return pd.DataFrame({
        "label in the review's rows": study_map["review_label"],
        "book's study": [st.at[s, "label"] for s in study_map["study_id"]],
        "bibliography key": ["—" if pd.isna(st.at[s, "bibtex_key"]) else st.at[s, "bibtex_key"]
                             for s in study_map["study_id"]],
        "identity": study_map["identity"],
        "basis": study_map["basis"],
        "note": study_map["note"],
    })


def cross_check_table(cc: pd.DataFrame) -> pd.DataFrame:
    """Each abstract result: published, recomputed from the review's data, and the older route."""
    return pd.DataFrame({
        "#": [str(int(n)) for n in cc["abstract_no"]],
        "outcome": cc["outcome"],
        "published": [fmt_triple(*x) for x in zip(cc["pub_estimate"], cc["pub_ci_low"], cc["pub_ci_high"])],
        "review's data": [fmt_triple(*x) for x in zip(cc["estimate"], cc["ci_low"], cc["ci_high"])],
        "status": cc["status"],
        "older route": [fmt_triple(*x) for x in zip(cc["sources_estimate"], cc["sources_ci_low"], cc["sources_ci_high"])],
        "its status": cc["sources_status"],
        "its inputs": [PROVENANCE_TEXT.get(p, p) for p in cc["sources_inputs"]],
    })


def predictions_table(pred: pd.DataFrame) -> pd.DataFrame:
    """The reconstruction's predictions beside the review's numbers, verdicts in words."""
    return pd.DataFrame({
        "prediction": pred["prediction"],
        "what": pred["quantity"],
        "predicted": pred["predicted"],
        "study named": pred["predicted_study"],
        "review's data": pred["review"],
        "review's study": pred["review_label"],
        "search": [("" if pd.isna(n) else f"{int(n):,} candidates, {int(s)} solution(s); ") + str(sp)
                   for n, s, sp in zip(pred["n_candidates"], pred["n_solutions"], pred["search"])],
        "verdict": [VERDICT_TEXT.get(v, v) for v in pred["verdict"]],
    })


def reproducibility_values(report: pd.DataFrame, counts: Mapping[str, int], check: pd.DataFrame,
                           rows: pd.DataFrame, pred: pd.DataFrame) -> dict[str, Any]:
    """The numbers the reproducibility page prints, keyed for glue (``reproducibility_*``): status
    counts, the review's analyses, the per-study check against RevMan (``rows`` = the review's data
    rows, to name the blank row's counts) and the predictions."""
    own = report[report["route"] == "review_data"]
    out: dict[str, Any] = {f"n_{k}": v for k, v in counts.items()}
    out.update(n_review_analyses=int(own["review_analysis"].nunique()), n_review_rows=len(own),
               n_recomputed_own=int((own["status"] == "recomputed").sum()),
               largest_diff=float(own["max_abs_diff"].max()),
               n_study_rows=len(check), n_study_rows_ok=int(check["ok"].sum()),
               n_study_rows_blank=int(check["revman_estimate"].isna().sum()),
               sources_tol=f"{report.loc[report['route'] == 'sources', 'tolerance'].min():g}",
               n_predictions=len(pred), n_predictions_exact=int((pred["verdict"] == "exact").sum()))
    blank = check[check["revman_estimate"].isna()]
    if len(blank):
        b = blank.iloc[0]
        r = rows.set_index("line").loc[b["line"]]
        out.update(blank_study=str(b["study"]), blank_analysis=str(b["review_analysis"]),
                   blank_counts=f"{r['events_intervention']:.0f}/{r['n_intervention']:.0f} vs "
                                f"{r['events_control']:.0f}/{r['n_control']:.0f}")
    sds = pred[pred["prediction"] == "CDASI SDs"]
    if len(sds):
        out["cdasi_rel"] = 100 * float(sds["largest_relative_difference"].iloc[0])
    return {f"reproducibility_{k}": v for k, v in out.items()}


def counts_table(counts: pd.DataFrame, first: str, words: Mapping[str, str] | None = None) -> pd.DataFrame:
    """A count table whose index holds codes, with the codes (in words when ``words`` has them) as
    the first column named ``first`` (book tables show no index)."""
    out = counts.copy()
    out.insert(0, first, [(words or {}).get(str(c), str(c)) for c in out.index])
    return out.reset_index(drop=True)
