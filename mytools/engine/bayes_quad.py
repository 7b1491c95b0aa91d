"""Numerical machinery of :mod:`.bayes`: the τ grid, normal mixtures, quantiles, shortest intervals.

Every function works on many rows at once (one row = one analysis × one prior).

* **Grid.** The quadrature variable is u = log τ. A coarse pass (``COARSE`` nodes spanning the prior's
  and the data's scales ± 60 in u) finds where the log posterior of u is within ``CUT`` (= 40, a
  factor e⁻⁴⁰ ≈ 4e-18) of its maximum; the fine grid puts ``nodes`` equally spaced points on that
  range, so it adapts to the prior and to the likelihood. Posterior masses are trapezoid weights on
  that grid: for an integrand that is analytic in a strip around the real u axis (all priors here)
  the trapezoid rule converges geometrically (Trefethen & Weideman 2014, SIAM Review 56:385), so
  the moments and every normal mixture below are exact to rounding long before 512 nodes.
* **τ's distribution function** is the cumulative integral of the density of u, each grid cell
  (and the part of a cell below a quantile) by 4-point Gauss–Legendre on the exact density;
  quantiles by Newton's method, the shortest interval by 2-D Newton (or [0, Q(level)]).
* **μ and θ_new** (and each study's θ_i) are normal mixtures over the τ nodes (Röver 2020, §2);
  their distribution functions are sums of Φ, quantiles come from a safeguarded Newton iteration,
  and the shortest interval [a, b] solves F(b) − F(a) = level, f(a) = f(b) by 2-D Newton
  (a unimodal density is assumed; the central interval is the start).

The error is shown, not asserted: ``tests/engine/test_bayes_engine.py`` doubles ``nodes`` and checks
that no summary moves by more than 1e-7.
"""
from __future__ import annotations

import numpy as np
from scipy import special

__all__ = ["COARSE", "CUT", "uniform_grid", "adapt_range", "tau_cdf", "tau_F", "tau_quantile",
           "tau_shortest", "mix_cdf", "mix_pdf", "mix_quantile", "mix_shortest"]

COARSE = 500
CUT = 40.0
_SQRT2PI = np.sqrt(2 * np.pi)


def uniform_grid(lo: np.ndarray, hi: np.ndarray, n: int) -> np.ndarray:
    """Rows of ``n`` equally spaced points from ``lo`` to ``hi``."""
    t = np.linspace(0.0, 1.0, n)
    return lo[:, None] + (hi - lo)[:, None] * t[None, :]


