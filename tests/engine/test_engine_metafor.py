"""The engine against R metafor (3.8-1, R 4.2.2) and against Stata `metan` numbers quoted in
metafor's own test suite: one file for every metafor reference.

* tests/reference/metafor_reference.json is written by tests/reference/metafor_reference.R (run it
  with Rscript; the JSON is committed so CI needs no R). REML and PM were fitted with threshold
  1e-12, so agreement is expected to ~1e-9 relative.
* The classic methods (section "bcg", "normand"): MH, IV, Peto, DL/REML/PM, Knapp–Hartung, zero
  cells, subgroups, ``pool_many``.
* RevMan Web's methods and the other additions of #14 (section "web"): REML + Hartung–Knapp,
  prediction intervals (t on k − 1 df with the HKSJ SE, as metafor's predict() and as RevMan Web),
  the Q-profile CI of τ², 90/95/99% intervals (pooled and per study), the Peto odds ratio at 99%,
  and "swap event and non-event".
* The literal numbers in TestPublished are the Stata `metan` results that metafor's test files
  tests/testthat/test_misc_metan_vs_rma.mh_with_dat.bcg.r, ..._rma.uni_... and ..._rma.peto_...
  compare against (4 decimals): an independent program, typed by somebody else.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from mytools import (
    REVMAN_WEB,
    i2_from_tau2,
    pool_binary,
    pool_continuous,
    pool_generic,
    pool_many,
    pool_subgroups,
)
from mytools.engine.batch import pool_batch
from mytools.engine.tau2 import q_profile_ci

REF = json.loads((Path(__file__).resolve().parents[1] / "reference" / "metafor_reference.json").read_text())
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
                     tau2_method=tm, ci="hksj", ci_level=level / 100, settings="MODERN")
    _fit(t, ref, tau2_ci=True, pi=False)  # MODERN: PI on k − 2 df (Higgins et al. 2009)
    wald = WEB[f"RR_{tm}_z_{level}"]
    np.testing.assert_allclose(r.p, wald["pval"], rtol=1e-7)  # RevMan Web: Wald P beside HKSJ


@pytest.mark.parametrize("level", [90, 99])
def test_wald_levels(level):
    """Wald intervals at 90 and 99% (metafor rma(test="z", level=...))."""
    for tm in ("REML", "DL"):
        ref = WEB[f"RR_{tm}_z_{level}"]
        r = bcg(measure="RR", method="IV", model="random", tau2_method=tm, ci="wald",
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
                        model="random", settings="REVMAN_WEB", tau2_method=tm, ci="hksj")
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
    m = pool_many(np.array([BCG["yi_RR"]]), np.array([BCG["vi_RR"]]), tau2_method="REML", ci="hksj",
                  ci_level=0.90)
    np.testing.assert_allclose([m.ci_low[0], m.ci_high[0]], [ref["ci_lb"], ref["ci_ub"]], rtol=1e-8)


# --- classic methods (sections bcg and normand; Stata metan numbers in TestPublished) ---

def assert_fit(res, ref, *, rtol=RTOL, q=True, tau2=True, z=True, k=True):
    np.testing.assert_allclose(res.theta, ref["beta"], rtol=rtol, atol=1e-12)
    np.testing.assert_allclose(res.se, ref["se"], rtol=rtol)
    lo, hi = (np.log(res.ci_low), np.log(res.ci_high)) if res.log_scale else (res.ci_low, res.ci_high)
    np.testing.assert_allclose([lo, hi], [ref["ci_lb"], ref["ci_ub"]], rtol=rtol, atol=1e-12)
    if z:
        np.testing.assert_allclose(res.z, ref["zval"], rtol=rtol, atol=1e-12)
        np.testing.assert_allclose(res.p, ref["pval"], rtol=1e-6, atol=1e-300)
    if q:
        np.testing.assert_allclose(res.q, ref["QE"], rtol=rtol, atol=1e-12)
    if tau2 and "tau2" in ref:
        np.testing.assert_allclose(res.tau2, ref["tau2"], rtol=1e-8, atol=1e-12)
    if k:
        assert res.k == ref["k"]


class TestPublished:
    """Stata metan via metafor's test suite; 4 decimals printed, so |diff| <= 5e-5 (Z: 5e-4)."""

    @pytest.mark.parametrize("measure,beta,lb,ub,zval,qe", [
        ("RR", -0.4537, -0.5308, -0.3766, -11.5338, 152.5676),
        ("OR", -0.4734, -0.5538, -0.3930, -11.5444, 163.9426),
    ])
    def test_mh(self, measure, beta, lb, ub, zval, qe):
        r = bcg(measure=measure, method="MH")
        assert abs(r.theta - beta) <= 5e-5
        assert abs(np.log(r.ci_low) - lb) <= 5e-5 and abs(np.log(r.ci_high) - ub) <= 5e-5
        assert abs(r.z - zval) <= 5e-4
        assert abs(r.q - qe) <= 5e-4

    def test_mh_rr_exp_scale(self):
        r = bcg(measure="RR")
        assert abs(r.estimate - 0.6353) <= 5e-5
        assert abs(r.ci_low - 0.5881) <= 5e-5 and abs(r.ci_high - 0.6862) <= 5e-5

    def test_peto(self):
        r = bcg(measure="OR", method="Peto")
        assert abs(r.theta - (-0.4744)) <= 5e-5
        assert abs(np.log(r.ci_low) - (-0.5541)) <= 5e-5 and abs(np.log(r.ci_high) - (-0.3948)) <= 5e-5
        assert abs(r.z - (-11.6689)) <= 5e-4 and abs(r.q - 167.7302) <= 5e-4

    def test_iv_fixed_rr(self):
        r = bcg(measure="RR", method="IV")
        assert abs(r.theta - (-0.4303)) <= 5e-5 and abs(r.q - 152.2330) <= 5e-4
        assert abs(np.log(r.ci_low) - (-0.5097)) <= 5e-5 and abs(np.log(r.ci_high) - (-0.3509)) <= 5e-5

    def test_iv_random_dl_rr(self):
        r = bcg(measure="RR", method="IV", model="random")
        assert abs(r.theta - (-0.7141)) <= 5e-5
        assert abs(np.log(r.ci_low) - (-1.0644)) <= 5e-5 and abs(np.log(r.ci_high) - (-0.3638)) <= 5e-5


