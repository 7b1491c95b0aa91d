"""The 2015 review's Jadad scores per short-listed study."""
from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from ..data import Dataset
from .figure_style import PALETTE, white
from .membership import jadad_table


def jadad_figure(data: Dataset) -> Figure:
    """The 2015 review's Jadad scores (0–5) per short-listed study, in year order; filled circles
    for the 11 analysed studies, open squares for the 3 excluded ones; participants as labels."""
    t = jadad_table(data)
    fig = Figure(figsize=(7.6, 0.42 * len(t) + 1.8))
    ax = fig.add_axes((0.34, 1.1 / fig.get_figheight(), 0.46, 1 - 1.6 / fig.get_figheight()))
    y = np.arange(len(t))
    for i, row in t.iterrows():
        inc = bool(row["included"])
        col = PALETTE["blue"] if inc else PALETTE["vermillion"]
        ax.plot([0, row["jadad"]], [i, i], color="#BBBBBB", linewidth=1, zorder=1)
        ax.scatter([row["jadad"]], [i], s=60, marker="o" if inc else "s", zorder=3,
                   facecolor=col if inc else "white", edgecolor=col, linewidth=1.6)
        note = f"n = {int(row['n'])}" + ("" if inc else " (excluded)")
        ax.text(5.25, i, note, va="center", fontsize=10, color="black")
    ax.set_yticks(y)
    ax.set_yticklabels(t["label"], fontsize=10.5)
    ax.set_ylim(len(t) - 0.5, -0.5)
    ax.set_xlim(-0.2, 5.2)
    ax.set_xticks(range(6))
    ax.axvline(3, color=PALETTE["black"], linestyle=(0, (3, 2)), linewidth=0.9)
    ax.text(3.0, -0.75, "common cut-off: \u2265 3 = 'higher quality'", fontsize=9, ha="center", va="bottom")
    ax.set_xlabel("Jadad score (0 = lowest, 5 = highest)", fontsize=10.5)
    ax.tick_params(labelsize=10.5)
    for s in ("top", "right"):
        ax.spines[s].set_visible(False)
    handles = [Line2D([], [], marker="o", linestyle="none", markerfacecolor=PALETTE["blue"],
                      markeredgecolor=PALETTE["blue"], label="analysed by the 2015 review"),
               Line2D([], [], marker="s", linestyle="none", markerfacecolor="white",
                      markeredgecolor=PALETTE["vermillion"], markeredgewidth=1.6,
                      label="short-listed, excluded")]
    fig.legend(handles=handles, loc="lower center", ncol=2, fontsize=10, frameon=False)
    return white(fig)
