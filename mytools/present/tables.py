"""Tables for the chapters: RevMan-style study data, recomputed-vs-published, SoF, sensitivity,
included studies, outcome measures and the evidence-map frame.

Every function returns a :class:`pandas.DataFrame` (text cells already formatted the way the
book prints them); :func:`to_html` turns one into plain, accessible HTML. Nothing here computes
statistics: pooled numbers come from ``mytools.analyses``, absolute effects from ``mytools.grade``.
"""
from __future__ import annotations

import math
from typing import Any, Iterable, Mapping, Sequence

import pandas as pd

from . import grade

__all__ = [
    "OUTCOME_MEASURES",
    "STATUS_WORDS",
    "OUTCOME_GROUPS",
    "fmt_ci",
    "outcome_group",
    "study_table",
    "comparison_table",
    "sof_table",
    "sensitivity_table",
    "included_studies_table",
    "outcome_measures_table",
    "evidence_map_frame",
    "known_facts_table",
    "to_html",
    "SOF_WORDING",
    "glue_values",
    "glue_analysis",
    "chapter_analyses",
    "show",
    "glue_sensitivity",
    "sensitivity_glue_values",
    "glue_chapter",
    "glue_dict",
    "review_glue_values",
    "evidence_frame_2025",
]

#: What each reproduction status means, in words for the reader.
STATUS_WORDS: dict[str, str] = {
    "reproduced": "reproduced: recomputed from study-level inputs, equal to the published result "
    "at its published precision",
    "approximate": "approximately reproduced: recomputed from inputs that are partly "
    "approximated; close to, but not exactly, the published result",
    "restated": "restated, not reproduced: the only input is the review's own single-study "
    "estimate and CI, so the book can only repeat it",
    "not_reproducible": "not reproducible: the study-level numbers the review pooled are not "
    "available in any readable source",
    "not_compared": "outside the review's abstract: computed here from trial data, with no "
    "published pooled result to compare",
}

#: Outcome measures the reviews use: scale, direction, and where the description comes from.
OUTCOME_MEASURES: list[dict[str, str]] = [
    {"measure": "HAQ-DI (Health Assessment Questionnaire Disability Index)",
     "what": "self-reported disability in daily activities", "scale": "0 to 3",
     "better": "lower", "source": "Bruce & Fries 2003"},
    {"measure": "MMT-8 (Manual Muscle Testing of 8 muscle groups)",
     "what": "muscle strength, examiner-graded", "scale": "0 to 80 (0 to 150 bilateral)",
     "better": "higher", "source": "Rider et al. 2010; 2025 review abstract"},
    {"measure": "IMACS definition of improvement (DOI)",
     "what": "responder: at least 3 of 6 core-set measures improve by 20% or more, at most 2 "
     "worsen by 25% or more (MMT not among them)", "scale": "yes / no",
     "better": "yes", "source": "Rider et al. 2004"},
    {"measure": "ACR/EULAR total improvement score (TIS)",
     "what": "weighted sum of improvement in 6 core-set measures; thresholds 20 (minimal), "
     "40 (moderate), 60 (major)", "scale": "0 to 100", "better": "higher",
     "source": "Aggarwal et al. 2017"},
    {"measure": "PRINTO definition of improvement (juvenile DM)",
     "what": "responder: at least 20% improvement in 3 of 6 core-set measures, at most 1 "
     "worsening by more than 30% (not muscle strength)", "scale": "yes / no",
     "better": "yes", "source": "Ruperto et al. 2010"},
    {"measure": "CDASI activity (Cutaneous DM Disease Area and Severity Index)",
     "what": "skin disease activity", "scale": "0 to 100", "better": "lower",
     "source": "2025 review abstract"},
    {"measure": "ALS-FRS (Amyotrophic Lateral Sclerosis Functional Rating Scale)",
     "what": "physical function (used by the methotrexate trial)", "scale": "0 to 40",
     "better": "higher", "source": "2025 review abstract"},
]

