"""Figures for the book: a RevMan-style forest plot and the evidence map.

Both functions return a :class:`matplotlib.figure.Figure` (white background, Okabe–Ito colours)
and never call ``plt.show``. They draw only what the inputs hold: a result without study-level
inputs raises :class:`ValueError` instead of drawing anything invented.
"""
from __future__ import annotations

import base64
import io
import math
from dataclasses import dataclass
from typing import Any, Iterable, Mapping, Sequence

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import Polygon

__all__ = [
    "OKABE_ITO",
    "CERTAINTY_COLOURS",
    "PROVENANCE_MARKS",
    "format_p",
    "heterogeneity_text",
    "overall_effect_text",
    "favours_sides",
    "forest_plot",
    "forest_figure",
    "evidence_map",
    "evidence_map_alt",
    "FigureWithAlt",
    "PngFigure",
]

#: The Okabe–Ito palette (Okabe & Ito 2008), safe for the common colour-vision deficiencies.
OKABE_ITO: dict[str, str] = {
    "black": "#000000",
    "orange": "#E69F00",
    "sky_blue": "#56B4E9",
    "bluish_green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "reddish_purple": "#CC79A7",
}

#: GRADE certainty -> colour (ordered dark green ... vermillion, distinguishable without hue).
CERTAINTY_COLOURS: dict[str, str] = {
    "high": OKABE_ITO["bluish_green"],
    "moderate": OKABE_ITO["blue"],
    "low": OKABE_ITO["orange"],
    "very low": OKABE_ITO["vermillion"],
}

#: Footnote marks for inputs that were not read in a source, and what they mean.
PROVENANCE_MARKS: dict[str, tuple[str, str]] = {
    "reconstructed": (
        "\u2020",
        "counts reconstructed: the integer 2\u00d72 table that reproduces the review's published "
        "estimate and 95% CI (not read in a source)",
    ),
    "approximated": (
        "\u2021",
        "approximated: derived from reported numbers (e.g. SD back-calculated from a 95% CI, or "
        "counts rounded from percentages)",
    ),
}

RATIO_MEASURES = {"RR", "OR"}
MEASURE_NAMES = {
    "RR": "Risk Ratio",
    "OR": "Odds Ratio",
    "RD": "Risk Difference",
    "MD": "Mean Difference",
    "SMD": "Std. Mean Difference",
}
METHOD_NAMES = {"MH": "M-H", "IV": "IV", "PETO": "Peto", "Peto": "Peto"}

_FONT = 9.0
_ROW = 0.23  # inches per table row


# ---------------------------------------------------------------------------------------------
# RevMan-style text
# ---------------------------------------------------------------------------------------------
def format_p(p: float) -> str:
    """Format a P value as RevMan 5 prints it in a forest plot.

    ``P < 0.00001`` below 0.00001; one significant digit below 0.01 (``0.001``, ``0.0002``);
    otherwise two decimals (``0.13``; ``1.00`` at most).
    """
    if p is None or not np.isfinite(p):
        return "P = not estimable"
    if p < 0.00001:
        return "P < 0.00001"
    if p < 0.01:
        exponent = math.floor(math.log10(p))
        digits = -exponent
        value = round(p, digits)
        if value >= 0.01:  # rounding carried over (e.g. 0.0096 -> 0.01)
            return "P = 0.01"
        return f"P = {value:.{digits}f}"
    return f"P = {p:.2f}"


def _fmt_num(x: float | None, digits: int = 2) -> str:
    if x is None or (isinstance(x, float) and not np.isfinite(x)):
        return ""
    return f"{x:.{digits}f}".replace("-", "\u2212")


def heterogeneity_text(result: Any) -> str:
    """RevMan's heterogeneity line for a pooled result.

    Fixed effect: ``Heterogeneity: Chi² = 9.95, df = 6 (P = 0.13); I² = 40%``; random effects
    add ``Tau² = ..;`` in front; one estimable study: ``Heterogeneity: Not applicable``.
    """
    df = getattr(result, "df", None)
    if df is None or df < 1 or getattr(result, "q", None) is None:
        return "Heterogeneity: Not applicable"
    parts = []
    if str(getattr(result, "model", "fixed")).lower().startswith("random"):
        parts.append(f"Tau\u00b2 = {_fmt_num(result.tau2)}; ")
    parts.append(
        f"Chi\u00b2 = {_fmt_num(result.q)}, df = {int(df)} ({format_p(result.p_q)}); "
        f"I\u00b2 = {int(math.floor(result.i2 + 0.5))}%"
    )
    return "Heterogeneity: " + "".join(parts)


