"""The simulation lab with a Bayesian interval (mytools.teaching.simulation_bayes).

References: the nominal 95% (with its Monte-Carlo error), and Friede et al. (2017, Biometrical
Journal 59:658-671): with two studies the Bayesian interval (half-normal prior on τ) lies between
the normal-quantile (DerSimonian–Laird) and the Hartung–Knapp interval in width.
"""
from __future__ import annotations

import numpy as np
import pytest

from mytools.teaching import simulation_bayes as sb

SIZES = np.array([[8, 7], [22, 22], [47, 48], [13, 13], [46, 47]])


@pytest.fixture(scope="module")
def lab():
    return sb.run_bayes_lab(SIZES, k_values=(2, 3), tau2_values=(0.0, 0.1), n_rep=300, seed=7)


def test_every_method_and_cell(lab):
    assert set(lab["method"]) == {"fixed", "random_dl", "reml_hksj", "bayes"}
    assert len(lab) == 2 * 2 * 4 and lab["coverage"].between(0, 1).all()


def test_bayes_width_between_normal_and_hartung_knapp_with_two_trials(lab):
    w = lab[lab["k"] == 2].pivot_table(index="tau2", columns="method", values="mean_width")
    assert (w["random_dl"] < w["bayes"]).all() and (w["bayes"] < w["reml_hksj"]).all()


def test_bayes_covers_at_least_nominal_without_heterogeneity(lab):
    """τ² = 0 lies well inside a half-normal(0.5) prior: coverage at or above 95% (within 3 MCSE)."""
    r = lab[(lab["method"] == "bayes") & (lab["tau2"] == 0.0)]
    assert (r["coverage"] >= 0.95 - 3 * r["mcse"]).all()


def test_fixed_effect_undercovers_with_heterogeneity(lab):
    r = lab[(lab["method"] == "fixed") & (lab["tau2"] == 0.1)]
    assert (r["coverage"] < 0.95 - 3 * r["mcse"]).all()


def test_same_seed_same_numbers():
    a = sb.run_bayes_lab(SIZES, k_values=(2,), tau2_values=(0.1,), n_rep=50, seed=3)
    b = sb.run_bayes_lab(SIZES, k_values=(2,), tau2_values=(0.1,), n_rep=50, seed=3)
    assert a.equals(b)


def test_table_and_sentences(lab):
    t = sb.bayes_lab_table(lab)
    assert list(t["Trials"]) == [2, 2, 3, 3] and sb.BAYES_LABEL in t.columns
    s = sb.bayes_lab_sentences(lab)
    assert len(s) == 2 and s[0].startswith("With 2 trials the Bayesian interval covered")
