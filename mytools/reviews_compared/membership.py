"""Who included which trial: the review-level tables of a :class:`~mytools.data.Dataset` joined
and counted (no figures, no display text).

Vocabulary (one name per concept, as in the data):

* ``inclusion`` of a review x study pair: ``included``, ``excluded``, ``not_yet_published``,
  ``unclear``; a pair with no row is ``not_listed``.
* ``identification``: ``named`` (the review names the trial), ``inferred``, ``possible``,
  ``unidentified`` (a trial the review counts but that nobody can name: placeholder study id).
* ``cell`` (the overlap-matrix category) combines both: ``included``, ``included_unidentified``,
  ``excluded``, ``not_yet_published``, ``unclear``, ``not_listed``.
"""
from __future__ import annotations

import re
from typing import Any

import numpy as np
import pandas as pd

from ..data import Dataset
from ..present.phrases import month_year

#: Reviews in publication order (columns of every table and figure on the page).
REVIEW_ORDER: tuple[str, ...] = ("cochrane2012", "sr2015", "cochrane2025")

def is_blank(x: Any) -> bool:
    """True for None, NaN, pandas NA and blank strings.

    >>> [is_blank(v) for v in (None, float("nan"), " ", "x", 0)]
    [True, True, True, False, False]
    """
    if x is None or x is pd.NA:
        return True
    if isinstance(x, str):
        return not x.strip()
    if isinstance(x, float):
        return bool(np.isnan(x))
    return bool(pd.isna(x))


def review_labels(data: Dataset) -> dict[str, str]:
    """``review_id -> short_label`` (e.g. ``'Cochrane 2012'``) in :data:`REVIEW_ORDER`."""
    lab = data.reviews.set_index("review_id")["short_label"].to_dict()
    return {r: str(lab[r]) for r in REVIEW_ORDER if r in lab}


def search_year(search_date: str) -> float:
    """A reported search date (``YYYY-MM-DD`` or ``YYYY-MM``) as a fractional year.

    >>> round(search_year("2011-08"), 3)  # month only: the 15th
    2011.622
    >>> round(search_year("2015-02-04"), 3)
    2015.092
    """
    m = re.fullmatch(r"(\d{4})-(\d{2})(?:-(\d{2}))?", str(search_date).strip())
    if not m:
        raise ValueError(f"search_date {search_date!r}: expected YYYY-MM or YYYY-MM-DD")
    year, month = int(m.group(1)), int(m.group(2))
    day = int(m.group(3)) if m.group(3) else 15  # month only: the middle of the month
    if not 1 <= month <= 12 or not 1 <= day <= 31:
        raise ValueError(f"search_date {search_date!r}: month or day out of range")
    return year + (month - 1) / 12 + (day - 1) / 365.25


def format_search_date(s: str) -> str:
    """A search date for readers: never a raw ``2011-08``.

    >>> format_search_date("2011-08"), format_search_date("2023-02-03")
    ('August 2011', '3 February 2023')
    """
    search_year(s)  # validates
    return month_year(s)


def membership(data: Dataset) -> pd.DataFrame:
    """``review_studies`` joined with ``studies`` (label, year, record type) plus the ``cell`` category.

    Raises ``ValueError`` naming the pair when a row references a study missing from ``studies``.
    """
    rs = data.review_studies.copy()
    st = data.studies.set_index("study_id")
    missing = sorted(set(rs["study_id"]) - set(st.index))
    if missing:
        raise ValueError(f"review_studies.csv: study_id {missing} not in studies.csv (column study_id)")
    rs["label"] = [str(st.at[s, "label"]) for s in rs["study_id"]]
    rs["year"] = pd.to_numeric(pd.Series([st.at[s, "year"] for s in rs["study_id"]], index=rs.index),
                               errors="coerce")
    rs["record_type"] = [str(st.at[s, "record_type"]) if "record_type" in st.columns else "trial"
                         for s in rs["study_id"]]
    cell = rs["inclusion"].astype(str).copy()
    cell[(rs["inclusion"] == "included") & (rs["identification"] == "unidentified")] = "included_unidentified"
    rs["cell"] = cell
    return rs


def included_ids(m: pd.DataFrame, review_id: str) -> set[str]:
    """Study ids a review included, from a :func:`membership` frame."""
    return set(m[(m["review_id"] == review_id) & (m["inclusion"] == "included")]["study_id"])


