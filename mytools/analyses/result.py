"""The typed result of one analysis and the codes of its status (no prose: see
``mytools.present.wording`` for the sentences)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from ..engine import MetaResult, SubgroupResult

__all__ = ["AnalysisResult", "STATUSES", "REASONS"]

#: Reproduction statuses (``status`` means reproduction only).
STATUSES = ("reproduced", "recomputed", "approximate", "restated", "not_reproducible")

#: Reason codes: why an analysis has its status (the inputs' provenance is a separate field).
REASONS = (
    "within_precision",             # reproduced: every number within half a unit of the last printed digit
    "within_registered_tolerance",  # reproduced: within a larger tolerance the registry records with its reason
    "differs_from_published",       # approximate: computed, further off than the tolerance
    "single_published_estimate",    # restated: the only input is the published estimate and CI
    "inputs_not_available",         # not_reproducible: some study-level numbers are in no readable source
    "no_published_result",          # recomputed: no published pooled number to compare with
)


@dataclass(frozen=True)
class AnalysisResult:
    """One analysis: registry ``spec``, engine ``result`` (None if not computable), ``inputs`` (one
    row per study: inputs, provenance, identity and, for the review's data, RevMan's own per-study
    ``revman_weight``/``revman_estimate``/``revman_ci_low``/``revman_ci_high`` and ``footnote``),
    ``published`` (dict or None), ``diff`` (recomputed minus published), ``status`` and ``reason``
    (codes), ``inputs_provenance``, ``data_type``, ``subgroups`` ({subgroup name: MetaResult}) with
    ``subgroup_test``, ``missing`` (study ids whose inputs are not available)."""

    id: str
    spec: dict
    result: MetaResult | None
    inputs: pd.DataFrame
    published: dict | None
    diff: dict | None
    status: str
    reason: str
    inputs_provenance: str
    data_type: str = ""
    subgroups: dict[str, MetaResult] = field(default_factory=dict)
    subgroup_test: SubgroupResult | None = None
    missing: tuple[str, ...] = ()

    @property
    def max_abs_diff(self) -> float | None:
        """Largest absolute difference from the published estimate and CI limits (None if not compared)."""
        return max(abs(v) for v in self.diff.values()) if self.diff else None

    @property
    def measure(self) -> str:
        return str(self.spec.get("measure"))

    def get(self, key: str, default: Any = None) -> Any:
        """A registry field (``spec``) by name."""
        return self.spec.get(key, default)
