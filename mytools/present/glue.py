"""Numbers a chapter glues into its prose: one dict per analysis, keys ``<analysis_id>_<field>``.

Glue the float, format in the role (``{glue:text}`ivig_tis20_est:.2f```). Unknown values are
left out, so a page that glues one fails the build instead of printing an invented number.
Nothing here runs an analysis: results (and sensitivity frames) are passed in.
"""
from __future__ import annotations

import re
from typing import Any, Callable, Mapping

import pandas as pd

from ..analyses.variants import DATA_VARIANTS
from ..engine.variants import VARIANTS
from . import sof
from .tables import STATUS_WORDS, _get, _missing, sensitivity_table

__all__ = ["glue_values", "glue_analysis", "glue_dict", "glue_chapter",
           "sensitivity_glue_values", "glue_sensitivity", "review_glue_values", "natural_units_values",
           "natural_units_text", "month_year",
           "study_glue_values"]

Glue = Callable[..., Any]


def _absolute(ar: Any) -> dict[str, Any]:
    pub = _get(ar, "published") or {}
    if _missing(pub.get("estimate")) or str(pub.get("measure", "")).upper() != "RR":
        return {}
    ev, n = sof.control_counts(_get(ar, "inputs"))
    if not n:
        return {}
    s = sof.from_registry(ar, outcome="", statement_outcome="", intervention="")
    if not s.certainty:
        s = sof.SofInput(**{**s.__dict__, "certainty": "low"})
    r = sof.sof_row(s)["risk"]
    return {"acr": r.assumed, "cr": r.risk, "cr_lo": r.low, "cr_hi": r.high, "rd": r.difference,
            "rd_lo": r.difference_low, "rd_hi": r.difference_high}


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", str(text).lower()).strip("_")


def _arms(ar: Any) -> dict[str, Any]:
    """Per-study arm sizes (``<study>_n_int``/``_n_ctl``, study = review label slug) and, for a
    single dichotomous study, the arm risks in percent and their difference in points."""
    from .forest_adapt import study_frame

    res = _get(ar, "result")
    inputs = _get(ar, "inputs")
    if res is None or inputs is None:
        return {}
    st = study_frame(res.studies).reset_index(drop=True)
    names = list(inputs.get("review_label", inputs.get("label", pd.Series(dtype=str))))
    out: dict[str, Any] = {}
    if "n_intervention" not in st or len(names) != len(st):
        return out
    out["n_int"] = int(st["n_intervention"].sum())
    out["n_ctl"] = int(st["n_control"].sum())
    for name, (_, r) in zip(names, st.iterrows()):
        out[f"{_slug(name)}_n_int"] = int(r["n_intervention"])
        out[f"{_slug(name)}_n_ctl"] = int(r["n_control"])
    if len(st) == 1 and "events_intervention" in st:
        r = st.iloc[0]
        pi = 100 * r["events_intervention"] / r["n_intervention"]
        pc = 100 * r["events_control"] / r["n_control"]
        out.update(risk_int=float(pi), risk_ctl=float(pc), rd_pts=float(pi - pc))
    return out


