"""Hand computations: RevMan 5 formulas written out with plain NumPy, to be read next to the formula.

Every quantity here is computed "by hand" with plain NumPy arithmetic written to be read next to the
formula, *not* through the engine's code path; the step tables then put the engine's answer
(``mytools.engine``) beside it, so a reader sees that the two agree and where each number comes
from.  Formulas (RevMan 5 defaults; Deeks, Higgins & Altman, Cochrane Handbook ch. 10, and RevMan's
statistical algorithms):

* risk ratio of a study: RR_i = (a_i/n_1i)/(c_i/n_2i); SE(ln RR_i) = sqrt(1/a_i - 1/n_1i + 1/c_i - 1/n_2i);
* Mantel-Haenszel RR = sum(R_i)/sum(S_i), R_i = a_i n_2i/N_i, S_i = c_i n_1i/N_i, with the
  Greenland-Robins variance var(ln RR_MH) = sum(P_i)/(sum(R_i) sum(S_i)),
  P_i = (n_1i n_2i (a_i + c_i) - a_i c_i N_i)/N_i^2 (Greenland & Robins 1985);
* heterogeneity: Q = sum w_i (y_i - y_pooled)^2 with inverse-variance weights w_i = 1/v_i about the
  pooled (for MH: the MH) estimate; I^2 = max(0, (Q - df)/Q) (Higgins & Thompson 2002);
* DerSimonian-Laird tau^2 = max(0, (Q - df)/(sum w - sum w^2/sum w)); random-effects estimate with
  w*_i = 1/(v_i + tau^2) (DerSimonian & Laird 1986);
* standardised mean difference: Hedges' g = J d, d = (m_1 - m_2)/s_pooled, RevMan's J = 1 - 3/(4N - 9),
  SE = sqrt(N/(n_1 n_2) + g^2/(2(N - 3.94))); the exact J(m) = Gamma(m/2)/(sqrt(m/2) Gamma((m-1)/2)),
  m = N - 2 (Hedges 1981).
"""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np
import pandas as pd
from scipy import special, stats

Z95 = float(stats.norm.ppf(0.975))

#: Fleiss (1993), Table "mental health treatment versus control" (five studies; treatment = arm 1).
#: Fleiss JL. The statistical basis of meta-analysis. Stat Methods Med Res 1993;2:121-145.
#: The same numbers ship as RevMan 5's example file Fleiss1993 (R package meta); the tests check
#: these constants against that file.
FLEISS1993_MENTAL_HEALTH = pd.DataFrame(
    {
        "label": ["Davis", "Florell", "Gruen", "Hart", "Wilson"],
        "year": [1973, 1971, 1975, 1975, 1977],
        "mean_intervention": [5.0, 4.9, 22.5, 12.5, 6.5],
        "sd_intervention": [4.7, 1.71, 3.44, 1.47, 0.76],
        "n_intervention": [13, 30, 35, 20, 8],
        "mean_control": [6.5, 6.1, 24.9, 12.3, 7.38],
        "sd_control": [3.8, 2.3, 10.65, 1.66, 1.41],
        "n_control": [13, 50, 35, 20, 8],
    }
)


# --------------------------------------------------------------------------------------------
# Hand computations (plain arithmetic, one line per formula)
# --------------------------------------------------------------------------------------------
def iv_heterogeneity(y: np.ndarray, v: np.ndarray, pooled: float) -> dict[str, Any]:
    """Q, I², DerSimonian–Laird τ² and the random-effects estimate, by hand.

    Q = Σ w_i (y_i − pooled)², w_i = 1/v_i; I² = max(0, (Q − df)/Q) (Higgins & Thompson 2002);
    τ²_DL = max(0, (Q − df)/(Σw − Σw²/Σw)); ŷ_RE = Σ w*_i y_i / Σ w*_i, w*_i = 1/(v_i + τ²),
    SE = 1/sqrt(Σ w*_i) (DerSimonian & Laird 1986).
    """
    w = 1.0 / v
    k = len(y)
    df = k - 1
    q = float(np.sum(w * (y - pooled) ** 2))
    i2 = max(0.0, (q - df) / q) * 100.0 if q > 0 else 0.0
    c = float(np.sum(w) - np.sum(w**2) / np.sum(w))
    tau2 = max(0.0, (q - df) / c) if k > 1 else 0.0
    w_re = 1.0 / (v + tau2)
    y_re = float(np.sum(w_re * y) / np.sum(w_re))
    se_re = float(1.0 / np.sqrt(np.sum(w_re)))
    return {
        "w_iv": w,
        "w_iv_percent": 100.0 * w / w.sum(),
        "q": q,
        "df": df,
        "p_q": float(stats.chi2.sf(q, df)),
        "i2": i2,
        "c": c,
        "tau2": tau2,
        "w_re": w_re,
        "w_re_percent": 100.0 * w_re / w_re.sum(),
        "y_re": y_re,
        "se_re": se_re,
    }


