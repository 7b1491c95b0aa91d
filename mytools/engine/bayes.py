"""Bayesian random-effects meta-analysis, the normal–normal hierarchical model (:func:`pool_bayes`).

Model: y_i ~ N(θ_i, s_i²), θ_i ~ N(μ, τ²); τ ~ a prior of :mod:`.priors`; μ flat or N(μ₀, σ₀²).
Given τ, μ is integrated out analytically (Röver 2020, J Stat Softw 93(6), §2): with
w_i = 1/(s_i² + τ²) (and w₀ = 1/σ₀² for a normal prior on μ), μ | τ, y ~ N(m, v) with
v = 1/(Σw_i + w₀), m = v (Σw_i y_i + w₀ μ₀), and

    p(y | τ) = Π N(y_i; m, s_i² + τ²) · N(m; μ₀, σ₀²) · √(2π v)   (the last-but-one factor is 1
                                                                   for a flat μ).

The posterior of τ is p(τ) p(y | τ) normalised by one-dimensional quadrature (:mod:`.bayes_quad`),
and μ, the prediction θ_new ~ N(m, v + τ²) and each study's θ_i (shrinkage:
N(b m + (1 − b) y_i, s_i²(1 − b) + b² v), b = s_i²/(s_i² + τ²)) are normal mixtures over the
τ nodes. Deterministic, no MCMC; exact to about 1e-7 on every summary (shown by refinement in the
tests), where bayesmeta's mixture approximation carries about 1e-3 (Röver & Friede 2017).

Many analyses × many priors in one call: ``y``/``se`` as a list of 1-D arrays (one per analysis)
or a NaN-padded matrix (one analysis per row, the layout of :func:`.pool_many`); ``tau_prior`` as
one prior, a list (every analysis × every prior) or a nested list ``[analysis][prior]``.

A prior concentrated at τ = 0 gives the fixed-effect result (mean 0.5, se √0.5):

>>> from mytools.engine import HalfNormal
>>> r = pool_bayes([0.0, 1.0], [1.0, 1.0], HalfNormal(1e-8))
>>> [round(float(x), 6) for x in r.summary_frame().loc["mu", ["mean", "sd"]]], r.shape
([0.5, 0.707107], (1, 1))
"""
from __future__ import annotations

import math
from typing import Any, Sequence

import numpy as np
from . import bayes_quad as bq
from .bayes_result import BayesResult
from .errors import InputError
from .priors import Normal, TauPrior

__all__ = ["pool_bayes", "BayesResult", "log_likelihood"]

NODES = 512
_HALF_LOG_2PI = 0.5 * math.log(2 * math.pi)


def _label(labels, i: int) -> str:
    return f"analysis {labels[i]!r} (index {i})" if labels is not None else f"analysis index {i}"


def _ragged(y, se, labels) -> tuple[np.ndarray, np.ndarray, bool]:
    """NaN-padded (analyses × kmax) y and se, checked; ``single`` for one 1-D analysis."""
    if isinstance(y, np.ndarray):
        single = y.ndim == 1
    else:
        y = list(y)
        single = all(np.ndim(e) == 0 for e in y)
    if single:
        y, se = [y], [se]
    if isinstance(y, np.ndarray) and y.ndim == 2:
        Y, S = np.asarray(y, float), np.asarray(se, float)
        if Y.shape != S.shape:
            raise InputError(f"y and se: shapes differ ({Y.shape} vs {S.shape})")
        pad = np.isnan(Y) & np.isnan(S)
    else:
        if len(y) != len(se):
            raise InputError(f"y and se: {len(y)} analyses of y but {len(se)} of se")
        rows = [(np.atleast_1d(np.asarray(a, float)), np.atleast_1d(np.asarray(b, float))) for a, b in zip(y, se)]
        for i, (a, b) in enumerate(rows):
            if a.shape != b.shape or a.ndim != 1:
                raise InputError(f"{_label(labels, i)}: y has {a.size} studies but se has {b.size}")
        kmax = max([a.size for a, _ in rows] + [1])
        Y, S = np.full((len(rows), kmax), np.nan), np.full((len(rows), kmax), np.nan)
        pad = np.ones((len(rows), kmax), bool)
        for i, (a, b) in enumerate(rows):
            Y[i, :a.size], S[i, :a.size], pad[i, :a.size] = a, b, False
    if Y.shape[0] == 0:
        raise InputError("pool_bayes: no analyses given")
    for i in range(Y.shape[0]):
        live = ~pad[i]
        if not live.any():
            raise InputError(f"{_label(labels, i)}: no studies (k = 0); at least one is needed")
        for j in np.flatnonzero(live):
            if not math.isfinite(Y[i, j]):
                raise InputError(f"{_label(labels, i)}, study index {j}: y must be a finite number, got {Y[i, j]}")
            if not (math.isfinite(S[i, j]) and S[i, j] > 0):
                raise InputError(f"{_label(labels, i)}, study index {j}: se must be a finite number > 0, "
                                 f"got {S[i, j]}")
    return np.where(pad, 0.0, Y), np.where(pad, np.nan, S), single


