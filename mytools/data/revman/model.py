"""The review-data model: one :class:`ReviewData` for every RevMan / Cochrane format.

Every reader (data package v1/v2.x, bare data rows, .rm5, RevMan 5 CSV) returns these columns: one
model, several formats (listed in the README, "reproduce"). Arms are
``intervention`` (RevMan's "experimental", group 1) and ``control`` (group 2).
"""
from __future__ import annotations

import html
import math
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = [
    "ReviewData", "ANALYSIS_COLUMNS", "ROW_COLUMNS", "SUBGROUP_COLUMNS", "RESULT_COLUMNS",
    "INPUT_COLUMNS", "APPLICABLE", "canonical_measure", "unescape", "review_id", "decimals_of",
    "ColumnReview", "blank_by_type", "fits_decimals",
]

RESULT_COLUMNS = (
    "revman_events_intervention", "revman_n_intervention", "revman_events_control",
    "revman_n_control", "revman_estimate", "revman_ci_low", "revman_ci_high", "revman_pi_low",
    "revman_pi_high", "revman_tau2", "revman_tau2_ci_low", "revman_tau2_ci_high", "revman_q",
    "revman_df", "revman_p_q", "revman_i2", "revman_z", "revman_t", "revman_p",
    "revman_subgroup_q", "revman_subgroup_df", "revman_subgroup_p", "revman_subgroup_i2",
)
ANALYSIS_COLUMNS = (
    "analysis", "group", "number", "name", "group_name", "data_type", "method", "measure",
    "measure_label", "log_scale", "model", "tau2_method", "ci_method", "study_ci_level",
    "ci_level", "swap_events", "overall", "subgroup_estimates", "subgroup_test",
    "prediction_interval", "tau2_ci", "label_intervention", "label_control", "settings_source",
    *RESULT_COLUMNS,
    # display and provenance: raw name (HTML entities kept), plot labels, units, data source
    "name_raw", "graph_label_left", "graph_label_right", "unit", "data_source",
)
INPUT_COLUMNS = (
    "events_intervention", "n_intervention", "events_control", "n_control",
    "mean_intervention", "sd_intervention", "mean_control", "sd_control",
    "giv_estimate", "giv_se", "o_e", "variance",
)
ROW_COLUMNS = (
    "analysis", "group", "number", "subgroup", "subgroup_number", "applicability", "study",
    "year", *INPUT_COLUMNS, "revman_weight", "revman_estimate", "revman_ci_low",
    "revman_ci_high", "footnote", "file", "line",
)
SUBGROUP_COLUMNS = (
    "analysis", "group", "number", "subgroup", "subgroup_number",
    *(c for c in RESULT_COLUMNS if not c.startswith("revman_subgroup_")), "revman_weight",
)
# which inputs a data type uses (the rest are "not applicable": NaN whatever the file holds)
APPLICABLE = {
    "dichotomous": {"events_intervention", "n_intervention", "events_control", "n_control"},
    "continuous": {"mean_intervention", "sd_intervention", "n_intervention", "mean_control",
                   "sd_control", "n_control"},
    "generic": {"giv_estimate", "giv_se", "n_intervention", "n_control"},
    "o_e": {"o_e", "variance", "n_intervention", "n_control", "events_intervention",
            "events_control"},
}
_MEASURES = {
    "risk ratio": "RR", "rr": "RR", "odds ratio": "OR", "or": "OR", "risk difference": "RD",
    "rd": "RD", "mean difference": "MD", "md": "MD", "std. mean difference": "SMD",
    "standardized mean difference": "SMD", "standardised mean difference": "SMD", "smd": "SMD",
    "peto odds ratio": "PETO_OR", "peto_or": "PETO_OR", "hazard ratio": "HR", "hr": "HR",
}


def canonical_measure(label: str | None, data_type: str | None) -> str | None:
    """Canonical effect measure for a file's text; free text of generic / O−E data → "generic";
    None when the text is unknown for dichotomous or continuous data (the caller raises).

    >>> canonical_measure("Std. Mean Difference", "continuous")
    'SMD'
    >>> canonical_measure("Ratio of means", "generic")
    'generic'
    """
    key = " ".join((label or "").split()).lower()
    m = _MEASURES.get(key)
    if data_type in ("generic", "o_e"):
        return m or "generic"
    ok = {"dichotomous": {"RR", "OR", "RD", "PETO_OR"}, "continuous": {"MD", "SMD"}}
    return m if m in ok.get(data_type or "", set()) else None


