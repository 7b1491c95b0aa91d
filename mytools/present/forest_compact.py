"""A compact forest plot for narrow screens (a phone), drawn from the same
:class:`~mytools.present.forest_data.ForestData` as RevMan's full layout (:mod:`.forest`).

RevMan's layout is a wide table (850–950 px): on a 390-px phone it would be shrunk to a third or
scrolled sideways. The compact layout keeps what a reader needs to read the plot -- each study's
name, its estimate with 95% CI and weight, the square and whisker, the (sub)totals as diamonds,
the heterogeneity and overall-effect lines, the axis with its "Favours" labels and the
footnotes -- in a figure :data:`WIDTH` inches wide (346 CSS px), so that it is shown at its own
size on a phone. The arm data (events, means, SDs, totals per arm) are left out; they are in the
full layout, which a tap on the compact plot opens (:class:`~mytools.present.figures.SvgFigure`).
Each study takes two or more lines: its name (wrapped), then ``estimate [low, high] · weight``.
"""
from __future__ import annotations

from typing import Any

from matplotlib.figure import Figure
from matplotlib.patches import Polygon

from . import revman_text as rt
from .figures import SvgFigure
from .forest import _Scale, _est_text, _w, _whisker, _wrap, _xlim, forest_plot
from .forest_data import ForestData, ForestRow, ForestTotal
from .style import FAMILY

__all__ = ["forest_compact", "compact_alt", "forest_figure", "WIDTH", "FONT_C"]

#: Width of the compact figure (inches): 3.6 in = 346 CSS px, the text column of a 390-px phone.
WIDTH = 3.6
#: Type size (points); at the figure's own size 9.5 pt is 12.7 CSS px.
FONT_C = 9.5
_LINE = FONT_C / 72 * 1.45  # inches per text line
_LEFT = 0.05
_COL = 2.02  # right edge of the study / estimate column (inches)
_G0, _G1 = 2.14, WIDTH - 0.1  # the graph's extent (inches)
_GREY = "#444444"


def _t(ax: Any, x: float, y: float, s: str, ha: str = "left", size: float = FONT_C,
       **kw: Any) -> None:
    ax.text(x, y, s, ha=ha, va="center", fontsize=size, family=FAMILY, **kw)


def _items(fd: ForestData) -> list[tuple[str, Any, list[str]]]:
    """The plot's content in reading order: (kind, payload, wrapped text lines)."""
    col = _COL - _LEFT  # all text stays left of the graph
    out: list[tuple[str, Any, list[str]]] = []
    for block in fd.blocks:
        if block.title:
            out.append(("title", block.title, _wrap(block.title, col, True, FONT_C)))
        for r in block.rows:
            label = r.label + (" " + r.marks if r.marks else "")
            out.append(("row", r, _wrap(label, col, False, FONT_C)))
        if block.total is not None:
            out.append(("total", block.total, [block.total.label]))
            out += [("line", ln, _wrap(_keep(ln), col, False, FONT_C * 0.9)) for ln in block.total.lines]
        out.append(("gap", None, []))
    if fd.total is not None:
        out.append(("total", fd.total, [fd.total.label]))
        out += [("line", ln, _wrap(_keep(ln), col, False, FONT_C * 0.9)) for ln in fd.total.lines]
    if fd.subgroup_line:
        out.append(("line", fd.subgroup_line, _wrap(_keep(fd.subgroup_line), col, False, FONT_C * 0.9)))
    return out


def _keep(line: str) -> str:
    """``Z = 2.00 (P = 0.05)`` wraps as whole phrases: no-break spaces around '=' and '<'."""
    for op in ("=", "<"):
        line = line.replace(f" {op} ", f"\u00a0{op}\u00a0")
    return line


def _est_line(item: ForestRow | ForestTotal) -> str:
    text = _est_text(item.estimate, item.ci_low, item.ci_high)
    if item.estimable and item.weight is not None:
        text += f"\u00a0\u00b7\u00a0{item.weight:.1f}%"  # the weight stays with the CI
    return text