def glue_values(ar: Any) -> dict[str, Any]:
    """Values a chapter glues for one analysis, keyed ``<analysis_id>_<field>``.

    Fields: ``est, lo, hi, p, z, i2, tau2, k_rec, n_rec`` (recomputed; only when there is a pooled
    result), ``pub_est, pub_lo, pub_hi, k, n, certainty`` (published), ``acr, cr, cr_lo, cr_hi,
    rd, rd_lo, rd_hi`` (per 1000, risk ratios with control-arm counts), ``n_int, n_ctl`` and
    ``<study>_n_int/_n_ctl`` (arm sizes in the analysis), ``risk_int, risk_ctl, rd_pts`` (one
    dichotomous study: percent and percentage points), ``timepoint``,
    ``status`` (short phrase), ``status_text`` and ``reason``.
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
        if {"n_intervention", "n_control"} <= set(st.columns):
            out["n_rec"] = int(st["n_intervention"].sum() + st["n_control"].sum())
    pub = _get(ar, "published") or {}
    for src, dst in (("estimate", "pub_est"), ("ci_low", "pub_lo"), ("ci_high", "pub_hi"),
                     ("k", "k"), ("participants", "n"), ("certainty", "certainty")):
        if not _missing(pub.get(src)):
            out[dst] = pub[src]
    for key in ("k", "n"):
        if key in out:
            out[key] = int(out[key])
    out.update(_absolute(ar))
    out.update(_arms(ar))
    spec = dict(_get(ar, "spec") or {})
    if not _missing(spec.get("timepoint")):
        out["timepoint"] = str(spec["timepoint"])
    out["status"] = STATUS_WORDS.get(status, status).split(":")[0]
    out["status_text"] = STATUS_WORDS.get(status, status)
    from .wording import reason_text  # statuses and reasons are codes; wording makes the sentence

    out["reason"] = reason_text(ar)
    return {f"{aid}_{k}": v for k, v in out.items() if v is not None and not _missing(v)}


def glue_dict(values: Mapping[str, Any], glue: Glue) -> list[str]:
    """``glue(key, value, display=False)`` for every item; return the keys."""
    for key, value in values.items():
        glue(key, value, display=False)
    return list(values)


def glue_analysis(ar: Any, glue: Glue, prefix: str = "") -> list[str]:
    """Glue every value of :func:`glue_values` (keys prefixed by `prefix`); return the keys."""
    return glue_dict({f"{prefix}{k}": v for k, v in glue_values(ar).items()}, glue)


def glue_chapter(ars: Mapping[str, Any], glue: Glue) -> list[str]:
    """:func:`glue_analysis` for every analysis of a chapter; returns all keys glued."""
    keys: list[str] = []
    for ar in ars.values():
        keys += glue_analysis(ar, glue)
    return keys


def sensitivity_glue_values(analysis_id: str, frame: pd.DataFrame) -> dict[str, float]:
    """``<id>_sens_<variant>_{est,lo,hi}`` for every estimable variant of a sensitivity frame; the
    ``variant`` column holds the engine's variant keys (``random_dl``, ``reml_hksj`` …,
    :data:`mytools.engine.variants.VARIANTS`) or :data:`mytools.analyses.variants.DATA_VARIANTS` keys."""
    out: dict[str, float] = {}
    for _, row in frame.iterrows():
        key = str(row["variant"])
        if key not in VARIANTS and key not in DATA_VARIANTS:
            raise ValueError(f"unknown analysis variant {key!r} in a sensitivity frame; expected a key of "
                             "mytools.engine.variants.VARIANTS")
        if _missing(row["estimate"]):
            continue
        for field, col in (("est", "estimate"), ("lo", "ci_low"), ("hi", "ci_high")):
            out[f"{analysis_id}_sens_{key}_{field}"] = float(row[col])
    return out


def glue_sensitivity(analysis_id: str, frame: pd.DataFrame, glue: Glue) -> pd.DataFrame:
    """Glue the numbers of a sensitivity frame (computed by ``mytools.analyses``) and return
    the formatted table."""
    glue_dict(sensitivity_glue_values(analysis_id, frame), glue)
    return sensitivity_table(frame)


_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
           "October", "November", "December")


def month_year(date: Any) -> str:
    """``"2011-08"`` -> ``"August 2011"``; ``"2023-02-03"`` -> ``"3 February 2023"``; other text as is.

    >>> month_year("2011-08"), month_year("2023-02-03"), month_year("2015")
    ('August 2011', '3 February 2023', '2015')
    """
    m = re.fullmatch(r"(\d{4})-(\d{2})(?:-(\d{2}))?", str(date).strip())
    if not m:
        return str(date)
    year, month, day = m.group(1), _MONTHS[int(m.group(2)) - 1], m.group(3)
    return f"{int(day)} {month} {year}" if day else f"{month} {year}"


def review_glue_values(reviews: pd.DataFrame, prefix: str = "background") -> dict[str, Any]:
    """``<prefix>_<review_id>_{k,n,year,search}`` from the reviews table (known values only)."""
    out: dict[str, Any] = {}
    for _, r in reviews.iterrows():
        rid = r["review_id"]
        for col, field, conv in (("n_studies", "k", int), ("n_participants", "n", int),
                                 ("year", "year", int), ("search_date", "search", month_year)):
            if col in r.index and not _missing(r[col]):
                out[f"{prefix}_{rid}_{field}"] = conv(r[col])
    return out


def natural_units_values(ar: Any, study: str, key: str) -> dict[str, float]:
    """An SMD re-expressed on one study's scale: ``<key>_sd`` (the pooled SD of that study's arms
    in the analysis), ``<key>_est/_lo/_hi`` (the published SMD and CI × that SD).

    The SD is the study's own, as entered in the review's data rows (Handbook 15.5.3.2)."""
    inputs = _get(ar, "inputs")
    names = inputs.get("review_label", inputs["label"])
    row = inputs[names == study]
    if len(row) != 1:
        raise ValueError(f"natural_units_values: no single row for study {study!r} in {_get(ar, 'id')}")
    r = row.iloc[0]
    sd = sof.pooled_sd(float(r["n_intervention"]), float(r["sd_intervention"]), float(r["n_control"]), float(r["sd_control"]))
    pub = _get(ar, "published") or {}
    est, lo, hi = sof.reexpress_smd(float(pub["estimate"]), float(pub["ci_low"]), float(pub["ci_high"]), sd)
    return {f"{key}_sd": sd, f"{key}_est": est, f"{key}_lo": lo, f"{key}_hi": hi}


def natural_units_text(ar: Any, study: str, scale: str, digits: int = 1) -> str:
    """E.g. ``"SMD 0.86, about 0.37 HAQ-DI points better (0.22 to 0.52)"`` (positive SMD = better,
    as in the review's analyses; see :func:`natural_units_values`)."""
    v = list(natural_units_values(ar, study, "x").values())
    pub = (_get(ar, "published") or {})["estimate"]
    word = "better" if v[1] >= 0 else "worse"
    return (f"SMD {pub:.2f}, about {abs(v[1]):.{digits}f} {scale} points {word} "
            f"({v[2]:.{digits}f} to {v[3]:.{digits}f})")


def study_glue_values(studies: pd.DataFrame, ids: Mapping[str, str], prefix: str,
                      columns: tuple[str, ...] = ("population", "intervention", "comparator",
                                                  "duration")) -> dict[str, str]:
    """``<prefix>_<key>_<column>`` text from the studies table, for ``{key: study_id}``."""
    st = studies.set_index("study_id")
    return {f"{prefix}_{key}_{c}": str(st.loc[sid, c]) for key, sid in ids.items() for c in columns
            if c in st.columns and not _missing(st.loc[sid, c])}
