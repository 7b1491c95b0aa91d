"""Meta-analysis pooling with RevMan 5 defaults, modern options, and a vectorised many-analysis core.

Defaults are RevMan 5's (Deeks & Higgins, *Statistical algorithms in Review Manager 5*, 2010):

* Mantel–Haenszel (MH) fixed effect: RR and RD with Greenland–Robins variances, OR with the
  Robins–Breslow–Greenland variance; MH weights shown as weight percent.
* Heterogeneity Q about the pooled fixed-effect estimate with inverse-variance weights 1/v_i of the
  per-study (log) estimates; df = k − 1; I² = max(0, (Q − df)/Q)·100 (0 when Q = 0).
* Random effects: DerSimonian–Laird τ² = max(0, (Q − df)/(Σw − Σw²/Σw)) from that Q, then
  inverse-variance pooling with weights 1/(v_i + τ²).
* Wald 95% intervals (z = Φ⁻¹(0.975)).

Options, named as such: REML and Paule–Mandel τ²; Hartung–Knapp–Sidik–Jonkman intervals as
metafor's ``test="knha"`` (untruncated: SE² = Σw*(y−μ)²/((k−1)Σw*), t on k − 1 df); prediction
intervals (Higgins, Thompson & Spiegelhalter 2009: μ ± t_{k−2}·√(τ² + SE²), only for k ≥ 3);
MH sums on raw counts (``zero_cell="none"``, metafor ``rma.mh``'s default); the Peto odds ratio.

I² is always RevMan's Q-based I², whichever τ² method is used (metafor reports a τ²-based I² for
REML/PM: :func:`i2_from_tau2` gives that one).

Not-estimable data: double-zero studies are kept in ``studies`` with ``estimable=False`` and left
out of the pooling (a note says so). When *no* study is estimable, :class:`NotEstimableError`
(a ``ValueError``) is raised — never a silent NaN.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping, Sequence

import numpy as np
import pandas as pd
from scipy import optimize, special

from .effects import (
    BINARY_MEASURES,
    CONTINUOUS_MEASURES,
    InputError,
    binary_effects,
    check_option,
    continuous_effects,
    generic_effects,
)

__all__ = [
    "MetaResult",
    "ManyResult",
    "SubgroupResult",
    "NotEstimableError",
    "ConvergenceError",
    "pool_binary",
    "pool_continuous",
    "pool_generic",
    "pool_many",
    "pool_subgroups",
    "i2_from_tau2",
]

Z975 = float(-special.ndtri(0.025))  # scipy.special: the routines behind scipy.stats, without its overhead
MODELS = ("fixed", "random")
TAU2_METHODS = ("DL", "REML", "PM")
CI_METHODS = ("wald", "hksj")
BINARY_METHODS = ("MH", "IV", "Peto")
ZERO_CELL_RULES = ("revman", "none")
_TOL = 1e-12
_MAXITER = 500


class NotEstimableError(ValueError):
    """No study in the analysis has an estimable effect (e.g. all double-zero for RR/OR)."""


class ConvergenceError(RuntimeError):
    """An iterative τ² estimator (REML, PM) did not converge."""


# --------------------------------------------------------------------------------------------
# result objects


@dataclass(frozen=True, eq=False)
class MetaResult:
    """One pooled analysis.

    ``estimate, ci_low, ci_high``: natural scale (ratios for RR/OR); ``theta`` and ``se``: analysis
    scale (log for ratios). ``z``/``p``: test of no effect, z = theta/se signed (RevMan prints |Z|;
    a t statistic on k − 1 df when ``ci_method == "hksj"``). ``q, df, p_q, i2``: heterogeneity as RevMan reports it (``p_q`` is
    None when df = 0). ``pi_low, pi_high``: prediction interval, random effects with k ≥ 3 only.
    ``studies``: one row per input study, including those not estimable.
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
    """Results of :func:`pool_many`, one entry per row (analysis scale)."""

    estimate: np.ndarray
    se: np.ndarray
    ci_low: np.ndarray
    ci_high: np.ndarray
    tau2: np.ndarray
    q: np.ndarray
    i2: np.ndarray
    k: np.ndarray
    iterations: int = 0


@dataclass(frozen=True, eq=False)
class SubgroupResult:
    """Pooled result per subgroup and the test for subgroup differences (as RevMan reports it)."""

    subgroups: dict[str, MetaResult]
    q: float
    df: int
    p: float
    i2: float

    def table(self) -> pd.DataFrame:
        """One row per subgroup: estimate, CI, k, I², τ²."""
        return pd.DataFrame(
            [
                {"subgroup": name, "estimate": r.estimate, "ci_low": r.ci_low, "ci_high": r.ci_high,
                 "k": r.k, "i2": r.i2, "tau2": r.tau2}
                for name, r in self.subgroups.items()
            ]
        )


