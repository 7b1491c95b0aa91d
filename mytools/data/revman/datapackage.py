"""RevMan Web / Cochrane Library data packages (spec v1, v2.2, v2.3) → :class:`ReviewData`.

Files are found by suffix: ``-overall-estimates-and-settings.csv`` (one row per analysis:
settings and RevMan's pooled results), ``-data-rows.csv`` (study rows) and
``-subgroup-estimates.csv`` (optional). The version is read from column names: ``Heterogeneity
estimator``/``CI method`` → v2, plus ``Sort studies by``/``Graph label (left)`` → v2.3; else v1.
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd

from mytools.data.revman.model import (
    ANALYSIS_COLUMNS, SUBGROUP_COLUMNS, canonical_measure, frame, unescape,
)
from mytools.data.revman.safeio import fail
from mytools.data.revman.tables import Table, load_table

__all__ = ["read_overall", "read_subgroups", "overall_version"]

_RESULTS = {
    "Experimental cases": "revman_events_intervention", "Experimental N": "revman_n_intervention",
    "Control cases": "revman_events_control", "Control N": "revman_n_control",
    "Mean": "revman_estimate", "CI start": "revman_ci_low", "CI end": "revman_ci_high",
    "PI start": "revman_pi_low", "PI end": "revman_pi_high", "Heterogeneity Tau²": "revman_tau2",
    "Tau² CI start": "revman_tau2_ci_low", "Tau² CI end": "revman_tau2_ci_high",
    "Heterogeneity Chi²": "revman_q", "Heterogeneity df": "revman_df",
    "Heterogeneity P": "revman_p_q", "Heterogeneity I²": "revman_i2", "Effect Z": "revman_z",
    "Effect T": "revman_t", "Effect P": "revman_p",
}
OVERALL_MAP = {
    "Analysis group": "group", "Analysis number": "number", "Analysis name": "name_raw",
    "Analysis group name": "group_name", "Data source": "data_source", "Data type": "data_type",
    "Log-scale data": "log_scale", "Experimental group label": "label_intervention",
    "Control group label": "label_control", "Statistical method": "method",
    "Effect measure": "measure_label", "Unit of effect measure": "unit",
    "Analysis model": "model", "Heterogeneity estimator": "tau2_method", "Tau² CI": "tau2_ci",
    "Subgroup estimates": "subgroup_estimates", "Overall estimates": "overall",
    "Test for subgroup differences": "subgroup_test", "Prediction interval": "prediction_interval",
    "Swap event and non-event": "swap_events", "Study CI": "study_ci_level",
    "Estimate CI": "ci_level", "CI method": "ci_method", "CI/PI level": "ci_level_both",
    "Graph label (left)": "graph_label_left", "Graph label (right)": "graph_label_right",
    "Sort studies by": "sort_by", **_RESULTS, "Subgroup Chi²": "revman_subgroup_q",
    "Subgroup df": "revman_subgroup_df", "Subgroup P": "revman_subgroup_p",
    "Subgroup I²": "revman_subgroup_i2",
}
OVERALL_KNOWN = (
    "Data source eligibility", "Outcome", "Intervention grouping", "Experimental intervention",
    "Control intervention", "Subgroup by", "Filter criteria", "Graph scale", "Show risk of bias",
    "ID")
OVERALL_REQUIRED = ("group", "number", "name_raw", "data_type", "log_scale", "method",
                    "measure_label", "model", "revman_estimate", "revman_ci_low", "revman_ci_high")
SUBGROUP_MAP = {
    "Analysis group": "group", "Analysis number": "number", "Subgroup": "subgroup",
    "Subgroup number": "subgroup_number", "Weight": "revman_weight", **_RESULTS}
SUBGROUP_REQUIRED = ("group", "number", "subgroup", "subgroup_number", "revman_estimate",
                     "revman_ci_low", "revman_ci_high")
DATA_TYPES = {"dichotomous": "dichotomous", "continuous": "continuous",
              "contrast level": "generic", "generic inverse variance": "generic",
              "o-e and variance": "o_e", "o-e": "o_e"}
METHODS = {"mh": "MH", "iv": "IV", "peto": "Peto", "exp_o_e_var": "Peto"}
MODELS = {"fixed effect": "fixed", "fixed-effect": "fixed", "fixed": "fixed",
          "random effect": "random", "random effects": "random", "random-effects": "random",
          "random": "random"}
CI_METHODS = {"wald": "wald", "hksj": "hksj"}


def overall_version(table: Table) -> str:
    """``"1"``, ``"2.2"`` or ``"2.3"`` from the settings file's column names."""
    if table.has("sort_by") or table.has("graph_label_left"):
        return "2.3"
    if table.has("tau2_method") or table.has("ci_method") or table.has("ci_level_both"):
        return "2.2"
    return "1"


def _level(text: str) -> float:
    t = text.strip().rstrip("%").strip()
    if t in ("", "#N/A"):
        return math.nan
    x = float(t)
    return x / 100 if x > 1 else x


def _keys(t: Table) -> tuple[np.ndarray, np.ndarray, list[str]]:
    g = t.whole("group")
    n = t.whole("number")
    t.raise_problems()
    keys = [f"{int(a)}.{int(b)}" for a, b in zip(g, n)]
    return g.astype(int), n.astype(int), keys