#: SoF wording per analysis: (outcome in the table, outcome in the sentence, verbs above/below null).
SOF_WORDING: dict[str, tuple[str, str, tuple[str, str]]] = {
    "ivig_disability": ("Disability / function (SMD; higher = better)", "disability",
                        ("improves", "worsens")),
    "ivig_strength": ("Muscle strength (SMD; higher = better)", "muscle strength",
                      ("improves", "worsens")),
    "ivig_tis20": ("ACR/EULAR response (TIS ≥ 20)", "the chance of an ACR/EULAR response",
                   ("increases", "reduces")),
    "ivig_cdasi": ("Skin activity, CDASI (0–100; lower = better)", "skin disease activity",
                   ("increases", "reduces")),
    "ivig_sae": ("Serious adverse events", "serious adverse events", ("increases", "reduces")),
    "ivig_withdrawals": ("Withdrawals (lack of benefit or adverse events)", "withdrawals",
                         ("increases", "reduces")),
    "aza_strength": ("Improvement in muscle strength", "the chance of improved muscle strength",
                     ("increases", "reduces")),
    "aza_steroid_dose": ("Cumulative steroid dose (mg/kg)", "the cumulative steroid dose",
                         ("increases", "reduces")),
    "mtx_function": ("Function, ALS-FRS (0–40; higher = better)", "function",
                     ("improves", "worsens")),
    "mtx_strength": ("Muscle strength, MMT (0–80; higher = better)", "muscle strength",
                     ("improves", "worsens")),
    "mtx_imacs": ("IMACS definition of improvement", "the chance of an IMACS improvement",
                  ("increases", "reduces")),
    "mtx_printo": ("PRINTO improvement (new-onset jDM)", "the chance of a PRINTO improvement",
                   ("increases", "reduces")),
    "mtx_sae": ("Serious adverse events", "serious adverse events", ("increases", "reduces")),
    "mtx_withdrawals": ("Withdrawals (lack of benefit or adverse events)", "withdrawals",
                        ("increases", "reduces")),
}

#: Intervention named in the SoF statements, by the comparison prefix of the analysis id.
SOF_INTERVENTION: dict[str, str] = {"ivig": "IVIg", "aza": "azathioprine", "mtx": "methotrexate"}

#: Evidence-map columns, keyed by the outcome part of an analysis id.
OUTCOME_GROUPS: dict[str, str] = {
    "disability": "Disability / function",
    "function": "Disability / function",
    "strength": "Muscle strength",
    "tis20": "Composite response",
    "imacs": "Composite response",
    "printo": "Composite response",
    "cdasi": "Skin activity (CDASI)",
    "steroid_dose": "Steroid dose",
    "sae": "Serious adverse events",
    "withdrawals": "Withdrawals",
}


def _get(obj: Any, name: str, default: Any = None) -> Any:
    if isinstance(obj, Mapping):
        return obj.get(name, default)
    return getattr(obj, name, default)


def _missing(x: Any) -> bool:
    if x is None:
        return True
    try:
        return bool(pd.isna(x))
    except (TypeError, ValueError):
        return False


def _num(x: Any, digits: int = 2) -> str:
    if _missing(x):
        return "not available"
    return f"{float(x):.{digits}f}".replace("-", "\u2212")


def fmt_ci(est: Any, lo: Any, hi: Any, digits: int = 2) -> str:
    """``1.80 (1.26 to 2.56)`` (Cochrane style; minus signs typographic); unknown -> 'not available'."""
    if _missing(est):
        return "not available"
    return f"{_num(est, digits)} ({_num(lo, digits)} to {_num(hi, digits)})"


def outcome_group(analysis_id: str) -> str:
    """Evidence-map column for an analysis id (``ivig_tis20`` -> 'Composite response')."""
    suffix = analysis_id.split("_", 1)[1] if "_" in analysis_id else analysis_id
    if suffix not in OUTCOME_GROUPS:
        raise ValueError(f"outcome_group: no outcome group for analysis id {analysis_id!r}")
    return OUTCOME_GROUPS[suffix]


