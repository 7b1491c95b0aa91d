"""Numbers at the limits of double precision (issue #19, bar 5): a result whose every number is
finite, or :class:`NotEstimableError` with the core's message — never a RuntimeWarning, never a
silent ∞ or NaN — and the same answer from the scalar functions, ``pool_many`` and ``pool_batch``.

The rule (:func:`mytools.engine.effects.finite_effects`, :data:`mytools.engine.core.NOT_REPRESENTABLE`):
a study whose effect y, variance v or weight 1/v is not a finite number is not estimable (a note
names it); a pooled number that overflows makes the analysis not estimable with the core's reason.
The expected values are the properties themselves (finiteness, agreement between entry points).
"""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mytools.engine import NotEstimableError, pool_batch, pool_continuous, pool_generic, pool_many
from mytools.engine.core import STATUS_MESSAGES
from mytools.engine.effects import generic_effects

SETTINGS = settings(max_examples=int(__import__("os").environ.get("EXTREME_EXAMPLES", 120)), deadline=None, suppress_health_check=[HealthCheck.too_slow])
EDGES = [1e308, 1e200, 1e155, 1e154, 1e77, 1.0, 1e-77, 1e-154, 1e-155, 1e-160, 1e-200, 1e-308,
         5e-324]
Y = st.one_of(st.floats(-1e308, 1e308), st.sampled_from(EDGES + [-x for x in EDGES]))
SE = st.one_of(st.floats(0, 1e308), st.sampled_from(EDGES + [0.0]))
FIELDS = ("theta", "ci_low", "ci_high", "se", "tau2", "q")


def _status(msg: str) -> str:
    """The core's status message inside an error or a reason ('' when none matches)."""
    return next((m for m in STATUS_MESSAGES.values() if m in msg), msg)


def _scalar(y, se, opts):
    try:
        r = pool_generic(y, se, **opts)
    except NotEstimableError as exc:
        return _status(str(exc))
    return np.array([r.theta, np.log(r.ci_low) if r.log_scale else r.ci_low,
                     r.ci_high, r.se, r.tau2, r.q, r.i2, r.z])


def _many(y, se, opts):
    es = generic_effects(y, se)
    try:
        m = pool_many(es.y[None], es.v[None], model=opts["model"], tau2_method=opts["tau2_method"],
                      ci_method=opts["ci_method"])
    except NotEstimableError as exc:
        return _status(str(exc))
    return np.array([m.estimate[0], m.ci_low[0], m.ci_high[0], m.se[0], m.tau2[0], m.q[0]])


def _batch(y, se, opts):
    rows = {"segment": np.zeros(len(y), int), "giv_estimate": y, "giv_se": se}
    seg = {"data_type": ["generic"], **{k: [v] for k, v in opts.items()}}
    p = pool_batch(rows, seg).pooled.iloc[0]
    if p["pooling"] != "ok":
        return _status(p["reason"])
    return np.array([p[x] for x in FIELDS] + [p["i2"], p["z"]])


@pytest.mark.filterwarnings("error::RuntimeWarning")
@SETTINGS
@given(st.lists(st.tuples(Y, SE), min_size=1, max_size=5), st.sampled_from(["fixed", "random"]),
       st.sampled_from(["DL", "REML", "PM"]), st.sampled_from(["wald", "hksj"]))
def test_generic_extremes_one_answer_everywhere(studies, model, tm, ci):
    if model == "fixed":
        ci = "wald"
    y, se = (list(x) for x in zip(*studies))
    opts = dict(model=model, tau2_method=tm, ci_method=ci)
    got = [f(y, se, opts) for f in (_scalar, _many, _batch)]
    if isinstance(got[0], str):
        assert got[0] in STATUS_MESSAGES.values(), got[0]
        assert got[1] == got[0] and got[2] == got[0], got
        return
    assert np.isfinite(got[0]).all(), got[0]  # every number of a result is finite
    for g in got[1:]:
        assert not isinstance(g, str), (g, got[0])
        np.testing.assert_allclose(g[:6], got[0][:6], rtol=1e-12, atol=0)
    np.testing.assert_allclose(got[2][6:], got[0][6:], rtol=1e-12)  # I² and z: scalar and batch


