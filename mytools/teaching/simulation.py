"""Small-k simulation lab: how far can two, three, five or ten trials be trusted?

Design (chosen to isolate the question "how many studies?" from the outcome's own quirks):

* Outcome: a continuous outcome with standard deviation 1 in both arms, so the mean difference (MD)
  is in SD units and behaves like a standardised mean difference — the measure of this review's
  main IVIg efficacy results (disability and strength, 3 trials each).  Binary outcomes were not
  simulated: with this review's rare serious adverse events (1–3 per arm) zero cells, continuity
  corrections and event-rate-dependent variances would blur the comparison of interval methods.
* Study i of a meta-analysis has true effect θ_i ~ N(μ, τ²) (the random-effects model of DerSimonian
  & Laird 1986), μ = 0 (coverage of an MD does not depend on μ).  Its arm sizes (n₁, n₂) are drawn
  with replacement from the review's trials (``review_arm_sizes``), or fixed (``design="fixed"``,
  e.g. the three IVIg trials).
* Observed MD_i = θ_i + ε_i, ε_i ~ N(0, 1/n₁ + 1/n₂).  Its variance is *estimated* as a trial would:
  v_i = s₁²/n₁ + s₂²/n₂ with s_j² ~ χ²_{n_j − 1}/(n_j − 1) (RevMan's MD variance), so small arms
  carry their real extra uncertainty.  ``known_variance=True`` uses v_i = 1/n₁ + 1/n₂ instead
  (then a fixed-effect Wald interval covers exactly 95% when τ² = 0 — the check in the tests).
* Each replicate is pooled by ``mytools.pool_many`` (vectorised over replicates: no Python loop
  over replications; one loop over the four k values) with three methods: fixed effect
  (inverse variance, Wald), random effects DerSimonian–Laird with a Wald interval (RevMan 5), and
  REML τ² (Viechtbauer 2005) with the Hartung–Knapp(-Sidik–Jonkman) t interval (Hartung & Knapp
  2001; IntHout et al. 2014).  Coverage = share of 95% intervals that contain μ.
* Heterogeneity is "detected" when Cochran's Q test gives p < 0.10 (the level often used because
  the test has little power with few studies), or when I² > 0, or I² ≥ 50% (Higgins & Thompson 2002);
  the three definitions are reported separately.
* Random numbers: one ``numpy.random.Generator`` per k, seeded from ``(seed, k)`` through
  ``SeedSequence``, so every build gives identical numbers and adding or removing a k value does
  not change the other k values' results.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, Sequence

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from scipy import stats

from ..data import Dataset
from ..engine.many import pool_many
from ..engine.variants import VARIANTS, variant_options
from ..present.style import OKABE_ITO

#: τ² grid (SD units²): none, small, moderate, large.  A typical trial here has v ≈ 0.05–0.25.
TAU2_GRID: tuple[float, ...] = (0.0, 0.01, 0.025, 0.05, 0.1, 0.2, 0.4)
K_VALUES: tuple[int, ...] = (2, 3, 5, 10)
SEED: int = 20250806
N_REP: int = 10_000
NOMINAL: float = 0.95
Q_ALPHA: float = 0.10


@dataclass(frozen=True)
class Method:
    """One pooling method of the lab: an engine variant key, a label and the ``pool_many`` options."""

    key: str
    label: str
    model: str
    tau2_method: str
    ci_method: str


def method(key: str) -> Method:
    """The lab's method for an engine variant (:data:`mytools.engine.variants.VARIANTS`): one
    registry of analysis variants for the whole book."""
    o = variant_options(key)
    label = VARIANTS[key].label
    return Method(key, label[:1].upper() + label[1:], str(o.get("model", "fixed")), str(o.get("tau2_method", "DL")),
                  str(o.get("ci_method", "wald")))


METHODS: tuple[Method, ...] = tuple(method(k) for k in ("fixed", "random_dl", "reml_hksj"))

DETECTION: dict[str, str] = {
    "q_p10": "Q test p < 0.10",
    "i2_pos": "I² > 0",
    "i2_50": "I² ≥ 50%",
}


@dataclass(frozen=True)
class LabResult:
    """Results of ``run_lab``: tidy tables of coverage and heterogeneity detection per cell."""

    coverage: pd.DataFrame  # k, tau2, method, label, coverage, mcse, mean_width
    detection: pd.DataFrame  # k, tau2, rule, label, probability, mcse
    n_rep: int
    seed: int
    arm_sizes: np.ndarray = field(repr=False)
    design: str = "draw"

    def wide(self) -> pd.DataFrame:
        """Coverage (rows k, τ²; columns methods) and detection probabilities side by side."""
        cov = self.coverage.pivot_table(index=["k", "tau2"], columns="label", values="coverage")
        cov = cov[[m.label for m in METHODS]]
        det = self.detection.pivot_table(index=["k", "tau2"], columns="label", values="probability")
        det = det[list(DETECTION.values())]
        return pd.concat([cov, det], axis=1, keys=["coverage of 95% CI", "P(detect heterogeneity)"])

    def value(self, k: int, tau2: float, method: str) -> float:
        """Coverage for method key ``method`` (or detection for a rule key) in cell (k, τ²)."""
        if method in DETECTION:
            d = self.detection
            sel = (d.k == k) & np.isclose(d.tau2, tau2) & (d.rule == method)
            return float(d.loc[sel, "probability"].iloc[0])
        c = self.coverage
        sel = (c.k == k) & np.isclose(c.tau2, tau2) & (c.method == method)
        return float(c.loc[sel, "coverage"].iloc[0])


    def width_ratio(self, k: int, tau2: float, method: str, reference: str) -> float:
        """Mean interval width of ``method`` divided by that of ``reference`` in cell (k, τ²)."""
        c = self.coverage
        sel = (c.k == k) & np.isclose(c.tau2, tau2)
        w = c.loc[sel].set_index("method")["mean_width"]
        return float(w[method] / w[reference])


def simulate_studies(
    rng: np.random.Generator,
    k: int,
    tau2: np.ndarray,
    arm_sizes: np.ndarray,
    *,
    design: Literal["draw", "fixed"] = "draw",
    known_variance: bool = False,
    mu: float = 0.0,
) -> tuple[np.ndarray, np.ndarray]:
    """Simulate one meta-analysis of k mean differences per entry of ``tau2`` (vectorised).

    Returns ``(y, v)``, each of shape ``(len(tau2), k)``: observed MDs and their estimated
    variances v = s₁²/n₁ + s₂²/n₂ (or 1/n₁ + 1/n₂ with ``known_variance``); see the module docstring.
    """
    tau2 = np.asarray(tau2, dtype=float)
    sizes = np.asarray(arm_sizes, dtype=float)
    if sizes.ndim != 2 or sizes.shape[1] != 2 or np.any(sizes < 2):
        raise ValueError("arm_sizes must be an (m, 2) array of arm sizes >= 2 (n_intervention, n_control)")
    n_rows = tau2.shape[0]
    if design == "draw":
        idx = rng.integers(0, sizes.shape[0], size=(n_rows, k))
        n1, n2 = sizes[idx, 0], sizes[idx, 1]
    elif design == "fixed":
        if sizes.shape[0] != k:
            raise ValueError(f"design='fixed' needs exactly k={k} rows of arm sizes, got {sizes.shape[0]}")
        n1 = np.broadcast_to(sizes[:, 0], (n_rows, k))
        n2 = np.broadcast_to(sizes[:, 1], (n_rows, k))
    else:
        raise ValueError(f"design must be 'draw' or 'fixed', got {design!r}")
    theta = mu + np.sqrt(tau2)[:, None] * rng.standard_normal((n_rows, k))
    y = theta + np.sqrt(1.0 / n1 + 1.0 / n2) * rng.standard_normal((n_rows, k))
    if known_variance:
        v = 1.0 / n1 + 1.0 / n2
    else:
        s1 = rng.chisquare(n1 - 1) / (n1 - 1)
        s2 = rng.chisquare(n2 - 1) / (n2 - 1)
        v = s1 / n1 + s2 / n2
    return y, np.array(v, dtype=float)


def _pool(y: np.ndarray, v: np.ndarray, m: Method):
    """Pool every row (one simulated meta-analysis per row) with the engine's ``pool_many``."""
    return pool_many(y, v, model=m.model, tau2_method=m.tau2_method, ci_method=m.ci_method)


