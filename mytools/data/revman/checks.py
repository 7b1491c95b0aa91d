"""Cross-checks of study rows: counts whole and non-negative, events <= N, SD/SE/variance
non-negative, every row's analysis in the settings.

Two kinds of finding. A row whose analysis is not in the settings file is an error (the file is
inconsistent). A value RevMan accepts but cannot estimate from (events > N, a negative or
fractional count, a negative SD/SE/variance; also N = 0, SD = 0, SE = 0, variance = 0) leaves
the row *not estimable* — RevMan keeps it, with blank estimate, CI and weight, out of the
pooling. With ``warnings`` (a list) every such row is appended to it as a
:class:`~mytools.data.Problem` and the rows are kept (the engine's ``invalid="mark"`` leaves them
out, as RevMan does); without it (strict reading) the impossible values raise together.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from mytools.data.errors import DataError, Problem
from mytools.data.revman.model import lookup
from mytools.data.revman.tables import MAX_PROBLEMS

__all__ = ["check_rows", "row_findings", "NOT_ESTIMABLE"]

NOT_ESTIMABLE = "; not estimable: left out of the pooling, weight blank (as in RevMan)"
_HEADERS = {
    "events_intervention": "Experimental cases", "n_intervention": "Experimental N",
    "events_control": "Control cases", "n_control": "Control N",
    "sd_intervention": "Experimental SD", "sd_control": "Control SD", "giv_se": "GIV SE",
    "variance": "Variance", "analysis": "Analysis number",
}


def _problems(rows: pd.DataFrame, head: dict, mask: np.ndarray, col: str, expected: str,
              limit: int | None) -> list[Problem]:
    """One Problem per flagged row (file, line, study, column, analysis), at most ``limit``."""
    idx = np.flatnonzero(mask)[:limit]
    if not idx.size:
        return []
    sub = {c: np.asarray(rows[c])[idx] for c in ("file", "line", "study", "analysis", col)}
    return [Problem(str(f), None if pd.isna(ln) else int(ln), str(st), repr(head.get(col, col)),
                    expected, f"{v:g}" if isinstance(v, float) else str(v), str(a))
            for f, ln, st, v, a in zip(sub["file"], sub["line"], sub["study"], sub[col],
                                       sub["analysis"])]


def check_rows(rows: pd.DataFrame, analyses: pd.DataFrame | None,
               headers: dict[str, str] | None = None, only: str | None = None,
               notes: list[str] | None = None, data_types: pd.Series | None = None,
               warnings: list[Problem] | None = None) -> None:
    """Raise a :class:`DataError` listing every bad row (file, line, analysis, study, column);
    with ``warnings`` (lenient reading) rows RevMan cannot estimate are appended there instead.

    Events > N is checked for dichotomous rows; in O−E rows the counts are for display only
    (RevMan does not use them), so there it is a note (a real review, CD008469, has 55 of 9).
    """
    head = {**_HEADERS, **(headers or {})}
    problems: list[Problem] = []
    keys = np.asarray(rows["analysis"])
    if analyses is not None:
        problems += _problems(rows, head, ~np.isin(keys, analyses["analysis"].to_numpy()),
                              "analysis", "an analysis listed in the settings file (overall "
                              "estimates)", MAX_PROBLEMS)
    if problems or only == "analysis":
        if problems:
            raise DataError(problems)
        return
    lenient = warnings is not None
    found: list[Problem] = []
    limit = None if lenient else MAX_PROBLEMS
    suffix = NOT_ESTIMABLE if lenient else ""

    def add(mask: np.ndarray, col: str, expected: str) -> None:
        found.extend(_problems(rows, head, mask, col, expected + suffix, limit))

    dt = None
    if data_types is not None:  # each row's data type, looked up once per analysis
        codes, uniq = pd.factorize(keys)
        dt = lookup(data_types, uniq)[codes] if len(keys) else \
            np.array([], dtype=object)
    for mask, col, expected in row_findings(rows, head, dt, lenient):
        if expected is not None:
            add(mask, col, expected)
            continue
        n = _ARM_SIZE[col]
        e, t = np.asarray(rows[col], dtype=float), np.asarray(rows[n], dtype=float)
        for i in np.flatnonzero(mask):
            if notes is not None:
                notes.append(f"{np.asarray(rows['file'])[i]}, line "
                             f"{np.asarray(rows['line'])[i]} (analysis {keys[i]}, study "
                             f"{np.asarray(rows['study'])[i]}): {head[col]} {e[i]:g} > "
                             f"{head[n]} {t[i]:g} in O-E data (display-only counts; "
                             "not used)")
    if not found:
        return
    if not lenient:
        raise DataError(found)
    found.sort(key=lambda p: (p.line is None, p.line or 0))
    warnings.extend(found)


_ARM_SIZE = {"events_intervention": "n_intervention", "events_control": "n_control"}


def row_findings(rows, head: dict, dt: np.ndarray | None, lenient: bool
                 ) -> list[tuple[np.ndarray, str, str | None]]:
    """The value checks of :func:`check_rows`, in its order: (rows flagged, column, what was
    expected). ``dt``: each row's data type (None: unknown); ``lenient``: also the accepted
    values that leave a row not estimable (N, SD, SE or variance 0). Events > N in O−E rows
    come with ``expected`` None: a note, not a problem."""
    out: list[tuple[np.ndarray, str, str | None]] = []
    with np.errstate(invalid="ignore"):
        for col in ("events_intervention", "n_intervention", "events_control", "n_control"):
            v = np.asarray(rows[col], dtype=float)
            out.append((v < 0, col, "a count >= 0"))
            out.append(((v != np.round(v)) & ~np.isnan(v), col, "a whole number"))
        for ev, n in _ARM_SIZE.items():
            over = np.asarray(rows[ev], dtype=float) > np.asarray(rows[n], dtype=float)
            if dt is not None:
                display = dt == "o_e"
                out.append((over & display, ev, None))
                over &= ~display
            out.append((over, ev, f"at most {head[n]} (events <= N)"))
        for col in ("sd_intervention", "sd_control", "giv_se", "variance"):
            out.append((np.asarray(rows[col], dtype=float) < 0, col, "a value >= 0"))
        if lenient and dt is not None:  # accepted values that still leave the row not estimable
            for col, types in (("n_intervention", ("dichotomous", "continuous")),
                               ("n_control", ("dichotomous", "continuous")),
                               ("sd_intervention", ("continuous",)),
                               ("sd_control", ("continuous",)), ("giv_se", ("generic",)),
                               ("variance", ("o_e",))):
                of_type = np.logical_or.reduce([dt == t for t in types])  # no np.isin: it sorts
                out.append(((np.asarray(rows[col], dtype=float) == 0) & of_type, col,
                            "a value > 0"))
    return out
