"""Does any result of the review depend on RevMan 5's defaults? Every pooled result with at least
two studies, re-pooled under each alternative.

Each registered result of the review (``data/analyses.csv``, the review's own data rows) that
pools at least two studies is re-pooled through the analyses layer
(:func:`mytools.analyses.reanalyse`), the code path of :func:`mytools.analyses.sensitivity`. A study
that cannot be estimated (no events in either arm) is not counted in ``k``.

Variants are the engine's named variants (:data:`mytools.engine.variants.VARIANTS`): ``revman``
(the review's own method: Mantel–Haenszel fixed effect with 0.5 added to every cell of a study with
a zero cell for 2×2 data, inverse variance otherwise; Wald CI), ``random_dl``, ``reml_hksj``,
``reml_hksj_floor`` (HKSJ variance factor at least 1) and ``mh_no_correction`` (2×2 results with a
zero cell only).

A variant *changes a conclusion* when its 95% interval excludes no effect (1 for ratios, 0 for
differences) and the review's does not, or the reverse.
"""
from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ...analyses import analysis, reanalyse
from ...data import Dataset
from ...engine.results import MetaResult
from ...engine.variants import VARIANTS, variant_options

#: The variants the page applies to every pooled result, in column order.
SENSITIVITY_VARIANTS: tuple[str, ...] = ("revman", "random_dl", "reml_hksj", "reml_hksj_floor", "mh_no_correction")

_BINARY = ("events_intervention", "n_intervention", "events_control", "n_control")


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


def _record(key: str, name: str, measure: str, log_scale: bool, base: MetaResult, variant: str,
            r: MetaResult | None) -> dict[str, Any]:
    base_sig = excludes_null(base.ci_low, base.ci_high, log_scale)
    sig = excludes_null(r.ci_low, r.ci_high, log_scale) if r is not None else base_sig
    nan = float("nan")
    return {"key": key, "name": name, "measure": measure, "log_scale": log_scale, "k": int(base.k),
            "variant": variant, "estimate": r.estimate if r else nan, "ci_low": r.ci_low if r else nan,
            "ci_high": r.ci_high if r else nan, "tau2": r.tau2 if r else nan, "i2": base.i2,
            "applicable": r is not None, "excludes_null": sig,
            "changes_conclusion": bool(r is not None and sig != base_sig),
            "narrower": bool(r is not None and _width(r, log_scale) < _width(base, log_scale))}


def _zero_cell_inputs(inputs: pd.DataFrame) -> bool:
    if "events_intervention" not in inputs.columns:
        return False
    return _has_zero_cell(inputs)


def review_sensitivity(data: Dataset, review_id: str = "cochrane2025", min_studies: int = 2) -> pd.DataFrame:
    """Every registered analysis of ``review_id`` that pools at least
    ``min_studies`` studies, re-pooled through the analyses layer
    (``reanalyse(id, data, **variant_options(v))``): the same code path as
    :func:`mytools.analyses.sensitivity`. ``key`` is the registry's ``analysis_id``."""
    reg = data.analyses[data.analyses["review_id"] == review_id]
    if "route" in reg.columns:  # the review's own data rows, not the older routes to the same results
        reg = reg[reg["route"] == "review_data"]
    recs: list[dict[str, Any]] = []
    for aid in reg["analysis_id"]:
        a = analysis(aid, data)
        if a.result is None or a.result.k < min_studies or a.status == "restated":
            continue
        outcome = str(a.spec.get("outcome") or aid).split(" (")[0]
        name = f"{a.spec.get('comparison')}: {outcome[0].lower() + outcome[1:]}" if a.spec.get("comparison") else outcome
        log = bool(a.result.log_scale)
        for v in SENSITIVITY_VARIANTS:
            if v == "revman":
                r: MetaResult | None = a.result
            elif v == "mh_no_correction" and not (a.spec.get("method") == "MH" and _zero_cell_inputs(a.inputs)):
                r = None
            else:
                try:
                    r = reanalyse(aid, data, **variant_options(v))
                except ValueError as exc:  # an option the analyses layer does not (yet) accept
                    if "unknown option" in str(exc):
                        continue
                    raise
            recs.append({**_record(aid, name, a.measure, log, a.result, v, r),
                         "analysis": str(a.spec.get("review_analysis") or aid), "subgroup": "",
                         "comparison": str(a.spec.get("comparison") or "")})
    return pd.DataFrame(recs)


