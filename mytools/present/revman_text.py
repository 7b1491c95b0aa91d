"""The text lines and axis scales of a RevMan 5 forest plot.

Formats follow RevMan 5's printed forest plots (Cochrane Handbook ch. 10 figures; RevMan 5.4
user guide): P values, the heterogeneity line, the test for overall effect, the test for subgroup
differences, and the symmetric axis scales RevMan picks.
"""
from __future__ import annotations
from ..engine.vocabulary import MEASURE_NAMES, RATIO_MEASURES

import math
from typing import Any, Iterable

import numpy as np

__all__ = [
    "MEASURE_NAMES", "METHOD_NAMES", "RATIO_MEASURES", "format_p", "fmt_num",
    "heterogeneity_text", "overall_effect_text", "subgroup_test_text", "favours_sides",
    "ratio_scale", "linear_scale",
]

METHOD_NAMES = {"MH": "M-H", "IV": "IV", "PETO": "Peto", "Peto": "Peto"}


def format_p(p: float | None) -> str:
    """Format a P value as RevMan 5 prints it in a forest plot.

    ``P < 0.00001`` below 0.00001; one significant digit below 0.01; otherwise two decimals.

    >>> format_p(0.0004), format_p(0.134), format_p(0.0000001)
    ('P = 0.0004', 'P = 0.13', 'P < 0.00001')
    """
    if p is None or not np.isfinite(p):
        return "P = not estimable"
    if p < 0.00001:
        return "P < 0.00001"
    if p < 0.01:
        digits = -math.floor(math.log10(p))
        value = round(p, digits)
        if value >= 0.01:  # rounding carried over (e.g. 0.0096 -> 0.01)
            return "P = 0.01"
        return f"P = {value:.{digits}f}"
    return f"P = {p:.2f}"


def fmt_num(x: float | None, digits: int = 2) -> str:
    """A number with ``digits`` decimals and a typographic minus; '' for a missing value."""
    if x is None or (isinstance(x, float) and not np.isfinite(x)):
        return ""
    return f"{x:.{digits}f}".replace("-", "\u2212")


def heterogeneity_text(result: Any) -> str:
    """RevMan's heterogeneity line for a pooled result.

    Fixed effect: ``Heterogeneity: Chi² = 9.95, df = 6 (P = 0.13); I² = 40%``; random effects
    add ``Tau² = ..;`` in front; one estimable study: ``Heterogeneity: Not applicable``.
    """
    df = getattr(result, "df", None)
    if df is None or df < 1 or getattr(result, "q", None) is None:
        return "Heterogeneity: Not applicable"
    parts = []
    if str(getattr(result, "model", "fixed")).lower().startswith("random"):
        parts.append(f"Tau\u00b2 = {fmt_num(result.tau2)}; ")
    parts.append(
        f"Chi\u00b2 = {fmt_num(result.q)}, df = {int(df)} ({format_p(result.p_q)}); "
        f"I\u00b2 = {int(math.floor(result.i2 + 0.5))}%"
    )
    return "Heterogeneity: " + "".join(parts)


def overall_effect_text(result: Any) -> str:
    """RevMan's line ``Test for overall effect: Z = 3.29 (P = 0.001)``."""
    z = getattr(result, "z", None)
    if z is None or not np.isfinite(z):
        return "Test for overall effect: Not applicable"
    return f"Test for overall effect: Z = {abs(z):.2f} ({format_p(result.p)})"


def subgroup_test_text(q: float | None, df: int | None, p: float | None, i2: float | None) -> str:
    """RevMan's ``Test for subgroup differences: Chi² = 0.51, df = 2 (P = 0.77), I² = 0%``."""
    if q is None or df is None or df < 1 or not np.isfinite(q):
        return "Test for subgroup differences: Not applicable"
    return (f"Test for subgroup differences: Chi\u00b2 = {fmt_num(q)}, df = {int(df)} "
            f"({format_p(p)}), I\u00b2 = {int(math.floor((i2 or 0.0) + 0.5))}%")


def favours_sides(higher_is_better: bool, label_intervention: str,
                  label_control: str) -> tuple[str, str]:
    """Return the (left, right) "Favours ..." labels of a forest plot.

    Right of the line of no effect lies an effect above it (RR > 1, MD > 0). When a higher value
    is better for the patient (responders, strength), the right side favours the intervention;
    when a higher value is worse (serious adverse events, CDASI activity), the left side does.
    """
    fi, fc = f"Favours {label_intervention}", f"Favours {label_control}"
    return (fc, fi) if higher_is_better else (fi, fc)


_RATIO_SCALES: list[tuple[float, list[float]]] = [
    (2, [0.5, 0.7, 1, 1.5, 2]),
    (5, [0.2, 0.5, 1, 2, 5]),
    (10, [0.1, 0.2, 0.5, 1, 2, 5, 10]),
    (20, [0.05, 0.2, 1, 5, 20]),
    (50, [0.02, 0.1, 1, 10, 50]),
    (100, [0.01, 0.1, 1, 10, 100]),
    (1000, [0.001, 0.1, 1, 10, 1000]),
]


def _logs(values: Iterable[float]) -> list[float]:
    return [abs(math.log(v)) for v in values if v and np.isfinite(v) and v > 0]


def ratio_scale(values: Iterable[float], must: Iterable[float]) -> tuple[float, list[float]]:
    """Smallest symmetric log scale (1/R .. R) holding `must` and, if R <= 100, `values`.

    >>> ratio_scale([0.5, 3.2], [1.8])
    (5, [0.2, 0.5, 1, 2, 5])
    """
    need_must = max(_logs(must) or [0.0])
    need_all = max([need_must] + _logs(values))
    for r, ticks in _RATIO_SCALES:
        if math.log(r) >= need_all * 0.999:
            return r, ticks
    for r, ticks in _RATIO_SCALES:
        if math.log(r) >= need_must * 0.999 and r >= 100:
            return r, ticks
    return _RATIO_SCALES[-1]


def linear_scale(values: Iterable[float]) -> tuple[float, list[float]]:
    """Smallest symmetric linear scale (−B .. B) from a RevMan-like list holding every value.

    >>> linear_scale([-11.9, -4.5])
    (20, [-20, -10.0, 0, 10.0, 20])
    """
    need = max([abs(v) for v in values if v is not None and np.isfinite(v)] or [1.0])
    for base in (0.5, 1, 2, 4, 5, 10, 20, 25, 50, 100, 200, 500, 1000, 2000, 5000):
        if base >= need * 0.999:
            return base, [-base, -base / 2, 0, base / 2, base]
    return need, [-need, 0, need]
