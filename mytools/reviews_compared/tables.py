"""Display tables of the reviews-compared chapter (text cells, one column per review)."""
from __future__ import annotations

import pandas as pd

from ..data import Dataset
from .cumulative import cumulative_candidates
from .interventions import INTERVENTION_CLASSES, participants_by_intervention
from .membership import REVIEW_ORDER, format_search_date, is_blank, reconcile_counts, review_labels

_METHOD_ROWS: tuple[tuple[str, str], ...] = (
    ("Question and population", "population"),
    ("Age groups", "age_groups"),
    ("Myositis subtypes", "subtypes"),
    ("Designs admitted", "designs"),
    ("Search (last date)", "search_date"),
    ("Sources searched", "databases"),
    ("Primary outcomes", "primary_outcomes"),
    ("Primary time point", "primary_timepoint"),
    ("Quality / risk of bias", "quality_tool"),
    ("Certainty of evidence", "certainty_grading"),
    ("Synthesis", "synthesis"),
)

DASH = "\u2014"


def _count(k: int, one: str, many: str) -> str:
    return f"{k} {one if k == 1 else many}"


def methods_table(data: Dataset) -> pd.DataFrame:
    """Methods side by side: one row per aspect (column ``Aspect``), one column per review (text,
    from ``reviews``). The last two rows give the numbers of studies and participants *as
    published*.
    """
    rv = data.reviews.set_index("review_id")
    labels = review_labels(data)
    out: dict[str, list[str]] = {}
    for rid in REVIEW_ORDER:
        r = rv.loc[rid]
        col = []
        for _, field in _METHOD_ROWS:
            v = r[field]
            if field == "search_date":
                v = format_search_date(v)
            col.append("" if is_blank(v) else str(v))
        assessed = "" if is_blank(r["n_assessed"]) else (
            f"{int(r['n_assessed'])} assessed in full, {int(r['n_excluded'])} excluded; ")
        col.append(f"{assessed}{int(r['n_studies'])} included")
        col.append(f"{int(r['n_participants'])}")
        out[labels[rid]] = col
    index = [a for a, _ in _METHOD_ROWS] + ["Studies (as published)", "Participants (as published)"]
    return pd.DataFrame({"Aspect": index, **out})


def reconcile_table(data: Dataset) -> pd.DataFrame:
    """Display version of :func:`~mytools.reviews_compared.membership.reconcile_counts`: one column per
    review, rows saying how the published numbers of studies and participants are made up
    (identified / possible / unidentified, the last sized only by subtraction)."""
    c = reconcile_counts(data)
    labels = review_labels(data)

    def part(r: pd.Series, what: str, suffix: str = "") -> str:
        k = int(r[f"{what}_studies"])
        return (f"{_count(k, 'study', 'studies')}, {int(r[f'{what}_participants'])} participants{suffix}"
                if k or what in ("published", "identified") else DASH)

    out = {}
    for rid in REVIEW_ORDER:
        r = c.loc[rid]
        out[labels[rid]] = [
            part(r, "published"), part(r, "identified"), part(r, "possible"),
            part(r, "unidentified", " (by subtraction)"),
            "yes" if r["accounted_studies"] == r["published_studies"] else "no",
        ]
    idx = ["Published", "Identified (named or inferred)", "Possible, unconfirmed",
           "Counted by the review but unidentified", "Studies add up to the published number"]
    return pd.DataFrame({"Count": idx, **out})


def participants_table(data: Dataset) -> pd.DataFrame:
    """Wide display version of :func:`~mytools.reviews_compared.interventions.participants_by_intervention`:
    text cells ``'k trials, n participants'`` (``'+ u of unknown size'`` when some sizes are
    unknown; ``'—'`` when the review included no trial of that class), rows in
    :data:`INTERVENTION_CLASSES` order, the class label in the first column ``Intervention``.
    """
    long = participants_by_intervention(data)
    labels = review_labels(data)
    table = pd.DataFrame(index=[v[0] for v in INTERVENTION_CLASSES.values()],
                         columns=[labels[r] for r in REVIEW_ORDER], data=DASH)
    for _, row in long.iterrows():
        k, n, u = int(row["trials"]), int(row["participants"]), int(row["trials_size_unknown"])
        known = k - u
        if known and u:
            txt = f"{_count(known, 'trial', 'trials')}, {n} participants + {u} of unknown size"
        elif u:
            txt = f"{_count(u, 'trial', 'trials')} of unknown size"
        else:
            txt = f"{_count(k, 'trial', 'trials')}, {n} participants"
        table.loc[INTERVENTION_CLASSES[row["intervention"]][0], labels[row["review_id"]]] = txt
    table = table[(table != DASH).any(axis=1)]
    table.index.name = "Intervention"
    return table.reset_index()


def candidates_table(data: Dataset, comparison_id: str = "ivig") -> pd.DataFrame:
    """Display version of :func:`~mytools.reviews_compared.cumulative.cumulative_candidates` (outcome,
    studies, qualifies, why not)."""
    c = cumulative_candidates(data, comparison_id)
    return pd.DataFrame({
        "Analysis": c["analysis_id"],
        "Outcome": c["outcome"],
        "Studies pooled by the review": [DASH if v is None or pd.isna(v) else str(int(v)) for v in c["k_published"]],
        "Studies with per-study data": c["k_inputs"].astype(int).astype(str),
        "Cumulative analysis possible": ["yes" if q else "no" for q in c["qualifies"]],
        "Why not": c["why"],
    })
