"""CSV tables of RevMan files: columns found by name, numbers and flags parsed with their place.

Headers are matched by name (BOM, case, spaces and the ``²``/``-Sqr`` spellings normalised), never
by position. Every unparsable cell becomes a :class:`~mytools.data.Problem` naming file, line,
column, study and analysis; all problems of a table are raised together.
"""
from __future__ import annotations

import re
from functools import lru_cache

import numpy as np
import pandas as pd

from mytools.data.errors import DataError, Problem
from mytools.data.revman.safeio import read_csv_records

__all__ = ["norm", "finite_floats", "Table", "load_table", "map_header", "MISSING",
           "MAX_PROBLEMS", "MAX_NUMBER"]

MISSING = ("", "#N/A", "NA", "N/A")
MAX_PROBLEMS = 50
MAX_NUMBER = 1_000_000  # analysis, group and subgroup numbers: 0..MAX_NUMBER (no int64 overflow)


@lru_cache(maxsize=4096)  # the same few dozen headers in every file
def norm(header: str) -> str:
    """Comparable column name: ``'Heterogeneity Tau²'`` → ``'heterogeneity tau2'``.

    >>> norm("\\ufeffI-Sqr(Q) ")
    'i2(q)'
    """
    h = header.replace("\ufeff", "").replace("Â²", "2").replace("²", "2").replace("-Sqr", "2")
    h = h.replace("-sqr", "2")
    return re.sub(r"\s+", " ", h).strip().lower()


def finite_floats(cells: np.ndarray) -> np.ndarray | None:
    """``cells`` (an object array of str, any shape) as floats, a missing marker (``MISSING``)
    as NaN; None when any other cell is not a finite number (Python's ``float``: text, ``nan``,
    ``inf``, 1e400). Each distinct text is converted once: counts, blanks and names repeat, and
    hashing a cell costs a fraction of parsing it.

    >>> finite_floats(np.array([["1", ""], ["NA", "2.5"]], dtype=object)).tolist()
    [[1.0, nan], [nan, 2.5]]
    >>> finite_floats(np.array(["1", "nan"], dtype=object)) is None
    True
    """
    codes, uniq = pd.factorize(cells.ravel())
    if len(codes) and codes.min() < 0:  # a None or NaN object, not text: the slow path decides
        return None
    uniq = np.asarray(uniq, dtype=object)
    missing = np.zeros(len(uniq), dtype=bool)
    for marker in MISSING:  # object-array compare (np.isin would sort Python strings)
        missing |= uniq == marker
    try:
        vals = np.where(missing, "nan", uniq).astype(float)
    except ValueError:
        return None
    if not np.isfinite(vals[~missing]).all():
        return None
    return vals[codes].reshape(cells.shape)