# ---------------------------------------------------------------------------------------------
def study_table(ar: Any) -> pd.DataFrame:
    """RevMan-style per-study table of one analysis: arm data, weight, estimate (95% CI), provenance."""
    res = _get(ar, "result")
    if res is None:
        raise ValueError(f"study_table: analysis {_get(ar, 'id')!r} has no pooled result")
    st = res.studies
    spec = dict(_get(ar, "spec") or {})
    li, lc = spec.get("label_intervention", "Intervention"), spec.get("label_control", "Control")
    from .plots import provenance_flags

    flags = provenance_flags(ar)
    out = pd.DataFrame({"Study": st["label"]})
    if {"events_t", "n_t"} <= set(st.columns):
        out[f"{li} events/total"] = [f"{int(e)}/{int(n)}" for e, n in zip(st["events_t"], st["n_t"])]
        out[f"{lc} events/total"] = [f"{int(e)}/{int(n)}" for e, n in zip(st["events_c"], st["n_c"])]
    elif {"mean_t", "sd_t", "n_t"} <= set(st.columns):
        for arm, lab in (("t", li), ("c", lc)):
            out[f"{lab} mean (SD), n"] = [
                f"{_num(m)} ({_num(s)}), {int(n)}"
                for m, s, n in zip(st[f"mean_{arm}"], st[f"sd_{arm}"], st[f"n_{arm}"])]
    out["Weight"] = [f"{w:.1f}%" if not _missing(w) else "" for w in st["weight_percent"]]
    est_ok = st["estimable"] if "estimable" in st else st["estimate"].notna()
    out[f"{res.measure} (95% CI)"] = [
        fmt_ci(e, lo, hi) if ok else "Not estimable"
        for e, lo, hi, ok in zip(st["estimate"], st["ci_low"], st["ci_high"], est_ok)]
    out["Inputs"] = [", ".join(flags.get(lab, [])) or "reported" for lab in st["label"]]
    return out


def comparison_table(ars: Iterable[Any], reasons: bool = False) -> pd.DataFrame:
    """Published versus recomputed, one row per analysis, with the status in words.

    Outcome names are the short SoF wording where there is one; ``reasons=True`` adds the
    one-sentence reason from ``mytools.analyses``.
    """
    rows = []
    for ar in ars:
        spec = dict(_get(ar, "spec") or {})
        pub = _get(ar, "published") or {}
        res = _get(ar, "result")
        status = str(_get(ar, "status", ""))
        no = spec.get("abstract_no")
        rows.append({
            "#": "" if _missing(no) else int(no),
            "Outcome": (SOF_WORDING[_get(ar, "id")][0] if _get(ar, "id") in SOF_WORDING
                        else spec.get("outcome", _get(ar, "id"))),
            "Measure": pub.get("measure") or spec.get("measure"),
            "Published (95% CI)": fmt_ci(pub.get("estimate"), pub.get("ci_low"), pub.get("ci_high")),
            "Recomputed (95% CI)": (fmt_ci(res.estimate, res.ci_low, res.ci_high)
                                    if res is not None and status != "not_reproducible"
                                    else "not recomputable"),
            "Studies / participants": (f"{int(pub['k'])} / {int(pub['participants'])}"
                                       if not _missing(pub.get("k")) and not _missing(pub.get("participants"))
                                       else "not available"),
            "Status": STATUS_WORDS.get(status, status).split(":")[0],
            "Why": _get(ar, "reason", ""),
        })
    df = pd.DataFrame(rows)
    return df if reasons else df.drop(columns="Why")