def overall_effect_text(result: Any) -> str:
    """RevMan's line ``Test for overall effect: Z = 3.29 (P = 0.001)``."""
    z = getattr(result, "z", None)
    if z is None or not np.isfinite(z):
        return "Test for overall effect: Not applicable"
    return f"Test for overall effect: Z = {abs(z):.2f} ({format_p(result.p)})"


def favours_sides(
    higher_is_better: bool, label_intervention: str, label_control: str
) -> tuple[str, str]:
    """Return the (left, right) "Favours ..." labels of a forest plot.

    Right of the line of no effect lies an effect above it (RR > 1, MD > 0). When a higher value
    is better for the patient (responders, strength), the right side favours the intervention;
    when a higher value is worse (serious adverse events, CDASI activity), the left side does.
    """
    fi, fc = f"Favours {label_intervention}", f"Favours {label_control}"
    return (fc, fi) if higher_is_better else (fi, fc)


# ---------------------------------------------------------------------------------------------
# Input normalisation
# ---------------------------------------------------------------------------------------------
@dataclass
class _ForestInput:
    result: Any
    studies: pd.DataFrame
    measure: str
    method: str
    model: str
    label_intervention: str
    label_control: str
    higher_is_better: bool
    flags: dict[str, list[str]]


def _get(obj: Any, name: str, default: Any = None) -> Any:
    if isinstance(obj, Mapping):
        return obj.get(name, default)
    return getattr(obj, name, default)


def _is_missing(x: Any) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x))


def _as_bool(x: Any) -> bool:
    if isinstance(x, str):
        return x.strip().lower() in {"true", "1", "yes", "y"}
    return bool(x)


def provenance_flags(analysis_result: Any) -> dict[str, list[str]]:
    """Map each study's forest-plot label to the non-``reported`` provenance classes of its inputs.

    Reads ``analysis_result.inputs`` (columns ``study_id`` and ``provenance``); study ids are
    turned into labels with ``inputs['label']`` when present, else via ``mytools.data``.
    """
    inputs = _get(analysis_result, "inputs")
    if inputs is None or len(inputs) == 0 or "provenance" not in inputs:
        return {}
    key = "label" if "label" in inputs.columns else "study_id"
    labels: dict[str, str] = {}
    if key == "study_id":
        try:
            from mytools.data import load_data  # local import: plots must not need data to run

            st = load_data().studies
            labels = dict(zip(st["study_id"], st["label"]))
        except Exception:  # noqa: BLE001 - fall back to study ids
            labels = {}
    flags: dict[str, list[str]] = {}
    for sid, prov in zip(inputs[key], inputs["provenance"]):
        if prov in PROVENANCE_MARKS:
            lab = labels.get(sid, sid)
            flags.setdefault(lab, [])
            if prov not in flags[lab]:
                flags[lab].append(prov)
    return flags


def _normalise(obj: Any, **kw: Any) -> _ForestInput:
    spec = _get(obj, "spec")
    result = _get(obj, "result") if spec is not None else obj
    if result is None:
        status = _get(obj, "status", "")
        raise ValueError(
            f"analysis {_get(obj, 'id', '?')!r} has no pooled result (status {status!r}); "
            "there are no study-level inputs to draw, so no forest plot is drawn"
        )
    spec = dict(spec or {})
    flags = provenance_flags(obj) if _get(obj, "inputs") is not None else {}
    if kw.get("flags") is not None:
        flags = {k: list(v) for k, v in kw["flags"].items()}
    hib = kw.get("higher_is_better")
    if hib is None:
        hib = spec.get("higher_is_better")
    if hib is None:
        raise ValueError("higher_is_better is needed to place the 'Favours' labels")
    measure = str(kw.get("measure") or _get(result, "measure") or spec.get("measure"))
    return _ForestInput(
        result=result,
        studies=_get(result, "studies").reset_index(drop=True),
        measure=measure,
        method=str(_get(result, "method") or spec.get("method") or "IV"),
        model=str(_get(result, "model") or spec.get("model") or "fixed"),
        label_intervention=str(kw.get("label_intervention") or spec.get("label_intervention") or "intervention"),
        label_control=str(kw.get("label_control") or spec.get("label_control") or "control"),
        higher_is_better=_as_bool(hib),
        flags=flags,
    )


