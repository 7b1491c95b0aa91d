"""Property-based tests (hypothesis): symmetries every correct engine must have."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from mytools import pool_binary, pool_continuous, pool_generic, pool_many
from mytools.engine import NotEstimableError

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def tables(draw, min_k=1, max_k=6):
    k = draw(st.integers(min_k, max_k))
    n1 = draw(st.lists(st.integers(1, 200), min_size=k, max_size=k))
    n2 = draw(st.lists(st.integers(1, 200), min_size=k, max_size=k))
    a = [draw(st.integers(0, n)) for n in n1]
    c = [draw(st.integers(0, n)) for n in n2]
    return a, n1, c, n2


@st.composite
def arms(draw, min_k=1, max_k=6):
    k = draw(st.integers(min_k, max_k))
    f = st.floats(-50, 50, allow_nan=False)
    sd = st.floats(0.1, 30, allow_nan=False)
    n = st.integers(3, 300)
    lists = [draw(st.lists(g, min_size=k, max_size=k)) for g in (f, sd, n, f, sd, n)]
    return lists


def _estimable(a, n1, c, n2):
    return any(not ((x + y == 0) or (x == m and y == l)) for x, m, y, l in zip(a, n1, c, n2))


@SETTINGS
@given(tables(), st.sampled_from(["RR", "OR", "RD"]), st.sampled_from(["MH", "IV"]),
       st.sampled_from(["fixed", "random"]), st.sampled_from(["revman", "none"]))
def test_swapping_arms_inverts_ratio_negates_difference(t, measure, method, model, rule):
    a, n1, c, n2 = t
    assume(measure == "RD" or _estimable(a, n1, c, n2))
    # RevMan's MH RR gives a study with every participant an event in both arms RR 1 and the weight
    # c·n1/N of its 0.5-corrected cells, which is not symmetric in the arms (next test)
    assume(not (measure == "RR" and method == "MH" and rule == "revman" and _all_events(a, n1, c, n2)))
    try:
        r = pool_binary(a, n1, c, n2, measure=measure, method=method, model=model, zero_cell=rule)
    except ValueError:  # zero_cell="none" can make the MH ratio infinite: then both directions fail
        with pytest.raises(ValueError):
            pool_binary(c, n2, a, n1, measure=measure, method=method, model=model, zero_cell=rule)
        return
    s = pool_binary(c, n2, a, n1, measure=measure, method=method, model=model, zero_cell=rule)
    if measure == "RD":
        assert s.estimate == pytest.approx(-r.estimate, abs=1e-12)
        assert s.ci_low == pytest.approx(-r.ci_high, abs=1e-12)
    else:
        assert s.estimate == pytest.approx(1 / r.estimate, rel=1e-9)
        assert s.ci_high == pytest.approx(1 / r.ci_low, rel=1e-9)
    assert s.q == pytest.approx(r.q, rel=1e-9, abs=1e-12)
    assert s.tau2 == pytest.approx(r.tau2, rel=1e-7, abs=1e-12)


def _all_events(a, n1, c, n2):
    return any(x == m and y == l and x + y > 0 for x, m, y, l in zip(a, n1, c, n2))


def test_an_all_events_study_breaks_arm_symmetry_of_revmans_mh_rr():
    """RevMan's MH RR (Deeks & Higgins's weighted-average form, the rule read off RevMan's weights in
    tests/reproduce/test_reproduce_conformance.py): a study with all events in both arms enters with
    RR 1 and weight c·n1/N on 0.5-corrected cells; swapping the arms gives it a·n2/N instead, so the
    pooled RR is not exactly inverted unless n1 = n2. Issue #19's example tables."""
    a, n1, c, n2 = [12, 7], [50, 7], [20, 10], [50, 10]
    r = pool_binary(a, n1, c, n2, measure="RR", method="MH", model="fixed", zero_cell="revman")
    s = pool_binary(c, n2, a, n1, measure="RR", method="MH", model="fixed", zero_cell="revman")
    w = 10.5 * 8 / 19           # c·n1/N on the corrected cells 7.5, 0.5, 10.5, 0.5
    w_swapped = 7.5 * 11 / 19   # the same study with the arms swapped: a·n2/N
    assert r.estimate == pytest.approx((12 * 50 / 100 + w) / (20 * 50 / 100 + w), rel=1e-12)
    assert s.estimate == pytest.approx((20 * 50 / 100 + w_swapped) / (12 * 50 / 100 + w_swapped), rel=1e-12)
    assert s.estimate != pytest.approx(1 / r.estimate, rel=1e-4)


@SETTINGS
@given(tables(min_k=2), st.sampled_from(["RR", "OR", "RD"]), st.sampled_from(["MH", "IV", "Peto"]),
       st.sampled_from(["fixed", "random"]), st.randoms())