_TAGS = re.compile(r"<[^>]+>")


def unescape(text: str | None) -> str:
    """Display text: HTML entities decoded, non-breaking spaces and runs of spaces collapsed.

    >>> unescape("Risk&nbsp;ratio &lt; 1 ")
    'Risk ratio < 1'
    """
    if not text:
        return ""
    return " ".join(html.unescape(text).replace("\xa0", " ").split())


@dataclass(frozen=True)
class ReviewData:
    """A review's analyses, study rows and RevMan's stored results, whatever the file format."""

    source: str
    format: str
    review_id: str | None
    analyses: pd.DataFrame
    rows: pd.DataFrame
    subgroups: pd.DataFrame
    decimals: int | None
    notes: tuple[str, ...] = ()
    title: str | None = None  # the review's title where the file has it
    # rows RevMan keeps but cannot estimate (lenient reading): mytools.data.Problem, by line
    warnings: tuple = ()

    def analysis(self, key: str) -> dict:
        """One analysis (settings and stored results) as a dict; KeyError names the keys."""
        hit = self.analyses[self.analyses["analysis"] == key]
        if hit.empty:
            raise KeyError(f"{self.source}: no analysis {key!r}; available: "
                           f"{', '.join(self.analyses['analysis'])}")
        return hit.iloc[0].to_dict()

    def study_rows(self, key: str, subgroup_number: int | None = None) -> pd.DataFrame:
        """The study rows of one analysis (optionally one subgroup), in file order."""
        r = self.rows[self.rows["analysis"] == key]
        if subgroup_number is not None:
            r = r[r["subgroup_number"] == subgroup_number]
        return r.reset_index(drop=True)


@dataclass(frozen=True)
class ColumnReview:
    """A review read as column arrays (``analyses``, ``rows``: dicts in :func:`frame`'s column
    order), its DataFrames not built yet: ``reproduce`` concatenates the columns of many reviews
    and builds one frame for all of them, instead of one per review and a concat. :meth:`review`
    gives the :class:`ReviewData` (the same frames as reading the file with ``read_review``).
    The bare data-rows reader returns it; the other attributes are those of ``ReviewData``."""

    source: str
    format: str
    review_id: str | None
    analyses: dict
    rows: dict
    decimals: int | None
    notes: tuple[str, ...] = ()
    warnings: tuple = ()

    @property
    def empty(self) -> bool:
        return not len(self.analyses["analysis"])

    def review(self) -> ReviewData:
        rows = frame(self.rows, ROW_COLUMNS)
        subgroups = frame(pd.DataFrame(columns=list(SUBGROUP_COLUMNS)), SUBGROUP_COLUMNS)
        return ReviewData(self.source, self.format, self.review_id,
                          frame(self.analyses, ANALYSIS_COLUMNS), frame(rows, ROW_COLUMNS),
                          subgroups, self.decimals, self.notes, None, self.warnings)


def frame(records: list[dict] | dict | pd.DataFrame, columns: tuple[str, ...]) -> pd.DataFrame:
    """A table with exactly ``columns`` first (missing ones NaN), extra columns kept after them."""
    if isinstance(records, dict):  # columns as arrays: one construction, no reindex
        n = len(next(iter(records.values()))) if records else 0
        order = [*columns, *(c for c in records if c not in columns)]
        return pd.DataFrame({c: records[c] if c in records else np.full(n, np.nan)
                             for c in order})
    df = records if isinstance(records, pd.DataFrame) else pd.DataFrame(records)
    extra = [c for c in df.columns if c not in columns]
    if list(df.columns) == [*columns, *extra] and isinstance(df.index, pd.RangeIndex) \
            and df.index.start == 0 and df.index.step == 1:
        return df
    return df.reindex(columns=[*columns, *extra]).reset_index(drop=True)


