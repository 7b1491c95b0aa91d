"""Many bare ``…-data-rows.csv`` files read together (``reproduce`` on a folder of them).

:func:`read_data_rows_many` gives, for each file, the very :class:`ColumnReview` that
``read_review_columns(path, strict=strict)`` gives, but parses, checks and types the cells of all
files in one pass per step (the files' records stacked column by column) instead of some thirty
small steps per file. Only the plain case is done here: a UTF-8 data-rows CSV with one record per
line, every cell well formed, every analysis one block, every subgroup numbered, every data type
decided and, read strictly, no row that :func:`~mytools.data.revman.checks.check_rows` refuses
(leniently, rows RevMan cannot estimate are named by the same ``check_rows``). Any other file
gets None: the caller reads it alone, and the per-file reader names every problem,
note and warning exactly as before.
"""
from __future__ import annotations

import gc
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from mytools.data.revman.checks import _HEADERS, check_rows, row_findings
from mytools.data.revman.datarows import (
    ROW_MAP, ROW_NUMERIC, ROW_REQUIRED, _per_unique, finish_arrays, number_subgroups, unread_notes,
)
from mytools.data.revman.model import (
    ColumnReview, blank_by_type, fits_decimals, review_id,
)
from mytools.data.revman.read import SUFFIXES, _sniff_csv, analyses_from_rows
from mytools.data.revman.safeio import ZipLimits, _records_one_per_line, decode, read_file
from mytools.data.revman.tables import MAX_NUMBER, Table, map_header

__all__ = ["read_data_rows_many"]

_CHUNK = 4000  # files per pass: keeps (file, group, number) keys within int64


_WHOLE = ("group", "number", "subgroup_number")
_NUMERIC = (*_WHOLE, *ROW_NUMERIC)


@dataclass
class _File:
    """A plain data-rows file before the other checks: its text cells (``table``), its numbers,
    which cells of the whole-number columns were blank, and its columns (ours, in file order).
    The numeric cells' text is dropped once parsed, so that a folder's files are not all held
    as strings at once."""

    index: int
    name: str
    table: Table
    numbers: dict
    blank: dict
    columns: tuple
    notes: list = field(default_factory=list)


def read_data_rows_many(paths, *, strict: bool = True,
                        limits: ZipLimits | None = None) -> list[ColumnReview | None]:
    """Per path: the :class:`ColumnReview` of ``read_review_columns(path, strict=strict)``, or
    None where the file is not the plain case (the caller reads it alone)."""
    limits = limits or ZipLimits()
    out: list[ColumnReview | None] = [None] * len(paths)
    groups: dict[tuple, list[_File]] = {}
    enabled = gc.isenabled()
    gc.disable()  # millions of cells held at once: the cyclic collector would walk them over and over
    try:
        for i, p in enumerate(paths):
            f = _plain_file(i, Path(p), limits)
            if f is not None:  # files with the same columns are stacked
                groups.setdefault(f.columns, []).append(f)
        for files in groups.values():
            for k in range(0, len(files), _CHUNK):
                part = files[k:k + _CHUNK]
                for f, review in zip(part, _read_stacked(part, strict)):
                    out[f.index] = review
    finally:
        if enabled:
            gc.enable()
    return out


def _plain_file(index: int, p: Path, limits: ZipLimits) -> _File | None:
    """The file's records when ``read_review_columns`` would read it as bare data rows, decoded
    as UTF-8, one record per line, with the required columns; else None."""
    try:
        if p.is_dir() or p.suffix.lower() in (".zip", ".rm5"):
            return None
        data = read_file(p, limits.max_file_bytes)
        if data.lstrip(b"\xef\xbb\xbf \r\n\t").startswith(b"<"):
            return None
        kind = _sniff_csv(data[:4096].lstrip(b"\xef\xbb\xbf"))
        name = str(p)
        if not (kind == "rows" or p.name.lower().endswith(SUFFIXES["rows"])):
            return None
        notes: list[str] = []
        text = decode(data, name, notes)
        parsed = None if notes else _records_one_per_line(text)
        if parsed is None or not parsed[1]:
            return None
        header, records, lines = parsed
        ours, headers, unread = map_header(name, header, ROW_MAP, ROW_REQUIRED, None)
    except Exception:  # noqa: BLE001 (the per-file reader raises it, with its message)
        return None
    arr = np.array(records, dtype=object)
    t = Table(name, {c: arr[:, j] for c, j in ours.items()}, np.array(lines, dtype=int), headers)
    numbers = t.parsed_together(_NUMERIC)  # while the cells are fresh in the cache
    if numbers is None:
        return None
    unread_notes(name, unread, notes)
    blank = {c: t.data[c] == "" for c in _WHOLE if t.has(c)}
    t.data = {c: v.copy() for c, v in t.data.items() if c not in _NUMERIC}  # not views of arr
    return _File(index, name, t, numbers, blank, tuple(ours), notes)


