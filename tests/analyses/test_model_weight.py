"""The model's weight (mytools.analyses.model_weight, mytools.present.model_weight): the review's
result, REML + Hartung–Knapp (plain and floored), the prediction interval on t with k − 2 df.

References: the review's published results (data/published_results.csv), the prediction interval
formula of Higgins, Thompson & Spiegelhalter (2009) evaluated here with scipy's t quantile on the
engine's own REML fit (so the test checks the df and the formula, not a printed value), and the
Hartung–Knapp variance factor q = Σw(y − μ)²/(k − 1) computed here from the study rows.
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from mytools.analyses import analysis, reanalyse
from mytools.analyses.model_weight import bayes_rows, model_weight, null_of
from mytools.data import load_data
from mytools.present import model_weight as pm


@pytest.fixture(scope="module")
def data():
    return load_data()


def _row(frame: pd.DataFrame, key: str):
    return frame.set_index("row").loc[key]


def test_review_row_is_the_published_result(data):
    f = model_weight("ivig_strength", data)
    pub = analysis("ivig_strength", data).published
    r = _row(f, "review")
    assert [round(r.estimate, 2), round(r.ci_low, 2), round(r.ci_high, 2)] == [pub["estimate"], pub["ci_low"],
                                                                              pub["ci_high"]]
    assert r.excludes_null


@pytest.mark.parametrize("aid", ["ivig_disability", "ivig_strength", "mtx_withdrawals"])
def test_prediction_uses_t_with_k_minus_2_df(data, aid):
    """μ̂ ± t_{k−2} √(τ̂² + SE²) on the analysis scale (Higgins et al. 2009), REML τ̂², Wald SE."""
    fit = reanalyse(aid, data, variant="random_reml")
    half = stats.t.ppf(0.975, fit.k - 2) * math.sqrt(fit.tau2 + fit.se ** 2)
    back = math.exp if fit.log_scale else (lambda v: v)
    p = _row(model_weight(aid, data), "prediction")
    np.testing.assert_allclose([p.ci_low, p.ci_high], [back(fit.theta - half), back(fit.theta + half)], rtol=1e-12)
    # a new trial's interval is wider than the interval for the mean
    assert p.ci_low < fit.ci_low and p.ci_high > fit.ci_high


def test_rows_that_apply_by_number_of_trials(data):
    assert list(model_weight("ivig_tis20", data)["row"]) == ["review"]                       # k = 1
    assert list(model_weight("ivig_sae", data)["row"]) == ["review", "reml_hksj", "reml_hksj_floor"]  # k = 2
    assert "prediction" in set(model_weight("ivig_disability", data)["row"])                  # k = 3


def test_methotrexate_withdrawals_hksj_narrows_because_q_is_below_one(data):
    """The HKSJ interval is narrower than the review's when q < 1; the floored one is not."""
    ar = analysis("mtx_withdrawals", data)
    fit = reanalyse("mtx_withdrawals", data, variant="reml_hksj")
    s = fit.studies[fit.studies["estimable"]]
    y, v = np.log(s["estimate"].to_numpy()), ((np.log(s["ci_high"]) - np.log(s["ci_low"])) / (2 * 1.959964)) ** 2
    w = 1 / (v.to_numpy() + fit.tau2)
    mu = np.sum(w * y) / np.sum(w)
    q = np.sum(w * (y - mu) ** 2) / (len(y) - 1)
    assert q < 1
    f = model_weight("mtx_withdrawals", data)
    h, fl, rev = _row(f, "reml_hksj"), _row(f, "reml_hksj_floor"), _row(f, "review")
    assert math.log(h.ci_high / h.ci_low) < math.log(rev.ci_high / rev.ci_low) < math.log(fl.ci_high / fl.ci_low)
    text = pm.hksj_narrower_sentence(f, "withdrawals")
    assert "narrower" in text and f"{fl.ci_low:.2f} to {fl.ci_high:.2f}" in text
    assert ar.result is not None


def test_disagreement_sentence_for_ivig_strength(data):
    """IVIg strength: the fixed-effect interval excludes 0, REML + HKSJ includes it (issue #20)."""
    f = model_weight("ivig_strength", data)
    excl, incl = pm.disagreement(f)
    assert excl == ["review"] and "reml_hksj" in incl
    text = pm.disagreement_sentence(f, "muscle strength")
    assert "0.43 to 1.13" in text and "\u22120.34 to 1.86" in text
    assert pm.disagreement_sentence(model_weight("ivig_tis20", data), "response") == ""


def test_intervals_table_drops_columns_that_never_apply(data):
    frames = {a: model_weight(a, data) for a in ("ivig_tis20", "aza_strength")}
    t = pm.intervals_table(frames, {"ivig_tis20": "Response"})
    assert list(t.columns) == ["Outcome", "Trials", "Review's model (95% CI)"]
    assert t["Outcome"].tolist() == ["Response", "aza_strength"]


def test_bayes_rows_back_transform_ratios_only():
    s = pd.DataFrame({"median": [0.1, 0.1], "ci_low": [-0.5, -1.0], "ci_high": [0.7, 1.2]}, index=["mu", "theta_new"])
    rr = bayes_rows("x", s, 3, "RR")
    md = bayes_rows("x", s, 3, "MD")
    assert rr[0]["ci_low"] == pytest.approx(math.exp(-0.5)) and md[0]["ci_low"] == -0.5
    assert rr[0]["excludes_null"] is False and null_of("RR") == 1.0 and null_of("SMD") == 0.0


def test_not_computable_analysis_is_refused_with_its_name(data):
    with pytest.raises(ValueError, match="ivig_strength_sources"):
        model_weight("ivig_strength_sources", data)
