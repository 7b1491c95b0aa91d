"""Cross-checks of study rows: counts are whole and non-negative, events <= N, SD/SE/variance
non-negative, every row's analysis exists in the settings. All violations are raised together."""
from __future__ import annotations

import numpy as np
import pandas as pd

from mytools.data.errors import DataError, Problem
from mytools.data.revman.tables import MAX_PROBLEMS

__all__ = ["check_rows"]

_HEADERS = {
    "events_intervention": "Experimental cases", "n_intervention": "Experimental N",
    "events_control": "Control cases", "n_control": "Control N",
    "sd_intervention": "Experimental SD", "sd_control": "Control SD", "giv_se": "GIV SE",
    "variance": "Variance", "analysis": "Analysis number",
}


def check_rows(rows: pd.DataFrame, analyses: pd.DataFrame | None,
               headers: dict[str, str] | None = None, only: str | None = None,
               notes: list[str] | None = None, data_types: pd.Series | None = None) -> None:
    """Raise a :class:`DataError` listing every bad row (file, line, analysis, study, column).

    Events > N is an error for dichotomous rows; in O−E rows the counts are for display only
    (RevMan does not use them), so there it is a note (a real review, CD008469, has 55 of 9).
    """
    head = {**_HEADERS, **(headers or {})}
    problems: list[Problem] = []

    def add(mask: np.ndarray, col: str, expected: str, found_col: str | None = None) -> None:
        for i in np.flatnonzero(mask)[: MAX_PROBLEMS - len(problems)]:
            r = rows.iloc[i]
            found = r[found_col or col]
            line = None if pd.isna(r["line"]) else int(r["line"])
            problems.append(Problem(str(r["file"]), line, str(r["study"]),
                                    repr(head.get(col, col)), expected,
                                    f"{found:g}" if isinstance(found, float) else str(found),
                                    str(r["analysis"])))

    if analyses is not None:
        add(~rows["analysis"].isin(analyses["analysis"]).to_numpy(), "analysis",
            "an analysis listed in the settings file (overall estimates)")
    if only == "analysis":
        if problems:
            raise DataError(problems)
        return
    for col in ("events_intervention", "n_intervention", "events_control", "n_control"):
        v = rows[col].to_numpy(dtype=float)
        add(v < 0, col, "a count >= 0")
        add((v != np.round(v)) & ~np.isnan(v), col, "a whole number")
    for ev, n in (("events_intervention", "n_intervention"), ("events_control", "n_control")):
        e, t = rows[ev].to_numpy(dtype=float), rows[n].to_numpy(dtype=float)
        over = e > t
        if data_types is not None:
            display = (rows["analysis"].map(data_types) == "o_e").to_numpy()
            for i in np.flatnonzero(over & display):
                r = rows.iloc[i]
                if notes is not None:
                    notes.append(f"{r['file']}, line {r['line']} (analysis {r['analysis']}, study "
                                 f"{r['study']}): {head[ev]} {e[i]:g} > {head[n]} {t[i]:g} in O-E "
                                 "data (display-only counts; not used)")
            over &= ~display
        add(over, ev, f"at most {head[n]} (events <= N)")
    for col in ("sd_intervention", "sd_control", "giv_se", "variance"):
        add(rows[col].to_numpy(dtype=float) < 0, col, "a value >= 0")
    if problems:
        raise DataError(problems)
