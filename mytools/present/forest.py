"""A RevMan 5-style forest plot, drawn from a :class:`~mytools.present.forest_data.ForestData`.

The table (study, arm data, weight, estimate [95% CI]) and the graph (squares sized by weight,
diamonds for (sub)totals) share one row grid; subgroups print their subtotal, heterogeneity and
overall-effect lines, the whole analysis its total and the test for subgroup differences, and the
review's footnotes are printed under the plot. Text is 11 pt in a figure drawn at the width it is
shown at (:func:`~mytools.present.forest_compact.forest_figure` wraps it with its phone layout).
"""
from __future__ import annotations

import math
import textwrap
from dataclasses import dataclass, field
from typing import Any

from functools import lru_cache

from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.textpath import TextToPath
from matplotlib.patches import Polygon

from . import revman_text as rt
from .forest_data import ARM_COLUMNS, ForestData, ForestRow, ForestTotal
from .style import CHAR_W, FAMILY, FONT, OKABE_ITO, ROW

__all__ = ["forest_plot", "forest_alt"]

_PAD = 0.08  # inches between columns
_GRAPH_W = 2.3
_TTP = TextToPath()


@dataclass
class _Layout:
    """Column positions (inches, right edges for numbers) and the row grid."""

    study_w: float
    arm_x: list[list[float]]
    gen_x: list[float]
    weight_x: float
    est_x: float
    graph_x0: float
    fig_w: float
    rows: list[tuple[float, str, Any]] = field(default_factory=list)
    n_rows: float = 0.0


@lru_cache(maxsize=4096)
def _w(text: str, bold: bool = False, size: float = FONT) -> float:
    """Width of ``text`` in inches at ``size`` points (measured with the font, not guessed)."""
    prop = FontProperties(family=FAMILY, size=size, weight="bold" if bold else "normal")
    width, _, _ = _TTP.get_text_width_height_descent(text.replace("$", ""), prop, ismath=False)
    return width / 72.0


def _est_text(est: float | None, lo: float | None, hi: float | None) -> str:
    if est is None or not math.isfinite(est):
        return "Not estimable"
    return f"{rt.fmt_num(est)} [{rt.fmt_num(lo)}, {rt.fmt_num(hi)}]"


def _columns(fd: ForestData) -> _Layout:
    """Widths from the longest text of each column."""
    labels = [r.label + (" " + r.marks if r.marks else "") for r in fd.rows]
    study_w = _PAD + max([_w(s) for s in labels] + [_w("Total (95% CI)", True),
                                                     _w("Study or Subgroup", True)]) + _PAD
    heads = ARM_COLUMNS[fd.data_type]
    x, arm_x = study_w, []
    for arm in ("intervention", "control"):
        xs = []
        for j, head in enumerate(heads):
            cells = [getattr(r, f"cells_{arm}")[j] for r in fd.rows if getattr(r, f"cells_{arm}")]
            x += max([_w(s) for s in cells + ["000"]] + [_w(head, True)]) + _PAD
            xs.append(x)
        arm_x.append(xs)
        x += _PAD if heads else 0.0
    gen_x = []
    for j, head in enumerate(fd.generic_heads):
        cells = [r.cells_generic[j] for r in fd.rows if r.cells_generic]
        x += max([_w(s) for s in cells] + [_w(head, True)]) + _PAD
        gen_x.append(x)
    weight_x = x + _w("Weight", True) + 2 * _PAD
    tots = [b.total for b in fd.blocks if b.total is not None] + ([fd.total] if fd.total else [])
    ests = [_w(_est_text(r.estimate, r.ci_low, r.ci_high)) for r in fd.rows]
    ests += [_w(_est_text(t.estimate, t.ci_low, t.ci_high), True) for t in tots]
    est_x = weight_x + 2 * _PAD + max(ests + [_w("M-H, Fixed, 95% CI", True)])
    graph_x0 = est_x + 0.22
    return _Layout(study_w, arm_x, gen_x, weight_x, est_x, graph_x0, graph_x0 + _GRAPH_W + 0.12)


def _total_rows(rows: list, y: float, total: Any, wrap_width: float | None) -> float:
    """Append a total's rows (the total, its events, its test lines wrapped at ``wrap_width``
    inches unless None) below ``y``; return the last row's y."""
    y += 1
    rows.append((y, "total", total))
    if total.events_intervention is not None:
        y += 1
        rows.append((y, "events", total))
    for line in total.lines:
        for part in _wrap(line, wrap_width) if wrap_width is not None else [line]:
            y += 1
            rows.append((y, "line", part))
    return y