# --------------------------------------------------------------------------------------------
# small formulas


def _i2(q: float, df: int) -> float:
    """RevMan I² = max(0, (Q − df)/Q)·100, and 0 when Q = 0."""
    return 0.0 if q <= 0 or q <= df else (q - df) / q * 100.0


def _iv(y: np.ndarray, v: np.ndarray) -> tuple[float, float, float]:
    """Inverse-variance fixed effect: μ = Σwy/Σw, SE = 1/√Σw, Q = Σw(y − μ)², w = 1/v."""
    w = 1.0 / v
    mu = float(np.sum(w * y) / np.sum(w))
    return mu, float(np.sqrt(1.0 / np.sum(w))), float(np.sum(w * (y - mu) ** 2))


def _tau2_dl(q: float, v: np.ndarray) -> float:
    """DerSimonian–Laird: τ² = max(0, (Q − (k−1)) / (Σw − Σw²/Σw)), w = 1/v (0 for k = 1)."""
    k = v.size
    if k < 2:
        return 0.0
    w = 1.0 / v
    c = np.sum(w) - np.sum(w**2) / np.sum(w)
    return max(0.0, (q - (k - 1)) / c)


def _reml_score(t: float, y: np.ndarray, v: np.ndarray) -> float:
    """REML score ∂ℓ/∂τ² (×2) = y'PPy − tr(P), P = W − W11'W/Σw, W = diag(1/(v + τ²))."""
    w = 1.0 / (v + t)
    sw = np.sum(w)
    mu = np.sum(w * y) / sw
    return float(np.sum(w**2 * (y - mu) ** 2) - (sw - np.sum(w**2) / sw))


def _pm_eq(t: float, y: np.ndarray, v: np.ndarray) -> float:
    """Paule–Mandel estimating equation: Σw(y − μ)² − (k − 1), w = 1/(v + τ²)."""
    w = 1.0 / (v + t)
    mu = np.sum(w * y) / np.sum(w)
    return float(np.sum(w * (y - mu) ** 2) - (y.size - 1))


def _root_from_zero(f, y: np.ndarray, v: np.ndarray, decreasing_sign_at_zero: float) -> float:
    """τ² = 0 when f(0) ≤ 0, else the root of f in (0, ∞) by bracketing and Brent's method."""
    if y.size < 2 or decreasing_sign_at_zero <= 0:
        return 0.0
    hi = max(1e-8, float(np.var(y)) + float(np.max(v)))
    for _ in range(200):
        if f(hi, y, v) < 0:
            break
        hi *= 2
    else:  # pragma: no cover - f → −(tr P) < 0 as τ² → ∞, so a bracket always exists
        raise ConvergenceError("could not bracket the τ² root")
    return float(optimize.brentq(f, 0.0, hi, args=(y, v), xtol=1e-15, rtol=1e-15, maxiter=1000))


def _tau2(method: str, y: np.ndarray, v: np.ndarray, q_dl: float) -> float:
    """τ² by DL (from ``q_dl``), REML (root of the REML score) or PM (root of the PM equation).

    The scalar REML/PM estimators use root-finding (Brent) rather than the vectorised iterations of
    :func:`pool_many`, so the two implementations check each other.
    """
    if method == "DL":
        return _tau2_dl(q_dl, v)
    if method == "REML":
        return _root_from_zero(_reml_score, y, v, _reml_score(0.0, y, v) if y.size > 1 else 0.0)
    return _root_from_zero(_pm_eq, y, v, _pm_eq(0.0, y, v) if y.size > 1 else 0.0)


# --------------------------------------------------------------------------------------------
# Mantel–Haenszel and Peto


def _mh(a, b, c, d, measure: str) -> tuple[float, float, np.ndarray]:
    """MH pooled estimate (log scale for RR/OR), its SE, and the MH weights.

    RR: R = Σ(a n2/N)/Σ(c n1/N); var ln R = Σ[(n1 n2 (a+c) − a c N)/N²] / [Σ(a n2/N) Σ(c n1/N)]
    (Greenland & Robins 1985); weights c n1/N.
    OR: R = Σ(ad/N)/Σ(bc/N); Robins, Breslow & Greenland (1986) variance with P = (a+d)/N,
    Q = (b+c)/N, R = ad/N, S = bc/N: ΣPR/(2(ΣR)²) + Σ(PS+QR)/(2ΣRΣS) + ΣQS/(2(ΣS)²); weights bc/N.
    RD: Σ[(a n2 − c n1)/N]/Σ(n1 n2/N); var = Σ[(a b n2³ + c d n1³)/(n1 n2 N²)]/(Σ n1 n2/N)²
    (Greenland & Robins 1985, as RevMan; metafor's rma.mh uses Sato et al. 1989 instead);
    weights n1 n2/N. For RD, :func:`pool_binary` takes the estimate and weights from the raw counts
    and only the variance from the 0.5-corrected cells (R meta's RevMan convention).
    """
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


