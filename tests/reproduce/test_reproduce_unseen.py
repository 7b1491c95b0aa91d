"""RevMan behaviours found on Pairwise70 reviews outside the 46 we held (#23), each tested on a
slice of that review's rows in ``tests/fixtures/pairwise70-unseen/`` (whole analyses, MIT; the
README there gives the source and what each slice exercises). The expected numbers are RevMan's
own, read here from the CSV with pandas, independently of the readers.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mytools.data.revman import read_review
from mytools.engine import pool_generic
from mytools.reproduce import reproduce
from mytools.reproduce.check import OPEN_CASES
from mytools.reproduce.infer import infer_settings

SLICES = Path(__file__).resolve().parents[1] / "fixtures" / "pairwise70-unseen"


def _rows(review: str, analysis: str) -> pd.DataFrame:
    d = pd.read_csv(next(SLICES.glob(f"{review}*-data-rows.csv")))
    g, n = (int(x) for x in analysis.split("."))
    return d[(d["Analysis group"] == g) & (d["Analysis number"] == n)]


@pytest.fixture(scope="module")
def cd014965() -> pd.DataFrame:
    return reproduce(next(SLICES.glob("CD014965*")))


def test_revman_2025_reml_weights_are_reproduced_by_reml_not_dl():
    """CD014965_pub2 1.25 (8 MD rows): RevMan's weights are those of a REML τ² (RevMan 2025's
    default), within the file's rounding, and not those of DerSimonian–Laird's."""
    d = _rows("CD014965", "1.25")
    y = (d["Experimental mean"] - d["Control mean"]).to_numpy(float)
    se = np.sqrt(d["Experimental SD"] ** 2 / d["Experimental N"] + d["Control SD"] ** 2 / d["Control N"])
    rw = d["Weight"].to_numpy(float)
    for tau2_method, fits in (("REML", True), ("DL", False)):
        r = pool_generic(y, se.to_numpy(float), model="random", tau2_method=tau2_method)
        w = 100 * (1 / (se ** 2 + r.tau2)) / (1 / (se ** 2 + r.tau2)).sum()
        assert bool(np.abs(w.to_numpy() - rw).max() <= 5e-7 + 1e-9 * 100) == fits, tau2_method


def test_reproduce_infers_reml_where_no_revman_5_model_fits(cd014965: pd.DataFrame):
    r = cd014965.set_index("analysis")
    for a in ("1.25", "1.26"):
        assert r.loc[a, "status"] == "match", r.loc[a, "reason"]
        assert r.loc[a, "weights_match"] == r.loc[a, "weights_compared"] == 8
    st = infer_settings(read_review(next(SLICES.glob("CD014965*")))).set_index("analysis")
    assert st.loc["1.25", ["model", "tau2_method"]].tolist() == ["random", "REML"]
    assert st.loc["1.25", "model_how"] == "inferred from weights"
    # where DerSimonian–Laird or fixed effect reproduces the weights, they are kept (RevMan 5 first)
    assert st.loc["1.27", ["model", "tau2_method"]].tolist() == ["random", "DL"]
    assert st.loc["1.24", "model"] == "fixed"
    assert (cd014965["status"] == "match").all()


def test_effect_estimate_analysis_mixing_means_and_estimates_is_generic():
    """CD016001 1.14, 1.15, 1.17: some rows carry means and SDs, others only GIV Mean/SE, and
    every row its GIV SE. RevMan pooled every row from GIV Mean/SE: its weights are reproduced
    by inverse variance on those columns alone (fixed effect for 1.15, random DL for 1.14)."""
    for a, model in (("1.15", "fixed"), ("1.14", "random")):
        d = _rows("CD016001", a)
        assert (d["Experimental SD"].fillna(0) == 0).any() and (d["Experimental SD"].fillna(0) > 0).any()
        y, se = d["GIV Mean"].to_numpy(float), d["GIV SE"].to_numpy(float)
        tau2 = pool_generic(y, se, model=model).tau2 if model == "random" else 0.0
        w = 100 / (se ** 2 + tau2) / (1 / (se ** 2 + tau2)).sum()
        np.testing.assert_allclose(w, d["Weight"].to_numpy(float), atol=5e-7 + 1e-7)


def test_reproduce_pools_the_mixed_analyses_from_the_stored_estimates():
    path = next(SLICES.glob("CD016001*"))
    review = read_review(path)
    types = review.analyses.set_index("analysis")["data_type"]
    assert types[["1.14", "1.15", "1.17"]].tolist() == ["generic"] * 3
    assert types[["1.13", "1.16"]].tolist() == ["continuous"] * 2  # every row has means: unchanged
    r = reproduce(path).set_index("analysis")
    assert (r["status"] == "match").all(), r.loc[r["status"] != "match", "reason"]
    assert (r["studies_match"] == r["studies"]).all()  # the rows without means are estimated too
    assert (r["weights_match"] == r["weights_compared"]).all()


Z = 1.959963984540054


def test_md_cis_from_the_stored_rounded_se_are_named_not_applied():
    """CD015932 2.9 and 3.2: each row also stores its MD and SE rounded to 6 decimals (GIV Mean/SE).
    RevMan's CIs there are MD ± z·(rounded SE), not MD ± z·(SE from the SDs): the two differ in the
    6th decimal for Engoren 2005 and Barquist 2006. The report names that behaviour."""
    d = _rows("CD015932", "3.2")
    md = (d["Experimental mean"] - d["Control mean"]).to_numpy(float)
    se = np.sqrt(d["Experimental SD"] ** 2 / d["Experimental N"] + d["Control SD"] ** 2 / d["Control N"])
    assert np.abs(np.round(se.to_numpy(float), 6) - d["GIV SE"].to_numpy(float)).max() < 1e-12
    rounded = md - Z * d["GIV SE"].to_numpy(float)
    exact = md - Z * se.to_numpy(float)
    stored = d["CI start"].to_numpy(float)
    assert np.abs(rounded - stored).max() <= 5e-7
    assert np.abs(exact - stored).max() > 5e-7
    r = reproduce(next(SLICES.glob("CD015932*"))).set_index("analysis")
    for a in ("2.9", "3.2"):
        assert r.loc[a, "status"] == "differs"
        assert OPEN_CASES["smd_rounded"] in r.loc[a, "reason"]
        assert r.loc[a, "weights_match"] == r.loc[a, "weights_compared"]
    assert (r.loc[["2.7", "3.3"], "status"] == "match").all()


def test_two_subgroups_sharing_a_name_without_numbers_are_named():
    """CD004661 5.5: five rows under one subgroup name "As defined" and no subgroup numbers; RevMan's
    weights add up to 200 % (two subgroups of 100 % each, Crowther 2003 in both)."""
    d = _rows("CD004661", "5.5")
    assert d["Subgroup number"].isna().all() and d["Subgroup"].nunique() == 1
    assert round(d["Weight"].sum(), 4) == 200
    r = reproduce(next(SLICES.glob("CD004661*"))).set_index("analysis")
    assert r.loc["5.5", "status"] == "differs"
    assert OPEN_CASES["shared_subgroup_name"] in r.loc["5.5", "reason"]
    others = r.drop(index="5.5")
    assert (others["status"] == "match").all()
    assert not others["reason"].str.contains("share a name").any()


@pytest.mark.parametrize("review, analysis", [("CD016064", "1.2"), ("CD016211", "1.17")])
def test_revman_reml_is_fisher_scoring_stopped_at_1e_8(review, analysis):
    """RevMan's REML τ² is Fisher scoring from the Hedges estimator, stopped at the first step
    under 1e-8 (Settings ``reml="revman"``): only that iterate reproduces RevMan's weights here;
    the exact REML root misses them by more than the file's rounding (CD016064 1.2 converges slowly:
    the 38th iterate)."""
    from mytools.engine.batch import pool_batch
    from mytools.engine.settings import REVMAN_WEB, resolve

    path = next(SLICES.glob(f"{review}*"))
    rows = read_review(path).study_rows(analysis).reset_index(drop=True)
    seg = {"data_type": [infer_settings(read_review(path)).set_index("analysis").loc[analysis, "data_type"]],
           "model": ["random"], "tau2_method": ["REML"], "ci_method": ["wald"]}
    if seg["data_type"][0] == "dichotomous":
        seg.update(measure=["RR"], method=["IV"])
    else:
        seg.update(measure=["generic"], log_scale=[True])
    inputs = {c: rows[c].to_numpy(float) for c in ("events_intervention", "n_intervention",
              "events_control", "n_control", "giv_estimate", "giv_se")}
    stored = rows["revman_weight"].to_numpy(float)
    for rule, fits in (("revman", True), ("exact", False)):
        st = pool_batch({"segment": np.zeros(len(rows), dtype=int), **inputs}, seg,
                        settings=resolve(REVMAN_WEB, reml=rule)).studies
        worst = np.abs(st["weight_percent"].to_numpy(float) - stored).max()
        assert bool(worst <= 5e-7 + 1e-7) == fits, (rule, worst)
    r = reproduce(path).set_index("analysis")
    assert (r["status"] == "match").all()
