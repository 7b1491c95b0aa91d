"""Small-study effects and publication bias when there are few trials: how many studies each
analysis of a review's data rows holds, against the usual minimum for a funnel plot or a test of
its asymmetry, and the points of a funnel-style drawing of one analysis.

The minimum: "tests for funnel plot asymmetry should be used only when there are at least 10
studies included in the meta-analysis, because when there are fewer studies the power of the
tests is too low to distinguish chance from real asymmetry" (Sterne et al. 2011, BMJ 343:d4002,
recommendation 1; the same holds for reading a funnel plot by eye). Egger's test (Egger et al.
1997) regresses the standardised effect y_i/SE_i on the precision 1/SE_i; with k studies its
intercept has k − 2 degrees of freedom, so with two studies there are none and with three one.

Given the review's rows (``ReviewData.rows``: ``analysis``, ``group``, ``number``, ``study``,
``analysis_name``); no loading.
"""
from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from ..present.phrases import and_list

__all__ = ["FUNNEL_MIN_STUDIES", "studies_per_analysis", "k_distribution", "small_study_values",
           "funnel_figure", "registry_labels", "words", "REGISTRY_ID"]

#: A trial-registry id as a study label (the registries' own id formats).
REGISTRY_ID = r"(NCT\d{8}|ISRCTN\d{8}|JPRN-[A-Z]+\d+|ACTRN\d{14}|EUCTR[\d-]+\w*|ChiCTR[-\w]+|DRKS\d{8})"

#: The usual minimum number of studies for a funnel plot or a test of its asymmetry (Sterne 2011).
FUNNEL_MIN_STUDIES = 10

_NEEDED = ("analysis", "group", "number", "study")


def _check(rows: pd.DataFrame) -> None:
    missing = [c for c in _NEEDED if c not in rows.columns]
    if missing:
        raise ValueError(f"review rows: missing column(s) {', '.join(missing)}; expected {', '.join(_NEEDED)}")
    if rows.empty:
        raise ValueError("review rows: no rows, so no analysis to count studies in")
    blank = rows["study"].isna() | (rows["study"].astype(str).str.strip() == "")
    if blank.any():
        r = rows[blank].iloc[0]
        raise ValueError(f"review rows: analysis {r['analysis']} has a row with no study label "
                         f"(column 'study'); every row must name its study")


def studies_per_analysis(rows: pd.DataFrame) -> pd.DataFrame:
    """One row per analysis, in the review's order: ``analysis`` ("1.2"), ``name``, ``k`` (distinct
    study labels over all its subgroups: a trial entered in two subgroups counts once) and
    ``studies`` (the labels, joined with ", ")."""
    _check(rows)
    name = rows["analysis_name"] if "analysis_name" in rows.columns else pd.Series("", index=rows.index)
    r = rows.assign(name=name.fillna("").astype(str).str.split().str.join(" "))
    out = (r.groupby(["group", "number", "analysis"], sort=True)
           .agg(name=("name", "first"),
                k=("study", "nunique"),
                studies=("study", lambda s: ", ".join(dict.fromkeys(s.astype(str).str.strip())))))
    return out.reset_index()[["analysis", "name", "k", "studies"]]


def words(items: list[str]) -> str:
    """``['1.3', '1.7', '1.8']`` → ``'1.3, 1.7 and 1.8'``; ``[]`` → ``'none'``."""
    return and_list(items)


def k_distribution(per: pd.DataFrame) -> pd.DataFrame:
    """How many analyses have k = 1, 2, ... studies (from :func:`studies_per_analysis`), as text
    cells for a table: ``Studies in the analysis``, ``Analyses``, ``Which``."""
    rows = []
    for k, g in per.groupby("k", sort=True):
        rows.append({"Studies in the analysis": str(int(k)), "Analyses": str(len(g)),
                     "Which": ", ".join(g["analysis"])})
    return pd.DataFrame(rows)


