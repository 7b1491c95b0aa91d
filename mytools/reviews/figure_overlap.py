"""The overlap matrix: trials x reviews, trials in year order so that it reads as a timeline."""
from __future__ import annotations

import textwrap

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import Patch, Rectangle

from ..data import Dataset
from .figure_style import CELL_STYLE, PALETTE, white
from .membership import (REVIEW_ORDER, format_search_date, is_blank, membership, overlap_matrix,
                         review_labels, search_year)


def overlap_figure(data: Dataset) -> Figure:
    """Trials x reviews overlap matrix, trials in year order so the figure reads as a timeline.

    Each cell is coloured by :data:`CELL_STYLE`; included cells show the participants counted
    (``?`` when unknown), excluded cells the short reason. A dashed line in each review's column
    marks its search date.
    """
    mat = overlap_matrix(data)
    m = membership(data).set_index(["review_id", "study_id"])
    labels = review_labels(data)
    rv = data.reviews.set_index("review_id")
    nrow, ncol = len(mat), len(REVIEW_ORDER)
    height = 0.34 * nrow + 1.6
    fig = Figure(figsize=(9.0, height), dpi=110)
    ax = fig.add_axes((0.35, 0.9 / height, 0.63, 1 - 1.55 / height))
    for j, rid in enumerate(REVIEW_ORDER):
        for i, sid in enumerate(mat.index):
            cell = mat.at[sid, rid]
            face, hatch, tcol, _ = CELL_STYLE[cell]
            ax.add_patch(Rectangle((j + 0.03, i + 0.06), 0.94, 0.88, facecolor=face, hatch=hatch,
                                   edgecolor="#333333" if hatch else ("#888888" if cell in ("not_listed", "unclear") else face),
                                   linewidth=0.6))
            txt = ""
            if (rid, sid) in m.index:
                row = m.loc[(rid, sid)]
                n = row["n_analysed"]
                if cell in ("included", "included_unidentified"):
                    txt = "size unknown" if is_blank(n) else f"{int(n)}"
                elif cell == "excluded":
                    txt = "\n".join(textwrap.wrap(str(row["reason"]), 28))
                elif cell == "unclear":
                    txt = f"possible ({int(n)})" if row["identification"] == "possible" and not is_blank(n) else "?"
            if txt:
                ax.text(j + 0.5, i + 0.5, txt, ha="center", va="center", fontsize=6.6 if "\n" in txt else 7.5,
                        color=tcol if cell != "included_unidentified" else "black",
                        bbox=dict(facecolor="white", edgecolor="none", pad=0.5, alpha=0.85)
                        if cell == "included_unidentified" else None)
        # search date line: between the last trial published up to the search year and the next
        sy = search_year(rv.at[rid, "search_date"])
        years = pd.to_numeric(mat["year"]).astype("Float64").to_numpy(dtype=float, na_value=np.nan)
        pos = int(np.sum(years <= np.floor(sy)))  # rows whose year is at or before the search year
        ax.plot([j + 0.02, j + 0.98], [pos, pos], color=PALETTE["black"], linestyle=(0, (3, 2)), linewidth=1.4)
        ax.text(j + 0.05, pos, f"search {format_search_date(rv.at[rid, 'search_date'])}",
                ha="left", va="center", fontsize=6.3, color=PALETTE["black"],
                bbox=dict(facecolor="white", edgecolor=PALETTE["black"], pad=1.0, linewidth=0.6))
    ax.set_xlim(0, ncol)
    ax.set_ylim(nrow, 0)
    ax.set_xticks(np.arange(ncol) + 0.5)
    ax.set_xticklabels([f"{labels[r]}\n({int(rv.at[r, 'n_studies'])} studies, "
                        f"{int(rv.at[r, 'n_participants'])} participants)" for r in REVIEW_ORDER], fontsize=8)
    ax.xaxis.tick_top()
    ax.set_yticks(np.arange(nrow) + 0.5)
    ax.set_yticklabels([str(v) for v in mat["label"]], fontsize=7.5)
    for i, sid in enumerate(mat.index):  # the year column that makes the matrix a timeline
        y = mat.at[sid, "year"]
        ax.text(-0.03, i + 0.5, "year ?" if pd.isna(y) else f"{int(y)}", ha="right", va="center",
                fontsize=7.5, fontweight="bold")
    ax.tick_params(axis="y", pad=34)
    ax.tick_params(length=0)
    for s in ax.spines.values():
        s.set_visible(False)
    handles = [Patch(facecolor=CELL_STYLE[c][0], hatch=CELL_STYLE[c][1],
                     edgecolor="#888888", label=CELL_STYLE[c][3]) for c in CELL_STYLE]
    fig.legend(handles=handles, loc="lower center", ncol=2, fontsize=7, frameon=False,
               bbox_to_anchor=(0.62, 0.0))
    return white(fig)