def _peto(a, b, c, d):
    """Peto: O − E = a − n1(a+c)/N, V = n1 n2 (a+c)(b+d)/(N²(N−1)); ln OR_i = (O−E)/V, var 1/V."""
    n1, n2 = a + b, c + d
    N = n1 + n2
    oe = a - n1 * (a + c) / N
    V = n1 * n2 * (a + c) * (b + d) / (N**2 * (N - 1))
    return oe, V


# --------------------------------------------------------------------------------------------
# assembling a result


def _check_common(model: str, tau2_method: str, ci: str) -> None:
    check_option("model", model, MODELS)
    check_option("tau2_method", tau2_method, TAU2_METHODS)
    check_option("ci", ci, CI_METHODS)
    if ci == "hksj" and model != "random":
        raise InputError("ci='hksj' (Hartung–Knapp) applies to model='random' only")


def _back(x: float | np.ndarray, log_scale: bool):
    return np.exp(x) if log_scale else x


def _assemble(
    *,
    labels: tuple[str, ...],
    inputs: dict[str, np.ndarray],
    y_all: np.ndarray,
    v_all: np.ndarray,
    estimable: np.ndarray,
    extra_cols: dict[str, np.ndarray],
    fixed: tuple[float, float, np.ndarray] | None,
    q: float | None,
    measure: str,
    method: str,
    model: str,
    tau2_method: str,
    ci: str,
    log_scale: bool,
    notes: list[str],
) -> MetaResult:
    e = estimable
    if not np.any(e):
        raise NotEstimableError(
            f"no study is estimable for {measure} ({method}): "
            + ", ".join(repr(x) for x in labels)
            + " all have no events in both arms or events in every participant of both arms"
        )
    skipped = [labels[i] for i in np.flatnonzero(~e)]
    if skipped:
        notes.append("not estimable (double zero), excluded from pooling: " + ", ".join(skipped))
    y, v = y_all[e], v_all[e]
    k = int(y.size)
    df = k - 1
    if fixed is None:  # inverse variance
        mu, se_f, q_iv = _iv(y, v)
        fixed = (mu, se_f, 1.0 / v)
        q = q_iv
    assert q is not None
    if k == 1:
        q = 0.0
    theta_f, se_f, w_fixed = fixed
    if not (np.isfinite(theta_f) and np.isfinite(se_f) and se_f > 0):
        raise NotEstimableError(
            f"the pooled {measure} ({method}) is not estimable from these counts "
            f"(estimate {theta_f!r}, SE {se_f!r}); with zero_cell='none' a zero total of events in one "
            "arm across all studies makes the MH estimate infinite; use zero_cell='revman'"
        )
    tau2 = 0.0
    pi_low = pi_high = None
    ci_method = ci
    if model == "fixed":
        theta, se, w = theta_f, se_f, w_fixed
        crit, tdf = Z975, None
        tau2_out: str | None = None
    else:
        tau2_out = tau2_method
        tau2 = _tau2(tau2_method, y, v, q)
        w = 1.0 / (v + tau2)
        theta = float(np.sum(w * y) / np.sum(w))
        se = float(np.sqrt(1.0 / np.sum(w)))
        crit, tdf = Z975, None
        if ci == "hksj":
            if k < 2:
                ci_method = "wald"
                notes.append("Hartung–Knapp needs k ≥ 2; with one study the Wald interval is shown")
            else:
                se = float(np.sqrt(np.sum(w * (y - theta) ** 2) / ((k - 1) * np.sum(w))))
                tdf = df
                crit = float(special.stdtrit(df, 0.975))
                if se == 0:
                    raise NotEstimableError(
                        "Hartung–Knapp SE is 0 (all study estimates identical); use ci='wald'"
                    )
        if k >= 3:
            half = float(special.stdtrit(k - 2, 0.975)) * np.sqrt(tau2 + se**2)
            pi_low, pi_high = float(_back(theta - half, log_scale)), float(_back(theta + half, log_scale))
    z = theta / se
    p = float(2 * (special.stdtr(tdf, -abs(z)) if tdf is not None else special.ndtr(-abs(z))))
    lo, hi = theta - crit * se, theta + crit * se
    # per-study table
    weight_pct = np.zeros(len(labels))
    weight_pct[e] = 100.0 * w / np.sum(w)
    sd = np.sqrt(v_all)
    est = _back(y_all, log_scale)
    table = {"label": list(labels), **inputs,
             "estimate": est,
             "ci_low": _back(y_all - Z975 * sd, log_scale),
             "ci_high": _back(y_all + Z975 * sd, log_scale),
             "se": sd, "weight_percent": weight_pct, "estimable": e.astype(bool), **extra_cols}
    return MetaResult(
        estimate=float(_back(theta, log_scale)), ci_low=float(_back(lo, log_scale)),
        ci_high=float(_back(hi, log_scale)), se=float(se), z=float(z), p=p, q=float(q), df=df,
        p_q=float(special.chdtrc(df, q)) if df > 0 else None, i2=_i2(q, df), tau2=float(tau2), k=k,
        pi_low=pi_low, pi_high=pi_high, measure=measure, method=method, model=model,
        tau2_method=tau2_out, ci_method=ci_method, log_scale=log_scale, theta=float(theta),
        studies=pd.DataFrame(table), notes=tuple(notes),
    )


