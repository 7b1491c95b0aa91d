"""Per-study effect sizes (mytools.engine.effects) against hand-worked textbook formulas, and input
checks.

Hand-worked numbers are typed with their arithmetic, from the formulas in Deeks & Higgins,
*Statistical algorithms in Review Manager 5* (2010) and the Cochrane Handbook 5.1 ch. 9; metafor
comparisons of the same quantities are in test_engine_metafor.py.
"""
from __future__ import annotations

import math

import numpy as np
import pytest

from mytools.engine.effects import InputError, binary_effects, continuous_effects, generic_effects


def test_smd_revman_hand_worked():
    """Davis (Fleiss 1993): 5.0 (4.7) n=13 vs 6.5 (3.8) n=13.
    s_pooled = sqrt((12*4.7^2 + 12*3.8^2)/24) = sqrt(18.265) = 4.273757;
    d = -1.5/4.273757 = -0.350979; J = 1 - 3/(4*26 - 9) = 92/95 = 0.968421; g = -0.339896;
    SE = sqrt(26/169 + g^2/(2*(26 - 3.94))) = sqrt(0.153846 + 0.0026186) = 0.395556."""
    es, _ = continuous_effects([5.0], [4.7], [13], [6.5], [3.8], [13], measure="SMD", smd="revman")
    assert es.y[0] == pytest.approx(-0.339896, abs=5e-7)
    assert math.sqrt(es.v[0]) == pytest.approx(0.395556, abs=5e-7)


def test_smd_exact_j_matches_hedges_olkin_table():
    """Exact J(m) for m = 24 df is 0.9684 in Hedges & Olkin (1985, Table 5.2; 4 decimals);
    the RevMan approximation 92/95 = 0.96842 rounds the same, but differs at 5e-5."""
    es_e, _ = continuous_effects([1.0], [1.0], [13], [0.0], [1.0], [13], measure="SMD", smd="exact")
    es_r, _ = continuous_effects([1.0], [1.0], [13], [0.0], [1.0], [13], measure="SMD", smd="revman")
    assert es_e.y[0] == pytest.approx(0.9684, abs=5e-5)
    assert es_r.y[0] == pytest.approx(92 / 95, rel=1e-15)
    assert abs(es_e.y[0] - es_r.y[0]) > 1e-5
    # exact variance: 1/n1 + 1/n2 + g^2/(2N)
    assert es_e.v[0] == pytest.approx(2 / 13 + es_e.y[0] ** 2 / 52, rel=1e-15)


def test_md_hand_worked():
    es, _ = continuous_effects([5.0], [4.7], [13], [6.5], [3.8], [13], measure="MD")
    assert es.y[0] == -1.5
    assert es.v[0] == pytest.approx(4.7**2 / 13 + 3.8**2 / 13, rel=1e-15)


def test_rr_single_zero_cell_hand_worked():
    """0/10 vs 3/10: 0.5 added to all cells -> 0.5/11 vs 3.5/11, RR = 1/7;
    var = 1/0.5 - 1/11 + 1/3.5 - 1/11."""
    es, _ = binary_effects([0], [10], [3], [10], measure="RR")
    assert es.corrected[0] and es.estimable[0]
    assert es.y[0] == pytest.approx(math.log(1 / 7), rel=1e-14)
    assert es.v[0] == pytest.approx(2 - 2 / 11 + 1 / 3.5, rel=1e-14)


def test_or_and_rd_hand_worked():
    es, _ = binary_effects([12], [14], [11], [13], measure="OR")
    assert es.y[0] == pytest.approx(math.log((12 * 2) / (2 * 11)), rel=1e-14)
    assert es.v[0] == pytest.approx(1 / 12 + 1 / 2 + 1 / 11 + 1 / 2, rel=1e-14)
    es, _ = binary_effects([12], [14], [11], [13], measure="RD")
    assert es.y[0] == pytest.approx(12 / 14 - 11 / 13, rel=1e-14)
    assert es.v[0] == pytest.approx(12 * 2 / 14**3 + 11 * 2 / 13**3, rel=1e-14)