def sof_table(ars: Iterable[Any], outcomes: Mapping[str, str] | None = None,
              statement_outcomes: Mapping[str, str] | None = None) -> pd.DataFrame:
    """Summary-of-findings table (GRADE) from published results and control-arm risks.

    ``outcomes`` maps an analysis id to the outcome wording of the table; ``statement_outcomes``
    to the wording inside the plain-language sentence (see :func:`mytools.grade.plain_language`).
    """
    outcomes = outcomes or {}
    statement_outcomes = statement_outcomes or {}
    rows, capped = [], False
    for ar in ars:
        aid = _get(ar, "id")
        words = SOF_WORDING.get(aid)
        r = grade.sof_row(
            ar, intervention=SOF_INTERVENTION.get(str(aid).split("_")[0]),
            outcome=outcomes.get(aid, words[0] if words else None),
            statement_outcome=statement_outcomes.get(aid, words[1] if words else None),
            verbs=words[2] if words else ("increases", "reduces"))
        capped = capped or r["capped"]
        ratio = str(r["measure"]).upper() in {"RR", "OR"}
        rows.append({
            "Outcome": r["outcome"],
            "Relative effect (95% CI)": r["relative"] or "\u2014",
            "Risk with control (per 1000)": (r["assumed_per_1000"] if r["assumed_per_1000"] is not None
                                             else ("not available" if ratio else "\u2014")),
            "Risk with intervention (per 1000, 95% CI)": (
                (r["corresponding_per_1000"] + ("*" if r["capped"] else ""))
                if r["corresponding_per_1000"] else ("not available" if ratio else "\u2014")),
            "Absolute / mean difference (95% CI)": ("\u2014" if ratio else r["absolute"]),
            "Participants (studies)": (f"{int(r['participants'])} ({int(r['k'])})"
                                       if not _missing(r["participants"]) and not _missing(r["k"])
                                       else "not available"),
            "Certainty (GRADE, as published)": grade.certainty_symbols(r["certainty"]),
            "What it means": r["statement"] or "",
        })
    df = pd.DataFrame(rows)
    df.attrs["capped"] = capped
    return df


def sensitivity_table(frame: pd.DataFrame, measure: str | None = None) -> pd.DataFrame:
    """Format ``mytools.analyses.sensitivity(id)`` for the page (one row per variant)."""
    out = pd.DataFrame({
        "Variant": frame["variant"],
        "Estimate (95% CI)": [fmt_ci(e, lo, hi) if not _missing(e) else "not estimable"
                              for e, lo, hi in
                              zip(frame["estimate"], frame["ci_low"], frame["ci_high"])],
        "Studies": [("" if _missing(k) else int(k)) for k in frame["k"]],
        "Tau\u00b2": [_num(t, 3) if not _missing(t) else "\u2014" for t in frame["tau2"]],
        "I\u00b2": [f"{float(i):.0f}%" if not _missing(i) else "\u2014" for i in frame["i2"]],
        "Note": frame["note"].fillna("") if "note" in frame else "",
    })
    return out


def included_studies_table(data: Any = None, review_id: str = "cochrane2025",
                           statuses: Sequence[str] = ("included", "unclear")) -> pd.DataFrame:
    """The studies a review includes (from ``data/``), with design, participants and comparison."""
    if data is None:
        from ..data import load_data

        data = load_data()
    rs = data.review_studies
    rs = rs[(rs["review_id"] == review_id) & (rs["status"].isin(statuses))]
    st = data.studies.set_index("study_id")
    rows = []
    for _, r in rs.iterrows():
        s = st.loc[r["study_id"]] if r["study_id"] in st.index else None
        def g(col: str) -> Any:
            return None if s is None or col not in s.index or _missing(s[col]) else s[col]
        n = g("n_randomised")
        rows.append({
            "Study": g("label") or r["study_id"],
            "Design": str(g("design") or "unknown").replace("_", " "),
            "Population": g("population") or "not known",
            "Randomised": int(float(n)) if n is not None and str(n).replace(".", "", 1).isdigit() else "not known",
            "Intervention": g("intervention") or "not known",
            "Comparator": g("comparator") or "not known",
            "In the 2025 review": "included" if r["status"] == "included" else "inclusion unconfirmed",
        })
    return pd.DataFrame(rows)