# --------------------------------------------------------------------------------------------
# public pooling functions


def pool_binary(
    events_t: Sequence[float] | np.ndarray,
    n_t: Sequence[float] | np.ndarray,
    events_c: Sequence[float] | np.ndarray,
    n_c: Sequence[float] | np.ndarray,
    *,
    measure: str = "RR",
    method: str = "MH",
    model: str = "fixed",
    tau2_method: str = "DL",
    ci: str = "wald",
    zero_cell: str = "revman",
    labels: Sequence[object] | None = None,
) -> MetaResult:
    """Pool 2×2 tables (RevMan 5 defaults: MH, fixed effect, 0.5 added to studies with a zero cell).

    ``method``: "MH" (formulas in :func:`_mh`), "IV" (inverse variance of the per-study estimates
    of :func:`mytools.effects.binary_effects`) or "Peto" (OR only, fixed effect only as in RevMan;
    pooled ln OR = Σ(O−E)/ΣV, SE = 1/√ΣV, raw counts, no continuity correction).
    ``zero_cell``: "revman" adds 0.5 to every cell of a study with a zero cell, in the per-study
    estimates *and* in the MH sums; "none" uses raw counts in the MH sums (metafor ``rma.mh``),
    per-study estimates (and hence Q and τ²) still with 0.5 added. For RD the estimate and MH
    weights always use the raw counts and the correction enters the variances only (R meta's RevMan
    convention); a double-zero study is estimable for RD and kept. Double-zero studies are excluded
    from RR/OR analyses under both rules (metafor would keep an all-events study in an MH RR sum).
    Q for MH is about the MH estimate with weights 1/v_i; random effects use DL τ² from that Q.
    """
    check_option("measure", measure, BINARY_MEASURES)
    check_option("method", method, BINARY_METHODS)
    check_option("zero_cell", zero_cell, ZERO_CELL_RULES)
    _check_common(model, tau2_method, ci)
    es, raw = binary_effects(events_t, n_t, events_c, n_c, measure=measure, labels=labels)
    inputs = {"events_t": raw["a"], "n_t": raw["n1"], "events_c": raw["c"], "n_c": raw["n2"]}
    extra = {"zero_cell_corrected": es.corrected.astype(bool)}
    notes: list[str] = []
    e = es.estimable
    if method == "Peto":
        if measure != "OR":
            raise InputError(f"method='Peto' pools odds ratios only; got measure={measure!r}")
        if model != "fixed":
            raise InputError("method='Peto' is a fixed-effect method (RevMan offers no random-effects Peto)")
        oe, V = _peto(raw["a"], raw["b"], raw["c"], raw["d"])
        e = V > 0
        y = np.full(V.shape, np.nan)
        v = np.full(V.shape, np.nan)
        y[e], v[e] = oe[e] / V[e], 1.0 / V[e]
        fixed = None
        if np.any(e):
            theta = float(np.sum(oe[e]) / np.sum(V[e]))
            q = float(np.sum(oe[e] ** 2 / V[e]) - np.sum(oe[e]) ** 2 / np.sum(V[e]))
            fixed = (theta, float(1 / np.sqrt(np.sum(V[e]))), V[e])
        extra["zero_cell_corrected"] = np.zeros(V.shape, dtype=bool)
        return _assemble(labels=es.labels, inputs=inputs, y_all=y, v_all=v, estimable=e,
                         extra_cols=extra, fixed=fixed, q=q if fixed else None, measure=measure,
                         method=method, model=model, tau2_method=tau2_method, ci=ci,
                         log_scale=True, notes=notes)
    fixed = None
    q = None
    if method == "MH" and np.any(e):
        if zero_cell == "revman":
            corr = 0.5 * es.corrected[e]
            cells = [raw[x][e] + corr for x in "abcd"]
        else:
            cells = [raw[x][e] for x in "abcd"]
        theta, se, w = _mh(*cells, measure)
        if measure == "RD":  # RD and its MH weights on raw counts; the correction enters the SE only
            theta, _, w = _mh(*[raw[x][e] for x in "abcd"], measure)
        fixed = (theta, se, w)
        q = float(np.sum((es.y[e] - theta) ** 2 / es.v[e]))
        if zero_cell == "none" and np.any(es.corrected[e]):
            notes.append("MH sums on raw counts; per-study estimates with 0.5 added to zero-cell studies")
    if zero_cell == "revman" and np.any(es.corrected & e):
        notes.append("0.5 added to every cell of: "
                     + ", ".join(es.labels[i] for i in np.flatnonzero(es.corrected & e)))
    return _assemble(labels=es.labels, inputs=inputs, y_all=es.y, v_all=es.v, estimable=e,
                     extra_cols=extra, fixed=fixed, q=q, measure=measure, method=method,
                     model=model, tau2_method=tau2_method, ci=ci, log_scale=es.log_scale, notes=notes)


