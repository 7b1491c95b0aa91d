"""Text values for the clinical pages from the book's data: the trials' facts (``trial_facts.csv``:
follow-up, harms beyond the pooled rows, doses, the review's own words), the evidence date, arm
counts and sizes, an arm the review's rows enter twice, and a study's share of an analysis's weight (RevMan's
``Weight`` in the review's rows). Each returns ``{key: value}`` for glue or inline ``{eval}``.
"""
from __future__ import annotations

from typing import Any, Iterable, Sequence

import pandas as pd

from ..analyses.row_consistency import arm_disagreements
from .phrases import and_list, month_year

__all__ = ["fact_values", "page_values", "weight_share", "extraction_checks", "arm_counts_text",
           "arm_direction", "arm_sizes", "arm_size_values", "disagreement_values", "trial_table"]


def fact_values(facts: pd.DataFrame, ids: Iterable[str], prefix: str) -> dict[str, str]:
    """``<prefix>_<fact_id>``: the fact's text (quoted words stay as the source wrote them).
    ``KeyError`` names a fact id that is not in the table."""
    f = facts.set_index("fact_id")
    missing = [i for i in ids if i not in f.index]
    if missing:
        raise KeyError(f"trial_facts.csv has no fact {', '.join(missing)}")
    return {f"{prefix}_{i}": str(f.at[i, "text"]) for i in ids}


def weight_share(rows: pd.DataFrame, analysis: str, study: str) -> float:
    """RevMan's weight (%) of ``study`` in ``analysis`` of a review's rows (the ``Weight`` column);
    ``KeyError`` when the study has no row there."""
    w = rows.loc[(rows["analysis"] == analysis) & (rows["study"] == study), "revman_weight"]
    if w.empty:
        raise KeyError(f"no row for study {study!r} in analysis {analysis}")
    return float(w.sum())


def _numbers(nos: Iterable[int]) -> str:
    """``[3, 12]`` → ``"3 and 12"``; ``[1, 2, 6]`` → ``"1, 2 and 6"``; ``[]`` → ``"none"``."""
    return and_list(int(n) for n in sorted(nos))


def extraction_checks(cross: pd.DataFrame, prefix: str) -> dict[str, str]:
    """Which of the abstract's results were checked independently of the review's own data
    extraction, from :func:`mytools.analyses.cross_checks` (the older route from the trials'
    publications beside the review's rows): ``<prefix>_checked_reported`` (reproduced from counts
    read in the trials' reports), ``_checked_approximated`` (from reported means with approximated
    SDs), ``_checked_partly`` (one trial reported, another reconstructed), ``_by_construction``
    (reconstructed counts: they reproduce by design, so they check nothing), ``_unchecked`` (the
    rest: only the review's extraction stands behind them). Values are abstract result numbers in
    words, e.g. ``"3 and 12"``.

    >>> cc = pd.DataFrame({"abstract_no": [1, 3, 4, 5, 7, 8],
    ...     "sources_status": ["not_reproducible", "reproduced", "reproduced", "reproduced",
    ...                        "reproduced", "restated"],
    ...     "sources_inputs": ["not_available", "reported", "approximated", "mixed",
    ...                        "reconstructed", "approximated"]})
    >>> extraction_checks(cc, "r")["r_unchecked"]
    '1 and 8'
    """
    ok = cross["sources_status"] == "reproduced"
    kinds = {"checked_reported": "reported", "checked_approximated": "approximated",
             "checked_partly": "mixed", "by_construction": "reconstructed"}
    out, used = {}, pd.Series(False, index=cross.index)
    for key, inputs in kinds.items():
        sel = ok & (cross["sources_inputs"] == inputs)
        used |= sel
        out[f"{prefix}_{key}"] = _numbers(cross.loc[sel, "abstract_no"])
    out[f"{prefix}_unchecked"] = _numbers(cross.loc[~used, "abstract_no"])
    return out


def arm_counts_text(rows: pd.DataFrame, analysis: str, study: str) -> str:
    """``"events/N vs events/N"`` (intervention vs control) of one study row of a review's rows."""
    r = rows.loc[(rows["analysis"] == analysis) & (rows["study"] == study)]
    if len(r) != 1:
        raise KeyError(f"expected one row for study {study!r} in analysis {analysis}, found {len(r)}")
    r = r.iloc[0]
    return (f"{int(r['events_intervention'])}/{int(r['n_intervention'])} vs "
            f"{int(r['events_control'])}/{int(r['n_control'])}")