@pytest.mark.parametrize("measure", ["RR", "OR"])
def test_bcg_mh(measure):
    ref = BCG[f"mh_{measure}"]
    r = bcg(measure=measure, method="MH")
    assert_fit(r, ref)
    np.testing.assert_allclose(r.i2, ref["I2"], rtol=RTOL)  # rma.mh's I² is Q-based, as RevMan's


def test_bcg_mh_rd():
    """MH RD: estimate, Q and I² from metafor; SE is Greenland–Robins (RevMan), not metafor's Sato."""
    ref = BCG["mh_RD"]
    r = bcg(measure="RD", method="MH")
    np.testing.assert_allclose([r.theta, r.q, r.i2], [ref["beta"], ref["QE"], ref["I2"]], rtol=RTOL)
    np.testing.assert_allclose(r.se, ref["se_greenland_robins"], rtol=RTOL)
    assert abs(r.se / ref["se"] - 1) > 1e-3  # metafor's Sato SE really is different here


@pytest.mark.parametrize("measure", ["RR", "OR", "RD"])
def test_bcg_iv_fixed(measure):
    assert_fit(bcg(measure=measure, method="IV"), BCG[f"iv_fixed_{measure}"])


def test_bcg_peto():
    assert_fit(bcg(measure="OR", method="Peto"), BCG["peto_OR"])


@pytest.mark.parametrize("tm", ["DL", "REML", "PM"])
@pytest.mark.parametrize("test", ["z", "knha"])
def test_bcg_random(tm, test):
    ref = BCG[f"random_RR_{tm}_{test}"]
    r = bcg(measure="RR", method="IV", model="random", tau2_method=tm, ci="wald" if test == "z" else "hksj")
    assert_fit(r, ref)
    np.testing.assert_allclose([np.log(r.pi_low), np.log(r.pi_high)], [ref["pi_lb"], ref["pi_ub"]], rtol=1e-8)
    # our I² is RevMan's (from Q); metafor's for these models is from τ² (Higgins & Thompson)
    np.testing.assert_allclose(i2_from_tau2(r.tau2, np.array(BCG["vi_RR"])), ref["I2"], rtol=1e-8)
    # the same via pool_generic on metafor's yi/vi, and via the vectorised pool_many
    g = pool_generic(np.exp(BCG["yi_RR"]), np.sqrt(BCG["vi_RR"]), log_scale=True, model="random",
                     tau2_method=tm, ci=r.ci_method)
    assert_fit(g, ref)
    m = pool_many(np.array([BCG["yi_RR"]]), np.array([BCG["vi_RR"]]), tau2_method=tm, ci=r.ci_method)
    np.testing.assert_allclose([m.estimate[0], m.se[0], m.ci_low[0], m.ci_high[0], m.tau2[0]],
                               [ref["beta"], ref["se"], ref["ci_lb"], ref["ci_ub"], ref["tau2"]], rtol=1e-8)