def _ticks(sc: _Scale, ticks: list[float] | None) -> list[float]:
    """The axis ticks that fit side by side in the narrow graph: ends and null first."""
    if not ticks:
        return []
    null = 1.0 if sc.log else 0.0
    order = sorted(ticks, key=lambda t: (t not in (ticks[0], ticks[-1], null), abs(sc.t(t))))
    kept: list[tuple[float, float, float]] = []
    for t in order:
        half = _w(_tick_text(t), size=FONT_C * 0.9) / 2 + 0.04
        x = sc.x(t)
        if all(abs(x - kx) >= half + kh for _, kx, kh in kept):
            kept.append((t, x, half))
    return sorted(t for t, _, _ in kept)


def _tick_text(t: float) -> str:
    return f"{t:g}".replace("-", "\u2212")


def _header(ax: Any, fd: ForestData, y: float) -> float:
    mname = rt.MEASURE_NAMES.get(fd.measure.upper(), fd.measure)
    model = "Random" if fd.model.lower().startswith("random") else "Fixed"
    head = f"{mname}, {rt.METHOD_NAMES.get(fd.method, fd.method)}, {model}, 95% CI"
    for part in _wrap(head, WIDTH - 2 * _LEFT, True, FONT_C):
        _t(ax, _LEFT, y, part, fontweight="bold")
        y += 1
    _t(ax, _LEFT, y, "Study", fontweight="bold")
    _t(ax, _LEFT, y + 1, f"{fd.measure.replace('_', ' ')} [95% CI] \u00b7 weight", color=_GREY)
    ax.plot([_LEFT, WIDTH - _LEFT], [y + 1.6] * 2, color="black", lw=0.8)
    return y + 2.4


def _body(ax: Any, fd: ForestData, y: float) -> tuple[float, list[tuple[float, Any]], float]:
    """Write the text; return the next free line, the (y, row or total) marks and the y the
    graph starts at."""
    marks: list[tuple[float, Any]] = []
    first = y - 0.6
    for kind, item, lines in _items(fd):
        if kind == "gap":
            y += 0.4
            continue
        bold = {"fontweight": "bold"} if kind in ("title", "total") else {}
        size = FONT_C * 0.9 if kind == "line" else FONT_C
        for part in lines:
            _t(ax, _LEFT, y, part, size=size, **bold)
            y += 1
        if kind in ("row", "total"):  # 'estimate [low, high] · weight', wrapped if very wide
            est = _wrap(_est_line(item), _COL - _LEFT, bool(bold), FONT_C)
            for part in est:
                _t(ax, _LEFT, y, part, color="black" if bold else _GREY, **bold)
                y += 1
            marks.append((y - (len(lines) + len(est)) / 2 - 0.5, item))
            if kind == "row":
                ax.plot([_LEFT, _COL], [y - 0.45] * 2, color="#dddddd", lw=0.5)
    return y, marks, first


def _graph(ax: Any, fd: ForestData, marks: list[tuple[float, Any]], first: float, y_axis: float,
           xlim: tuple[float, float] | None) -> _Scale:
    lims, ticks = _xlim(fd, xlim)
    sc = _Scale(lims[0], lims[1], _G0, fd.ratio, _G1 - _G0)
    null = sc.x(1.0 if fd.ratio else 0.0)
    ax.plot([null, null], [first, y_axis], color="black", lw=0.8, zorder=1)
    for y, item in marks:
        if not item.estimable:
            continue
        if isinstance(item, ForestRow):
            _whisker(ax, item, y, sc)
        else:
            ax.add_patch(Polygon([(sc.x(item.ci_low), y), (sc.x(item.estimate), y - 0.4),
                                  (sc.x(item.ci_high), y), (sc.x(item.estimate), y + 0.4)],
                                 closed=True, facecolor="black", edgecolor="black", zorder=4))
    ax.plot([_G0, _G1], [y_axis, y_axis], color="black", lw=0.8)
    for t in _ticks(sc, ticks):
        ax.plot([sc.x(t)] * 2, [y_axis, y_axis + 0.3], color="black", lw=0.8)
        half = _w(_tick_text(t), size=FONT_C * 0.9) / 2  # a wide end label stays in the figure
        _t(ax, min(sc.x(t), WIDTH - 0.03 - half), y_axis + 0.85, _tick_text(t), ha="center",
           size=FONT_C * 0.9)
    return sc


