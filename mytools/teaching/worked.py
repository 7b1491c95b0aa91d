"""Worked examples for the methods chapter: RevMan 5 formulas computed step by step.

Every quantity here is computed "by hand" with plain NumPy arithmetic written to be read next to the
formula, *not* through the engine's code path; the step tables then put the engine's answer
(``mytools.pooling``) beside it, so a reader sees that the two agree and where each number comes
from.  Formulas (RevMan 5 defaults, see ``ARCHITECTURE.md``):

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

from dataclasses import dataclass
from typing import Any, Mapping, Sequence

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
        "mean_t": [5.0, 4.9, 22.5, 12.5, 6.5],
        "sd_t": [4.7, 1.71, 3.44, 1.47, 0.76],
        "n_t": [13, 30, 35, 20, 8],
        "mean_c": [6.5, 6.1, 24.9, 12.3, 7.38],
        "sd_c": [3.8, 2.3, 10.65, 1.66, 1.41],
        "n_c": [13, 50, 35, 20, 8],
    }
)


# --------------------------------------------------------------------------------------------
# Hand computations (plain arithmetic, one line per formula)
# --------------------------------------------------------------------------------------------
def _iv_heterogeneity(y: np.ndarray, v: np.ndarray, pooled: float) -> dict[str, Any]:
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
    events_t: Sequence[int], n_t: Sequence[int], events_c: Sequence[int], n_c: Sequence[int]
) -> dict[str, Any]:
    """Mantel–Haenszel risk ratio, Greenland–Robins variance, Q, I², DL τ², random effects — by hand.

    RevMan 5 formulas (Greenland & Robins 1985; DerSimonian & Laird 1986; Higgins & Thompson 2002);
    the log scale is the analysis scale.  Studies with a zero cell are rejected (the worked example
    teaches the plain case; the engine handles RevMan's 0.5 correction).
    """
    a = np.asarray(events_t, dtype=float)
    n1 = np.asarray(n_t, dtype=float)
    c = np.asarray(events_c, dtype=float)
    n2 = np.asarray(n_c, dtype=float)
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
    het = _iv_heterogeneity(y, v, float(np.log(rr_mh)))
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
    mean_t: Sequence[float],
    sd_t: Sequence[float],
    n_t: Sequence[int],
    mean_c: Sequence[float],
    sd_c: Sequence[float],
    n_c: Sequence[int],
) -> dict[str, Any]:
    """Hedges' g per study (RevMan's and the exact J), inverse-variance pooling, Q, I², DL τ² — by hand.

    s_pooled = √(((n₁−1)s₁² + (n₂−1)s₂²)/(N−2)); d = (m₁ − m₂)/s_pooled; g = J d;
    SE(g) = √(N/(n₁n₂) + g²/(2(N − 3.94))) (RevMan 5); fixed effect ĝ = Σ w_i g_i/Σ w_i, w_i = 1/SE_i².
    """
    m1, s1, n1 = (np.asarray(x, dtype=float) for x in (mean_t, sd_t, n_t))
    m2, s2, n2 = (np.asarray(x, dtype=float) for x in (mean_c, sd_c, n_c))
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
    het = _iv_heterogeneity(g, v, g_fixed)
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


# --------------------------------------------------------------------------------------------
# Step tables: the hand value next to the engine's (mytools.pooling) answer
# --------------------------------------------------------------------------------------------
STEP_COLUMNS = ["step", "study", "quantity", "formula", "by_hand", "mytools", "published"]


@dataclass
class _Steps:
    rows: list[dict[str, Any]]

    def add(self, step: str, quantity: str, formula: str, by_hand: Any, mytools: Any = None,
            study: Sequence[str] | str = "pooled", published: float | None = None) -> None:
        hand = np.atleast_1d(np.asarray(by_hand, dtype=float))
        eng = (np.full(hand.shape, np.nan) if mytools is None
               else np.atleast_1d(np.asarray(mytools, dtype=float)))
        studies = [study] if isinstance(study, str) else list(study)
        for i, h in enumerate(hand):
            self.rows.append({"step": step, "study": studies[i], "quantity": quantity, "formula": formula,
                              "by_hand": float(h), "mytools": float(eng[i]),
                              "published": np.nan if published is None else float(published)})

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.rows, columns=STEP_COLUMNS)


def binary_step_table(
    events_t: Sequence[int], n_t: Sequence[int], events_c: Sequence[int], n_c: Sequence[int],
    labels: Sequence[str], published: Mapping[str, float] | None = None,
) -> pd.DataFrame:
    """Step table of a Mantel–Haenszel RR analysis: hand value, ``mytools`` value, published value.

    Steps: per-study RR and SE(ln RR); MH pieces R_i, S_i, weights and the Greenland–Robins P_i;
    pooled RR_MH, SE, 95% CI; inverse-variance weights, Q, I², DL τ², random-effects weights and
    estimate.  The engine's answers come from ``pool_binary`` (fixed MH, and random DL).
    """
    from mytools.engine.pooling import pool_binary

    h = hand_binary_rr(events_t, n_t, events_c, n_c)
    fe = pool_binary(events_t, n_t, events_c, n_c, measure="RR", method="MH", model="fixed", labels=labels)
    re = pool_binary(events_t, n_t, events_c, n_c, measure="RR", method="MH", model="random",
                     tau2_method="DL", labels=labels)
    pub = dict(published or {})
    s = _Steps([])
    lab = list(labels)
    s.add("1 per-study effect", "RR", "(a/n₁)/(c/n₂)", h["rr"], fe.studies["estimate"], lab)
    s.add("1 per-study effect", "SE(ln RR)", "√(1/a − 1/n₁ + 1/c − 1/n₂)", h["se_log_rr"], fe.studies["se"], lab)
    s.add("2 Mantel–Haenszel", "R", "a·n₂/N", h["R"], None, lab)
    s.add("2 Mantel–Haenszel", "S", "c·n₁/N", h["S"], None, lab)
    s.add("2 Mantel–Haenszel", "MH weight (%)", "100·S/ΣS", h["mh_weight_percent"], fe.studies["weight_percent"], lab)
    s.add("2 Mantel–Haenszel", "P (Greenland–Robins)", "(n₁n₂(a+c) − a·c·N)/N²", h["P"], None, lab)
    s.add("2 Mantel–Haenszel", "RR (MH, fixed)", "ΣR/ΣS", h["rr_mh"], fe.estimate, published=pub.get("estimate"))
    s.add("2 Mantel–Haenszel", "SE(ln RR MH)", "√(ΣP/(ΣR·ΣS))", h["se_log_rr_mh"], fe.se)
    s.add("2 Mantel–Haenszel", "95% CI, lower", "exp(ln RR − 1.96·SE)", h["ci_low"], fe.ci_low, published=pub.get("ci_low"))
    s.add("2 Mantel–Haenszel", "95% CI, upper", "exp(ln RR + 1.96·SE)", h["ci_high"], fe.ci_high, published=pub.get("ci_high"))
    s.add("2 Mantel–Haenszel", "P value", "2·Φ(−|ln RR/SE|)", h["p"], fe.p)
    s.add("3 heterogeneity", "w = 1/SE²", "1/SE(ln RR)²", h["w_iv"], None, lab)
    s.add("3 heterogeneity", "Q", "Σw·(ln RR − ln RR_MH)²", h["q"], fe.q)
    s.add("3 heterogeneity", "I² (%)", "100·max(0, (Q − df)/Q)", h["i2"], fe.i2)
    s.add("4 random effects (DL)", "τ² (DL)", "max(0, (Q − df)/(Σw − Σw²/Σw))", h["tau2"], re.tau2)
    s.add("4 random effects (DL)", "random weight (%)", "100·w*/Σw*, w* = 1/(SE² + τ²)", h["w_re_percent"], re.studies["weight_percent"], lab)
    s.add("4 random effects (DL)", "RR (random)", "exp(Σw*·ln RR/Σw*)", h["rr_re"], re.estimate)
    s.add("4 random effects (DL)", "95% CI (random), lower", "exp(ln RR − 1.96/√Σw*)", h["ci_low_re"], re.ci_low)
    s.add("4 random effects (DL)", "95% CI (random), upper", "exp(ln RR + 1.96/√Σw*)", h["ci_high_re"], re.ci_high)
    return s.frame()


def smd_step_table(data: pd.DataFrame = FLEISS1993_MENTAL_HEALTH) -> pd.DataFrame:
    """Step table of an SMD (Hedges' g) analysis: RevMan's J and SE vs the exact J, IV pooling, Q, I², τ².

    ``data`` has columns label, mean_t, sd_t, n_t, mean_c, sd_c, n_c.  The engine's answers come
    from ``pool_continuous(measure="SMD", smd="revman")`` (fixed and random DL) and, for the exact
    correction, ``smd="exact"``.
    """
    from mytools.engine.pooling import pool_continuous

    cols = [data[c].to_numpy() for c in ("mean_t", "sd_t", "n_t", "mean_c", "sd_c", "n_c")]
    lab = [str(x) for x in data["label"]]
    h = hand_smd(*cols)
    fe = pool_continuous(*cols, measure="SMD", smd="revman", model="fixed", labels=lab)
    re = pool_continuous(*cols, measure="SMD", smd="revman", model="random", tau2_method="DL", labels=lab)
    ex = pool_continuous(*cols, measure="SMD", smd="exact", model="fixed", labels=lab)
    s = _Steps([])
    s.add("1 per-study effect", "pooled SD", "√(((n₁−1)s₁² + (n₂−1)s₂²)/(N−2))", h["s_pooled"], None, lab)
    s.add("1 per-study effect", "d", "(m₁ − m₂)/SD_pooled", h["d"], None, lab)
    s.add("1 per-study effect", "J (RevMan)", "1 − 3/(4N − 9)", h["j"], None, lab)
    s.add("1 per-study effect", "J (exact)", "Γ(m/2)/(√(m/2)·Γ((m−1)/2)), m = N − 2", h["j_exact"], None, lab)
    s.add("1 per-study effect", "g (RevMan J)", "J·d", h["g"], fe.studies["estimate"], lab)
    s.add("1 per-study effect", "g (exact J)", "J_exact·d", h["g_exact"], ex.studies["estimate"], lab)
    s.add("1 per-study effect", "SE(g) (RevMan)", "√(N/(n₁n₂) + g²/(2(N − 3.94)))", h["se_g"], fe.studies["se"], lab)
    s.add("2 fixed effect (IV)", "weight (%)", "100·w/Σw, w = 1/SE²", h["w_iv_percent"], fe.studies["weight_percent"], lab)
    s.add("2 fixed effect (IV)", "SMD (fixed)", "Σw·g/Σw", h["g_fixed"], fe.estimate)
    s.add("2 fixed effect (IV)", "95% CI, lower", "SMD − 1.96/√Σw", h["ci_low"], fe.ci_low)
    s.add("2 fixed effect (IV)", "95% CI, upper", "SMD + 1.96/√Σw", h["ci_high"], fe.ci_high)
    s.add("3 heterogeneity", "Q", "Σw·(g − SMD)²", h["q"], fe.q)
    s.add("3 heterogeneity", "I² (%)", "100·max(0, (Q − df)/Q)", h["i2"], fe.i2)
    s.add("4 random effects (DL)", "τ² (DL)", "max(0, (Q − df)/(Σw − Σw²/Σw))", h["tau2"], re.tau2)
    s.add("4 random effects (DL)", "SMD (random)", "Σw*·g/Σw*, w* = 1/(SE² + τ²)", h["y_re"], re.estimate)
    return s.frame()


def display_steps(table: pd.DataFrame, digits: int = 4, skip: Sequence[str] = ()) -> pd.DataFrame:
    """Reader-facing version of a step table: rounded numbers and an 'agrees' mark.

    Column '=' is ✓ when |by hand − mytools| ≤ 1e-9·max(1, |by hand|), the difference otherwise,
    and — when the engine does not report that intermediate quantity; ``skip`` leaves out quantities.
    """
    out = table.copy()

    def agree(row: pd.Series) -> str:
        if np.isnan(row["mytools"]):
            return "—"
        diff = abs(row["by_hand"] - row["mytools"])
        return "✓" if diff <= 1e-9 * max(1.0, abs(row["by_hand"])) else f"{diff:.2g}"

    out["agrees"] = out.apply(agree, axis=1)
    fmt = f"{{:.{digits}f}}"
    for c in ("by_hand", "mytools", "published"):
        out[c] = out[c].map(lambda x: "" if pd.isna(x) else fmt.format(x))
    out = out.rename(columns={"by_hand": "by hand", "agrees": "agree"})
    if (out["published"] == "").all():
        out = out.drop(columns="published")
    if skip:
        out = out[~out["quantity"].isin(skip)]
    return out.drop(columns="step").set_index(["quantity", "study"])


def hedges_correction_table(sizes: pd.DataFrame) -> pd.DataFrame:
    """RevMan's J = 1 − 3/(4N − 9) vs the exact J for given trials (columns label, n_t, n_c).

    Adds N, both J's, and the relative difference of g (J_RevMan/J_exact − 1), in percent.
    """
    n_total = sizes["n_t"].to_numpy(dtype=float) + sizes["n_c"].to_numpy(dtype=float)
    j_r = hedges_j_revman(n_total)
    j_e = hedges_j_exact(n_total)
    return pd.DataFrame({
        "trial": sizes["label"].to_numpy(), "N": n_total.astype(int), "J (RevMan)": j_r,
        "J (exact)": j_e, "g difference (%)": 100.0 * (j_r / j_e - 1.0),
    })


# --------------------------------------------------------------------------------------------
# RevMan 5 vs modern choices on this review's own analyses
# --------------------------------------------------------------------------------------------
CHOICES: dict[str, str] = {
    "dl": "random effects, DL, Wald CI",
    "reml_hk": "random effects, REML τ², Hartung–Knapp CI",
    "pi": "95% prediction interval (DL)",
    "no_cc": "MH without the 0.5 correction",
    "i2_tau2": "I² from τ² (REML)",
}


def _excludes_null(lo: float, hi: float, log_scale: bool) -> bool:
    null = 1.0 if log_scale else 0.0
    return bool(lo > null or hi < null)


def _fmt(est: float, lo: float, hi: float) -> str:
    return f"{est:.2f} ({lo:.2f} to {hi:.2f})"


def choices_long(review_id: str = "cochrane2025", in_abstract_only: bool = True) -> pd.DataFrame:
    """Every re-computable analysis under RevMan 5's choice and each modern alternative (long form).

    Columns: analysis_id, abstract_no, k, choice, estimate, ci_low, ci_high, excludes_null,
    revman_excludes_null, changes_conclusion, applicable, note.  Variants are computed with
    ``mytools.analyses.reanalyse`` (DL; REML + Hartung–Knapp 2001 / IntHout et al. 2014; zero-cell
    rule) and ``mytools.pooling.i2_from_tau2`` (Higgins & Thompson 2002); the prediction interval is
    θ ± t_{k−2}·√(τ² + SE²) (Higgins et al. 2009), defined for k ≥ 3 only.  A choice "changes a
    conclusion" when its 95% interval excludes the null and RevMan's does not, or vice versa.
    """
    from mytools.analyses import analyses, analysis, reanalyse
    from mytools.data import load_data
    from mytools.engine.pooling import i2_from_tau2

    data = load_data()
    reg = analyses(data)
    reg = reg[(reg["review_id"] == review_id)]
    if in_abstract_only:
        reg = reg[reg["in_abstract"].astype(str).str.lower().isin(["true", "1"])]
    rows: list[dict[str, Any]] = []
    for aid in reg["analysis_id"]:
        a = analysis(aid, data)
        if a.result is None or a.status == "restated":
            continue
        base = a.result
        log = bool(base.log_scale)
        base_sig = _excludes_null(base.ci_low, base.ci_high, log)
        common = {"analysis_id": aid, "name": short_name(aid, a.spec), "abstract_no": a.spec.get("abstract_no"), "k": base.k,
                  "measure": base.measure, "revman_excludes_null": base_sig}

        def add(choice: str, est: float, lo: float, hi: float, applicable: bool, note: str = "",
                *, common: dict = common, log: bool = log, base_sig: bool = base_sig) -> None:
            sig = _excludes_null(lo, hi, log) if applicable else base_sig
            rows.append({**common, "choice": choice, "estimate": est, "ci_low": lo, "ci_high": hi,
                         "excludes_null": sig, "changes_conclusion": bool(applicable and sig != base_sig),
                         "applicable": applicable, "note": note})

        add("revman", base.estimate, base.ci_low, base.ci_high, True, f"{base.method} {base.model}")
        dl = reanalyse(aid, data, model="random", tau2_method="DL")
        add("dl", dl.estimate, dl.ci_low, dl.ci_high, True,
            "identical to fixed effect (k = 1)" if base.k == 1 else f"τ² = {dl.tau2:.3g}")
        if base.k >= 2:
            hk = reanalyse(aid, data, model="random", tau2_method="REML", ci="hksj")
            add("reml_hk", hk.estimate, hk.ci_low, hk.ci_high, True, f"t on {base.k - 1} df")
            v = base.studies.loc[base.studies["estimable"], "se"].to_numpy(dtype=float) ** 2
            i2t = float(i2_from_tau2(hk.tau2, v))
            add("i2_tau2", i2t, np.nan, np.nan, False, f"I² from Q = {base.i2:.0f}%, from τ² = {i2t:.0f}%")
        else:
            add("reml_hk", np.nan, np.nan, np.nan, False, "needs k ≥ 2")
            add("i2_tau2", np.nan, np.nan, np.nan, False, "needs k ≥ 2")
        if dl.pi_low is not None:
            add("pi", dl.estimate, dl.pi_low, dl.pi_high, True, "prediction interval")
        else:
            add("pi", np.nan, np.nan, np.nan, False, "needs k ≥ 3")
        inp = a.inputs
        if base.measure in ("RR", "OR", "RD") and {"events_t", "events_c"} <= set(inp.columns):
            zero = bool(((inp["events_t"] == 0) | (inp["events_c"] == 0)
                         | (inp["events_t"] == inp["n_t"]) | (inp["events_c"] == inp["n_c"])).any())
            if zero:
                nc = reanalyse(aid, data, zero_cell="none")
                add("no_cc", nc.estimate, nc.ci_low, nc.ci_high, True, "raw counts in the MH sums")
            else:
                add("no_cc", np.nan, np.nan, np.nan, False, "no zero cells")
        else:
            add("no_cc", np.nan, np.nan, np.nan, False, "not a 2×2 analysis")
    return pd.DataFrame(rows)


SHORT_CHOICES: dict[str, str] = {
    "revman": "RevMan 5 (published method)",
    "dl": "random, DL",
    "reml_hk": "random, REML + HK",
    "pi": "95% prediction interval",
    "i2_tau2": "I²: from Q → from τ²",
    "no_cc": "no 0.5 correction",
}


def choices_table(long: pd.DataFrame | None = None) -> pd.DataFrame:
    """The reader's table: one row per analysis, RevMan 5 next to each modern choice.

    Cells show 'estimate (lower to upper)'; '—' where a choice does not apply (the reason is in
    ``choices_long``'s ``note``); a ★ where the choice changes whether the 95% interval excludes
    no effect; for I², 'from Q → from τ²' in percent.
    """
    long = choices_long() if long is None else long
    out: dict[str, dict[str, str]] = {}
    for _, grp in long.groupby("analysis_id", sort=False):
        name = str(grp["name"].iloc[0])
        row = {"k": str(int(grp["k"].iloc[0]))}
        for _, r in grp.iterrows():
            if r["choice"] == "i2_tau2":
                i2q = r["note"].split("from Q = ")[1].split("%")[0] if "from Q" in r["note"] else ""
                cell = "—" if np.isnan(r["estimate"]) else f"{i2q}% → {r['estimate']:.0f}%"
            elif r["applicable"]:
                cell = _fmt(r["estimate"], r["ci_low"], r["ci_high"]) + (" ★" if r["changes_conclusion"] else "")
            else:
                cell = "—"
            row[SHORT_CHOICES[r["choice"]]] = cell
        out[name] = row
    table = pd.DataFrame.from_dict(out, orient="index")
    table.index.name = "result (2025 abstract no.)"
    return table


def choices_summary(long: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per modern choice: in how many analyses it applies and in how many it changes a conclusion."""
    long = choices_long() if long is None else long
    rows = []
    for key, label in CHOICES.items():
        g = long[long["choice"] == key]
        changed = g.loc[g["changes_conclusion"], "analysis_id"].tolist()
        rows.append({"choice": label, "analyses": int(g["analysis_id"].nunique()),
                     "applicable": int(g["applicable"].sum()) if key != "i2_tau2" else int(g["estimate"].notna().sum()),
                     "changes_conclusion": len(changed),
                     "changed_in": "; ".join(g.loc[g["changes_conclusion"], "name"]) or "none"})
    return pd.DataFrame(rows).set_index("choice")


def choices_counts(long: pd.DataFrame) -> dict[str, int]:
    """Counts the page quotes about the analyses in ``choices_long()``: how many there are
    (``n``), how many pool at least two (``k2``) and at least three (``k3``) studies."""
    k = long.groupby("analysis_id")["k"].first()
    return {"n": int(k.size), "k2": int((k >= 2).sum()), "k3": int((k >= 3).sum())}


# --------------------------------------------------------------------------------------------
# Helpers that read this review's data (for the chapter)
# --------------------------------------------------------------------------------------------
def analysis_step_table(analysis_id: str = "ivig_sae") -> pd.DataFrame:
    """``binary_step_table`` for a registered 2×2 analysis, inputs and published result read via
    ``mytools.analyses.analysis`` (nothing typed in)."""
    from mytools.analyses import analysis

    a = analysis(analysis_id)
    inp = a.inputs
    need = {"events_t", "n_t", "events_c", "n_c", "label"}
    if not need <= set(inp.columns):
        raise ValueError(f"{analysis_id}: inputs lack {sorted(need - set(inp.columns))}; a 2×2 analysis is needed")
    pub = a.published or {}
    return binary_step_table(inp["events_t"].astype(int).tolist(), inp["n_t"].astype(int).tolist(),
                             inp["events_c"].astype(int).tolist(), inp["n_c"].astype(int).tolist(),
                             [str(x) for x in inp["label"]],
                             {k: pub[k] for k in ("estimate", "ci_low", "ci_high") if pub.get(k) is not None})


def step_value(table: pd.DataFrame, quantity: str, study: str = "pooled", column: str = "by_hand") -> float:
    """One number from a step table (for glue), e.g. ``step_value(t, "Q")``."""
    sel = table[(table["quantity"] == quantity) & (table["study"] == study)]
    if len(sel) != 1:
        raise KeyError(f"step table has {len(sel)} rows for quantity={quantity!r}, study={study!r}")
    return float(sel[column].iloc[0])


def review_hedges_table(study_ids: Sequence[str] = ("Dalakas1993", "Miyasaka2012", "Aggarwal2022")) -> pd.DataFrame:
    """``hedges_correction_table`` for trials of this review, arm sizes read from ``data/studies.csv``."""
    from mytools.data import load_data

    st = load_data().studies.set_index("study_id")
    missing = [s for s in study_ids if s not in st.index]
    if missing:
        raise ValueError(f"data/studies.csv: study_id {missing} not found")
    sizes = pd.DataFrame({"label": st.loc[list(study_ids), "label"].to_numpy(),
                          "n_t": pd.to_numeric(st.loc[list(study_ids), "n_intervention"]).to_numpy(),
                          "n_c": pd.to_numeric(st.loc[list(study_ids), "n_control"]).to_numpy()})
    if sizes[["n_t", "n_c"]].isna().any().any():
        raise ValueError("data/studies.csv: n_intervention/n_control missing for one of " + ", ".join(study_ids))
    return hedges_correction_table(sizes)


def short_name(analysis_id: str, spec: Mapping[str, Any] | None = None) -> str:
    """'#5 IVIg: serious adverse events'-style short name of a registered analysis."""
    if spec is None:
        from mytools.analyses import analysis

        spec = analysis(analysis_id).spec
    outcome = str(spec["outcome"]).split(",")[0].split(" (")[0]
    if len(outcome) > 36:
        outcome = outcome[:35].rstrip() + "…"
    comp = str(spec["comparison"]).split(" (")[0].split(" vs ")[0]
    no = spec.get("abstract_no")
    if len(outcome) > 1 and outcome[1].islower():
        outcome = outcome[0].lower() + outcome[1:]
    return (f"#{int(no)} " if no not in (None, "") else "") + f"{comp}: {outcome}"


def wald_vs_t_critical(df: int) -> tuple[float, float]:
    """The 97.5% quantiles used by a Wald (normal) and a Hartung–Knapp (t on ``df`` d.f.) interval."""
    return Z95, float(stats.t.ppf(0.975, df))


def choices_verdict(summary: pd.DataFrame) -> str:
    """One sentence for the prose, from ``choices_summary``: which choices change a conclusion."""
    changed = summary[summary["changes_conclusion"] > 0]
    if changed.empty:
        return "the review's conclusions do not depend on RevMan's methodological defaults"
    parts = [f"{name} (in {row.changed_in})" for name, row in changed.iterrows()]
    return "the conclusion depends on the method for " + "; ".join(parts)


#: Reader-facing column names for ``choices_summary``.
SUMMARY_LABELS: dict[str, str] = {
    "analyses": "results", "applicable": "applies to", "changes_conclusion": "changes a conclusion",
    "changed_in": "where",
}