def test_bcg_revman_mh_random():
    """RevMan random effects for an MH analysis: DL τ² from the MH Q, IV weights 1/(v + τ²)."""
    ref = BCG["revman_mh_random_RR"]
    r = bcg(measure="RR", method="MH", model="random")
    np.testing.assert_allclose(r.q, ref["QE_mh"], rtol=RTOL)
    assert_fit(r, ref, q=False)


def test_bcg_subgroup_differences():
    ref = BCG["subgroups_DL"]
    alloc = np.array(BCG["alloc"])
    results = {}
    for g in ref["groups"]:
        s = alloc == g
        results[g] = pool_binary(np.array(BCG["tpos"])[s], (np.array(BCG["tpos"]) + BCG["tneg"])[s],
                                 np.array(BCG["cpos"])[s], (np.array(BCG["cpos"]) + BCG["cneg"])[s],
                                 measure="RR", method="IV", model="random")
    np.testing.assert_allclose([r.theta for r in results.values()], ref["beta"], rtol=RTOL)
    np.testing.assert_allclose([r.tau2 for r in results.values()], ref["tau2"], rtol=1e-8, atol=1e-14)
    sg = pool_subgroups(results)
    np.testing.assert_allclose([sg.q, sg.p], [ref["Q"], ref["p"]], rtol=1e-8)
    assert sg.df == ref["df"]
    assert sg.i2 == pytest.approx(max(0.0, (ref["Q"] - ref["df"]) / ref["Q"] * 100), rel=1e-8)


# ---- zero cells -------------------------------------------------------------------------------
Z = REF["zero"]


def zero(**kw):
    return pool_binary(Z["ai"], Z["n1i"], Z["ci"], Z["n2i"], **kw)


@pytest.mark.parametrize("measure", ["RR", "OR"])
def test_zero_cells_per_study(measure):
    r = zero(measure=measure, method="IV")
    est = r.studies
    yi = np.array([np.nan if x is None else x for x in Z[f"yi_{measure}"]], dtype=float)
    vi = np.array([np.nan if x is None else x for x in Z[f"vi_{measure}"]], dtype=float)
    np.testing.assert_array_equal(est["estimable"], ~np.isnan(yi))  # double zero not estimable
    ok = ~np.isnan(yi)
    np.testing.assert_allclose(np.log(est["estimate"][ok]), yi[ok], rtol=RTOL)
    np.testing.assert_allclose(est["se"][ok] ** 2, vi[ok], rtol=RTOL)
    assert est["weight_percent"][~ok].eq(0).all()
    assert_fit(r, Z[f"iv_fixed_{measure}"])
    assert r.k == 4  # the double-zero study is out
    assert any("not estimable" in n for n in r.notes)


@pytest.mark.parametrize("measure", ["RR", "OR"])
@pytest.mark.parametrize("rule", ["none", "revman"])
def test_zero_cells_mh(measure, rule):
    r = zero(measure=measure, method="MH", zero_cell=rule)
    assert_fit(r, Z[f"mh_{rule}_{measure}"], q=(rule == "none"), k=False)
    assert r.k == 4
    if rule == "revman":  # Q is about the MH estimate with the per-study (0.5-corrected) yi, vi
        y = np.array([np.nan if x is None else x for x in Z[f"yi_{measure}"]], dtype=float)
        v = np.array([np.nan if x is None else x for x in Z[f"vi_{measure}"]], dtype=float)
        ok = ~np.isnan(y)
        np.testing.assert_allclose(r.q, np.sum((y[ok] - r.theta) ** 2 / v[ok]), rtol=RTOL)


def test_zero_cell_rules_differ():
    """The two rules must give different MH estimates on data with zero cells (else a test is idle)."""
    a, b = zero(measure="RR", zero_cell="none"), zero(measure="RR", zero_cell="revman")
    assert abs(a.theta - b.theta) > 1e-3


