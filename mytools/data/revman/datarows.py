"""RevMan Web ``…-data-rows.csv`` (data package v1 and v2): study rows, and the data-type rule.

v1 has no ``Subgroup number`` column, v2 has it (the version is read from the column names).
A bare data-rows file carries no settings: each analysis's data type is then inferred from the
filled cells of all its rows (:func:`infer_data_types`).
"""
from __future__ import annotations

import re

import numpy as np
import pandas as pd

from mytools.data.errors import DataError, Problem
from mytools.data.revman.model import INPUT_COLUMNS, ROW_COLUMNS, frame, unescape
from mytools.data.revman.safeio import fail
from mytools.data.revman.tables import MAX_NUMBER, Table, load_table

__all__ = ["ROW_MAP", "read_rows", "read_row_arrays", "infer_data_types", "rows_version", "check_blocks",
           "finish_arrays", "unread_notes"]

ROW_MAP = {
    "Analysis group": "group", "Analysis number": "number", "Analysis name": "analysis_name",
    "Subgroup": "subgroup", "Subgroup number": "subgroup_number", "Applicability": "applicability",
    "Study": "study", "Study year": "year", "GIV Mean": "giv_estimate", "GIV SE": "giv_se",
    "Experimental mean": "mean_intervention", "Experimental SD": "sd_intervention",
    "Experimental cases": "events_intervention", "Experimental N": "n_intervention",
    "Control mean": "mean_control", "Control SD": "sd_control", "Control cases": "events_control",
    "Control N": "n_control", "O-E": "o_e", "Variance": "variance", "Weight": "revman_weight",
    "Mean": "revman_estimate", "CI start": "revman_ci_low", "CI end": "revman_ci_high",
    "Footnotes": "footnote",
}
ROW_REQUIRED = ("group", "number", "subgroup", "study", *INPUT_COLUMNS, "revman_weight",
                "revman_estimate", "revman_ci_low", "revman_ci_high")
ROW_NUMERIC = (*INPUT_COLUMNS, "revman_weight", "revman_estimate", "revman_ci_low",
               "revman_ci_high")
_ROB = re.compile(r"\((judgement|support)\)$")


def rows_version(table: Table) -> str:
    """``"2"`` when the rows carry ``Subgroup number`` (v2), else ``"1"``."""
    return "2" if table.has("subgroup_number") else "1"


def _year(text: str) -> float:
    m = re.search(r"\d{4}", text)
    return float(m.group()) if m else np.nan


def _per_unique(cells: np.ndarray, f) -> np.ndarray:
    """``f`` applied once per distinct cell (names and years repeat on many rows)."""
    done: dict = {}
    out = np.empty(len(cells), dtype=object)
    out[:] = [done[x] if x in done else done.setdefault(x, f(x)) for x in cells.tolist()]
    return out


def read_rows(name: str, text: str, notes: list[str]) -> tuple[pd.DataFrame, str]:
    """Study rows (``ROW_COLUMNS``, inputs as in the file) and the rows' version ``"1"``/``"2"``."""
    out, version = read_row_arrays(name, text, notes)
    return pd.DataFrame(out), version


def read_row_arrays(name: str, text: str, notes: list[str]) -> tuple[dict, str]:
    """:func:`read_rows` as a dict of column arrays (no DataFrame yet)."""
    t = load_table(name, text, ROW_MAP, ROW_REQUIRED, None)
    if not len(t):
        raise fail(name, "at least one study row under the header", line=2,
                   found="a header only (no analyses)")
    unread_notes(name, t.unread, notes)
    studies = t.text("study")
    g_txt, n_txt = t.text("group"), t.text("number")

    def ctx(i: int) -> tuple[str | None, str | None]:
        return studies[i] or None, f"{g_txt[i]}.{n_txt[i]}"

    fast = t.parsed_together(("group", "number", "subgroup_number", *ROW_NUMERIC))

    def whole(col: str, blank_as: float | None = None) -> np.ndarray:
        parsed = None if fast is None else fast[col]
        return t.whole(col, context=ctx, blank_as=blank_as, parsed=parsed)

    out: dict[str, object] = {}
    out["group"] = whole("group")
    out["number"] = whole("number")
    out.update(t.numbers_many(ROW_NUMERIC, context=ctx) if fast is None
               else {c: fast[c] for c in ROW_NUMERIC})
    if t.has("subgroup_number"):
        out["subgroup_number"] = whole("subgroup_number", blank_as=0.0)
    for i in np.flatnonzero(t.text("study") == ""):
        t.problem(i, "study", "a study name", "", None, ctx(i)[1])
    t.raise_problems()
    return finish_arrays(t, out, np.full(len(t), name, dtype=object)), rows_version(t)


