"""The small-k simulation lab: checks against what theory says the numbers must be.

Reference values are distribution facts, not the lab's printout: with known within-study variances
and τ² = 0, a fixed-effect Wald interval covers exactly 95%, Cochran's Q is exactly χ²_{k−1} (so
P(p < 0.10) = 0.10 and P(I² > 0) = P(χ²_{k−1} > k − 1)).  Tolerances are 4 Monte-Carlo SEs.
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import optimize, stats

from mytools.teaching import simulation as sim

SIZES = np.array([[47, 48], [8, 7], [12, 14], [8, 8], [15, 16], [15, 15], [19, 17], [30, 32]], dtype=float)


def _tol(p: float, n: int) -> float:
    return 4 * math.sqrt(p * (1 - p) / n)


@pytest.fixture(scope="module")
def null_lab() -> sim.LabResult:
    return sim.run_lab(SIZES, k_values=(2, 3, 10), tau2_values=(0.0,), n_rep=20_000, seed=11,
                       known_variance=True)


def test_fixed_effect_coverage_is_nominal_when_tau2_is_zero(null_lab: sim.LabResult) -> None:
    for k in (2, 3, 10):
        cov = null_lab.value(k, 0.0, "fixed")
        assert abs(cov - 0.95) < _tol(0.95, 20_000), (k, cov)


def test_q_test_and_i2_under_the_null_follow_chi2(null_lab: sim.LabResult) -> None:
    for k in (2, 3, 10):
        p10 = null_lab.value(k, 0.0, "q_p10")
        assert abs(p10 - 0.10) < _tol(0.10, 20_000), (k, p10)
        expected = float(stats.chi2.sf(k - 1, k - 1))  # I² > 0 ⇔ Q > df
        pos = null_lab.value(k, 0.0, "i2_pos")
        assert abs(pos - expected) < _tol(expected, 20_000), (k, pos, expected)


def test_lab_is_deterministic_under_its_seed() -> None:
    a = sim.run_lab(SIZES, k_values=(3,), tau2_values=(0.0, 0.2), n_rep=2_000, seed=5)
    b = sim.run_lab(SIZES, k_values=(3,), tau2_values=(0.0, 0.2), n_rep=2_000, seed=5)
    c = sim.run_lab(SIZES, k_values=(3,), tau2_values=(0.0, 0.2), n_rep=2_000, seed=6)
    pd.testing.assert_frame_equal(a.coverage, b.coverage)
    pd.testing.assert_frame_equal(a.detection, b.detection)
    assert not a.coverage["coverage"].equals(c.coverage["coverage"])


def test_hartung_knapp_covers_better_than_dl_wald_when_tau2_is_large() -> None:
    r = sim.run_lab(SIZES, k_values=(3, 5), tau2_values=(0.4,), n_rep=5_000, seed=3)
    for k in (3, 5):
        dl, hk, fe = r.value(k, 0.4, "random_dl"), r.value(k, 0.4, "reml_hksj"), r.value(k, 0.4, "fixed")
        assert hk > dl + 0.03, (k, hk, dl)
        assert dl > fe, (k, dl, fe)
        assert hk > 0.90


def test_simulated_variances_are_unbiased_for_the_md_variance() -> None:
    rng = np.random.default_rng(1)
    sizes = np.array([[8.0, 7.0]])
    y, v = sim.simulate_studies(rng, 1, np.zeros(200_000), sizes)
    true_var = 1 / 8 + 1 / 7
    assert v.mean() == pytest.approx(true_var, rel=0.01)
    assert y.var() == pytest.approx(true_var, rel=0.02)


def test_fixed_design_and_bad_input() -> None:
    rng = np.random.default_rng(0)
    y, v = sim.simulate_studies(rng, 3, np.zeros(5), SIZES[:3], design="fixed", known_variance=True)
    assert y.shape == (5, 3)
    np.testing.assert_allclose(v[0], 1 / SIZES[:3, 0] + 1 / SIZES[:3, 1])
    with pytest.raises(ValueError, match="exactly k=3"):
        sim.simulate_studies(rng, 3, np.zeros(5), SIZES, design="fixed")
    with pytest.raises(ValueError, match="arm_sizes"):
        sim.simulate_studies(rng, 3, np.zeros(5), np.array([1, 2, 3]))


def _reml_by_optimiser(y: np.ndarray, v: np.ndarray) -> float:
    """REML τ² by numerical maximisation of the restricted log-likelihood (Viechtbauer 2005):
    −½[Σ ln(v_i + τ²) + ln Σ w_i + Σ w_i (y_i − μ̂)²], w_i = 1/(v_i + τ²)."""
    def nll(t: float) -> float:
        w = 1 / (v + t)
        mu = np.sum(w * y) / np.sum(w)
        return 0.5 * (np.sum(np.log(v + t)) + np.log(np.sum(w)) + np.sum(w * (y - mu) ** 2))

    res = optimize.minimize_scalar(nll, bounds=(0.0, 5.0), method="bounded", options={"xatol": 1e-12})
    return float(res.x) if nll(res.x) < nll(0.0) else 0.0


def test_reml_used_by_the_lab_is_the_restricted_likelihood_maximum() -> None:
    """The lab's REML + Hartung–Knapp arm relies on ``pool_many``'s vectorised REML; check it against
    a numerical maximisation of the restricted likelihood on awkward rows (first row: k = 10, on which
    plain Fisher scoring without step halving cycles between 0 and 0.0579)."""
    from mytools import pool_many

    y = np.array([0.63956391, 0.11341991, 0.1745262, 0.12680784, 0.48026973,
                  0.42990298, 0.55404584, -0.21372926, 0.54943833, -0.04685352])
    v = np.array([0.15748891, 0.15271974, 0.11417304, 0.12759928, 0.18251335,
                  0.20871874, 0.14951433, 0.04331834, 0.14121256, 0.22004855])
    rng = np.random.default_rng(2)
    ys = np.vstack([y, rng.normal(0, 0.6, size=(20, 10))])
    vs = np.vstack([v, rng.uniform(0.02, 0.3, size=(20, 10))])
    got = pool_many(ys, vs, model="random", tau2_method="REML", ci="hksj").tau2
    want = np.array([_reml_by_optimiser(a, b) for a, b in zip(ys, vs)])
    np.testing.assert_allclose(got, want, atol=1e-6)
    # the first row is interior (not the boundary 0 nor the 0.0579 of the cycle): the REML estimating
    # equation τ² = Σw²((y−μ)² − v)/Σw² + 1/Σw (Viechtbauer 2005, the REML fixed point) holds at the estimate
    t = got[0]
    w = 1 / (v + t)
    mu = np.sum(w * y) / np.sum(w)
    assert t > 1e-3 and abs(t - 0.0579) > 1e-3
    assert t == pytest.approx(np.sum(w**2 * ((y - mu) ** 2 - v)) / np.sum(w**2) + 1 / np.sum(w), abs=1e-7)


def test_wide_table_and_figure() -> None:
    r = sim.run_lab(SIZES, k_values=(2, 3), tau2_values=(0.0, 0.1), n_rep=500, seed=1)
    w = r.wide()
    assert w.shape == (4, 6)
    assert r.width_ratio(2, 0.0, "reml_hksj", "random_dl") > 2  # t quantile on 1 df is 12.7 vs 1.96
    fig = sim.plot_lab(r)
    assert len(fig.axes) == 4  # one row per k (2, 3), coverage and detection side by side
    alt = sim.lab_alt(r)
    assert alt.startswith("4 panels") and "%" in alt
    assert fig.get_facecolor()[:3] == (1.0, 1.0, 1.0)


def test_adding_a_k_value_leaves_the_others_unchanged() -> None:
    one = sim.run_lab(SIZES, k_values=(3,), tau2_values=(0.0, 0.1), n_rep=1_000, seed=9)
    two = sim.run_lab(SIZES, k_values=(2, 3), tau2_values=(0.0, 0.1), n_rep=1_000, seed=9)
    pd.testing.assert_frame_equal(one.coverage.reset_index(drop=True),
                                  two.coverage[two.coverage.k == 3].reset_index(drop=True))
