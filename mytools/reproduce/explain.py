"""The RevMan behaviours we know of and do not reproduce, named on the lines that meet them.

Found on reviews nobody tuned for (Pairwise70's hard reviews, ``../shared/fixtures/pairwise70-hard``):

* ``all_events`` — a random-effects RR analysis with a study in which every participant had the
  event in both arms (CD011535 1.2, CD002042 1.1, CD006913 2.11). RevMan keeps that study
  (RR 1, variance of the 0.5-corrected cells: :func:`mytools.engine.effects.binary_effects`) and
  its weights are random-effects weights 1/(v + τ²) with exactly our per-study variances, but
  with a τ² about 1% away from the DerSimonian–Laird τ² (Q about the MH estimate, Deeks & Higgins
  2010) that we compute. No variant we tried (the study left out of Q, of the MH estimate or of
  both; its corrected log RR in Q; an IV estimate in Q) gives RevMan's τ² in every analysis.
* ``smd_rounded`` — an SMD analysis whose weights RevMan computed from each study's g and SE
  rounded to 6 decimals, as if they had been entered as generic inverse-variance data
  (CD014964: 7 analyses; weights differ from ours in the 6th significant digit). The SMD analyses
  of the 40-review sample match the unrounded values (and none matches the rounded ones), so
  this is not RevMan's general rule and is not applied; it is detected per analysis by re-pooling
  the rounded values through the engine.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..engine.batch import pool_batch
from .tolerance import excess

__all__ = ["OPEN_CASES", "open_cases"]

OPEN_CASES = {
    "all_events": "the analysis has a study in which every participant had the event in both "
                  "arms; RevMan's random-effects weights then use a τ² about 1% from the "
                  "DerSimonian–Laird τ² we compute (not reproduced)",
    "smd_rounded": "RevMan's weights here are those of each study's SMD and SE rounded to 6 "
                   "decimals (as if entered as generic inverse-variance data); reproduced that "
                   "way, not applied: other reviews' SMD weights use the unrounded values",
}


def _per_analysis(acode: np.ndarray, n: int, flag) -> np.ndarray:
    m = acode >= 0
    return np.bincount(acode[m], weights=np.asarray(flag, dtype=float)[m], minlength=n)


def open_cases(R, acode: np.ndarray, n: int, differs: np.ndarray) -> list[tuple[np.ndarray, str]]:
    """(flag per analysis, reason) for each named behaviour; ``R`` is check's per-review state,
    ``acode`` each row's analysis position, ``differs`` the analyses whose line differs."""
    rows = R.rows
    a, c = (rows[k].to_numpy(float) for k in ("events_intervention", "events_control"))
    n1, n2 = (rows[k].to_numpy(float) for k in ("n_intervention", "n_control"))
    with np.errstate(invalid="ignore"):
        every = (rows["data_type"].to_numpy(object) == "dichotomous") & (a == n1) & (c == n2) & (a + c > 0)
    return [(_per_analysis(acode, n, every) > 0, OPEN_CASES["all_events"]),
            (_smd_rounded(R, acode, n, differs), OPEN_CASES["smd_rounded"])]


def _smd_rounded(R, acode: np.ndarray, n: int, differs: np.ndarray) -> np.ndarray:
    """Per analysis: an SMD analysis that differs and whose every RevMan weight is reproduced by
    pooling each study's g and SE rounded to 6 decimals as generic inverse-variance data."""
    out = np.zeros(n, dtype=bool)
    if not len(R.segs) or R.error or not differs.any():
        return out
    seg, row = R.seg_of_row, R.row_of_seg
    an = acode[row]
    want = (R.segs["measure"].to_numpy(object)[seg] == "SMD") & R.take & (an >= 0)
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
        w = np.where(res["estimable"].to_numpy(bool), res["weight_percent"].to_numpy(float), np.nan)
        ok = excess(w, R.revman_weight[row[want]], R.decimals, "weight") <= 1
        out |= (some > 0) & (_per_analysis(an[want], n, ~ok) == 0)
    return out
