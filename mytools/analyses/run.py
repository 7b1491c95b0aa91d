"""Run a registered analysis: pool its inputs with the registered settings, pool each subgroup,
compare with the published result and give the status as codes.

Statuses (``STATUSES``): ``reproduced`` (estimate and both CI limits within the registered
tolerance of the published ones: 0.005 = half a unit of the printed 2 decimals for the review's own
data, 0.01 or a registered larger value for the sources route), ``recomputed`` (no published pooled
number to compare with), ``approximate`` (computed, but further off), ``restated`` (the only input
is the published estimate and CI itself), ``not_reproducible`` (some input numbers are not available).
"""
from __future__ import annotations

from typing import Any

import pandas as pd

from ..data import Dataset
from ..engine.effects import BINARY_MEASURES
from ..engine import MetaResult, NotEstimableError, pool_binary, pool_continuous, pool_generic, pool_subgroups
from .inputs import clean, inputs_of, inputs_provenance, spec_of
from .result import AnalysisResult

__all__ = ["pool_inputs", "analysis", "analyses", "result_value", "dataset"]


def _data_type(spec: dict) -> str:
    if spec.get("data_type"):
        return str(spec["data_type"])
    if spec["input_table"] == "study_estimates":
        return "generic"
    return "dichotomous" if spec["measure"] in BINARY_MEASURES else "continuous"


def _reject(options: dict, names: tuple[str, ...], what: str) -> None:
    for n in names:
        if n in options:
            raise ValueError(f"option {n} does not apply to a {what} analysis")


def pool_inputs(spec: dict, inputs: pd.DataFrame, **options: Any) -> MetaResult:
    """Pool ``inputs`` (rows shaped like ``analysis(id).inputs``) with the settings of registry row
    ``spec``; ``options`` override model, tau2_method, ci, hksj_floor, zero_cell, all_events, smd
    (every option of the engine's variants, :data:`mytools.engine.variants.VARIANTS`)."""
    labels = list(inputs["label"])
    common = {k: options[k] for k in ("model", "tau2_method", "ci", "hksj_floor") if k in options}
    common.setdefault("model", spec["model"])
    measure, kind = spec["measure"], _data_type(spec)
    f = lambda c: inputs[c].to_numpy(dtype=float)  # noqa: E731
    if kind == "generic":
        _reject(options, ("zero_cell", "all_events", "smd"), "generic inverse-variance")
        return pool_generic(f("estimate"), f("se"), log_scale=bool(inputs["log_scale"].iloc[0]),
                            labels=labels, **common)
    if kind == "dichotomous":
        _reject(options, ("smd",), measure)
        extra = {k: options[k] for k in ("zero_cell", "all_events") if k in options}
        return pool_binary(f("events_intervention"), f("n_intervention"), f("events_control"), f("n_control"), measure=measure,
                           method=spec["method"], labels=labels, **common, **extra)
    _reject(options, ("zero_cell", "all_events"), measure)
    if "smd" in options and measure != "SMD":
        raise ValueError(f"option smd applies to SMD analyses only; {spec['analysis_id']} is {measure}")
    extra = {"smd": options["smd"]} if "smd" in options else {}
    return pool_continuous(f("mean_intervention"), f("sd_intervention"), f("n_intervention"), f("mean_control"), f("sd_control"), f("n_control"),
                           measure=measure, labels=labels, **common, **extra)


def _subgroups(spec: dict, inputs: pd.DataFrame) -> tuple[dict[str, MetaResult], Any]:
    """Each subgroup of a whole analysis pooled on its own, and RevMan's test for subgroup differences."""
    if "subgroup" not in inputs or spec.get("subgroup_number") is not None:
        return {}, None
    names = [s for s in dict.fromkeys(inputs["subgroup"]) if s]
    if len(names) < 2:
        return {}, None
    out: dict[str, MetaResult] = {}
    for name in names:
        try:
            out[name] = pool_inputs(spec, inputs[inputs["subgroup"] == name].reset_index(drop=True))
        except NotEstimableError:
            continue
    return out, (pool_subgroups(out) if len(out) >= 2 else None)


def result_value(result: MetaResult, key: str) -> float:
    """estimate / ci_low / ci_high of a MetaResult (natural scale)."""
    return float(getattr(result, key))


