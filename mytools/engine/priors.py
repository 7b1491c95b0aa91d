"""Prior distributions for the Bayesian random-effects model (:mod:`.bayes`).

Priors on the heterogeneity τ ≥ 0 give ``log_density_u(u)``: the log density of u = log τ
(the quadrature variable), i.e. log p_τ(e^u) + u. Sources of the parameterisations:

* ``HalfNormal(scale)``, ``HalfCauchy(scale)`` — Friede et al. (2017); Röver (2020).
* ``LogNormalTau2(mean, sd)`` — Turner et al. (2015): log τ² ~ N(mean, sd²).
* ``LogTTau2(location, scale, df=5)`` — Rhodes et al. (2015): log τ² ~ location + scale · t_df.
* ``InvGammaTau(shape, scale)`` — Bartoš et al. (BayesTools): τ ~ InvGamma(shape, scale).
* ``UniformTau(upper=inf)`` — uniform on [0, upper]; improper when ``upper`` is infinite.

The prior on μ is flat (``None``) or ``Normal(mean, sd)``.

>>> round(float(HalfNormal(0.5).ppf(0.95)), 4)
0.98
>>> [round(float(q), 6) for q in LogNormalTau2(-2.14, 1.74).ppf([0.025, 0.5, 0.975])]
[0.062339, 0.343009, 1.88734]
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import special

from .errors import InputError

__all__ = ["TauPrior", "HalfNormal", "HalfCauchy", "LogNormalTau2", "LogTTau2", "InvGammaTau",
           "UniformTau", "Normal"]

_LOG2 = math.log(2.0)


def _positive(name: str, **values: float) -> None:
    for key, v in values.items():
        if not (isinstance(v, (int, float, np.floating, np.integer)) and math.isfinite(v) and v > 0):
            raise InputError(f"{name}: {key} must be a finite number > 0, got {v!r}")


def _finite(name: str, **values: float) -> None:
    for key, v in values.items():
        if not (isinstance(v, (int, float, np.floating, np.integer)) and math.isfinite(v)):
            raise InputError(f"{name}: {key} must be a finite number, got {v!r}")


class TauPrior:
    """Base class: a prior on τ. ``proper``; ``scale`` (a typical τ, to place the grid)."""

    proper = True

    @property
    def scale(self) -> float:
        raise NotImplementedError

    def params(self) -> tuple[float, ...]:
        """The parameters, in the order of :meth:`density_u`."""
        raise NotImplementedError

    @staticmethod
    def density_u(u, *params):
        """log density of u = log τ for parameters that may be arrays (one row each)."""
        raise NotImplementedError

    def log_density_u(self, u: np.ndarray) -> np.ndarray:
        """log density of u = log τ."""
        return self.density_u(u, *self.params())

    def logpdf(self, tau: np.ndarray) -> np.ndarray:
        """log density of τ (−inf for τ < 0)."""
        t = np.asarray(tau, float)
        with np.errstate(divide="ignore", invalid="ignore"):
            out = self.log_density_u(np.log(t)) - np.log(t)
        return np.where(t > 0, out, -np.inf)

    def ppf(self, q):
        """Quantiles of τ."""
        raise NotImplementedError


@dataclass(frozen=True)
class _OneScale(TauPrior):
    """A prior on τ with one parameter, its ``scale`` (checked > 0); subclasses give the density."""

    scale_: float

    def __init__(self, scale: float):
        _positive(type(self).__name__, scale=scale)
        object.__setattr__(self, "scale_", float(scale))

    @property
    def scale(self) -> float:
        return self.scale_

    def params(self) -> tuple[float, ...]:
        return (self.scale_,)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.scale_:g})"


class HalfNormal(_OneScale):
    """τ ~ half-normal with this scale (the sd of the parent normal)."""

    @staticmethod
    def density_u(u, scale):
        return 0.5 * _LOG2 - 0.5 * math.log(math.pi) - np.log(scale) - 0.5 * (np.exp(u) / scale) ** 2 + u

    def ppf(self, q):
        return self.scale_ * special.ndtri(0.5 + 0.5 * np.asarray(q, float))


class HalfCauchy(_OneScale):
    """τ ~ half-Cauchy with this scale."""

    @staticmethod
    def density_u(u, scale):
        z = np.exp(u) / scale
        return _LOG2 - np.log(math.pi * scale) - np.log1p(z * z) + u

    def ppf(self, q):
        return self.scale_ * np.tan(0.5 * math.pi * np.asarray(q, float))


@dataclass(frozen=True)
class LogNormalTau2(TauPrior):
    """log τ² ~ N(mean, sd²) (Turner et al. 2015); i.e. log τ ~ N(mean/2, (sd/2)²)."""

    mean: float
    sd: float

    def __post_init__(self):
        _finite("LogNormalTau2", mean=self.mean)
        _positive("LogNormalTau2", sd=self.sd)

    @property
    def scale(self) -> float:
        return math.exp(self.mean / 2)

    def params(self) -> tuple[float, ...]:
        return (self.mean, self.sd)

    @staticmethod
    def density_u(u, mean, sd):
        z = (2 * u - mean) / sd
        return -0.5 * z * z - np.log(sd) - 0.5 * math.log(2 * math.pi) + _LOG2

    def ppf(self, q):
        from scipy import stats  # lazily: scipy.stats is slow to import, rarely needed here

        return np.exp(0.5 * stats.norm.ppf(q, self.mean, self.sd))

    def __repr__(self) -> str:
        return f"LogNormalTau2({self.mean:g}, {self.sd:g})"


@dataclass(frozen=True)
class LogTTau2(TauPrior):
    """log τ² ~ location + scale · t_df (Rhodes et al. 2015, df 5)."""

    location: float
    scale_t: float
    df: float = 5.0

    def __init__(self, location: float, scale: float, df: float = 5.0):
        _finite("LogTTau2", location=location)
        _positive("LogTTau2", scale=scale, df=df)
        object.__setattr__(self, "location", float(location))
        object.__setattr__(self, "scale_t", float(scale))
        object.__setattr__(self, "df", float(df))

    @property
    def scale(self) -> float:
        return math.exp(self.location / 2)

    def params(self) -> tuple[float, ...]:
        return (self.location, self.scale_t, self.df)

    @staticmethod
    def density_u(u, location, scale, nu):
        z = (2 * u - location) / scale
        const = special.gammaln((nu + 1) / 2) - special.gammaln(nu / 2) - 0.5 * np.log(nu * math.pi) - np.log(scale)
        return const - (nu + 1) / 2 * np.log1p(z * z / nu) + _LOG2

    def ppf(self, q):
        from scipy import stats  # lazily: scipy.stats is slow to import, rarely needed here

        return np.exp(0.5 * stats.t.ppf(q, self.df, self.location, self.scale_t))

    def __repr__(self) -> str:
        return f"LogTTau2({self.location:g}, {self.scale_t:g}, df={self.df:g})"


@dataclass(frozen=True)
class InvGammaTau(TauPrior):
    """τ ~ inverse-gamma(shape, scale): density ∝ τ^(−shape−1) exp(−scale/τ) (Bartoš et al.)."""

    shape: float
    scale_ig: float

    def __init__(self, shape: float, scale: float):
        _positive("InvGammaTau", shape=shape, scale=scale)
        object.__setattr__(self, "shape", float(shape))
        object.__setattr__(self, "scale_ig", float(scale))

    @property
    def scale(self) -> float:
        return self.scale_ig / (self.shape + 1)  # the mode

    def params(self) -> tuple[float, ...]:
        return (self.shape, self.scale_ig)

    @staticmethod
    def density_u(u, a, b):
        return a * np.log(b) - special.gammaln(a) - a * u - b * np.exp(-u)

    def ppf(self, q):
        from scipy import stats  # lazily: scipy.stats is slow to import, rarely needed here

        return stats.invgamma.ppf(q, self.shape, scale=self.scale_ig)

    def __repr__(self) -> str:
        return f"InvGammaTau({self.shape:g}, {self.scale_ig:g})"


@dataclass(frozen=True)
class UniformTau(TauPrior):
    """τ ~ uniform on [0, upper]; ``upper=inf`` (default) is the improper flat prior."""

    upper: float = math.inf

    def __post_init__(self):
        if not (self.upper > 0):
            raise InputError(f"UniformTau: upper must be > 0, got {self.upper!r}")

    @property
    def proper(self) -> bool:  # type: ignore[override]
        return math.isfinite(self.upper)

    @property
    def scale(self) -> float:
        return self.upper / 2 if self.proper else math.nan

    def params(self) -> tuple[float, ...]:
        return (self.upper,)

    @staticmethod
    def density_u(u, upper):
        base = np.where(np.isfinite(upper), -np.log(np.where(np.isfinite(upper), upper, 1.0)), 0.0)
        return np.where(np.exp(u) <= upper, base + u, -np.inf)

    def ppf(self, q):
        if not self.proper:
            raise InputError("UniformTau(): improper, it has no quantiles")
        return self.upper * np.asarray(q, float)

    def __repr__(self) -> str:
        return "UniformTau()" if not self.proper else f"UniformTau({self.upper:g})"


@dataclass(frozen=True)
class Normal:
    """μ ~ N(mean, sd²)."""

    mean: float
    sd: float

    def __post_init__(self):
        _finite("Normal", mean=self.mean)
        _positive("Normal", sd=self.sd)

    def __repr__(self) -> str:
        return f"Normal({self.mean:g}, {self.sd:g})"
