"""Temporary minimal reader of a bare ``…-data-rows.csv`` (until ``mytools.data.revman.read_review``
is on main): the contract's ``rows`` and ``analyses`` columns, v1 zero-fill read as NaN."""
from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .errors import DataError, Problem

__all__ = ["read_data_rows", "MinimalReviewData"]

_COLS = {"Experimental cases": "events_intervention", "Experimental N": "n_intervention",
         "Control cases": "events_control", "Control N": "n_control",
         "Experimental mean": "mean_intervention", "Experimental SD": "sd_intervention",
         "Control mean": "mean_control", "Control SD": "sd_control", "GIV Mean": "giv_estimate",
         "GIV SE": "giv_se", "O-E": "o_e", "Variance": "variance", "Weight": "revman_weight",
         "Mean": "revman_estimate", "CI start": "revman_ci_low", "CI end": "revman_ci_high"}
_APPLICABLE = {"dichotomous": ("events_intervention", "n_intervention", "events_control", "n_control"),
               "continuous": ("mean_intervention", "sd_intervention", "n_intervention", "mean_control",
                              "sd_control", "n_control")}


@dataclass(frozen=True)
class MinimalReviewData:
    """The fields of ``ReviewData`` this book uses."""

    source: str
    format: str
    review_id: str | None
    analyses: pd.DataFrame
    rows: pd.DataFrame
    subgroups: pd.DataFrame
    decimals: int | None
    notes: tuple[str, ...] = ()

    def study_rows(self, key: str, subgroup_number: int | None = None) -> pd.DataFrame:
        r = self.rows[self.rows["analysis"] == key]
        if subgroup_number is not None:
            r = r[r["subgroup_number"] == subgroup_number]
        return r.reset_index(drop=True)


def _num(raw: str, fname: str, line: int, study: str, col: str, problems: list[Problem]) -> float:
    if raw in ("", "NA"):
        return np.nan
    try:
        return float(raw)
    except ValueError:
        problems.append(Problem(fname, line, study, col, "a number", raw))
        return np.nan


def read_data_rows(path: str | Path) -> MinimalReviewData:
    """Read a data-rows CSV (file, line and column named on bad cells; events <= N checked)."""
    path = Path(path)
    problems: list[Problem] = []
    recs = []
    with path.open(newline="", encoding="utf-8-sig") as fh:
        reader = csv.DictReader(fh)
        start = reader.line_num + 2
        for raw in reader:
            line, start = start, reader.line_num + 1
            study = raw.get("Study") or ""
            rec = {"analysis": f"{raw['Analysis group']}.{raw['Analysis number']}",
                   "group": int(raw["Analysis group"]), "number": int(raw["Analysis number"]),
                   "name": " ".join((raw.get("Analysis name") or "").split()),
                   "subgroup": raw.get("Subgroup") or "",
                   "subgroup_number": int(raw["Subgroup number"]) if raw.get("Subgroup number") else 0,
                   "applicability": raw.get("Applicability"), "study": study,
                   "year": _num(raw.get("Study year", ""), path.name, line, study, "Study year", problems),
                   "footnote": raw.get("Footnotes") or "", "file": path.name, "line": line}
            for col, name in _COLS.items():
                rec[name] = _num(raw.get(col, ""), path.name, line, study, col, problems)
            for arm in ("Experimental", "Control"):
                ev, n = rec[f"events_{'intervention' if arm == 'Experimental' else 'control'}"], \
                    rec[f"n_{'intervention' if arm == 'Experimental' else 'control'}"]
                if ev == ev and n == n and ev > n:
                    problems.append(Problem(path.name, line, study, f"{arm} cases", f"cases <= {arm} N ({n:g})",
                                            f"{ev:g}"))
            recs.append(rec)
    if problems:
        raise DataError(problems)
    rows = pd.DataFrame(recs)
    types = {}
    for key, g in rows.groupby("analysis", sort=False):
        sd = g[["sd_intervention", "sd_control"]].fillna(0).to_numpy()
        types[key] = "continuous" if (sd > 0).any() else "dichotomous"
    for col in ("events_intervention", "n_intervention", "events_control", "n_control", "mean_intervention",
                "sd_intervention", "mean_control", "sd_control", "giv_estimate", "giv_se", "o_e", "variance"):
        ok = rows["analysis"].map(lambda a: col in _APPLICABLE[types[a]])
        rows.loc[~ok, col] = np.nan
    first = rows.drop_duplicates("analysis")
    analyses = pd.DataFrame({"analysis": first["analysis"], "group": first["group"], "number": first["number"],
                             "name": first["name"], "data_type": first["analysis"].map(types),
                             "settings_source": "none"}).reset_index(drop=True)
    return MinimalReviewData(str(path), "data-rows-2", None, analyses, rows.drop(columns="name"),
                             pd.DataFrame(), 6)