def _published(spec: dict, data: Dataset) -> dict | None:
    """The published result this row is compared with: its own, or that of the analysis it ``checks``."""
    pub = data.published_results
    target = spec.get("checks") or spec["analysis_id"]
    row = pub[(pub["analysis_id"] == target) & (pub["review_id"] == spec["review_id"])]
    if row.empty:
        return None
    r = {k: clean(v) for k, v in row.iloc[0].items()}
    return {k: r[k] for k in ("review_id", "abstract_no", "estimate", "ci_low", "ci_high", "measure", "k",
                              "participants", "certainty", "source")}


def _status(spec: dict, inputs: pd.DataFrame, result: MetaResult | None,
            published: dict | None) -> tuple[str, str, dict | None]:
    """(status, reason code, diff) — see the module docstring and ``result.REASONS``."""
    if result is None:
        return "not_reproducible", "inputs_not_available", None
    if published is None:
        return "recomputed", "no_published_result", None
    diff = {k: result_value(result, k) - published[k] for k in ("estimate", "ci_low", "ci_high")}
    worst = max(abs(v) for v in diff.values())
    tol = float(spec["tolerance"])
    within = worst <= tol + 1e-9
    if spec["input_table"] == "study_estimates" and len(inputs) == 1:
        return ("restated", "single_published_estimate", diff) if within \
            else ("approximate", "differs_from_published", diff)
    if within:
        return "reproduced", ("within_registered_tolerance" if tol > 0.01 + 1e-12 else "within_precision"), diff
    return "approximate", "differs_from_published", diff


def analysis(analysis_id: str, data: Dataset) -> AnalysisResult:
    """Pool the registered inputs of ``analysis_id`` with the registered settings and compare."""
    spec = spec_of(analysis_id, data)
    inputs = inputs_of(spec, data)
    prov = inputs_provenance(inputs)
    result, subgroups, test = None, {}, None
    if spec["input_table"] != "none" and prov != "not_available":
        result = pool_inputs(spec, inputs)
        subgroups, test = _subgroups(spec, inputs)
    published = _published(spec, data)
    status, reason, diff = _status(spec, inputs, result, published)
    missing = tuple(dict.fromkeys(inputs.loc[inputs["provenance"] == "not_available", "study_id"])) \
        if len(inputs) else ()
    return AnalysisResult(analysis_id, spec, result, inputs, published, diff, status, reason, prov,
                          data_type=_data_type(spec), subgroups=subgroups, subgroup_test=test, missing=missing)


_SPEC_COLS = ("analysis_id", "review_id", "route", "review_analysis", "subgroup_number", "checks", "abstract_no",
              "in_abstract", "comparison_id", "comparison_no", "comparison", "outcome", "outcome_group", "chapter",
              "data_type", "measure", "method", "model")


def _report_row(a: AnalysisResult) -> dict:
    r, p, s = a.result, a.published or {}, a.spec
    row = {c: s.get(c) for c in _SPEC_COLS}
    row.update({
        "pub_estimate": p.get("estimate"), "pub_ci_low": p.get("ci_low"), "pub_ci_high": p.get("ci_high"),
        "pub_k": p.get("k"), "pub_participants": p.get("participants"), "certainty": p.get("certainty"),
        "estimate": r.estimate if r else None, "ci_low": r.ci_low if r else None,
        "ci_high": r.ci_high if r else None, "k": r.k if r else None,
        "diff_estimate": a.diff["estimate"] if a.diff else None,
        "diff_ci_low": a.diff["ci_low"] if a.diff else None,
        "diff_ci_high": a.diff["ci_high"] if a.diff else None,
        "max_abs_diff": a.max_abs_diff, "tolerance": s["tolerance"], "tolerance_reason": s.get("tolerance_reason"),
        "status": a.status, "reason": a.reason, "inputs_provenance": a.inputs_provenance,
        "missing": ", ".join(a.missing)})
    return row


def analyses(data: Dataset) -> pd.DataFrame:
    """The reproducibility report: one row per registered analysis, in registry order (the review's
    own analyses first, then the sources route and the other analyses the book keeps)."""
    out = pd.DataFrame([_report_row(analysis(aid, data)) for aid in data.analyses["analysis_id"]])
    for c in ("abstract_no", "pub_k", "pub_participants", "k", "subgroup_number", "comparison_no"):
        out[c] = pd.array(out[c], dtype="Int64")
    out["in_abstract"] = out["in_abstract"].astype(bool)
    for c in ("pub_estimate", "pub_ci_low", "pub_ci_high", "estimate", "ci_low", "ci_high",
              "diff_estimate", "diff_ci_low", "diff_ci_high", "max_abs_diff", "tolerance"):
        out[c] = pd.to_numeric(out[c].astype("object"), errors="raise").astype("float64")
    return out