def _priors(tau_prior, n_a: int) -> tuple[list[list[TauPrior]], bool]:
    """``tau_prior`` as an analyses × priors table; ``one`` when a single prior was given."""
    if isinstance(tau_prior, TauPrior):
        return [[tau_prior] for _ in range(n_a)], True
    tp = list(tau_prior)
    if tp and all(isinstance(p, TauPrior) for p in tp):
        return [tp for _ in range(n_a)], False
    if len(tp) != n_a or not all(isinstance(row, (list, tuple)) for row in tp):
        raise InputError(f"tau_prior: expected a prior, a list of priors or one list of priors per "
                         f"analysis ({n_a} analyses), got {type(tau_prior).__name__} of length {len(tp)}")
    widths = {len(row) for row in tp}
    if len(widths) != 1 or not all(isinstance(p, TauPrior) for row in tp for p in row):
        raise InputError("tau_prior: every analysis needs the same number of priors, each a TauPrior")
    return [list(row) for row in tp], False


def log_likelihood(tau: np.ndarray, Y: np.ndarray, S: np.ndarray, mu_prior: Normal | None):
    """log p(y | τ) and μ | τ's mean m and variance v; ``tau`` rows × nodes, ``Y``/``S`` rows × k
    (NaN se = padding)."""
    S2 = np.where(np.isnan(S), np.inf, S * S)[:, None, :]
    w = 1.0 / (S2 + (tau * tau)[:, :, None])
    W, Wy = w.sum(axis=2), (w * Y[:, None, :]).sum(axis=2)
    if mu_prior is not None:
        w0 = 1.0 / mu_prior.sd ** 2
        W, Wy = W + w0, Wy + w0 * mu_prior.mean
    v = 1.0 / W
    m = Wy * v
    r = Y[:, None, :] - m[:, :, None]
    with np.errstate(divide="ignore"):
        ll = np.where(w > 0, 0.5 * np.log(w) - 0.5 * w * r * r - _HALF_LOG_2PI, 0.0).sum(axis=2)
    if mu_prior is not None:
        z = (m - mu_prior.mean) / mu_prior.sd
        ll = ll - 0.5 * z * z - math.log(mu_prior.sd) - _HALF_LOG_2PI
    return ll + 0.5 * np.log(2 * math.pi * v), m, v


def _prior_groups(units: list[TauPrior]) -> tuple[list[type], np.ndarray, list[np.ndarray]]:
    """The prior families, per unit the index of its family, and per family a (units × params)
    array of parameters (to evaluate each family once for all its rows)."""
    families = list(dict.fromkeys(type(p) for p in units))
    fam = np.array([families.index(type(p)) for p in units])
    params = [np.array([units[r].params() for r in np.flatnonzero(fam == f)]) for f in range(len(families))]
    full = [np.zeros((len(units), pa.shape[1])) for pa in params]
    for f, pa in enumerate(params):
        full[f][fam == f] = pa
    return families, fam, full


def _log_prior(u: np.ndarray, groups, idx: np.ndarray | None = None) -> np.ndarray:
    """log prior density of u = log τ, row r under its own prior (``groups`` of :func:`_prior_groups`)."""
    families, fam, params = groups
    idx = np.arange(len(fam)) if idx is None else idx
    out = np.empty_like(u)
    for f, cls in enumerate(families):
        rows = np.flatnonzero(fam[idx] == f)
        if rows.size:
            out[rows] = cls.density_u(u[rows], *params[f][idx[rows]].T[:, :, None])
    return out


