"""The overlap matrix: trials x reviews, trials in year order so that it reads as a timeline."""
from __future__ import annotations

import textwrap

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Rectangle

from ..data import Dataset
from ..present.style import FAMILY
from ..present.figures import SvgFigure
from .figure_style import CELL_STYLE, PALETTE, svg, white
from .membership import (REVIEW_ORDER, format_search_date, is_blank, membership, overlap_matrix,
                         review_labels, search_year)


FONT = 10.5  # points; the figure is shown at the page width (about body-text size at 1280 px)


def _cell_text(m: pd.DataFrame, rid: str, sid: str, cell: str) -> str:
    if (rid, sid) not in m.index:
        return ""
    row = m.loc[(rid, sid)]
    n = row["n_analysed"]
    if cell in ("included", "included_unidentified"):
        return "size unknown" if is_blank(n) else f"{int(n)}"
    if cell == "excluded":
        return "\n".join(textwrap.wrap(str(row["reason"]), 24))
    if cell == "unclear":
        return f"possible ({int(n)})" if row["identification"] == "possible" and not is_blank(n) else "?"
    return ""


def _draw_column(ax, j: int, rid: str, mat: pd.DataFrame, m: pd.DataFrame) -> None:
    for i, sid in enumerate(mat.index):
        cell = mat.at[sid, rid]
        face, hatch, tcol, _ = CELL_STYLE[cell]
        edge = "#333333" if hatch else ("#888888" if cell in ("not_listed", "unclear") else face)
        ax.add_patch(Rectangle((j + 0.03, i + 0.06), 0.94, 0.88, facecolor=face, hatch=hatch,
                               edgecolor=edge, linewidth=0.6))
        txt = _cell_text(m, rid, sid, cell)
        if txt:
            ax.text(j + 0.5, i + 0.5, txt, ha="center", va="center",
                    fontsize=FONT * (0.72 if "\n" in txt else 0.95),
                    color=tcol if cell != "included_unidentified" else "black",
                    bbox=dict(facecolor="white", edgecolor="none", pad=0.5, alpha=0.85)
                    if cell == "included_unidentified" else None)


def _search_row(mat: pd.DataFrame, search_date: str) -> int:
    """Row boundary of a search date: after the last trial published up to the search year."""
    years = pd.to_numeric(mat["year"]).astype("Float64").to_numpy(dtype=float, na_value=np.nan)
    return int(np.sum(years <= np.floor(search_year(search_date))))


def overlap_figure(data: Dataset) -> Figure:
    """Trials x reviews overlap matrix, trials in year order so the figure reads as a timeline.

    Each cell is coloured by :data:`CELL_STYLE`; included cells show the participants counted
    (``?`` when unknown), excluded cells the short reason. A thick dashed line in each review's
    column marks its search date, which the column heading names (no label over the cells).
    """
    mat = overlap_matrix(data)
    m = membership(data).set_index(["review_id", "study_id"])
    labels = review_labels(data)
    rv = data.reviews.set_index("review_id")
    nrow, ncol = len(mat), len(REVIEW_ORDER)
    height = 0.42 * nrow + 3.2
    fig = Figure(figsize=(9.0, height))
    ax = fig.add_axes((0.36, 1.7 / height, 0.62, 1 - 2.9 / height))
    for j, rid in enumerate(REVIEW_ORDER):
        _draw_column(ax, j, rid, mat, m)
        pos = _search_row(mat, rv.at[rid, "search_date"])
        ax.plot([j + 0.01, j + 0.99], [pos, pos], color=PALETTE["black"], linestyle=(0, (3, 1.5)), linewidth=2.4)
    ax.set_xlim(0, ncol)
    ax.set_ylim(nrow, 0)
    ax.set_xticks(np.arange(ncol) + 0.5)
    ax.set_xticklabels([f"{labels[r]}\n{int(rv.at[r, 'n_studies'])} studies,\n{int(rv.at[r, 'n_participants'])} "
                        f"participants\nsearch: {format_search_date(rv.at[r, 'search_date'])}"
                        for r in REVIEW_ORDER], fontsize=FONT * 0.9)
    ax.xaxis.tick_top()
    ax.set_yticks(np.arange(nrow) + 0.5)
    ax.set_yticklabels([str(v) for v in mat["label"]], fontsize=FONT)
    for i, sid in enumerate(mat.index):  # the year column that makes the matrix a timeline
        y = mat.at[sid, "year"]
        ax.text(-0.03, i + 0.5, "year ?" if pd.isna(y) else f"{int(y)}", ha="right", va="center",
                fontsize=FONT, fontweight="bold")
    ax.tick_params(axis="y", pad=48)
    ax.tick_params(length=0)
    for sp in ax.spines.values():
        sp.set_visible(False)
    handles = [Patch(facecolor=CELL_STYLE[c][0], hatch=CELL_STYLE[c][1],
                     edgecolor="#888888", label=CELL_STYLE[c][3]) for c in CELL_STYLE]
    handles.append(Line2D([], [], color=PALETTE["black"], linestyle=(0, (3, 1.5)), linewidth=2.4,
                          label="the review's search date"))
    fig.legend(handles=handles, loc="lower center", ncol=2, fontsize=FONT * 0.9, frameon=False,
               bbox_to_anchor=(0.5, 0.0))
    return white(fig)


