"""The 2015 review's Jadad scores per short-listed study."""
from __future__ import annotations

import textwrap

import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from ..data import Dataset
from .figure_style import PALETTE, white
from .membership import jadad_table


def jadad_figure(data: Dataset, compact: bool = False) -> Figure:
    """The 2015 review's Jadad scores (0–5) per short-listed study, in year order; filled circles
    for the 11 analysed studies, open squares for the 3 excluded ones; participants as labels.
    ``compact``: for a phone (3.6 in wide, 9.5-pt text, "(excluded)" left to the marker)."""
    t = jadad_table(data)
    w, fs = (3.6, 9.5) if compact else (7.6, 10.5)
    h = 0.42 * len(t) + (2.3 if compact else 1.8)
    fig = Figure(figsize=(w, h))
    ax = fig.add_axes((1.45 / w, 1.5 / h, 1.55 / w, 1 - 1.95 / h) if compact else
                      (0.34, 1.1 / h, 0.46, 1 - 1.6 / h))
    y = np.arange(len(t))
    for i, row in t.iterrows():
        inc = bool(row["included"])
        col = PALETTE["blue"] if inc else PALETTE["vermillion"]
        ax.plot([0, row["jadad"]], [i, i], color="#BBBBBB", linewidth=1, zorder=1)
        ax.scatter([row["jadad"]], [i], s=60, marker="o" if inc else "s", zorder=3,
                   facecolor=col if inc else "white", edgecolor=col, linewidth=1.6)
        note = f"n = {int(row['n'])}" + ("" if inc or compact else " (excluded)")
        ax.text(5.4 if compact else 5.25, i, note, va="center", fontsize=fs - 0.5, color="black")
    ax.set_yticks(y)
    ax.set_yticklabels([textwrap.fill(str(s), 20) for s in t["label"]] if compact else t["label"],
                       fontsize=fs, linespacing=1.0)
    ax.set_ylim(len(t) - 0.5, -0.5)
    ax.set_xlim(-0.2, 5.2)
    ax.set_xticks(range(6))
    ax.axvline(3, color=PALETTE["black"], linestyle=(0, (3, 2)), linewidth=0.9)
    ax.text(3.0, -0.75, "cut-off: \u2265 3 = 'higher quality'" if compact else
            "common cut-off: \u2265 3 = 'higher quality'", fontsize=9, ha="center", va="bottom")
    ax.set_xlabel("Jadad score\n(0 = lowest, 5 = highest)" if compact else
                  "Jadad score (0 = lowest, 5 = highest)", fontsize=fs)
    ax.tick_params(labelsize=fs)
    for s in ("top", "right"):
        ax.spines[s].set_visible(False)
    handles = [Line2D([], [], marker="o", linestyle="none", markerfacecolor=PALETTE["blue"],
                      markeredgecolor=PALETTE["blue"], label="analysed by the 2015 review"),
               Line2D([], [], marker="s", linestyle="none", markerfacecolor="white",
                      markeredgecolor=PALETTE["vermillion"], markeredgewidth=1.6,
                      label="short-listed, excluded")]
    fig.legend(handles=handles, loc="lower center", ncol=1 if compact else 2, fontsize=fs - 0.5,
               frameon=False)
    return white(fig)
