"""Edge cases and bad input for the pooling functions (the public pool_* functions of mytools.engine)."""
from __future__ import annotations

import math

import numpy as np
import pytest

from mytools import (
    ManyResult,
    MetaResult,
    NotEstimableError,
    i2_from_tau2,
    pool_binary,
    pool_continuous,
    pool_generic,
    pool_many,
    pool_subgroups,
)


def test_single_zero_cell_study_in_mh():
    """0/10 vs 3/10 alone: MH with 0.5 in the sums equals the corrected single-study RR 1/7."""
    r = pool_binary([0], [10], [3], [10])
    assert r.estimate == pytest.approx(1 / 7, rel=1e-14)
    assert r.studies["zero_cell_corrected"].tolist() == [True]
    assert any("0.5 added" in n for n in r.notes)


def test_double_zero_excluded_and_reported():
    r = pool_binary([3, 0, 3], [52, 20, 22], [2, 0, 1], [48, 20, 22], labels=["A", "B", "C"])
    ref = pool_binary([3, 3], [52, 22], [2, 1], [48, 22])
    assert r.k == 2 and r.df == 1
    assert r.estimate == pytest.approx(ref.estimate, rel=1e-15)
    row = r.studies.set_index("label").loc["B"]
    assert not row["estimable"] and row["weight_percent"] == 0 and math.isnan(row["estimate"])
    assert r.studies["weight_percent"].sum() == pytest.approx(100)
    assert any("B" in n and "not estimable" in n for n in r.notes)


@pytest.mark.parametrize("measure,method", [("RR", "MH"), ("OR", "MH"), ("OR", "Peto"), ("RR", "IV")])
def test_all_double_zero_raises(measure, method):
    with pytest.raises(NotEstimableError, match="no study is estimable.*'A'.*'B'"):
        pool_binary([0, 0], [10, 12], [0, 0], [11, 9], measure=measure, method=method, labels=["A", "B"])
    assert issubclass(NotEstimableError, ValueError)


def test_all_double_zero_rd_is_zero():
    r = pool_binary([0, 0], [10, 12], [0, 0], [11, 9], measure="RD")
    assert r.estimate == 0 and r.k == 2 and r.se > 0


def test_mh_none_with_no_control_events_raises_clearly():
    with pytest.raises(NotEstimableError, match="zero_cell='revman'"):
        pool_binary([2, 3], [10, 10], [0, 0], [10, 10], measure="OR", zero_cell="none")


@pytest.mark.parametrize("model", ["fixed", "random"])
@pytest.mark.parametrize("tm", ["DL", "REML", "PM"])
def test_k_equals_one(model, tm):
    r = pool_binary([37], [47], [21], [48], model=model, tau2_method=tm)
    f = pool_binary([37], [47], [21], [48])
    assert (r.q, r.df, r.i2, r.tau2, r.k) == (0.0, 0, 0.0, 0.0, 1)
    assert r.p_q is None and r.pi_low is None and r.pi_high is None
    assert (r.estimate, r.ci_low, r.ci_high) == pytest.approx((f.estimate, f.ci_low, f.ci_high), rel=1e-12)


def test_k_equals_one_hksj_falls_back_to_wald_with_note():
    r = pool_generic([1.0], [0.5], model="random", ci="hksj")
    assert r.ci_method == "wald" and any("Hartung" in n for n in r.notes)
    assert r.ci_low == pytest.approx(1.0 - 1.959963984540054 * 0.5, rel=1e-14)


def test_q_below_df_gives_zero_tau2_and_i2():
    r = pool_generic([0.10, 0.12, 0.11, 0.09], [0.2, 0.3, 0.25, 0.2], model="random")
    assert 0 < r.q < r.df
    assert r.tau2 == 0 and r.i2 == 0
    for tm in ("REML", "PM"):
        assert pool_generic([0.10, 0.12, 0.11, 0.09], [0.2, 0.3, 0.25, 0.2], model="random",
                            tau2_method=tm).tau2 == 0


def test_identical_studies():
    r = pool_binary([10, 10, 10], [50, 50, 50], [5, 5, 5], [50, 50, 50], model="random")
    assert r.q == pytest.approx(0, abs=1e-20) and r.i2 == 0 and r.tau2 == 0
    assert r.estimate == pytest.approx(2.0, rel=1e-14)
    with pytest.raises(NotEstimableError, match="Hartung"):
        pool_binary([10, 10, 10], [50, 50, 50], [5, 5, 5], [50, 50, 50], model="random", ci="hksj")


def test_very_large_counts():
    """One study of 2×10^9: MH RR equals the crude RR, SE from the Greenland–Robins formula."""
    a, n1, c, n2 = 300_000_000, 1_000_000_000, 200_000_000, 1_000_000_000
    r = pool_binary([a], [n1], [c], [n2])
    assert r.estimate == pytest.approx(1.5, rel=1e-13)
    assert r.se == pytest.approx(math.sqrt(1 / a - 1 / n1 + 1 / c - 1 / n2), rel=1e-9)
    o = pool_binary([a], [n1], [c], [n2], measure="OR")
    assert o.estimate == pytest.approx((0.3 * 0.8) / (0.7 * 0.2), rel=1e-12)


def test_prediction_interval_only_for_k_ge_3():
    y, s = [0.1, 0.5], [0.1, 0.1]
    assert pool_generic(y, s, model="random").pi_low is None
    r = pool_generic(y + [0.9], s + [0.1], model="random")
    assert r.pi_low is not None and r.pi_low < r.ci_low and r.pi_high > r.ci_high
    assert pool_generic(y + [0.9], s + [0.1], model="fixed").pi_low is None