def _data_kind(studies: pd.DataFrame) -> str:
    cols = set(studies.columns)
    if {"events_t", "n_t", "events_c", "n_c"} <= cols:
        return "binary"
    if {"mean_t", "sd_t", "n_t", "mean_c", "sd_c", "n_c"} <= cols:
        return "continuous"
    return "generic"


# ---------------------------------------------------------------------------------------------
# Axis scale
# ---------------------------------------------------------------------------------------------
_RATIO_SCALES: list[tuple[float, list[float]]] = [
    (2, [0.5, 0.7, 1, 1.5, 2]),
    (5, [0.2, 0.5, 1, 2, 5]),
    (10, [0.1, 0.2, 0.5, 1, 2, 5, 10]),
    (20, [0.05, 0.2, 1, 5, 20]),
    (50, [0.02, 0.1, 1, 10, 50]),
    (100, [0.01, 0.1, 1, 10, 100]),
    (1000, [0.001, 0.1, 1, 10, 1000]),
]


def _ratio_scale(values: Iterable[float], must: Iterable[float]) -> tuple[float, list[float]]:
    """Smallest symmetric log scale (1/R .. R) holding `must` and, if R <= 100, `values`."""
    need_must = max([abs(math.log(v)) for v in must if v and np.isfinite(v) and v > 0] or [0.0])
    need_all = max(
        [need_must] + [abs(math.log(v)) for v in values if v and np.isfinite(v) and v > 0]
    )
    for r, ticks in _RATIO_SCALES:
        if math.log(r) >= need_all * 0.999:
            return r, ticks
    for r, ticks in _RATIO_SCALES:
        if math.log(r) >= need_must * 0.999 and r >= 100:
            return r, ticks
    return _RATIO_SCALES[-1]


def _linear_scale(values: Iterable[float]) -> tuple[float, list[float]]:
    need = max([abs(v) for v in values if v is not None and np.isfinite(v)] or [1.0])
    for base in (0.5, 1, 2, 4, 5, 10, 20, 25, 50, 100, 200, 500, 1000, 2000, 5000):
        if base >= need * 0.999:
            return base, [-base, -base / 2, 0, base / 2, base]
    return need, [-need, 0, need]