def outcome_measures_table() -> pd.DataFrame:
    """The outcome measures the reviews use, with their scales and which direction is better."""
    df = pd.DataFrame(OUTCOME_MEASURES)
    return df.rename(columns={"measure": "Measure", "what": "What it measures", "scale": "Scale",
                              "better": "Better is", "source": "Source"})


def evidence_map_frame(published: pd.DataFrame, statuses: Mapping[str, str],
                       comparison_names: Mapping[str, str] | None = None) -> pd.DataFrame:
    """Frame for :func:`mytools.plots.evidence_map` from the 2025 published results.

    ``published`` needs ``analysis_id``, ``abstract_no``, ``participants``, ``certainty``;
    ``statuses`` maps analysis id to reproduction status (``not_reproducible`` -> open marker).
    """
    names = comparison_names or {"ivig": "IVIg vs placebo", "aza": "Azathioprine vs placebo",
                                 "mtx": "Methotrexate vs placebo"}
    df = published.copy()
    df = df[df["abstract_no"].notna()]
    df["comparison"] = [names.get(a.split("_")[0], a.split("_")[0]) for a in df["analysis_id"]]
    df["outcome_group"] = [outcome_group(a) for a in df["analysis_id"]]
    df["status"] = [statuses.get(a, "not_reproducible") for a in df["analysis_id"]]
    df["recomputable"] = df["status"].isin(["reproduced", "approximate"])
    order = list(dict.fromkeys(OUTCOME_GROUPS.values()))
    df["_o"] = [order.index(g) for g in df["outcome_group"]]
    df = df.sort_values(["_o", "abstract_no"], kind="stable")
    df.attrs["outcomes"] = [g for g in order if g in set(df["outcome_group"])]
    df.attrs["comparisons"] = [c for c in names.values() if c in set(df["comparison"])]
    out = df[["analysis_id", "abstract_no", "comparison", "outcome_group", "participants",
              "certainty", "status", "recomputable"]].reset_index(drop=True)
    out.attrs = dict(df.attrs)
    return out


def known_facts_table(ar: Any) -> pd.DataFrame:
    """What is known about a result that cannot be recomputed: published numbers and what is missing."""
    spec = dict(_get(ar, "spec") or {})
    pub = _get(ar, "published") or {}
    inputs = _get(ar, "inputs")
    rows = [
        ("Published estimate (95% CI)", f"{pub.get('measure', spec.get('measure'))} "
         + fmt_ci(pub.get("estimate"), pub.get("ci_low"), pub.get("ci_high"))),
        ("Studies", "not available" if _missing(pub.get("k")) else str(int(pub["k"]))),
        ("Participants", "not available" if _missing(pub.get("participants")) else str(int(pub["participants"]))),
        ("Certainty (GRADE)", grade.certainty_symbols(pub.get("certainty", ""))),
    ]
    if inputs is not None and len(inputs):
        key = "label" if "label" in inputs else "study_id"
        ids = list(dict.fromkeys(inputs[key])) if key in inputs else []
        if ids:
            rows.append(("Studies in the book's data", ", ".join(map(str, ids))))
        if "provenance" in inputs and key in inputs:
            na = inputs[inputs["provenance"] == "not_available"]
            ok = inputs[inputs["provenance"] != "not_available"]
            if len(na):
                rows.append(("Study-level numbers not available for",
                             ", ".join(dict.fromkeys(str(s) for s in na[key]))))
            if len(ok):
                rows.append(("Study-level numbers known for",
                             ", ".join(dict.fromkeys(str(s) for s in ok[key]))
                             + " (not enough to recompute the pooled result)"))
    rows.append(("Why it cannot be recomputed", _get(ar, "reason", "") or "not stated"))
    return pd.DataFrame(rows, columns=["", "What is known"])