def _grid(fd: ForestData, lay: _Layout, arm_lines: int) -> None:
    """Row positions: ('head'|'title'|'row'|'total'|'events'|'line'|'axis'|'foot', payload)."""
    y = float(arm_lines) + 1.0  # header rows above
    rows = lay.rows
    for block in fd.blocks:
        if block.title:
            for part in _wrap(block.title, (lay.est_x - 0.2) * 0.92):  # bold is wider
                y += 1
                rows.append((y, "title", part))
        for r in block.rows:
            y += 1
            rows.append((y, "row", r))
        if block.total is not None:
            y = _total_rows(rows, y, block.total, lay.est_x - 0.2)
        y += 0.5 if fd.total is not None or block is not fd.blocks[-1] else 0.0
    if fd.total is not None:
        y = _total_rows(rows, y, fd.total, None)
    if fd.subgroup_line:
        y += 1
        rows.append((y, "line", fd.subgroup_line))
    y += 1.2
    rows.append((y, "axis", None))
    lay.n_rows = y


def _text(ax: Any, x: float, y: float, s: str, ha: str = "left", **kw: Any) -> None:
    ax.text(x, y, s, ha=ha, va="center", fontsize=kw.pop("fontsize", FONT), family=FAMILY, **kw)


def _header(ax: Any, fd: ForestData, lay: _Layout, arm_heads: list[list[str]]) -> None:
    n_head = max(len(h) for h in arm_heads) if arm_heads else 1
    r2 = float(n_head)
    mname = rt.MEASURE_NAMES.get(fd.measure.upper(), fd.measure)
    model = "Random" if fd.model.lower().startswith("random") else "Fixed"
    method_line = f"{rt.METHOD_NAMES.get(fd.method, fd.method)}, {model}, 95% CI"
    bold = {"fontweight": "bold"}
    _text(ax, 0.1, r2, "Study or Subgroup", **bold)
    heads = ARM_COLUMNS[fd.data_type]
    for arm_i, lines in enumerate(arm_heads):
        xs = lay.arm_x[arm_i]
        left = (lay.study_w if arm_i == 0 else lay.arm_x[0][-1] + _PAD) + 0.05
        for j, line in enumerate(lines):
            _text(ax, (left + xs[-1]) / 2, r2 - len(lines) + j, line, ha="center", **bold)
        ax.plot([left, xs[-1]], [r2 - 0.55] * 2, color="black", lw=0.6)
        for head, xx in zip(heads, xs):
            _text(ax, xx, r2, head, ha="right", **bold)
    for head, xx in zip(fd.generic_heads, lay.gen_x):
        _text(ax, xx, r2, head, ha="right", **bold)
    _text(ax, lay.weight_x, r2, "Weight", ha="right", **bold)
    for xc in (lay.est_x - _w(method_line, True) / 2, lay.graph_x0 + _GRAPH_W / 2):
        _text(ax, xc, r2 - 1, mname, ha="center", **bold)
        _text(ax, xc, r2, method_line, ha="center", **bold)
    ax.plot([0.1, lay.est_x], [r2 + 0.55] * 2, color="black", lw=0.8)
    ax.plot([lay.graph_x0, lay.graph_x0 + _GRAPH_W], [r2 + 0.55] * 2, color="black", lw=0.8)


def _table(ax: Any, fd: ForestData, lay: _Layout) -> None:
    """Left-hand text: titles, study rows, totals, events and the statistics lines."""
    for y, kind, item in lay.rows:
        if kind == "title":
            _text(ax, 0.1, y, item, fontweight="bold")
        elif kind == "line":
            _text(ax, 0.1, y, item)
        elif kind == "row":
            _study_row(ax, item, y, lay)
        elif kind == "total":
            _total_row(ax, item, y, lay)
        elif kind == "events":
            _text(ax, 0.1, y, "Total events")
            for arm_i, val in enumerate((item.events_intervention, item.events_control)):
                _text(ax, lay.arm_x[arm_i][0], y, val or "", ha="right")


def _study_row(ax: Any, r: ForestRow, y: float, lay: _Layout) -> None:
    _text(ax, 0.1, y, r.label + (f"$^{{{r.marks}}}$" if r.marks else ""))
    for arm_i, cells in enumerate((r.cells_intervention, r.cells_control)):
        for cell, xx in zip(cells, lay.arm_x[arm_i]):
            _text(ax, xx, y, cell, ha="right")
    for cell, xx in zip(r.cells_generic, lay.gen_x):
        _text(ax, xx, y, cell, ha="right")
    if r.estimable and r.weight is not None:
        _text(ax, lay.weight_x, y, f"{r.weight:.1f}%", ha="right")
    _text(ax, lay.est_x, y, _est_text(r.estimate, r.ci_low, r.ci_high), ha="right")


