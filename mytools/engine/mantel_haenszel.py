"""Mantel–Haenszel fixed-effect pooling of 2×2 tables (RR, OR, RD), as RevMan 5: the one copy.

Cells a, b, c, d (events and non-events, intervention then control), n1 = a + b, n2 = c + d,
N = n1 + n2 (Deeks & Higgins, *Statistical algorithms in Review Manager 5*, 2010):

* RR: R = Σ(a n2/N)/Σ(c n1/N); var ln R = Σ[(n1 n2 (a+c) − a c N)/N²] / [Σ(a n2/N) Σ(c n1/N)]
  (Greenland & Robins 1985); weights c n1/N. RevMan pools Σ w RR_i / Σ w (the estimator's
  weighted-average form), the same sum except for a study in which every participant had the
  event in both arms: its RR_i is 1 exactly (as RevMan shows it), so its term a n2/N is its
  weight c n1/N (0.5-corrected cells). Read off RevMan's random-effects weights (τ² from Q about
  this estimate) in 9 analyses of Pairwise70 reviews CD002042, CD006913 and CD011535
  (``tests/reproduce/test_reproduce_conformance.py``); no documentation spells it out.
* OR: R = Σ(ad/N)/Σ(bc/N); Robins, Breslow & Greenland (1986) variance with P = (a+d)/N,
  Q = (b+c)/N, R = ad/N, S = bc/N: ΣPR/(2(ΣR)²) + Σ(PS+QR)/(2ΣRΣS) + ΣQS/(2(ΣS)²); weights bc/N.
* RD: Σ[(a n2 − c n1)/N]/Σ(n1 n2/N); var = Σ[(a b n2³ + c d n1³)/(n1 n2 N²)]/(Σ n1 n2/N)²
  (Greenland & Robins 1985, as RevMan; metafor's ``rma.mh`` uses Sato et al. 1989 instead);
  weights n1 n2/N. The estimate and weights use the raw counts, the variance the corrected cells.

Every estimate is a function of per-study *additive terms* (:func:`mh_terms`) summed over the
studies and combined by :func:`mh_combine`; :func:`mh_rows` does both for many analyses at once
(rows of NaN-padded matrices; a NaN cell contributes nothing). The teaching reconstruction sums
the same terms over candidate tables.

>>> import numpy as np
>>> theta, se, w = mh_rows(*(np.array([[x]]) for x in (3., 7., 1., 9.)), "RR")
>>> round(float(np.exp(theta[0])), 6)        # one study: the MH RR is the crude RR (3/10)/(1/10)
3.0
"""
from __future__ import annotations

import numpy as np

from .tau2 import rowsum

__all__ = ["mh_terms", "mh_combine", "mh_rows"]


def mh_terms(a, b, c, d, measure: str, add=0.0) -> dict[str, np.ndarray]:
    """Per-study additive MH terms (formulas above) of cells a, b, c, d (any shape); ``add`` is the
    zero-cell correction added to every cell (0.5 where RevMan corrects, else 0). For RD the
    estimate's terms (``num``, ``w``) use the raw cells and the variance's the corrected ones."""
    ac, bc, cc, dc = (np.asarray(x, dtype=float) + add for x in (a, b, c, d))
    n1, n2 = ac + bc, cc + dc
    N = n1 + n2
    with np.errstate(all="ignore"):  # overflow: see mh_rows
        if measure == "RR":
            S = cc * n1 / N
            every = (np.asarray(b, dtype=float) == 0) & (np.asarray(d, dtype=float) == 0) & (ac + cc > 0)
            R = np.where(every, S, ac * n2 / N)  # all events in both arms: RR_i = 1, so R_i = S_i
            return {"R": R, "S": S, "P": (n1 * n2 * (ac + cc) - ac * cc * N) / N**2}
        if measure == "OR":
            R, S = ac * dc / N, bc * cc / N
            P, Q = (ac + dc) / N, (bc + cc) / N
            return {"R": R, "S": S, "PR": P * R, "X": P * S + Q * R, "QS": Q * S}
        a0, b0, c0, d0 = (np.asarray(x, dtype=float) for x in (a, b, c, d))
        m1, m2 = a0 + b0, c0 + d0
        M = m1 + m2
        return {"num": (a0 * m2 - c0 * m1) / M, "w": m1 * m2 / M,
                "V": (ac * bc * n2**3 + cc * dc * n1**3) / (n1 * n2 * N**2), "wc": n1 * n2 / N}


def mh_combine(sums: dict[str, np.ndarray], measure: str) -> tuple[np.ndarray, np.ndarray]:
    """Pooled MH estimate (log scale for RR/OR) and its variance from the summed terms."""
    s = sums
    with np.errstate(all="ignore"):
        if measure == "RR":
            return np.log(s["R"] / s["S"]), s["P"] / (s["R"] * s["S"])
        if measure == "OR":
            R, S = s["R"], s["S"]
            return np.log(R / S), s["PR"] / (2 * R**2) + s["X"] / (2 * R * S) + s["QS"] / (2 * S**2)
        return s["num"] / s["w"], s["V"] / s["wc"] ** 2


def mh_weights(terms: dict[str, np.ndarray], measure: str) -> np.ndarray:
    """The per-study MH weights: c n1/N (RR), bc/N (OR), n1 n2/N on raw counts (RD)."""
    return terms["S"] if measure in ("RR", "OR") else terms["w"]


def mh_rows(a: np.ndarray, b: np.ndarray, c: np.ndarray, d: np.ndarray, measure: str,
            add=0.0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """MH θ (log scale for RR/OR) and SE per row of the (analyses × studies) cell matrices, and the
    per-study weights (0 in NaN cells). ``add``: the zero-cell correction per cell (broadcast).
    A row whose summed terms are not finite (counts so large that a product overflows) gets θ and
    SE NaN, which the core reports as not representable (never as an infinite MH estimate)."""
    with np.errstate(all="ignore"):
        terms = mh_terms(a, b, c, d, measure, add)
        terms = {k: np.where(np.isnan(v), 0.0, v) for k, v in terms.items()}
        sums = {k: rowsum(v) for k, v in terms.items()}
        theta, var = mh_combine(sums, measure)
        over = ~np.logical_and.reduce([np.isfinite(x) for x in sums.values()])
        if over.any():
            theta, var = np.where(over, np.nan, theta), np.where(over, np.nan, var)
        return theta, np.sqrt(var), mh_weights(terms, measure)
