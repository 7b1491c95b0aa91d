"""Every number the reviews-compared chapter quotes, under ``reviews_...`` glue keys."""
from __future__ import annotations

import re
from typing import Any, Callable

import pandas as pd

from ..analyses import analysis
from ..data import Dataset
from ..present.phrases import signed
from ..present.grade import plain_language
from .cumulative import CUMULATIVE_EXAMPLE, cumulative_candidates, cumulative_meta
from .interventions import ivig_accumulation
from .membership import format_search_date, is_blank, jadad_table, reconcile_counts

#: Short glue names of the reviews (``reviews_<short>_...``).
SHORT = {"cochrane2012": "c2012", "sr2015": "sr2015", "cochrane2025": "c2025"}

#: Published results quoted on the page (``data/published_results.csv``).
PUBLISHED_QUOTED: tuple[str, ...] = (
    "r2012_ivig_strength", "ivig_disability", "ivig_strength", "ivig_tis20", "ivig_cdasi",
    "ivig_sae", "ivig_withdrawals", "aza_strength", "aza_steroid_dose", "mtx_function",
    "mtx_strength", "mtx_imacs", "mtx_printo", "mtx_sae", "mtx_withdrawals",
)

#: Results whose GRADE statement (Santesso et al. 2020 wording, computed) the page quotes, with the
#: intervention and outcome phrase used when the registry does not carry them.
STATEMENTS: dict[str, tuple[str, str]] = {
    "aza_strength": ("azathioprine", "improvement in muscle strength"),
    "mtx_imacs": ("methotrexate", "improvement by the IMACS definition in adults"),
}

#: Extra analyses (outside the 2025 abstract) whose recomputed result the page quotes.
COMPUTED_QUOTED: tuple[str, ...] = ("csa_printo", "apheresis_pe", "apheresis_lp", "mtxaza_vs_ivmtx")


def _counts(data: Dataset) -> dict[str, Any]:
    out: dict[str, Any] = {}
    counts = reconcile_counts(data)
    rv = data.reviews.set_index("review_id")
    acc = ivig_accumulation(data)
    for rid, short in SHORT.items():
        c = counts.loc[rid]
        out[f"reviews_{short}_k"] = int(c["published_studies"])
        out[f"reviews_{short}_n"] = int(c["published_participants"])
        for part in ("identified", "possible", "unidentified"):
            out[f"reviews_{short}_{part}_k"] = int(c[f"{part}_studies"])
            out[f"reviews_{short}_{part}_n"] = int(c[f"{part}_participants"])
        for col in ("n_assessed", "n_excluded"):
            if not is_blank(rv.at[rid, col]):
                out[f"reviews_{short}_{col[2:]}"] = int(rv.at[rid, col])
        out[f"reviews_{short}_search"] = format_search_date(rv.at[rid, "search_date"])
        sel = acc[acc[rid]]
        out[f"reviews_ivig_{short}_k"] = int(len(sel))
        out[f"reviews_ivig_{short}_n"] = int(sel["n_randomised"].sum())
    rows = data.review("cochrane2025").rows
    reg = data.analyses
    groups = reg.loc[(reg["review_id"] == "cochrane2025") & (reg["comparison_id"] == "ivig"), "comparison_no"]
    ivig_rows = rows[rows["group"].isin(pd.to_numeric(groups).dropna().astype(int))]
    out["reviews_ivig_c2025_rows_k"] = int(ivig_rows["study"].nunique())
    rs = data.review_studies.set_index(["review_id", "study_id"])
    out["reviews_c2025_isrctn_n"] = int(rs.at[("cochrane2025", "ISRCTN87782942"), "n_analysed"])
    return out


def _arm_shares(arms: str, stopped: str) -> dict[str, float]:
    """Per arm, the share that stopped: ``"MTX: 12; PBO: 15"`` and ``"MTX: 3 lost, 1 toxicity; PBO:
    2 lost"`` -> ``{"MTX": 4/12, "PBO": 2/15}`` (every count in an arm's text is one person).

    >>> _arm_shares("A: 10; B: 5", "A: 1 lost, 2 toxicity; B: 1 other")
    {'A': 0.3, 'B': 0.2}
    """
    sizes = {a.split(":")[0].strip(): int(a.split(":")[1]) for a in arms.split(";")}
    out = {}
    for part in stopped.split(";"):
        arm, text = part.split(":", 1)
        out[arm.strip()] = sum(int(x) for x in re.findall(r"\d+", text)) / sizes[arm.strip()]
    return out


def _sr2015(data: Dataset) -> dict[str, Any]:
    sr = data.sr2015_studies.set_index("study_id")
    jt = jadad_table(data)
    inc = jt[jt["included"]]
    shares = _arm_shares(sr.at["Ibrahim2015", "arms"], sr.at["Ibrahim2015", "withdrawals"])
    return {
        "reviews_sr2015_oddis_table1": int(sr.at["Oddis2013", "n_cases"]),
        "reviews_sr2015_oddis_table2": int(sr.at["Oddis2013", "n_analysed"]),
        "reviews_sr2015_ibrahim_jadad": int(sr.at["Ibrahim2015", "jadad"]),
        "reviews_sr2015_ibrahim_stopped_min": 100 * min(shares.values()),
        "reviews_sr2015_ibrahim_stopped_max": 100 * max(shares.values()),
        "reviews_jadad_k": int(len(jt)),
        "reviews_jadad_included_k": int(len(inc)),
        "reviews_jadad_high_k": int((inc["jadad"] >= 3).sum()),
        "reviews_jadad_excluded_k": int((~jt["included"]).sum()),
    }