def test_summary_frame_and_types():
    r = pool_binary([3, 3], [52, 22], [2, 1], [48, 22], labels=["ProDERM", "Other"])
    assert isinstance(r, MetaResult)
    sf = r.summary_frame()
    assert list(sf["label"])[:2] == ["ProDERM", "Other"] and len(sf) == 3
    assert sf["estimate"].iloc[-1] == r.estimate and sf["weight_percent"].iloc[-1] == pytest.approx(100)
    with pytest.raises(Exception):
        r.estimate = 2.0  # frozen


# ---- options and bad input -------------------------------------------------------------------------

@pytest.mark.parametrize("kw,match", [
    ({"measure": "HR"}, "measure='HR'"),
    ({"method": "GLMM"}, "method='GLMM'"),
    ({"model": "mixed"}, "model='mixed'"),
    ({"tau2_method": "SJ"}, "tau2_method='SJ'"),
    ({"ci": "profile"}, "ci='profile'"),
    ({"zero_cell": "tacc"}, "zero_cell='tacc'"),
    ({"ci": "hksj"}, "random"),
    ({"method": "Peto", "measure": "RR"}, "odds ratios only"),
    ({"method": "Peto", "measure": "OR", "model": "random"}, "fixed-effect"),
])
def test_bad_options(kw, match):
    with pytest.raises(ValueError, match=match):
        pool_binary([1, 2], [10, 10], [1, 2], [10, 10], **kw)


def test_bad_counts_name_study_and_field():
    with pytest.raises(ValueError, match=r"'Bunch 1980'.*index 1.*'events_intervention' = 9 exceeds 'n_intervention' = 8"):
        pool_binary([4, 9], [8, 8], [3, 3], [8, 8], labels=["X", "Bunch 1980"])
    with pytest.raises(ValueError, match=r"'sd_control'"):
        pool_continuous([1], [1], [10], [0], [0], [10], labels=["Y"])


def test_subgroups_bad_input():
    r = pool_generic([0.1, 0.2], [0.1, 0.1])
    with pytest.raises(ValueError, match="at least two"):
        pool_subgroups({"a": r})
    with pytest.raises(ValueError, match="measure"):
        pool_subgroups({"a": r, "b": pool_binary([1], [10], [2], [10])})


def test_subgroups_hand_worked():
    """Two subgroups with θ = 0 and 1, SE 1 each: θ̄ = 0.5, Q = 0.25 + 0.25 = 0.5, df 1, I² = 0."""
    a = pool_generic([0.0], [1.0])
    b = pool_generic([1.0], [1.0])
    s = pool_subgroups({"a": a, "b": b})
    assert (s.q, s.df, s.i2) == (pytest.approx(0.5), 1, 0.0)
    assert s.p == pytest.approx(0.4795001221869535, rel=1e-12)  # chi-square(1) tail at 0.5
    assert list(s.table()["subgroup"]) == ["a", "b"]


def test_i2_from_tau2():
    v = np.array([0.1, 0.1, 0.1])
    # equal variances: s² = v, so I² = τ²/(τ² + v)
    assert i2_from_tau2(0.1, v) == pytest.approx(50.0)
    assert i2_from_tau2(0.0, v) == 0.0
    out = i2_from_tau2(np.array([0.1, 0.3]), np.array([[0.1, 0.1, np.nan], [0.1, 0.1, 0.1]]))
    np.testing.assert_allclose(out, [50.0, 75.0])
    with pytest.raises(ValueError):
        i2_from_tau2(-1.0, v)


def test_pool_many_bad_input():
    with pytest.raises(ValueError, match="same shape"):
        pool_many(np.zeros((2, 3)), np.ones((2, 2)))
    with pytest.raises(ValueError, match="row 1.*NaN"):
        pool_many(np.array([[0.1, 0.2], [0.1, np.nan]]), np.array([[1, 1], [1, 1.0]]))
    with pytest.raises(ValueError, match="row 0.*'v' must be > 0"):
        pool_many(np.array([[0.1, 0.2]]), np.array([[0.0, 1.0]]))
    with pytest.raises(ValueError, match="row 1.*no studies"):
        pool_many(np.array([[0.1, 0.2], [np.nan, np.nan]]), np.array([[1, 1], [np.nan, np.nan]]))
    with pytest.raises(ValueError, match="row 0.*at least 2"):
        pool_many(np.array([[0.1, np.nan]]), np.array([[1, np.nan]]), ci="hksj")
    with pytest.raises(ValueError, match="tau2_method='EB'"):
        pool_many(np.zeros((1, 2)), np.ones((1, 2)), tau2_method="EB")


def test_pool_many_k1_row_and_fixed():
    m = pool_many(np.array([[0.3, np.nan]]), np.array([[0.04, np.nan]]))
    assert isinstance(m, ManyResult)
    assert (m.estimate[0], m.se[0], m.tau2[0], m.q[0], m.i2[0], m.k[0]) == (0.3, 0.2, 0.0, 0.0, 0.0, 1)
    f = pool_many(np.array([[0.0, 1.0]]), np.array([[1.0, 1.0]]), model="fixed")
    assert f.estimate[0] == 0.5 and f.tau2[0] == 0 and f.q[0] == 0.5
