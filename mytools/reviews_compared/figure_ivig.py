"""Randomised IVIg evidence over time, with each review's search date."""
from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from ..data import Dataset
from .figure_style import PALETTE, white
from .interventions import ivig_accumulation
from .membership import REVIEW_ORDER, format_search_date, included_ids, membership, review_labels, search_year


def ivig_figure(data: Dataset, compact: bool = False) -> Figure:
    """Randomised IVIg evidence over time: participants randomised in IVIg vs placebo trials,
    cumulated by publication year (``studies``), with each review's search date and the IVIg
    trials and participants that review included (``review_studies``). ``compact``: for a phone
    (3.6 in wide, 8.5 to 9.5-pt text, the legend under the plot)."""
    acc = ivig_accumulation(data)
    rv = data.reviews.set_index("review_id")
    labels = review_labels(data)
    m = membership(data)
    fs = 9.0 if compact else 10.5
    fig = Figure(figsize=(3.6, 5.6) if compact else (7.6, 5.2))
    ax = fig.add_axes((0.2, 0.32, 0.76, 0.65) if compact else (0.13, 0.12, 0.84, 0.84))
    years = acc["year"].to_numpy(dtype=float)
    cum = acc["cumulative_randomised"].to_numpy(dtype=float)
    xs = np.concatenate([[years[0] - 2], years, [2026]])
    ys = np.concatenate([[0], cum, [cum[-1]]])
    ax.step(xs, ys, where="post", color=PALETTE["blue"], linewidth=2)
    for i, (yr, c, lab) in enumerate(zip(years, cum, acc["label"])):
        ax.scatter([yr], [c], color=PALETTE["blue"], zorder=3, s=25)
        first = i == 0
        ax.annotate(f"{lab}\n(total {int(c)})", (yr, c), textcoords="offset points",
                    xytext=(4, 6) if first else (-4, 6), ha="left" if first else "right",
                    fontsize=fs - 0.5 if compact else 9.5,
                    bbox=dict(facecolor="white", edgecolor="none", pad=0.8), zorder=4)
    colours = [PALETTE["orange"], PALETTE["bluish_green"], PALETTE["reddish_purple"]]
    styles = [(0, (4, 2)), (0, (1, 1.5)), (0, (6, 2, 1, 2))]
    top = cum[-1] * 1.3
    for k, rid in enumerate(REVIEW_ORDER):
        sy = search_year(rv.at[rid, "search_date"])
        inc = included_ids(m, rid)
        sel = acc[acc["study_id"].isin(inc)]
        ax.axvline(sy, color=colours[k], linestyle=styles[k], linewidth=1.6,
                   label=f"{labels[rid]} search ({format_search_date(rv.at[rid, 'search_date'])}):\n"
                         f"included {len(sel)} IVIg {'trial' if len(sel) == 1 else 'trials'}, "
                         f"{int(sel['n_randomised'].sum())} participants")
    if compact:
        fig.legend(loc="lower left", bbox_to_anchor=(0.0, 0.0), fontsize=fs - 0.5, frameon=False,
                   labelspacing=0.7)
    else:
        ax.legend(loc="upper left", bbox_to_anchor=(0.01, 0.99), fontsize=9.5, frameon=True,
                  facecolor="white", edgecolor="none", framealpha=1.0, labelspacing=0.9)
    ax.set_xlim(years[0] - 3, 2026)
    ax.set_ylim(0, top)
    ax.set_xlabel("Year of publication", fontsize=fs)
    ax.set_ylabel("Participants randomised\n(cumulative)" if compact else
                  "Participants randomised, IVIg vs placebo\n(cumulative)", fontsize=fs)
    ax.tick_params(labelsize=fs)
    for sp in ("top", "right"):
        ax.spines[sp].set_visible(False)
    return white(fig)
