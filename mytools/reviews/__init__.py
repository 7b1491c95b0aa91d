"""The three reviews compared: who included which trial, with which methods, and what changed.

Everything here reads the review-level tables of ``data/`` (``reviews``, ``review_studies``,
``sr2015_studies``, with ``studies`` for years and labels) through the object returned by
:func:`mytools.data.load_data`, and returns DataFrames or matplotlib Figures for the chapter
``chapters/reviews-compared.md``. No pooled statistic is computed here except through the engine
(:mod:`mytools.pooling`) in :func:`cumulative_meta`.

Vocabulary (one name per concept, as in the data):

* ``status`` of a review x study pair: ``included``, ``excluded``, ``not_yet_published``,
  ``unclear``; a pair with no row is ``not_listed``.
* ``identification``: ``named`` (the review names the trial), ``inferred``, ``possible``,
  ``unidentified`` (a trial the review counts but that nobody can name: placeholder study id).
* ``cell`` (the overlap-matrix category) combines both: ``included``, ``included_unidentified``,
  ``excluded``, ``not_yet_published``, ``unclear``, ``not_listed``.
"""
from __future__ import annotations

import re
import textwrap
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Rectangle

from ..present.plots import OKABE_ITO, PngFigure

__all__ = [
    "REVIEW_ORDER",
    "INTERVENTION_CLASSES",
    "CELL_STYLE",
    "review_labels",
    "search_year",
    "methods_table",
    "membership",
    "overlap_matrix",
    "reconcile_counts",
    "reconcile_table",
    "candidates_table",
    "classify_interventions",
    "study_interventions",
    "participants_by_intervention",
    "participants_table",
    "jadad_table",
    "ivig_accumulation",
    "cumulative_candidates",
    "cumulative_meta",
    "overlap_figure",
    "png",
    "jadad_figure",
    "ivig_figure",
    "cumulative_figure",
    "glue_values",
    "glue_all",
    "PUBLISHED_QUOTED",
    "COMPUTED_QUOTED",
]

#: Reviews in publication order (columns of every table and figure on the page).
REVIEW_ORDER: tuple[str, ...] = ("cochrane2012", "sr2015", "cochrane2025")

#: Okabe–Ito colours (Okabe & Ito 2008), the book's one palette.
_OI = OKABE_ITO

#: Overlap-matrix cell category -> (face colour, hatch, text colour, legend text).
CELL_STYLE: dict[str, tuple[str, str, str, str]] = {
    "included": (_OI["blue"], "", "white", "included (number = participants counted)"),
    "included_unidentified": (_OI["sky_blue"], "///", "black",
                              "included, but the trial cannot be identified"),
    "excluded": (_OI["vermillion"], "", "white", "excluded (reason shown)"),
    "not_yet_published": ("#DDDDDD", "", "black", "not yet published at the search date"),
    "unclear": (_OI["yellow"], "", "black", "unclear (see note in data)"),
    "not_listed": ("white", "", "black", "not listed by the review"),
}

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


def _load(data: Any | None) -> Any:
    """Return ``data`` or, when None, the validated dataset from :func:`mytools.data.load_data`."""
    if data is not None:
        return data
    from ..data import load_data  # local import: the data layer is optional for pure helpers

    return load_data()


def _is_blank(x: Any) -> bool:
    return x is None or (isinstance(x, float) and np.isnan(x)) or (isinstance(x, str) and not x.strip()) \
        or x is pd.NA or (not isinstance(x, str) and pd.isna(x))


def review_labels(data: Any | None = None) -> dict[str, str]:
    """``review_id -> short_label`` (e.g. ``'Cochrane 2012'``) in :data:`REVIEW_ORDER`."""
    data = _load(data)
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


def _format_search_date(s: str) -> str:
    months = ["January", "February", "March", "April", "May", "June", "July", "August",
              "September", "October", "November", "December"]
    parts = str(s).split("-")
    if len(parts) == 2:
        return f"{months[int(parts[1]) - 1]} {parts[0]}"
    return f"{int(parts[2])} {months[int(parts[1]) - 1]} {parts[0]}"


def methods_table(data: Any | None = None) -> pd.DataFrame:
    """Methods side by side: one row per aspect (column ``Aspect``), one column per review (text,
    from ``reviews``). The last two rows give the numbers of studies and participants *as
    published*.
    """
    data = _load(data)
    rv = data.reviews.set_index("review_id")
    labels = review_labels(data)
    out: dict[str, list[str]] = {}
    for rid in REVIEW_ORDER:
        r = rv.loc[rid]
        col = []
        for _, field in _METHOD_ROWS:
            v = r[field]
            if field == "search_date":
                v = _format_search_date(v)
            col.append("" if _is_blank(v) else str(v))
        assessed = "" if _is_blank(r["n_assessed"]) else (
            f"{int(r['n_assessed'])} assessed in full, {int(r['n_excluded'])} excluded; ")
        col.append(f"{assessed}{int(r['n_studies'])} included")
        col.append(f"{int(r['n_participants'])}")
        out[labels[rid]] = col
    index = [a for a, _ in _METHOD_ROWS] + ["Studies (as published)", "Participants (as published)"]
    return pd.DataFrame({"Aspect": index, **out})


