"""Text values for the clinical pages from the book's data: the trials' facts (``trial_facts.csv``:
follow-up, harms beyond the pooled rows, doses, the review's own words) and a study's share of an analysis's weight (RevMan's
``Weight`` in the review's rows). Each returns ``{key: value}`` for glue or inline ``{eval}``.
"""
from __future__ import annotations

from typing import Iterable

import pandas as pd

__all__ = ["fact_values", "weight_share"]


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