def to_html(df: pd.DataFrame, caption: str | None = None) -> str:
    """Plain HTML table (no index, cell text escaped) for a glued or displayed table; footnote for
    capped risks."""
    sty = df.style.hide(axis="index").format(escape="html")
    if caption:
        sty = sty.set_caption(caption)
    # class "dataframe": the theme's dark mode styles such tables as tables, not as raw HTML output
    sty = sty.set_table_attributes('class="dataframe table mytools-table" style="font-size:0.85em"')
    html = sty.to_html()
    if df.attrs.get("capped"):
        html += ("<p class=\"mytools-footnote\">* ACR \u00d7 RR exceeds 1000 per 1000 at this CI "
                 "limit; a risk cannot exceed 1000 per 1000, so the limit is shown as 1000.</p>")
    return html


def glue_values(ar: Any) -> dict[str, Any]:
    """Values a chapter glues for one analysis, keyed ``<analysis_id>_<field>`` (plan.md scheme).

    Fields: ``est, lo, hi, p, z, i2, tau2, k_rec, n_rec`` (recomputed; only when there is a pooled
    result), ``pub_est, pub_lo, pub_hi, k, n, certainty`` (published), ``status`` (one word
    phrase) and ``status_text`` (the sentence from :data:`STATUS_WORDS`), ``reason``.
    Unknown values are left out, so a page that glues one fails the build instead of printing
    an invented number.
    """
    aid = _get(ar, "id")
    out: dict[str, Any] = {}
    res = _get(ar, "result")
    status = str(_get(ar, "status", ""))
    if res is not None and status != "not_reproducible":
        out.update({"est": res.estimate, "lo": res.ci_low, "hi": res.ci_high, "p": res.p,
                    "z": abs(res.z) if res.z is not None else None, "i2": res.i2,
                    "tau2": res.tau2, "k_rec": res.k})
        st = res.studies
        if {"n_t", "n_c"} <= set(st.columns):
            out["n_rec"] = int(st["n_t"].sum() + st["n_c"].sum())
    pub = _get(ar, "published") or {}
    for src, dst in (("estimate", "pub_est"), ("ci_low", "pub_lo"), ("ci_high", "pub_hi"),
                     ("k", "k"), ("participants", "n"), ("certainty", "certainty")):
        if not _missing(pub.get(src)):
            out[dst] = pub[src]
    for key in ("k", "n"):
        if key in out:
            out[key] = int(out[key])
    if pub:
        sof = grade.sof_row(ar)
        if sof.get("assumed_per_1000") is not None:
            out["acr"] = sof["assumed_per_1000"]
            out["cr"], out["cr_lo"], out["cr_hi"] = sof["corresponding"]
    spec = dict(_get(ar, "spec") or {})
    if not _missing(spec.get("timepoint")):
        out["timepoint"] = str(spec["timepoint"])
    out["status"] = STATUS_WORDS.get(status, status).split(":")[0]
    out["status_text"] = STATUS_WORDS.get(status, status)
    from .wording import reason_text  # statuses and reasons are codes; wording makes the sentence

    out["reason"] = reason_text(ar)
    return {f"{aid}_{k}": v for k, v in out.items() if v is not None and not _missing(v)}


def glue_analysis(ar: Any, glue: Any, prefix: str = "") -> list[str]:
    """Glue every value of :func:`glue_values` (keys prefixed by `prefix`); return the keys."""
    return glue_dict({f"{prefix}{k}": v for k, v in glue_values(ar).items()}, glue)


def glue_dict(values: Mapping[str, Any], glue: Any) -> list[str]:
    """``glue(key, value, display=False)`` for every item; return the keys."""
    for key, value in values.items():
        glue(key, value, display=False)
    return list(values)


def chapter_analyses(ids: Sequence[str]) -> dict[str, Any]:
    """``{id: mytools.analyses.analysis(id)}`` for the analyses a chapter shows, in order."""
    from ..analyses import analysis

    return {aid: analysis(aid) for aid in ids}