# ---------------------------------------------------------------------------------------------
# Forest plot
# ---------------------------------------------------------------------------------------------
def forest_plot(
    obj: Any,
    *,
    labels: Sequence[str] | None = None,
    label_intervention: str | None = None,
    label_control: str | None = None,
    higher_is_better: bool | None = None,
    measure: str | None = None,
    flags: Mapping[str, Sequence[str]] | None = None,
    footnotes: Sequence[str] = (),
    xlim: tuple[float, float] | None = None,
    title: str | None = None,
    width: float | None = None,
) -> Figure:
    """Draw a RevMan 5-style forest plot.

    Parameters
    ----------
    obj
        An ``AnalysisResult`` (``mytools.analyses.analysis(id)``: its ``spec`` gives the arm labels
        and the outcome's direction, its ``inputs`` the provenance) or a ``MetaResult`` (then pass
        ``label_intervention``, ``label_control`` and ``higher_is_better``).
    labels
        Study labels replacing ``result.studies['label']``.
    flags
        ``{study label: [provenance, ...]}`` overriding the provenance read from ``obj.inputs``;
        ``reconstructed`` is marked †, ``approximated`` ‡, and each mark is footnoted.
    footnotes
        Extra lines printed under the plot.
    xlim
        Axis limits; by default a symmetric RevMan-like scale (log for RR/OR) chosen to hold the
        pooled CI and, where possible, every study CI (lines running off the axis end in an arrow).

    Returns
    -------
    matplotlib.figure.Figure
        One figure; the caller decides how to show or save it.
    """
    fi = _normalise(
        obj,
        label_intervention=label_intervention,
        label_control=label_control,
        higher_is_better=higher_is_better,
        measure=measure,
        flags=flags,
    )
    res, st = fi.result, fi.studies.copy()
    if labels is not None:
        if len(labels) != len(st):
            raise ValueError(f"labels has {len(labels)} entries for {len(st)} studies")
        st["label"] = list(labels)
    kind = _data_kind(st)
    ratio = fi.measure.upper() in RATIO_MEASURES
    null = 1.0 if ratio else 0.0
    estimable = st["estimable"].astype(bool) if "estimable" in st else st["estimate"].notna()

    # ---- columns (inches) -----------------------------------------------------------------
    study_labels = []
    used_marks: list[str] = []
    for lab in st["label"].astype(str):
        marks = ""
        for prov in fi.flags.get(lab, []):
            mark = PROVENANCE_MARKS[prov][0]
            marks += mark
            if prov not in used_marks:
                used_marks.append(prov)
        study_labels.append(lab + (" " + marks if marks else ""))
    char_w = _FONT / 72 * 0.55
    longest = max([len(s) for s in study_labels] + [len("Total (95% CI)"), 22])
    study_w = 0.15 + longest * char_w
    if kind == "binary":
        arm_cols = [("Events", "events"), ("Total", "n")]
    elif kind == "continuous":
        arm_cols = [("Mean", "mean"), ("SD", "sd"), ("Total", "n")]
    else:
        arm_cols = []
    col_w = 0.5
    x = study_w
    arm_x: list[list[float]] = []
    for _arm in ("t", "c"):
        xs = []
        for _ in arm_cols:
            x += col_w
            xs.append(x)  # right edge of the number
        arm_x.append(xs)
        x += 0.12 if arm_cols else 0
    gen_x: list[float] = []
    if kind == "generic":
        for _ in range(2):
            x += 0.8
            gen_x.append(x)
        x += 0.1
    weight_x = x + 0.6
    est_x = weight_x + 0.3 + 1.4  # right edge of "-8.20 [-11.91, -4.49]"
    graph_x0 = est_x + 0.2
    graph_w = 2.4
    fig_w = width or (graph_x0 + graph_w + 0.25)

    # ---- rows ---------------------------------------------------------------------------
    k = len(st)
    top = 0.4
    import textwrap

    group_chars = max(8, int((len(arm_cols) * col_w) / char_w)) if arm_cols else 40
    arm_heads = [textwrap.wrap(str(lab), group_chars) or [""] for lab in
                 (fi.label_intervention, fi.label_control)]
    n_head = max(len(h) for h in arm_heads)
    r_head1, r_head2 = 0.0 + (n_head - 1), 1.0 + (n_head - 1)
    r_first = r_head2 + 1.2
    study_rows = [r_first + i for i in range(k)]
    r_total = r_first + k + 0.4
    r_events = r_total + 1 if kind == "binary" else None
    r_het = (r_events if r_events is not None else r_total) + 1
    r_z = r_het + 1
    r_axis = (r_events if r_events is not None else r_total) + 0.6
    fn_lines = [f"{PROVENANCE_MARKS[p][0]} {PROVENANCE_MARKS[p][1]}" for p in used_marks]
    fn_lines += list(footnotes)
    r_fn = max(r_z, r_axis + 2.7) + 1.0
    n_units = (r_fn + len(fn_lines) if fn_lines else max(r_z, r_axis + 2.2)) + 0.6 + top
    fig_h = n_units * _ROW

    fig = Figure(figsize=(fig_w, fig_h), dpi=110, facecolor="white")
    tab = fig.add_axes((0, 0, 1, 1))
    tab.set_xlim(0, fig_w)
    tab.set_ylim(n_units - top, -top)
    tab.axis("off")
    tab.set_facecolor("white")

    def text(xx: float, row: float, s: str, ha: str = "left", **kwargs: Any) -> None:
        tab.text(xx, row, s, ha=ha, va="center", fontsize=kwargs.pop("fontsize", _FONT), **kwargs)

    # ---- header -------------------------------------------------------------------------
    mname = MEASURE_NAMES.get(fi.measure.upper(), fi.measure)
    method = METHOD_NAMES.get(fi.method, fi.method)
    model = "Random" if fi.model.lower().startswith("random") else "Fixed"
    method_line = f"{method}, {model}, 95% CI"
    text(0.1, r_head2, "Study or Subgroup", fontweight="bold")
    for arm_i, name in enumerate((fi.label_intervention, fi.label_control)):
        if not arm_cols:
            break
        xs = arm_x[arm_i]
        centre = (xs[0] - col_w + xs[-1]) / 2
        lines = arm_heads[arm_i]
        for j, line in enumerate(lines):
            text(centre, r_head1 - (len(lines) - 1 - j), line, ha="center", fontweight="bold")
        tab.plot([xs[0] - col_w + 0.08, xs[-1]], [r_head1 + 0.45] * 2, color="black", lw=0.6)
        for (head, _), xx in zip(arm_cols, xs):
            text(xx, r_head2, head, ha="right", fontweight="bold")
    if kind == "generic":
        lab = f"log[{mname}]" if ratio else mname
        text(gen_x[0], r_head2, lab, ha="right", fontweight="bold")
        text(gen_x[1], r_head2, "SE", ha="right", fontweight="bold")
    text(weight_x, r_head2, "Weight", ha="right", fontweight="bold")
    est_centre = est_x - 0.75
    text(est_centre, r_head1, mname, ha="center", fontweight="bold")
    text(est_centre, r_head2, method_line, ha="center", fontweight="bold")
    g_centre = graph_x0 + graph_w / 2
    text(g_centre, r_head1, mname, ha="center", fontweight="bold")
    text(g_centre, r_head2, method_line, ha="center", fontweight="bold")
    tab.plot([0.1, est_x], [r_head2 + 0.55] * 2, color="black", lw=0.8)
    tab.plot([graph_x0, graph_x0 + graph_w], [r_head2 + 0.55] * 2, color="black", lw=0.8)

    # ---- study rows ---------------------------------------------------------------------
    def num(v: Any, digits: int | None = None) -> str:
        if _is_missing(v):
            return ""
        if digits is None:
            return str(int(v)) if float(v).is_integer() else f"{v:g}"
        return _fmt_num(float(v), digits)

    for i, row in st.iterrows():
        r = study_rows[i]
        text(0.1, r, study_labels[i])
        if kind == "binary":
            for arm_i, suf in enumerate(("t", "c")):
                text(arm_x[arm_i][0], r, num(row[f"events_{suf}"]), ha="right")
                text(arm_x[arm_i][1], r, num(row[f"n_{suf}"]), ha="right")
        elif kind == "continuous":
            for arm_i, suf in enumerate(("t", "c")):
                text(arm_x[arm_i][0], r, num(row[f"mean_{suf}"], 2), ha="right")
                text(arm_x[arm_i][1], r, num(row[f"sd_{suf}"], 2), ha="right")
                text(arm_x[arm_i][2], r, num(row[f"n_{suf}"]), ha="right")
        else:
            y = math.log(row["estimate"]) if ratio and row["estimate"] > 0 else row["estimate"]
            text(gen_x[0], r, _fmt_num(y, 4), ha="right")
            text(gen_x[1], r, _fmt_num(row["se"], 4), ha="right")
        if bool(estimable.iloc[i]):
            text(weight_x, r, f"{row['weight_percent']:.1f}%", ha="right")
            text(est_x, r, f"{_fmt_num(row['estimate'])} [{_fmt_num(row['ci_low'])}, "
                 f"{_fmt_num(row['ci_high'])}]", ha="right")
        else:
            text(est_x, r, "Not estimable", ha="right")

    # ---- totals -------------------------------------------------------------------------
    text(0.1, r_total, "Total (95% CI)", fontweight="bold")
    if kind in ("binary", "continuous"):
        for arm_i, suf in enumerate(("t", "c")):
            text(arm_x[arm_i][-1], r_total, num(st[f"n_{suf}"].sum()), ha="right", fontweight="bold")
    est_ok = res.estimate is not None and np.isfinite(res.estimate)
    text(weight_x, r_total, "100.0%" if est_ok else "", ha="right", fontweight="bold")
    text(est_x, r_total,
         f"{_fmt_num(res.estimate)} [{_fmt_num(res.ci_low)}, {_fmt_num(res.ci_high)}]"
         if est_ok else "Not estimable", ha="right", fontweight="bold")
    if r_events is not None:
        text(0.1, r_events, "Total events")
        for arm_i, suf in enumerate(("t", "c")):
            text(arm_x[arm_i][0], r_events, num(st[f"events_{suf}"].sum()), ha="right")
    text(0.1, r_het, heterogeneity_text(res))
    text(0.1, r_z, overall_effect_text(res))

    # ---- graph --------------------------------------------------------------------------
    y_top, y_bot = r_first - 0.9, r_axis
    fx0 = graph_x0 / fig_w
    fy0 = 1 - (y_bot + top) / n_units
    fh = (y_bot - y_top) / n_units
    ax = fig.add_axes((fx0, fy0, graph_w / fig_w, fh))
    ax.patch.set_alpha(0.0)
    ax.set_ylim(y_bot, y_top)
    ok = st[estimable.values]
    if xlim is None:
        pooled = [res.ci_low, res.ci_high] if est_ok else []
        vals = list(ok["ci_low"]) + list(ok["ci_high"]) + list(ok["estimate"])
        if ratio:
            lim, ticks = _ratio_scale(vals, pooled + list(ok["estimate"]))
            xlim = (1 / lim, lim)
        else:
            lim, ticks = _linear_scale(vals + pooled)
            xlim = (-lim, lim)
    else:
        ticks = None
    if ratio:
        ax.set_xscale("log")
    ax.set_xlim(*xlim)
    if ticks is not None:
        ax.set_xticks(ticks)
        ax.set_xticklabels([f"{t:g}".replace("-", "\u2212") for t in ticks])
        ax.minorticks_off()
    ax.tick_params(axis="x", labelsize=_FONT, length=3)
    ax.set_yticks([])
    for side in ("left", "right", "top"):
        ax.spines[side].set_visible(False)
    ax.axvline(null, color="black", lw=0.8, zorder=1)
    square = OKABE_ITO["blue"]
    lo_lim, hi_lim = xlim
    for i, row in st.iterrows():
        if not bool(estimable.iloc[i]):
            continue
        r = study_rows[i]
        lo, hi, est = row["ci_low"], row["ci_high"], row["estimate"]
        ax.plot([max(lo, lo_lim), min(hi, hi_lim)], [r, r], color="black", lw=1.0, zorder=2,
                solid_capstyle="butt")
        if lo < lo_lim:
            ax.plot([lo_lim], [r], marker="<", color="black", ms=5, zorder=3, clip_on=False)
        if hi > hi_lim:
            ax.plot([hi_lim], [r], marker=">", color="black", ms=5, zorder=3, clip_on=False)
        if lo_lim <= est <= hi_lim:
            side = 3 + 11 * math.sqrt(max(row["weight_percent"], 0) / 100)
            ax.plot([est], [r], marker="s", ms=side, color=square, mec=square, zorder=4)
    if est_ok:
        h = 0.38
        ax.add_patch(Polygon(
            [(res.ci_low, r_total), (res.estimate, r_total - h), (res.ci_high, r_total),
             (res.estimate, r_total + h)], closed=True, facecolor="black", edgecolor="black",
            zorder=4))
    left, right = favours_sides(fi.higher_is_better, fi.label_intervention, fi.label_control)
    half_chars = max(10, int((graph_w / 2) / char_w) - 1)
    left_txt, right_txt = ("\n".join(textwrap.wrap(t, half_chars)) for t in (left, right))
    ax.annotate(left_txt, xy=(0.25, 0), xycoords="axes fraction", xytext=(0, -18),
                textcoords="offset points", ha="center", va="top", fontsize=_FONT)
    ax.annotate(right_txt, xy=(0.75, 0), xycoords="axes fraction", xytext=(0, -18),
                textcoords="offset points", ha="center", va="top", fontsize=_FONT)

    # ---- footnotes / title --------------------------------------------------------------
    if fn_lines:
        tab.plot([0.1, fig_w - 0.2], [r_fn - 0.7] * 2, color="#999999", lw=0.5)
    for j, line in enumerate(fn_lines):
        text(0.1, r_fn + j, line, fontsize=_FONT - 0.5)
    if title:
        fig.suptitle(title, fontsize=_FONT + 2, y=1.0, va="bottom")
    fig.forest_meta = {  # type: ignore[attr-defined]  # for tests and alt text
        "alt": _alt_text(fi, st, estimable, kind, ratio, null, mname, left, right),
        "favours_left": left,
        "favours_right": right,
        "log_axis": ratio,
        "xlim": tuple(xlim),
        "marks": {lab: fi.flags.get(lab, []) for lab in st["label"]},
        "footnotes": fn_lines,
        "study_labels": study_labels,
        "heterogeneity": heterogeneity_text(res),
        "overall": overall_effect_text(res),
        "axis": ax,
    }
    return fig