def membership(data: Any | None = None) -> pd.DataFrame:
    """``review_studies`` joined with ``studies`` (label, year, record type) plus the ``cell`` category.

    Raises ``ValueError`` naming the pair when a row references a study missing from ``studies``.
    """
    data = _load(data)
    rs = data.review_studies.copy()
    st = data.studies.set_index("study_id")
    missing = sorted(set(rs["study_id"]) - set(st.index))
    if missing:
        raise ValueError(f"review_studies.csv: study_id {missing} not in studies.csv (column study_id)")
    rs["label"] = [str(st.at[s, "label"]) for s in rs["study_id"]]
    rs["year"] = [st.at[s, "year"] for s in rs["study_id"]]
    rs["year"] = pd.to_numeric(rs["year"], errors="coerce")
    rs["record_type"] = [str(st.at[s, "record_type"]) if "record_type" in st.columns else "trial"
                         for s in rs["study_id"]]
    cell = rs["status"].astype(str).copy()
    cell[(rs["status"] == "included") & (rs["identification"] == "unidentified")] = "included_unidentified"
    rs["cell"] = cell
    return rs


def _study_order(m: pd.DataFrame) -> list[str]:
    """Studies by year (timeline), placeholders (no year) last, ties by label."""
    first = m.drop_duplicates("study_id").copy()
    first["_noyear"] = first["year"].isna()
    first = first.sort_values(["_noyear", "year", "label"], kind="mergesort")
    return first["study_id"].tolist()


def overlap_matrix(data: Any | None = None) -> pd.DataFrame:
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


def reconcile_counts(data: Any | None = None) -> pd.DataFrame:
    """Do the studies we can name add up to what each review published?

    One row per review with: ``published_studies``, ``published_participants`` (``reviews``);
    ``identified_studies`` / ``identified_participants`` (included, named or inferred, with the
    participants counted per trial); ``possible_studies`` / ``possible_participants`` (status
    unclear but identification ``possible``, e.g. Fujisawa 2021 for 2025); ``unidentified_studies``
    (placeholders); ``unidentified_participants`` = published − identified − possible (derived, the
    only way their size is known); ``accounted_studies`` = identified + possible + unidentified,
    which must equal ``published_studies``.
    """
    data = _load(data)
    m = membership(data)
    rv = data.reviews.set_index("review_id")
    rows = []
    for rid in REVIEW_ORDER:
        r = m[m["review_id"] == rid]
        ident = r[(r["status"] == "included") & r["identification"].isin(["named", "inferred"])]
        unid = r[(r["status"] == "included") & (r["identification"] == "unidentified")]
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


def reconcile_table(data: Any | None = None) -> pd.DataFrame:
    """Display version of :func:`reconcile_counts`: one column per review, rows saying how the
    published numbers of studies and participants are made up (identified / possible /
    unidentified, the last sized only by subtraction)."""
    data = _load(data)
    c = reconcile_counts(data)
    labels = review_labels(data)

    def trials(k: int) -> str:
        return f"{k} {'study' if k == 1 else 'studies'}"

    out = {}
    for rid in REVIEW_ORDER:
        r = c.loc[rid]
        col = [
            f"{trials(int(r['published_studies']))}, {int(r['published_participants'])} participants",
            f"{trials(int(r['identified_studies']))}, {int(r['identified_participants'])} participants",
            (f"{trials(int(r['possible_studies']))}, {int(r['possible_participants'])} participants"
             if r["possible_studies"] else "\u2014"),
            (f"{trials(int(r['unidentified_studies']))}, {int(r['unidentified_participants'])} participants "
             "(by subtraction)" if r["unidentified_studies"] else "\u2014"),
            "yes" if r["accounted_studies"] == r["published_studies"] else "no",
        ]
        out[labels[rid]] = col
    idx = ["Published", "Identified (named or inferred)", "Possible, unconfirmed",
           "Counted by the review but unidentified", "Studies add up to the published number"]
    return pd.DataFrame({"Count": idx, **out})


def candidates_table(comparison_id: str = "ivig", data: Any | None = None) -> pd.DataFrame:
    """Display version of :func:`cumulative_candidates` (outcome, studies, qualifies, why not)."""
    c = cumulative_candidates(comparison_id, data=data)
    return pd.DataFrame({
        "Analysis": c["analysis_id"],
        "Outcome": c["outcome"],
        "Studies pooled by the review": ["\u2014" if v is None or pd.isna(v) else str(int(v)) for v in c["k_published"]],
        "Studies with per-study data": c["k_inputs"].astype(int).astype(str),
        "Cumulative analysis possible": ["yes" if q else "no" for q in c["qualifies"]],
        "Why not": c["why"],
    })


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
    text = " ".join("" if _is_blank(t) else str(t) for t in (intervention, comparator)).lower()
    found = [k for k, (_, rx) in INTERVENTION_CLASSES.items()
             if k not in ("steroid", "unidentified") and re.search(rx, text)]
    if not found and re.search(INTERVENTION_CLASSES["steroid"][1], text):
        found = ["steroid"]
    return found or ["unidentified"]


