"""Figures for the book, one import away: the forest plot and the evidence map.

This module keeps the names chapters and other layers import (``plots.forest_plot``,
``plots.forest_figure``, ``plots.OKABE_ITO`` …); the work is done in :mod:`.forest`,
:mod:`.forest_adapt`, :mod:`.evidence_map`, :mod:`.figures` and :mod:`.revman_text`.
"""
from __future__ import annotations

from typing import Any, Mapping, Sequence

from matplotlib.figure import Figure

from . import forest as _forest
from . import forest_compact
from .evidence_map import evidence_map, evidence_map_alt, evidence_map_compact, evidence_map_frame
from .figures import FigureWithAlt, PngFigure, SvgFigure
from .forest_adapt import forest_data, from_registry_result, get, provenance_flags
from .forest_data import ForestData, data_type_of_measure
from .revman_text import (favours_sides, format_p, heterogeneity_text, overall_effect_text,
                          subgroup_test_text)
from .style import CERTAINTY_COLOURS, OKABE_ITO, PROVENANCE_MARKS

__all__ = [
    "OKABE_ITO", "CERTAINTY_COLOURS", "PROVENANCE_MARKS", "format_p", "heterogeneity_text",
    "overall_effect_text", "subgroup_test_text", "favours_sides", "forest_plot", "forest_figure",
    "evidence_map", "evidence_map_alt", "evidence_map_frame", "evidence_map_figure",
    "FigureWithAlt", "PngFigure",
    "SvgFigure", "to_forest_data", "provenance_flags",
]


def to_forest_data(obj: Any, *, label_intervention: str | None = None,
                   label_control: str | None = None, higher_is_better: bool | None = None,
                   measure: str | None = None, data_type: str | None = None,
                   flags: Mapping[str, Sequence[str]] | None = None,
                   footnotes: Sequence[str] = ()) -> ForestData:
    """ForestData from a :class:`ForestData` (returned as is), a registry ``AnalysisResult``
    (``spec`` + ``result``) or an engine result plus the labels and direction given here."""
    if isinstance(obj, ForestData):
        return obj
    if get(obj, "spec") is not None:
        fd = from_registry_result(obj, footnotes=footnotes)
        if flags is not None:
            fd = _reflag(obj, fd, flags, footnotes)
        return fd
    if higher_is_better is None:
        raise ValueError("higher_is_better is needed to place the 'Favours' labels")
    m = str(measure or obj.measure)
    return forest_data(obj, data_type=data_type or data_type_of_measure(m), measure=m,
                       method=str(get(obj, "method") or "IV"), model=str(get(obj, "model") or "fixed"),
                       label_intervention=label_intervention or "intervention",
                       label_control=label_control or "control",
                       higher_is_better=bool(higher_is_better), flags=flags, footnotes=footnotes)


def _reflag(ar: Any, fd: ForestData, flags: Mapping[str, Sequence[str]],
            footnotes: Sequence[str]) -> ForestData:
    spec = dict(get(ar, "spec"))
    return forest_data(ar.result, data_type=fd.data_type, measure=fd.measure, method=fd.method,
                       model=fd.model, label_intervention=str(spec.get("label_intervention")),
                       label_control=str(spec.get("label_control")),
                       higher_is_better=fd.higher_is_better, flags=flags, footnotes=footnotes)


def forest_plot(obj: Any, *, xlim: tuple[float, float] | None = None, **kwargs: Any) -> Figure:
    """A RevMan 5-style forest plot of ``obj`` (see :func:`to_forest_data` for what it accepts)."""
    fd = to_forest_data(obj, **kwargs)
    fig = _forest.forest_plot(fd, xlim=xlim)
    meta = fig.forest_meta  # type: ignore[attr-defined]
    meta["favours_left"], meta["favours_right"] = meta["favours"]
    return fig


def forest_figure(obj: Any, **kwargs: Any) -> SvgFigure:
    """:func:`forest_plot` as a readable SVG with its generated alt text, ready to glue."""
    xlim = kwargs.pop("xlim", None)
    return forest_compact.forest_figure(to_forest_data(obj, **kwargs), xlim=xlim)


def evidence_map_figure(frame: Any) -> SvgFigure:
    """The evidence map ready to glue: the full grid, and its transposed compact drawing for a
    phone (:func:`~mytools.present.evidence_map.evidence_map_compact`), each with alt text."""
    alt = evidence_map_alt(frame)
    return SvgFigure(evidence_map(frame), alt, min_px=620, compact=evidence_map_compact(frame),
                     compact_alt=alt + " Compact layout for a narrow screen: outcomes as rows, "
                     "the comparisons as columns.")
