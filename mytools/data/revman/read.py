"""``read_review(path)``: any RevMan / Cochrane review-data file → one :class:`ReviewData`."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from mytools.data.revman.checks import check_rows
from mytools.data.revman.datapackage import read_overall, read_subgroups
from mytools.data.revman.datarows import (
    check_blocks, finish_rows, infer_data_types, number_subgroups, read_row_arrays, read_rows,
)
from mytools.data.revman.model import (
    ANALYSIS_COLUMNS, SUBGROUP_COLUMNS, ColumnReview, ReviewData, blank_inapplicable, decimals_of,
    frame, review_id, unescape,
)
from mytools.data.revman.revman_csv import read_revman_csv
from mytools.data.revman.rm5 import read_rm5
from mytools.data.revman.safeio import Member, ZipLimits, decode, fail, list_members, read_file

__all__ = ["read_review", "read_review_columns", "read_data_rows", "data_rows_columns",
           "read_package"]

SUFFIXES = {
    "overall": "-overall-estimates-and-settings.csv",
    "rows": "-data-rows.csv",
    "subgroups": "-subgroup-estimates.csv",
    "parameters": "-parameters.csv",
}
_NO_SUBGROUPS = frame(pd.DataFrame(columns=list(SUBGROUP_COLUMNS)), SUBGROUP_COLUMNS)


def analyses_from_rows(rows: pd.DataFrame | dict, codes: np.ndarray | None = None) -> dict:
    """Settings-free analyses of bare data rows (column arrays in :func:`frame`'s order): keys,
    names and the inferred data type; for generic data ``log_scale`` is True when RevMan shows
    exp(GIV Mean), False when it shows GIV Mean itself (more rows decide), None otherwise.
    ``codes``: each row's analysis as 0..n-1 in order of appearance (default: by its key)."""
    if codes is None:
        codes = pd.factorize(np.asarray(rows["analysis"]))[0]
    first = np.unique(codes, return_index=True)[1]
    keys = np.asarray(rows["analysis"])[first]
    dtype, rule = infer_data_types(rows, codes, len(keys))
    names = np.asarray(rows["analysis_name"])[first]
    n = len(keys)
    log = np.full(n, None, dtype=object)
    log[dtype == "o_e"] = True
    gen = dtype[codes] == "generic"
    if gen.any():
        est = np.asarray(rows["giv_estimate"], dtype=float)[gen]
        shown = np.asarray(rows["revman_estimate"], dtype=float)[gen]
        with np.errstate(over="ignore"):
            e = np.bincount(codes[gen], np.isclose(np.exp(est), shown, rtol=1e-4, atol=2e-6), n)
        li = np.bincount(codes[gen], np.isclose(est, shown, rtol=1e-4, atol=2e-6), n)
        is_gen = dtype == "generic"
        log[is_gen & (e > li)] = True
        log[is_gen & (li > e)] = False
    none, nan = np.full(n, None, dtype=object), np.full(n, np.nan)
    out = {c: nan for c in ANALYSIS_COLUMNS}
    for col in ("method", "measure", "measure_label", "model", "tau2_method", "ci_method",
                "label_intervention", "label_control", "swap_events", "overall",
                "subgroup_estimates", "subgroup_test", "prediction_interval", "tau2_ci"):
        out[col] = none
    out.update({
        "analysis": np.asarray(keys, dtype=object), "group": np.asarray(rows["group"])[first],
        "number": np.asarray(rows["number"])[first],
        "name": np.array([unescape(x) for x in names], dtype=object),
        "group_name": np.full(n, "", dtype=object), "data_type": dtype, "log_scale": log,
        "settings_source": np.full(n, "none", dtype=object), "name_raw": names,
        "data_type_rule": rule,
    })
    return out


def read_data_rows(name: str, text: str, notes: list[str], *, source: str,
                   rid: str | None, warnings: list | None = None) -> ReviewData:
    """A bare ``…-data-rows.csv``: no settings file, data types inferred from the cells."""
    return data_rows_columns(name, text, notes, source=source, rid=rid, warnings=warnings).review()


def data_rows_columns(name: str, text: str, notes: list[str], *, source: str,
                      rid: str | None, warnings: list | None = None) -> ColumnReview:
    """:func:`read_data_rows` as column arrays (a :class:`ColumnReview`, no DataFrame built)."""
    rows, version = read_row_arrays(name, text, notes)  # columns as arrays throughout
    check_blocks(rows)
    rows = number_subgroups(rows, None, notes)
    analyses = analyses_from_rows(rows)
    undecided = [a for a, t in zip(analyses["analysis"], analyses["data_type"]) if t is None]
    if undecided:
        notes.append(f"{name}: data type of analysis {', '.join(undecided)} could not be inferred "
                     "(no filled input cell)")
    notes.append(f"{name}: no settings file; data types inferred from the filled cells, method, "
                 "measure and model unknown (settings_source 'none')")
    types = pd.Series(analyses["data_type"], index=analyses["analysis"])
    rows = blank_inapplicable(rows, types)
    check_rows(rows, None, notes=notes, data_types=types, warnings=warnings)
    dec = decimals_of(*(rows[c] for c in ("revman_weight", "revman_estimate", "revman_ci_low",
                                          "revman_ci_high")))
    return ColumnReview(source, f"data-rows-{version}", rid, analyses, rows, dec, tuple(notes),
                        tuple(warnings or ()))


def _find(members: list[Member], kind: str, label: str) -> Member | None:
    hits = [m for m in members if m.basename.lower().endswith(SUFFIXES[kind])
            and not m.basename.startswith("._")]
    if len(hits) > 1:
        raise fail(label, f"one file ending in {SUFFIXES[kind]!r} (one review per package)",
                   found=", ".join(m.name for m in hits))
    return hits[0] if hits else None


def read_package(path: Path, limits: ZipLimits, notes: list[str],
                 warnings: list | None = None) -> ReviewData:
    """A data package: outer zip, inner zip, extracted folder or ``…-analysis-data`` folder."""
    label = str(path)
    members = list_members(path, limits, notes)
    if _find(members, "parameters", label) is not None:
        raise fail(label, "an intervention review's package", found="a -parameters.csv file "
                   "(diagnostic test accuracy reviews are not read)")
    rows_m, overall_m = _find(members, "rows", label), _find(members, "overall", label)
    if rows_m is None:
        raise fail(label, "a RevMan data package with a file ending in '-data-rows.csv'",
                   found=f"{len(members)} file(s), none of them data rows")
    rid = review_id(label, rows_m.name)
    if overall_m is None:
        notes.append(f"{label}: no -overall-estimates-and-settings.csv; read as bare data rows")
        return read_data_rows(rows_m.name, decode(rows_m.read(), rows_m.name, notes), notes,
                              source=label, rid=rid, warnings=warnings)
    analyses, version = read_overall(overall_m.name,
                                     decode(overall_m.read(), overall_m.name, notes), notes)
    sub_m = _find(members, "subgroups", label)
    subgroups = (read_subgroups(sub_m.name, decode(sub_m.read(), sub_m.name, notes), notes)
                 if sub_m is not None else _NO_SUBGROUPS.copy())
    _blank_totals(analyses, subgroups)
    rows, rows_version = read_rows(rows_m.name, decode(rows_m.read(), rows_m.name, notes), notes)
    if rows_version != version[0]:
        notes.append(f"{rows_m.name}: data rows look like v{rows_version}, settings like v{version}")
    rows = number_subgroups(rows, subgroups, notes)
    check_rows(rows, analyses, only="analysis")
    check_blocks(rows)
    _check_subgroups(subgroups, analyses)
    types = analyses.set_index("analysis")["data_type"]
    rows = blank_inapplicable(rows, types)
    check_rows(rows, None, notes=notes, data_types=types, warnings=warnings)
    empty = sorted(set(analyses["analysis"]) - set(rows["analysis"]))
    if empty:
        notes.append(f"{label}: analysis {', '.join(empty)} has no study rows (kept, zero rows)")
    dec = decimals_of(*(analyses[c].to_numpy() for c in ("revman_estimate", "revman_ci_low",
                                                         "revman_ci_high", "revman_q")),
                      *(rows[c].to_numpy() for c in ("revman_weight", "revman_estimate")))
    analyses = analyses.drop(columns=["line"], errors="ignore")
    return ReviewData(label, f"datapackage-{version}", rid, analyses, finish_rows(rows),
                      subgroups.drop(columns=["file", "line"], errors="ignore"), dec, tuple(notes),
                      None, tuple(warnings or ()))


def _blank_totals(analyses: pd.DataFrame, subgroups: pd.DataFrame) -> None:
    """v1 writes 0 event totals for data types without events: not applicable (NaN)."""
    no_events = analyses.loc[~analyses["data_type"].isin(["dichotomous", "o_e"]), "analysis"]
    cols = ["revman_events_intervention", "revman_events_control"]
    analyses.loc[analyses["analysis"].isin(no_events), cols] = np.nan
    subgroups.loc[subgroups["analysis"].isin(no_events), cols] = np.nan


def _check_subgroups(subgroups: pd.DataFrame, analyses: pd.DataFrame) -> None:
    bad = ~subgroups["analysis"].isin(analyses["analysis"])
    if bad.any():
        r = subgroups[bad].iloc[0]
        raise fail(r["file"], "an analysis listed in the settings file", line=int(r["line"]),
                   column="'Analysis number'", found=r["analysis"], analysis=r["analysis"])


def _sniff_csv(head: bytes) -> str:
    first = head.split(b"\n", 1)[0].decode("utf-8", "replace").lower()
    if "analysis group" in first and "study" in first:
        return "rows"
    if "comparison number" in first or "data type" in first and "effect estimate" in first:
        return "revman5-csv"
    if "analysis group" in first:
        return "package-part"
    return "unknown"


def read_review(path: str | Path, *, limits: ZipLimits | None = None,
                strict: bool = True) -> ReviewData:
    """Read a RevMan / Cochrane review-data file into :class:`ReviewData`.

    ``path``: a data package (outer or inner zip, extracted folder, ``…-analysis-data`` folder),
    a bare ``…-data-rows.csv``, an ``.rm5`` file or a RevMan 5 CSV export. Bad or unsafe input
    (also special files, and a file with no analyses) raises :class:`~mytools.data.DataError`
    naming file (zip member), line and column. ``strict=False``: rows RevMan keeps but cannot
    estimate (events > N, N or SD <= 0 …) are kept and listed in ``ReviewData.warnings``
    instead of raising (``checks.check_rows``).
    """
    review = read_review_columns(path, limits=limits, strict=strict)
    return review.review() if isinstance(review, ColumnReview) else review


def read_review_columns(path: str | Path, *, limits: ZipLimits | None = None,
                        strict: bool = True) -> ReviewData | ColumnReview:
    """:func:`read_review`, but a bare data-rows file comes back as a :class:`ColumnReview`
    (column arrays; ``.review()`` builds the ReviewData): for readers of many files at once."""
    p = Path(path)
    limits = limits or ZipLimits()
    notes: list[str] = []
    warnings: list | None = None if strict else []
    if not p.exists():
        raise fail(str(p), "an existing file or folder", found="nothing at this path")
    review = _read(p, limits, notes, warnings)
    if review.analyses.empty if isinstance(review, ReviewData) else review.empty:
        raise fail(str(p), "at least one analysis", found="none (the file holds no analyses)")
    return review


def _read(p: Path, limits: ZipLimits, notes: list[str], warnings: list | None
          ) -> ReviewData | ColumnReview:
    if p.is_dir() or p.suffix.lower() == ".zip":
        return read_package(p, limits, notes, warnings)
    data = read_file(p, limits.max_file_bytes)
    if p.suffix.lower() == ".rm5" or data.lstrip(b"\xef\xbb\xbf \r\n\t").startswith(b"<"):
        return read_rm5(p, warnings)
    kind = _sniff_csv(data[:4096].lstrip(b"\xef\xbb\xbf"))
    if kind == "rows" or p.name.lower().endswith(SUFFIXES["rows"]):
        return data_rows_columns(str(p), decode(data, str(p), notes), notes, source=str(p),
                                 rid=review_id(str(p)), warnings=warnings)
    if kind == "revman5-csv":
        return read_revman_csv(p, warnings)
    if kind == "package-part":
        return read_package(p.parent, limits, notes, warnings)
    raise fail(str(p), "a data package (zip or folder), a -data-rows.csv, an .rm5 file or a "
               "RevMan 5 CSV export", line=1, found="an unrecognised header")