def study_interventions(data: Any | None = None) -> pd.Series:
    """``study_id -> list of intervention classes`` for every study in ``studies``.

    Uses a column ``intervention_class`` (``;``-separated class ids) when ``studies`` has one,
    otherwise :func:`classify_interventions` on ``intervention`` and ``comparator``.
    """
    data = _load(data)
    st = data.studies.set_index("study_id")
    if "intervention_class" in st.columns:
        out = {}
        for sid, v in st["intervention_class"].items():
            classes = [c.strip() for c in str(v).split(";") if c.strip()] if not _is_blank(v) else []
            bad = [c for c in classes if c not in INTERVENTION_CLASSES]
            if bad:
                raise ValueError(f"studies.csv: study {sid}, column intervention_class: unknown class {bad}; "
                                 f"expected some of {list(INTERVENTION_CLASSES)}")
            out[sid] = classes or classify_interventions(st.at[sid, "intervention"], st.at[sid, "comparator"])
        return pd.Series(out, name="classes")
    return pd.Series({sid: classify_interventions(st.at[sid, "intervention"], st.at[sid, "comparator"])
                      for sid in st.index}, name="classes")


def participants_by_intervention(data: Any | None = None) -> pd.DataFrame:
    """Long table: trials and participants per intervention class per review (included trials).

    Columns: ``review_id``, ``intervention`` (class id), ``trials``, ``participants`` (sum of the
    participants counted per trial, known sizes only), ``trials_size_unknown``. A trial that
    tested two classes (e.g. ciclosporin vs methotrexate) counts under both, so the rows of one
    review do not add up to its total.
    """
    data = _load(data)
    m = membership(data)
    classes = study_interventions(data)
    inc = m[m["status"] == "included"]
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


def participants_table(data: Any | None = None) -> pd.DataFrame:
    """Wide display version of :func:`participants_by_intervention`: text cells
    ``'k trials, n participants'`` (``'+ u of unknown size'`` when some sizes are unknown; ``'—'``
    when the review included no trial of that class), rows in :data:`INTERVENTION_CLASSES` order,
    the class label in the first column ``Intervention``.
    """
    data = _load(data)
    long = participants_by_intervention(data)
    labels = review_labels(data)
    table = pd.DataFrame(index=[v[0] for v in INTERVENTION_CLASSES.values()],
                         columns=[labels[r] for r in REVIEW_ORDER], data="\u2014")
    for _, row in long.iterrows():
        k, n, u = int(row["trials"]), int(row["participants"]), int(row["trials_size_unknown"])
        known = k - u
        if known and u:
            txt = f"{known} {'trial' if known == 1 else 'trials'}, {n} participants + {u} of unknown size"
        elif u:
            txt = f"{u} {'trial' if u == 1 else 'trials'} of unknown size"
        else:
            txt = f"{k} {'trial' if k == 1 else 'trials'}, {n} participants"
        table.loc[INTERVENTION_CLASSES[row["intervention"]][0], labels[row["review_id"]]] = txt
    table = table[(table != "\u2014").any(axis=1)]
    table.index.name = "Intervention"
    return table.reset_index()


def jadad_table(data: Any | None = None) -> pd.DataFrame:
    """The 2015 review's Table 1 quality scores: ``study_id``, ``label`` (as printed, with year),
    ``jadad``, ``included``, ``n`` (participants analysed, or Table 1 cases when excluded),
    ``exclusion_reason``, in year order."""
    data = _load(data)
    sr = data.sr2015_studies.copy()
    sr["label"] = sr["sr_label"].str.replace(r"\s*et al\.?$", "", regex=True).str.replace(
        r"^The ", "", regex=True) + " " + sr["sr_year"].astype(int).astype(str)
    sr["n"] = pd.to_numeric(sr["n_analysed"]).fillna(pd.to_numeric(sr["n_cases"])).astype(int)
    sr["included"] = sr["included"].astype(bool)
    out = sr.sort_values(["sr_year", "label"], kind="mergesort")[
        ["study_id", "label", "sr_year", "jadad", "included", "n", "exclusion_reason"]]
    return out.reset_index(drop=True)


def ivig_accumulation(data: Any | None = None) -> pd.DataFrame:
    """Randomised IVIg evidence over time: one row per IVIg trial in year order with
    ``n_randomised`` and ``cumulative_randomised`` (``studies``), and one column per review
    saying whether that review included the trial (``True``/``False``)."""
    data = _load(data)
    classes = study_interventions(data)
    st = data.studies.set_index("study_id")
    ids = [s for s in st.index if "ivig" in classes[s]]
    df = pd.DataFrame({
        "study_id": ids,
        "label": [st.at[s, "label"] for s in ids],
        "year": pd.to_numeric(pd.Series([st.at[s, "year"] for s in ids]), errors="coerce").to_numpy(),
        "n_randomised": pd.to_numeric(pd.Series([st.at[s, "n_randomised"] for s in ids])).to_numpy(),
    }).sort_values("year", kind="mergesort").reset_index(drop=True)
    df["cumulative_randomised"] = df["n_randomised"].cumsum()
    m = membership(data)
    for rid in REVIEW_ORDER:
        inc = set(m[(m["review_id"] == rid) & (m["status"] == "included")]["study_id"])
        df[rid] = df["study_id"].isin(inc)
    return df