def overlap_alt(data: Dataset) -> str:
    """Alt text of :func:`overlap_figure`, counted from the data."""
    mat = overlap_matrix(data)
    parts = []
    for rid, lab in review_labels(data).items():
        col = mat[rid]
        parts.append(f"{lab}: {int(col.isin(['included', 'included_unidentified']).sum())} included "
                     f"({int((col == 'included_unidentified').sum())} of them unidentifiable), "
                     f"{int((col == 'excluded').sum())} excluded")
    return (f"A grid of {len(mat)} trials (rows, in order of publication) by the three reviews (columns), "
            "each cell coloured by whether the review included, excluded or did not list the trial, with a "
            "dashed line at each review's search date. " + "; ".join(parts) + ".")


# --- the same matrix for a phone: 3.6 in (346 CSS px) wide, read at its own size ---------------
C_W, C_FONT = 3.6, 8.0  # inches; points (10.7 CSS px at the figure's own size)
_C_LAB, _C_COL = 1.38, 0.72  # label column and review column widths (inches)


def _compact_cell(m: pd.DataFrame, rid: str, sid: str, cell: str, reasons: dict[str, str]) -> str:
    """Short cell text: participants, 'size unknown', 'excl. (a)' (reason lettered below)."""
    if cell == "excluded":
        reason = str(m.loc[(rid, sid)]["reason"])
        letter = reasons.setdefault(reason, "abcdefghijklmnopqrstuvwxyz"[len(reasons)])
        return f"excl. ({letter})"
    txt = _cell_text(m, rid, sid, cell)
    return txt.replace("size unknown", "size\nunknown").replace("possible (", "possible\n(")


def _compact_legend(ax, y: float, reasons: dict[str, str]) -> float:
    for c, (face, hatch, _, text) in CELL_STYLE.items():
        ax.add_patch(Rectangle((0.05, y - 0.3), 0.3, 0.6, facecolor=face, hatch=hatch,
                               edgecolor="#888888", linewidth=0.6))
        _ct(ax, 0.45, y, text)
        y += 1
    ax.plot([0.05, 0.35], [y, y], color=PALETTE["black"], linestyle=(0, (3, 1.5)), linewidth=2.0)
    _ct(ax, 0.45, y, "the review's search date")
    y += 1.3
    for reason, letter in reasons.items():
        for j, part in enumerate(textwrap.wrap(f"({letter}) excluded: {reason}", 58)):
            _ct(ax, 0.05 if j == 0 else 0.3, y, part)
            y += 0.95
    return y


