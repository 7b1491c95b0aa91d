"""Which intervention each trial tested, and how much evidence each review had per intervention."""
from __future__ import annotations

import re
from typing import Any

import pandas as pd

from ..data import Dataset
from .membership import REVIEW_ORDER, included_ids, is_blank, membership

#: Intervention classes used to count participants per intervention, in display order,
#: with the regular expression matched (case-insensitive) in studies.intervention/comparator.
INTERVENTION_CLASSES: dict[str, tuple[str, str]] = {
    "ivig": ("IVIg", r"\bivig\b|immunoglobulin"),
    "aza": ("Azathioprine", r"azathioprine|\baza\b"),
    "mtx": ("Methotrexate", r"methotrexate|\bmtx\b"),
    "csa": ("Ciclosporin", r"ciclosporin|cyclosporin|\bcsa\b"),
    "apheresis": ("Plasma exchange / leukapheresis", r"plasma ?exchange|apheresis|plasmapheresis"),
    "biologic": ("Biologics", r"etanercept|infliximab|rituximab|eculizumab|abatacept|tocilizumab"),
    "steroid": ("Corticosteroid regimens", r"dexamethasone|prednis|glucocorticoid|corticosteroid"),
    "other": ("Other (tacrolimus, anti-lymphocyte globulin)",
              r"tacrolimus|anti-lymphocyte globulin|\balg\b"),
    "unidentified": ("Unidentified trials", r"$^"),
}


def classify_interventions(intervention: Any, comparator: Any = "") -> list[str]:
    """Intervention classes a trial tested, from its intervention and comparator text.

    Matching is by the regular expressions in :data:`INTERVENTION_CLASSES`. A steroid regimen
    counts only when nothing else matched (prednisone is background therapy in most trials);
    text with no match at all (a placeholder) gives ``['unidentified']``.

    >>> classify_interventions("oral methotrexate + azathioprine", "intravenous methotrexate")
    ['aza', 'mtx']
    >>> classify_interventions("pulsed oral dexamethasone", "daily oral prednisolone")
    ['steroid']
    >>> classify_interventions("", "")
    ['unidentified']
    """
    text = " ".join("" if is_blank(t) else str(t) for t in (intervention, comparator)).lower()
    found = [k for k, (_, rx) in INTERVENTION_CLASSES.items()
             if k not in ("steroid", "unidentified") and re.search(rx, text)]
    if not found and re.search(INTERVENTION_CLASSES["steroid"][1], text):
        found = ["steroid"]
    return found or ["unidentified"]


def study_interventions(data: Dataset) -> pd.Series:
    """``study_id -> list of intervention classes`` for every study in ``studies``.

    Uses a column ``intervention_class`` (``;``-separated class ids) when ``studies`` has one,
    otherwise :func:`classify_interventions` on ``intervention`` and ``comparator``.
    """
    st = data.studies.set_index("study_id")
    has_class = "intervention_class" in st.columns
    out = {}
    for sid in st.index:
        v = st.at[sid, "intervention_class"] if has_class else None
        classes = [c.strip() for c in str(v).split(";") if c.strip()] if not is_blank(v) else []
        bad = [c for c in classes if c not in INTERVENTION_CLASSES]
        if bad:
            raise ValueError(f"studies.csv: study {sid}, column intervention_class: unknown class {bad}; "
                             f"expected some of {list(INTERVENTION_CLASSES)}")
        out[sid] = classes or classify_interventions(st.at[sid, "intervention"], st.at[sid, "comparator"])
    return pd.Series(out, name="classes")


def participants_by_intervention(data: Dataset) -> pd.DataFrame:
    """Long table: trials and participants per intervention class per review (included trials).

    Columns: ``review_id``, ``intervention`` (class id), ``trials``, ``participants`` (sum of the
    participants counted per trial, known sizes only), ``trials_size_unknown``. A trial that
    tested two classes (e.g. ciclosporin vs methotrexate) counts under both, so the rows of one
    review do not add up to its total.
    """
    m = membership(data)
    classes = study_interventions(data)
    inc = m[m["inclusion"] == "included"]
    rows = []
    for rid in REVIEW_ORDER:
        r = inc[inc["review_id"] == rid]
        for cls in INTERVENTION_CLASSES:
            sel = r[[cls in classes[s] for s in r["study_id"]]]
            if sel.empty:
                continue
            n = pd.to_numeric(sel["n_analysed"])
            rows.append({"review_id": rid, "intervention": cls, "trials": len(sel),
                         "participants": int(n.sum()), "trials_size_unknown": int(n.isna().sum())})
    return pd.DataFrame(rows)


def ivig_accumulation(data: Dataset) -> pd.DataFrame:
    """Randomised IVIg evidence over time: one row per IVIg trial in year order with
    ``n_randomised`` and ``cumulative_randomised`` (``studies``), and one column per review
    saying whether that review included the trial (``True``/``False``)."""
    classes = study_interventions(data)
    st = data.studies.set_index("study_id")
    # a trial whose randomised n is unknown (the unidentified ISRCTN87782942) cannot be cumulated
    ids = [s for s in st.index if "ivig" in classes[s] and not pd.isna(st.at[s, "n_randomised"])]
    df = pd.DataFrame({
        "study_id": ids,
        "label": [st.at[s, "label"] for s in ids],
        "year": pd.to_numeric(pd.Series([st.at[s, "year"] for s in ids]), errors="coerce").to_numpy(),
        "n_randomised": pd.to_numeric(pd.Series([st.at[s, "n_randomised"] for s in ids])).to_numpy(),
    }).sort_values("year", kind="mergesort").reset_index(drop=True)
    df["cumulative_randomised"] = df["n_randomised"].cumsum()
    m = membership(data)
    for rid in REVIEW_ORDER:
        df[rid] = df["study_id"].isin(included_ids(m, rid))
    return df