def hand_binary_rr(
    events_intervention: Sequence[int], n_intervention: Sequence[int], events_control: Sequence[int], n_control: Sequence[int]
) -> dict[str, Any]:
    """Mantel–Haenszel risk ratio, Greenland–Robins variance, Q, I², DL τ², random effects — by hand.

    RevMan 5 formulas (Greenland & Robins 1985; DerSimonian & Laird 1986; Higgins & Thompson 2002);
    the log scale is the analysis scale.  Studies with a zero cell are rejected (the worked example
    teaches the plain case; the engine handles RevMan's 0.5 correction).
    """
    a = np.asarray(events_intervention, dtype=float)
    n1 = np.asarray(n_intervention, dtype=float)
    c = np.asarray(events_control, dtype=float)
    n2 = np.asarray(n_control, dtype=float)
    if np.any(a == 0) or np.any(c == 0) or np.any(a == n1) or np.any(c == n2):
        raise ValueError("hand_binary_rr: a study has a zero cell; the worked example needs none")
    big_n = n1 + n2
    rr = (a / n1) / (c / n2)
    y = np.log(rr)
    v = 1 / a - 1 / n1 + 1 / c - 1 / n2
    r = a * n2 / big_n
    s = c * n1 / big_n
    p = (n1 * n2 * (a + c) - a * c * big_n) / big_n**2
    rr_mh = r.sum() / s.sum()
    var_mh = p.sum() / (r.sum() * s.sum())
    se_mh = float(np.sqrt(var_mh))
    het = iv_heterogeneity(y, v, float(np.log(rr_mh)))
    z = float(np.log(rr_mh) / se_mh)
    return {
        "rr": rr,
        "log_rr": y,
        "var_log_rr": v,
        "se_log_rr": np.sqrt(v),
        "R": r,
        "S": s,
        "P": p,
        "mh_weight_percent": 100.0 * s / s.sum(),
        "rr_mh": float(rr_mh),
        "var_log_rr_mh": float(var_mh),
        "se_log_rr_mh": se_mh,
        "ci_low": float(np.exp(np.log(rr_mh) - Z95 * se_mh)),
        "ci_high": float(np.exp(np.log(rr_mh) + Z95 * se_mh)),
        "z": z,
        "p": float(2 * stats.norm.sf(abs(z))),
        **het,
        "rr_re": float(np.exp(het["y_re"])),
        "ci_low_re": float(np.exp(het["y_re"] - Z95 * het["se_re"])),
        "ci_high_re": float(np.exp(het["y_re"] + Z95 * het["se_re"])),
    }


def hedges_j_revman(n_total: np.ndarray | float) -> np.ndarray:
    """RevMan 5's approximate small-sample correction J = 1 − 3/(4N − 9), N = n₁ + n₂ (Hedges 1981)."""
    return 1.0 - 3.0 / (4.0 * np.asarray(n_total, dtype=float) - 9.0)


def hedges_j_exact(n_total: np.ndarray | float) -> np.ndarray:
    """Exact correction J(m) = Γ(m/2)/(√(m/2) Γ((m−1)/2)), m = N − 2 (Hedges 1981), via log-gamma."""
    m = np.asarray(n_total, dtype=float) - 2.0
    return np.exp(special.gammaln(m / 2) - special.gammaln((m - 1) / 2)) / np.sqrt(m / 2)


def hand_smd(
    mean_intervention: Sequence[float],
    sd_intervention: Sequence[float],
    n_intervention: Sequence[int],
    mean_control: Sequence[float],
    sd_control: Sequence[float],
    n_control: Sequence[int],
) -> dict[str, Any]:
    """Hedges' g per study (RevMan's and the exact J), inverse-variance pooling, Q, I², DL τ² — by hand.

    s_pooled = √(((n₁−1)s₁² + (n₂−1)s₂²)/(N−2)); d = (m₁ − m₂)/s_pooled; g = J d;
    SE(g) = √(N/(n₁n₂) + g²/(2(N − 3.94))) (RevMan 5); fixed effect ĝ = Σ w_i g_i/Σ w_i, w_i = 1/SE_i².
    """
    m1, s1, n1 = (np.asarray(x, dtype=float) for x in (mean_intervention, sd_intervention, n_intervention))
    m2, s2, n2 = (np.asarray(x, dtype=float) for x in (mean_control, sd_control, n_control))
    big_n = n1 + n2
    s_pooled = np.sqrt(((n1 - 1) * s1**2 + (n2 - 1) * s2**2) / (big_n - 2))
    d = (m1 - m2) / s_pooled
    j = hedges_j_revman(big_n)
    j_exact = hedges_j_exact(big_n)
    g = j * d
    g_exact = j_exact * d
    v = big_n / (n1 * n2) + g**2 / (2 * (big_n - 3.94))
    w = 1.0 / v
    g_fixed = float(np.sum(w * g) / np.sum(w))
    se_fixed = float(1.0 / np.sqrt(np.sum(w)))
    het = iv_heterogeneity(g, v, g_fixed)
    return {
        "s_pooled": s_pooled,
        "d": d,
        "j": j,
        "j_exact": j_exact,
        "g": g,
        "g_exact": g_exact,
        "var_g": v,
        "se_g": np.sqrt(v),
        "g_fixed": g_fixed,
        "se_fixed": se_fixed,
        "ci_low": g_fixed - Z95 * se_fixed,
        "ci_high": g_fixed + Z95 * se_fixed,
        **het,
        "ci_low_re": het["y_re"] - Z95 * het["se_re"],
        "ci_high_re": het["y_re"] + Z95 * het["se_re"],
    }



#: Kept for older imports.
_iv_heterogeneity = iv_heterogeneity