@pytest.mark.filterwarnings("error::RuntimeWarning")
@SETTINGS
@given(st.lists(st.tuples(Y, SE, st.integers(2, 10**6), Y, SE, st.integers(2, 10**6)),
                min_size=1, max_size=4),
       st.sampled_from(["MD", "SMD"]), st.sampled_from(["fixed", "random"]))
def test_continuous_extremes_scalar_and_batch_agree(studies, measure, model):
    cols = [list(x) for x in zip(*studies)]
    names = ("mean_intervention", "sd_intervention", "n_intervention", "mean_control",
             "sd_control", "n_control")
    try:
        r = pool_continuous(*cols, measure=measure, model=model)
        want = np.array([r.theta, r.ci_low, r.ci_high, r.se, r.tau2, r.q])
        assert np.isfinite(want).all() and np.isfinite([r.i2, r.z]).all()
    except NotEstimableError as exc:
        want = _status(str(exc))
        assert want in STATUS_MESSAGES.values(), want
    p = pool_batch({"segment": np.zeros(len(studies), int), **dict(zip(names, cols))},
                   {"data_type": ["continuous"], "measure": [measure], "model": [model]}).pooled.iloc[0]
    if isinstance(want, str):
        assert p["pooling"] == "not_estimable" and p["reason"] == want
    else:
        np.testing.assert_allclose([p[x] for x in FIELDS], want, rtol=1e-12, atol=0)


@pytest.mark.filterwarnings("error::RuntimeWarning")
def test_a_ratio_beyond_double_range_is_not_estimable_everywhere():
    """ln HR 709 with SE 1: e^θ is finite but the CI's upper bound e^711 is not — the analysis is
    not estimable (scalar and batch alike); ln HR 800 as entered: the study itself is not."""
    with pytest.raises(NotEstimableError, match="back-transformed ratio"):
        pool_generic([709.0], [1.0], log_scale=True, entered_log=True)
    rows = {"segment": [0], "giv_estimate": [709.0], "giv_se": [1.0]}
    p = pool_batch(rows, {"data_type": ["generic"], "log_scale": [True]}).pooled.iloc[0]
    assert p["pooling"] == "not_estimable" and "back-transformed ratio" in p["reason"]
    r = pool_generic([800.0, 0.2], [0.1, 0.1], log_scale=True, entered_log=True)
    assert r.k == 1 and r.theta == pytest.approx(0.2, rel=1e-12) and "not a finite number in double precision" in r.notes[0]
    b = pool_batch({"segment": [0, 0], "giv_estimate": [800.0, 0.2], "giv_se": [0.1, 0.1]},
                   {"data_type": ["generic"], "log_scale": [True]})
    assert b.pooled["k"].iloc[0] == 1 and not b.studies["estimable"].iloc[0]


@pytest.mark.parametrize("y, se", [([0.0, 1e9], [1e-4, 1e4]), ([0.0, 3.0, 1e9], [1e-4, 2e-4, 1e4]),
                                   ([0.0, 0.0], [5.734992843889154e16, 6.838717160008074e24])])
def test_dl_with_one_dominant_weight_equals_exact_arithmetic(y, se):
    """DL's denominator Σw − Σw²/Σw cancels when one weight carries nearly all of Σw: release 0.3
    before this fix gave τ² 3.36e17 for the first case (exact: 5.0e17) and 2.3e49 for the last
    (Q = 0, exact: 0). The reference is the formula in exact rational arithmetic (fractions)."""
    from fractions import Fraction as F

    w = [1 / F(s) ** 2 for s in se]
    Y = [F(x) for x in y]
    sw = sum(w)
    mu = sum(a * b for a, b in zip(w, Y)) / sw
    q = sum(a * (b - mu) ** 2 for a, b in zip(w, Y))
    tau2 = max(F(0), (q - (len(y) - 1)) / (sw - sum(a * a for a in w) / sw))
    r = pool_generic(y, se, model="random")
    assert r.tau2 == pytest.approx(float(tau2), rel=1e-9, abs=0)
    es = generic_effects(y, se)
    assert pool_many(es.y[None], es.v[None]).tau2[0] == pytest.approx(float(tau2), rel=1e-9, abs=0)