# ----------------------------------------------------------------------------- cumulative MA

_REQUIRED = {
    "binary": ("events_t", "n_t", "events_c", "n_c"),
    "continuous": ("mean_t", "sd_t", "n_t", "mean_c", "sd_c", "n_c"),
    "generic": ("estimate", "se"),
}


def _input_kind(inputs: pd.DataFrame) -> str:
    if "estimate" in inputs.columns:
        return "generic"
    return "binary" if "events_t" in inputs.columns else "continuous"


def _usable(inputs: pd.DataFrame) -> pd.Series:
    """Per study (row of ``AnalysisResult.inputs``): does it carry every number the engine needs?"""
    if inputs is None or not len(inputs):
        return pd.Series([], dtype=bool)
    cols = _REQUIRED[_input_kind(inputs)]
    if any(c not in inputs.columns for c in cols):
        return pd.Series(False, index=inputs.index)
    return inputs[list(cols)].notna().all(axis=1)


def _pool_subset(spec: dict, inputs: pd.DataFrame) -> Any:
    """Pool a subset of an analysis' inputs with the registered method (the analyses layer's
    own dispatch, so the method is exactly the registry's)."""
    from ..analyses import pool_inputs

    return pool_inputs(spec, inputs.reset_index(drop=True))


def cumulative_candidates(comparison_id: str = "ivig", min_studies: int = 2,
                          data: Any | None = None) -> pd.DataFrame:
    """Registered analyses of one comparison and whether a cumulative meta-analysis is possible.

    One row per analysis of ``comparison_id`` with ``outcome``, ``k_published`` (studies in the
    published result), ``k_inputs`` (studies with every per-study number the engine needs),
    ``qualifies`` (all published studies have inputs and there are at least ``min_studies``)
    and ``why`` (the reason when it does not qualify).
    """
    from ..analyses import analysis

    data = _load(data)
    reg = data.analyses[data.analyses["comparison_id"] == comparison_id]
    rows = []
    for aid in reg["analysis_id"]:
        ar = analysis(aid, data)
        pub = ar.published or {}
        k_pub = pub.get("k")
        k_pub = None if _is_blank(k_pub) else int(k_pub)
        ok = _usable(ar.inputs)
        k_in = int(ok.sum())
        k_rows = len(ok)
        if k_rows > k_in:
            why = f"per-study data missing for {k_rows - k_in} of {k_rows} studies"
        elif k_pub is not None and k_in < k_pub:
            why = f"per-study data for {k_in} of the {k_pub} studies pooled by the review"
        elif k_in < min_studies:
            why = f"only {k_in} {'study' if k_in == 1 else 'studies'}: nothing to accumulate"
        else:
            why = ""
        rows.append({"analysis_id": aid, "review_id": ar.spec.get("review_id"),
                     "outcome": ar.spec.get("outcome"), "k_published": k_pub, "k_inputs": k_in,
                     "qualifies": why == "", "why": why})
    return pd.DataFrame(rows)


def cumulative_meta(analysis_id: str, data: Any | None = None) -> pd.DataFrame:
    """Cumulative meta-analysis by publication year of one registered analysis.

    Studies are added in the order of ``studies.year``; at each step the registered method
    (measure, MH/IV, fixed/random, as in the analysis registry) is re-run by the engine on the
    studies published so far. Raises ``ValueError`` when a study lacks inputs. Columns: ``year``,
    ``added`` (label of the study added, marked when its identity is inferred), ``k``,
    ``participants``, ``estimate``, ``ci_low``, ``ci_high``, ``provenance`` (of the added study's
    inputs), ``measure``.
    """
    from ..analyses import analysis

    data = _load(data)
    ar = analysis(analysis_id, data)
    inputs = ar.inputs
    ok = _usable(inputs)
    if not len(ok) or not ok.all():
        missing = [] if not len(ok) else inputs.loc[~ok, "study_id"].tolist()
        raise ValueError(f"analysis {analysis_id}: per-study inputs missing for {missing or 'all studies'}; "
                         "a cumulative meta-analysis needs every study's numbers")
    st = data.studies.set_index("study_id")
    f = inputs.copy()
    f["_year"] = [int(st.at[s, "year"]) for s in f["study_id"]]
    f = f.sort_values(["_year", "label"], kind="mergesort").reset_index(drop=True)
    rows = []
    for i in range(len(f)):
        sub = f.iloc[: i + 1].drop(columns="_year")
        res = _pool_subset(ar.spec, sub)
        if "n_t" in sub.columns:
            n = float((sub["n_t"].astype(float) + sub["n_c"].astype(float)).sum())
        elif "participants" in sub.columns:
            n = float(pd.to_numeric(sub["participants"]).sum())
        else:
            n = np.nan
        rows.append({"year": int(f.at[i, "_year"]), "added": str(f.at[i, "label"]), "k": i + 1,
                     "participants": n, "estimate": float(res.estimate),
                     "ci_low": float(res.ci_low), "ci_high": float(res.ci_high),
                     "provenance": str(f.at[i, "provenance"]), "measure": str(ar.spec.get("measure"))})
    return pd.DataFrame(rows)