def pool_continuous(
    mean_t: Sequence[float] | np.ndarray,
    sd_t: Sequence[float] | np.ndarray,
    n_t: Sequence[float] | np.ndarray,
    mean_c: Sequence[float] | np.ndarray,
    sd_c: Sequence[float] | np.ndarray,
    n_c: Sequence[float] | np.ndarray,
    *,
    measure: str = "MD",
    smd: str = "revman",
    model: str = "fixed",
    tau2_method: str = "DL",
    ci: str = "wald",
    labels: Sequence[object] | None = None,
) -> MetaResult:
    """Inverse-variance pooling of MD or SMD (per-study formulas in
    :func:`mytools.effects.continuous_effects`; ``smd="revman"`` is RevMan 5's Hedges' g)."""
    check_option("measure", measure, CONTINUOUS_MEASURES)
    _check_common(model, tau2_method, ci)
    es, raw = continuous_effects(mean_t, sd_t, n_t, mean_c, sd_c, n_c, measure=measure, smd=smd,
                                 labels=labels)
    inputs = {"mean_t": raw["m1"], "sd_t": raw["s1"], "n_t": raw["n1"],
              "mean_c": raw["m2"], "sd_c": raw["s2"], "n_c": raw["n2"]}
    notes = []
    if measure == "SMD":
        notes.append("SMD: Hedges' g, " + ("RevMan 5 formulas (J = 1 - 3/(4N - 9))" if smd == "revman"
                                           else "exact J and variance as metafor escalc('SMD')"))
    return _assemble(labels=es.labels, inputs=inputs, y_all=es.y, v_all=es.v, estimable=es.estimable,
                     extra_cols={}, fixed=None, q=None, measure=measure, method="IV", model=model,
                     tau2_method=tau2_method, ci=ci, log_scale=False, notes=notes)


def pool_generic(
    estimate: Sequence[float] | np.ndarray,
    se: Sequence[float] | np.ndarray,
    *,
    log_scale: bool = False,
    model: str = "fixed",
    tau2_method: str = "DL",
    ci: str = "wald",
    labels: Sequence[object] | None = None,
) -> MetaResult:
    """Generic inverse-variance pooling (RevMan "O−E and variance"/"generic IV" outcomes).

    ``estimate`` on the natural scale (ratios when ``log_scale``), ``se`` on the analysis scale.
    """
    _check_common(model, tau2_method, ci)
    es = generic_effects(estimate, se, log_scale=log_scale, labels=labels)
    inputs = {"estimate_in": np.asarray(estimate, dtype=float).reshape(-1),
              "se_in": np.asarray(se, dtype=float).reshape(-1)}
    return _assemble(labels=es.labels, inputs=inputs, y_all=es.y, v_all=es.v, estimable=es.estimable,
                     extra_cols={}, fixed=None, q=None, measure="generic", method="IV",
                     model=model, tau2_method=tau2_method, ci=ci, log_scale=bool(log_scale), notes=[])


