"""The priors chosen by rule and the analyses-layer call (mytools.analyses.bayes).

Checked against somebody else's numbers: the prior cells in data/bayes_priors.csv against the
evidence file's tables (../shared/evidence/bayes/README.md, read from Turner 2015 Table IV and
Rhodes 2015 Table 3), the Turner prior's quantiles against bayesmeta's, and one analysis against
pool_bayes on RevMan's own per-study SMDs and CIs (the review's data rows).
"""
from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mytools.analyses import bayes as ab
from mytools.analyses.run import analysis
from mytools.data import load_data
from mytools.engine import HalfNormal, pool_bayes



@pytest.fixture(scope="module")
def data():
    return load_data()


@pytest.fixture(scope="module")
def tables(data):
    return ab.prior_tables(data)


@pytest.fixture(scope="module")
def everything(data):
    return ab.bayes_all(data)


def _published_cells(shared: Path) -> dict[str, tuple[float, float]]:
    text = (shared / "evidence" / "bayes" / "README.md").read_text(encoding="utf-8")
    cells = {}
    for name, a, b in re.findall(r"^\| ([^|]+?) \| ([−-][\d.]+) \(([\d.]+)\) \|$", text, re.M):
        cells[name.strip()] = (float(a.replace("−", "-")), float(b))
    return cells


def test_prior_cells_match_the_published_tables(tables, shared):
    priors, _ = tables
    cells = _published_cells(shared)
    emp = priors[priors["family"].isin(["log_tau2_normal", "log_tau2_t"])]
    assert len(emp) == 26
    for _, r in emp.iterrows():
        name = {"general (any outcome type)": "general (any outcome, any comparison)",
                "cause-specific mortality / major morbidity event / composite (mortality or morbidity)":
                    "cause-specific mortality / major morbidity / composite"}.get(r["outcome_type"], r["outcome_type"])
        assert cells[name] == (r["a"], r["b"]), r["prior_id"]


def test_turner_cell_quantiles_match_bayesmeta(tables):
    priors, _ = tables
    row = priors.set_index("prior_id").loc["turner_surgical_device"]
    q = ab.make_prior(row).ppf([0.025, 0.5, 0.975])
    assert q == pytest.approx([0.06233896, 0.34300852, 1.88734045], rel=1e-6)


def test_every_analysis_has_a_rule_and_ratios_are_flagged(tables, data):
    _, choice = tables
    reg = data.analyses
    assert set(choice["analysis_id"]) == set(reg["analysis_id"])
    merged = choice.merge(reg[["analysis_id", "measure", "data_type"]], on="analysis_id", suffixes=("", "_reg"))
    assert (merged["measure"] == merged["measure_reg"]).all()
    rr = merged["measure"] == "RR"
    assert (merged.loc[rr, "effect_scale"] == "log_rr_as_log_or").all()
    assert merged.loc[rr, "basis"].str.contains("approximation").all()
    assert merged.loc[rr, "empirical_prior"].str.startswith("turner_").all()
    assert merged.loc[~rr, "empirical_prior"].str.startswith("rhodes_").all()
    md = merged["measure"] == "MD"
    assert (merged.loc[md, "rescale"] != "none").all() and (merged.loc[~md, "rescale"] == "none").all()


def test_one_engine_call_for_all(monkeypatch, data):
    calls = []
    real = ab.pool_bayes

    def spy(*a, **k):
        calls.append(1)
        return real(*a, **k)

    monkeypatch.setattr(ab, "pool_bayes", spy)
    out = ab.bayes_all(data, ids=["ivig_strength", "ivig_sae", "mtx_function"])
    assert len(calls) == 1 and out.result.shape == (3, 5)
    assert list(out.result.prior_labels) == list(ab.PRIOR_KEYS)


def test_all_analyses(everything, data):
    reg = data.analyses
    assert set(everything.ids) | set(everything.skipped) == set(reg["analysis_id"])
    f = everything.frame()
    assert len(f) == len(everything.ids) * 5 * 3
    assert f[["median", "ci_low", "ci_high", "hpd_low", "hpd_high"]].notna().all().all()
    assert (f["ci_low"] <= f["median"]).all() and (f["median"] <= f["ci_high"]).all()
    rr = f[(f["measure"] == "RR") & (f["parameter"] == "mu")]
    assert np.allclose(rr["median_natural"], np.exp(rr["median"]))
    for aid in everything.skipped:
        with pytest.raises(KeyError, match=aid):
            everything.get(aid, "hn05")


def test_ivig_strength_against_revman_study_rows(everything, data):
    """Per-study SMDs and 95% CIs as RevMan printed them (the review's data rows) -> pool_bayes."""
    inp = analysis("ivig_strength", data).inputs
    y = inp["revman_estimate"].to_numpy(float)
    se = (inp["revman_ci_high"] - inp["revman_ci_low"]).to_numpy(float) / (2 * 1.959964)
    ref = pool_bayes(y, se, HalfNormal(0.5)).summary_frame()
    got = everything.get("ivig_strength", "hn05").summary_frame()
    np.testing.assert_allclose(got.to_numpy(), ref.to_numpy(), atol=1e-4)


def test_mean_difference_priors_are_rescaled(everything, data):
    pr = everything.priors.set_index(["analysis_id", "prior"])
    aid = "mtx_function"
    inp = analysis(aid, data).inputs
    n1, n2 = inp["n_intervention"].to_numpy(float), inp["n_control"].to_numpy(float)
    s1, s2 = inp["sd_intervention"].to_numpy(float), inp["sd_control"].to_numpy(float)
    sigma = math.sqrt((((n1 - 1) * s1 ** 2).sum() + ((n2 - 1) * s2 ** 2).sum()) / ((n1 - 1).sum() + (n2 - 1).sum()))
    assert pr.loc[(aid, "hn05"), "sigma"] == pytest.approx(sigma)
    assert pr.loc[(aid, "hn05"), "prior_on_scale"] == repr(HalfNormal(0.5 * sigma))
    assert pr.loc[("ivig_strength", "hn05"), "sigma"] == 1.0


def test_prior_table_frame_is_typed(tables):
    priors, choice = tables
    assert isinstance(priors, pd.DataFrame) and priors["a"].dtype == float
    assert set(choice["provenance"]) == {"classified"}


def test_prior_sources_are_in_references_bib(tables):
    bib = (Path(__file__).resolve().parents[2] / "references.bib").read_text(encoding="utf-8")
    keys = set(re.findall(r"^@\w+\{([^,]+),", bib, re.M))
    assert set(tables[0]["source_key"]) <= keys


def test_an_analysis_without_a_rule_is_skipped_with_its_reason(data):
    out = ab.bayes_inputs(data, ids=["ivig_strength", "not_in_the_choice_table"])
    assert out["ids"] == ["ivig_strength"]
    assert "bayes_prior_choice.csv" in out["skipped"]["not_in_the_choice_table"]
