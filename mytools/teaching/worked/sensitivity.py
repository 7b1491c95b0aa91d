"""Does any result of the review depend on RevMan 5's defaults? Every pooled result with at least
two studies, re-pooled under each alternative.

A *pooled result* is what RevMan prints as a diamond: the overall result of an analysis (when the
analysis pools overall) and the subtotal of each subgroup (when it pools subgroups and there is more
than one). Its studies are those of the review's data rows (the contract's ``ReviewData.rows``
model: ``events_intervention`` …, ``giv_estimate``/``giv_se``); a study that cannot be estimated
(no events in either arm) is not counted in ``k``.

Variants are the engine's named variants (:data:`mytools.engine.variants.VARIANTS`): ``revman``
(the review's own method: Mantel–Haenszel fixed effect with 0.5 added to every cell of a study with
a zero cell for 2×2 data, inverse variance otherwise; Wald CI), ``random_dl``, ``reml_hksj``,
``reml_hksj_floor`` (HKSJ variance factor at least 1) and ``mh_no_correction`` (2×2 results with a
zero cell only).

A variant *changes a conclusion* when its 95% interval excludes no effect (1 for ratios, 0 for
differences) and the review's does not, or the reverse.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ...engine.pooling import MetaResult, pool_binary, pool_continuous, pool_generic
from ...engine.variants import VARIANTS, variant_options

#: The variants the page applies to every pooled result, in column order.
SENSITIVITY_VARIANTS: tuple[str, ...] = ("revman", "random_dl", "reml_hksj", "reml_hksj_floor", "mh_no_correction")

_BINARY = ("events_intervention", "n_intervention", "events_control", "n_control")
_CONTINUOUS = ("mean_intervention", "sd_intervention", "n_intervention", "mean_control", "sd_control",
               "n_control")


@dataclass(frozen=True)
class PooledResult:
    """One diamond of the review: an analysis overall, or one subgroup of it."""

    analysis: str
    subgroup: str  # "" for the overall result
    name: str
    data_type: str
    measure: str
    log_scale: bool
    studies: pd.DataFrame  # the data rows pooled (contract ``rows`` columns)

    @property
    def key(self) -> str:
        return self.analysis if not self.subgroup else f"{self.analysis} / {self.subgroup}"


def _flag(value: Any, default: bool) -> bool:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return default
    return bool(value)


def pooled_results(analyses: pd.DataFrame, rows: pd.DataFrame) -> list[PooledResult]:
    """Every pooled result (overall, and each subgroup of an analysis with more than one) of a
    review, in analysis order; ``analyses``/``rows`` in the contract's ReviewData model."""
    out: list[PooledResult] = []
    for _, a in analyses.iterrows():
        sel = rows[rows["analysis"] == a["analysis"]]
        if sel.empty or a["data_type"] not in ("dichotomous", "continuous", "generic"):
            continue
        base = dict(analysis=str(a["analysis"]), name=str(a["name"]).strip(), data_type=str(a["data_type"]),
                    measure=str(a["measure"]), log_scale=bool(a["log_scale"]))
        if _flag(a.get("overall"), True):
            out.append(PooledResult(subgroup="", studies=sel, **base))
        groups = [g for g in sel["subgroup"].fillna("").astype(str).str.strip().unique() if g]
        if len(groups) > 1 and _flag(a.get("subgroup_estimates"), True):
            for g in groups:
                out.append(PooledResult(subgroup=g, studies=sel[sel["subgroup"].fillna("").astype(str).str.strip() == g],
                                        **base))
    return out


def pool(result: PooledResult, variant: str) -> MetaResult:
    """Pool one :class:`PooledResult` under one of the engine's named variants."""
    opts = {"model": "fixed", **variant_options(variant)}
    s = result.studies
    labels = [str(x) for x in s["study"]]
    if result.data_type == "dichotomous":
        cols = [pd.to_numeric(s[c]).to_numpy(dtype=float) for c in _BINARY]
        return pool_binary(*cols, measure=result.measure, method="MH" if result.measure != "PETO_OR" else "Peto",
                           labels=labels, **opts)
    opts.pop("zero_cell", None)
    if result.data_type == "continuous":
        cols = [pd.to_numeric(s[c]).to_numpy(dtype=float) for c in _CONTINUOUS]
        return pool_continuous(*cols, measure=result.measure, labels=labels, **opts)
    est = pd.to_numeric(s["giv_estimate"]).to_numpy(dtype=float)
    se = pd.to_numeric(s["giv_se"]).to_numpy(dtype=float)
    return pool_generic(np.exp(est) if result.log_scale else est, se, log_scale=result.log_scale,
                        labels=labels, **opts)


def _has_zero_cell(s: pd.DataFrame) -> bool:
    a, n1, c, n2 = (pd.to_numeric(s[x]).to_numpy(dtype=float) for x in _BINARY)
    single = ((a == 0) | (c == 0) | (a == n1) | (c == n2)) & ~((a == 0) & (c == 0))
    return bool(single.any())


def _width(r: MetaResult, log_scale: bool) -> float:
    return float(np.log(r.ci_high) - np.log(r.ci_low)) if log_scale else float(r.ci_high - r.ci_low)


def excludes_null(lo: float, hi: float, log_scale: bool) -> bool:
    """Does the interval exclude no effect (1 on a ratio scale, 0 otherwise)?

    >>> excludes_null(1.01, 1.96, True), excludes_null(-0.3, 0.2, False)
    (True, False)
    """
    null = 1.0 if log_scale else 0.0
    return bool(lo > null or hi < null)