def overlap_compact(data: Dataset) -> Figure:
    """:func:`overlap_figure` drawn for a phone: the same cells and colours, trial labels
    wrapped, exclusion reasons lettered under the grid, no year column (the labels carry the
    year; unidentified trials have none), one-column legend. Coordinates: x in inches, y in text
    lines of :data:`C_FONT`."""
    mat = overlap_matrix(data)
    m = membership(data).set_index(["review_id", "study_id"])
    labels, rv = review_labels(data), data.reviews.set_index("review_id")
    fig = Figure(figsize=(C_W, 1.0))
    ax = fig.add_axes((0, 0, 1, 1))
    ax.axis("off")
    heads = [textwrap.wrap(labels[r], 9) + [f"{int(rv.at[r, 'n_studies'])} studies",
             f"{int(rv.at[r, 'n_participants'])}", "participants", "search:"]
             + textwrap.wrap(format_search_date(rv.at[r, "search_date"]), 11) for r in REVIEW_ORDER]
    top = max(len(h) for h in heads) + 0.6
    for j, head in enumerate(heads):
        for i, part in enumerate(head):
            _ct(ax, _C_LAB + (j + 0.5) * _C_COL, top - len(head) + i, part, ha="center",
                size=C_FONT * 0.95)
    reasons: dict[str, str] = {}
    edges = [top + 0.4]  # row boundaries
    for sid in mat.index:
        lab = textwrap.wrap(str(mat.at[sid, "label"]), 21)
        y, row_h = edges[-1], max(2.2, 0.95 * len(lab) + 0.5)
        for i, part in enumerate(lab):
            _ct(ax, _C_LAB - 0.06, y + row_h / 2 + (i - (len(lab) - 1) / 2) * 0.95, part, ha="right")
        for j, rid in enumerate(REVIEW_ORDER):
            _compact_box(ax, _C_LAB + j * _C_COL, y, row_h, mat.at[sid, rid],
                         _compact_cell(m, rid, sid, mat.at[sid, rid], reasons))
        edges.append(y + row_h)
    for j, rid in enumerate(REVIEW_ORDER):
        yy = edges[_search_row(mat, rv.at[rid, "search_date"])]
        ax.plot([_C_LAB + j * _C_COL + 0.01, _C_LAB + (j + 1) * _C_COL - 0.01], [yy, yy],
                color=PALETTE["black"], linestyle=(0, (3, 1.5)), linewidth=2.0)
    height = _compact_legend(ax, edges[-1] + 1.2, reasons) + 0.3
    fig.set_size_inches(C_W, height * C_FONT / 72 * 1.4)
    ax.set_xlim(0, C_W)
    ax.set_ylim(height, 0)
    return white(fig)


def _ct(ax, x: float, y: float, s: str, ha: str = "left", size: float = C_FONT, **kw) -> None:
    ax.text(x, y, s, ha=ha, va="center", fontsize=size, family=FAMILY, **kw)


def _compact_box(ax, x0: float, y: float, row_h: float, cell: str, txt: str) -> None:
    face, hatch, tcol, _ = CELL_STYLE[cell]
    edge = "#333333" if hatch else ("#888888" if cell in ("not_listed", "unclear") else face)
    ax.add_patch(Rectangle((x0 + 0.03, y + 0.1), _C_COL - 0.06, row_h - 0.2, facecolor=face,
                           hatch=hatch, edgecolor=edge, linewidth=0.6))
    if txt:
        _ct(ax, x0 + _C_COL / 2, y + row_h / 2, txt, ha="center",
            size=C_FONT * (0.88 if "\n" in txt else 1.0), linespacing=1.0,
            color=tcol if cell != "included_unidentified" else "black",
            bbox=dict(facecolor="white", edgecolor="none", pad=0.4, alpha=0.85)
            if cell == "included_unidentified" else None)


def overlap_compact_alt(data: Dataset) -> str:
    """Alt text of :func:`overlap_compact`: the full figure's, and what the compact one changes."""
    return (overlap_alt(data) + " Compact layout for a narrow screen: exclusion reasons are "
            "lettered under the grid and the year column is left out.")


def overlap_svg(data: Dataset) -> SvgFigure:
    """The overlap figure ready to glue: the full matrix, and its compact drawing for a phone."""
    return svg(overlap_figure(data), overlap_alt(data), compact=overlap_compact(data),
               compact_alt=overlap_compact_alt(data))