def _total_row(ax: Any, t: ForestTotal, y: float, lay: _Layout) -> None:
    bold = {"fontweight": "bold"}
    _text(ax, 0.1, y, t.label, **bold)
    for arm_i, n in enumerate((t.n_intervention, t.n_control)):
        if n and lay.arm_x[arm_i]:
            _text(ax, lay.arm_x[arm_i][-1], y, n, ha="right", **bold)
    if t.weight is not None and t.estimable:
        _text(ax, lay.weight_x, y, f"{t.weight:.1f}%", ha="right", **bold)
    _text(ax, lay.est_x, y, _est_text(t.estimate, t.ci_low, t.ci_high), ha="right", **bold)


def _xlim(fd: ForestData, xlim: tuple[float, float] | None) -> tuple[tuple[float, float], list[float] | None]:
    if xlim is not None:
        return xlim, None
    rows = [r for r in fd.rows if r.estimable]
    tots = [t for _, k, t in [(0, "t", b.total) for b in fd.blocks] + [(0, "t", fd.total)]
            if t is not None and t.estimable]
    vals = [v for r in rows for v in (r.ci_low, r.ci_high, r.estimate)]
    pooled = [v for t in tots for v in (t.ci_low, t.ci_high)]
    if fd.ratio:
        lim, ticks = rt.ratio_scale(vals, pooled + [r.estimate for r in rows])
        return (1 / lim, lim), ticks
    lim, ticks = rt.linear_scale(vals + pooled)
    return (-lim, lim), ticks


@dataclass(frozen=True)
class _Scale:
    """Maps an effect (natural scale) to inches on the table's own axes (log for ratios)."""

    lo: float
    hi: float
    x0: float
    log: bool
    width: float = _GRAPH_W

    def t(self, v: float) -> float:
        return math.log(v) if self.log else v

    def x(self, v: float) -> float:
        v = min(max(v, self.lo), self.hi)
        return self.x0 + (self.t(v) - self.t(self.lo)) / (self.t(self.hi) - self.t(self.lo)) * self.width


def _graph(tab: Any, fd: ForestData, lay: _Layout, xlim: tuple[float, float] | None) -> _Scale:
    """Squares, whiskers, diamonds, the line of no effect and the axis, drawn on the table's
    axes (one Axes per figure: a second one costs more than everything it draws)."""
    lims, ticks = _xlim(fd, xlim)
    sc = _Scale(lims[0], lims[1], lay.graph_x0, fd.ratio)
    first = min(y for y, k, _ in lay.rows if k in ("row", "title")) - 0.6
    y_axis = next(y for y, k, _ in lay.rows if k == "axis") - 0.7
    null = sc.x(1.0 if fd.ratio else 0.0)
    tab.plot([null, null], [first, y_axis], color="black", lw=0.8, zorder=1)
    for y, kind, item in lay.rows:
        if kind == "row" and item.estimable:
            _whisker(tab, item, y, sc)
        elif kind == "total" and item.estimable:
            tab.add_patch(Polygon([(sc.x(item.ci_low), y), (sc.x(item.estimate), y - 0.38),
                                   (sc.x(item.ci_high), y), (sc.x(item.estimate), y + 0.38)],
                                  closed=True, facecolor="black", edgecolor="black", zorder=4))
    _axis(tab, fd, sc, ticks, y_axis)
    return sc


def _whisker(ax: Any, r: ForestRow, y: float, sc: _Scale) -> None:
    lo, hi, est = r.ci_low, r.ci_high, r.estimate
    ax.plot([sc.x(lo), sc.x(hi)], [y, y], color="black", lw=1.0, zorder=2, solid_capstyle="butt")
    if lo < sc.lo:
        ax.plot([sc.x(sc.lo)], [y], marker="<", color="black", ms=6, zorder=3)
    if hi > sc.hi:
        ax.plot([sc.x(sc.hi)], [y], marker=">", color="black", ms=6, zorder=3)
    if sc.lo <= est <= sc.hi:
        side = 4 + 12 * math.sqrt(max(r.weight or 0.0, 0.0) / 100)
        ax.plot([sc.x(est)], [y], marker="s", ms=side, color=OKABE_ITO["blue"], zorder=4)


def _axis(ax: Any, fd: ForestData, sc: _Scale, ticks: list[float] | None, y: float) -> None:
    ax.plot([sc.x(sc.lo), sc.x(sc.hi)], [y, y], color="black", lw=0.8)
    for t in ticks or []:
        ax.plot([sc.x(t)] * 2, [y, y + 0.25], color="black", lw=0.8)
        _text(ax, sc.x(t), y + 0.75, f"{t:g}".replace("-", "\u2212"), ha="center")
    left, right = rt.favours_sides(fd.higher_is_better, fd.label_intervention, fd.label_control)
    for frac, txt, ha in ((0.485, left, "right"), (0.515, right, "left")):
        ax.text(sc.x0 + frac * _GRAPH_W, y + 1.5, "\n".join(_wrap(txt, _GRAPH_W * 0.5)), ha=ha,
                va="top", fontsize=FONT, linespacing=1.15, family=FAMILY)


