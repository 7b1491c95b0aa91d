"""The values a chapter's prose shows for one analysis (keys ``<analysis_id>_<field>``), for its
sensitivity variants, and an SMD re-expressed in a study's own points.

Store raw numbers; the prose formats them (``{eval}`v["ivig_tis20_est:.2f"]```; see
:mod:`mytools.present.values`). Unknown values are left out, so a page that shows one fails the
build instead of printing an invented number. Nothing here runs an analysis: results (and
sensitivity frames) are passed in.
"""
from __future__ import annotations

import re
from typing import Any, Mapping

import pandas as pd

from ..analyses.variants import DATA_VARIANTS
from ..engine.variants import VARIANTS
from . import sof
from .phrases import more_fewer, signed, width_word
from .tables import STATUS_WORDS, _get, _missing, sensitivity_table

__all__ = ["analysis_values", "chapter_values", "sensitivity_values", "sensitivity",
           "natural_units_values", "natural_units_text"]


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
            "rd_lo": r.difference_low, "rd_hi": r.difference_high,
            "rd_words": more_fewer(r.difference), "rd_lo_words": more_fewer(r.difference_low),
            "rd_hi_words": more_fewer(r.difference_high) + ("*" if r.capped else ""),
            "capped_note": (f"*capped: the control risk times the upper RR limit is {r.raw_high} per "
                            "1000, and a risk cannot exceed 1000 per 1000" if r.capped else
                            "no limit is capped")}


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


def analysis_values(ar: Any, prefix: str = "") -> dict[str, Any]:
    """Values a chapter shows for one analysis, keyed ``<prefix><analysis_id>_<field>``.

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
    for key in ("est", "lo", "hi", "pub_est", "pub_lo", "pub_hi"):  # text with a typographic minus
        if key in out and not _missing(out[key]):
            out[f"{key}_t"] = signed(float(out[key]))
    out.update(_absolute(ar))
    out.update(_arms(ar))
    spec = dict(_get(ar, "spec") or {})
    if not _missing(spec.get("timepoint")):
        out["timepoint"] = str(spec["timepoint"])
    out["status"] = STATUS_WORDS.get(status, status).split(":")[0]
    out["status_text"] = STATUS_WORDS.get(status, status)
    from .wording import reason_text  # statuses and reasons are codes; wording makes the sentence

    out["reason"] = reason_text(ar)
    return {f"{prefix}{aid}_{k}": v for k, v in out.items() if v is not None and not _missing(v)}


def chapter_values(ars: Mapping[str, Any]) -> dict[str, Any]:
    """:func:`analysis_values` of every analysis of a chapter, in one dict."""
    out: dict[str, Any] = {}
    for ar in ars.values():
        out.update(analysis_values(ar))
    return out


def sensitivity_values(analysis_id: str, frame: pd.DataFrame) -> dict[str, Any]:
    """``<id>_sens_<variant>_{est,lo,hi}`` for every estimable variant of a sensitivity frame; the
    ``variant`` column holds the engine's variant keys (``random_dl``, ``reml_hksj`` …,
    :data:`mytools.engine.variants.VARIANTS`) or :data:`mytools.analyses.variants.DATA_VARIANTS` keys."""
    out: dict[str, Any] = {}
    for _, row in frame.iterrows():
        key = str(row["variant"])
        if key not in VARIANTS and key not in DATA_VARIANTS:
            raise ValueError(f"unknown analysis variant {key!r} in a sensitivity frame; expected a key of "
                             "mytools.engine.variants.VARIANTS")
        if _missing(row["estimate"]):
            continue
        for field, col in (("est", "estimate"), ("lo", "ci_low"), ("hi", "ci_high")):
            out[f"{analysis_id}_sens_{key}_{field}"] = float(row[col])
    out.update(_sensitivity_words(analysis_id, out))
    return out


def _sensitivity_words(aid: str, v: Mapping[str, float]) -> dict[str, str]:
    """``<id>_sens_<variant>_width`` ("wider"/"narrower" than the registered interval) and
    ``<id>_sens_<variant>_null`` ("includes 1"/"excludes 1", 0 for differences) for each
    non-registered variant."""
    ref = (v.get(f"{aid}_sens_revman_lo"), v.get(f"{aid}_sens_revman_hi"))
    out: dict[str, str] = {}
    for key in list(v):
        if not key.endswith("_lo") or key == f"{aid}_sens_revman_lo":
            continue
        base = key[:-3]
        lo, hi = v[key], v.get(f"{base}_hi")
        if hi is None or lo is None:
            continue
        log = lo > 0  # ratio measures are pooled and compared on the log scale
        null = 1.0 if log else 0.0
        out[f"{base}_null"] = f"{'includes' if lo <= null <= hi else 'excludes'} {null:g}"
        if None not in ref and (not log or min(ref) > 0):
            out[f"{base}_width"] = width_word(lo, hi, ref[0], ref[1], log=log)
    return out


def sensitivity(analysis_id: str, frame: pd.DataFrame, values: Any) -> pd.DataFrame:
    """Put the numbers of a sensitivity frame (computed by ``mytools.analyses``) into the chapter's
    `values` (a dict, e.g. :class:`~mytools.present.values.Values`) and return the formatted table."""
    values.update(sensitivity_values(analysis_id, frame))
    return sensitivity_table(frame)


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
