"""Mantel–Haenszel fixed-effect pooling of 2×2 tables (RR, OR, RD), as RevMan 5.

Cells a, b, c, d (events and non-events, intervention then control), n1 = a + b, n2 = c + d,
N = n1 + n2 (Deeks & Higgins, *Statistical algorithms in Review Manager 5*, 2010):

* RR: R = Σ(a n2/N)/Σ(c n1/N); var ln R = Σ[(n1 n2 (a+c) − a c N)/N²] / [Σ(a n2/N) Σ(c n1/N)]
  (Greenland & Robins 1985); weights c n1/N.
* OR: R = Σ(ad/N)/Σ(bc/N); Robins, Breslow & Greenland (1986) variance with P = (a+d)/N,
  Q = (b+c)/N, R = ad/N, S = bc/N: ΣPR/(2(ΣR)²) + Σ(PS+QR)/(2ΣRΣS) + ΣQS/(2(ΣS)²); weights bc/N.
* RD: Σ[(a n2 − c n1)/N]/Σ(n1 n2/N); var = Σ[(a b n2³ + c d n1³)/(n1 n2 N²)]/(Σ n1 n2/N)²
  (Greenland & Robins 1985, as RevMan; metafor's ``rma.mh`` uses Sato et al. 1989 instead);
  weights n1 n2/N.

>>> import numpy as np
>>> theta, se, w = mh_pool(*(np.array([x]) for x in (3., 7., 1., 9.)), "RR")
>>> round(float(np.exp(theta)), 6)        # one study: the MH RR is the crude RR (3/10)/(1/10)
3.0
"""
from __future__ import annotations

import numpy as np

__all__ = ["mh_pool"]


def mh_pool(a: np.ndarray, b: np.ndarray, c: np.ndarray, d: np.ndarray,
            measure: str) -> tuple[float, float, np.ndarray]:
    """MH pooled estimate (log scale for RR/OR), its SE, and the MH weights (formulas above)."""
    n1, n2 = a + b, c + d
    N = n1 + n2
    with np.errstate(divide="ignore", invalid="ignore"):
        if measure == "RR":
            r, s = np.sum(a * n2 / N), np.sum(c * n1 / N)
            theta = np.log(r / s)
            var = np.sum((n1 * n2 * (a + c) - a * c * N) / N**2) / (r * s)
            w = c * n1 / N
        elif measure == "OR":
            R, S = a * d / N, b * c / N
            P, Q = (a + d) / N, (b + c) / N
            sr, ss = np.sum(R), np.sum(S)
            theta = np.log(sr / ss)
            var = (np.sum(P * R) / (2 * sr**2) + np.sum(P * S + Q * R) / (2 * sr * ss)
                   + np.sum(Q * S) / (2 * ss**2))
            w = S
        else:
            w = n1 * n2 / N
            theta = np.sum((a * n2 - c * n1) / N) / np.sum(w)
            var = np.sum((a * b * n2**3 + c * d * n1**3) / (n1 * n2 * N**2)) / np.sum(w) ** 2
    return float(theta), float(np.sqrt(var)), w
