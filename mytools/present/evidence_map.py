"""The evidence map: comparison × outcome grid of the review's published results.

Marker area is proportional to the participants, colour is the published GRADE certainty
(Okabe–Ito), repeated as GRADE symbols under the marker so colour is never the only cue; a filled
marker is a result recomputed here from study data, an open marker one that is not.
"""
from __future__ import annotations

import math
import textwrap
from typing import Any, Mapping, Sequence

import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from .style import CERTAINTY_COLOURS, FAMILY

__all__ = ["evidence_map", "evidence_map_compact", "evidence_map_alt", "evidence_map_frame",
           "evidence_frame_from_registry"]

_SCALE = 7.0  # points² per participant


def _as_bool(x: Any) -> bool:
    if isinstance(x, str):
        return x.strip().lower() in {"true", "1", "yes", "y"}
    return bool(x)


def evidence_map_frame(published: pd.DataFrame, statuses: Mapping[str, str],
                       comparisons: Mapping[str, str], outcome_groups: Mapping[str, str],
                       group_order: Sequence[str] | None = None) -> pd.DataFrame:
    """Frame for :func:`evidence_map` from the published results of the review's abstract.

    ``published`` needs ``analysis_id``, ``abstract_no``, ``participants``, ``certainty``;
    ``statuses`` maps analysis id to reproduction status (only ``reproduced``/``approximate`` give
    a filled marker); ``comparisons`` and ``outcome_groups`` map analysis id to the row and column
    labels (registry metadata).
    """
    df = published[published["abstract_no"].notna()].copy()
    missing = [a for a in df["analysis_id"] if a not in outcome_groups or a not in comparisons]
    if missing:
        raise ValueError(f"evidence_map_frame: no comparison/outcome group for {missing}")
    df["comparison"] = [comparisons[a] for a in df["analysis_id"]]
    df["outcome_group"] = [outcome_groups[a] for a in df["analysis_id"]]
    df["status"] = [statuses.get(a, "not_reproducible") for a in df["analysis_id"]]
    df["recomputable"] = df["status"].isin(["reproduced", "approximate"])
    order = list(group_order or dict.fromkeys(outcome_groups[a] for a in df["analysis_id"]))
    df["_o"] = [order.index(g) if g in order else len(order) for g in df["outcome_group"]]
    df = df.sort_values(["_o", "abstract_no"], kind="stable")
    out = df[["analysis_id", "abstract_no", "comparison", "outcome_group", "participants",
              "certainty", "status", "recomputable"]].reset_index(drop=True)
    out.attrs["outcomes"] = [g for g in order if g in set(df["outcome_group"])]
    out.attrs["comparisons"] = list(dict.fromkeys(df.sort_values("abstract_no")["comparison"]))
    return out


def _offsets(frame: pd.DataFrame) -> dict[Any, float]:
    cells: dict[tuple[Any, Any], list[Any]] = {}
    for idx, row in frame.iterrows():
        cells.setdefault((row["comparison"], row["outcome_group"]), []).append(idx)
    out: dict[Any, float] = {}
    for members in cells.values():  # several results in one cell sit side by side
        for j, idx in enumerate(members):
            out[idx] = 0.0 if len(members) == 1 else -0.28 + 0.56 * j / (len(members) - 1)
    return out


