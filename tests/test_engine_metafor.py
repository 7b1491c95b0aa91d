"""The engine against R metafor (3.8-1) for RevMan Web's methods and the other additions of #14:
REML + Hartung–Knapp, prediction intervals (t on k − 1 df with the HKSJ SE, as metafor's predict()
and as RevMan Web), the Q-profile CI of τ², 90/95/99% intervals (pooled and per study), the Peto
odds ratio at 99%, and "swap event and non-event". Reference values: tests/reference/
metafor_reference.json, section "web", written by tests/reference/metafor_reference.R.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from mytools import REVMAN_WEB, pool_binary, pool_continuous, pool_generic, pool_many
from mytools.engine.batch import pool_batch
from reference_tau2 import q_profile_ci

REF = json.loads((Path(__file__).parent / "reference" / "metafor_reference.json").read_text())
BCG, WEB, N9 = REF["bcg"], REF["web"], REF["normand"]
RTOL = 1e-9


def bcg(**kw):
    return pool_binary(BCG["tpos"], np.add(BCG["tpos"], BCG["tneg"]), BCG["cpos"],
                       np.add(BCG["cpos"], BCG["cneg"]), **kw)


def _fit(r, ref, *, tau2_ci=True, pi=True):
    lo, hi = np.log(r.ci_low), np.log(r.ci_high)
    np.testing.assert_allclose([r.theta, r.se, lo, hi, r.z], [ref["beta"], ref["se"], ref["ci_lb"],
                                                              ref["ci_ub"], ref["zval"]], rtol=RTOL)
    np.testing.assert_allclose(r.p, ref["pval"], rtol=1e-7)
    np.testing.assert_allclose(r.tau2, ref["tau2"], rtol=1e-8, atol=1e-12)
    if pi:
        np.testing.assert_allclose([np.log(r.pi_low), np.log(r.pi_high)], [ref["pi_lb"], ref["pi_ub"]],
                                   rtol=1e-8)
    if tau2_ci:
        np.testing.assert_allclose([r.tau2_ci_low, r.tau2_ci_high], [ref["tau2_lb"], ref["tau2_ub"]],
                                   rtol=1e-8)


@pytest.mark.parametrize("level", [90, 95, 99])
@pytest.mark.parametrize("tm", ["REML", "DL"])
def test_revman_web_hksj_pi_tau2_ci(level, tm):
    """REVMAN_WEB with the t P value (hksj_p="t", metafor's): every number equals metafor's
    rma(test="knha") + predict() + confint(); I² from τ² equals metafor's I²."""
    ref = WEB[f"RR_{tm}_knha_{level}"]
    r = bcg(measure="RR", method="IV", model="random", settings=REVMAN_WEB, tau2_method=tm,
            ci_level=level / 100)
    assert r.ci_method == "hksj" and r.t_df == 12
    _fit(r, {**ref, "pval": r.p})  # RevMan Web's P is the Wald one: checked below
    np.testing.assert_allclose(r.i2, ref["I2"], rtol=1e-8)
    t = pool_generic(np.exp(BCG["yi_RR"]), np.sqrt(BCG["vi_RR"]), log_scale=True, model="random",
                     tau2_method=tm, ci_method="hksj", ci_level=level / 100, settings="MODERN")
    _fit(t, ref, tau2_ci=True, pi=False)  # MODERN: PI on k − 2 df (Higgins et al. 2009)
    wald = WEB[f"RR_{tm}_z_{level}"]
    np.testing.assert_allclose(r.p, wald["pval"], rtol=1e-7)  # RevMan Web: Wald P beside HKSJ


@pytest.mark.parametrize("level", [90, 99])
def test_wald_levels(level):
    """Wald intervals at 90 and 99% (metafor rma(test="z", level=...))."""
    for tm in ("REML", "DL"):
        ref = WEB[f"RR_{tm}_z_{level}"]
        r = bcg(measure="RR", method="IV", model="random", tau2_method=tm, ci_method="wald",
                ci_level=level / 100, settings="REVMAN_WEB")
        _fit(r, ref, pi=False)


@pytest.mark.parametrize("level", [90, 95, 99])
def test_mh_peto_and_study_levels(level):
    r = bcg(measure="RR", method="MH", ci_level=level / 100, study_ci_level=level / 100)
    ref = WEB[f"mh_RR_{level}"]
    np.testing.assert_allclose([np.log(r.ci_low), np.log(r.ci_high)], [ref["ci_lb"], ref["ci_ub"]], rtol=RTOL)
    st = WEB[f"study_RR_{level}"]
    np.testing.assert_allclose(np.log(r.studies["ci_low"]), st["ci_lb"], rtol=RTOL)
    np.testing.assert_allclose(np.log(r.studies["ci_high"]), st["ci_ub"], rtol=RTOL)
    p = bcg(measure="OR", method="Peto", ci_level=level / 100)
    ref = WEB[f"peto_OR_{level}"]
    np.testing.assert_allclose([p.theta, np.log(p.ci_low), np.log(p.ci_high), p.q],
                               [ref["beta"], ref["ci_lb"], ref["ci_ub"], ref["QE"]], rtol=RTOL)


def test_swap_events():
    """RevMan's "swap event and non-event" = metafor with the non-events as events."""
    r = bcg(measure="RR", method="MH", swap_events=True)
    ref = WEB["swap_mh_RR"]
    np.testing.assert_allclose([r.theta, r.se, r.q], [ref["beta"], ref["se"], ref["QE"]], rtol=RTOL)
    np.testing.assert_allclose(np.log(r.studies["estimate"]), WEB["swap_yi_RR"], rtol=RTOL)
    np.testing.assert_allclose(r.studies["se"] ** 2, WEB["swap_vi_RR"], rtol=RTOL)
    assert any("swapped" in n for n in r.notes)


@pytest.mark.parametrize("tm", ["REML", "PM"])
def test_normand_md_hksj_pi_tau2_ci(tm):
    ref = WEB[f"normand_MD_{tm}_knha"]
    r = pool_continuous(N9["m1i"], N9["sd1i"], N9["n1i"], N9["m2i"], N9["sd2i"], N9["n2i"], measure="MD",
                        model="random", settings="REVMAN_WEB", tau2_method=tm, ci_method="hksj")
    np.testing.assert_allclose([r.theta, r.se, r.ci_low, r.ci_high, r.pi_low, r.pi_high, r.tau2],
                               [ref["beta"], ref["se"], ref["ci_lb"], ref["ci_ub"], ref["pi_lb"],
                                ref["pi_ub"], ref["tau2"]], rtol=1e-8)
    lo, hi = q_profile_ci(np.asarray(r.studies["estimate"]), np.asarray(r.studies["se"]) ** 2, 0.95, r.tau2)
    np.testing.assert_allclose([lo, hi], [ref["tau2_lb"], ref["tau2_ub"]], rtol=1e-8)
    np.testing.assert_allclose([r.tau2_ci_low, r.tau2_ci_high], [ref["tau2_lb"], ref["tau2_ub"]], rtol=1e-8)


def test_batch_matches_metafor_levels():
    """pool_batch at 99%: REML + HKSJ with PI and τ² CI, per-study 99% intervals (metafor)."""
    k = len(BCG["tpos"])
    rows = {"segment": np.zeros(k, int), "events_intervention": BCG["tpos"],
            "n_intervention": np.add(BCG["tpos"], BCG["tneg"]), "events_control": BCG["cpos"],
            "n_control": np.add(BCG["cpos"], BCG["cneg"])}
    seg = {"data_type": ["dichotomous"], "measure": ["RR"], "method": ["IV"], "model": ["random"],
           "tau2_method": ["REML"], "ci_method": ["hksj"], "ci_level": [0.99], "study_ci_level": [0.99]}
    res = pool_batch(rows, seg, settings="REVMAN_WEB")
    p, ref = res.pooled.iloc[0], WEB["RR_REML_knha_99"]
    np.testing.assert_allclose([p["theta"], p["se"], np.log(p["ci_low"]), np.log(p["ci_high"]),
                                np.log(p["pi_low"]), np.log(p["pi_high"]), p["tau2"]],
                               [ref["beta"], ref["se"], ref["ci_lb"], ref["ci_ub"], ref["pi_lb"],
                                ref["pi_ub"], ref["tau2"]], rtol=1e-8)
    np.testing.assert_allclose([p["tau2_ci_low"], p["tau2_ci_high"]], [ref["tau2_lb"], ref["tau2_ub"]],
                               rtol=1e-8)
    np.testing.assert_allclose(np.log(res.studies["ci_low"]), WEB["study_RR_99"]["ci_lb"], rtol=RTOL)


def test_pool_many_levels():
    ref = WEB["RR_REML_knha_90"]
    m = pool_many(np.array([BCG["yi_RR"]]), np.array([BCG["vi_RR"]]), tau2_method="REML", ci_method="hksj",
                  ci_level=0.90)
    np.testing.assert_allclose([m.ci_low[0], m.ci_high[0]], [ref["ci_lb"], ref["ci_ub"]], rtol=1e-8)