def _cell(r: pd.Series) -> str:
    if not r["applicable"]:
        return "\u2014"
    txt = _fmt(r["estimate"], r["ci_low"], r["ci_high"])
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
    table.index.name = "Pooled result (analysis, comparison: outcome)"
    return table.reset_index()


def sensitivity_summary(long: pd.DataFrame) -> pd.DataFrame:
    """Per variant: to how many pooled results it applies and in which it changes a conclusion."""
    recs = []
    for v in [v for v in SENSITIVITY_VARIANTS if v in set(long["variant"])]:
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
    interval excludes no effect, and in how many results.

    >>> s = pd.DataFrame({"results": [3, 3, 3, 3], "applies_to": [3, 3, 3, 1],
    ...                   "changes_conclusion": [0, 0, 2, 0]},
    ...                  index=["revman", "random_dl", "reml_hksj", "mh_no_correction"])
    >>> sensitivity_verdict(s)
    '‘random, DL’ changes none of the 3 results; ‘no 0.5 correction’ (which applies to 1) changes none; ‘random, REML + HKSJ’ changes 2 of the 3'
    >>> sensitivity_verdict(s.assign(changes_conclusion=0))
    'none of the 3 pooled results changes whether its 95% CI excludes no effect under any of these choices'
    """
    n = int(summary["results"].max())
    others = summary.drop(index="revman", errors="ignore")
    if not (others["changes_conclusion"] > 0).any():
        return (f"none of the {n} pooled results changes whether its 95% CI excludes no effect "
                "under any of these choices")
    parts, first_none = [], True
    for v in sorted(others.index, key=lambda v: others.at[v, "changes_conclusion"] > 0):
        name, m, c = f"‘{VARIANTS[v].short}’", int(others.at[v, "applies_to"]), int(others.at[v, "changes_conclusion"])
        scope = f" (which applies to {m})" if m < n else ""
        if c == 0:
            parts.append(f"{name}{scope} changes none" + (f" of the {n} results" if first_none and not scope else ""))
            first_none = first_none and bool(scope)
        else:
            parts.append(f"{name}{scope} changes {c} of the {m}")
    return "; ".join(parts)


def _fmt(est: float, lo: float, hi: float) -> str:
    """``0.96 (0.004 to 2835.69)``: the book's formatting (a tiny positive limit is not "0.00")."""
    from ...present.tables import fmt_ci

    return fmt_ci(est, lo, hi)


def sensitivity_findings(long: pd.DataFrame) -> str:
    """Markdown bullets, one per result and changed interval: the review's interval, the
    variant(s)' interval, and which way it moved (computed from the numbers)."""
    lines = []
    for _, grp in long.groupby("key", sort=False):
        base = grp[grp["variant"] == "revman"].iloc[0]
        changed = grp[grp["changes_conclusion"]]
        for txt, same in changed.groupby(changed.apply(lambda r: _fmt(r["estimate"], r["ci_low"], r["ci_high"]), axis=1),
                                         sort=False):
            r = same.iloc[0]
            names = " and ".join(f"‘{VARIANTS[v].short}’" for v in same["variant"])
            now = "now excludes" if r["excludes_null"] else "now includes"
            why = (" It is *narrower* than the review's fixed-effect interval: Hartung–Knapp rescales the"
                   " variance by the observed spread of the studies, and here they agree more closely than"
                   " their standard errors predict." if r["narrower"] else "")
            lines.append(f"- **{base['name']}** ({int(base['k'])} studies, analysis {base['analysis']}): the "
                         f"review's {_fmt(base['estimate'], base['ci_low'], base['ci_high'])} becomes {txt} with "
                         f"{names}; the interval {now} no effect.{why}")
    return "\n".join(lines) if lines else "- No result changes."


def sensitivity_values(long: pd.DataFrame, summary: pd.DataFrame) -> dict[str, Any]:
    """Glue values of the sensitivity section (``methods_sens_…``): counts, the verdict, and the
    widest REML + HKSJ interval among two-study results (its upper limit, for ratio measures)."""
    out: dict[str, Any] = {f"methods_sens_{k}": v for k, v in sensitivity_counts(long).items()}
    out["methods_sens_verdict"] = sensitivity_verdict(summary)
    out["methods_sens_changed"] = int(summary.drop(index="revman", errors="ignore")["changes_conclusion"].sum())
    hksj2 = long[(long["variant"] == "reml_hksj") & (long["k"] == 2) & long["log_scale"]]
    if len(hksj2):
        out["methods_sens_hksj2_max_upper"] = float(hksj2["ci_high"].max())
        out["methods_sens_hksj2_n"] = int(len(hksj2))
    return out
