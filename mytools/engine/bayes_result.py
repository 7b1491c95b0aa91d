"""The result of :func:`mytools.engine.bayes.pool_bayes`: summaries of μ, τ and θ_new per analysis
and prior, P(μ > c), densities, the marginal likelihood and per-study shrinkage.

Moments that do not exist, or whose tails the grid cannot resolve (a heavy-tailed prior with few
studies: e.g. τ ~ half-Cauchy and k = 1 has no finite mean of τ), are NaN: a mean or sd is reported only when its integrand (w τ or w τ²)
at the top of the τ grid is below 1e-12 of its maximum. Medians and intervals always exist.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Callable

import numpy as np
import pandas as pd
from scipy import special

from . import bayes_quad as bq

__all__ = ["BayesResult", "PARAMETERS", "STATS"]

PARAMETERS = ("mu", "tau", "theta_new")
STATS = ("median", "mean", "sd", "ci_low", "ci_high", "hpd_low", "hpd_high")
_TAIL = 1e-12


def _moment_ok(w: np.ndarray, tau: np.ndarray, power: int) -> np.ndarray:
    t = w * tau ** power
    return t[:, -1] <= _TAIL * t.max(axis=1)


def _mixture_summary(w, m, s, level, ok1, ok2) -> dict[str, np.ndarray]:
    mean = (w * m).sum(axis=1)
    sd = np.sqrt(np.maximum((w * (s * s + m * m)).sum(axis=1) - mean * mean, 0.0))
    q = np.array([(1 - level) / 2, 0.5, (1 + level) / 2])
    x = bq.mix_quantile(q, w, m, s)
    a, b = bq.mix_shortest(level, w, m, s, x[:, 0].copy(), x[:, 2].copy())
    return {"median": x[:, 1], "mean": np.where(ok1, mean, np.nan), "sd": np.where(ok2, sd, np.nan),
            "ci_low": x[:, 0], "ci_high": x[:, 2], "hpd_low": a, "hpd_high": b}


@dataclass(frozen=True, eq=False)
class BayesResult:
    """Posterior summaries for analyses × priors (``shape``); ``res[i, j]`` is one of them.

    Arrays have one row per (analysis, prior) unit, analysis-major. ``summary[param][stat]``.
    """

    shape: tuple[int, int]
    level: float
    analysis_labels: list[Any]
    prior_labels: list[Any]
    units: list[Any]
    u: np.ndarray
    w: np.ndarray
    m: np.ndarray
    v: np.ndarray
    Y: np.ndarray
    S: np.ndarray
    log_ml: np.ndarray
    log_post: Callable[[np.ndarray, np.ndarray], np.ndarray] = field(repr=False)
    summary: dict[str, dict[str, np.ndarray]] = field(repr=False)

    @classmethod
    def build(cls, *, shape, level, u, h, p, m, v, Y, S, log_ml, units, log_post,
              analysis_labels, prior_labels) -> "BayesResult":
        """Compute every summary (see :mod:`.bayes_quad`) and wrap the arrays."""
        w = p * h[:, None]
        w = w / w.sum(axis=1, keepdims=True)
        tau = np.exp(u)
        ok1, ok2 = _moment_ok(w, tau, 1), _moment_ok(w, tau, 2)
        F = bq.tau_cdf(log_post, u, h)
        qs = [bq.tau_quantile(log_post, F, u, h, np.full(u.shape[0], q))
              for q in ((1 - level) / 2, 0.5, (1 + level) / 2)]
        lo, hi = bq.tau_shortest(log_post, F, u, h, level)
        tmean = (w * tau).sum(axis=1)
        tsd = np.sqrt(np.maximum((w * tau * tau).sum(axis=1) - tmean ** 2, 0.0))
        summ = {"tau": {"median": np.exp(qs[1]), "mean": np.where(ok1, tmean, np.nan),
                        "sd": np.where(ok2, tsd, np.nan), "ci_low": np.exp(qs[0]), "ci_high": np.exp(qs[2]),
                        "hpd_low": lo, "hpd_high": hi},
                "mu": _mixture_summary(w, m, np.sqrt(v), level, ok1, ok2),
                "theta_new": _mixture_summary(w, m, np.sqrt(v + tau * tau), level, ok1, ok2)}
        return cls(shape=shape, level=level, analysis_labels=analysis_labels, prior_labels=prior_labels,
                   units=units, u=u, w=w, m=m, v=v, Y=Y, S=S, log_ml=log_ml, log_post=log_post,
                   summary=summ)

    # -- views -------------------------------------------------------------------------------
    @property
    def single(self) -> bool:
        return self.shape == (1, 1)

    def __getitem__(self, key: tuple[int, int]) -> "BayesResult":
        i, j = key
        n_a, n_p = self.shape
        if not (-n_a <= i < n_a and -n_p <= j < n_p):
            raise IndexError(f"BayesResult of shape {self.shape}: no item {key}")
        r = (i % n_a) * n_p + (j % n_p)
        sl = slice(r, r + 1)
        summ = {k: {s: a[sl] for s, a in d.items()} for k, d in self.summary.items()}
        lp = self.log_post
        return replace(self, shape=(1, 1), analysis_labels=[self.analysis_labels[i]],
                       prior_labels=[self.prior_labels[j]], units=[self.units[r]], u=self.u[sl],
                       w=self.w[sl], m=self.m[sl], v=self.v[sl], Y=self.Y[sl], S=self.S[sl],
                       log_ml=self.log_ml[sl], log_post=lambda uu, rows=None: lp(uu, [r]), summary=summ)

    def _index(self) -> pd.MultiIndex:
        n_a, n_p = self.shape
        return pd.MultiIndex.from_product([self.analysis_labels, self.prior_labels], names=["analysis", "prior"])

    # -- summaries ---------------------------------------------------------------------------
    def summary_frame(self) -> pd.DataFrame:
        """Rows mu, tau, theta_new (one analysis) or (analysis, prior, parameter); the columns
        ``STATS``: median, mean, sd, central ``ci_low``/``ci_high``, shortest ``hpd_low``/``hpd_high``."""
        if self.single:
            return pd.DataFrame({s: [float(self.summary[p][s][0]) for p in PARAMETERS] for s in STATS},
                                index=pd.Index(PARAMETERS, name="parameter"))
        parts = []
        for p in PARAMETERS:
            f = pd.DataFrame({s: self.summary[p][s] for s in STATS}, index=self._index())
            f["parameter"] = p
            parts.append(f.set_index("parameter", append=True))
        idx_order = [(a, q, p) for a in self.analysis_labels for q in self.prior_labels for p in PARAMETERS]
        return pd.concat(parts).loc[idx_order]

    @property
    def log_marginal_likelihood(self):
        """log p(y) under the priors (NaN when the prior on τ or μ is improper)."""
        return float(self.log_ml[0]) if self.single else self.log_ml.reshape(self.shape)

    @property
    def marginal_likelihood(self):
        return np.exp(self.log_marginal_likelihood)

    def _shape_out(self, arr: np.ndarray, c_shape: tuple) -> Any:
        out = arr.reshape(self.shape + c_shape)
        if self.single:
            out = out[0, 0]
            return float(out) if out.ndim == 0 else out
        return out

    def prob_greater(self, c) -> Any:
        """P(μ > c) for each c (scalar or array): Σ_j w_j Φ((m_j − c)/√v_j)."""
        cc = np.asarray(c, float)
        z = (self.m[:, :, None] - cc.reshape(1, 1, -1)) / np.sqrt(self.v)[:, :, None]
        return self._shape_out(np.einsum("rj,rjt->rt", self.w, special.ndtr(z)), cc.shape)

    def density(self, name: str, x) -> Any:
        """Posterior density of ``name`` ("mu", "theta_new" or "tau") at the points ``x``."""
        xx = np.atleast_1d(np.asarray(x, float)).ravel()
        X = np.repeat(xx[None, :], self.w.shape[0], axis=0)
        if name in ("mu", "theta_new"):
            s2 = self.v + (np.exp(2 * self.u) if name == "theta_new" else 0.0)
            f = bq.mix_pdf(X, self.w, self.m, np.sqrt(s2))
        elif name == "tau":
            with np.errstate(divide="ignore"):
                f = np.where(X > 0, np.exp(self.log_post(np.log(np.where(X > 0, X, 1.0)))) / X, 0.0)
        else:
            raise ValueError(f"density: name must be 'mu', 'theta_new' or 'tau', got {name!r}")
        return self._shape_out(f, np.shape(x))

    def shrinkage(self) -> pd.DataFrame:
        """Each study's θ_i posterior (one row per analysis × prior × study): y, se, mean, sd,
        median, ci_low, ci_high; a normal mixture over τ (module docstring of :mod:`.bayes`)."""
        live = ~np.isnan(self.S)
        r_idx, k_idx = np.nonzero(live)
        s2 = self.S[r_idx, k_idx] ** 2
        t2 = np.exp(2 * self.u[r_idx])
        b = s2[:, None] / (s2[:, None] + t2)
        mean_c = b * self.m[r_idx] + (1 - b) * self.Y[r_idx, k_idx][:, None]
        sd_c = np.sqrt(s2[:, None] * (1 - b) + b * b * self.v[r_idx])
        w = self.w[r_idx]
        ok = np.ones(len(r_idx), bool)
        summ = _mixture_summary(w, mean_c, sd_c, self.level, ok, ok)
        n_p = self.shape[1]
        return pd.DataFrame({"analysis": [self.analysis_labels[r // n_p] for r in r_idx],
                             "prior": [self.prior_labels[r % n_p] for r in r_idx], "study": k_idx,
                             "y": self.Y[r_idx, k_idx], "se": self.S[r_idx, k_idx],
                             **{s: summ[s] for s in ("mean", "sd", "median", "ci_low", "ci_high")}})