# --------------------------------------------------------------------------------------------
# vectorised core


def _rowsum(a: np.ndarray) -> np.ndarray:
    return np.einsum("ij->i", a)


def _colsum(cols: list[np.ndarray]) -> np.ndarray:
    """Element-wise sum of equally long 1-D arrays (one per study column)."""
    out = cols[0].copy()
    for c in cols[1:]:
        out += c
    return out


def _rowdot(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.einsum("ij,ij->i", a, b)


def _t975(df: np.ndarray) -> np.ndarray:
    """t quantiles per row, computed once per distinct df."""
    u, inv = np.unique(df, return_inverse=True)
    return special.stdtrit(u, 0.975)[inv]


def _check_many(Y: np.ndarray, V: np.ndarray, ci: str) -> tuple[np.ndarray, bool]:
    """Validate NaN-padded rows for :func:`pool_many`; errors name the first bad row."""
    miss = np.isnan(Y)
    vmiss = np.isnan(V)
    if np.any(miss != vmiss):
        r = int(np.flatnonzero(np.any(miss != vmiss, axis=1))[0])
        raise InputError(f"row {r}: y and v are not NaN in the same cells")
    bad = np.isinf(Y) | np.isinf(V)
    if np.any(bad):
        raise InputError(f"row {int(np.flatnonzero(bad.any(axis=1))[0])}: y or v is infinite")
    nonpos = ~miss & ~(np.where(miss, 1.0, V) > 0)
    if np.any(nonpos):
        raise InputError(f"row {int(np.flatnonzero(nonpos.any(axis=1))[0])}: field 'v' must be > 0")
    k = Y.shape[1] - miss.sum(axis=1)
    if np.any(k == 0):
        raise InputError(f"row {int(np.flatnonzero(k == 0)[0])}: no studies (all NaN)")
    if ci == "hksj" and np.any(k < 2):
        raise InputError(f"row {int(np.flatnonzero(k < 2)[0])}: Hartung–Knapp needs at least 2 studies")
    return k, bool(miss.any())


def pool_many(
    y: np.ndarray,
    v: np.ndarray,
    *,
    model: str = "random",
    tau2_method: str = "DL",
    ci: str = "wald",
) -> ManyResult:
    """Inverse-variance pooling of many analyses at once, one per row of ``y``/``v``.

    Rows are NaN-padded (the same cells must be NaN in ``y`` and ``v``); every row needs at least
    one study (two for ``ci="hksj"``). All work is array arithmetic over rows (a missing cell gets
    v = ∞, hence weight 0): DL in closed form; REML (root of the REML score y'PPy − tr P) and PM
    (root of Σw(y − μ)² − (k − 1)) by a vectorised safeguarded Newton/bisection iteration on the
    rows not yet converged (|Δτ²| ≤ 1e-12·(1 + τ²)), see :func:`_iterate_tau2`; τ² = 0 when the
    estimating function is ≤ 0 at 0. Rows unconverged after 500 steps raise ConvergenceError.
    Q and I² as in RevMan (inverse-variance fixed-effect Q); estimates on the analysis scale.
    """
    _check_common(model, tau2_method, ci)
    Y = np.asarray(y, dtype=float)
    V = np.asarray(v, dtype=float)
    if Y.ndim != 2 or Y.shape != V.shape:
        raise InputError(f"y and v must be 2-D arrays of the same shape, got {Y.shape} and {V.shape}")
    if Y.shape[1] == 0:
        raise InputError("y and v have no columns (no studies)")
    clean = bool(np.isfinite(Y).all() and np.isfinite(V).all() and (V > 0).all())  # fast path
    if clean and ci == "hksj" and Y.shape[1] < 2:
        raise InputError("row 0: Hartung–Knapp needs at least 2 studies")
    if clean:
        k = np.full(Y.shape[0], Y.shape[1])
        any_miss = False
    else:
        k, any_miss = _check_many(Y, V, ci)
    if any_miss:  # a missing study: y = 0 and v = ∞, so its weight 1/(v + τ²) is exactly 0
        miss = np.isnan(Y)
        Y = np.where(miss, 0.0, Y)
        V = np.where(miss, np.inf, V)
    # The closed-form part works column by column: with few studies per row (the usual case) a
    # handful of 1-D passes over the rows is much faster than reductions along a short axis 1.
    ys = [np.ascontiguousarray(Y[:, j]) for j in range(Y.shape[1])]
    vs = [np.ascontiguousarray(V[:, j]) for j in range(V.shape[1])]
    ws = [1.0 / vj for vj in vs]
    sw = _colsum(ws)
    mu_f = _colsum([w * yj for w, yj in zip(ws, ys)]) / sw
    q = _colsum([w * (yj - mu_f) ** 2 for w, yj in zip(ws, ys)])
    df = k - 1
    single = k == 1
    if single.any():
        q[single] = 0.0
    i2 = np.where(q > df, (q - df) / np.where(q > 0, q, 1.0) * 100.0, 0.0)
    iters = 0
    if model == "fixed":
        tau2 = np.zeros(Y.shape[0])
        swr, mu = sw, mu_f
    else:
        c = sw - _colsum([w * w for w in ws]) / sw
        with np.errstate(divide="ignore", invalid="ignore"):
            tau2 = np.where(single, 0.0, np.maximum(0.0, (q - df) / c))
        if tau2_method in ("REML", "PM"):
            tau2, iters = _iterate_tau2(tau2_method, Y, V, k, tau2)
        ws = [1.0 / (vj + tau2) for vj in vs]
        swr = _colsum(ws)
        mu = _colsum([w * yj for w, yj in zip(ws, ys)]) / swr
    se = np.sqrt(1.0 / swr)
    if ci == "hksj":
        se = np.sqrt(_colsum([w * (yj - mu) ** 2 for w, yj in zip(ws, ys)]) / (df * swr))
        half = _t975(df) * se
    else:
        half = Z975 * se
    return ManyResult(estimate=mu, se=se, ci_low=mu - half, ci_high=mu + half,
                      tau2=tau2, q=q, i2=i2, k=k, iterations=iters)


def _score(method: str, y: np.ndarray, v: np.ndarray, t: np.ndarray, km1: np.ndarray):
    """Estimating function f(τ²) (root = estimate; f decreases through the root) and f'(τ²), per row.

    REML: f = Σw²r² − tr P, with tr P = Σw − Σw²/Σw, r = y − μ(τ²), w = 1/(v + τ²);
    f' = −2Σw³r² + 2(Σw²r)²/Σw + Σw² − 2Σw³/Σw + (Σw²/Σw)².
    PM:   f = Σw r² − (k − 1);  f' = −Σw²r².
    """
    w = 1.0 / (v + t[:, None])
    sw = _rowsum(w)
    r = y - (_rowdot(w, y) / sw)[:, None]
    w2 = w * w
    r2 = r * r
    w2r2 = _rowdot(w2, r2)
    if method == "PM":
        return _rowdot(w, r2) - km1, -w2r2
    sw2 = _rowsum(w2)
    w3 = w2 * w
    sw3 = _rowsum(w3)
    f = w2r2 - (sw - sw2 / sw)
    df = (-2 * _rowdot(w3, r2) + 2 * _rowdot(w2, r) ** 2 / sw + sw2 - 2 * sw3 / sw + (sw2 / sw) ** 2)
    return f, df


def _iterate_tau2(method: str, Y: np.ndarray, V: np.ndarray, k: np.ndarray, start: np.ndarray):
    """Vectorised REML or PM τ²: the root of the estimating function of :func:`_score` in (0, ∞),
    0 when f(0) ≤ 0. Safeguarded Newton ("rtsafe"): each row keeps a bracket [lo, hi] with
    f(lo) > 0 > f(hi) (hi found by doubling), takes the Newton step when it stays inside the bracket
    and bisects otherwise; iterated only on rows not yet converged (|Δτ²| ≤ 1e-12·(1 + τ²)).
    Missing cells carry v = ∞ (weight 0). Returns τ² and the number of vectorised steps."""
    n = Y.shape[0]
    tau2 = np.zeros(n)
    km1 = (k - 1).astype(float)
    idx = np.flatnonzero(k > 1)
    if idx.size:
        f0, _ = _score(method, Y[idx], V[idx], np.zeros(idx.size), km1[idx])
        idx = idx[f0 > 0]
    if not idx.size:
        return tau2, 0
    y, v, kk = Y[idx], V[idx], km1[idx]
    fin = np.isfinite(v)
    ybar = np.where(fin, y, 0).sum(axis=1) / fin.sum(axis=1)
    spread = (np.where(fin, (y - ybar[:, None]) ** 2, 0).sum(axis=1) / fin.sum(axis=1)
              + np.where(fin, v, 0).max(axis=1))
    lo = np.zeros(idx.size)
    hi = np.maximum(spread, 1e-8)
    todo = np.arange(idx.size)
    for _ in range(200):  # f → −tr P < 0 (REML) or −(k − 1) < 0 (PM) as τ² → ∞
        fh, _ = _score(method, y[todo], v[todo], hi[todo], kk[todo])
        pos = fh >= 0
        lo[todo[pos]] = hi[todo[pos]]
        hi[todo[pos]] *= 2
        todo = todo[pos]
        if not todo.size:
            break
    else:  # pragma: no cover
        raise ConvergenceError(f"{method} τ²: no upper bracket for rows {idx[todo[:10]].tolist()}")
    s0 = start[idx]
    t = np.where((s0 > lo) & (s0 < hi), s0, 0.5 * (lo + hi))
    act = np.arange(idx.size)
    it = 0
    while act.size and it < _MAXITER:
        it += 1
        ta, la, ha = t[act], lo[act], hi[act]
        f, d = _score(method, y[act], v[act], ta, kk[act])
        la = np.where(f > 0, ta, la)
        ha = np.where(f > 0, ha, ta)
        with np.errstate(divide="ignore", invalid="ignore"):
            newton = ta - f / d
        ok = np.isfinite(newton) & (newton > la) & (newton < ha)
        new = np.where(f == 0, ta, np.where(ok, newton, 0.5 * (la + ha)))
        done = (np.abs(new - ta) <= _TOL * (1.0 + ta)) | (f == 0) | (ha - la <= _TOL * (1.0 + ta))
        t[act], lo[act], hi[act] = new, la, ha
        act = act[~done]
    if act.size:
        raise ConvergenceError(f"{method} τ² did not converge in {_MAXITER} iterations for rows "
                               f"{idx[act[:10]].tolist()}")
    tau2[idx] = t
    return tau2, it


# --------------------------------------------------------------------------------------------
# subgroups and I² from τ²


def pool_subgroups(results: Mapping[str, MetaResult]) -> SubgroupResult:
    """Test for subgroup differences as RevMan 5: Q = Σ w_j (θ_j − θ̄)², w_j = 1/SE_j², θ̄ = Σw_jθ_j/Σw_j,
    over the subgroups' pooled (analysis-scale) estimates from whichever model they were fitted
    with; df = J − 1; P from χ²; I² = max(0, (Q − df)/Q)·100 (Deeks & Higgins 2010; Borenstein &
    Higgins 2013)."""
    if not isinstance(results, Mapping) or len(results) < 2:
        raise InputError("pool_subgroups needs a mapping of at least two subgroup results")
    for name, r in results.items():
        if not isinstance(r, MetaResult):
            raise InputError(f"subgroup {name!r}: expected a MetaResult, got {type(r).__name__}")
    first = next(iter(results.values()))
    for name, r in results.items():
        if (r.measure, r.log_scale) != (first.measure, first.log_scale):
            raise InputError(f"subgroup {name!r}: measure {r.measure} differs from {first.measure}")
    th = np.array([r.theta for r in results.values()])
    w = np.array([1.0 / r.se**2 for r in results.values()])
    mu = np.sum(w * th) / np.sum(w)
    q = float(np.sum(w * (th - mu) ** 2))
    df = len(th) - 1
    return SubgroupResult(subgroups=dict(results), q=q, df=df, p=float(special.chdtrc(df, q)),
                          i2=_i2(q, df))


def i2_from_tau2(tau2: float | np.ndarray, v: np.ndarray) -> float | np.ndarray:
    """I² (percent) from τ² with the Higgins–Thompson typical within-study variance
    s² = (k − 1)Σw / ((Σw)² − Σw²), w = 1/v: I² = 100·τ²/(τ² + s²) (Higgins & Thompson 2002;
    metafor's I² for non-DL estimators). ``v`` 1-D with scalar ``tau2``, or 2-D NaN-padded rows
    with one τ² per row."""
    V = np.asarray(v, dtype=float)
    T = np.asarray(tau2, dtype=float)
    if V.ndim not in (1, 2):
        raise InputError(f"v must be 1-D or 2-D, got shape {V.shape}")
    if np.any(T < 0) or not np.all(np.isfinite(T)):
        raise InputError("tau2 must be finite and ≥ 0")
    W = np.where(np.isnan(V), 0.0, 1.0 / np.where(np.isnan(V), 1.0, V))
    if np.any(V[~np.isnan(V)] <= 0):
        raise InputError("field 'v' must be > 0")
    axis = -1
    k = (~np.isnan(V)).sum(axis=axis)
    if np.any(k < 2):
        raise InputError("i2_from_tau2 needs at least 2 studies per analysis")
    sw, sw2 = W.sum(axis=axis), (W**2).sum(axis=axis)
    s2 = (k - 1) * sw / (sw**2 - sw2)
    out = 100.0 * T / (T + s2)
    return float(out) if np.ndim(out) == 0 else out