# ----------------------------------------------------------------------------- figures

def _white(fig: Figure) -> Figure:
    fig.patch.set_facecolor("white")
    for ax in fig.axes:
        ax.set_facecolor("white")
    return fig


def png(figure: Figure, dpi: int = 120) -> PngFigure:
    """Wrap a Figure for display/glue as PNG (see :class:`mytools.plots.PngFigure`)."""
    return PngFigure(figure, dpi)


def overlap_figure(data: Any | None = None) -> Figure:
    """Trials x reviews overlap matrix, trials in year order so the figure reads as a timeline.

    Each cell is coloured by :data:`CELL_STYLE`; included cells show the participants counted
    (``?`` when unknown), excluded cells the short reason. A dashed line in each review's column
    marks its search date.
    """
    data = _load(data)
    mat = overlap_matrix(data)
    m = membership(data).set_index(["review_id", "study_id"])
    labels = review_labels(data)
    rv = data.reviews.set_index("review_id")
    nrow, ncol = len(mat), len(REVIEW_ORDER)
    height = 0.34 * nrow + 1.6
    fig = Figure(figsize=(9.0, height), dpi=110)
    ax = fig.add_axes((0.35, 0.9 / height, 0.63, 1 - 1.55 / height))
    for j, rid in enumerate(REVIEW_ORDER):
        for i, sid in enumerate(mat.index):
            cell = mat.at[sid, rid]
            face, hatch, tcol, _ = CELL_STYLE[cell]
            ax.add_patch(Rectangle((j + 0.03, i + 0.06), 0.94, 0.88, facecolor=face, hatch=hatch,
                                   edgecolor="#333333" if hatch else ("#888888" if cell in ("not_listed", "unclear") else face),
                                   linewidth=0.6))
            txt = ""
            if (rid, sid) in m.index:
                row = m.loc[(rid, sid)]
                n = row["n_analysed"]
                if cell in ("included", "included_unidentified"):
                    txt = "size unknown" if _is_blank(n) else f"{int(n)}"
                elif cell == "excluded":
                    txt = "\n".join(textwrap.wrap(str(row["reason"]), 28))
                elif cell == "unclear":
                    txt = f"possible ({int(n)})" if row["identification"] == "possible" and not _is_blank(n) else "?"
            if txt:
                ax.text(j + 0.5, i + 0.5, txt, ha="center", va="center", fontsize=6.6 if "\n" in txt else 7.5,
                        color=tcol if cell != "included_unidentified" else "black",
                        bbox=dict(facecolor="white", edgecolor="none", pad=0.5, alpha=0.85)
                        if cell == "included_unidentified" else None)
        # search date line: between the last trial published up to the search year and the next
        sy = search_year(rv.at[rid, "search_date"])
        years = pd.to_numeric(mat["year"]).astype("Float64").to_numpy(dtype=float, na_value=np.nan)
        pos = int(np.sum(years <= np.floor(sy)))  # rows whose year is at or before the search year
        ax.plot([j + 0.02, j + 0.98], [pos, pos], color=_OI["black"], linestyle=(0, (3, 2)), linewidth=1.4)
        ax.text(j + 0.05, pos, f"search {_format_search_date(rv.at[rid, 'search_date'])}",
                ha="left", va="center", fontsize=6.3, color=_OI["black"],
                bbox=dict(facecolor="white", edgecolor=_OI["black"], pad=1.0, linewidth=0.6))
    ax.set_xlim(0, ncol)
    ax.set_ylim(nrow, 0)
    ax.set_xticks(np.arange(ncol) + 0.5)
    ax.set_xticklabels([f"{labels[r]}\n({int(rv.at[r, 'n_studies'])} studies, "
                        f"{int(rv.at[r, 'n_participants'])} participants)" for r in REVIEW_ORDER], fontsize=8)
    ax.xaxis.tick_top()
    ax.set_yticks(np.arange(nrow) + 0.5)
    ax.set_yticklabels([str(v) for v in mat["label"]], fontsize=7.5)
    for i, sid in enumerate(mat.index):  # the year column that makes the matrix a timeline
        y = mat.at[sid, "year"]
        ax.text(-0.03, i + 0.5, "year ?" if pd.isna(y) else f"{int(y)}", ha="right", va="center",
                fontsize=7.5, fontweight="bold")
    ax.tick_params(axis="y", pad=34)
    ax.tick_params(length=0)
    for s in ax.spines.values():
        s.set_visible(False)
    handles = [Patch(facecolor=CELL_STYLE[c][0], hatch=CELL_STYLE[c][1],
                     edgecolor="#888888", label=CELL_STYLE[c][3]) for c in CELL_STYLE]
    fig.legend(handles=handles, loc="lower center", ncol=2, fontsize=7, frameon=False,
               bbox_to_anchor=(0.62, 0.0))
    return _white(fig)


