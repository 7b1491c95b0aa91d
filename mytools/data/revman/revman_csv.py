"""RevMan 5 "File > Export > Data and analyses" CSV → :class:`ReviewData`.

Row kinds (as R ``meta::read.rm5`` reads them): outcome number 0 → comparison; a data type with
subgroup number 0 → outcome; a data type with subgroup number > 0 → subgroup; no data type →
study row of the current outcome/subgroup. Study rows hold the display-scale estimate and CI, the
SE on the analysis (log) scale; the export writes 0 in cells that do not apply (means of
dichotomous rows, events of continuous rows) and 0/1 placeholders for the subgroup test when
there are no subgroups — both become NaN. Headers are matched by name (``I²(Q)``/``I-Sqr(Q)``).
"""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd

from mytools.data.revman.checks import check_rows
from mytools.data.revman.model import (
    ANALYSIS_COLUMNS, ROW_COLUMNS, SUBGROUP_COLUMNS, ReviewData, blank_inapplicable,
    canonical_measure, decimals_of, frame, review_id,
)
from mytools.data.revman.safeio import decode, fail, read_file
from mytools.data.revman.tables import MAX_NUMBER, load_table

__all__ = ["read_revman_csv"]

CSV_MAP = {
    "Comparison Number": "c_no", "Outcome Number": "o_no", "Subgroup Number": "s_no",
    "Name": "name", "Data Type": "data_type", "Statistical Method": "method",
    "Effect Measure": "measure_label", "Analysis Model": "model",
    "Events 1": "events_intervention", "Mean 1": "mean_intervention", "SD 1": "sd_intervention",
    "Total 1": "n_intervention", "Events 2": "events_control", "Mean 2": "mean_control",
    "SD 2": "sd_control", "Total 2": "n_control", "O-E": "o_e", "Var": "variance",
    "Variance": "variance", "Effect Estimate": "revman_estimate", "SE": "revman_se",
    "CI Start": "revman_ci_low", "CI End": "revman_ci_high", "Weight": "revman_weight",
    "Q": "revman_q", "P(Q)": "revman_p_q", "I²(Q)": "revman_i2", "Tau²": "revman_tau2",
    "Z": "revman_z", "P(Z)": "revman_p", "Qint": "revman_subgroup_q",
    "P(Qint)": "revman_subgroup_p", "I²(Qint)": "revman_subgroup_i2", "df": "revman_df",
    "Group Label 1": "label_intervention", "Group Label 2": "label_control",
    "Left Graph Label": "graph_label_left", "Right Graph Label": "graph_label_right",
    "Year of study": "year", "User defined order": "order",
}
REQUIRED = ("c_no", "o_no", "s_no", "name", "data_type")
TEXT = ("name", "data_type", "method", "measure_label", "model", "label_intervention",
        "label_control", "graph_label_left", "graph_label_right")
TYPES = {"DIC": "dichotomous", "CON": "continuous", "INV": "generic", "IV": "generic",
         "GIV": "generic", "O-E": "o_e", "IPD": "o_e"}
METHODS = {"MH": "MH", "IV": "IV", "PETO": "Peto", "EXP_O_E_VAR": "Peto"}
NUMERIC = tuple(v for v in dict.fromkeys(CSV_MAP.values()) if v not in TEXT)


def _outcome(rec: dict, key: str, c_no: int, o_no: int, comparison: str, t, i: int) -> dict:
    dtype = TYPES.get(rec["data_type"].upper())
    if dtype is None:
        t.problem(i, "data_type", f"a data type: one of {', '.join(TYPES)}", rec["data_type"],
                  None, key)
        t.raise_problems()
    label = rec.get("measure_label", "")
    measure = canonical_measure(label, dtype)
    method = METHODS.get(rec.get("method", "").upper(), None)
    if measure is None or (rec.get("method") and method is None):
        col, what = ("measure_label", "an effect measure") if measure is None else ("method",
                                                                                   "a method")
        t.problem(i, col, f"{what} for {dtype} data", rec.get(col, ""), None, key)
        t.raise_problems()
    if method == "Peto" and measure == "OR":
        measure = "PETO_OR"
    model = "random" if rec.get("model", "").lower().startswith("random") else "fixed"
    return {
        "analysis": key, "group": c_no, "number": o_no, "name": rec["name"], "name_raw": rec["name"],
        "group_name": comparison, "data_type": dtype, "method": method, "measure": measure,
        "measure_label": label, "log_scale": measure in ("RR", "OR", "PETO_OR", "HR")
        or dtype == "o_e", "model": model, "tau2_method": "DL" if model == "random" else None,
        "ci_method": "wald", "study_ci_level": 0.95, "ci_level": 0.95, "swap_events": False,
        "overall": True, "subgroup_estimates": False, "subgroup_test": False,
        "prediction_interval": False, "tau2_ci": False, "settings_source": "file",
        **{c: rec.get(c, "") for c in ("label_intervention", "label_control", "graph_label_left",
                                       "graph_label_right")},
        **{c: rec[c] for c in NUMERIC if c.startswith("revman_") and c != "revman_weight"},
        "revman_events_intervention": rec["events_intervention"],
        "revman_n_intervention": rec["n_intervention"],
        "revman_events_control": rec["events_control"], "revman_n_control": rec["n_control"],
        "revman_studies": rec["revman_df"] + 1,
    }


