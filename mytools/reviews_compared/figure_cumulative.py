"""The cumulative meta-analysis drawn step by step."""
from __future__ import annotations

import textwrap

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from .figure_style import PALETTE, white
from ..engine.vocabulary import is_ratio


def cumulative_figure(cumulative: pd.DataFrame, title: str = "", compact: bool = False) -> Figure:
    """Plot a :func:`cumulative_meta` frame: the pooled estimate and 95% CI after each added
    study, one row per step (ratio measures on a log axis); a dagger marks steps whose added
    study has reconstructed inputs. ``compact``: for a phone (3.6 in wide; each step's estimate
    and CI printed in its label instead of right of the plot)."""
    cm = cumulative.reset_index(drop=True)
    if not len(cm):
        raise ValueError("cumulative_figure: empty cumulative frame")
    ratio = is_ratio(cm["measure"].iloc[0])
    height = (1.0 if compact else 0.8) * len(cm) + (2.2 if compact else 1.8)
    fig = Figure(figsize=(3.6 if compact else 7.6, height))
    ax = fig.add_axes((0.5, 1.1 / height, 0.46, 1 - 1.9 / height) if compact else
                      (0.36, 1.0 / height, 0.34, 1 - 1.5 / height))
    yy = np.arange(len(cm))
    ax.hlines(yy, cm["ci_low"], cm["ci_high"], color=PALETTE["black"], linewidth=1.4)
    ax.scatter(cm["estimate"], yy, marker="D", color=PALETTE["vermillion"], zorder=3, s=40)
    labs = []
    dag = False
    for i, row in cm.iterrows():
        mark = "\u2020" if "reconstructed" in str(row["provenance"]) else ""
        dag = dag or bool(mark)
        est = f"{row['estimate']:.2f} ({row['ci_low']:.2f} to {row['ci_high']:.2f})"
        if compact:
            labs.append(f"+ {row['added']}{mark}\nup to {int(row['year'])}: k = {int(row['k'])},\n"
                        f"{int(row['participants'])} participants\n{est}")
            continue
        ax.text(1.03, i, est, transform=ax.get_yaxis_transform(), va="center", fontsize=10)
        labs.append(f"+ {row['added']}{mark}\n  up to {int(row['year'])}: k = {int(row['k'])}, "
                    f"{int(row['participants'])} participants")
    ax.set_yticks(yy)
    ax.set_yticklabels(labs, fontsize=9 if compact else 10, linespacing=1.1)
    ax.set_ylim(len(cm) - 0.5, -0.5)
    if ratio:
        ax.set_xscale("log")
        lo = min(cm["ci_low"].min(), 0.5)
        hi = max(cm["ci_high"].max(), 2)
        ticks = [t for t in (0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50) if lo * 0.8 <= t <= hi * 1.25]
        ax.set_xticks(ticks)
        ax.set_xticklabels([f"{t:g}" for t in ticks])
        ax.axvline(1, color="#888888", linewidth=0.8)
    else:
        ax.axvline(0, color="#888888", linewidth=0.8)
    ax.set_xlabel(f"Cumulative {cm['measure'].iloc[0]} (95% CI)", fontsize=10.5)
    ax.tick_params(labelsize=10)
    if title:
        ax.set_title("\n".join(textwrap.wrap(title, 40)) if compact else title, fontsize=10 if compact else 11,
                     loc="right" if compact else "left")
    for sp in ("top", "right"):
        ax.spines[sp].set_visible(False)
    if dag:
        fig.text(0.02, 0.02, "\u2020 counts reconstructed from the review's published result (not read in a source)"
                 if not compact else "\u2020 counts reconstructed from the review's\npublished result "
                 "(not read in a source)", fontsize=9 if compact else 9.5)
    return white(fig)
