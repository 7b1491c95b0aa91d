"""Result objects: :class:`MetaResult` (one pooled analysis), :class:`SubgroupResult` (subgroups and
the test for subgroup differences) and :class:`ManyResult` (many analyses pooled at once)."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

__all__ = ["MetaResult", "SubgroupResult", "ManyResult"]


@dataclass(frozen=True, eq=False)
class MetaResult:
    """One pooled analysis.

    ``estimate, ci_low, ci_high``: natural scale (ratios for RR/OR/HR); ``theta`` and ``se``:
    analysis scale (log for ratios). ``z``/``p``: test of no effect, z = theta/se signed (RevMan
    prints |Z|; a t statistic on ``t_df`` = k − 1 df when ``ci_method == "hksj"``). ``q, df, p_q``:
    Cochran's Q (RevMan's "Chi²"), ``p_q`` None when df = 0. ``i2``: I² as the settings ask
    (``i2_q`` from Q, ``i2_tau2`` from τ², both always given). ``pi_low, pi_high``: prediction
    interval (random effects, k ≥ 3, or k ≥ 2 when the settings use k − 1 df), natural scale.
    ``tau2_ci_low/high``: Q-profile CI of τ² when the settings ask for it. ``studies``: one row per
    input study, including those not estimable. ``data_type`` says which input the result came
    from ("dichotomous", "continuous", "generic", "o_e"), so nobody guesses from columns.
    """

    estimate: float
    ci_low: float
    ci_high: float
    se: float
    z: float
    p: float
    q: float
    df: int
    p_q: float | None
    i2: float
    tau2: float
    k: int
    pi_low: float | None
    pi_high: float | None
    measure: str
    method: str
    model: str
    tau2_method: str | None
    ci_method: str
    log_scale: bool
    theta: float
    studies: pd.DataFrame = field(repr=False)
    notes: tuple[str, ...] = ()
    data_type: str = "generic"
    settings: str = "REVMAN5"
    ci_level: float = 0.95
    study_ci_level: float = 0.95
    t_df: int | None = None
    i2_q: float = 0.0
    i2_tau2: float | None = None
    tau2_ci_low: float | None = None
    tau2_ci_high: float | None = None

    def summary_frame(self) -> pd.DataFrame:
        """Per-study rows (label, estimate, CI, weight %, estimable) plus one pooled ``Total`` row."""
        cols = ["label", "estimate", "ci_low", "ci_high", "weight_percent", "estimable"]
        rows = self.studies[cols].copy()
        total = pd.DataFrame(
            [{
                "label": f"Total ({self.model}, {self.method})",
                "estimate": self.estimate,
                "ci_low": self.ci_low,
                "ci_high": self.ci_high,
                "weight_percent": float(self.studies["weight_percent"].sum()),
                "estimable": True,
            }]
        )
        return pd.concat([rows, total], ignore_index=True)


@dataclass(frozen=True, eq=False)
class ManyResult:
    """Results of :func:`mytools.engine.many.pool_many`, one entry per row (analysis scale).

    ``hksj_one``: rows with one study that asked for HKSJ and got the Wald interval."""

    estimate: np.ndarray
    se: np.ndarray
    ci_low: np.ndarray
    ci_high: np.ndarray
    tau2: np.ndarray
    q: np.ndarray
    i2: np.ndarray
    k: np.ndarray
    iterations: int = 0
    hksj_one: np.ndarray | None = None


@dataclass(frozen=True, eq=False)
class SubgroupResult:
    """Pooled result per subgroup and the test for subgroup differences (as RevMan reports it).

    ``overall``: the pooled result over all studies when it was computed (:func:`pool_by_subgroup`).
    """

    subgroups: dict[str, MetaResult]
    q: float
    df: int
    p: float
    i2: float
    overall: MetaResult | None = None

    def table(self) -> pd.DataFrame:
        """One row per subgroup: estimate, CI, k, I², τ²."""
        return pd.DataFrame(
            [
                {"subgroup": name, "estimate": r.estimate, "ci_low": r.ci_low, "ci_high": r.ci_high,
                 "k": r.k, "i2": r.i2, "tau2": r.tau2}
                for name, r in self.subgroups.items()
            ]
        )
