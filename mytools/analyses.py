"""Named analyses: registry row + input rows + published result -> pooled result and a status.

``analysis(id)`` pools the rows registered for an analysis (``data/analyses.csv``) with the
registered method and compares the result with the published one (``data/published_results.csv``).
Statuses: ``reproduced`` (estimate and both CI limits within the registered tolerance, 0.01 unless
the registry records a larger one with its reason), ``approximate`` (computed, but further off),
``restated`` (the only input is the published estimate and CI itself), ``not_reproducible`` (some
input numbers are not available), ``not_compared`` (no published result to compare with).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .data import DATA_DIR, BINARY, Dataset, load_data
from .engine.pooling import MetaResult, pool_binary, pool_continuous, pool_generic

__all__ = ["AnalysisResult", "analysis", "analyses", "reanalyse", "sensitivity", "report_table", "status_counts",
           "STATUSES"]

STATUSES = ("reproduced", "approximate", "restated", "not_reproducible", "not_compared")
_OPTIONS = ("model", "tau2_method", "ci", "zero_cell", "smd", "exclude_provenance")


@dataclass(frozen=True)
class AnalysisResult:
    """One analysis: registry ``spec``, engine ``result`` (None if not computable), ``inputs``
    (one row per study, with provenance), ``published`` (dict or None), ``diff`` (recomputed minus
    published), ``status``, ``reason`` and ``inputs_provenance``."""

    id: str
    spec: dict
    result: MetaResult | None
    inputs: pd.DataFrame
    published: dict | None
    diff: dict | None
    status: str
    reason: str
    inputs_provenance: str


def _clean(value: Any) -> Any:
    """pandas missing values -> None, numpy scalars -> Python scalars."""
    if value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return None
    return value.item() if hasattr(value, "item") else value


def _data(data: Dataset | None) -> Dataset:
    return data if data is not None else load_data(DATA_DIR)


def _spec(aid: str, data: Dataset) -> dict:
    reg = data.analyses[data.analyses["analysis_id"] == aid]
    if reg.empty:
        known = ", ".join(data.analyses["analysis_id"])
        raise KeyError(f"no analysis {aid!r} in analyses.csv; known ids: {known}")
    return {k: _clean(v) for k, v in reg.iloc[0].items()}


def _inputs(spec: dict, data: Dataset) -> pd.DataFrame:
    """One row per study: study-level inputs in wide form, label, provenance, identity, source."""
    aid = spec["analysis_id"]
    labels = dict(zip(data.studies["study_id"], data.studies["label"]))
    if spec["input_table"] == "study_estimates":
        rows = data.study_estimates[data.study_estimates["analysis_id"] == aid]
        out = rows[["study_id", "estimate", "ci_low", "ci_high", "se", "log_scale", "participants",
                    "provenance", "study_identity", "source", "note"]].copy()
    elif spec["input_table"] == "outcome_data":
        rows = data.outcome_data[data.outcome_data["analysis_id"] == aid]
        recs = []
        for sid, g in rows.groupby("study_id", sort=False):
            t = g[g["arm"] == "intervention"].iloc[0]
            c = g[g["arm"] == "control"].iloc[0]
            provs = list(dict.fromkeys([t["provenance"], c["provenance"]]))
            recs.append({
                "study_id": sid,
                "events_t": t["events"], "n_t": t["n"], "mean_t": t["mean"], "sd_t": t["sd"],
                "events_c": c["events"], "n_c": c["n"], "mean_c": c["mean"], "sd_c": c["sd"],
                "arm_label_t": t["arm_label"], "arm_label_c": c["arm_label"],
                "provenance": provs[0] if len(provs) == 1 else "mixed",
                "study_identity": t["study_identity"],
                "source": " ; ".join(dict.fromkeys([t["source"], c["source"]])),
                "note": " | ".join(dict.fromkeys(x for x in (t["note"], c["note"]) if isinstance(x, str))),
            })
        out = pd.DataFrame(recs)
        if spec["measure"] in BINARY:
            out = out.drop(columns=["mean_t", "sd_t", "mean_c", "sd_c"])
        else:
            out = out.drop(columns=["events_t", "events_c"])
    else:
        return pd.DataFrame(columns=["study_id", "label", "provenance"])
    out.insert(1, "label", [
        labels[s] + (" (identity inferred)" if ident == "inferred" else "")
        for s, ident in zip(out["study_id"], out["study_identity"])
    ])
    return out.reset_index(drop=True)


def _inputs_provenance(inputs: pd.DataFrame) -> str:
    provs = set(inputs["provenance"]) if len(inputs) else {"not_available"}
    if "not_available" in provs:
        return "not_available"
    if len(provs) == 1 and "mixed" not in provs:
        return provs.pop()
    return "mixed"


def pool_inputs(spec: dict, inputs: pd.DataFrame, **options: Any) -> MetaResult:
    """Pool ``inputs`` (rows shaped like ``analysis(id).inputs``) with the method of registry row
    ``spec``; ``options`` override model, tau2_method, ci, zero_cell, smd."""
    labels = list(inputs["label"])
    common = {k: options[k] for k in ("model", "tau2_method", "ci") if k in options}
    common.setdefault("model", spec["model"])
    measure = spec["measure"]
    f = lambda c: inputs[c].to_numpy(dtype=float)  # noqa: E731
    if spec["input_table"] == "study_estimates":
        _reject(options, ("zero_cell", "smd"), "generic inverse-variance")
        return pool_generic(f("estimate"), f("se"), log_scale=bool(inputs["log_scale"].iloc[0]),
                            labels=labels, **common)
    if measure in BINARY:
        _reject(options, ("smd",), measure)
        extra = {"zero_cell": options["zero_cell"]} if "zero_cell" in options else {}
        return pool_binary(f("events_t"), f("n_t"), f("events_c"), f("n_c"), measure=measure,
                           method=spec["method"], labels=labels, **common, **extra)
    _reject(options, ("zero_cell",), measure)
    extra = {"smd": options["smd"]} if "smd" in options and measure == "SMD" else {}
    if "smd" in options and measure != "SMD":
        raise ValueError(f"option smd applies to SMD analyses only; {spec['analysis_id']} is {measure}")
    return pool_continuous(f("mean_t"), f("sd_t"), f("n_t"), f("mean_c"), f("sd_c"), f("n_c"),
                           measure=measure, labels=labels, **common, **extra)


def _reject(options: dict, names: tuple[str, ...], what: str) -> None:
    for n in names:
        if n in options:
            raise ValueError(f"option {n} does not apply to a {what} analysis")


def _missing(spec: dict, data: Dataset) -> str:
    """Which numbers are missing, as words, e.g. 'per-arm means, SDs and analysed n of Aggarwal2022'."""
    table = data.study_estimates if spec["input_table"] == "study_estimates" else data.outcome_data
    rows = table[(table["analysis_id"] == spec["analysis_id"]) & (table["provenance"] == "not_available")]
    studies = list(dict.fromkeys(rows["study_id"]))
    if spec["input_table"] == "none" or not studies:
        return "the study-level inputs"
    what = "event counts and denominators" if spec["measure"] in BINARY else "means, SDs and analysed n"
    return f"per-arm {what} of {', '.join(studies)}"


def _status(spec: dict, inputs: pd.DataFrame, result: MetaResult | None, published: dict | None,
            prov: str, data: Dataset) -> tuple[str, str, dict | None]:
    if spec["input_table"] == "none" or result is None:
        return "not_reproducible", f"Not reproducible: {_missing(spec, data)} are not available.", None
    if published is None:
        return ("not_compared", f"No published result to compare with (outside the review's abstract); "
                f"inputs {prov}.", None)
    diff = {k: result_value(result, k) - published[k] for k in ("estimate", "ci_low", "ci_high")}
    worst = max(abs(v) for v in diff.values())
    tol = float(spec["tolerance"])
    if spec["input_table"] == "study_estimates" and len(inputs) == 1:
        if worst <= tol + 1e-9:
            return ("restated", "Restated, not recomputed: the only input is the published estimate and CI "
                    "(SE approximated as CI width / 3.92); this checks the bookkeeping, not the review's analysis.",
                    diff)
        return "approximate", f"The restated estimate differs from the published one by up to {worst:.3f}.", diff
    if worst <= tol + 1e-9:
        if prov == "reported":
            why = " from reported inputs"
        elif prov == "reconstructed":
            why = ("; inputs reconstructed from the published result, so agreement is by construction, "
                   "not independent confirmation")
        elif prov == "mixed":
            why = ("; inputs partly reconstructed from the published result, so agreement is by construction, "
                   "not independent confirmation")
        else:
            why = f"; inputs {prov}"
        if tol > 0.01 + 1e-12:
            return ("reproduced", f"Reproduced within the registered tolerance {tol:g} (largest difference "
                    f"{worst:.3f}){why}: {spec['tolerance_reason'][0].lower()}{spec['tolerance_reason'][1:]}", diff)
        return "reproduced", f"Reproduced to 2 decimals{why}.", diff
    return ("approximate", f"Computed from {prov} inputs but differs from the published result by up to "
            f"{worst:.3f} (tolerance {tol:g}).", diff)


def result_value(result: MetaResult, key: str) -> float:
    """estimate / ci_low / ci_high of a MetaResult (natural scale)."""
    return float(getattr(result, key))


def _published(spec: dict, data: Dataset) -> dict | None:
    pub = data.published_results
    row = pub[(pub["analysis_id"] == spec["analysis_id"]) & (pub["review_id"] == spec["review_id"])]
    if row.empty:
        return None
    r = {k: _clean(v) for k, v in row.iloc[0].items()}
    return {k: r[k] for k in ("review_id", "estimate", "ci_low", "ci_high", "measure", "k", "participants",
                              "certainty", "source")}


def analysis(analysis_id: str, data: Dataset | None = None) -> AnalysisResult:
    """Pool the registered inputs of ``analysis_id`` with the registered method and compare."""
    data = _data(data)
    spec = _spec(analysis_id, data)
    inputs = _inputs(spec, data)
    prov = _inputs_provenance(inputs)
    result = None
    if spec["input_table"] != "none" and prov != "not_available":
        result = pool_inputs(spec, inputs)
    published = _published(spec, data)
    status, reason, diff = _status(spec, inputs, result, published, prov, data)
    return AnalysisResult(analysis_id, spec, result, inputs, published, diff, status, reason, prov)


def analyses(data: Dataset | None = None) -> pd.DataFrame:
    """The reproducibility report: one row per registered analysis (the 2025 abstract first)."""
    data = _data(data)
    rows = []
    for aid in data.analyses["analysis_id"]:
        a = analysis(aid, data)
        r, p, s = a.result, a.published or {}, a.spec
        rows.append({
            "analysis_id": aid, "review_id": s["review_id"], "abstract_no": s["abstract_no"],
            "in_abstract": s["in_abstract"], "comparison": s["comparison"], "outcome": s["outcome"],
            "measure": s["measure"], "method": s["method"], "model": s["model"],
            "pub_estimate": p.get("estimate"), "pub_ci_low": p.get("ci_low"), "pub_ci_high": p.get("ci_high"),
            "pub_k": p.get("k"), "pub_participants": p.get("participants"), "certainty": p.get("certainty"),
            "estimate": r.estimate if r else None, "ci_low": r.ci_low if r else None,
            "ci_high": r.ci_high if r else None, "k": r.k if r else None,
            "diff_estimate": a.diff["estimate"] if a.diff else None,
            "diff_ci_low": a.diff["ci_low"] if a.diff else None,
            "diff_ci_high": a.diff["ci_high"] if a.diff else None,
            "max_abs_diff": max(abs(v) for v in a.diff.values()) if a.diff else None,
            "tolerance": s["tolerance"], "status": a.status, "inputs_provenance": a.inputs_provenance,
            "reason": a.reason,
        })
    out = pd.DataFrame(rows)
    for c in ("abstract_no", "pub_k", "pub_participants", "k"):
        out[c] = pd.array(out[c], dtype="Int64")
    for c in ("pub_estimate", "pub_ci_low", "pub_ci_high", "estimate", "ci_low", "ci_high",
              "diff_estimate", "diff_ci_low", "diff_ci_high", "max_abs_diff", "tolerance"):
        out[c] = pd.to_numeric(out[c].astype("object"), errors="raise").astype("float64")
    return out


def reanalyse(analysis_id: str, data: Dataset | None = None, **options: Any) -> MetaResult:
    """Re-pool the registered inputs with other engine options.

    Options: ``model``, ``tau2_method``, ``ci``, ``zero_cell`` (binary), ``smd`` (SMD) and
    ``exclude_provenance`` (e.g. ``("reconstructed",)``: drop studies whose inputs have that class).
    """
    unknown = set(options) - set(_OPTIONS)
    if unknown:
        raise ValueError(f"unknown option(s) {sorted(unknown)}; allowed: {', '.join(_OPTIONS)}")
    data = _data(data)
    spec = _spec(analysis_id, data)
    inputs = _inputs(spec, data)
    if spec["input_table"] == "none" or _inputs_provenance(inputs) == "not_available":
        raise ValueError(f"{analysis_id} cannot be re-analysed: {_missing(spec, data)} are not available")
    exclude = tuple(options.pop("exclude_provenance", ()))
    if exclude:
        keep = ~inputs["provenance"].isin(exclude)
        if "mixed" in set(inputs["provenance"]):
            keep &= ~inputs["study_id"].isin(_mixed_excluded(spec, data, exclude))
        inputs = inputs[keep].reset_index(drop=True)
        if inputs.empty:
            raise ValueError(f"{analysis_id}: no study is left after leaving out inputs that are "
                             f"{' or '.join(exclude)}")
    return pool_inputs(spec, inputs, **options)


def _mixed_excluded(spec: dict, data: Dataset, exclude: tuple[str, ...]) -> set[str]:
    od = data.outcome_data
    rows = od[(od["analysis_id"] == spec["analysis_id"]) & od["provenance"].isin(exclude)]
    return set(rows["study_id"])


def sensitivity(analysis_id: str, data: Dataset | None = None) -> pd.DataFrame:
    """One row per variant (RevMan default; random DL; random REML + Hartung-Knapp; MH without the
    0.5 correction if there are zero cells; without reconstructed inputs if there are some)."""
    data = _data(data)
    base = analysis(analysis_id, data)
    if base.result is None:
        raise ValueError(f"{analysis_id} cannot be re-analysed: {base.reason}")
    variants: list[tuple[str, dict, str]] = [
        ("RevMan default (registered)", {}, f"{base.spec['method']} {base.spec['model']}-effect, Wald CI"),
        ("random effects, DerSimonian-Laird", {"model": "random", "tau2_method": "DL"}, "Wald CI"),
        ("random effects, REML + Hartung-Knapp", {"model": "random", "tau2_method": "REML", "ci": "hksj"},
         "t on k - 1 df"),
    ]
    inp = base.inputs
    if base.spec["measure"] in BINARY and base.spec["input_table"] == "outcome_data":
        zero = ((inp["events_t"] == 0) | (inp["events_c"] == 0) | (inp["events_t"] == inp["n_t"])
                | (inp["events_c"] == inp["n_c"])).any()
        if bool(zero):
            variants.append(("MH without 0.5 correction", {"zero_cell": "none"}, "raw counts in the MH sums"))
    if inp["provenance"].isin(["reconstructed", "mixed"]).any():
        variants.append(("without reconstructed inputs", {"exclude_provenance": ("reconstructed",)},
                         "studies with reconstructed counts left out"))
    rows = []
    for name, opts, note in variants:
        try:
            r = reanalyse(analysis_id, data, **opts)
            if r.k == 1 and opts.get("model") == "random":
                note = "k = 1: no between-study variance to estimate, so this equals the fixed-effect result"
            rows.append({"variant": name, "estimate": r.estimate, "ci_low": r.ci_low, "ci_high": r.ci_high,
                         "tau2": r.tau2, "i2": r.i2, "k": r.k, "note": note})
        except (ValueError, ArithmeticError) as exc:
            rows.append({"variant": name, "estimate": np.nan, "ci_low": np.nan, "ci_high": np.nan,
                         "tau2": np.nan, "i2": np.nan, "k": 0, "note": f"not estimable: {str(exc).removeprefix(analysis_id + ': ')}"})
    return pd.DataFrame(rows)


def _fmt(est: Any, lo: Any, hi: Any) -> str:
    if est is None or pd.isna(est):
        return "—"
    return f"{est:.2f} ({lo:.2f} to {hi:.2f})"


def report_table(report: pd.DataFrame | None = None) -> pd.DataFrame:
    """The reproducibility report formatted for reading: one row per analysis, numbers as text.

    The comparison is in the analysis id's prefix (``ivig_``, ``aza_``, ``mtx_``; ``r2012_`` for
    the 2012 review), so the outcome column names only the outcome."""
    rep = analyses() if report is None else report
    out = pd.DataFrame({
        "#": [("" if pd.isna(n) else str(int(n))) for n in rep["abstract_no"]],
        "analysis": rep["analysis_id"],
        "outcome": rep["outcome"],
        "measure": rep["measure"] + ", " + rep["method"] + " " + rep["model"],
        "published": [_fmt(*x) for x in zip(rep["pub_estimate"], rep["pub_ci_low"], rep["pub_ci_high"])],
        "recomputed": [_fmt(*x) for x in zip(rep["estimate"], rep["ci_low"], rep["ci_high"])],
        "largest difference": ["—" if pd.isna(d) else f"{d:.3f}" for d in rep["max_abs_diff"]],
        "status": rep["status"],
        "inputs": rep["inputs_provenance"],
        "reason": rep["reason"],
    })
    return out


def status_counts(report: pd.DataFrame | None = None) -> dict[str, int]:
    """Counts over the 14 results of the 2025 abstract: per status, and reproduced split by inputs."""
    rep = analyses() if report is None else report
    rep = rep[rep["in_abstract"].astype(bool)]
    done = rep[rep["status"] == "reproduced"]
    out = {s: int((rep["status"] == s).sum()) for s in STATUSES}
    out["total"] = len(rep)
    out["reproduced_reported"] = int((done["inputs_provenance"] == "reported").sum())
    out["reproduced_by_construction"] = int(done["inputs_provenance"].isin(["reconstructed", "mixed"]).sum())
    out["reproduced_approximated"] = int((done["inputs_provenance"] == "approximated").sum())
    return out