def jadad_figure(data: Any | None = None) -> Figure:
    """The 2015 review's Jadad scores (0–5) per short-listed study, in year order; filled circles
    for the 11 analysed studies, open squares for the 3 excluded ones; participants as labels."""
    data = _load(data)
    t = jadad_table(data)
    fig = Figure(figsize=(7.0, 0.30 * len(t) + 1.3), dpi=110)
    ax = fig.add_axes((0.26, 0.16, 0.56, 0.74))
    y = np.arange(len(t))
    for i, row in t.iterrows():
        inc = bool(row["included"])
        col = _OI["blue"] if inc else _OI["vermillion"]
        ax.plot([0, row["jadad"]], [i, i], color="#BBBBBB", linewidth=1, zorder=1)
        ax.scatter([row["jadad"]], [i], s=60, marker="o" if inc else "s", zorder=3,
                   facecolor=col if inc else "white", edgecolor=col, linewidth=1.6)
        note = f"n = {int(row['n'])}" + ("" if inc else " (excluded)")
        ax.text(5.25, i, note, va="center", fontsize=7.5, color="black")
    ax.set_yticks(y)
    ax.set_yticklabels(t["label"], fontsize=8)
    ax.set_ylim(len(t) - 0.5, -0.5)
    ax.set_xlim(-0.2, 5.2)
    ax.set_xticks(range(6))
    ax.axvline(3, color=_OI["black"], linestyle=(0, (3, 2)), linewidth=0.9)
    ax.text(3.0, -0.75, "common cut-off: \u2265 3 = 'higher quality'", fontsize=6.8, ha="center", va="bottom")
    ax.set_xlabel("Jadad score (0 = lowest, 5 = highest)", fontsize=8)
    ax.tick_params(labelsize=8)
    for s in ("top", "right"):
        ax.spines[s].set_visible(False)
    handles = [Line2D([], [], marker="o", linestyle="none", markerfacecolor=_OI["blue"],
                      markeredgecolor=_OI["blue"], label="analysed by the 2015 review"),
               Line2D([], [], marker="s", linestyle="none", markerfacecolor="white",
                      markeredgecolor=_OI["vermillion"], markeredgewidth=1.6,
                      label="short-listed, excluded")]
    fig.legend(handles=handles, loc="lower center", ncol=2, fontsize=7.5, frameon=False)
    return _white(fig)


def ivig_figure(data: Any | None = None) -> Figure:
    """Randomised IVIg evidence over time: participants randomised in IVIg vs placebo trials,
    cumulated by publication year (``studies``), with each review's search date and the IVIg
    trials and participants that review included (``review_studies``)."""
    data = _load(data)
    acc = ivig_accumulation(data)
    rv = data.reviews.set_index("review_id")
    labels = review_labels(data)
    m = membership(data)
    fig = Figure(figsize=(7.0, 4.0), dpi=110)
    ax = fig.add_axes((0.1, 0.13, 0.86, 0.8))
    years = acc["year"].to_numpy(dtype=float)
    cum = acc["cumulative_randomised"].to_numpy(dtype=float)
    xs = np.concatenate([[years[0] - 2], years, [2026]])
    ys = np.concatenate([[0], cum, [cum[-1]]])
    ax.step(xs, ys, where="post", color=_OI["blue"], linewidth=2)
    for i, (yr, c, lab) in enumerate(zip(years, cum, acc["label"])):
        ax.scatter([yr], [c], color=_OI["blue"], zorder=3, s=25)
        first = i == 0
        ax.annotate(f"{lab}\n(total {int(c)})", (yr, c), textcoords="offset points",
                    xytext=(4, 6) if first else (-4, 6), ha="left" if first else "right", fontsize=7,
                    bbox=dict(facecolor="white", edgecolor="none", pad=0.8), zorder=4)
    colours = [_OI["orange"], _OI["bluish_green"], _OI["reddish_purple"]]
    styles = [(0, (4, 2)), (0, (1, 1.5)), (0, (6, 2, 1, 2))]
    top = cum[-1] * 1.3
    for k, rid in enumerate(REVIEW_ORDER):
        sy = search_year(rv.at[rid, "search_date"])
        inc = set(m[(m["review_id"] == rid) & (m["status"] == "included")]["study_id"])
        sel = acc[acc["study_id"].isin(inc)]
        ax.axvline(sy, color=colours[k], linestyle=styles[k], linewidth=1.6,
                   label=f"{labels[rid]} search ({_format_search_date(rv.at[rid, 'search_date'])}):\n"
                         f"included {len(sel)} IVIg {'trial' if len(sel) == 1 else 'trials'}, "
                         f"{int(sel['n_randomised'].sum())} participants")
    ax.legend(loc="upper left", bbox_to_anchor=(0.01, 0.99), fontsize=7, frameon=True,
              facecolor="white", edgecolor="none", framealpha=1.0, labelspacing=0.9)
    ax.set_xlim(years[0] - 3, 2026)
    ax.set_ylim(0, top)
    ax.set_xlabel("Year of publication", fontsize=8)
    ax.set_ylabel("Participants randomised, IVIg vs placebo\n(cumulative)", fontsize=8)
    ax.tick_params(labelsize=8)
    for sp in ("top", "right"):
        ax.spines[sp].set_visible(False)
    return _white(fig)


