"""Subgroups: pooling per subgroup, overall, and the test for subgroup differences (RevMan).

Test for subgroup differences (Deeks & Higgins 2010; Borenstein & Higgins 2013): a fixed-effect
meta-analysis of the subgroups' pooled analysis-scale estimates θ_j with weights 1/SE_j², each
subgroup fitted with the analysis' own model (so with random effects each subgroup has its own τ²):
Q = Σw_j(θ_j − θ̄)², df = J − 1, P from χ², I² = max(0, (Q − df)/Q)·100. Subgroups with no
estimable study are left out of the test, as RevMan leaves them without an estimate.

>>> from mytools.engine.pooling import pool_generic
>>> s = pool_subgroups({"a": pool_generic([0.0], [1.0]), "b": pool_generic([1.0], [1.0])})
>>> s.q, s.df, s.i2
(0.5, 1, 0.0)
"""
from __future__ import annotations

from typing import Callable, Mapping, Sequence

import numpy as np

from .distributions import p_chi2
from .errors import InputError, NotEstimableError
from .results import MetaResult, SubgroupResult
from .tau2 import i2_q

__all__ = ["pool_subgroups", "pool_by_subgroup", "subgroup_test"]


def subgroup_test(theta: np.ndarray, se: np.ndarray) -> tuple[float, int, float, float]:
    """(Q, df, P, I²) of the test for subgroup differences from subgroup estimates and SEs."""
    w = 1.0 / np.asarray(se, dtype=float) ** 2
    th = np.asarray(theta, dtype=float)
    mu = np.sum(w * th) / np.sum(w)
    q = float(np.sum(w * (th - mu) ** 2))
    df = th.size - 1
    return q, df, float(p_chi2(q, df)), i2_q(q, df)


def pool_subgroups(results: Mapping[str, MetaResult]) -> SubgroupResult:
    """Test for subgroup differences over already pooled subgroups (at least two; formula above)."""
    if not isinstance(results, Mapping) or len(results) < 2:
        raise InputError("pool_subgroups needs a mapping of at least two subgroup results")
    for name, r in results.items():
        if not isinstance(r, MetaResult):
            raise InputError(f"subgroup {name!r}: expected a MetaResult, got {type(r).__name__}")
    first = next(iter(results.values()))
    for name, r in results.items():
        if (r.measure, r.log_scale) != (first.measure, first.log_scale):
            raise InputError(f"subgroup {name!r}: measure {r.measure} differs from {first.measure}")
    q, df, p, i2 = subgroup_test(np.array([r.theta for r in results.values()]),
                                 np.array([r.se for r in results.values()]))
    return SubgroupResult(subgroups=dict(results), q=q, df=df, p=p, i2=i2)


def pool_by_subgroup(
    pool: Callable[..., MetaResult],
    subgroup: Sequence[object],
    *arrays: Sequence[float] | np.ndarray,
    labels: Sequence[object] | None = None,
    overall: bool = True,
    **options: object,
) -> SubgroupResult:
    """Pool each subgroup with ``pool`` (e.g. :func:`~mytools.engine.pooling.pool_binary`) and the
    same options, pool all studies together (``overall``), and test for subgroup differences.

    ``subgroup`` names each study's subgroup (order of first appearance is kept). A subgroup in which
    no study is estimable gets no result (it is listed in ``notes``-free form: simply absent) and is
    left out of the test; with one estimable subgroup Q = 0, df = 0, P = 1, I² = 0 (as RevMan
    writes it), with none Q, P and I² are NaN.
    """
    names = list(dict.fromkeys(subgroup))
    groups = np.asarray([str(x) for x in subgroup], dtype=object)
    arrs = [np.asarray(a, dtype=float) for a in arrays]
    labs = None if labels is None else np.asarray([str(x) for x in labels], dtype=object)
    if any(a.shape[0] != groups.size for a in arrs) or (labs is not None and labs.size != groups.size):
        raise InputError("subgroup, labels and the data arrays must have one entry per study")
    results: dict[str, MetaResult] = {}
    for name in names:
        m = groups == str(name)
        try:
            results[str(name)] = pool(*(a[m] for a in arrs),
                                      labels=None if labs is None else list(labs[m]), **options)
        except NotEstimableError:
            continue
    whole = pool(*arrs, labels=None if labs is None else list(labs), **options) if overall else None
    if len(results) == 1:  # RevMan: Q 0, df 0, P 1, I² 0 (CD014353 3.2)
        return SubgroupResult(subgroups=results, q=0.0, df=0, p=1.0, i2=0.0, overall=whole)
    if not results:
        return SubgroupResult(subgroups=results, q=float("nan"), df=0, p=float("nan"),
                              i2=float("nan"), overall=whole)
    test = pool_subgroups(results)
    return SubgroupResult(subgroups=results, q=test.q, df=test.df, p=test.p, i2=test.i2, overall=whole)