def small_study_values(rows: pd.DataFrame, prefix: str = "bias",
                       minimum: int = FUNNEL_MIN_STUDIES) -> dict[str, Any]:
    """The counts the page prints: ``<prefix>_analyses`` (analyses in the rows), ``_k_max``,
    ``_k_max_n`` (analyses with that many studies) and ``_k_max_which`` ("1.1, 1.2 and 1.4"),
    ``_k1`` (analyses with a single study), ``_k_le3`` (with three or fewer), ``_min`` (the usual
    minimum), ``_enough`` (analyses with at least ``minimum`` studies) and ``_enough_words``
    ("none" or the number) and ``_short`` (studies the largest analysis lacks to reach it)."""
    per = studies_per_analysis(rows)
    k = per["k"]
    kmax = int(k.max())
    top = per.loc[k == kmax, "analysis"].tolist()
    enough = int((k >= minimum).sum())
    return {f"{prefix}_analyses": len(per), f"{prefix}_k_max": kmax, f"{prefix}_k_max_n": len(top),
            f"{prefix}_k_max_which": words(top), f"{prefix}_k1": int((k == 1).sum()),
            f"{prefix}_k_le3": int((k <= 3).sum()), f"{prefix}_min": minimum,
            f"{prefix}_enough": enough, f"{prefix}_enough_words": "none" if enough == 0 else str(enough),
            f"{prefix}_short": max(minimum - kmax, 0)}


def funnel_figure(studies: pd.DataFrame, xlabel: str, compact: bool = False) -> Figure:
    """A funnel-style scatter of one analysis: each study's estimate (``theta``, the analysis
    scale) against its standard error (``se``, axis reversed, most precise at the top), labelled
    with ``study``; the pooled fixed-effect line and its pseudo 95% limits θ ± 1.96·SE are drawn
    only as a guide. ``studies``: columns ``study``, ``theta``, ``se`` (e.g. from
    ``AnalysisResult.result.studies``) and ``pooled`` (the pooled θ, one value repeated)."""
    for c in ("study", "theta", "se", "pooled"):
        if c not in studies.columns:
            raise ValueError(f"funnel_figure: missing column {c!r}")
    w, fs = (3.6, 9.5) if compact else (6.4, 10.5)
    fig = Figure(figsize=(w, 3.4 if compact else 3.8))
    ax = fig.add_subplot()
    se_max = float(studies["se"].max()) * 1.15
    mu = float(studies["pooled"].iloc[0])
    s = np.linspace(0, se_max, 50)
    ax.plot(mu - 1.96 * s, s, color="#888888", linestyle=(0, (3, 2)), linewidth=0.9)
    ax.plot(mu + 1.96 * s, s, color="#888888", linestyle=(0, (3, 2)), linewidth=0.9)
    ax.axvline(mu, color="#888888", linewidth=0.9)
    ax.scatter(studies["theta"], studies["se"], s=50, color="#0072B2", zorder=3)
    for _, r in studies.iterrows():
        ax.annotate(str(r["study"]), (r["theta"], r["se"]), xytext=(6, 0), textcoords="offset points",
                    va="center", fontsize=fs - 1)
    ax.set_ylim(se_max, 0)
    ax.set_xlabel(xlabel, fontsize=fs)
    ax.set_ylabel("standard error", fontsize=fs)
    ax.tick_params(labelsize=fs - 1)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    fig.tight_layout()
    return fig



def registry_labels(smap: pd.DataFrame, studies: pd.DataFrame,
                    review_id: str = "cochrane2025") -> pd.DataFrame:
    """The studies a review's rows name by a trial-registry id (a label matching
    :data:`REGISTRY_ID`: ClinicalTrials.gov, ISRCTN, Japan's UMIN/JPRN, ANZCTR, EU, ChiCTR, DRKS),
    as text cells: ``Label in the rows``, ``Trial`` (the book's label), ``Identity`` (confirmed,
    inferred or unidentified: ``review_study_map.identity``)."""
    m = smap[(smap["review_id"] == review_id)
             & smap["review_label"].astype(str).str.strip().str.fullmatch(REGISTRY_ID)]
    st = studies.set_index("study_id")["label"]
    return pd.DataFrame({"Label in the rows": m["review_label"].astype(str).tolist(),
                         "Trial": [str(st.get(s, s)) for s in m["study_id"]],
                         "Identity": m["identity"].astype(str).tolist()})