def _study_order(m: pd.DataFrame) -> list[str]:
    """Studies by year (timeline), placeholders (no year) last, ties by label."""
    first = m.drop_duplicates("study_id").copy()
    first["_noyear"] = first["year"].isna()
    first = first.sort_values(["_noyear", "year", "label"], kind="mergesort")
    return first["study_id"].tolist()


def overlap_matrix(data: Dataset) -> pd.DataFrame:
    """Trials x reviews matrix of ``cell`` categories (``not_listed`` where there is no row).

    Rows are ordered by trial year (placeholders for unidentified trials last), columns by
    :data:`REVIEW_ORDER`. The frame also carries ``label`` and ``year`` columns in front.
    """
    m = membership(data)
    order = _study_order(m)
    wide = m.pivot(index="study_id", columns="review_id", values="cell")
    wide = wide.reindex(index=order, columns=list(REVIEW_ORDER)).fillna("not_listed")
    info = m.drop_duplicates("study_id").set_index("study_id").loc[order, ["label", "year"]]
    return pd.concat([info, wide], axis=1)


def reconcile_counts(data: Dataset) -> pd.DataFrame:
    """Do the studies we can name add up to what each review published?

    One row per review with: ``published_studies``, ``published_participants`` (``reviews``);
    ``identified_studies`` / ``identified_participants`` (included, named or inferred, with the
    participants counted per trial); ``possible_studies`` / ``possible_participants`` (inclusion
    unclear but identification ``possible``, e.g. Fujisawa 2021 for 2025); ``unidentified_studies``
    (placeholders); ``unidentified_participants`` = published − identified − possible (derived, the
    only way their size is known); ``accounted_studies`` = identified + possible + unidentified,
    which must equal ``published_studies``.
    """
    m = membership(data)
    rv = data.reviews.set_index("review_id")
    rows = []
    for rid in REVIEW_ORDER:
        r = m[m["review_id"] == rid]
        ident = r[(r["inclusion"] == "included") & r["identification"].isin(["named", "inferred"])]
        unid = r[(r["inclusion"] == "included") & (r["identification"] == "unidentified")]
        poss = r[r["identification"] == "possible"]
        pub_k = int(rv.at[rid, "n_studies"])
        pub_n = int(rv.at[rid, "n_participants"])
        id_n = int(pd.to_numeric(ident["n_analysed"]).sum())
        poss_n = int(pd.to_numeric(poss["n_analysed"]).fillna(0).sum())
        rows.append({
            "review_id": rid,
            "published_studies": pub_k,
            "published_participants": pub_n,
            "identified_studies": len(ident),
            "identified_participants": id_n,
            "possible_studies": len(poss),
            "possible_participants": poss_n,
            "unidentified_studies": len(unid),
            "unidentified_participants": pub_n - id_n - poss_n,
            "accounted_studies": len(ident) + len(poss) + len(unid),
            "identified_missing_n": int(pd.to_numeric(ident["n_analysed"]).isna().sum()),
        })
    return pd.DataFrame(rows).set_index("review_id")


def jadad_table(data: Dataset) -> pd.DataFrame:
    """The 2015 review's Table 1 quality scores: ``study_id``, ``label`` (the trial's label in
    ``studies``, with its publication year, so that a trial carries one year across the book),
    ``printed`` (author and year as the 2015 review printed them, e.g. 'Ibrahim et al 2014'),
    ``sr_year``, ``jadad``, ``included``, ``n`` (participants analysed, or Table 1 cases when
    excluded), ``exclusion_reason``, in order of publication."""
    sr = data.sr2015_studies.copy()
    st = data.studies.set_index("study_id")
    sr["printed"] = sr["sr_label"].str.strip() + " " + sr["sr_year"].astype(int).astype(str)
    short = sr["sr_label"].str.replace(r"\s*et al\.?$", "", regex=True).str.replace(r"^The ", "", regex=True)
    sr["label"] = [str(st.at[sid, "label"]) if sid in st.index else f"{lab} {int(y)}"
                   for sid, lab, y in zip(sr["study_id"], short, sr["sr_year"])]
    sr["year"] = [pd.to_numeric(st.at[sid, "year"], errors="coerce") if sid in st.index else y
                  for sid, y in zip(sr["study_id"], sr["sr_year"])]
    sr["n"] = pd.to_numeric(sr["n_analysed"]).fillna(pd.to_numeric(sr["n_cases"])).astype(int)
    sr["included"] = sr["included"].astype(bool)
    out = sr.sort_values(["year", "label"], kind="mergesort")[
        ["study_id", "label", "printed", "sr_year", "jadad", "included", "n", "exclusion_reason"]]
    return out.reset_index(drop=True)
