"""Every analysis of the registry under the five heterogeneity priors of the chapter "Few trials",
in one call of the engine's :func:`~mytools.engine.pool_bayes`.

The five priors (``PRIOR_KEYS``; each analysis' cells in ``data/bayes_prior_choice.csv``, the
published numbers in ``data/bayes_priors.csv``):

* ``hn05``, ``hn10`` — τ ~ half-normal(0.5), half-normal(1.0) (Friede et al. 2017, for log odds
  ratios in rare diseases);
* ``empirical`` — the data-based prior chosen by rule: Turner et al. (2015) by outcome type for
  binary outcomes (log-OR priors, used for log RR as an approximation), Rhodes et al. (2015) for
  continuous ones (SMD);
* ``hc`` — τ ~ half-Cauchy(0.5), the book's stated weakly informative choice;
* ``bartos`` — τ ~ inverse-gamma, Bartoš et al.: Cochrane Neuromuscular (log OR) for binary
  outcomes, the whole Cochrane database (SMD) for continuous ones.

μ has a flat prior. Mean differences: every prior is set on the SMD scale and multiplied by σ, the
outcome's pooled within-arm SD (τ_MD = σ τ_SMD); for generic MD rows σ_i = SE_i √N_i / 2 (equal
arms). Per-study effects come from the engine's effect functions with the registry's measure
(log scale for ratios), estimable studies only.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
import numpy as np
import pandas as pd

from ..data import Dataset
from ..engine import (BayesResult, HalfCauchy, HalfNormal, InvGammaTau, LogNormalTau2, LogTTau2,
                      pool_bayes)
from ..engine.effects import binary_effects, continuous_effects, generic_effects
from .run import analysis

__all__ = ["PRIOR_KEYS", "PRIOR_LABELS", "BayesAll", "bayes_all", "bayes_inputs", "prior_tables", "make_prior", "study_data"]

PRIOR_KEYS = ("hn05", "hn10", "empirical", "hc", "bartos")
PRIOR_LABELS = {"hn05": "half-normal (scale 0.5)", "hn10": "half-normal (scale 1.0)",
                "empirical": "Turner / Rhodes (by outcome type)", "hc": "half-Cauchy (scale 0.5)",
                "bartos": "Bartoš (Cochrane, inverse-gamma)"}
_FIXED = {"hn05": "friede_hn05", "hn10": "friede_hn10", "hc": "weak_hc05"}
RATIO = frozenset({"RR", "OR"})


def prior_tables(data: Dataset) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``bayes_priors`` and ``bayes_prior_choice`` (typed frames of the data layer)."""
    return data.bayes_priors, data.bayes_prior_choice


def make_prior(row: dict | pd.Series, sigma: float = 1.0):
    """The engine prior of a ``bayes_priors`` row, with τ multiplied by ``sigma``.

    >>> make_prior({"family": "log_tau2_t", "a": -3.0, "b": 2.5, "df": 5}, sigma=math.e)
    LogTTau2(-1, 2.5, df=5)
    """
    fam, a, b = row["family"], float(row["a"]), row.get("b")
    shift = 2 * math.log(sigma)
    if fam == "log_tau2_normal":
        return LogNormalTau2(a + shift, float(b))
    if fam == "log_tau2_t":
        return LogTTau2(a + shift, float(b), float(row["df"]))
    if fam == "tau_invgamma":
        return InvGammaTau(a, float(b) * sigma)
    if fam == "tau_halfnormal":
        return HalfNormal(a * sigma)
    if fam == "tau_halfcauchy":
        return HalfCauchy(a * sigma)
    raise ValueError(f"bayes_priors.csv: unknown family {fam!r}")


def _pooled_sd(sd: list[np.ndarray], n: list[np.ndarray]) -> float:
    num = sum(((nn - 1) * s * s).sum() for s, nn in zip(sd, n))
    return math.sqrt(num / sum((nn - 1).sum() for nn in n))


def study_data(analysis_id: str, data: Dataset, rescale: str = "none"):
    """(y, se, σ, measure) of one analysis: estimable studies on the analysis scale, and σ for
    ``rescale`` (1 for ``none``), or None when no study is estimable."""
    ar = analysis(analysis_id, data)
    if ar.result is None:
        return None
    inp, m = ar.inputs, ar.measure
    col = lambda c: inp[c].to_numpy(dtype=float)  # noqa: E731
    if ar.data_type == "generic":
        eff = generic_effects(col("estimate"), col("se"), log_scale=bool(inp["log_scale"].iloc[0]))
        ok = eff.estimable
        sig_i = col("se")[ok] * np.sqrt(col("participants")[ok]) / 2
        sigma = _pooled_sd([sig_i], [col("participants")[ok] - 1])
    elif ar.data_type == "dichotomous":
        eff, _ = binary_effects(col("events_intervention"), col("n_intervention"), col("events_control"),
                                col("n_control"), measure=m)
        ok, sigma = eff.estimable, 1.0
    else:
        eff, _ = continuous_effects(col("mean_intervention"), col("sd_intervention"), col("n_intervention"),
                                    col("mean_control"), col("sd_control"), col("n_control"), measure=m)
        ok = eff.estimable
        sigma = _pooled_sd([col("sd_intervention")[ok], col("sd_control")[ok]],
                           [col("n_intervention")[ok], col("n_control")[ok]])
    if not ok.any():
        return None
    return eff.y[ok], np.sqrt(eff.v[ok]), (sigma if rescale != "none" else 1.0), m