def _mcse(p: np.ndarray | float, n: int) -> np.ndarray:
    """Monte-Carlo standard error of a proportion: √(p(1 − p)/n)."""
    return np.sqrt(np.asarray(p) * (1 - np.asarray(p)) / n)


def run_lab(
    arm_sizes: np.ndarray | Sequence[Sequence[int]],
    *,
    k_values: Sequence[int] = K_VALUES,
    tau2_values: Sequence[float] = TAU2_GRID,
    n_rep: int = N_REP,
    seed: int = SEED,
    design: Literal["draw", "fixed"] = "draw",
    known_variance: bool = False,
    methods: Sequence[Method] = METHODS,
) -> LabResult:
    """Coverage of nominal 95% intervals and P(detect heterogeneity) on a (k, τ²) grid.

    For each k all τ² cells are simulated and pooled at once: ``pool_many`` receives an array of
    ``len(tau2_values) × n_rep`` rows and k columns.  Detection uses Cochran's Q about the
    inverse-variance fixed estimate, p from χ²_{k−1}, and I² = max(0, (Q − df)/Q).
    """
    sizes = np.asarray(arm_sizes, dtype=float)
    tau2_grid = np.asarray(tau2_values, dtype=float)
    cov_rows: list[dict[str, object]] = []
    det_rows: list[dict[str, object]] = []
    for k in k_values:
        rng = np.random.default_rng(np.random.SeedSequence([seed, int(k)]))
        tau2_rows = np.repeat(tau2_grid, n_rep)
        y, v = simulate_studies(rng, int(k), tau2_rows, sizes, design=design, known_variance=known_variance)
        cell = np.repeat(np.arange(tau2_grid.size), n_rep)
        q = None
        for m in methods:
            res = _pool(y, v, m)
            lo, hi = np.asarray(res.ci_low), np.asarray(res.ci_high)
            covered = (lo <= 0.0) & (hi >= 0.0)
            cov = np.bincount(cell, weights=covered, minlength=tau2_grid.size) / n_rep
            width = np.bincount(cell, weights=hi - lo, minlength=tau2_grid.size) / n_rep
            for j, t in enumerate(tau2_grid):
                cov_rows.append(
                    {"k": int(k), "tau2": float(t), "method": m.key, "label": m.label,
                     "coverage": float(cov[j]), "mcse": float(_mcse(cov[j], n_rep)),
                     "mean_width": float(width[j])}
                )
            if m.model == "fixed" and q is None:
                q = np.asarray(res.q)
        if q is None:  # Q does not depend on the model; take it from a fixed-effect call
            q = np.asarray(_pool(y, v, METHODS[0]).q)
        df = int(k) - 1
        i2 = np.where(q > 0, np.maximum(0.0, (q - df) / np.where(q > 0, q, 1.0)), 0.0)
        rules = {
            "q_p10": stats.chi2.sf(q, df) < Q_ALPHA,
            "i2_pos": i2 > 0,
            "i2_50": i2 >= 0.5,
        }
        for key, hit in rules.items():
            prob = np.bincount(cell, weights=hit, minlength=tau2_grid.size) / n_rep
            for j, t in enumerate(tau2_grid):
                det_rows.append(
                    {"k": int(k), "tau2": float(t), "rule": key, "label": DETECTION[key],
                     "probability": float(prob[j]), "mcse": float(_mcse(prob[j], n_rep))}
                )
    return LabResult(pd.DataFrame(cov_rows), pd.DataFrame(det_rows), n_rep, seed, sizes, design)


