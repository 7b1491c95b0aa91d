"""Re-pool a registered analysis with other engine options (sensitivity analyses)."""
from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..data import Dataset
from ..engine import MetaResult
from .inputs import inputs_of, inputs_provenance, spec_of
from .run import analysis, dataset, pool_inputs

__all__ = ["reanalyse", "sensitivity", "OPTIONS"]

OPTIONS = ("model", "tau2_method", "ci", "zero_cell", "smd", "exclude_provenance")


def _mixed_excluded(spec: dict, data: Dataset, exclude: tuple[str, ...]) -> set[str]:
    od = data.outcome_data
    rows = od[(od["analysis_id"] == spec["analysis_id"]) & od["provenance"].isin(exclude)]
    return set(rows["study_id"])


def reanalyse(analysis_id: str, data: Dataset | None = None, **options: Any) -> MetaResult:
    """Re-pool the registered inputs with other engine options.

    Options: ``model``, ``tau2_method``, ``ci``, ``zero_cell`` (binary), ``smd`` (SMD) and
    ``exclude_provenance`` (e.g. ``("reconstructed",)``: drop studies whose inputs have that class).
    """
    unknown = set(options) - set(OPTIONS)
    if unknown:
        raise ValueError(f"unknown option(s) {sorted(unknown)}; allowed: {', '.join(OPTIONS)}")
    data = dataset(data)
    spec = spec_of(analysis_id, data)
    inputs = inputs_of(spec, data)
    if spec["input_table"] == "none" or inputs_provenance(inputs) == "not_available":
        missing = ", ".join(dict.fromkeys(inputs.loc[inputs["provenance"] == "not_available", "study_id"])) \
            if len(inputs) else "the study-level inputs"
        raise ValueError(f"{analysis_id} cannot be re-analysed: the inputs of {missing} are not available")
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


def _variants(base: Any) -> list[tuple[str, dict, str]]:
    variants: list[tuple[str, dict, str]] = [
        ("RevMan default (registered)", {}, f"{base.spec['method']} {base.spec['model']}-effect, Wald CI"),
        ("random effects, DerSimonian-Laird", {"model": "random", "tau2_method": "DL"}, "Wald CI"),
        ("random effects, REML + Hartung-Knapp", {"model": "random", "tau2_method": "REML", "ci": "hksj"},
         "t on k - 1 df"),
    ]
    inp = base.inputs
    if base.data_type == "dichotomous":
        zero = ((inp["events_t"] == 0) | (inp["events_c"] == 0) | (inp["events_t"] == inp["n_t"])
                | (inp["events_c"] == inp["n_c"])).any()
        if bool(zero):
            variants.append(("MH without 0.5 correction", {"zero_cell": "none"}, "raw counts in the MH sums"))
    if inp["provenance"].isin(["reconstructed", "mixed"]).any():
        variants.append(("without reconstructed inputs", {"exclude_provenance": ("reconstructed",)},
                         "studies with reconstructed counts left out"))
    return variants


def sensitivity(analysis_id: str, data: Dataset | None = None) -> pd.DataFrame:
    """One row per variant (RevMan default; random DL; random REML + Hartung-Knapp; MH without the
    0.5 correction if there are zero cells; without reconstructed inputs if there are some)."""
    data = dataset(data)
    base = analysis(analysis_id, data)
    if base.result is None:
        raise ValueError(f"{analysis_id} cannot be re-analysed: the inputs of {', '.join(base.missing)} "
                         "are not available")
    rows = []
    for name, opts, note in _variants(base):
        try:
            r = reanalyse(analysis_id, data, **opts)
            if r.k == 1 and opts.get("model") == "random":
                note = "k = 1: no between-study variance to estimate, so this equals the fixed-effect result"
            rows.append({"variant": name, "estimate": r.estimate, "ci_low": r.ci_low, "ci_high": r.ci_high,
                         "tau2": r.tau2, "i2": r.i2, "k": r.k, "note": note})
        except (ValueError, ArithmeticError) as exc:
            rows.append({"variant": name, "estimate": np.nan, "ci_low": np.nan, "ci_high": np.nan,
                         "tau2": np.nan, "i2": np.nan, "k": 0,
                         "note": f"not estimable: {str(exc).removeprefix(analysis_id + ': ')}"})
    return pd.DataFrame(rows)