@dataclass(frozen=True)
class BayesAll:
    """``result``: the engine's result, analyses (``ids``) × ``PRIOR_KEYS``; ``priors``: one row per
    analysis × prior (key, label, the prior on the analysis scale, its source row, σ, basis);
    ``studies``: k and measure per analysis; ``skipped``: {analysis id: reason}."""

    result: BayesResult
    ids: tuple[str, ...]
    priors: pd.DataFrame
    studies: pd.DataFrame
    skipped: dict[str, str]

    def get(self, analysis_id: str, key: str) -> BayesResult:
        """One analysis under one prior (a one-analysis view: ``summary_frame()`` rows mu/tau/theta_new)."""
        if analysis_id not in self.ids:
            why = self.skipped.get(analysis_id, "not in the registry")
            raise KeyError(f"no Bayesian result for {analysis_id!r}: {why}")
        if key not in PRIOR_KEYS:
            raise KeyError(f"prior key {key!r}: expected one of {', '.join(PRIOR_KEYS)}")
        return self.result[self.ids.index(analysis_id), PRIOR_KEYS.index(key)]

    def frame(self) -> pd.DataFrame:
        """Tidy: analysis_id, prior, parameter, the engine's statistics (analysis scale), measure,
        k, and ``*_natural`` (exp for ratio measures on mu and theta_new; τ stays on its scale)."""
        f = self.result.summary_frame().reset_index().rename(columns={"analysis": "analysis_id"})
        f = f.merge(self.studies, on="analysis_id", how="left")
        ratio = f["measure"].isin(RATIO) & (f["parameter"] != "tau")
        for c in ("median", "ci_low", "ci_high", "hpd_low", "hpd_high"):
            f[c + "_natural"] = f[c].where(~ratio, np.exp(f[c].where(ratio, 0.0)))
        return f


def bayes_inputs(data: Dataset, ids: list[str] | None = None) -> dict:
    """What :func:`bayes_all` passes to the engine: ``ids`` kept, ``y``/``se`` (one array per
    analysis), ``priors`` (one row of five engine priors per analysis), the ``prior_rows`` and
    ``study_rows`` of :class:`BayesAll`, and ``skipped``."""
    table, choice = prior_tables(data)
    by_id = table.set_index("prior_id")
    choice = choice.set_index("analysis_id")
    ids = list(data.analyses["analysis_id"]) if ids is None else list(ids)
    out: dict = {"ids": [], "y": [], "se": [], "priors": [], "prior_rows": [], "study_rows": [], "skipped": {}}
    for aid in ids:
        if aid not in choice.index:
            out["skipped"][aid] = "no prior chosen for it in bayes_prior_choice.csv"
            continue
        c = choice.loc[aid]
        sd = study_data(aid, data, rescale=c["rescale"])
        if sd is None:
            out["skipped"][aid] = "no study with an estimable effect (or inputs not available)"
            continue
        y, se, sigma, measure = sd
        cells = {**_FIXED, "empirical": c["empirical_prior"], "bartos": c["bartos_prior"]}
        row = []
        for key in PRIOR_KEYS:
            src = by_id.loc[cells[key]]
            row.append(make_prior(src, sigma))
            out["prior_rows"].append({
                "analysis_id": aid, "prior": key, "label": PRIOR_LABELS[key], "prior_on_scale": repr(row[-1]),
                "prior_id": cells[key], "sigma": sigma, "effect_scale": c["effect_scale"],
                "source_key": src["source_key"],
                "basis": c["basis"] if key in ("empirical", "bartos") else src["note"]})
        out["ids"].append(aid), out["y"].append(y), out["se"].append(se), out["priors"].append(row)
        out["study_rows"].append({"analysis_id": aid, "measure": measure, "k": int(len(y))})
    return out


def bayes_all(data: Dataset, ids: list[str] | None = None, level: float = 0.95) -> BayesAll:
    """Every analysis (or ``ids``) × the five priors, in ONE call of ``pool_bayes``."""
    inp = bayes_inputs(data, ids)
    res = pool_bayes(inp["y"], inp["se"], inp["priors"], level=level, labels=inp["ids"],
                     prior_labels=list(PRIOR_KEYS))
    return BayesAll(result=res, ids=tuple(inp["ids"]), priors=pd.DataFrame(inp["prior_rows"]),
                    studies=pd.DataFrame(inp["study_rows"]), skipped=inp["skipped"])