def cumulative_figure(cumulative: pd.DataFrame, title: str = "") -> Figure:
    """Plot a :func:`cumulative_meta` frame: the pooled estimate and 95% CI after each added
    study, one row per step (ratio measures on a log axis); a dagger marks steps whose added
    study has reconstructed inputs."""
    cm = cumulative.reset_index(drop=True)
    if not len(cm):
        raise ValueError("cumulative_figure: empty cumulative frame")
    ratio = str(cm["measure"].iloc[0]) in ("RR", "OR")
    height = 0.55 * len(cm) + 1.3
    fig = Figure(figsize=(7.0, height), dpi=110)
    ax = fig.add_axes((0.36, 0.75 / height, 0.38, 1 - 1.15 / height))
    yy = np.arange(len(cm))
    ax.hlines(yy, cm["ci_low"], cm["ci_high"], color=_OI["black"], linewidth=1.4)
    ax.scatter(cm["estimate"], yy, marker="D", color=_OI["vermillion"], zorder=3, s=40)
    labs = []
    dag = False
    for i, row in cm.iterrows():
        mark = "\u2020" if "reconstructed" in str(row["provenance"]) else ""
        dag = dag or bool(mark)
        ax.text(1.03, i, f"{row['estimate']:.2f} ({row['ci_low']:.2f} to {row['ci_high']:.2f})",
                transform=ax.get_yaxis_transform(), va="center", fontsize=7.5)
        labs.append(f"+ {row['added']}{mark}\n  up to {int(row['year'])}: k = {int(row['k'])}, "
                    f"{int(row['participants'])} participants")
    ax.set_yticks(yy)
    ax.set_yticklabels(labs, fontsize=7.5)
    ax.set_ylim(len(cm) - 0.5, -0.5)
    if ratio:
        ax.set_xscale("log")
        lo = min(cm["ci_low"].min(), 0.5)
        hi = max(cm["ci_high"].max(), 2)
        ticks = [t for t in (0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50) if lo * 0.8 <= t <= hi * 1.25]
        ax.set_xticks(ticks)
        ax.set_xticklabels([f"{t:g}" for t in ticks])
        ax.axvline(1, color="#888888", linewidth=0.8)
    else:
        ax.axvline(0, color="#888888", linewidth=0.8)
    ax.set_xlabel(f"Cumulative {cm['measure'].iloc[0]} (95% CI)", fontsize=8)
    ax.tick_params(labelsize=7.5)
    if title:
        ax.set_title(title, fontsize=8.5, loc="left")
    for sp in ("top", "right"):
        ax.spines[sp].set_visible(False)
    if dag:
        fig.text(0.02, 0.02, "\u2020 counts reconstructed from the review's published result (not read in a source)",
                 fontsize=7)
    return _white(fig)


# ----------------------------------------------------------------------------- glue

#: Short glue names of the reviews (``reviews_<short>_...``).
_SHORT = {"cochrane2012": "c2012", "sr2015": "sr2015", "cochrane2025": "c2025"}

#: Published results quoted on the page (``data/published_results.csv``).
PUBLISHED_QUOTED: tuple[str, ...] = (
    "r2012_ivig_strength", "ivig_disability", "ivig_strength", "ivig_tis20", "ivig_cdasi",
    "ivig_sae", "ivig_withdrawals", "aza_strength", "aza_steroid_dose", "mtx_function",
    "mtx_strength", "mtx_imacs", "mtx_printo", "mtx_sae", "mtx_withdrawals",
)

#: Extra analyses (outside the 2025 abstract) whose recomputed result the page quotes.
COMPUTED_QUOTED: tuple[str, ...] = ("csa_printo", "apheresis_pe", "apheresis_lp", "mtxaza_vs_ivmtx")