def trial_table(studies: pd.DataFrame, facts: pd.DataFrame, ids: Iterable[str],
                topics: Iterable[str] = ("dose", "follow_up", "harm")) -> pd.DataFrame:
    """One row per trial: label, population, intervention and comparator, duration (``studies``)
    and, per topic, the facts of ``trial_facts`` for it (joined with "; "; "not reported in the
    sources read" where there is none). Cells are text, for :func:`mytools.present.tables.show`."""
    st = studies.set_index("study_id")
    names = {"dose": "Dose and route", "follow_up": "Follow-up", "harm": "Harms reported beyond the pooled analyses"}
    rows = []
    for sid in ids:
        s = st.loc[sid]
        row = {"Trial": str(s["label"]), "Participants": str(s["population"]),
               "Compared": f"{s['intervention']} vs {s['comparator']}", "Duration": str(s["duration"])}
        for topic in topics:
            f = facts[(facts["study_id"] == sid) & (facts["topic"] == topic)]
            row[names[topic]] = "; ".join(f["text"]) if len(f) else "not reported in the sources read"
        rows.append(row)
    return pd.DataFrame(rows)


def arm_direction(rows: pd.DataFrame, analysis: str, study: str) -> str:
    """``"fewer"``, ``"more"`` or ``"as many"``: the intervention arm's event risk against the
    control arm's in one study row (counts only, no test: the wording says "numerically")."""
    r = rows.loc[(rows["analysis"] == analysis) & (rows["study"] == study)]
    if len(r) != 1:
        raise KeyError(f"expected one row for study {study!r} in analysis {analysis}, found {len(r)}")
    r = r.iloc[0]
    a = r["events_intervention"] / r["n_intervention"]
    b = r["events_control"] / r["n_control"]
    return "fewer" if a < b else "more" if a > b else "as many"


def page_values(data: Any, prefix: str, fact_ids: Iterable[str] = ()) -> dict[str, Any]:
    """What every clinical page says about its evidence: ``<prefix>_search_date`` (the 2025
    review's search date in words, from ``reviews.csv``) and the facts ``fact_ids``
    (:func:`fact_values`)."""
    when = data.reviews.set_index("review_id").at["cochrane2025", "search_date"]
    return {f"{prefix}_search_date": month_year(when), **fact_values(data.trial_facts, fact_ids, prefix)}


def disagreement_values(rows: pd.DataFrame, study: str, analyses: Sequence[str], prefix: str) -> dict[str, Any]:
    """The first arm of ``study`` entered differently in ``analyses``
    (:func:`mytools.analyses.arm_disagreements`): ``<prefix>_arm`` ("placebo" or the intervention), ``_a``, ``_a_mean``,
    ``_b``, ``_b_mean``. ``LookupError`` when the entries agree (the page's warning would be false)."""
    d = arm_disagreements(rows, study, analyses)
    if d.empty:
        raise LookupError(f"{study}: its arms agree across analyses {', '.join(analyses)}")
    r = d.iloc[0]
    return {f"{prefix}_arm": "placebo" if r["arm"] == "control" else "intervention",
            f"{prefix}_a": r["analysis_a"], f"{prefix}_a_mean": r["value_a"],
            f"{prefix}_b": r["analysis_b"], f"{prefix}_b_mean": r["value_b"]}


def arm_sizes(rows: pd.DataFrame, analysis: str, study: str) -> tuple[int, int]:
    """(intervention, control) participants one analysis of the rows counts for ``study`` (its
    first row: subgroups of one trial repeat the arms). ``KeyError`` when it has no row there."""
    r = rows.loc[(rows["analysis"] == analysis) & (rows["study"].astype(str).str.strip() == study)]
    if r.empty:
        raise KeyError(f"no row for study {study!r} in analysis {analysis}")
    return int(r["n_intervention"].iloc[0]), int(r["n_control"].iloc[0])


def arm_size_values(rows: pd.DataFrame, analysis: str, study: str, prefix: str) -> dict[str, int]:
    """``<prefix>_n_int``, ``_n_ctl`` and ``_n``: the arm sizes one study row counts."""
    a, b = arm_sizes(rows, analysis, study)
    return {f"{prefix}_n_int": a, f"{prefix}_n_ctl": b, f"{prefix}_n": a + b}
