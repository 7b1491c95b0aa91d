"""The Bayesian answer for the reader: the posterior of μ drawn with the intervals of the other
models marked, probabilities in words, and the prior-sensitivity table.

Given numbers only (a density on a grid, intervals, probabilities); nothing is integrated here.
Probabilities are put in words with the IPCC's calibrated likelihood scale (Mastrandrea et al.
2010, *Guidance note for lead authors of the IPCC Fifth Assessment Report on consistent treatment
of uncertainties*): ≥ 99% "virtually certain", ≥ 90% "very likely", ≥ 66% "likely", 33–66% "about
as likely as not", ≤ 33% "unlikely", ≤ 10% "very unlikely", ≤ 1% "exceptionally unlikely".
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from .figures import SvgFigure
from .style import OKABE_ITO
from .tables import _num

__all__ = ["LIKELIHOOD_SCALE", "likelihood_words", "Panel", "posterior_figure", "probability_sentence",
           "bayes_table", "prior_table", "threshold_text", "panel_for", "probability_sentences",
           "rule_prior_labels"]

#: (lower bound of the probability, words), highest first (IPCC AR5 scale, see the module docstring).
LIKELIHOOD_SCALE: tuple[tuple[float, str], ...] = (
    (0.99, "virtually certain"), (0.90, "very likely"), (0.66, "likely"),
    (0.33, "about as likely as not"), (0.10, "unlikely"), (0.01, "very unlikely"),
    (0.0, "exceptionally unlikely"))


def likelihood_words(p: float) -> str:
    """The IPCC word for a probability.

    >>> likelihood_words(0.97), likelihood_words(0.5), likelihood_words(0.004)
    ('very likely', 'about as likely as not', 'exceptionally unlikely')
    """
    if p is None or not math.isfinite(p) or not 0 <= p <= 1:
        raise ValueError(f"likelihood_words: expected a probability in [0, 1], got {p!r}")
    return next(w for lo, w in LIKELIHOOD_SCALE if p >= lo)


def _pct(p: float) -> str:
    return "over 99.9%" if p > 0.999 else "under 0.1%" if p < 0.001 else f"{100 * p:.0f}%" if \
        0.01 <= p <= 0.99 else f"{100 * p:.1f}%"


def probability_sentence(outcome: str, p_benefit: float, p_important: float | None,
                         threshold: str | None, benefit: str = "") -> str:
    """What the posterior says about benefit, in words and numbers; ``outcome`` names the result,
    ``benefit`` what a benefit is ("lower with IVIg").

    >>> probability_sentence("IVIg, strength", 0.97, 0.91, "an SMD above 0.2")
    'IVIg, strength: a benefit is very likely (97%); an important benefit (an SMD above 0.2) is very likely (91%).'
    """
    what = f" ({benefit})" if benefit else ""
    text = f"{outcome}: a benefit{what} is {likelihood_words(p_benefit)} ({_pct(p_benefit)})"
    if p_important is None or threshold is None:
        return text + "; no threshold of an important benefit is established for it."
    return text + (f"; an important benefit ({threshold}) is {likelihood_words(p_important)} "
                   f"({_pct(p_important)}).")


@dataclass(frozen=True)
class Panel:
    """One posterior of μ: ``x`` and ``density`` on the analysis scale (log for ratios),
    ``intervals`` as (label, low, high) on the same scale, ``null`` and ``important`` (the
    threshold of an important benefit, or None) on that scale, ``log`` for ratio axes."""

    title: str
    x: np.ndarray
    density: np.ndarray
    intervals: Sequence[tuple[str, float, float]] = field(default_factory=tuple)
    null: float = 0.0
    important: float | None = None
    log: bool = False


_BAR_COLOURS = (OKABE_ITO["vermillion"], OKABE_ITO["blue"], OKABE_ITO["bluish_green"], OKABE_ITO["reddish_purple"])
_LABEL_COLOURS = {"review (fixed effect)": OKABE_ITO["vermillion"], "REML + Hartung–Knapp": OKABE_ITO["blue"],
                  "Bayesian 95% CrI": OKABE_ITO["bluish_green"]}


def _panel(ax: Any, p: Panel) -> None:
    top = float(np.max(p.density))
    ax.fill_between(p.x, p.density, color=OKABE_ITO["sky_blue"], alpha=0.35, linewidth=0)
    ax.plot(p.x, p.density, color=OKABE_ITO["black"], linewidth=1.2)
    ax.axvline(p.null, color="#555555", linewidth=0.9)
    if p.important is not None:
        ax.axvline(p.important, color="#555555", linewidth=0.9, linestyle=(0, (3, 2)))
    for j, (label, lo, hi) in enumerate(p.intervals):
        y = -top * (0.16 + 0.14 * j)
        c = _LABEL_COLOURS.get(label, _BAR_COLOURS[j % len(_BAR_COLOURS)])  # one colour per model
        lo_c, hi_c = max(lo, p.x[0]), min(hi, p.x[-1])
        ax.plot([lo_c, hi_c], [y, y], color=c, linewidth=3, solid_capstyle="butt")
        ax.text(p.x[0], y + top * 0.03, label, fontsize=8, color=c, va="bottom")
    ax.set_ylim(-top * (0.16 + 0.14 * len(p.intervals)), top * 1.08)
    ax.set_yticks([])
    ax.set_title(p.title, fontsize=10, loc="left")
    if p.log:
        ticks = [t for t in (0.1, 0.25, 0.5, 1, 2, 4, 10) if p.x[0] <= math.log(t) <= p.x[-1]]
        ax.set_xticks([math.log(t) for t in ticks], [f"{t:g}" for t in ticks])
    for side in ("top", "right", "left"):
        ax.spines[side].set_visible(False)
    ax.tick_params(labelsize=8)


def _grid(panels: Sequence[Panel], ncols: int, width: float) -> Figure:
    n = len(panels)
    ncols = min(ncols, n)
    nrows = math.ceil(n / ncols)
    fig = Figure(figsize=(width * ncols, 2.6 * nrows), layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=False)
    for ax, p in zip(axes.flat, panels):
        _panel(ax, p)
    for ax in list(axes.flat)[n:]:
        ax.set_visible(False)
    return fig


def posterior_figure(panels: Sequence[Panel], ncols: int = 2, alt: str = "") -> SvgFigure:
    """Small multiples: for each result the posterior density of μ, no effect (solid line), the
    threshold of an important benefit (dashed), and the intervals as coloured bars underneath.
    On a phone the same panels are drawn in one narrow column (``SvgFigure``'s compact drawing)."""
    alt = alt or "Posterior densities of the average effect, one panel per result."
    return SvgFigure(_grid(panels, ncols, 4.2), alt, compact=_grid(panels, 1, 3.6),
                     compact_alt=alt + " (one panel per row)")


def threshold_text(measure: str, cut: float, higher_is_better: bool) -> str:
    """The threshold of an important benefit in words.

    >>> threshold_text("RR", 0.75, False), threshold_text("SMD", 0.2, True)
    ('RR below 0.75', 'SMD above 0.20')
    """
    return f"{measure} {'above' if higher_is_better else 'below'} {_num(cut)}"


def bayes_table(frame: pd.DataFrame, specs: Mapping[str, Mapping[str, Any]]) -> pd.DataFrame:
    """One row per result: the prior chosen by rule, μ (median, 95% CrI) and θ_new on the natural
    scale, P(benefit), P(important benefit) with its threshold.

    ``frame``: rows of :func:`mytools.analyses.bayes_view.bayes_row` (one prior per result);
    ``specs[id]``: the registry row (``sof_outcome``, ``measure``, ``higher_is_better``).
    """
    rows = []
    for r in frame.itertuples(index=False):
        spec = specs[r.analysis_id]
        hib = str(spec.get("higher_is_better")).strip().lower() == "true"
        rows.append({
            "Outcome": spec.get("sof_outcome", r.analysis_id), "Prior on \u03c4 (by rule)": r.prior_label,
            "\u03bc, median (95% CrI)": f"{_num(r.mu_median)} ({_num(r.mu_low)} to {_num(r.mu_high)})",
            "New trial (95%)": f"{_num(r.new_low)} to {_num(r.new_high)}",
            "P(benefit)": _pct(r.p_benefit),
            "P(important benefit)": ("no threshold established" if pd.isna(r.p_important) else
                                     f"{_pct(r.p_important)} ({threshold_text(spec['measure'], r.cut, hib)})"),
        })
    return pd.DataFrame(rows)


def prior_table(frame: pd.DataFrame, outcomes: dict[str, str], priors: Sequence[str]) -> pd.DataFrame:
    """Prior sensitivity: one row per result, one column per prior (``priors``, labels as in the
    frame's ``prior_label``), each cell μ's median (95% CrI) and P(benefit).

    ``frame``: ``analysis_id, prior_label, mu_median, mu_low, mu_high, p_benefit``.
    """
    out = []
    for aid, g in frame.groupby("analysis_id", sort=False):
        row: dict[str, str] = {"Outcome": outcomes.get(aid, aid)}
        by = g.set_index("prior_label")
        for lab in priors:
            if lab not in by.index:
                row[lab] = "\u2014"
                continue
            r = by.loc[lab]
            row[lab] = (f"{_num(r.mu_median)} ({_num(r.mu_low)} to {_num(r.mu_high)}); "
                        f"P(benefit) {_pct(r.p_benefit)}")
        out.append(row)
    return pd.DataFrame(out)


_BAR_LABELS = {"review": "review (fixed effect)", "reml_hksj": "REML + Hartung–Knapp",
               "bayes_mu": "Bayesian 95% CrI"}


def panel_for(title: str, x: np.ndarray, density: np.ndarray, weights: pd.DataFrame,
              cut: float | None = None) -> Panel:
    """A :class:`Panel` from a model-weight frame (its ``review``, ``reml_hksj`` and ``bayes_mu``
    rows, natural scale) and the density on the analysis scale; ``cut``: the important threshold
    on the natural scale (NaN or None: none)."""
    measure = str(weights["measure"].iloc[0]).upper()
    log = measure in {"RR", "OR", "PETO_OR", "HR"}
    f = math.log if log else (lambda v: v)
    rows = weights.set_index("row")
    bars = [(_BAR_LABELS[k], f(rows.at[k, "ci_low"]), f(rows.at[k, "ci_high"]))
            for k in ("review", "reml_hksj", "bayes_mu") if k in rows.index and not pd.isna(rows.at[k, "ci_low"])]
    imp = None if cut is None or pd.isna(cut) else f(float(cut))
    return Panel(title, np.asarray(x), np.asarray(density), bars, 0.0, imp, log)


def probability_sentences(frame: pd.DataFrame, specs: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """:func:`probability_sentence` for each row of a :func:`bayes_view.bayes_row` frame."""
    out = []
    for r in frame.itertuples(index=False):
        spec = specs[r.analysis_id]
        hib = str(spec.get("higher_is_better")).strip().lower() == "true"
        thr = None if pd.isna(r.cut) else threshold_text(str(spec["measure"]), r.cut, hib)
        drug = str(spec.get("intervention") or "")
        name = f"{drug}, {spec.get('sof_statement_outcome') or r.analysis_id}" if drug else r.analysis_id
        out.append(probability_sentence(name[:1].upper() + name[1:], r.p_benefit,
                                        None if pd.isna(r.p_important) else r.p_important, thr,
                                        f"{'higher' if hib else 'lower'} with {drug}" if drug else ""))
    return out


def rule_prior_labels(priors: pd.DataFrame, key: str = "empirical") -> dict[str, str]:
    """``{analysis id: "Turner: adverse events, LogNormalTau2(-1.87, 1.52)"}`` for the prior chosen
    by rule (``priors``: the ``prior``, ``prior_id``, ``prior_on_scale`` columns of
    :func:`mytools.analyses.bayes.bayes_all`'s ``priors``)."""
    out = {}
    for r in priors[priors["prior"] == key].itertuples(index=False):
        who, _, what = str(r.prior_id).partition("_")
        out[r.analysis_id] = f"{who.capitalize()}: {what.replace('_', ' ')}, {r.prior_on_scale}"
    return out