@pytest.mark.parametrize("a,n1,c,n2", [(0, 10, 0, 12), (10, 10, 12, 12)])
def test_double_zero_flags(a, n1, c, n2):
    """Not estimable for RR/OR — for an all-events study (10/10 vs 12/12) only under the named
    option ``all_events="exclude"``; RevMan's own rule (RR = 1) is tested in test_engine_revman_rules."""
    for m in ("RR", "OR"):
        es, _ = binary_effects([a], [n1], [c], [n2], measure=m, all_events="exclude")
        assert not es.estimable[0] and np.isnan(es.y[0])
    if a == 0:  # no events in both arms: never estimable for a ratio, whatever the all-events rule
        for m in ("RR", "OR"):
            es, _ = binary_effects([a], [n1], [c], [n2], measure=m)
            assert not es.estimable[0] and np.isnan(es.y[0])
    es, _ = binary_effects([a], [n1], [c], [n2], measure="OR")  # OR: never, under either rule
    assert not es.estimable[0] and np.isnan(es.y[0])
    es, _ = binary_effects([a], [n1], [c], [n2], measure="RD")
    assert es.estimable[0] and es.y[0] == 0 and es.v[0] > 0


def test_generic_log_scale():
    es = generic_effects([2.0, 0.5], [0.1, 0.2], log_scale=True)
    np.testing.assert_allclose(es.y, [math.log(2), math.log(0.5)])
    np.testing.assert_allclose(es.v, [0.01, 0.04])


# ---- bad input: ValueError naming study and field ----------------------------------------------

LABELS = ["Alpha 2001", "Beta 2002"]


@pytest.mark.parametrize("args,field", [
    (([-1, 2], [10, 10], [1, 2], [10, 10]), "events_intervention"),
    (([1, 2.5], [10, 10], [1, 2], [10, 10]), "events_intervention"),
    (([1, 2], [10, 10], [1, 11], [10, 10]), "events_control"),
    (([1, 2], [10, 0], [1, 0], [10, 10]), "n_intervention"),
    (([1, 2], [10, 10], [1, float("nan")], [10, 10]), "events_control"),
    (([1, 2], [10, float("inf")], [1, 2], [10, 10]), "n_intervention"),
])
def test_binary_bad_input(args, field):
    with pytest.raises(ValueError) as e:
        binary_effects(*args, labels=LABELS)
    msg = str(e.value)
    assert field in msg
    assert "Alpha 2001" in msg or "Beta 2002" in msg
    assert "index" in msg


def test_bad_input_without_labels_names_index():
    with pytest.raises(ValueError, match=r"study 2.*index 1.*n_control"):
        binary_effects([1, 2], [10, 10], [1, 2], [10, -3])


@pytest.mark.parametrize("args,field", [
    (([1, 2], [1, -1], [10, 10], [1, 2], [1, 1], [10, 10]), "sd_intervention"),
    (([1, 2], [1, 1], [10, 10], [1, 2], [1, -1], [10, 10]), "sd_control"),
    (([1, 2], [1, 1], [10, 10.5], [1, 2], [1, 1], [10, 10]), "n_intervention"),
    (([1, float("nan")], [1, 1], [10, 10], [1, 2], [1, 1], [10, 10]), "mean_intervention"),
])
def test_continuous_bad_input(args, field):
    with pytest.raises(ValueError, match=field) as e:
        continuous_effects(*args, labels=LABELS)
    assert "Beta 2002" in str(e.value) or "Alpha 2001" in str(e.value)


def test_mismatched_lengths():
    with pytest.raises(ValueError, match="mismatched lengths.*events_intervention=2.*n_intervention=3"):
        binary_effects([1, 2], [10, 10, 10], [1, 2], [10, 10])
    with pytest.raises(ValueError, match="labels"):
        binary_effects([1, 2], [10, 10], [1, 2], [10, 10], labels=["only one"])


def test_unknown_options():
    with pytest.raises(ValueError, match="measure='HR'"):
        binary_effects([1], [10], [1], [10], measure="HR")
    with pytest.raises(ValueError, match="smd='cohen'"):
        continuous_effects([1], [1], [10], [0], [1], [10], measure="SMD", smd="cohen")


def test_generic_bad_input():
    with pytest.raises(ValueError, match="se"):
        generic_effects([1.0], [-0.1])
    zero = generic_effects([1.0, 2.0], [0.0, 0.1])  # zero variance: not estimable, as RevMan shows it
    assert zero.estimable.tolist() == [False, True] and np.isnan(zero.y[0])
    with pytest.raises(ValueError, match="ratio must be > 0"):
        generic_effects([-1.0], [0.1], log_scale=True)
    with pytest.raises(InputError):
        generic_effects([], [])