def _favours(ax: Any, fd: ForestData, sc: _Scale, y: float) -> float:
    """The two 'Favours' labels either side of the line of no effect, wrapped to their room."""
    left, right = rt.favours_sides(fd.higher_is_better, fd.label_intervention, fd.label_control)
    null = sc.x(1.0 if fd.ratio else 0.0)
    arrow = _w("\u2190 ", size=FONT_C)
    lw = _wrap(left, null - 0.08 - _LEFT - arrow, False, FONT_C)
    rw = _wrap(right, WIDTH - _LEFT - null - 0.08 - arrow, False, FONT_C)
    lw[0], rw[-1] = "\u2190 " + lw[0], rw[-1] + " \u2192"
    # side by side when each fits its room; otherwise one under the other (never overlapping)
    lx = max(null - 0.06, _LEFT + max(_w(s, size=FONT_C) for s in lw))
    rx = min(null + 0.06, WIDTH - _LEFT - max(_w(s, size=FONT_C) for s in rw))
    ry = y
    if (lx, rx) != (null - 0.06, null + 0.06):
        ry = y + len(lw)
        rw = _wrap(right, WIDTH - 2 * _LEFT - arrow, False, FONT_C)
        rw[-1] += " \u2192"
        rx = min(null + 0.06, WIDTH - _LEFT - max(_w(s, size=FONT_C) for s in rw))
    for j, part in enumerate(lw):
        _t(ax, lx, y + j, part, ha="right")
    for j, part in enumerate(rw):
        _t(ax, rx, ry + j, part)
    return max(y + len(lw), ry + len(rw))


def forest_compact(fd: ForestData, *, xlim: tuple[float, float] | None = None) -> Figure:
    """Draw ``fd`` in the compact layout (:data:`WIDTH` inches wide); return the Figure."""
    fig = Figure(figsize=(WIDTH, 1.0), facecolor="white")
    ax = fig.add_axes((0, 0, 1, 1))
    ax.axis("off")
    y = 0.8
    if fd.title:
        for part in _wrap(fd.title, WIDTH - 2 * _LEFT, False, FONT_C + 1):
            _t(ax, _LEFT, y, part, size=FONT_C + 1)
            y += 1
    y = _header(ax, fd, y)
    y, marks, first = _body(ax, fd, y)
    y_axis = y - 0.2
    sc = _graph(ax, fd, marks, first, y_axis, xlim)
    y = _favours(ax, fd, sc, y_axis + 2.0) + 0.4
    notes = [part for note in fd.footnotes
             for part in _wrap(note, WIDTH - 2 * _LEFT - 0.1, False, FONT_C * 0.85)]
    if notes:
        ax.plot([_LEFT, WIDTH - _LEFT], [y - 0.3] * 2, color="#777777", lw=0.5)
    for j, part in enumerate(notes):
        _t(ax, _LEFT, y + 0.3 + j * 0.92, part, size=FONT_C * 0.85)
    height = y + 0.3 + 0.92 * len(notes) + 0.4
    fig.set_size_inches(WIDTH, height * _LINE)
    ax.set_xlim(0, WIDTH)
    ax.set_ylim(height, 0)
    fig.forest_meta = {"xlim": (sc.lo, sc.hi), "log_axis": fd.ratio,  # type: ignore[attr-defined]
                       "null_x": sc.x(1.0 if fd.ratio else 0.0), "axis": ax}
    return fig


def compact_alt(fd: ForestData, alt: str) -> str:
    """The compact plot's alt text: the full plot's, and what the compact layout leaves out."""
    k = len(fd.rows)
    return (alt + f" Compact layout for a narrow screen: {k} {'study' if k == 1 else 'studies'}, "
            "each with its estimate, 95% CI and weight; the arm data are in the full plot.")


def forest_figure(fd: ForestData, **kwargs: Any) -> SvgFigure:
    """RevMan's full layout (:func:`~mytools.present.forest.forest_plot`) with its generated alt
    text, and the compact layout for a phone, as one SVG figure ready to show."""
    fig = forest_plot(fd, **kwargs)
    alt = fig.forest_meta["alt"]  # type: ignore[attr-defined]
    return SvgFigure(fig, alt, compact=forest_compact(fd, **kwargs), compact_alt=compact_alt(fd, alt))