def report_html(df: pd.DataFrame, table_id: str, nowrap: Sequence[str] = ()) -> str:
    """A wide report table (no index) with an ``id`` for tests, numbers in ``nowrap`` columns kept
    on one line, inside a horizontally scrollable block for narrow screens."""
    sty = df.style.hide(axis="index").format(escape="html").set_table_attributes(
        f'id="{table_id}" class="dataframe table mytools-table" style="font-size:0.85em"')
    if nowrap:
        sty = sty.set_properties(subset=list(nowrap), **{"white-space": "nowrap"})
    return f'<div style="overflow-x:auto">{sty.to_html()}</div>'


def show(df: pd.DataFrame, caption: str | None = None) -> Any:
    """The table as an IPython HTML object (what a chapter cell returns to display it)."""
    from IPython.display import HTML

    return HTML(to_html(df, caption))


#: Short, stable glue-key parts for the variants of ``mytools.analyses.sensitivity``.
SENSITIVITY_KEYS: dict[str, str] = {
    "RevMan default (registered)": "revman",
    "random effects, DerSimonian-Laird": "dl",
    "random effects, REML + Hartung-Knapp": "reml_hk",
    "MH without 0.5 correction": "nocc",
    "without reconstructed inputs": "norecon",
}


def sensitivity_glue_values(analysis_id: str, frame: pd.DataFrame) -> dict[str, float]:
    """``<id>_sens_<variant>_{est,lo,hi}`` for every estimable variant of a sensitivity frame."""
    import re

    out: dict[str, float] = {}
    for _, row in frame.iterrows():
        slug = SENSITIVITY_KEYS.get(row["variant"]) or re.sub(r"[^a-z0-9]+", "_",
                                                               str(row["variant"]).lower()).strip("_")
        if _missing(row["estimate"]):
            continue
        for field, col in (("est", "estimate"), ("lo", "ci_low"), ("hi", "ci_high")):
            out[f"{analysis_id}_sens_{slug}_{field}"] = float(row[col])
    return out


def glue_sensitivity(analysis_id: str, glue: Any) -> pd.DataFrame:
    """Run ``mytools.analyses.sensitivity``, glue its numbers, return the formatted table."""
    from ..analyses import sensitivity

    frame = sensitivity(analysis_id)
    for key, value in sensitivity_glue_values(analysis_id, frame).items():
        glue(key, value, display=False)
    return sensitivity_table(frame)


def glue_chapter(ars: Mapping[str, Any], glue: Any) -> list[str]:
    """:func:`glue_analysis` for every analysis of a chapter; returns all keys glued."""
    keys: list[str] = []
    for ar in ars.values():
        keys += glue_analysis(ar, glue)
    return keys


def review_glue_values(reviews: pd.DataFrame, prefix: str = "background") -> dict[str, Any]:
    """``<prefix>_<review_id>_{k,n,year,search}`` from ``data/reviews.csv`` (known values only)."""
    out: dict[str, Any] = {}
    for _, r in reviews.iterrows():
        rid = r["review_id"]
        for col, field, conv in (("n_studies", "k", int), ("n_participants", "n", int),
                                 ("year", "year", int), ("search_date", "search", str)):
            if col in r.index and not _missing(r[col]):
                out[f"{prefix}_{rid}_{field}"] = conv(r[col])
    return out


def evidence_frame_2025(data: Any = None) -> pd.DataFrame:
    """:func:`evidence_map_frame` for the 2025 review's 14 abstract results, from ``data/``."""
    from ..analyses import analyses
    from ..data import load_data

    data = data if data is not None else load_data()
    pub = data.published_results
    pub = pub[(pub["review_id"] == "cochrane2025") & pub["abstract_no"].notna()]
    reg = analyses()
    statuses = dict(zip(reg["analysis_id"], reg["status"]))
    return evidence_map_frame(pub, statuses)