def _results(data: Dataset) -> dict[str, Any]:
    out: dict[str, Any] = {}
    pub = data.published_results.set_index("analysis_id")
    for aid in PUBLISHED_QUOTED:
        if aid not in pub.index:
            raise ValueError(f"published_results.csv: no row for analysis_id {aid!r} (quoted by reviews-compared)")
        r = pub.loc[aid]
        for key, col in (("est", "estimate"), ("lo", "ci_low"), ("hi", "ci_high")):
            out[f"reviews_pub_{aid}_{key}"] = float(r[col])
            out[f"reviews_pub_{aid}_{key}_t"] = signed(float(r[col]))
        out[f"reviews_pub_{aid}_k"] = int(r["k"])
        out[f"reviews_pub_{aid}_n"] = int(r["participants"])
        if not is_blank(r["certainty"]):
            out[f"reviews_pub_{aid}_certainty"] = str(r["certainty"])
        if aid in STATEMENTS:
            who, what = _phrases(data, aid)
            out[f"reviews_pub_{aid}_statement"] = plain_language(
                who, what, str(r["certainty"]), float(r["estimate"]), float(r["ci_low"]), float(r["ci_high"]))
    for aid in COMPUTED_QUOTED:
        res = analysis(aid, data).result
        if res is None:
            raise ValueError(f"analysis {aid}: no computed result to quote")
        for key, val in (("est", res.estimate), ("lo", res.ci_low), ("hi", res.ci_high)):
            out[f"reviews_calc_{aid}_{key}"] = float(val)
            out[f"reviews_calc_{aid}_{key}_t"] = signed(float(val))
        out[f"reviews_calc_{aid}_k"] = int(res.k)
    return out


def _phrases(data: Dataset, aid: str) -> tuple[str, str]:
    """Intervention and outcome phrase of a result: the registry's when it has them."""
    reg = data.analyses.set_index("analysis_id")
    who, what = STATEMENTS[aid]
    if aid in reg.index:
        for col in ("intervention",):
            if col in reg.columns and not is_blank(reg.at[aid, col]):
                who = str(reg.at[aid, col])
        if "sof_statement_outcome" in reg.columns and not is_blank(reg.at[aid, "sof_statement_outcome"]):
            what = str(reg.at[aid, "sof_statement_outcome"])
    return who, what


def _cumulative(data: Dataset, cumulative_id: str) -> dict[str, Any]:
    cands = cumulative_candidates(data, "ivig")
    out: dict[str, Any] = {"reviews_cum_ivig_analyses": int(len(cands)),
                           "reviews_cum_ivig_qualify": int(cands["qualifies"].sum())}
    cm = cumulative_meta(data, cumulative_id)
    for tag, row in (("first", cm.iloc[0]), ("last", cm.iloc[-1])):
        for key, col, cast in (("est", "estimate", float), ("lo", "ci_low", float), ("hi", "ci_high", float),
                               ("year", "year", int), ("n", "participants", int), ("k", "k", int)):
            out[f"reviews_cum_{tag}_{key}"] = cast(row[col])
    return out


def glue_values(data: Dataset, cumulative_id: str = CUMULATIVE_EXAMPLE) -> dict[str, Any]:
    """Every number the chapter's prose quotes, under unique ``reviews_...`` keys.

    * ``reviews_<r>_k`` / ``_n``: studies / participants as published (``r`` in c2012, sr2015,
      c2025); ``_identified_k`` / ``_identified_n``, ``_unidentified_k`` / ``_unidentified_n``,
      ``_possible_k`` / ``_possible_n``, ``_assessed``, ``_excluded``, ``_search`` (the search date
      in words); ``reviews_ivig_<r>_k`` / ``_n``: IVIg trials and participants each review included.
    * ``reviews_sr2015_oddis_table1`` / ``_table2``; ``reviews_sr2015_ibrahim_jadad``;
      ``reviews_jadad_k``, ``_included_k``, ``_high_k`` (analysed, score ≥ 3), ``_excluded_k``.
    * ``reviews_pub_<analysis_id>_{est,lo,hi,k,n,certainty}`` for :data:`PUBLISHED_QUOTED`;
      ``reviews_calc_<analysis_id>_{est,lo,hi,k}`` for :data:`COMPUTED_QUOTED`.
    * ``reviews_cum_...``: the cumulative meta-analysis of ``cumulative_id`` (first and last step)
      and how many IVIg analyses qualify for one.
    """
    return {**_counts(data), **_sr2015(data), **_results(data), **_cumulative(data, cumulative_id)}


def glue_all(data: Dataset, glue: Callable[..., Any]) -> dict[str, Any]:
    """Glue every value of :func:`glue_values` (``display=False``) and return them."""
    values = glue_values(data)
    for key, value in values.items():
        glue(key, value, display=False)
    return values