def sensitivity_long(analyses: pd.DataFrame, rows: pd.DataFrame, min_studies: int = 2) -> pd.DataFrame:
    """Every pooled result with at least ``min_studies`` estimable studies under every variant.

    Columns: ``key``, ``analysis``, ``subgroup``, ``name``, ``measure``, ``k``, ``variant``,
    ``estimate``, ``ci_low``, ``ci_high``, ``tau2``, ``i2``, ``applicable``, ``excludes_null``,
    ``changes_conclusion`` (against ``revman``), ``narrower`` (CI narrower than the review's on the
    analysis scale).
    """
    recs: list[dict[str, Any]] = []
    for pr in pooled_results(analyses, rows):
        base = pool(pr, "revman")
        if base.k < min_studies:
            continue
        base_sig = excludes_null(base.ci_low, base.ci_high, pr.log_scale)
        for v in SENSITIVITY_VARIANTS:
            applicable = v != "mh_no_correction" or (pr.data_type == "dichotomous" and _has_zero_cell(pr.studies))
            r = pool(pr, v) if applicable else None
            sig = excludes_null(r.ci_low, r.ci_high, pr.log_scale) if r is not None else base_sig
            recs.append({"key": pr.key, "analysis": pr.analysis, "subgroup": pr.subgroup, "name": pr.name,
                         "measure": pr.measure, "log_scale": pr.log_scale, "k": int(base.k), "variant": v,
                         "estimate": r.estimate if r else np.nan, "ci_low": r.ci_low if r else np.nan,
                         "ci_high": r.ci_high if r else np.nan, "tau2": r.tau2 if r else np.nan,
                         "i2": base.i2, "applicable": applicable, "excludes_null": sig,
                         "changes_conclusion": bool(applicable and sig != base_sig),
                         "narrower": bool(applicable and _width(r, pr.log_scale) < _width(base, pr.log_scale))})
    return pd.DataFrame(recs)


def _cell(r: pd.Series) -> str:
    if not r["applicable"]:
        return "\u2014"
    txt = f"{r['estimate']:.2f} ({r['ci_low']:.2f} to {r['ci_high']:.2f})"
    return txt + (" \u2605" if r["changes_conclusion"] else "")


def sensitivity_table(long: pd.DataFrame) -> pd.DataFrame:
    """The reader's table: one row per pooled result, one column per variant ('—' where a variant
    does not apply, ★ where it changes whether the 95% CI excludes no effect)."""
    out: dict[str, dict[str, str]] = {}
    for key, grp in long.groupby("key", sort=False):
        first = grp.iloc[0]
        name = f"{first['analysis']} {first['name']}" + (f" — {first['subgroup']}" if first["subgroup"] else "")
        row = {"measure": str(first["measure"]), "k": str(int(first["k"])),
               "I² (%)": f"{first['i2']:.0f}"}
        for _, r in grp.iterrows():
            row[VARIANTS[r["variant"]].short] = _cell(r)
        out[name] = row
    table = pd.DataFrame.from_dict(out, orient="index")
    table.index.name = "pooled result (analysis number, outcome)"
    return table


def sensitivity_summary(long: pd.DataFrame) -> pd.DataFrame:
    """Per variant: to how many pooled results it applies and in which it changes a conclusion."""
    recs = []
    for v in SENSITIVITY_VARIANTS:
        label = VARIANTS[v].label
        g = long[long["variant"] == v]
        changed = g.loc[g["changes_conclusion"], "key"].tolist()
        recs.append({"variant": v, "label": label, "results": int(g["key"].nunique()),
                     "applies_to": int(g["applicable"].sum()), "changes_conclusion": len(changed),
                     "changed_in": "; ".join(changed)})
    return pd.DataFrame(recs).set_index("variant")


def sensitivity_counts(long: pd.DataFrame) -> dict[str, int]:
    """Counts the page quotes: pooled results (``n``), analyses they come from (``analyses``),
    results with three or more studies (``k3``), the largest k (``kmax``), results where DL finds
    τ² > 0 (``tau2_pos``) and results with a zero cell (``zero_cell``)."""
    first = long.groupby("key").first()
    dl = long[long["variant"] == "random_dl"].set_index("key")
    return {"n": int(len(first)), "analyses": int(first["analysis"].nunique()),
            "k3": int((first["k"] >= 3).sum()), "kmax": int(first["k"].max()),
            "tau2_pos": int((dl["tau2"] > 0).sum()),
            "zero_cell": int(long.loc[long["variant"] == "mh_no_correction", "applicable"].sum())}


def sensitivity_verdict(summary: pd.DataFrame) -> str:
    """One sentence, computed from :func:`sensitivity_summary`: which variants change whether a 95%
    interval excludes no effect, and where.

    >>> s = pd.DataFrame({"label": ["A", "B"], "results": [3, 3], "changes_conclusion": [0, 0],
    ...                   "changed_in": ["", ""]}, index=["a", "b"])
    >>> sensitivity_verdict(s)
    'none of the 3 pooled results changes whether its 95% CI excludes no effect under any of these choices'
    """
    n = int(summary["results"].max())
    changed = summary[summary["changes_conclusion"] > 0]
    if changed.empty:
        return (f"none of the {n} pooled results changes whether its 95% CI excludes no effect "
                "under any of these choices")
    parts = [f"{row.label.split(' (')[0].lower()} changes it for {row.changed_in}" for _, row in changed.iterrows()]
    return "; ".join(parts)