def unread_notes(name: str, unread: list[str], notes: list[str]) -> None:
    """The notes on a data-rows file's columns not read (risk-of-bias columns counted apart)."""
    rob = [h for h in unread if _ROB.search(h.strip())]
    if rob:
        notes.append(f"{name}: {len(rob)} risk-of-bias column(s) on the rows not read")
    if len(unread) > len(rob):
        notes.append(f"{name}: column(s) not read: {', '.join(h for h in unread if h not in rob)}")


def finish_arrays(t: Table, out: dict, files: np.ndarray) -> dict:
    """:func:`read_row_arrays`' columns once the cells are checked: ``out`` holds the parsed
    numbers; the text columns, analysis keys, files (``files``, per row) and lines are added."""
    n = len(t)
    group, number = out["group"].astype(int), out["number"].astype(int)
    out["group"], out["number"] = group, number
    codes, pairs = pd.factorize(group * (MAX_NUMBER + 1) + number)  # both in 0..MAX_NUMBER
    out["analysis"] = np.array([f"{p // (MAX_NUMBER + 1)}.{p % (MAX_NUMBER + 1)}" for p in pairs],
                               dtype=object)[codes]
    out["subgroup"] = _per_unique(t.text("subgroup"), unescape)
    if "subgroup_number" in out:
        out["subgroup_number"] = out["subgroup_number"].astype(int)
    app = t.text("applicability")
    out["applicability"] = np.where(app == "", "SUBGROUP_AND_OVERALL", app)
    out["study"] = _per_unique(t.text("study"), unescape)
    out["year"] = _per_unique(t.text("year"), _year).astype(float)
    out["footnote"] = (t.data["footnote"] if t.has("footnote")
                       else np.full(n, "", dtype=object))
    out["analysis_name"] = (t.text("analysis_name")
                            if t.has("analysis_name") else np.full(n, "", dtype=object))
    out["file"] = files
    out["line"] = t.lines
    return out


def number_subgroups(rows: pd.DataFrame, subgroups: pd.DataFrame | None,
                     notes: list[str] | None = None) -> pd.DataFrame:
    """Number named subgroups that have no number (v1 rows; v2 rows with a blank ``Subgroup
    number``, as in files re-written by R). RevMan writes a subgroup's rows together, so the k-th
    run of rows within an analysis is subgroup k (two subgroups may share a name). The names are
    checked against the subgroups file when there is one. Rows without a subgroup get 0."""
    numbers = (np.array(rows["subgroup_number"], dtype=int) if "subgroup_number" in rows
               else np.zeros(len(rows["analysis"]), dtype=int))
    names, keys = np.asarray(rows["subgroup"]), np.asarray(rows["analysis"])
    todo = (names != "") & (numbers == 0)
    if todo.any():
        new_run = np.r_[True, (keys[1:] != keys[:-1]) | (names[1:] != names[:-1])]
        run = _cumsum_by(new_run & (names != ""), keys)
        numbers[todo] = run[todo]
        if subgroups is not None and len(subgroups):
            known = set(zip(subgroups["analysis"], subgroups["subgroup_number"], subgroups["subgroup"]))
            off = [i for i in np.flatnonzero(todo) if (keys[i], numbers[i], names[i]) not in known]
            if off and notes is not None:
                notes.append(f"{np.asarray(rows['file'])[0]}: {len(off)} row(s) whose subgroup name does "
                             "not match the subgroups file at its position")
        elif notes is not None and "subgroup_number" in rows:
            notes.append(f"{np.asarray(rows['file'])[0]}: {int(todo.sum())} row(s) name a subgroup but "
                         "have no number; numbered by their order within the analysis")
    rows["subgroup_number"] = numbers
    return rows


def _cumsum_by(x: np.ndarray, keys: np.ndarray) -> np.ndarray:
    """Running count of ``x`` within each key (``Series(x).groupby(keys).cumsum()``); without a
    groupby when each key's rows are together (as RevMan writes them)."""
    starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
    if len(starts) != len(pd.unique(keys)):
        return pd.Series(x).groupby(keys).cumsum().to_numpy()
    c = np.cumsum(x)
    before = (c - x)[starts]  # the count before each block starts
    return c - np.repeat(before, np.diff(np.r_[starts, len(x)]))


