"""Numbers a chapter glues into its prose: one dict per analysis, keys ``<analysis_id>_<field>``.

Glue the float, format in the role (``{glue:text}`ivig_tis20_est:.2f```). Unknown values are
left out, so a page that glues one fails the build instead of printing an invented number.
Nothing here runs an analysis: results (and sensitivity frames) are passed in.
"""
from __future__ import annotations

import re
from typing import Any, Callable, Mapping

import pandas as pd

from . import sof
from .tables import STATUS_WORDS, _get, _missing, sensitivity_table

__all__ = ["glue_values", "glue_analysis", "glue_dict", "glue_chapter", "SENSITIVITY_KEYS",
           "sensitivity_glue_values", "glue_sensitivity", "review_glue_values"]

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


def glue_values(ar: Any) -> dict[str, Any]:
    """Values a chapter glues for one analysis, keyed ``<analysis_id>_<field>``.

    Fields: ``est, lo, hi, p, z, i2, tau2, k_rec, n_rec`` (recomputed; only when there is a pooled
    result), ``pub_est, pub_lo, pub_hi, k, n, certainty`` (published), ``acr, cr, cr_lo, cr_hi,
    rd, rd_lo, rd_hi`` (per 1000, risk ratios with control-arm counts), ``timepoint``,
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
        for a, b in (("n_t", "n_c"), ("n_intervention", "n_control")):
            if {a, b} <= set(st.columns):
                out["n_rec"] = int(st[a].sum() + st[b].sum())
    pub = _get(ar, "published") or {}
    for src, dst in (("estimate", "pub_est"), ("ci_low", "pub_lo"), ("ci_high", "pub_hi"),
                     ("k", "k"), ("participants", "n"), ("certainty", "certainty")):
        if not _missing(pub.get(src)):
            out[dst] = pub[src]
    for key in ("k", "n"):
        if key in out:
            out[key] = int(out[key])
    out.update(_absolute(ar))
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


#: Short, stable glue-key parts for the sensitivity variants (one name per concept: ``hk``).
SENSITIVITY_KEYS: dict[str, str] = {
    "RevMan default (registered)": "revman",
    "random effects, DerSimonian-Laird": "dl",
    "random effects, REML + Hartung-Knapp": "reml_hk",
    "MH without 0.5 correction": "nocc",
    "without reconstructed inputs": "norecon",
}


def sensitivity_glue_values(analysis_id: str, frame: pd.DataFrame) -> dict[str, float]:
    """``<id>_sens_<variant>_{est,lo,hi}`` for every estimable variant of a sensitivity frame."""
    out: dict[str, float] = {}
    for _, row in frame.iterrows():
        slug = SENSITIVITY_KEYS.get(row["variant"]) or re.sub(
            r"[^a-z0-9]+", "_", str(row["variant"]).lower()).strip("_")
        if _missing(row["estimate"]):
            continue
        for field, col in (("est", "estimate"), ("lo", "ci_low"), ("hi", "ci_high")):
            out[f"{analysis_id}_sens_{slug}_{field}"] = float(row[col])
    return out


def glue_sensitivity(analysis_id: str, frame: pd.DataFrame, glue: Glue) -> pd.DataFrame:
    """Glue the numbers of a sensitivity frame (computed by ``mytools.analyses``) and return
    the formatted table."""
    glue_dict(sensitivity_glue_values(analysis_id, frame), glue)
    return sensitivity_table(frame)


def review_glue_values(reviews: pd.DataFrame, prefix: str = "background") -> dict[str, Any]:
    """``<prefix>_<review_id>_{k,n,year,search}`` from the reviews table (known values only)."""
    out: dict[str, Any] = {}
    for _, r in reviews.iterrows():
        rid = r["review_id"]
        for col, field, conv in (("n_studies", "k", int), ("n_participants", "n", int),
                                 ("year", "year", int), ("search_date", "search", str)):
            if col in r.index and not _missing(r[col]):
                out[f"{prefix}_{rid}_{field}"] = conv(r[col])
    return out