def _read_stacked(files: list[_File], strict: bool) -> list[ColumnReview | None]:
    """The reviews of ``files`` (same columns at the same places), read as one table."""
    sizes = np.array([len(f.table) for f in files])
    fi = np.repeat(np.arange(len(files)), sizes)  # each row's file
    cells = {c: np.concatenate([f.table.data[c] for f in files]) for c in files[0].table.data}
    t = Table("", cells, np.concatenate([f.table.lines for f in files]), files[0].table.headers)
    bad = np.zeros(len(files), dtype=bool)
    out = _checked(t, {c: np.concatenate([f.numbers[c] for f in files]) for c in _NUMERIC},
                   {c: np.concatenate([f.blank[c] for f in files]) for c in files[0].blank},
                   fi, bad)
    rows = finish_arrays(t, out, np.repeat(np.array([f.name for f in files], dtype=object), sizes))
    acode = _analysis_codes(rows, fi)
    _check_blocks(rows, fi, acode, bad)
    r_cut = np.r_[0, np.cumsum(sizes)]
    _number_subgroups(rows, files, r_cut)
    analyses = analyses_from_rows(rows, acode)
    a_file = fi[np.unique(acode, return_index=True)[1]]
    bad |= np.bincount(a_file, analyses["data_type"] == None, len(files)) > 0  # noqa: E711
    types = analyses["data_type"]
    rows = blank_by_type(rows, acode, types)
    flagged = np.zeros(len(fi), dtype=bool)  # rows check_rows would name
    refused = np.zeros(len(fi), dtype=bool)  # ... as a problem that refuses the file (strict)
    for mask, _, expected in row_findings(rows, _HEADERS, types[acode], lenient=not strict):
        flagged |= mask
        if strict and expected is not None:
            refused |= mask
    bad |= np.bincount(fi, refused, len(files)) > 0
    named = np.bincount(fi, flagged, len(files)) > 0
    decimals = _decimals(rows, fi, len(files))
    version = "2" if "subgroup_number" in files[0].blank else "1"
    a_cut = np.r_[0, np.cumsum(np.bincount(a_file, minlength=len(files)))]
    reviews: list[ColumnReview | None] = []
    for k, f in enumerate(files):
        if bad[k]:
            reviews.append(None)
            continue
        one_an = {c: v[a_cut[k]:a_cut[k + 1]] for c, v in analyses.items()}
        one_rows = {c: v[r_cut[k]:r_cut[k + 1]] for c, v in rows.items()}
        notes = f.notes + [f"{f.name}: no settings file; data types inferred from the filled "
                           "cells, method, measure and model unknown (settings_source 'none')"]
        warnings: list | None = None if strict else []
        if named[k]:  # rows RevMan cannot estimate (or display-only counts): named as alone
            check_rows(one_rows, None, notes=notes, warnings=warnings,
                       data_types=pd.Series(one_an["data_type"], index=one_an["analysis"]))
        reviews.append(ColumnReview(f.name, f"data-rows-{version}", review_id(f.name), one_an,
                                    one_rows, decimals[k], tuple(notes), tuple(warnings or ())))
    return reviews


def _checked(t: Table, vals: dict, blank: dict, fi: np.ndarray, bad: np.ndarray) -> dict:
    """The parsed numbers; files with a group, analysis or subgroup number that is not a whole
    number in range, or a row without a study name, are marked ``bad``. ``blank``: which cells
    of those columns (where present) were blank."""
    flagged = t.text("study") == ""
    out: dict[str, object] = {}
    for col, blank_as in (("group", None), ("number", None), ("subgroup_number", 0.0)):
        if col not in blank:  # no Subgroup number column (v1)
            continue
        # every cell parsed: a NaN is a missing marker as written, so blank means ""
        v, wrong, _ = t.whole_flags(col, vals[col], blank_as, blank=blank[col])
        flagged |= wrong | np.isnan(v)
        out[col] = np.where(np.isnan(v), 0.0, v)  # the files of NaN rows are left out
        if col == "number":
            out.update({c: vals[c] for c in ROW_NUMERIC})
    bad |= np.bincount(fi, flagged, len(bad)) > 0
    return out


def _analysis_codes(rows: dict, fi: np.ndarray) -> np.ndarray:
    """Each row's analysis as 0..n-1 in order of appearance, an analysis being (file, number)."""
    span = (MAX_NUMBER + 1) ** 2
    return pd.factorize(fi * span + rows["group"] * (MAX_NUMBER + 1) + rows["number"])[0]


def _check_blocks(rows: dict, fi: np.ndarray, acode: np.ndarray, bad: np.ndarray) -> None:
    """Files where :func:`~mytools.data.revman.datarows.check_blocks` would raise: an analysis
    whose rows are not one block under one name."""
    names = _per_unique(np.asarray(rows["analysis_name"]), lambda n: " ".join(str(n).split()))
    starts = np.flatnonzero(np.r_[True, (acode[1:] != acode[:-1]) | (names[1:] != names[:-1])])
    again = pd.Series(acode[starts]).duplicated().to_numpy()
    bad[fi[starts[again]]] = True


def _number_subgroups(rows: dict, files: list[_File], cuts: np.ndarray) -> None:
    """:func:`~mytools.data.revman.datarows.number_subgroups` (no subgroups file) on each file's
    rows, its notes added to the file's."""
    cols = [c for c in ("analysis", "subgroup", "subgroup_number", "file") if c in rows]
    numbers = []
    for k, f in enumerate(files):
        one = {c: rows[c][cuts[k]:cuts[k + 1]] for c in cols}
        numbers.append(number_subgroups(one, None, f.notes)["subgroup_number"])
    rows["subgroup_number"] = np.concatenate(numbers)


def _decimals(rows: dict, fi: np.ndarray, n_files: int) -> list[int | None]:
    """:func:`~mytools.data.revman.model.decimals_of` of each file's stored numbers."""
    vals = np.column_stack([rows[c] for c in ("revman_weight", "revman_estimate", "revman_ci_low",
                                              "revman_ci_high")])
    finite = np.isfinite(vals)
    has = np.bincount(fi, finite.any(axis=1), n_files) > 0
    out: list[int | None] = [None] * n_files
    todo = has.copy()
    with np.errstate(invalid="ignore"):
        for k in (6, 8):
            off = np.bincount(fi, (finite & ~fits_decimals(vals, k)).any(axis=1), n_files) > 0
            for j in np.flatnonzero(todo & ~off):
                out[j] = k
            todo &= off
    return out
