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
    assert (REVMAN5.tau2_method, REVMAN5.ci, REVMAN5.i2, REVMAN5.zero_cell) == ("DL", "wald", "q", "revman")
    assert (REVMAN_WEB.tau2_method, REVMAN_WEB.ci, REVMAN_WEB.prediction_df, REVMAN_WEB.hksj_p) == \
        ("REML", "hksj", "k-1", "wald")
    assert (MODERN.all_events, MODERN.zero_cell, MODERN.smd, MODERN.hksj_p) == ("exclude", "none", "exact", "t")
    assert resolve("revman_web") is REVMAN_WEB
    s = resolve(REVMAN_WEB, tau2_method="PM")
    assert s.tau2_method == "PM" and s.name == "REVMAN_WEB+custom" and s.ci == "hksj"
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
        pool_binary(A, N1, C, N2, ci="hksj")  # explicit HKSJ with a fixed-effect model


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


def test_old_arm_keywords_are_aliases():
    new = pool_binary(events_intervention=A, n_intervention=N1, events_control=C, n_control=N2)
    old = pool_binary(events_t=A, n_t=N1, events_c=C, n_c=N2)
    assert new.estimate == old.estimate
    assert list(new.studies["events_intervention"]) == A and "events_t" not in new.studies.columns  # one name per arm column
    with pytest.raises(ValueError, match="not both"):
        pool_binary(A, N1, C, N2, events_t=A)
    with pytest.raises(ValueError, match="missing argument 'n_control'"):
        pool_binary(A, N1, C)
    c1 = pool_continuous(mean_t=[1.0], sd_t=[1.0], n_t=[10], mean_c=[0.0], sd_c=[1.0], n_c=[10])
    assert c1.estimate == 1.0 and c1.data_type == "continuous"


def test_public_names_importable_from_mytools():
    for name in ("pool_binary", "pool_continuous", "pool_generic", "pool_many", "pool_subgroups",
                 "i2_from_tau2", "MetaResult", "SubgroupResult", "ManyResult", "NotEstimableError",
                 "ConvergenceError", "InputError", "pool_oe", "pool_by_subgroup", "REVMAN5"):
        assert hasattr(mytools, name)
    from mytools.engine.pooling import pool_binary as facade  # the old path still works

    assert facade is pool_binary


def test_peto_or_measure_name():
    """The data model calls RevMan's "Peto Odds Ratio" PETO_OR: accepted with method="Peto"."""
    a = pool_binary(A, N1, C, N2, measure="PETO_OR", method="Peto")
    b = pool_binary(A, N1, C, N2, measure="OR", method="Peto")
    assert a.estimate == b.estimate
    with pytest.raises(ValueError, match="needs method='Peto'"):
        pool_binary(A, N1, C, N2, measure="PETO_OR", method="MH")