def test_weights_sum_to_100_and_order_does_not_matter(t, measure, method, model, rnd):
    a, n1, c, n2 = t
    if method == "Peto":  # before the assume: Peto turns an RD draw into OR, which needs events
        measure, model = "OR", "fixed"
    assume(measure == "RD" or _estimable(a, n1, c, n2))
    r = pool_binary(a, n1, c, n2, measure=measure, method=method, model=model)
    assert r.studies["weight_percent"].sum() == pytest.approx(100.0, rel=1e-12)
    perm = list(range(len(a)))
    rnd.shuffle(perm)
    p = pool_binary([a[i] for i in perm], [n1[i] for i in perm], [c[i] for i in perm],
                    [n2[i] for i in perm], measure=measure, method=method, model=model)
    for f in ("estimate", "ci_low", "ci_high", "q", "tau2"):
        assert getattr(p, f) == pytest.approx(getattr(r, f), rel=1e-9, abs=1e-12)
    np.testing.assert_allclose(p.studies["weight_percent"], r.studies["weight_percent"].to_numpy()[perm],
                               rtol=1e-9)


@SETTINGS
@given(arms(), st.floats(0.01, 100), st.sampled_from(["revman", "exact"]), st.sampled_from(["fixed", "random"]))
def test_continuous_scaling_and_swapping(x, scale, smd, model):
    m1, s1, n1, m2, s2, n2 = x
    md = pool_continuous(m1, s1, n1, m2, s2, n2, measure="MD", model=model)
    md_c = pool_continuous(np.multiply(m1, scale), np.multiply(s1, scale), n1,
                           np.multiply(m2, scale), np.multiply(s2, scale), n2, measure="MD", model=model)
    assert md_c.estimate == pytest.approx(scale * md.estimate, rel=1e-7, abs=1e-9 * scale)
    assert md_c.ci_high - md_c.ci_low == pytest.approx(scale * (md.ci_high - md.ci_low), rel=1e-7)
    g = pool_continuous(m1, s1, n1, m2, s2, n2, measure="SMD", smd=smd, model=model)
    g_c = pool_continuous(np.multiply(m1, scale), np.multiply(s1, scale), n1,
                          np.multiply(m2, scale), np.multiply(s2, scale), n2, measure="SMD", smd=smd, model=model)
    assert g_c.estimate == pytest.approx(g.estimate, rel=1e-7, abs=1e-9)
    sw = pool_continuous(m2, s2, n2, m1, s1, n1, measure="SMD", smd=smd, model=model)
    assert sw.estimate == pytest.approx(-g.estimate, rel=1e-9, abs=1e-12)
    sw = pool_continuous(m2, s2, n2, m1, s1, n1, measure="MD", model=model)
    assert sw.estimate == pytest.approx(-md.estimate, rel=1e-9, abs=1e-12)


@SETTINGS
@given(st.lists(st.tuples(st.floats(-3, 3), st.floats(0.01, 2)), min_size=1, max_size=8))
def test_dl_random_ci_never_narrower_than_fixed(studies):
    y, se = zip(*studies)
    f = pool_generic(y, se)
    r = pool_generic(y, se, model="random")
    assert r.ci_high - r.ci_low >= (f.ci_high - f.ci_low) * (1 - 1e-12)
    assert r.tau2 >= 0 and 0 <= r.i2 < 100


@SETTINGS
@given(st.lists(st.lists(st.tuples(st.floats(-2, 2), st.floats(0.005, 1)), min_size=2, max_size=5),
                min_size=1, max_size=6),
       st.sampled_from(["DL", "REML", "PM"]), st.sampled_from(["wald", "hksj"]))
def test_pool_many_equals_scalar_engine(rows, tm, ci):
    """Vectorised iterations (Fisher scoring / Newton) agree with the scalar root-finding."""
    width = max(len(r) for r in rows)
    Y = np.full((len(rows), width), np.nan)
    V = np.full((len(rows), width), np.nan)
    for i, r in enumerate(rows):
        Y[i, : len(r)] = [x for x, _ in r]
        V[i, : len(r)] = [s for _, s in r]
    try:
        m = pool_many(Y, V, tau2_method=tm, ci_method=ci)
    except NotEstimableError as exc:  # HKSJ with identical estimates (q = 0): both refuse alike
        i = int(str(exc).split(":")[0].split()[1])
        assert ci == "hksj" and "Hartung–Knapp SE is 0" in str(exc)
        with pytest.raises(NotEstimableError, match="Hartung–Knapp SE is 0"):
            pool_generic([x for x, _ in rows[i]], np.sqrt([s for _, s in rows[i]]), model="random",
                         tau2_method=tm, ci_method=ci)
        return
    for i, r in enumerate(rows):
        y = [x for x, _ in r]
        se = np.sqrt([s for _, s in r])
        g = pool_generic(y, se, model="random", tau2_method=tm, ci_method=ci)
        assert m.tau2[i] == pytest.approx(g.tau2, rel=1e-7, abs=1e-10)
        assert m.estimate[i] == pytest.approx(g.theta, rel=1e-7, abs=1e-10)
        assert m.se[i] == pytest.approx(g.se, rel=1e-7, abs=1e-12)
        assert m.ci_low[i] == pytest.approx(np.log(g.ci_low) if g.log_scale else g.ci_low, rel=1e-7, abs=1e-10)
        assert m.q[i] == pytest.approx(g.q, rel=1e-9, abs=1e-12)
        assert m.i2[i] == pytest.approx(g.i2, rel=1e-9, abs=1e-9)