# applicability table: data type (row, APPLICABLE's order) x input column; unknown types keep all
_APPLICABLE_TABLE = np.array([[c in APPLICABLE[t] for c in INPUT_COLUMNS] for t in APPLICABLE]
                             + [[True] * len(INPUT_COLUMNS)])


def lookup(values: pd.Series, keys) -> np.ndarray:
    """``values.reindex(keys)`` as an object array (missing keys → NaN), by a dict when the index
    is unique (a reindex costs a fraction of a millisecond per call, many times per file)."""
    if not values.index.is_unique:
        return values.reindex(keys).to_numpy(dtype=object)
    m = dict(zip(values.index.tolist(), values.to_numpy(dtype=object).tolist()))
    return np.array([m.get(k, np.nan) for k in keys], dtype=object)


def blank_inapplicable(rows: pd.DataFrame | dict, data_types: pd.Series) -> pd.DataFrame | dict:
    """Set inputs that do not apply to each row's data type to NaN (v1 zero-fill = v2 blank).

    Arm sizes of generic / O−E rows are optional: 0 there means "not entered" (NaN); O−E rows'
    event counts are display-only and kept only when the analysis has some non-zero count.
    """
    codes, keys = pd.factorize(np.asarray(rows["analysis"]))
    return blank_by_type(rows, codes, lookup(data_types, keys))


def blank_by_type(rows: pd.DataFrame | dict, codes: np.ndarray, types_of: np.ndarray
                  ) -> pd.DataFrame | dict:
    """:func:`blank_inapplicable` given each row's analysis as ``codes`` (0..n-1) and the data
    type of each analysis (``types_of``, by code)."""
    types = list(APPLICABLE)
    kind = np.array([types.index(t) if t in APPLICABLE else len(types)
                     for t in types_of], dtype=int)[codes] \
        if len(types_of) else np.zeros(0, dtype=int)
    table = _APPLICABLE_TABLE
    vals = np.column_stack([np.asarray(rows[c], dtype=float) for c in INPUT_COLUMNS])
    vals[~table[kind]] = np.nan
    opt = np.isin(kind, [types.index("generic"), types.index("o_e")])
    for j, col in enumerate(INPUT_COLUMNS):
        if col.startswith("n_"):
            vals[opt & (vals[:, j] == 0), j] = np.nan
    oe = kind == types.index("o_e")
    if oe.any():
        for col in ("events_intervention", "events_control"):
            j = INPUT_COLUMNS.index(col)
            nonzero = np.bincount(codes, np.nan_to_num(vals[:, j]) != 0, len(types_of)) > 0
            vals[oe & ~nonzero[codes], j] = np.nan
    if isinstance(rows, pd.DataFrame):
        rows[list(INPUT_COLUMNS)] = vals
    else:  # a dict of column arrays (bare data rows, before their DataFrame is built)
        rows.update({c: vals[:, j] for j, c in enumerate(INPUT_COLUMNS)})
    return rows


_CD = re.compile(r"CD\d{6}")


def review_id(*names: str) -> str | None:
    """The first Cochrane review number (``CD`` + 6 digits) in the names, else None.

    >>> review_id("x/CD015855-data-rows.csv")
    'CD015855'
    """
    for n in names:
        m = _CD.search(n)
        if m:
            return m.group()
    return None


def decimals_of(*columns: np.ndarray) -> int | None:
    """Digits RevMan's stored numbers carry: 6 (v1, v2.2), 8 (RevMan 5 CSV) or None (full).

    >>> decimals_of(np.array([0.557143, 6.0e-5, np.nan]))
    6
    >>> decimals_of(np.array([0.40001633032014594])) is None
    True
    """
    vals = np.concatenate([np.asarray(c, dtype=float).ravel() for c in columns]) if columns else []
    vals = vals[np.isfinite(vals)]
    if not len(vals):
        return None
    for k in (6, 8):
        if np.all(fits_decimals(vals, k)):
            return k
    return None


def fits_decimals(vals: np.ndarray, k: int) -> np.ndarray:
    """Per finite value: whether it carries at most ``k`` decimals (:func:`decimals_of`'s test)."""
    return np.abs(np.round(vals, k) - vals) <= 1e-9 * np.maximum(1, np.abs(vals)) * 1e-3