def adapt_range(u: np.ndarray, lp: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The range of each row of the coarse grid ``u`` where ``lp`` > max − CUT, or where the
    integrand of E τ², lp + 2u, is > its max − CUT (while lp > max − 3 CUT), one node wider."""
    top = np.max(lp, axis=1, keepdims=True)
    lp2 = lp + 2 * u
    keep = (lp > top - CUT) | ((lp2 > np.max(lp2, axis=1, keepdims=True) - CUT) & (lp > top - 3 * CUT))
    n = u.shape[1]
    first = np.argmax(keep, axis=1)
    last = n - 1 - np.argmax(keep[:, ::-1], axis=1)
    rows = np.arange(u.shape[0])
    return u[rows, np.maximum(first - 1, 0)], u[rows, np.minimum(last + 1, n - 1)]


_GX, _GW = np.polynomial.legendre.leggauss(4)
_GX, _GW = (_GX + 1) / 2, _GW / 2  # Gauss–Legendre on [0, 1]


def tau_cdf(log_post, u: np.ndarray, h: np.ndarray) -> np.ndarray:
    """Distribution function of u = log τ at the grid nodes: each cell integrated by 4-point
    Gauss–Legendre on the exact density ``exp(log_post(u))``; normalised to end at 1."""
    pts = (u[:, :-1, None] + h[:, None, None] * _GX).reshape(u.shape[0], -1)
    cell = (np.exp(log_post(pts)).reshape(u.shape[0], -1, _GX.size) @ _GW) * h[:, None]
    F = np.concatenate([np.zeros((u.shape[0], 1)), np.cumsum(cell, axis=1)], axis=1)
    return F / F[:, -1:]


def _cell(F, u, x):
    """Index of the grid cell holding ``x`` (one per row)."""
    R, n = u.shape
    return np.clip((x - u[:, 0]) / (u[:, 1] - u[:, 0]), 0, n - 2).astype(int)


def tau_F(log_post, F, u, h, x):
    """F(x) for one x per row: the node value plus the partial cell by Gauss–Legendre."""
    r = np.arange(u.shape[0])
    j = _cell(F, u, x)
    d = np.clip(x - u[r, j], 0, None)
    pts = u[r, j][:, None] + d[:, None] * _GX
    return F[r, j] + d * (np.exp(log_post(pts)) @ _GW)


def tau_quantile(log_post, F, u, h, q) -> np.ndarray:
    """u at which τ's distribution function equals ``q`` (one per row), by Newton's method
    started from linear interpolation between the nodes."""
    R, n = F.shape
    r = np.arange(R)
    q = np.clip(q, 0.0, 1.0)
    flat = (F + 2.0 * r[:, None]).ravel()
    j = np.clip(np.searchsorted(flat, q + 2.0 * r, side="right") - 1 - n * r, 0, n - 2)
    f0, f1 = F[r, j], F[r, j + 1]
    x = u[r, j] + h * np.clip((q - f0) / np.where(f1 > f0, f1 - f0, 1.0), 0, 1)
    for _ in range(30):
        g = tau_F(log_post, F, u, h, x) - q
        dens = np.exp(log_post(x[:, None]))[:, 0]
        new = np.clip(x - np.where(dens > 0, g / np.where(dens > 0, dens, 1.0), 0.0), u[r, j], u[r, j + 1])
        if np.all(np.abs(new - x) <= 1e-14 * (1 + np.abs(x))):
            return new
        x = new
    return x


def tau_shortest(log_post, F, u, h, level: float) -> tuple[np.ndarray, np.ndarray]:
    """Shortest interval of τ holding ``level``: [0, Q(level)] when τ's density at 0 is at least
    its density at Q(level) (then no shorter interval exists for a unimodal density); otherwise
    2-D Newton in u on F(b) − F(a) = level, log p_τ(a) = log p_τ(b) from the central interval."""
    R = u.shape[0]
    top = tau_quantile(log_post, F, u, h, np.full(R, level))

    def lpt(x):  # log density of τ, as a function of u = log τ
        return log_post(x[:, None])[:, 0] - x

    zero = lpt(u[:, 0]) >= lpt(top)
    a = tau_quantile(log_post, F, u, h, np.full(R, (1 - level) / 2))
    b = tau_quantile(log_post, F, u, h, np.full(R, (1 + level) / 2))
    e = 1e-6
    for _ in range(40):
        if zero.all():
            break
        g1 = tau_F(log_post, F, u, h, b) - tau_F(log_post, F, u, h, a) - level
        g2 = lpt(b) - lpt(a)
        pa, pb = np.exp(log_post(a[:, None]))[:, 0], np.exp(log_post(b[:, None]))[:, 0]
        da_, db_ = (lpt(a + e) - lpt(a - e)) / (2 * e), (lpt(b + e) - lpt(b - e)) / (2 * e)
        det = -pa * db_ + pb * da_
        ok = ~zero & (det != 0)
        sa = np.where(ok, (g1 * db_ - pb * g2) / np.where(ok, det, 1), 0.0)
        sb = np.where(ok, (-pa * g2 + da_ * g1) / np.where(ok, det, 1), 0.0)
        cap = 0.5 * (b - a)
        sa, sb = np.clip(sa, -cap, cap), np.clip(sb, -cap, cap)
        a, b = a - sa, b - sb
        if np.all(np.abs(np.concatenate([sa, sb])) <= 1e-13 * (1 + np.abs(np.concatenate([a, b])))):
            break
    return np.where(zero, 0.0, np.exp(a)), np.where(zero, np.exp(top), np.exp(b))


def mix_cdf(x, w, m, s):
    """F(x) of the mixtures Σ_j w_j N(m_j, s_j²) (rows); ``x`` has one column per point."""
    return np.einsum("rj,rjt->rt", w, special.ndtr((x[:, None, :] - m[:, :, None]) / s[:, :, None]))


def mix_pdf(x, w, m, s, deriv: bool = False):
    """Density (and, with ``deriv``, its derivative) of the mixtures at ``x`` (rows × points)."""
    z = (x[:, None, :] - m[:, :, None]) / s[:, :, None]
    comp = np.exp(-0.5 * z * z) / (_SQRT2PI * s[:, :, None])
    f = np.einsum("rj,rjt->rt", w, comp)
    if not deriv:
        return f
    return f, np.einsum("rj,rjt->rt", w, -comp * z / s[:, :, None])


def _lower_quantile(q: np.ndarray, w, m, s) -> np.ndarray:
    """Quantiles q ≤ 0.5 of the mixtures. Newton on the normal score, Φ⁻¹(F(x)) = Φ⁻¹(q), which
    is nearly linear for a normal mixture and does not overshoot in heavy tails; safeguarded by
    the bracket [min_j Q_j(q), max_j Q_j(q)] over the components of relative weight > 1e-18 (a
    mixture's quantile lies between its components' quantiles), bisected in asinh scale."""
    R, z = w.shape[0], special.ndtri(q)[None, :]
    live = (w > 1e-18 * w.max(axis=1, keepdims=True))[:, :, None]
    comp = m[:, :, None] + s[:, :, None] * z[:, None, :]
    lo, hi = np.where(live, comp, np.inf).min(axis=1), np.where(live, comp, -np.inf).max(axis=1)
    mu0 = (w * m).sum(axis=1)
    # a robust scale: the component sd at the weighted median (s grows with τ along the grid)
    half = np.minimum((np.cumsum(w, axis=1) < 0.5).sum(axis=1), w.shape[1] - 1)
    s_med = s[np.arange(R), half]
    sbar = s_med + np.sqrt((w * (m - mu0[:, None]) ** 2).sum(axis=1))
    x = np.clip(mu0[:, None] + s_med[:, None] * z, lo, hi)
    act = np.arange(R)  # rows not yet converged
    for _ in range(200):
        wa, ma, sa, xa, sc = w[act], m[act], s[act], x[act], sbar[act, None]
        F = mix_cdf(xa, wa, ma, sa)
        la, ha = np.where(F < q, xa, lo[act]), np.where(F < q, hi[act], xa)
        g = special.ndtri(np.clip(F, 1e-300, 1.0)) - z
        dg = mix_pdf(xa, wa, ma, sa) * np.sqrt(2 * np.pi) * np.exp(0.5 * (g + z) ** 2)
        with np.errstate(divide="ignore", invalid="ignore"):
            new = xa - g / dg
        mid = mu0[act, None] + sc * np.sinh((np.arcsinh((la - mu0[act, None]) / sc)
                                             + np.arcsinh((ha - mu0[act, None]) / sc)) / 2)
        ok = np.isfinite(new) & (new > la) & (new < ha)
        conv = (np.abs(F - q) <= 1e-16) | (np.abs(new - xa) <= 1e-12 * sc)
        new = np.where(ok, new, np.where(conv, xa, mid))
        done = np.all(conv, axis=1)
        x[act], lo[act], hi[act] = new, la, ha
        act = act[~done]
        if not act.size:
            break
    return x


def mix_quantile(q: np.ndarray, w, m, s) -> np.ndarray:
    """Quantiles ``q`` (1-D, the same for every row) of the mixtures; rows × len(q). Upper ones
    (q > 0.5) as lower quantiles of the reflected mixture, so both tails keep full precision."""
    out = np.empty((w.shape[0], q.size))
    low = q <= 0.5
    if low.any():
        out[:, low] = _lower_quantile(q[low], w, m, s)
    if (~low).any():
        out[:, ~low] = -_lower_quantile(1 - q[~low], w, -m, s)
    return out


def mix_shortest(level: float, w, m, s, a, b) -> tuple[np.ndarray, np.ndarray]:
    """Shortest interval of the mixtures holding ``level``, by 2-D Newton from [a, b]:
    F(b) − F(a) = level and log f(b) = log f(a)."""
    act = np.arange(w.shape[0])
    for _ in range(50):
        wa, ma, sa = w[act], m[act], s[act]
        x = np.stack([a[act], b[act]], axis=1)
        F = mix_cdf(x, wa, ma, sa)
        f, d = mix_pdf(x, wa, ma, sa, deriv=True)
        g1 = F[:, 1] - F[:, 0] - level
        g2 = np.log(f[:, 1]) - np.log(f[:, 0])
        j11, j12 = -f[:, 0], f[:, 1]
        j21, j22 = -d[:, 0] / f[:, 0], d[:, 1] / f[:, 1]
        det = j11 * j22 - j12 * j21
        cap = 0.5 * (x[:, 1] - x[:, 0])
        with np.errstate(divide="ignore", invalid="ignore"):  # det = 0: already symmetric, no step
            da = np.nan_to_num(np.clip((g1 * j22 - j12 * g2) / det, -cap, cap))
            db = np.nan_to_num(np.clip((j11 * g2 - j21 * g1) / det, -cap, cap))
        a[act], b[act] = x[:, 0] - da, x[:, 1] - db
        done = (np.abs(da) <= 1e-13 * (1 + np.abs(x[:, 0]))) & (np.abs(db) <= 1e-13 * (1 + np.abs(x[:, 1])))
        act = act[~done]
        if not act.size:
            break
    return a, b