def _wrap(text: str, width_in: float, bold: bool = False, size: float = FONT) -> list[str]:
    """Greedy word wrap by measured width (at ordinary spaces: a no-break space holds)."""
    lines: list[str] = []
    for word in (w for w in text.split(" ") if w):
        if lines and _w(lines[-1] + " " + word, bold, size) <= width_in:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return lines or [""]


def forest_plot(fd: ForestData, *, xlim: tuple[float, float] | None = None) -> Figure:
    """Draw ``fd`` as a RevMan 5-style forest plot; return the Figure (never shown here)."""
    lay = _columns(fd)
    heads = ARM_COLUMNS[fd.data_type]
    arm_heads = []
    if heads:
        for arm_i, name in enumerate((fd.label_intervention, fd.label_control)):
            left = lay.study_w if arm_i == 0 else lay.arm_x[0][-1] + _PAD
            arm_heads.append(_wrap(name, lay.arm_x[arm_i][-1] - left))
    _grid(fd, lay, max((len(h) for h in arm_heads), default=1))
    foot = _footnote_lines(fd, lay.fig_w)
    top = 0.8
    height_rows = lay.n_rows + 3.4 + (len(foot) + 0.8 if foot else 0) + top
    fig = Figure(figsize=(lay.fig_w, height_rows * ROW), facecolor="white")
    tab = fig.add_axes((0, 0, 1, 1))
    tab.set_xlim(0, lay.fig_w)
    tab.set_ylim(height_rows - top, -top)
    tab.axis("off")
    _header(tab, fd, lay, arm_heads)
    _table(tab, fd, lay)
    sc = _graph(tab, fd, lay, xlim)
    y_fn = lay.n_rows + 3.6
    if foot:
        tab.plot([0.1, lay.fig_w - 0.2], [y_fn - 0.8] * 2, color="#777777", lw=0.5)
    for j, line in enumerate(foot):
        _text(tab, 0.1, y_fn + j, line, fontsize=FONT * 0.92)
    if fd.title:
        fig.suptitle(fd.title, fontsize=FONT + 1, y=1.0, va="bottom", family=FAMILY)
    fig.forest_meta = {  # type: ignore[attr-defined]  # for tests and alt text
        "alt": forest_alt(fd), "xlim": (sc.lo, sc.hi), "log_axis": fd.ratio,
        "null_x": sc.x(1.0 if fd.ratio else 0.0),
        "favours": rt.favours_sides(fd.higher_is_better, fd.label_intervention, fd.label_control),
        "footnotes": foot, "axis": tab,
        "study_labels": [r.label + (" " + r.marks if r.marks else "") for r in fd.rows],
    }
    return fig


def _footnote_lines(fd: ForestData, width_in: float) -> list[str]:
    chars = max(40, int((width_in - 0.3) / (CHAR_W * 0.92)))
    out: list[str] = []
    for note in fd.footnotes:
        out += textwrap.wrap(note, chars, subsequent_indent="    ") or [""]
    return out


def forest_alt(fd: ForestData) -> str:
    """One paragraph stating what the plot shows (the image's alt text), from the numbers."""
    k = sum(r.estimable for r in fd.rows)
    mname = rt.MEASURE_NAMES.get(fd.measure.upper(), fd.measure).lower()
    head = (f"Forest plot of {fd.label_intervention} versus {fd.label_control}: {k} "
            f"{'study' if k == 1 else 'studies'}"
            + (f" in {len(fd.blocks)} subgroups" if len(fd.blocks) > 1 else "") + ".")
    tot = fd.total or (fd.blocks[0].total if len(fd.blocks) == 1 else None)
    if tot is None or not tot.estimable:
        subs = [f"{b.title}: {_est_text(b.total.estimate, b.total.ci_low, b.total.ci_high)}"
                for b in fd.blocks if b.total is not None]
        return head + (" Subtotals " + "; ".join(subs) + "." if subs else " No pooled estimate.")
    null = 1.0 if fd.ratio else 0.0
    left, right = rt.favours_sides(fd.higher_is_better, fd.label_intervention, fd.label_control)
    side = right if tot.ci_low > null else left if tot.ci_high < null else None
    tail = (f" The whole confidence interval lies on the side labelled '{side}'." if side
            else " The confidence interval crosses the line of no effect.")
    return (head + f" Pooled {mname} {tot.estimate:.2f} (95% CI {tot.ci_low:.2f} to "
            f"{tot.ci_high:.2f})." + tail)