_METHOD_STYLE = {
    "fixed": (OKABE_ITO["orange"], "o", "-"),
    "random_dl": (OKABE_ITO["blue"], "s", "-"),
    "reml_hksj": (OKABE_ITO["bluish_green"], "^", "-"),
}
_RULE_STYLE = {
    "q_p10": (OKABE_ITO["vermillion"], "D", "-"),
    "i2_pos": (OKABE_ITO["reddish_purple"], "v", "--"),
    "i2_50": (OKABE_ITO["black"], "x", ":"),
}


def _panel(ax, xpos: np.ndarray, rows: list[tuple[pd.DataFrame, str, tuple, str]], ylim: tuple[float, float]) -> None:
    ax.set_facecolor("white")
    for d, value, (colour, marker, ls), label in rows:
        ax.plot(xpos, d[value], color=colour, marker=marker, ls=ls, lw=1.8, ms=6, label=label)
    ax.set_ylim(*ylim)
    ax.grid(axis="y", color="0.9")


def plot_lab(result: LabResult, *, title: str | None = None, compact: bool = False) -> Figure:
    """One row of panels per k: coverage per method (left), P(detect heterogeneity) (right).

    Drawn tall and narrow with 11-pt text, so that it reads at the page width. Okabe–Ito colours
    plus distinct markers and line styles; white background; the nominal 95% and the Monte-Carlo
    band ±2 MCSE are drawn in the coverage panels. ``compact``: for a phone, 3.6 in wide, the
    two panels of each k one under the other.
    """
    ks = sorted(result.coverage.k.unique())
    if compact:
        fig = Figure(figsize=(3.6, 3.7 * len(ks) + 2.2), facecolor="white")
        axes = fig.subplots(2 * len(ks), 1, sharex=True).reshape(len(ks), 2)
    else:
        fig = Figure(figsize=(7.6, 2.3 * len(ks) + 1.6), facecolor="white")
        axes = fig.subplots(len(ks), 2, sharex=True, squeeze=False)
    tau2_vals = np.sort(result.coverage.tau2.unique())
    xpos = np.arange(tau2_vals.size)
    band = 2 * float(_mcse(NOMINAL, result.n_rep))
    cov, det = result.coverage, result.detection
    for row, k in enumerate(ks):
        left, right = axes[row]
        left.axhspan(NOMINAL - band, NOMINAL + band, color="0.85", zorder=0)
        left.axhline(NOMINAL, color="0.3", lw=0.8, zorder=1)
        _panel(left, xpos, [(cov[(cov.k == k) & (cov.method == m.key)].sort_values("tau2"), "coverage",
                             _METHOD_STYLE[m.key], m.label) for m in METHODS
                            if ((cov.k == k) & (cov.method == m.key)).any()], (0.4, 1.005))
        _panel(right, xpos, [(det[(det.k == k) & (det.rule == key)].sort_values("tau2"), "probability",
                              _RULE_STYLE[key], lab) for key, lab in DETECTION.items()], (0.0, 1.0))
        for ax in (left, right) if compact else (left,):
            ax.set_ylabel(f"k = {k} studies", fontsize=10 if compact else 11, fontweight="bold")
    for ax in axes.flat if compact else axes[0]:
        ax.set_title("Coverage of nominal 95% CI" if ax in axes[:, 0] else
                     "P(heterogeneity detected)", fontsize=10 if compact else 11)
    for ax in axes.flat[-1:] if compact else axes[-1]:
        ax.set_xticks(xpos)
        ax.set_xticklabels([f"{t:g}" for t in tau2_vals], rotation=45)
        ax.set_xlabel("τ² (SD units²)", fontsize=11)
    for ax in axes.flat:
        ax.tick_params(labelsize=10)
    h = fig.get_figheight()
    for col, loc in ((0, (0.5, 1.0)), (1, (0.5, 1 - 0.95 / h))) if compact else \
            ((0, (0.27, 1.0)), (1, (0.77, 1.0))):
        handles, labels = axes[0, col].get_legend_handles_labels()
        fig.legend(handles, labels, loc="upper center", bbox_to_anchor=loc, frameon=False, ncol=1,
                   fontsize=8 if compact else 9.5)
    if title:
        fig.suptitle(title)
    fig.tight_layout(rect=(0, 0, 0.97, 1 - (2.0 if compact else 0.85) / h))
    return fig


