"""Settings as named modes and the one registry of analysis variants (mytools.engine.settings,
mytools.engine.variants); the old keyword names of the arms as aliases."""
from __future__ import annotations

import numpy as np
import pytest

import mytools
from mytools import MODERN, REVMAN5, REVMAN_WEB, Settings, pool_binary, pool_continuous
from mytools.engine import resolve
from mytools.engine.variants import VARIANTS, variant_options, variants_for

A, N1, C, N2 = [12, 5, 30, 2], [50, 40, 120, 20], [20, 9, 31, 0], [50, 41, 118, 20]


def test_modes():
    assert (REVMAN5.tau2_method, REVMAN5.ci_method, REVMAN5.i2, REVMAN5.zero_cell) == ("DL", "wald", "q", "revman")
    assert (REVMAN_WEB.tau2_method, REVMAN_WEB.ci_method, REVMAN_WEB.prediction_df, REVMAN_WEB.hksj_p) == \
        ("REML", "hksj", "k-1", "wald")
    assert (MODERN.all_events, MODERN.zero_cell, MODERN.smd, MODERN.hksj_p) == ("exclude", "none", "exact", "t")
    assert resolve("revman_web") is REVMAN_WEB
    s = resolve(REVMAN_WEB, tau2_method="PM")
    assert s.tau2_method == "PM" and s.name == "REVMAN_WEB+custom" and s.ci_method == "hksj"
    with pytest.raises(ValueError, match="settings='RevMan6'"):
        resolve("RevMan6")
    with pytest.raises(ValueError, match="ci_level=95"):
        Settings(ci_level=95)
    with pytest.raises(ValueError, match="tau2_method='SJ'"):
        Settings(tau2_method="SJ")


def test_mode_changes_only_random_effects_for_fixed_analyses():
    f5 = pool_binary(A, N1, C, N2)
    fw = pool_binary(A, N1, C, N2, settings=REVMAN_WEB)  # fixed effect: the HKSJ setting does not apply
    assert (fw.estimate, fw.ci_low, fw.ci_method) == (f5.estimate, f5.ci_low, "wald")
    rw = pool_binary(A, N1, C, N2, model="random", settings="REVMAN_WEB")
    assert rw.tau2_method == "REML" and rw.ci_method == "hksj" and rw.settings == "REVMAN_WEB"
    assert rw.tau2_ci_low is not None and rw.pi_low is not None
    with pytest.raises(ValueError, match="random"):
        pool_binary(A, N1, C, N2, ci_method="hksj")  # explicit HKSJ with a fixed-effect model


def test_variants_registry():
    for key in ("revman", "fixed", "random_dl", "random_reml", "dl_hksj", "reml_hksj",
                "mh_no_correction", "all_events_excluded", "smd_exact"):
        assert key in VARIANTS
    assert not any("hk" in k and "hksj" not in k for k in VARIANTS)  # one name for Hartung–Knapp
    for key, v in VARIANTS.items():
        if v.applies_to == "smd":
            r = pool_continuous([1, 2], [1, 1], [10, 12], [0, 1], [1, 1.2], [11, 10], measure="SMD",
                                **variant_options(key))
        else:
            r = pool_binary(A, N1, C, N2, **variant_options(key))
        assert np.isfinite(r.estimate), key
    r = pool_binary(A, N1, C, N2, **variant_options("reml_hksj"))
    assert (r.model, r.tau2_method, r.ci_method) == ("random", "REML", "hksj")
    floor = pool_binary(A, N1, C, N2, **variant_options("reml_hksj_floor"))
    assert floor.ci_high - floor.ci_low >= r.ci_high - r.ci_low
    keys = variants_for(data_type="dichotomous", method="MH", measure="RR", has_zero_cell=True)
    assert keys[0] == "revman" and "mh_no_correction" in keys and "smd_exact" not in keys
    with pytest.raises(ValueError, match="unknown analysis variant 'hk'"):
        variant_options("hk")


def test_old_arm_keywords_are_gone():
    """The deprecated ``_t``/``_c`` aliases were removed in 0.3.0 (CHANGELOG)."""
    with pytest.raises(TypeError):
        pool_binary(events_t=A, n_t=N1, events_c=C, n_c=N2)
    with pytest.raises(TypeError):
        pool_binary(A, N1, C)


def test_public_names_importable_from_mytools():
    for name in ("pool_binary", "pool_continuous", "pool_generic", "pool_many", "pool_subgroups",
                 "i2_from_tau2", "MetaResult", "SubgroupResult", "ManyResult", "NotEstimableError",
                 "ConvergenceError", "InputError", "pool_oe", "pool_by_subgroup", "REVMAN5"):
        assert hasattr(mytools, name)


def test_peto_or_measure_name():
    """The data model calls RevMan's "Peto Odds Ratio" PETO_OR: accepted with method="Peto"."""
    a = pool_binary(A, N1, C, N2, measure="PETO_OR", method="Peto")
    b = pool_binary(A, N1, C, N2, measure="OR", method="Peto")
    assert a.estimate == b.estimate
    with pytest.raises(ValueError, match="needs method='Peto'"):
        pool_binary(A, N1, C, N2, measure="PETO_OR", method="MH")


def test_revman_reml_rule_is_close_to_the_root_and_falls_back_when_fisher_scoring_oscillates():
    """``reml="revman"`` (Fisher scoring from HE, stopped under 1e-8) lands within the stopping
    error of the exact REML root (``tests/engine/reference_tau2.py``, Brent); where Fisher scoring
    oscillates and never settles (these two analyses of the 40-review sample), the root is used."""
    from mytools.engine.tau2 import tau2_reml_fisher
    from tests.engine.reference_tau2 import tau2_reml

    osc = [([-2.74221762, -2.31785257, -0.9650809, -3.59091725, -2.02035263, -1.60943791,
             -3.46237456, -2.63905733, -1.22059369],
            [1.11204771, 2.14175408, 2.39880952, 2.03405205, 1.10810763, 2.35121951, 2.04695021,
             1.04285714, 0.20558557])]
    calm = [([0.1, 0.5, 0.9, -0.2], [0.01, 0.02, 0.05, 0.03]), ([1.2, 0.3, 0.8], [0.2, 0.1, 0.3])]
    for (y, v), oscillates in [(c, True) for c in osc] + [(c, False) for c in calm]:
        y, v = np.array(y), np.array(v)
        _, _, unsettled = tau2_reml_fisher(y[None], v[None], np.array([y.size]))
        assert (unsettled.size == 1) == oscillates
        for rule in ("revman", "exact"):
            r = mytools.pool_generic(y, np.sqrt(v), model="random", tau2_method="REML",
                                     settings=resolve(REVMAN_WEB, reml=rule))
            assert abs(r.tau2 - tau2_reml(y, v)) <= (1e-6 if rule == "revman" else 1e-9) * (1 + r.tau2)
    assert REVMAN_WEB.reml == "revman" and REVMAN5.reml == MODERN.reml == "exact"
