"""Counting trials and participants, and naming them, for the prose: participants counted by an
analysis against the people randomised, the trials of a comparison, studies' descriptions, the
reviews' sizes and dates, and the review's data rows against the book's list of its studies.

Given the tables (no loading); keys ``<prefix>_<...>`` for the chapter's
:class:`~mytools.present.values.Values`.
"""
from __future__ import annotations

from typing import Any, Mapping

import pandas as pd

from .phrases import month_year
from .tables import _missing

__all__ = ["counting_values", "comparison_trials", "trials_by_population", "rows_vs_list",
           "study_values", "review_values"]


def review_values(reviews: pd.DataFrame, prefix: str = "background") -> dict[str, Any]:
    """``<prefix>_<review_id>_{k,n,year,search}`` from the reviews table (known values only)."""
    out: dict[str, Any] = {}
    for _, r in reviews.iterrows():
        rid = r["review_id"]
        for col, field, conv in (("n_studies", "k", int), ("n_participants", "n", int),
                                 ("year", "year", int), ("search_date", "search", month_year)):
            if col in r.index and not _missing(r[col]):
                out[f"{prefix}_{rid}_{field}"] = conv(r[col])
    return out


def study_values(studies: pd.DataFrame, ids: Mapping[str, str], prefix: str,
                      columns: tuple[str, ...] = ("population", "intervention", "comparator",
                                                  "duration")) -> dict[str, str]:
    """``<prefix>_<key>_<column>`` text from the studies table, for ``{key: study_id}``."""
    st = studies.set_index("study_id")
    return {f"{prefix}_{key}_{c}": str(st.loc[sid, c]) for key, sid in ids.items() for c in columns
            if c in st.columns and not _missing(st.loc[sid, c])}


def _study_totals(rows: pd.DataFrame) -> pd.DataFrame:
    r = rows.assign(total=rows["n_intervention"].fillna(0) + rows["n_control"].fillna(0))
    return r.groupby(["analysis", "study"], as_index=False)["total"].sum()


def counting_values(rows: pd.DataFrame, group: int, analyses: Mapping[str, str]) -> dict[str, Any]:
    """Participants counted by each analysis of one comparison of the review's data rows, against
    the usual size of its trials (each trial's most frequent arm total over the comparison's
    analyses, i.e. the number randomised unless most analyses re-count it).

    Keys, for each ``key -> analysis``: ``<key>_rows_n`` (sum of both arms), ``<key>_usual_n``,
    ``<key>_excess`` (difference), ``<key>_count_phrase`` ("5 more than the 139 randomised into
    its trials" or "the 154 randomised into its trials, no more") and ``<key>_studies``.
    """
    sub = rows[rows["group"] == group]
    tot = _study_totals(sub)
    usual = tot.groupby("study")["total"].agg(lambda s: s.mode().iloc[0])
    out: dict[str, Any] = {}
    for key, aid in analyses.items():
        t = tot[tot["analysis"] == aid]
        n = int(t["total"].sum())
        u = int(sum(usual[s] for s in t["study"]))
        out[f"{key}_rows_n"] = n
        out[f"{key}_usual_n"] = u
        out[f"{key}_excess"] = n - u
        out[f"{key}_count_phrase"] = (f"{n - u} more than the {u} randomised into its trials" if n > u
                                      else f"the {u} randomised into its trials, no more")
        out[f"{key}_studies"] = ", ".join(t["study"])
    return out


def comparison_trials(rows: pd.DataFrame, group: int) -> list[str]:
    """The distinct studies with a row in any analysis of comparison `group`, in row order."""
    return list(dict.fromkeys(rows.loc[rows["group"] == group, "study"]))


def trials_by_population(rows: pd.DataFrame, group: int, study_map: pd.DataFrame,
                         studies: pd.DataFrame, word: str) -> list[str]:
    """Review labels of the trials in comparison `group` whose population (``studies.csv``,
    via ``review_study_map.csv``) starts with `word` (e.g. ``"adults"``, ``"children"``)."""
    labels = comparison_trials(rows, group)
    ids = study_map.set_index("review_label")["study_id"]
    pop = studies.set_index("study_id")["population"].astype(str).str.lower()
    return [lab for lab in labels if lab in ids and pop.get(ids[lab], "").startswith(word.lower())]


def rows_vs_list(rows: pd.DataFrame, study_map: pd.DataFrame, review_studies: pd.DataFrame,
                 studies: pd.DataFrame, prefix: str) -> dict[str, Any]:
    """Compare the studies named in one review's data rows with the book's reconstructed list of
    its included studies (``review_studies.csv``, one review's rows). Keys: ``<prefix>_rows_k``
    (labels in the rows), ``<prefix>_rows_not_listed`` (labels in the rows whose study the list does
    not mark included) and ``<prefix>_listed_not_in_rows`` (studies the list marks included, other
    than placeholders, that no row names), both as "A, B" or "none"."""
    labels = list(dict.fromkeys(rows["study"]))
    ids = study_map.drop_duplicates("review_label").set_index("review_label")["study_id"]
    in_rows = {ids.get(lab, lab) for lab in labels}
    inc = review_studies[review_studies["inclusion"] == "included"]
    kind = studies.set_index("study_id")["record_type"]
    listed = {s for s in inc["study_id"] if kind.get(s) != "placeholder"}
    name = studies.set_index("study_id")["label"]
    not_listed = [lab for lab in labels if ids.get(lab, lab) not in set(inc["study_id"])]
    not_rows = sorted(name.get(s, s) for s in listed - in_rows)
    return {f"{prefix}_rows_k": len(labels),
            f"{prefix}_rows_not_listed": ", ".join(not_listed) or "none",
            f"{prefix}_listed_not_in_rows": ", ".join(not_rows) or "none"}