def glue_values(data: Any | None = None, cumulative_id: str = "ivig_sae") -> dict[str, Any]:
    """Every number the chapter's prose quotes, under unique ``reviews_...`` keys.

    * ``reviews_<r>_k`` / ``_n``: studies / participants as published (``r`` in c2012, sr2015,
      c2025); ``_identified_k`` / ``_identified_n``, ``_unidentified_k`` / ``_unidentified_n``,
      ``_possible_k`` / ``_possible_n``, ``_assessed``, ``_excluded`` (from :func:`reconcile_counts`
      and ``reviews``).
    * ``reviews_ivig_<r>_k`` / ``_n``: IVIg trials and participants each review included.
    * ``reviews_sr2015_oddis_table1`` / ``_table2``; ``reviews_sr2015_ibrahim_jadad`` (its Jadad
      score in Table 1); ``reviews_jadad_k``, ``reviews_jadad_high_k``
      (analysed studies scoring at least 3), ``reviews_jadad_excluded_k``.
    * ``reviews_pub_<analysis_id>_{est,lo,hi,k,n,certainty}`` for :data:`PUBLISHED_QUOTED`.
    * ``reviews_calc_<analysis_id>_{est,lo,hi,k}`` for :data:`COMPUTED_QUOTED` (this book's
      computation, no published counterpart).
    * ``reviews_cum_...``: the cumulative meta-analysis of ``cumulative_id`` (first and last step)
      and how many IVIg analyses qualify for one.
    """
    from ..analyses import analysis

    data = _load(data)
    out: dict[str, Any] = {}
    counts = reconcile_counts(data)
    rv = data.reviews.set_index("review_id")
    for rid, short in _SHORT.items():
        c = counts.loc[rid]
        out[f"reviews_{short}_k"] = int(c["published_studies"])
        out[f"reviews_{short}_n"] = int(c["published_participants"])
        for part in ("identified", "possible", "unidentified"):
            out[f"reviews_{short}_{part}_k"] = int(c[f"{part}_studies"])
            out[f"reviews_{short}_{part}_n"] = int(c[f"{part}_participants"])
        for col in ("n_assessed", "n_excluded"):
            v = rv.at[rid, col]
            if not _is_blank(v):
                out[f"reviews_{short}_{col[2:]}"] = int(v)
        out[f"reviews_{short}_search"] = _format_search_date(rv.at[rid, "search_date"])
    acc = ivig_accumulation(data)
    for rid, short in _SHORT.items():
        sel = acc[acc[rid]]
        out[f"reviews_ivig_{short}_k"] = int(len(sel))
        out[f"reviews_ivig_{short}_n"] = int(sel["n_randomised"].sum())
    sr = data.sr2015_studies.set_index("study_id")
    out["reviews_sr2015_oddis_table1"] = int(sr.at["Oddis2013", "n_cases"])
    out["reviews_sr2015_oddis_table2"] = int(sr.at["Oddis2013", "n_analysed"])
    out["reviews_sr2015_ibrahim_jadad"] = int(sr.at["Ibrahim2015", "jadad"])
    jt = jadad_table(data)
    inc = jt[jt["included"]]
    out["reviews_jadad_k"] = int(len(jt))
    out["reviews_jadad_included_k"] = int(len(inc))
    out["reviews_jadad_high_k"] = int((inc["jadad"] >= 3).sum())
    out["reviews_jadad_excluded_k"] = int((~jt["included"]).sum())
    pub = data.published_results.set_index("analysis_id")
    for aid in PUBLISHED_QUOTED:
        if aid not in pub.index:
            raise ValueError(f"published_results.csv: no row for analysis_id {aid!r} (quoted by reviews-compared)")
        r = pub.loc[aid]
        out[f"reviews_pub_{aid}_est"] = float(r["estimate"])
        out[f"reviews_pub_{aid}_lo"] = float(r["ci_low"])
        out[f"reviews_pub_{aid}_hi"] = float(r["ci_high"])
        out[f"reviews_pub_{aid}_k"] = int(r["k"])
        out[f"reviews_pub_{aid}_n"] = int(r["participants"])
        if not _is_blank(r["certainty"]):
            out[f"reviews_pub_{aid}_certainty"] = str(r["certainty"])
    for aid in COMPUTED_QUOTED:
        res = analysis(aid, data).result
        if res is None:
            raise ValueError(f"analysis {aid}: no computed result to quote")
        out[f"reviews_calc_{aid}_est"] = float(res.estimate)
        out[f"reviews_calc_{aid}_lo"] = float(res.ci_low)
        out[f"reviews_calc_{aid}_hi"] = float(res.ci_high)
        out[f"reviews_calc_{aid}_k"] = int(res.k)
    cands = cumulative_candidates("ivig", data=data)
    out["reviews_cum_ivig_analyses"] = int(len(cands))
    out["reviews_cum_ivig_qualify"] = int(cands["qualifies"].sum())
    cm = cumulative_meta(cumulative_id, data)
    for tag, row in (("first", cm.iloc[0]), ("last", cm.iloc[-1])):
        out[f"reviews_cum_{tag}_est"] = float(row["estimate"])
        out[f"reviews_cum_{tag}_lo"] = float(row["ci_low"])
        out[f"reviews_cum_{tag}_hi"] = float(row["ci_high"])
        out[f"reviews_cum_{tag}_year"] = int(row["year"])
        out[f"reviews_cum_{tag}_n"] = int(row["participants"])
        out[f"reviews_cum_{tag}_k"] = int(row["k"])
    return out


def glue_all(glue: Any, data: Any | None = None) -> dict[str, Any]:
    """Glue every value of :func:`glue_values` (``display=False``) and return them."""
    values = glue_values(data)
    for key, value in values.items():
        glue(key, value, display=False)
    return values