def lab_alt(result: LabResult) -> str:
    """Alt text of :func:`plot_lab`, with the numbers that carry its message (three trials)."""
    ks = sorted(result.coverage.k.unique())
    t_hi = float(result.coverage.tau2.max())
    k0 = 3 if 3 in ks else ks[0]
    return (f"{2 * len(ks)} panels, one row per number of studies ({', '.join(map(str, ks))}). Left: coverage of "
            f"nominal 95% intervals against the between-study variance tau-squared. With {k0} studies and "
            f"tau-squared {t_hi:g}, the fixed-effect interval covers {result.value(k0, t_hi, 'fixed'):.0%}, "
            f"DerSimonian-Laird {result.value(k0, t_hi, 'random_dl'):.0%} and REML with Hartung-Knapp "
            f"{result.value(k0, t_hi, 'reml_hksj'):.0%}. Right: the chance that heterogeneity is detected; with "
            f"{k0} studies the Q test flags it in {result.value(k0, t_hi, 'q_p10'):.0%} of meta-analyses even at "
            f"tau-squared {t_hi:g}, and I-squared is above zero in {result.value(k0, 0.0, 'i2_pos'):.0%} of those "
            "with no heterogeneity at all.")


def md_variance(arm_sizes: np.ndarray) -> np.ndarray:
    """Sampling variance of a mean difference in SD units for each (n₁, n₂): 1/n₁ + 1/n₂."""
    sizes = np.asarray(arm_sizes, dtype=float)
    return 1.0 / sizes[:, 0] + 1.0 / sizes[:, 1]