@pytest.mark.parametrize("rule", ["none", "revman"])
def test_zero_cells_mh_rd(rule):
    ref = Z["mh_RD"]
    r = zero(measure="RD", method="MH", zero_cell=rule)
    np.testing.assert_allclose([r.theta, r.q], [ref["beta"], ref["QE"]], rtol=RTOL)
    np.testing.assert_allclose(r.se, ref[f"se_{rule}"], rtol=RTOL)
    assert r.k == 5  # the double-zero study is kept for RD


def test_zero_cells_rd_keeps_double_zero():
    r = zero(measure="RD", method="IV")
    assert r.studies["estimable"].all() and r.k == 5
    np.testing.assert_allclose(r.studies["estimate"], Z["yi_RD_raw"], rtol=RTOL, atol=1e-15)
    np.testing.assert_allclose(r.studies["se"] ** 2, Z["vi_RD"], rtol=RTOL)


def test_zero_cells_peto():
    r = zero(measure="OR", method="Peto")
    assert_fit(r, Z["peto_OR"], k=False)
    assert r.k == 4


# ---- continuous ---------------------------------------------------------------------------------
N = REF["normand"]


def normand(**kw):
    return pool_continuous(N["m1i"], N["sd1i"], N["n1i"], N["m2i"], N["sd2i"], N["n2i"], **kw)


@pytest.mark.parametrize("measure", ["SMD", "MD"])
def test_normand_per_study_and_fixed(measure):
    r = normand(measure=measure, smd="exact")
    np.testing.assert_allclose(r.studies["estimate"], N[f"yi_{measure}"], rtol=RTOL)
    np.testing.assert_allclose(r.studies["se"] ** 2, N[f"vi_{measure}"], rtol=RTOL)
    assert_fit(r, N[f"fixed_{measure}"])


@pytest.mark.parametrize("measure", ["SMD", "MD"])
@pytest.mark.parametrize("tm", ["DL", "REML", "PM"])
def test_normand_random(measure, tm):
    ref = N[f"random_{measure}_{tm}"]
    r = normand(measure=measure, smd="exact", model="random", tau2_method=tm)
    assert_fit(r, ref)
    np.testing.assert_allclose([r.pi_low, r.pi_high], [ref["pi_lb"], ref["pi_ub"]], rtol=1e-8)
    k = normand(measure=measure, smd="exact", model="random", tau2_method=tm, ci="hksj")
    assert_fit(k, N[f"random_{measure}_{tm}_knha"])


# ---- many small analyses -------------------------------------------------------------------------
MANY = REF["many"]


def _padded(key):
    return np.array([[np.nan if x is None else x for x in row] for row in MANY[key]], dtype=float)


@pytest.mark.parametrize("tm", ["DL", "REML", "PM"])
@pytest.mark.parametrize("test", ["z", "knha"])
def test_pool_many_against_metafor(tm, test):
    Y, V = _padded("y"), _padded("v")
    rows = MANY[f"{tm}_{test}"]
    idx = [r["row"] for r in rows]
    res = pool_many(Y[idx], V[idx], tau2_method=tm, ci="wald" if test == "z" else "hksj")
    for field, key in (("estimate", "beta"), ("se", "se"), ("ci_low", "ci_lb"), ("ci_high", "ci_ub"),
                       ("q", "QE")):
        np.testing.assert_allclose(getattr(res, field), [r[key] for r in rows], rtol=1e-8, atol=1e-12,
                                   err_msg=field)
    np.testing.assert_allclose(res.tau2, [r["tau2"] for r in rows], rtol=1e-7, atol=1e-12)
    assert np.any(res.tau2 > 0) and np.any(res.tau2 == 0)  # both regimes are exercised
    if tm == "DL":  # metafor's DL I² is the Q-based one
        np.testing.assert_allclose(res.i2, [r["I2"] for r in rows], rtol=1e-8, atol=1e-10)
    for j, row in enumerate(idx):  # the scalar engine agrees too
        ok = ~np.isnan(Y[row])
        g = pool_generic(Y[row, ok], np.sqrt(V[row, ok]), model="random", tau2_method=tm,
                         ci="wald" if test == "z" else "hksj")
        assert g.theta == pytest.approx(rows[j]["beta"], rel=1e-8, abs=1e-12)
        assert g.tau2 == pytest.approx(rows[j]["tau2"], rel=1e-7, abs=1e-12)