def _markers(ax: Any, frame: pd.DataFrame, comps: list[str], outs: list[str],
             transpose: bool = False, scale: float = _SCALE, font: float = 12) -> None:
    """One marker per result at (outcome, comparison), or (comparison, outcome) transposed."""
    offsets = _offsets(frame)
    for idx, row in frame.iterrows():
        xx = outs.index(row["outcome_group"]) + offsets[idx]
        yy = comps.index(row["comparison"])
        if transpose:
            xx, yy = comps.index(row["comparison"]) + offsets[idx], outs.index(row["outcome_group"])
        cert = str(row["certainty"]).strip().lower()
        colour = CERTAINTY_COLOURS.get(cert, "#999999")
        n = float(row["participants"]) if not pd.isna(row["participants"]) else 10.0
        ax.scatter([xx], [yy], s=n * scale, facecolor=colour if _as_bool(row["recomputable"])
                   else "white", edgecolor=colour, linewidth=2.2 * font / 12, zorder=3)
        if not pd.isna(row.get("abstract_no")):
            filled = {"high": 4, "moderate": 3, "low": 2, "very low": 1}.get(cert, 0)
            symbols = "\u2295" * filled + "\u25cb" * (4 - filled)
            ax.annotate(f"#{int(row['abstract_no'])}\n{symbols}", xy=(xx, yy),
                        xytext=(0, -(math.sqrt(n * scale) / 2 + 3)), linespacing=1.1,
                        textcoords="offset points", ha="center", va="top", fontsize=font,
                        color="black", zorder=4)


def evidence_map(frame: pd.DataFrame) -> Figure:
    """Grid of comparison (rows) × outcome (columns); see the module docstring."""
    need = ["comparison", "outcome_group", "participants", "certainty", "recomputable"]
    missing = [c for c in need if c not in frame.columns]
    if missing:
        raise ValueError(f"evidence_map: frame lacks column(s) {missing}")
    comps = list(frame.attrs.get("comparisons") or dict.fromkeys(frame["comparison"]))
    outs = list(frame.attrs.get("outcomes") or dict.fromkeys(frame["outcome_group"]))
    w, h = 1.3 * len(outs) + 2.4, 1.5 * len(comps) + 3.3
    fig = Figure(figsize=(w, h), facecolor="white")
    left, bottom = 2.2 / w, 2.6 / h
    ax = fig.add_axes((left, bottom, 1 - left - 0.15 / w, 1 - bottom - 0.2 / h))
    _markers(ax, frame, comps, outs)
    ax.set_xticks(range(len(outs)))
    ax.set_xticklabels(["\n".join(textwrap.wrap(o, 11)) for o in outs], fontsize=13,
                       linespacing=1.1)
    ax.set_yticks(range(len(comps)))
    ax.set_yticklabels([c.replace(" vs ", "\nvs ") for c in comps], fontsize=13)
    ax.set_xlim(-0.6, len(outs) - 0.4)
    ax.set_ylim(len(comps) - 0.25, -0.6)
    ax.grid(True, color="#dddddd", lw=0.6, zorder=0)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    _legends(fig)
    return fig


def _handles(scale: float = _SCALE) -> tuple[list[Line2D], list[Line2D]]:
    """Legend entries: certainty colours and fill; marker sizes."""
    handles = [Line2D([], [], marker="o", ls="", ms=10, color=c, label=f"{k} certainty")
               for k, c in CERTAINTY_COLOURS.items()]
    handles += [Line2D([], [], marker="o", ls="", ms=10, mfc="#555555", mec="#555555",
                       label="recomputed from study data"),
                Line2D([], [], marker="o", ls="", ms=10, mfc="white", mec="#555555", mew=2,
                       label="not recomputed here")]
    sizes = [Line2D([], [], marker="o", ls="", ms=math.sqrt(n * scale), mfc="none",
                    mec="#555555", label=f"{n} participants") for n in (25, 100)]
    return handles, sizes


def _legends(fig: Figure) -> None:
    handles, sizes = _handles()
    fig.legend(handles=handles, loc="lower left", ncol=2, fontsize=12.5, frameon=False,
               bbox_to_anchor=(0.0, 0.0), handletextpad=0.3, columnspacing=1.2)
    fig.legend(handles=sizes, loc="lower right", ncol=1, fontsize=12.5, frameon=False,
               labelspacing=1.6, bbox_to_anchor=(0.99, 0.0), handletextpad=1.6, borderpad=1.0)