def review_arm_sizes(data: Dataset, review_id: str = "cochrane2025",
                     study_ids: Sequence[str] | None = None) -> np.ndarray:
    """(n_intervention, n_control) pairs of a review's included trials, read from ``data.studies``.

    With ``study_ids`` the pairs of those studies in that order (e.g. the three IVIg trials).
    Trials whose arm sizes are not known are left out; a ValueError is raised if none remain.
    """
    st = data.studies.set_index("study_id")
    if study_ids is None:
        rs = data.review_studies
        ids = rs.loc[(rs.review_id == review_id) & (rs.inclusion == "included"), "study_id"].tolist()
    else:
        missing = [s for s in study_ids if s not in st.index]
        if missing:
            raise ValueError(f"data/studies.csv: study_id {missing} not found (expected known trials)")
        ids = list(study_ids)
    pairs = st.loc[ids, ["n_intervention", "n_control"]].apply(pd.to_numeric, errors="coerce")
    if study_ids is not None and pairs.isna().any().any():
        bad = pairs.index[pairs.isna().any(axis=1)].tolist()
        raise ValueError(f"data/studies.csv: n_intervention/n_control missing for {bad}")
    pairs = pairs.dropna()
    if pairs.empty:
        raise ValueError(f"data/studies.csv: no trial of {review_id} has both arm sizes")
    return pairs.to_numpy(dtype=float)


#: The three IVIg trials of the review's disability and strength results (design="fixed" lab).
IVIG_TRIALS: tuple[str, ...] = ("Dalakas1993", "Miyasaka2012", "Aggarwal2022")


def _k_list(ks: Sequence[int]) -> str:
    """'2, 3, 5 or 10' for readers.

    >>> _k_list((2, 3, 5, 10))
    '2, 3, 5 or 10'
    """
    return ", ".join(map(str, ks[:-1])) + f" or {ks[-1]}"


def _tag(tau2: float) -> str:
    """Glue-key tag of a τ² value.

    >>> _tag(0.0), _tag(0.1), _tag(0.4)
    ('t0', 't01', 't04')
    """
    return f"t{tau2:g}".replace(".", "")


def lab_values(lab: LabResult, ivig_lab: LabResult) -> dict[str, object]:
    """Every number the methods chapter quotes about the lab (``methods_sim_…``, ``methods_ivig_…``).

    ``lab`` is :func:`run_lab` on the review's arm sizes, ``ivig_lab`` the fixed three-trial IVIg
    design (k = 3). Keys name method or rule, k and τ² (``t01`` = 0.1, ``t04`` = 0.4, ``t0`` = 0).
    """
    arms = lab.arm_sizes
    v = md_variance(arms)
    out: dict[str, object] = {
        "methods_sim_nrep": lab.n_rep, "methods_sim_seed": lab.seed,
        "methods_sim_ntrials": int(arms.shape[0]), "methods_sim_arm_min": int(arms.min()),
        "methods_sim_arm_max": int(arms.max()),
        "methods_sim_ncells": int(len(lab.coverage) / lab.coverage["method"].nunique()),
        "methods_sim_tau2_max": float(lab.coverage["tau2"].max()),
        "methods_sim_k_list": _k_list(sorted(lab.coverage["k"].unique())),
        "methods_sim_v_min": float(v.min()), "methods_sim_v_max": float(v.max()),
        "methods_sim_width_ratio_k3": lab.width_ratio(3, 0.0, "reml_hksj", "random_dl"),
        "methods_sim_width_ratio_k10": lab.width_ratio(10, 0.0, "reml_hksj", "random_dl"),
    }
    cells = {"fixed": [(3, 0.0), (3, 0.1)], "random_dl": [(3, 0.1), (2, 0.4)],
             "reml_hksj": [(3, 0.1), (2, 0.4)], "q_p10": [(3, 0.1), (3, 0.4), (10, 0.4)],
             "i2_pos": [(3, 0.0)]}
    for key, kts in cells.items():
        for k, t in kts:
            out[f"methods_sim_{key}_k{k}_{_tag(t)}"] = lab.value(k, t, key)
    for key, t in (("fixed", 0.1), ("random_dl", 0.1), ("reml_hksj", 0.1), ("q_p10", 0.1), ("q_p10", 0.4)):
        out[f"methods_ivig_{key}_{_tag(t)}"] = ivig_lab.value(3, t, key)
    return out


def wide_display(result: LabResult) -> pd.DataFrame:
    """:meth:`LabResult.wide` for readers: proportions with three decimals, k and τ² as columns."""
    wide = result.wide()
    out = wide.apply(lambda col: col.map("{:.3f}".format))
    out.columns = [f"{a}: {b}" for a, b in out.columns]
    out = out.reset_index()
    out["tau2"] = out["tau2"].map("{:g}".format)
    return out.rename(columns={"tau2": "τ²"})
