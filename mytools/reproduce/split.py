"""RevMan's displayed study weights in an analysis that splits a multi-arm study across subgroups.

A row's ``Applicability`` says where it counts (RevMan's data model,
``../shared/guide/REVMAN-FORMATS.md``): ``SUBGROUP_ONLY`` rows (a multi-arm study's comparisons,
one per subgroup) only in their subgroup, ``OVERALL_ONLY`` rows (the same study entered once,
combined) only in the total. The total is pooled from the ``SUBGROUP_AND_OVERALL`` and
``OVERALL_ONLY`` rows and an ``OVERALL_ONLY`` row's weight is its share of that total. The
weights RevMan shows for the rows in subgroups follow a rule that no documentation we found
describes; it was read off RevMan's own rows and reproduces all 20 such analyses of the Pairwise70
reviews CD011535 and CD014964 (RR, MD and SMD; 6 decimals; it cannot touch an analysis without
such rows, so the 40-review sample is unaffected):

* a ``SUBGROUP_AND_OVERALL`` row's raw weight is its weight when all the rows shown in subgroups
  are pooled together (the ``split`` segment: 1/(v + τ²), τ² the DerSimonian–Laird τ² of those
  rows);
* a ``SUBGROUP_ONLY`` row's raw weight is the total's raw weight of its study's ``OVERALL_ONLY``
  row, shared among the study's ``SUBGROUP_ONLY`` rows in proportion to 1/v (a part that is not
  estimable takes the whole share and shows no weight; the others show 0: CD014964 2.3, Grau 2004);
* each is shown as a percentage of the sum of these raw weights, so that they add up to 100.

Example (CD011535 1.8, RR, random effects): the 9 ``SUBGROUP_AND_OVERALL`` rows and Reich 2020's
two ``SUBGROUP_ONLY`` rows show weights adding up to 100 (Reich 2020: 3.778269 and 20.792845,
in the ratio of their 1/v), and Reich 2020's ``OVERALL_ONLY`` row shows 15.320582, its share of
the total.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["split_weights", "applicability"]

SUBGROUP_ONLY, OVERALL_ONLY = "SUBGROUP_ONLY", "OVERALL_ONLY"


def applicability(rows: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Per row: (counts in its subgroup, counts in the total), from ``applicability``
    (blank or ``SUBGROUP_AND_OVERALL``: both)."""
    if "applicability" not in rows:
        return np.ones(len(rows), dtype=bool), np.ones(len(rows), dtype=bool)
    app = rows["applicability"].astype(str).to_numpy()
    return app != OVERALL_ONLY, app != SUBGROUP_ONLY


def split_weights(rows: pd.DataFrame, pos: np.ndarray, group: np.ndarray, kind: np.ndarray,
                  weight: np.ndarray, v: np.ndarray, estimable: np.ndarray) -> np.ndarray:
    """RevMan's displayed weight (%) of each entry of the ``split`` segments (rule above).

    Long arrays, one entry per row per segment: ``pos`` (the row in ``rows``, which carry
    ``analysis``, ``study`` and ``applicability``), ``group`` (one pooling candidate: entries of
    different groups never mix), ``kind`` ("overall" or "split"; others are ignored), the engine's
    unnormalised ``weight``, the variance ``v`` and ``estimable``. Returns NaN for entries of
    other kinds and for rows not estimable."""
    pos, group = np.asarray(pos, dtype=int), np.asarray(group, dtype=int)
    out = np.full(pos.size, np.nan)
    sp, ov = kind == "split", kind == "overall"
    if not sp.any():
        return out
    in_sub, in_total = applicability(rows)
    an = pd.factorize(rows["analysis"], sort=False)[0][pos]
    st = pd.factorize(rows["study"].astype(str), sort=False)[0][pos]
    key = pd.factorize(pd.MultiIndex.from_arrays([group, an, st]))[0]
    w = np.where(estimable, weight, np.nan)
    # the total's raw weight of each study's OVERALL_ONLY row (per candidate, analysis, study)
    oo = ov & ~in_sub[pos] & estimable
    total_w = np.bincount(key[oo], weights=w[oo], minlength=key.max() + 1)
    has_oo = np.bincount(key[oo], minlength=key.max() + 1) > 0
    so = sp & ~in_total[pos]
    with np.errstate(divide="ignore"):
        iv = np.where(estimable, 1.0 / v, np.inf)
    iv_sum = np.bincount(key[so], weights=iv[so], minlength=key.max() + 1)
    raw = np.where(sp, w, np.nan)
    take = so & has_oo[key]
    with np.errstate(invalid="ignore"):
        raw[take] = total_w[key[take]] * iv[take] / iv_sum[key[take]]
    raw[take & ~estimable] = np.nan
    ga = pd.factorize(pd.MultiIndex.from_arrays([group, an]))[0]
    tot = np.bincount(ga[sp], weights=np.nan_to_num(raw[sp]), minlength=ga.max() + 1)
    with np.errstate(invalid="ignore", divide="ignore"):
        out[sp] = 100.0 * raw[sp] / tot[ga[sp]]
    return out