def infer_data_types(rows: pd.DataFrame, codes: np.ndarray, n: int
                     ) -> tuple[np.ndarray, np.ndarray]:
    """Data type of each analysis from its rows' filled cells (bare data rows have no settings).

    A cell is *filled* when it is neither blank nor 0 (v1 writes 0 for "not applicable"). Over all
    rows of the analysis, the first rule that holds decides:

    0. some rows have an SD and the others only ``GIV Mean``/``GIV SE``, and every row has its
       ``GIV SE`` → ``generic``: an analysis of effect estimates (RevMan Web) in which some
       studies were entered as means and SDs, from which RevMan computed and stored each
       estimate and SE. RevMan pools every row from ``GIV Mean``/``GIV SE`` (seen in Pairwise70's
       CD016001 1.14–1.17: its weights are those of the stored estimates, and a row without
       means is estimated);
    1. an SD filled → ``continuous`` (only continuous data have SDs);
    2. else O−E filled → ``o_e`` (RevMan's "O-E and variance"; event counts may accompany it);
    3. else GIV Mean filled → ``generic`` (contrast level);
    4. else an event count filled → ``dichotomous`` (RevMan also writes its computed SE into
       ``GIV SE``/``Variance`` of such rows, so those two cells alone decide nothing);
    5. else GIV SE filled → ``generic`` (every estimate exactly 0);
    6. else arm sizes filled → ``dichotomous`` (no events in any arm: double-zero studies);
    7. else undecided (None).

    ``codes``: each row's analysis as 0..n-1. Returns, per analysis code, the data type and the
    number of the rule that decided it (1–6; 7 for rule 0; 0 = undecided).
    """
    def cells(*cols: str) -> np.ndarray:
        hit = np.zeros(len(codes), dtype=bool)
        for c in cols:
            x = np.asarray(rows[c], dtype=float)
            hit |= (x != 0) & ~np.isnan(x)
        return hit

    def filled(*cols: str) -> np.ndarray:
        return np.bincount(codes, cells(*cols), n) > 0

    def any_row(hit: np.ndarray) -> np.ndarray:
        return np.bincount(codes, hit, n) > 0

    sd, giv_se = cells("sd_intervention", "sd_control"), cells("giv_se")
    arms = cells("sd_intervention", "sd_control", "mean_intervention", "mean_control",
                 "n_intervention", "n_control", "events_intervention", "events_control")
    mixed = any_row(sd) & any_row(giv_se & ~arms) & ~any_row(sd & ~giv_se)
    conds = [mixed, filled("sd_intervention", "sd_control"), filled("o_e"), filled("giv_estimate"),
             filled("events_intervention", "events_control"), filled("giv_se"),
             filled("n_intervention", "n_control")]
    names = np.array([None, "continuous", "o_e", "generic", "dichotomous", "generic",
                      "dichotomous", "generic"], dtype=object)
    rule = np.select(conds, [7, *range(1, 7)], default=0)
    return names[rule], rule


def check_blocks(rows: pd.DataFrame) -> None:
    """RevMan writes each analysis's rows as one block under one name: an analysis number that comes
    back after another analysis, or under a different name, is a duplicate analysis number."""
    keys = np.asarray(rows["analysis"])
    names = _per_unique(np.asarray(rows["analysis_name"]), lambda n: " ".join(str(n).split()))
    starts = np.flatnonzero(np.r_[True, (keys[1:] != keys[:-1]) | (names[1:] != names[:-1])])
    seen: dict[str, int] = {}
    for i in starts:
        if keys[i] in seen:
            first = seen[keys[i]]
            raise DataError([Problem(
                str(np.asarray(rows["file"])[i]), int(np.asarray(rows["line"])[i]),
                str(np.asarray(rows["study"])[i]),
                "'Analysis number'", f"each analysis number once, its rows together (analysis "
                f"{keys[i]} starts on line {int(np.asarray(rows['line'])[first])} as "
                f"{names[first]!r})",
                f"{keys[i]} again, as {names[i]!r}", str(keys[i]))])
        seen[keys[i]] = i


def finish_rows(rows: pd.DataFrame) -> pd.DataFrame:
    """``ROW_COLUMNS`` order (extras after)."""
    return frame(rows, ROW_COLUMNS)