def _check_proper(units, k, mu_prior, labels, n_p):
    for r, p in enumerate(units):
        if p.proper:
            continue
        need = 3 if mu_prior is None else 2
        if k[r // n_p] < need:
            raise InputError(f"{_label(labels, r // n_p)}: the improper prior {p!r} on τ needs k ≥ {need} "
                             f"{'with a flat prior on μ ' if mu_prior is None else ''}for a proper posterior "
                             f"(k = {k[r // n_p]}); use a proper prior on τ")


def pool_bayes(y: Any, se: Any, tau_prior: Any, mu_prior: Normal | None = None, level: float = 0.95,
               labels: Sequence[Any] | None = None, prior_labels: Sequence[Any] | None = None,
               nodes: int = NODES) -> BayesResult:
    """Posterior of μ, τ and θ_new under the normal–normal hierarchical model (module docstring).

    Returns a :class:`~.bayes_result.BayesResult` of shape (analyses, priors); ``res[i, j]`` is
    one analysis under one prior. ``nodes``: fine-grid size (see :mod:`.bayes_quad`).
    """
    if not (0 < level < 1):
        raise InputError(f"level must be between 0 and 1, got {level!r}")
    if mu_prior is not None and not isinstance(mu_prior, Normal):
        raise InputError(f"mu_prior: expected None (flat) or Normal(mean, sd), got {mu_prior!r}")
    Y, S, single = _ragged(y, se, labels)
    n_a = Y.shape[0]
    if labels is not None and len(labels) != n_a:
        raise InputError(f"labels: {len(labels)} given for {n_a} analyses")
    table, one = _priors(tau_prior, n_a)
    n_p = len(table[0])
    k = (~np.isnan(S)).sum(axis=1)
    units = [p for row in table for p in row]
    _check_proper(units, k, mu_prior, labels, n_p)
    Yr, Sr = np.repeat(Y, n_p, axis=0), np.repeat(S, n_p, axis=0)

    # coarse pass: the prior's and the data's scales ± 60 in log τ; then the fine grid
    smin, smax = np.nanmin(Sr, axis=1), np.nanmax(Sr, axis=1)
    spread = np.nanmax(np.where(np.isnan(Sr), np.nan, Yr), axis=1) - np.nanmin(np.where(np.isnan(Sr), np.nan, Yr), axis=1)
    pscale = np.array([p.scale for p in units])
    low = np.log(np.fmin(smin, pscale)) - 60
    high = np.log(np.fmax(smax + spread, pscale)) + 60
    groups = _prior_groups(units)
    u0 = bq.uniform_grid(low, high, bq.COARSE)
    lp0 = _log_prior(u0, groups) + log_likelihood(np.exp(u0), Yr, Sr, mu_prior)[0]
    lo, hi = bq.adapt_range(u0, lp0)
    u = bq.uniform_grid(lo, hi, nodes)
    h = (hi - lo) / (nodes - 1)
    ll, m, v = log_likelihood(np.exp(u), Yr, Sr, mu_prior)
    lp = _log_prior(u, groups) + ll
    top = lp.max(axis=1, keepdims=True)
    dens = np.exp(lp - top)
    total = dens.sum(axis=1) * h
    proper = np.array([p.proper for p in units]) & (mu_prior is not None)
    logml = np.where(proper, top[:, 0] + np.log(total), np.nan)
    shape = (1, 1) if single and one else (n_a, n_p)
    a_labels = list(labels) if labels is not None else list(range(n_a))
    p_labels = list(prior_labels) if prior_labels is not None else (
        [repr(p) for p in table[0]] if all(row == table[0] for row in table) else list(range(n_p)))
    log_norm = top[:, 0] + np.log(total)

    def log_post(uu: np.ndarray, rows=None) -> np.ndarray:
        """Normalised log density of u = log τ at ``uu`` (rows × points)."""
        idx = np.arange(len(units)) if rows is None else np.asarray(rows)
        lik = log_likelihood(np.exp(uu), Yr[idx], Sr[idx], mu_prior)[0]
        return _log_prior(uu, groups, idx) + lik - log_norm[idx, None]

    return BayesResult.build(shape=shape, level=level, u=u, h=h, p=dens / total[:, None], m=m, v=v,
                             Y=Yr, S=Sr, log_ml=logml, units=units, log_post=log_post,
                             analysis_labels=a_labels, prior_labels=p_labels)