def _alt_text(fi: _ForestInput, st: pd.DataFrame, estimable: pd.Series, kind: str, ratio: bool,
              null: float, mname: str, left: str, right: str) -> str:
    """One sentence stating the result the plot shows (used as the image's alt text)."""
    res = fi.result
    k = int(estimable.sum())
    n_txt = ""
    if kind in ("binary", "continuous"):
        n = int(st["n_t"].sum() + st["n_c"].sum())
        n_txt = f", {n} participants"
    head = (f"Forest plot of {fi.label_intervention} versus {fi.label_control}: "
            f"{k} {'study' if k == 1 else 'studies'}{n_txt}.")
    if res.estimate is None or not np.isfinite(res.estimate):
        return head + " No pooled estimate."
    est = (f" Pooled {mname.lower()} {res.estimate:.2f} (95% CI {res.ci_low:.2f} to "
           f"{res.ci_high:.2f}),")
    if res.ci_low > null:
        side = right
    elif res.ci_high < null:
        side = left
    else:
        side = None
    tail = (f" the whole confidence interval lies on the side labelled '{side}'." if side else
            " the confidence interval crosses the line of no effect.")
    marks = [lab for lab, provs in fi.flags.items() if provs]
    note = (f" Inputs marked as not read in a source: {', '.join(marks)}." if marks else "")
    return head + est + tail + note


