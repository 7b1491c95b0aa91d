"""What a forest plot shows, as plain data: rows, subgroup blocks, totals, text lines, footnotes.

:func:`mytools.present.forest.forest_plot` draws a :class:`ForestData` and nothing else. The
adapters here build one from the typed analysis result of :mod:`mytools.analyses` (the data type
comes from the result, never from guessing at columns).
"""
from __future__ import annotations

import math
import string
from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

import pandas as pd

from . import revman_text as rt
from .style import PROVENANCE_MARKS
from ..engine.vocabulary import CONTINUOUS_MEASURES, DICHOTOMOUS_MEASURES, is_ratio

__all__ = ["ForestRow", "ForestTotal", "ForestBlock", "ForestData", "ARM_COLUMNS", "total_of",
           "footnote_marks", "data_type_of_measure"]

#: Column heads per arm, by data type (RevMan's).
ARM_COLUMNS: dict[str, tuple[str, ...]] = {
    "dichotomous": ("Events", "Total"),
    "continuous": ("Mean", "SD", "Total"),
    "generic": (),
}


@dataclass(frozen=True)
class ForestRow:
    """One study: formatted arm cells, weight (percent), estimate and CI (natural scale)."""

    label: str
    cells_intervention: tuple[str, ...] = ()
    cells_control: tuple[str, ...] = ()
    cells_generic: tuple[str, ...] = ()
    weight: float | None = None
    estimate: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    marks: str = ""

    @property
    def estimable(self) -> bool:
        return self.estimate is not None and math.isfinite(self.estimate)


@dataclass(frozen=True)
class ForestTotal:
    """A subtotal or total row with its text lines (heterogeneity, test for overall effect)."""

    label: str
    n_intervention: str = ""
    n_control: str = ""
    events_intervention: str | None = None
    events_control: str | None = None
    weight: float | None = None
    estimate: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    lines: tuple[str, ...] = ()

    @property
    def estimable(self) -> bool:
        return self.estimate is not None and math.isfinite(self.estimate)


@dataclass(frozen=True)
class ForestBlock:
    """A subgroup (``title``) or the whole analysis (``title=None``)."""

    title: str | None
    rows: tuple[ForestRow, ...]
    total: ForestTotal | None = None


@dataclass(frozen=True)
class ForestData:
    """Everything a RevMan-style forest plot prints."""

    data_type: str
    measure: str
    method: str
    model: str
    label_intervention: str
    label_control: str
    higher_is_better: bool
    blocks: tuple[ForestBlock, ...]
    total: ForestTotal | None = None
    subgroup_line: str | None = None
    footnotes: tuple[str, ...] = ()
    title: str | None = None
    generic_heads: tuple[str, ...] = field(default=())

    @property
    def ratio(self) -> bool:
        return is_ratio(self.measure)

    @property
    def rows(self) -> list[ForestRow]:
        return [r for b in self.blocks for r in b.rows]


def data_type_of_measure(measure: str, generic: bool = False) -> str:
    """``dichotomous`` for RR/OR/RD/Peto OR, ``continuous`` for MD/SMD, ``generic`` when asked."""
    if generic:
        return "generic"
    m = measure.upper()
    if m in DICHOTOMOUS_MEASURES:
        return "dichotomous"
    if m in CONTINUOUS_MEASURES:
        return "continuous"
    return "generic"


def _int_text(v: Any) -> str:
    if v is None or (isinstance(v, float) and not math.isfinite(v)) or pd.isna(v):
        return ""
    v = float(v)
    return str(int(v)) if v.is_integer() else f"{v:g}"


def _sum_text(values: Sequence[Any]) -> str:
    vals = [float(v) for v in values if v is not None and not pd.isna(v)]
    return _int_text(sum(vals)) if vals else ""


def total_of(label: str, result: Any, rows: pd.DataFrame, data_type: str,
             lines: Sequence[str] | None = None) -> ForestTotal:
    """A (sub)total row from an engine result and the study rows it pooled.

    ``rows`` has the columns ``n_intervention``/``n_control`` (and ``events_*`` for dichotomous
    data); the text lines default to RevMan's heterogeneity and overall-effect lines.
    """
    est = getattr(result, "estimate", None) if result is not None else None
    ok = est is not None and math.isfinite(est)
    dich = data_type == "dichotomous"
    has_n = data_type in ("dichotomous", "continuous") and "n_intervention" in rows
    return ForestTotal(
        label=label,
        n_intervention=_sum_text(rows["n_intervention"]) if has_n else "",
        n_control=_sum_text(rows["n_control"]) if has_n else "",
        events_intervention=_sum_text(rows["events_intervention"]) if dich else None,
        events_control=_sum_text(rows["events_control"]) if dich else None,
        weight=None,
        estimate=est if ok else None,
        ci_low=getattr(result, "ci_low", None) if ok else None,
        ci_high=getattr(result, "ci_high", None) if ok else None,
        lines=tuple(lines) if lines is not None else (
            (rt.heterogeneity_text(result), rt.overall_effect_text(result)) if result is not None
            else ("Heterogeneity: Not applicable", "Test for overall effect: Not applicable")),
    )


def footnote_marks(notes: Mapping[str, Sequence[str]]) -> tuple[dict[str, str], list[str]]:
    """Letters for footnotes, RevMan-style: ``({label: 'a,b'}, ['a  text', 'b  text'])``.

    ``notes`` maps a study label to its footnote texts; identical texts share one letter.
    """
    letters: dict[str, str] = {}
    marks: dict[str, str] = {}
    for label, texts in notes.items():
        own = []
        for text in texts:
            text = str(text).strip()
            if not text:
                continue
            if text not in letters:
                i = len(letters)
                letters[text] = string.ascii_lowercase[i % 26] * (1 + i // 26)
            own.append(letters[text])
        if own:
            marks[label] = ",".join(dict.fromkeys(own))
    return marks, [f"{letter}  {text}" for text, letter in letters.items()]


def provenance_lines(used: Sequence[str]) -> list[str]:
    """Footnote lines for the provenance marks used (†, ‡)."""
    return [f"{PROVENANCE_MARKS[p][0]}  {PROVENANCE_MARKS[p][1]}" for p in used if p in PROVENANCE_MARKS]
