"""The RevMan behaviours we know of and do not reproduce, named on the lines that meet them.

Found on reviews nobody tuned for (Pairwise70's hard reviews, ``../shared/fixtures/pairwise70-hard``).
(The former ``all_events`` case — random-effects RR analyses with a study in which every
participant had the event in both arms — is reproduced: RevMan's MH RR counts that study with
RR 1, :mod:`mytools.engine.mantel_haenszel`.)

* ``smd_rounded`` — an MD or SMD analysis whose numbers RevMan computed from each study's effect
  and SE rounded to 6 decimals (the ``GIV Mean``/``GIV SE`` a RevMan Web file stores for each
  study), as if they had been entered as generic inverse-variance data: CD014964's SMD weights
  (7 analyses, hard reviews) and CD015932's MD study CIs (2.9, 3.2; an unseen review) differ from
  ours in the last digit. Across the 501 Pairwise70 reviews, 1,251 MD rows match only the
  unrounded values and 96 only the rounded ones, so this is not RevMan's general rule and is not
  applied; it is detected per analysis by re-pooling the rounded values through the engine: every
  study's CI and weight must then match.
* ``shared_subgroup_name`` — RevMan's weights within one subgroup add up to more than 100 %: the
  rows are those of two or more subgroups with the same name, and the file has no subgroup
  numbers to tell them apart (a v1 data-rows file, or one whose ``Subgroup number`` column was
  dropped), so they are read as one subgroup (CD004661 5.5, an unseen review: two subgroups
  "As defined", each 100 %). Nothing in the rows says where the second one starts: a study may
  appear twice in one subgroup (132 times in the Pairwise70 files that carry subgroup numbers).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..engine.batch import pool_batch
from .tolerance import excess

__all__ = ["OPEN_CASES", "open_cases"]

OPEN_CASES = {
    "shared_subgroup_name": "RevMan's weights in one subgroup add up to more than 100%: these rows "
                            "are two or more subgroups that share a name, and the file has no "
                            "subgroup numbers to tell them apart",
    "smd_rounded": "RevMan's numbers here are those of each study's MD or SMD and SE rounded to 6 "
                   "decimals (as if entered as generic inverse-variance data); reproduced that "
                   "way, not applied: most reviews' numbers use the unrounded values",
}


def _per_analysis(acode: np.ndarray, n: int, flag) -> np.ndarray:
    m = acode >= 0
    return np.bincount(acode[m], weights=np.asarray(flag, dtype=float)[m], minlength=n)


def open_cases(R, acode: np.ndarray, n: int, differs: np.ndarray) -> list[tuple[np.ndarray, str]]:
    """(flag per analysis, reason) for each named behaviour; ``R`` is check's per-review state,
    ``acode`` each row's analysis position, ``differs`` the analyses whose line differs."""
    return [(_smd_rounded(R, acode, n, differs), OPEN_CASES["smd_rounded"]),
            (_shared_subgroup_name(R, acode, n), OPEN_CASES["shared_subgroup_name"])]


def _shared_subgroup_name(R, acode: np.ndarray, n: int) -> np.ndarray:
    """Per analysis: a subgroup whose RevMan weights sum to more than 100 % (beyond rounding)."""
    m = (acode >= 0) & (R.sub_num > 0)
    if not m.any():
        return np.zeros(n, dtype=bool)
    width = int(R.sub_num.max()) + 1
    cell = acode[m] * width + R.sub_num[m]
    tot = np.bincount(cell, weights=np.nan_to_num(R.revman_weight[m]), minlength=n * width)
    rows = np.bincount(cell, minlength=n * width)
    over = tot > 100 + rows * 0.5 * 10.0 ** -(R.decimals or 6) + 1e-9
    return over.reshape(n, width).any(axis=1)


def _smd_rounded(R, acode: np.ndarray, n: int, differs: np.ndarray) -> np.ndarray:
    """Per analysis: an MD or SMD analysis that differs and whose every RevMan study CI and weight
    is reproduced by pooling each study's effect and SE rounded to 6 decimals as generic
    inverse-variance data."""
    out = np.zeros(n, dtype=bool)
    if not len(R.segs) or R.error or not differs.any():
        return out
    seg, row = R.seg_of_row, R.row_of_seg
    an = acode[row]
    want = np.isin(R.segs["measure"].to_numpy(object)[seg], ("MD", "SMD")) & R.take & (an >= 0)
    want &= differs[np.where(an >= 0, an, 0)]
    if not want.any():
        return out
    st = R.batch.studies
    y, v = st["y"].to_numpy(float)[want], st["v"].to_numpy(float)[want]
    code, segs = pd.factorize(seg[want])
    some = _per_analysis(an[want], n, np.ones(code.size))
    for model, tau2 in (("fixed", None), ("random", "DL")):  # the inferred model may be wrong
        table = pd.DataFrame({"data_type": "generic", "measure": "generic", "method": "IV",
                              "model": model, "tau2_method": tau2, "log_scale": False},
                             index=range(segs.size))
        res = pool_batch({"segment": code, "giv_estimate": np.round(y, 6),
                          "giv_se": np.round(np.sqrt(v), 6)}, table, invalid="mark").studies
        est = res["estimable"].to_numpy(bool)
        w = np.where(est, res["weight_percent"].to_numpy(float), np.nan)
        ok = excess(w, R.revman_weight[row[want]], R.decimals, "weight") <= 1
        for j, f in ((1, "ci_low"), (2, "ci_high")):
            ok &= excess(res[f].to_numpy(float), R.stored[row[want], j], R.decimals, f) <= 1
        out |= (some > 0) & (_per_analysis(an[want], n, ~ok) == 0)
    return out