def forest_figure(obj: Any, **kwargs: Any) -> "FigureWithAlt":
    """:func:`forest_plot` wrapped with its generated alt text, ready to ``glue``."""
    fig = forest_plot(obj, **kwargs)
    return FigureWithAlt(fig, fig.forest_meta["alt"])  # type: ignore[attr-defined]


# ---------------------------------------------------------------------------------------------
# Evidence map
# ---------------------------------------------------------------------------------------------
def evidence_map(
    frame: pd.DataFrame,
    *,
    comparison_col: str = "comparison",
    outcome_col: str = "outcome_group",
    participants_col: str = "participants",
    certainty_col: str = "certainty",
    recomputable_col: str = "recomputable",
    label_col: str | None = "abstract_no",
    comparisons: Sequence[str] | None = None,
    outcomes: Sequence[str] | None = None,
) -> Figure:
    """Grid of comparison (rows) × outcome (columns) for the review's published results.

    Marker area is proportional to the participants, colour is the published GRADE certainty
    (Okabe–Ito, see :data:`CERTAINTY_COLOURS`, repeated as GRADE symbols ⊕⊕◯◯ under the marker so
    colour is never the only cue), a filled marker is a result this book recomputes from
    study-level inputs and an open marker one it cannot. The label under the marker (if
    `label_col` is given) is the result's number in the review's abstract.
    """
    need = [comparison_col, outcome_col, participants_col, certainty_col, recomputable_col]
    missing = [c for c in need if c not in frame.columns]
    if missing:
        raise ValueError(f"evidence_map: frame lacks column(s) {missing}")
    comps = list(comparisons or frame.attrs.get("comparisons") or dict.fromkeys(frame[comparison_col]))
    outs = list(outcomes or frame.attrs.get("outcomes") or dict.fromkeys(frame[outcome_col]))
    fig = Figure(figsize=(1.05 * len(outs) + 2.6, 1.15 * len(comps) + 2.9), dpi=110,
                 facecolor="white")
    ax = fig.add_axes((0.24, 0.36, 0.74, 0.60))
    ax.set_facecolor("white")
    scale = 7.0  # points² per participant
    cells: dict[tuple[Any, Any], list[int]] = {}
    for idx, row in frame.iterrows():
        cells.setdefault((row[comparison_col], row[outcome_col]), []).append(idx)
    offsets: dict[Any, float] = {}
    for members in cells.values():  # several results in one cell sit side by side
        for j, idx in enumerate(members):
            offsets[idx] = 0.0 if len(members) == 1 else -0.3 + 0.6 * j / (len(members) - 1)
    for idx, row in frame.iterrows():
        xx = outs.index(row[outcome_col]) + offsets[idx]
        yy = comps.index(row[comparison_col])
        cert = str(row[certainty_col]).strip().lower()
        colour = CERTAINTY_COLOURS.get(cert, "#999999")
        filled = _as_bool(row[recomputable_col])
        n = float(row[participants_col]) if not _is_missing(row[participants_col]) else 10.0
        ax.scatter([xx], [yy], s=n * scale, facecolor=colour if filled else "white",
                   edgecolor=colour, linewidth=2.2, zorder=3)
        if label_col and label_col in frame and not _is_missing(row[label_col]):
            radius = math.sqrt(n * scale) / 2
            filled_n = {"high": 4, "moderate": 3, "low": 2, "very low": 1}.get(cert, 0)
            symbols = "\u2295" * filled_n + "\u25cb" * (4 - filled_n)
            ax.annotate(f"#{int(row[label_col])}\n{symbols}", xy=(xx, yy),
                        xytext=(0, -(radius + 3)), linespacing=1.1,
                        textcoords="offset points", ha="center", va="top", fontsize=10,
                        color="black", zorder=4)
    ax.set_xticks(range(len(outs)))
    ax.set_xticklabels(outs, rotation=35, ha="right", fontsize=11)
    ax.set_yticks(range(len(comps)))
    ax.set_yticklabels([c.replace(" vs ", "\nvs ") for c in comps], fontsize=11)
    ax.set_xlim(-0.6, len(outs) - 0.4)
    ax.set_ylim(len(comps) - 0.3, -0.6)
    ax.grid(True, color="#dddddd", lw=0.6, zorder=0)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    # legends: certainty colours, fill, size
    from matplotlib.lines import Line2D

    handles = [Line2D([], [], marker="o", ls="", ms=9, color=c, label=f"{k} certainty")
               for k, c in CERTAINTY_COLOURS.items()]
    handles += [
        Line2D([], [], marker="o", ls="", ms=9, mfc="#555555", mec="#555555",
               label="recomputed from study data"),
        Line2D([], [], marker="o", ls="", ms=9, mfc="white", mec="#555555", mew=2,
               label="not recomputable here"),
    ]
    fig.legend(handles=handles, loc="lower left", ncol=3, fontsize=10, frameon=False,
               bbox_to_anchor=(0.0, 0.0), handletextpad=0.3, columnspacing=1.0)
    sizes = [Line2D([], [], marker="o", ls="", ms=math.sqrt(n * scale), mfc="none",
                    mec="#555555", label=f"{n} participants") for n in (25, 100)]
    fig.legend(handles=sizes, loc="lower right", ncol=1, fontsize=10, frameon=False,
               labelspacing=1.6,
               bbox_to_anchor=(0.99, 0.0), handletextpad=1.6, columnspacing=2.5,
               borderpad=1.2)
    return fig