def _records(t) -> list[dict]:
    """Every record as a dict of stripped text and parsed numbers (problems raised together)."""
    names = t.text("name").tolist()
    nums = {c: t.numbers(c, thousands=True, context=lambda i: (names[i] or None, None))
            for c in NUMERIC}
    t.raise_problems()
    texts = {c: t.text(c).tolist() for c in TEXT}
    return [{**{c: v[i] for c, v in texts.items()}, **{c: float(v[i]) for c, v in nums.items()},
             "line": int(t.lines[i])} for i in range(len(t))]


def read_revman_csv(path: str | Path, warnings: list | None = None) -> ReviewData:
    """Read RevMan 5's "Data and analyses" CSV export (UTF-8; Windows-1252 with a note).
    ``warnings``: a list for not-estimable rows (lenient reading; see ``checks.check_rows``)."""
    src = str(path)
    data = read_file(path)
    notes: list[str] = []
    t = load_table(src, decode(data, src, notes), CSV_MAP, REQUIRED, notes)
    comparisons: dict[int, str] = {}
    analyses, subgroups, rows = [], [], []
    current, sub = None, (0, "")
    for i, rec in enumerate(_records(t)):
        for col in ("c_no", "o_no", "s_no"):
            if math.isnan(rec[col]) or rec[col] != round(rec[col]) or not 0 <= rec[col] <= MAX_NUMBER:
                t.problem(i, col, f"a whole number from 0 to {MAX_NUMBER}", str(rec[col]),
                          rec["name"] or None)
                t.raise_problems()
        c_no, o_no, s_no = int(rec["c_no"]), int(rec["o_no"]), int(rec["s_no"])
        key = f"{c_no}.{o_no}"
        if o_no == 0:
            comparisons[c_no] = rec["name"]
        elif rec["data_type"] and s_no == 0:
            current, sub = _outcome(rec, key, c_no, o_no, comparisons.get(c_no, ""), t, i), (0, "")
            analyses.append(current)
        elif rec["data_type"]:
            sub = (s_no, rec["name"])
            subgroups.append({"analysis": key, "group": c_no, "number": o_no, "subgroup": rec["name"],
                              "subgroup_number": s_no, **{c: rec[c] for c in NUMERIC
                                                          if c.startswith("revman_")}})
        else:
            if current is None or current["analysis"] != key or s_no != sub[0]:
                t.problem(i, None, "a study row after its outcome's (and subgroup's) header row, "
                          "in RevMan's export order", f"outcome {key}, subgroup {s_no}",
                          rec["name"] or None, key)
                t.raise_problems()
            rows.append({**{c: rec[c] for c in NUMERIC if c not in ("c_no", "o_no", "s_no")},
                         "analysis": key, "group": c_no, "number": o_no, "subgroup": sub[1],
                         "subgroup_number": s_no, "applicability": "SUBGROUP_AND_OVERALL",
                         "study": rec["name"], "footnote": "", "file": src, "line": rec["line"]})
    return _finish(src, analyses, subgroups, rows, notes, warnings)


def _finish(src: str, analyses: list, subgroups: list, rows: list, notes: list,
            warnings: list | None) -> ReviewData:
    a = frame(pd.DataFrame(analyses), ANALYSIS_COLUMNS)
    if a["analysis"].duplicated().any():
        dup = a.loc[a["analysis"].duplicated(), "analysis"].tolist()
        raise fail(src, "each outcome once", column="'Outcome Number'", found=", ".join(dup),
                   analysis=dup[0])
    s = frame(pd.DataFrame(subgroups), SUBGROUP_COLUMNS)
    with_sub = set(s["analysis"])
    has = a["analysis"].isin(with_sub).to_numpy()
    a["subgroup_estimates"] = has
    a["subgroup_test"] = has
    for col in ("revman_subgroup_q", "revman_subgroup_p", "revman_subgroup_i2"):
        a.loc[~has, col] = math.nan  # 0 / 1 placeholders without subgroups
    cont = (a["data_type"] != "dichotomous").to_numpy()
    a.loc[cont, ["revman_events_intervention", "revman_events_control"]] = math.nan
    r = frame(pd.DataFrame(rows), ROW_COLUMNS) if rows else frame(
        pd.DataFrame(columns=list(ROW_COLUMNS)), ROW_COLUMNS)
    gen = r["analysis"].map(a.set_index("analysis")["data_type"]).eq("generic").to_numpy()
    if gen.any():  # generic rows: entered value = the estimate on the analysis scale
        logs = r["analysis"].map(a.set_index("analysis")["log_scale"]).fillna(False).to_numpy(bool)
        est = r["revman_estimate"].to_numpy(float)
        with np.errstate(divide="ignore", invalid="ignore"):
            r.loc[gen, "giv_estimate"] = np.where(logs, np.log(est), est)[gen]
        r.loc[gen, "giv_se"] = r.loc[gen, "revman_se"]
    types = a.set_index("analysis")["data_type"]
    r = blank_inapplicable(r, types)
    check_rows(r, a, notes=notes, data_types=types, headers={
        "events_intervention": "Events 1", "n_intervention": "Total 1",
        "events_control": "Events 2", "n_control": "Total 2", "sd_intervention": "SD 1",
        "sd_control": "SD 2", "giv_se": "SE", "variance": "Var"}, warnings=warnings)
    dec = decimals_of(a["revman_estimate"].to_numpy(), r["revman_estimate"].to_numpy(),
                      r["revman_weight"].to_numpy())
    return ReviewData(src, "revman5-csv", review_id(src), a, r, s, dec, tuple(notes),
                      Path(src).stem, tuple(warnings or ()))