class Table:
    """A CSV file's records as strings under our column names, with file and line per record."""

    def __init__(self, name: str, data: dict[str, np.ndarray], lines: np.ndarray,
                 headers: dict[str, str]):
        self.name = name
        self.data = data  # our column name -> cells (object array of str)
        self.lines = lines
        self.headers = headers  # our column name -> header as in the file (for messages)
        self.problems: list[Problem] = []
        self.unread: list[str] = []  # headers of the file that were not mapped
        self._text: dict[str, np.ndarray] = {}

    def __len__(self) -> int:
        return len(self.lines)

    def has(self, col: str) -> bool:
        return col in self.data

    def text(self, col: str) -> np.ndarray:
        """Cell text (stripped, cached; an object array); absent column → all blank."""
        if col not in self._text:
            vals = self.data[col] if col in self.data else [""] * len(self)
            out = np.empty(len(self), dtype=object)
            out[:] = [v.strip() for v in vals]
            self._text[col] = out
        return self._text[col]

    def problem(self, i: int, col: str | None, expected: str, found: str | None = None,
                study: str | None = None, analysis: str | None = None) -> None:
        """Record a problem at record ``i`` (positional)."""
        if len(self.problems) < MAX_PROBLEMS:
            head = self.headers.get(col, col) if col else None
            self.problems.append(Problem(self.name, int(self.lines[i]), study, head and repr(head),
                                         expected, found, analysis))

    def numbers(self, col: str, *, context=None, thousands: bool = False) -> np.ndarray:
        """Column as floats: blank / ``#N/A`` → NaN; text, inf → a problem (and NaN)."""
        if col not in self.data:
            return np.full(len(self), np.nan)
        raw = self.data[col]
        if thousands:
            raw = np.array([v.replace(",", "") for v in raw], dtype=object)
        vals = finite_floats(raw)  # fast path: every cell a number or a missing marker
        if vals is not None:
            return vals
        vals = np.full(len(raw), np.nan)
        for i, v in enumerate(raw):
            cell = v.strip()
            if cell in MISSING:
                continue
            try:
                vals[i] = float(cell)
                if np.isfinite(vals[i]):
                    continue
            except ValueError:
                pass
            vals[i] = np.nan
            study, analysis = context(i) if context else (None, None)
            self.problem(i, col, "a number (or blank)", cell, study, analysis)
        return vals

    def parsed_together(self, cols: tuple[str, ...]) -> dict[str, np.ndarray] | None:
        """:meth:`numbers` of several columns in one pass over a 2-D array of their cells, when
        every cell is a finite number or a missing marker (so that no problem can arise; absent
        columns → NaN); None when any cell is not (or the table is empty)."""
        present = [c for c in cols if c in self.data]
        if not (present and len(self)):
            return None
        vals = finite_floats(np.stack([self.data[c] for c in present], axis=1))
        if vals is None:
            return None
        out = {c: np.full(len(self), np.nan) for c in cols if c not in self.data}
        out.update({c: vals[:, j].copy() for j, c in enumerate(present)})
        return {c: out[c] for c in cols}

    def numbers_many(self, cols: tuple[str, ...], *, context=None) -> dict[str, np.ndarray]:
        """:meth:`numbers` of several columns, parsed together (:meth:`parsed_together`); when
        any cell is not a number, column by column, so that the problems are the same and in the
        same order as :meth:`numbers` gives them."""
        fast = self.parsed_together(cols)
        if fast is not None:
            return fast
        out = {c: np.full(len(self), np.nan) for c in cols if c not in self.data}
        out.update({c: self.numbers(c, context=context) for c in cols if c in self.data})
        return {c: out[c] for c in cols}

    def whole(self, col: str, *, context=None, blank_as: float | None = None,
              parsed: np.ndarray | None = None) -> np.ndarray:
        """Column of whole numbers in 0..MAX_NUMBER (analysis, group, subgroup numbers); blank →
        ``blank_as`` or a problem; anything else (text, 1.5, -1, 1e18) → a problem. NaN marks
        the problem rows. ``parsed``: the column's :meth:`parsed_together` values, if known."""
        vals = self.numbers(col, context=context) if parsed is None else parsed
        vals, bad, blank = self.whole_flags(col, vals, blank_as)
        for i in np.flatnonzero(bad | (np.isnan(vals) & blank)):
            study, analysis = context(i) if context else (None, None)
            self.problem(i, col, f"a whole number from 0 to {MAX_NUMBER}" + (
                " (required)" if blank[i] else ""), self.text(col)[i], study, analysis)
        return np.where(bad, np.nan, vals)

    def whole_flags(self, col: str, vals: np.ndarray, blank_as: float | None,
                    blank: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """:meth:`whole`'s test of parsed ``vals``: the values (blank → ``blank_as`` if given),
        the rows that are not a whole number in 0..MAX_NUMBER, and the blank rows (``blank``:
        given, or the stripped cells that are empty)."""
        blank = self.text(col) == "" if blank is None else blank
        if blank_as is not None:
            vals = np.where(np.isnan(vals) & blank, blank_as, vals)
        with np.errstate(invalid="ignore"):
            bad = ~np.isnan(vals) & ((vals != np.round(vals)) | (vals < 0) | (vals > MAX_NUMBER))
        return vals, bad, blank

    def flags(self, col: str, *, context=None) -> list[bool | None]:
        """``true``/``false`` → bool; blank or ``#N/A`` → None; anything else → a problem."""
        out: list[bool | None] = []
        for i, v in enumerate(self.text(col)):
            low = v.lower()
            if low in ("true", "yes"):
                out.append(True)
            elif low in ("false", "no"):
                out.append(False)
            else:
                if v not in MISSING:
                    study, analysis = context(i) if context else (None, None)
                    self.problem(i, col, "true or false", v, study, analysis)
                out.append(None)
        return out

    def raise_problems(self) -> None:
        if self.problems:
            raise DataError(self.problems)


def load_table(name: str, text: str, columns: dict[str, str], required: tuple[str, ...],
               notes: list[str] | None, known_extra: tuple[str, ...] = ()) -> Table:
    """Parse CSV ``text``; ``columns`` maps headers (as RevMan spells them) to our names.

    A missing ``required`` column (our name) raises; columns neither mapped nor in ``known_extra``
    (normalised headers) are listed in ``notes`` as not read.
    """
    header, records, lines = read_csv_records(text, name)
    ours, headers, unread = map_header(name, header, columns, required, notes, known_extra)
    if records:
        arr = np.array(records, dtype=object)
        data = {c: arr[:, j] for c, j in ours.items()}
    else:
        data = {c: np.array([], dtype=object) for c in ours}
    table = Table(name, data, np.array(lines, dtype=int), headers)
    table.unread = unread
    return table


def map_header(name: str, header: list[str], columns: dict[str, str], required: tuple[str, ...],
               notes: list[str] | None, known_extra: tuple[str, ...] = ()
               ) -> tuple[dict[str, int], dict[str, str], list[str]]:
    """:func:`load_table`'s reading of a header: our column → field position, our column →
    header as spelled in the file, and the headers not read (see :func:`load_table`)."""
    spelled = {v: k for k, v in reversed(list(columns.items()))}
    columns = {norm(k): v for k, v in columns.items()}
    known_extra = tuple(norm(k) for k in known_extra)
    ours: dict[str, int] = {}
    headers: dict[str, str] = {}
    unread = []
    for j, h in enumerate(header):
        key = norm(h)
        col = columns.get(key)
        if col is None:
            if key not in known_extra:
                unread.append(h)
            continue
        if col in ours:
            raise DataError([Problem(name, 1, None, repr(h), "each column once", "a duplicate")])
        ours[col] = j
        headers[col] = h
    missing = [c for c in required if c not in ours]
    if missing:
        raise DataError([Problem(name, 1, None, repr(spelled.get(c, c)),
                                 "this column in the header (columns are found by name)", "absent")
                         for c in missing])
    if unread and notes is not None:
        notes.append(f"{name}: {len(unread)} column(s) not used: {', '.join(unread[:6])}"
                     + (" …" if len(unread) > 6 else ""))
    return ours, headers, unread