def evidence_map_alt(frame: pd.DataFrame) -> str:
    """Alt text for :func:`evidence_map`: what the grid shows, counted from the frame."""
    n = len(frame)
    rec = int(frame["recomputable"].map(_as_bool).sum())
    by_cert = frame.groupby(frame["certainty"].str.lower()).size()
    cert_txt = ", ".join(f"{int(by_cert[c])} {c}" for c in CERTAINTY_COLOURS if c in by_cert)
    comps = ", ".join(frame.attrs.get("comparisons") or dict.fromkeys(frame["comparison"]))
    top = frame.loc[pd.to_numeric(frame["participants"]).idxmax()]
    big, big_c, big_n = int(top["abstract_no"]), top["comparison"], int(top["participants"])
    return (f"Evidence map of {n} published results ({comps}) by outcome. Certainty: {cert_txt}. "
            f"{rec} are recomputed here from study-level data (filled markers), {n - rec} are not "
            f"(open markers). The largest marker is result #{big} ({big_c}, "
            f"{big_n} participants).")


# ---------------------------------------------------------------------------------------------
# Figure with generated alt text
# ---------------------------------------------------------------------------------------------
class PngFigure:
    """A Figure shown (and glued) as a white-background PNG; ``{glue:figure}``'s ``:alt:`` applies.

    Figures built with :class:`matplotlib.figure.Figure` (no pyplot) have no rich display of their
    own; glue this wrapper so that the page receives ``image/png``.
    """

    def __init__(self, fig: Figure, dpi: int = 144) -> None:
        self.fig, self.dpi = fig, dpi

    def _png(self) -> bytes:
        buf = io.BytesIO()
        self.fig.savefig(buf, format="png", dpi=self.dpi, facecolor="white", bbox_inches="tight")
        return buf.getvalue()

    def _repr_png_(self) -> bytes:
        return self._png()


class FigureWithAlt(PngFigure):
    """A figure paired with its alt text, shown as ``<img alt=...>`` in HTML output.

    Glue one of these (``glue(key, FigureWithAlt(fig, alt), display=False)``) so that the alt
    text is generated from the numbers rather than typed into the page.
    """

    def __init__(self, fig: Figure, alt: str, dpi: int = 144) -> None:
        super().__init__(fig, dpi)
        self.alt = alt

    def _repr_html_(self) -> str:
        import html

        data = base64.b64encode(self._png()).decode("ascii")
        return (f'<img src="data:image/png;base64,{data}" alt="{html.escape(self.alt, quote=True)}"'
                ' style="max-width:100%;background:white" />')