def _settings(t: Table, cells: dict[str, list[str]], i: int, key: str, version: str) -> dict:
    """One analysis's settings from record ``i`` (problems recorded on ``t``)."""
    txt = {c: v[i] for c, v in cells.items()}
    rec: dict = {}

    def pick(col: str, table: dict, what: str, allow_blank: bool = False):
        v = txt.get(col, "")
        hit = table.get(v.lower())
        if hit is None and not (allow_blank and v in ("", "#N/A")):
            t.problem(i, col, f"{what}: one of {', '.join(sorted(set(table)))}", v, None, key)
        return hit

    rec["data_type"] = pick("data_type", DATA_TYPES, "a RevMan data type")
    rec["method"] = pick("method", METHODS, "a statistical method", allow_blank=True)
    rec["model"] = pick("model", MODELS, "an analysis model")
    label = txt.get("measure_label", "")
    rec["measure_label"] = label
    rec["measure"] = canonical_measure(label, rec["data_type"])
    if rec["measure"] is None and rec["data_type"]:
        t.problem(i, "measure_label", f"an effect measure for {rec['data_type']} data", label,
                  None, key)
    if rec["method"] == "Peto" and rec["measure"] == "OR":
        rec["measure"] = "PETO_OR"
    est = txt.get("tau2_method", "")
    rec["tau2_method"] = (None if rec["model"] != "random" else
                          est.upper() if est not in ("", "#N/A") else "DL")
    rec["ci_method"] = (pick("ci_method", CI_METHODS, "a CI method", allow_blank=True)
                        if version != "1" else None) or "wald"
    try:
        both = _level(txt.get("ci_level_both", ""))
        rec["study_ci_level"] = _level(txt.get("study_ci_level", "")) if version == "1" else both
        rec["ci_level"] = _level(txt.get("ci_level", "")) if version == "1" else both
    except ValueError:
        t.problem(i, "ci_level_both" if version != "1" else "ci_level", "a level such as 95%",
                  None, None, key)
    for col in ("study_ci_level", "ci_level"):
        if math.isnan(rec.get(col, math.nan)):
            rec[col] = 0.95  # not stated: RevMan's default
    for col in ("name_raw", "group_name", "data_source", "label_intervention", "label_control",
                "unit", "graph_label_left", "graph_label_right"):
        rec[col] = txt.get(col, "") if txt.get(col, "") != "#N/A" else ""
    return rec


def read_overall(name: str, text: str, notes: list[str]) -> tuple[pd.DataFrame, str]:
    """Settings and pooled results, one row per analysis; and the package version."""
    t = load_table(name, text, OVERALL_MAP, OVERALL_REQUIRED, notes, OVERALL_KNOWN)
    if not len(t):
        raise fail(name, "at least one analysis under the header", line=2,
                   found="a header only (no analyses)")
    version = overall_version(t)
    g, n, keys = _keys(t)
    seen: dict[str, int] = {}
    for i, k in enumerate(keys):
        if k in seen:
            t.problem(i, "number", f"each analysis once (analysis {k} is also on line {seen[k]})",
                      k, None, k)
        seen.setdefault(k, int(t.lines[i]))
    cells = {c: t.text(c).tolist() for c in t.data}
    records = [_settings(t, cells, i, k, version) for i, k in enumerate(keys)]
    flags = {c: t.flags(c, context=lambda i: (None, keys[i])) for c in
             ("log_scale", "swap_events", "overall", "subgroup_estimates", "subgroup_test",
              "prediction_interval", "tau2_ci")}
    results = {c: t.numbers(c, context=lambda i: (None, keys[i]))
               for c in OVERALL_MAP.values() if c.startswith("revman_")}
    t.raise_problems()
    out = pd.DataFrame(records)
    out.insert(0, "analysis", keys)
    out.insert(1, "group", g)
    out.insert(2, "number", n)
    out["name"] = [unescape(s) for s in out["name_raw"]]
    out["group_name"] = [unescape(s) for s in out["group_name"]]
    for c, vals in flags.items():
        default = c in ("overall", "subgroup_estimates", "subgroup_test")
        out[c] = [default if v is None else v for v in vals]
    for c, vals in results.items():
        out[c] = vals
    out["settings_source"] = "file"
    out["line"] = t.lines
    return frame(out, ANALYSIS_COLUMNS), version


def read_subgroups(name: str, text: str, notes: list[str]) -> pd.DataFrame:
    """RevMan's stored per-subgroup results (may be header only)."""
    t = load_table(name, text, SUBGROUP_MAP, SUBGROUP_REQUIRED, notes, ("ID",))
    g, n, keys = _keys(t)
    num = t.whole("subgroup_number", context=lambda i: (None, keys[i]))
    cols = {c: t.numbers(c, context=lambda i: (None, keys[i]))
            for c in SUBGROUP_MAP.values() if c.startswith("revman_")}
    t.raise_problems()
    out = pd.DataFrame({"analysis": keys, "group": g, "number": n,
                        "subgroup": [unescape(s) for s in t.text("subgroup")],
                        "subgroup_number": num.astype(int), **cols})
    out["file"] = name
    out["line"] = t.lines
    return frame(out, SUBGROUP_COLUMNS)