def evidence_map_compact(frame: pd.DataFrame) -> Figure:
    """:func:`evidence_map` for a phone (3.6 in = 346 CSS px wide): transposed (outcomes as
    rows, the comparisons as three columns), 9.5-pt text, marker areas halved, legend in one
    column under the grid."""
    comps = list(frame.attrs.get("comparisons") or dict.fromkeys(frame["comparison"]))
    outs = list(frame.attrs.get("outcomes") or dict.fromkeys(frame["outcome_group"]))
    w, grid_h, legend_h, head_h = 3.6, 0.78 * len(outs), 1.95, 0.55
    h = head_h + grid_h + 0.3 + legend_h
    fig = Figure(figsize=(w, h), facecolor="white")
    left = 1.05 / w
    ax = fig.add_axes((left, (legend_h + 0.3) / h, 1 - left - 0.05 / w, grid_h / h))
    _markers(ax, frame, comps, outs, transpose=True, scale=_SCALE / 2, font=9)
    ax.set_yticks(range(len(outs)))
    ax.set_yticklabels(["\n".join(textwrap.wrap(o, 14)) for o in outs], fontsize=9.5,
                       linespacing=1.05, family=FAMILY)
    ax.set_xticks(range(len(comps)))
    ax.set_xticklabels([c.replace(" vs ", "\nvs ") for c in comps], fontsize=9.5, family=FAMILY)
    ax.xaxis.tick_top()
    ax.tick_params(length=0)
    ax.set_xlim(-0.45, len(comps) - 0.3)
    ax.set_ylim(len(outs) - 0.35, -0.5)
    ax.grid(True, color="#dddddd", lw=0.6, zorder=0)
    ax.set_axisbelow(True)
    for side in ("top", "right", "bottom"):
        ax.spines[side].set_visible(False)
    handles, sizes = _handles(_SCALE / 2)
    prop = {"size": 9.5, "family": FAMILY}
    fig.legend(handles=handles, loc="upper left", ncol=1, prop=prop, frameon=False,
               bbox_to_anchor=(0.0, legend_h / h), handletextpad=0.3, labelspacing=0.45)
    fig.legend(handles=sizes, loc="lower left", ncol=2, prop=prop, frameon=False,
               bbox_to_anchor=(0.0, 0.0), handletextpad=0.8, columnspacing=1.5)
    return fig


def evidence_map_alt(frame: pd.DataFrame) -> str:
    """Alt text for :func:`evidence_map`: what the grid shows, counted from the frame."""
    n = len(frame)
    rec = int(frame["recomputable"].map(_as_bool).sum())
    by_cert = frame.groupby(frame["certainty"].str.lower()).size()
    cert_txt = ", ".join(f"{int(by_cert[c])} {c}" for c in CERTAINTY_COLOURS if c in by_cert)
    comps = ", ".join(frame.attrs.get("comparisons") or dict.fromkeys(frame["comparison"]))
    top = frame.loc[pd.to_numeric(frame["participants"]).idxmax()]
    return (f"Evidence map of {n} published results ({comps}) by outcome. Certainty: {cert_txt}. "
            f"{rec} are recomputed here from study-level data (filled markers), {n - rec} are not "
            f"(open markers). The largest marker is result #{int(top['abstract_no'])} "
            f"({top['comparison']}, {int(top['participants'])} participants).")


def evidence_frame_from_registry(published: pd.DataFrame, report: pd.DataFrame,
                                 registry: pd.DataFrame, review_id: str = "cochrane2025") -> pd.DataFrame:
    """:func:`evidence_map_frame` for a review's abstract results: the published rows, the
    reproduction report (statuses) and the registry (``comparison``, ``outcome_group``), all given."""
    pub = published[(published["review_id"] == review_id) & published["abstract_no"].notna()]
    reg = registry[registry["analysis_id"].isin(pub["analysis_id"])]
    order = list(dict.fromkeys(registry.sort_values("abstract_no")["outcome_group"].dropna()))
    comps = {a: str(c).replace(" or no methotrexate", "") for a, c in zip(reg["analysis_id"], reg["comparison"])}
    return evidence_map_frame(pub, dict(zip(report["analysis_id"], report["status"])), comps,
                              dict(zip(reg["analysis_id"], reg["outcome_group"])), order)
