"""Re-pool a registered analysis with other engine options (sensitivity analyses)."""
from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..data import Dataset
from ..engine import MetaResult
from ..engine.variants import VARIANTS, variant_options
from .inputs import inputs_of, inputs_provenance, spec_of
from .run import analysis, pool_inputs

__all__ = ["reanalyse", "sensitivity", "OPTIONS", "DATA_VARIANTS", "SENSITIVITY_VARIANTS"]

#: Keyword options :func:`reanalyse` accepts: every option of the engine's variants
#: (:data:`mytools.engine.variants.VARIANTS`) plus ``exclude_provenance`` (a data choice).
OPTIONS = ("model", "tau2_method", "ci", "hksj_floor", "zero_cell", "all_events", "smd", "exclude_provenance")

#: Variants about the book's data rather than the engine (key -> (label, options, note)).
DATA_VARIANTS: dict[str, tuple[str, dict, str]] = {
    "reconstructed_excluded": ("studies with reconstructed inputs left out",
                               {"exclude_provenance": ("reconstructed",)},
                               "studies with reconstructed counts left out"),
}

#: The engine variants :func:`sensitivity` reports (keys of ``VARIANTS``), in table order.
SENSITIVITY_VARIANTS: tuple[str, ...] = ("revman", "random_dl", "reml_hksj", "mh_no_correction")


def _mixed_excluded(spec: dict, data: Dataset, exclude: tuple[str, ...]) -> set[str]:
    od = data.outcome_data
    rows = od[(od["analysis_id"] == spec["analysis_id"]) & od["provenance"].isin(exclude)]
    return set(rows["study_id"])


def reanalyse(analysis_id: str, data: Dataset, variant: str | None = None,
              **options: Any) -> MetaResult:
    """Re-pool the registered inputs with other engine options.

    ``variant``: a key of the engine's registry (``"reml_hksj"``, ``"reml_hksj_floor"`` …) or of
    :data:`DATA_VARIANTS`; its options are applied first, keyword ``options`` on top. Options:
    ``model``, ``tau2_method``, ``ci``, ``hksj_floor``, ``zero_cell`` / ``all_events`` (2×2 data),
    ``smd`` (SMD) and ``exclude_provenance`` (e.g. ``("reconstructed",)``: drop studies whose inputs
    have that class).
    """
    if variant is not None:
        base = dict(DATA_VARIANTS[variant][1]) if variant in DATA_VARIANTS else variant_options(variant)
        options = {**base, **options}
    unknown = set(options) - set(OPTIONS)
    if unknown:
        raise ValueError(f"unknown option(s) {sorted(unknown)}; allowed: {', '.join(OPTIONS)}")
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


def _variants(base: Any) -> list[tuple[str, str, dict, str]]:
    """(key, label, options, note) of the variants that apply to ``base`` (an AnalysisResult)."""
    notes = {"revman": f"{base.spec['method']} {base.spec['model']}-effect, Wald CI",
             "random_dl": "Wald CI", "reml_hksj": "t on k - 1 df", "mh_no_correction": "raw counts in the MH sums"}
    inp = base.inputs
    zero = base.data_type == "dichotomous" and bool(
        ((inp["events_intervention"] == 0) | (inp["events_control"] == 0) | (inp["events_intervention"] == inp["n_intervention"])
         | (inp["events_control"] == inp["n_control"])).any())
    out = [(k, VARIANTS[k].label, variant_options(k), notes[k]) for k in SENSITIVITY_VARIANTS
           if k != "mh_no_correction" or zero]
    if inp["provenance"].isin(["reconstructed", "mixed"]).any():
        label, opts, note = DATA_VARIANTS["reconstructed_excluded"]
        out.append(("reconstructed_excluded", label, dict(opts), note))
    return out


def sensitivity(analysis_id: str, data: Dataset) -> pd.DataFrame:
    """One row per variant, keyed by the engine's variant names (``variant``; ``label`` from
    ``VARIANTS[key].label``): ``revman`` (as registered), ``random_dl``, ``reml_hksj``,
    ``mh_no_correction`` if there are zero cells, ``reconstructed_excluded`` if some inputs are
    reconstructed."""
    base = analysis(analysis_id, data)
    if base.result is None:
        raise ValueError(f"{analysis_id} cannot be re-analysed: the inputs of {', '.join(base.missing)} "
                         "are not available")
    rows = []
    for key, label, opts, note in _variants(base):
        try:
            r = reanalyse(analysis_id, data, **opts)
            if r.k == 1 and opts.get("model") == "random":
                note = "k = 1: no between-study variance to estimate, so this equals the fixed-effect result"
            rows.append({"variant": key, "label": label, "estimate": r.estimate, "ci_low": r.ci_low,
                         "ci_high": r.ci_high, "tau2": r.tau2, "i2": r.i2, "k": r.k, "note": note})
        except (ValueError, ArithmeticError) as exc:
            rows.append({"variant": key, "label": label, "estimate": np.nan, "ci_low": np.nan, "ci_high": np.nan,
                         "tau2": np.nan, "i2": np.nan, "k": 0,
                         "note": f"not estimable: {str(exc).removeprefix(analysis_id + ': ')}"})
    return pd.DataFrame(rows)
