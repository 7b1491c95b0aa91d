"""The methods chapter's worked examples, pinned against numbers derived by hand from the published
formulas (written out here, not taken from the code), against external references (the 2025 Cochrane
review's published result; metafor's tests of R metan/rma on the BCG data; RevMan's Fleiss 1993 file)
and against the engine (``mytools.engine``)."""
from __future__ import annotations

import csv
import math

import numpy as np
import pytest

from mytools import pool_binary, pool_continuous
from mytools.teaching.worked import (
    FLEISS1993_MENTAL_HEALTH,
    _iv_heterogeneity,
    binary_step_table,
    display_steps,
    hand_binary_rr,
    hand_smd,
    hedges_correction_table,
    hedges_j_exact,
    hedges_j_revman,
    smd_step_table,
)

# 2025 Cochrane review (Raaphorst et al., CD015855), abstract result 5: IVIg vs placebo, serious
# adverse events, RR 1.91 (0.50 to 7.30), 2 studies, 144 participants.  Inputs: ProDERM 3/52 vs 2/48
# (reported); second study 3/22 vs 1/22 (reconstructed, see ../shared/evidence/README.md).
A, N1, C, N2 = [3, 3], [52, 22], [2, 1], [48, 22]
PUBLISHED = {"estimate": 1.91, "ci_low": 0.50, "ci_high": 7.30}


def test_mh_rr_by_hand_reproduces_the_published_2025_result() -> None:
    # Mantel–Haenszel RR = Σ(a·n₂/N)/Σ(c·n₁/N), written out study by study
    r_sum = 3 * 48 / 100 + 3 * 22 / 44  # 1.44 + 1.5
    s_sum = 2 * 52 / 100 + 1 * 22 / 44  # 1.04 + 0.5
    rr_mh = r_sum / s_sum
    # Greenland–Robins: P_i = (n₁n₂(a+c) − a·c·N)/N²
    p_sum = (52 * 48 * 5 - 3 * 2 * 100) / 100**2 + (22 * 22 * 4 - 3 * 1 * 44) / 44**2
    se = math.sqrt(p_sum / (r_sum * s_sum))
    lo, hi = math.exp(math.log(rr_mh) - 1.959964 * se), math.exp(math.log(rr_mh) + 1.959964 * se)
    h = hand_binary_rr(A, N1, C, N2)
    assert h["rr_mh"] == pytest.approx(rr_mh, rel=1e-12)
    assert h["se_log_rr_mh"] == pytest.approx(se, rel=1e-12)
    assert h["ci_low"] == pytest.approx(lo, rel=1e-6)
    assert h["ci_high"] == pytest.approx(hi, rel=1e-6)
    assert h["P"] == pytest.approx([1.188, 1804 / 1936], rel=1e-12)
    # … and the published numbers, to the 2 decimals the review prints
    assert round(h["rr_mh"], 2) == PUBLISHED["estimate"]
    assert round(h["ci_low"], 2) == PUBLISHED["ci_low"]
    assert round(h["ci_high"], 2) == PUBLISHED["ci_high"]


def test_heterogeneity_steps_by_hand() -> None:
    y = np.log([(3 / 52) / (2 / 48), (3 / 22) / (1 / 22)])
    v = np.array([1 / 3 - 1 / 52 + 1 / 2 - 1 / 48, 1 / 3 - 1 / 22 + 1 / 1 - 1 / 22])
    w = 1 / v
    q = float(np.sum(w * (y - math.log(2.94 / 1.54)) ** 2))
    h = hand_binary_rr(A, N1, C, N2)
    assert h["q"] == pytest.approx(q, rel=1e-12)
    assert q < 1  # Q below its df = 1: I² and τ²_DL are floored at 0
    assert h["i2"] == 0.0 and h["tau2"] == 0.0
    # with τ² = 0 the DL estimate is the inverse-variance fixed estimate (not the MH one)
    assert h["rr_re"] == pytest.approx(math.exp(np.sum(w * y) / np.sum(w)), rel=1e-12)
    assert h["rr_re"] != pytest.approx(h["rr_mh"], rel=1e-3)


def test_step_table_agrees_with_the_engine_everywhere_it_reports() -> None:
    t = binary_step_table(A, N1, C, N2, ["ProDERM", "Second"], PUBLISHED)
    both = t.dropna(subset=["mytools"])
    assert len(both) >= 15
    np.testing.assert_allclose(both["by_hand"], both["mytools"], rtol=1e-9, atol=1e-12)
    pub = t.dropna(subset=["published"])
    assert set(pub["quantity"]) == {"RR (MH, fixed)", "95% CI, lower", "95% CI, upper"}
    assert np.all(np.abs(pub["by_hand"] - pub["published"]) <= 0.005 + 1e-12)
    shown = display_steps(t)
    assert "✓" in set(shown["agree"]) and "—" in set(shown["agree"])


# BCG vaccine data (Colditz et al. 1994; metafor dat.bcg): tpos, tneg, cpos, cneg
BCG = np.array([
    [4, 119, 11, 128], [6, 300, 29, 274], [3, 228, 11, 209], [62, 13536, 248, 12619],
    [33, 5036, 47, 5761], [180, 1361, 372, 1079], [8, 2537, 10, 619], [505, 87886, 499, 87892],
    [29, 7470, 45, 7232], [17, 1699, 65, 1600], [186, 50448, 141, 27197], [5, 2493, 3, 2338],
    [27, 16886, 29, 17825],
])


def test_hand_formulas_match_metan_and_metafor_on_bcg() -> None:
    """External numbers: metafor's tests compare rma.mh / rma(method='DL') with Stata metan:
    MH RR log −0.4537 (−0.5308, −0.3766), Q 152.5676; DL log RR −0.7141 (−1.0644, −0.3638)."""
    a, n1 = BCG[:, 0], BCG[:, 0] + BCG[:, 1]
    c, n2 = BCG[:, 2], BCG[:, 2] + BCG[:, 3]
    h = hand_binary_rr(a, n1, c, n2)
    assert math.log(h["rr_mh"]) == pytest.approx(-0.4537, abs=1e-4)
    assert math.log(h["ci_low"]) == pytest.approx(-0.5308, abs=1e-4)
    assert math.log(h["ci_high"]) == pytest.approx(-0.3766, abs=1e-4)
    assert h["q"] == pytest.approx(152.5676, abs=1e-3)
    # DerSimonian–Laird about the inverse-variance estimate (metafor/metan convention)
    y, v = h["log_rr"], h["var_log_rr"]
    het = _iv_heterogeneity(y, v, float(np.sum(y / v) / np.sum(1 / v)))
    assert het["q"] == pytest.approx(152.2330, abs=1e-3)
    assert het["y_re"] == pytest.approx(-0.7141, abs=1e-4)
    assert het["y_re"] - 1.959964 * het["se_re"] == pytest.approx(-1.0644, abs=1e-4)
    assert het["y_re"] + 1.959964 * het["se_re"] == pytest.approx(-0.3638, abs=1e-4)
    assert het["tau2"] > 0.25  # substantial heterogeneity: the DL step is exercised, not floored


def test_zero_cell_is_rejected_by_the_hand_example() -> None:
    with pytest.raises(ValueError, match="zero cell"):
        hand_binary_rr([0, 3], [10, 22], [2, 1], [10, 22])


def test_smd_by_hand_for_one_study() -> None:
    # Davis (Fleiss 1993): treatment 5.0 (SD 4.7, n 13), control 6.5 (SD 3.8, n 13)
    sp = math.sqrt((12 * 4.7**2 + 12 * 3.8**2) / 24)
    d = (5.0 - 6.5) / sp
    j = 1 - 3 / (4 * 26 - 9)
    g = j * d
    se = math.sqrt(26 / (13 * 13) + g**2 / (2 * (26 - 3.94)))
    h = hand_smd([5.0], [4.7], [13], [6.5], [3.8], [13])
    assert h["g"][0] == pytest.approx(g, rel=1e-12)
    assert h["se_g"][0] == pytest.approx(se, rel=1e-12)
    eng = pool_continuous([5.0], [4.7], [13], [6.5], [3.8], [13], measure="SMD", smd="revman")
    assert eng.estimate == pytest.approx(g, rel=1e-10)
    assert eng.se == pytest.approx(se, rel=1e-10)


def test_hedges_j() -> None:
    assert hedges_j_revman(26) == pytest.approx(1 - 3 / 95)
    # exact J for m = N − 2 = 2: Γ(1)/(√1·Γ(1/2)) = 1/√π
    assert hedges_j_exact(4) == pytest.approx(1 / math.sqrt(math.pi), rel=1e-12)
    # m = 3: Γ(3/2)/(√(3/2)·Γ(1)) = (√π/2)/√1.5
    assert hedges_j_exact(5) == pytest.approx((math.sqrt(math.pi) / 2) / math.sqrt(1.5), rel=1e-12)
    # the approximation is good to < 0.03% from N = 15 (Dalakas 1993, 8 vs 7) upwards
    n = np.arange(15, 200)
    assert np.all(np.abs(hedges_j_revman(n) / hedges_j_exact(n) - 1) < 3e-4)
    t = hedges_correction_table(
        __import__("pandas").DataFrame({"label": ["x", "y"], "n_intervention": [8, 47], "n_control": [7, 48]})
    )
    assert list(t["N"]) == [15, 95]
    assert np.all(t["g difference (%)"] > 0)  # RevMan's J slightly larger than exact


def test_smd_step_table_agrees_with_engine() -> None:
    t = smd_step_table()
    both = t.dropna(subset=["mytools"])
    np.testing.assert_allclose(both["by_hand"], both["mytools"], rtol=1e-9, atol=1e-12)
    assert len(both) >= 25


def test_fleiss_constants_match_revman_file(revman_fixtures) -> None:
    """The five studies typed into worked.py are those of RevMan's own Fleiss 1993 export."""
    with open(revman_fixtures / "Fleiss1993_CR.csv", encoding="utf-8-sig") as fh:
        rows = [r for r in csv.DictReader(fh) if r["Outcome Number"] == "2" and r["Mean 1"] not in ("", None)]
    by_name = {r["Name"]: r for r in rows}
    f = FLEISS1993_MENTAL_HEALTH.set_index("label")
    assert set(by_name) == set(f.index)
    for name, r in by_name.items():
        assert f.loc[name, "mean_intervention"] == pytest.approx(float(r["Mean 1"]))
        assert f.loc[name, "sd_intervention"] == pytest.approx(float(r["SD 1"]))
        assert f.loc[name, "n_intervention"] == int(r["Total 1"])
        assert f.loc[name, "mean_control"] == pytest.approx(float(r["Mean 2"]))
        assert f.loc[name, "sd_control"] == pytest.approx(float(r["SD 2"]))
        assert f.loc[name, "n_control"] == int(r["Total 2"])
        # RevMan's own MD and SE for the study, from the same numbers
        md = f.loc[name, "mean_intervention"] - f.loc[name, "mean_control"]
        se = math.sqrt(f.loc[name, "sd_intervention"] ** 2 / f.loc[name, "n_intervention"] + f.loc[name, "sd_control"] ** 2 / f.loc[name, "n_control"])
        assert md == pytest.approx(float(r["Effect Estimate"]), abs=1e-6)
        assert se == pytest.approx(float(r["SE"]), rel=1e-6)


def test_engine_mh_matches_hand_on_bcg() -> None:
    a, n1 = BCG[:, 0], BCG[:, 0] + BCG[:, 1]
    c, n2 = BCG[:, 2], BCG[:, 2] + BCG[:, 3]
    t = binary_step_table(a, n1, c, n2, [f"s{i}" for i in range(len(a))])
    both = t.dropna(subset=["mytools"])
    np.testing.assert_allclose(both["by_hand"], both["mytools"], rtol=1e-9, atol=1e-12)
    r = pool_binary(a, n1, c, n2, model="random")
    assert r.tau2 > 0.2


def test_sensitivity_for_ivig_sae_matches_hartung_knapp_by_hand() -> None:
    """REML + Hartung–Knapp for the two SAE trials, by hand: the REML score at τ² = 0,
    Σw²(y−μ)² − (Σw − Σw²/Σw), is negative, so τ²_REML = 0; then μ = Σwy/Σw and
    SE_HK = √(Σw(y−μ)²/((k−1)Σw)), interval μ ± t_{0.975, 1}·SE_HK (Hartung & Knapp 2001).
    (Moved from the retired ``choices_long``: the page's table is now ``review_sensitivity``.)"""
    from scipy import stats

    from mytools.data import load_data
    from mytools.teaching.worked import review_sensitivity

    y = np.log([(3 / 52) / (2 / 48), (3 / 22) / (1 / 22)])
    v = np.array([1 / 3 - 1 / 52 + 1 / 2 - 1 / 48, 1 / 3 - 1 / 22 + 1 - 1 / 22])
    w = 1 / v
    mu = np.sum(w * y) / np.sum(w)
    assert np.sum(w**2 * (y - mu) ** 2) - (np.sum(w) - np.sum(w**2) / np.sum(w)) < 0
    se = math.sqrt(np.sum(w * (y - mu) ** 2) / (1 * np.sum(w)))
    t = stats.t.ppf(0.975, 1)
    long = review_sensitivity(load_data())
    row = long[(long.key == "ivig_sae") & (long.variant == "reml_hksj")].iloc[0]
    assert row["estimate"] == pytest.approx(math.exp(mu), rel=1e-9)
    assert row["ci_low"] == pytest.approx(math.exp(mu - t * se), rel=1e-9)
    assert row["ci_high"] == pytest.approx(math.exp(mu + t * se), rel=1e-9)
    assert not row["changes_conclusion"]  # 1 is inside both the RevMan and the HK interval
    # single-trial results are not re-pooled: fixed and random effects are the same calculation there
    assert long["k"].min() >= 2
    revman = long[long.variant == "revman"].set_index("key")
    assert round(revman.loc["ivig_sae", "estimate"], 2) == PUBLISHED["estimate"]


def test_sensitivity_verdict_names_what_changed() -> None:
    import pandas as pd

    from mytools.teaching.worked import sensitivity_verdict

    none = pd.DataFrame({"results": [4, 4], "applies_to": [4, 4], "changes_conclusion": [0, 0]},
                        index=["revman", "random_dl"])
    assert "none of the 4 pooled results changes" in sensitivity_verdict(none)
    some = pd.DataFrame({"results": [4, 4, 4], "applies_to": [4, 4, 4], "changes_conclusion": [0, 0, 1]},
                        index=["revman", "random_dl", "reml_hksj"])
    assert "‘random, REML + HKSJ’ changes 1 of the 4" in sensitivity_verdict(some)
    assert "‘random, DL’ changes none" in sensitivity_verdict(some)


def test_sensitivity_counts_count_results_by_their_number_of_studies():
    """Two results with 2 and 3 studies (k repeated on every variant row, as review_sensitivity gives)."""
    import pandas as pd

    from mytools.teaching.worked.sensitivity import sensitivity_counts

    long = pd.DataFrame({"key": ["a", "a", "b", "b"], "analysis": ["1.1", "1.1", "1.2", "1.2"], "k": [2, 2, 3, 3],
                         "variant": ["revman", "random_dl"] * 2, "tau2": [0, 0, 0, 0.2],
                         "applicable": [True] * 4})
    assert sensitivity_counts(long) == {"n": 2, "analyses": 2, "k3": 1, "kmax": 3, "tau2_pos": 1, "zero_cell": 0}


# --------------------------------------------------------------------------------------------
# Sensitivity of every pooled result with >= 2 studies (issue #12), against R metafor
# --------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def review_rows_csv(shared):
    path = shared / "evidence" / "cochrane2025-review-data" / "CD015855-data-rows.csv"
    if not path.is_file():
        pytest.skip(f"{path} is missing")
    return path


# --------------------------------------------------------------------------------------------
# The methods page's helpers on the book's Dataset (the review's own rows)
# --------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def book_data():
    from mytools.data import load_data

    return load_data()


def test_leave_one_out_matches_metafor(book_data) -> None:
    """Leave-one-out of MTX withdrawals (#14, no zero cells, so metafor's rma.mh is RevMan's MH)
    against metafor's leave1out run here; the full result is the published 0.62 (0.37 to 1.05)."""
    import shutil
    import subprocess

    from mytools.teaching.worked import leave_one_out

    loo = leave_one_out(book_data, "mtx_withdrawals")
    full = loo.iloc[0]
    assert (round(full.estimate, 2), round(full.ci_low, 2), round(full.ci_high, 2)) == (0.62, 0.37, 1.05)
    assert list(loo["k"]) == [3, 2, 2, 2]
    if shutil.which("Rscript") is None:
        pytest.skip("Rscript is not installed (r-cran-metafor)")
    from mytools.analyses import analysis

    inp = analysis("mtx_withdrawals", book_data).inputs
    cols = ["events_intervention", "n_intervention", "events_control", "n_control"]
    vec = {k: ",".join(str(int(x)) for x in inp[c]) for k, c in zip(("ai", "n1i", "ci", "n2i"), cols)}
    code = ("suppressMessages(library(metafor)); r <- rma.mh(measure='RR', ai=c({ai}), n1i=c({n1i}), ci=c({ci}), "
            "n2i=c({n2i})); l <- leave1out(r, transf=exp); write.csv(data.frame(e=l$estimate, lo=l$ci.lb, "
            "hi=l$ci.ub), stdout(), row.names=FALSE)").format(**vec)
    out = subprocess.run(["Rscript", "-e", code], capture_output=True, text=True, check=True, timeout=60).stdout
    ref = np.array([[float(x) for x in line.split(",")] for line in out.strip().splitlines()[1:]])
    got = loo.iloc[1:][["estimate", "ci_low", "ci_high"]].to_numpy(dtype=float)
    assert got == pytest.approx(ref, rel=1e-6)


def test_certainty_counts_match_the_abstract(shared, book_data) -> None:
    """The GRADE column of the 14 abstract results (evidence notes, read from the abstract)."""
    import re

    from mytools.teaching.worked import certainty_values

    text = (shared / "evidence" / "README.md").read_text(encoding="utf-8")
    table = text[text.index("## The 14 published pooled results"):text.index("## Study-level inputs")]
    grades = re.findall(r"^\| \d+ \|.*\| (high|moderate|low|very low) \|$", table, flags=re.M)
    assert len(grades) == 14
    v = certainty_values(book_data)
    assert v["methods_grade_n"] == 14
    for level in ("high", "moderate", "low", "very low"):
        assert v[f"methods_grade_{level.replace(' ', '_')}"] == grades.count(level), level


def test_review_sensitivity_is_the_chapter_path_and_matches_metafor(review_rows_csv, book_data) -> None:
    """The chapter's table (registry + reanalyse) against metafor on the same analyses."""
    import io
    import shutil
    import subprocess
    from pathlib import Path

    import pandas as pd

    from mytools.teaching.worked import review_sensitivity, sensitivity_summary

    long = review_sensitivity(book_data)
    assert long["k"].min() >= 2
    assert set(long["analysis"]) == {"1.2", "1.4", "1.7", "1.8", "3.5", "3.6", "5.6", "8.6"}
    if shutil.which("Rscript") is None:
        pytest.skip("Rscript is not installed (r-cran-metafor)")
    script = Path(__file__).resolve().parents[1] / "r" / "sensitivity_metafor.R"
    out = subprocess.run(["Rscript", str(script), str(review_rows_csv)], capture_output=True, text=True,
                         check=True, timeout=120).stdout
    ref = pd.read_csv(io.StringIO(out)).set_index(["key", "variant"])
    n = 0
    for _, r in long[long["applicable"]].iterrows():
        if (r["analysis"], r["variant"]) not in ref.index or (r["variant"] == "revman" and r["measure"] == "RR"):
            continue
        m = ref.loc[(r["analysis"], r["variant"])]
        for c in ("estimate", "ci_low", "ci_high"):
            assert r[c] == pytest.approx(m[c], rel=1e-5, abs=1e-5), (r["analysis"], r["variant"], c)
        n += 1
    # 6 risk ratios x (DL, REML + HKSJ[, HKSJ >= 1]) + 1 without 0.5 + 2 SMDs x (fixed, DL, REML + HKSJ[, >= 1])
    assert n in (19, 27)
    # the review's own (fixed) results = the 2025 abstract: #1 SMD 0.86 (0.51 to 1.21), #2 0.78
    # (0.43 to 1.13), #5 RR 1.91 (0.50 to 7.30), #6 1.02 (0.24 to 4.33), #13 1.48 (0.54 to 4.07),
    # #14 0.62 (0.37 to 1.05)
    fixed = long[long["variant"] == "revman"].set_index("analysis")
    for key, pub in {"1.2": (0.86, 0.51, 1.21), "1.4": (0.78, 0.43, 1.13), "1.7": (1.91, 0.50, 7.30),
                     "1.8": (1.02, 0.24, 4.33), "3.5": (1.48, 0.54, 4.07), "3.6": (0.62, 0.37, 1.05)}.items():
        got = tuple(round(float(fixed.at[key, c]), 2) for c in ("estimate", "ci_low", "ci_high"))
        assert got == pub, key
    # the claim the chapter used to make is false: REML + HKSJ moves two intervals across no effect
    s = sensitivity_summary(long)
    assert s.at["reml_hksj", "changes_conclusion"] == 2 and s.at["random_dl", "changes_conclusion"] == 0


def test_page_values_restate_the_published_results(book_data) -> None:
    """The glue values of the worked examples (the chapter's former cell logic) against the 2025
    abstract: #5 RR 1.91 (0.50 to 7.30) and #1 SMD 0.86 (0.51 to 1.21)."""
    from mytools.analyses import analysis
    from mytools.teaching import worked

    sae = worked.sae_values(worked.analysis_step_table(book_data, "ivig_sae"),
                            analysis("ivig_sae", book_data).published)
    assert (round(sae["methods_sae_est"], 2), round(sae["methods_sae_lo"], 2), round(sae["methods_sae_hi"], 2)) \
        == (1.91, 0.50, 7.30)
    assert sae["methods_sae_mhw1"] + sae["methods_sae_mhw2"] == pytest.approx(100)
    assert sae["methods_sae_mhw1"] > sae["methods_sae_mhw2"]  # label1 is the study with the larger MH weight
    smd = worked.smd_values(worked.analysis_smd_table(book_data, "ivig_disability"),
                            analysis("ivig_disability", book_data).published)
    assert (round(smd["methods_smd_est"], 2), round(smd["methods_smd_lo"], 2), round(smd["methods_smd_hi"], 2)) \
        == (0.86, 0.51, 1.21) == (smd["methods_smd_pub_est"], smd["methods_smd_pub_lo"], smd["methods_smd_pub_hi"])
    assert smd["methods_smd_k"] == 3


def test_prediction_values_name_the_study_the_evidence_notes_name(shared, book_data) -> None:
    """Evidence notes: '#5 the counts 3/22 vs 1/22 are right but the study is ISRCTN87782942, not
    Miyasaka 2012'; #7, #11, #13 'exactly the review's numbers'."""
    from mytools.teaching import predictions, worked

    text = (shared / "evidence" / "README.md").read_text(encoding="utf-8")
    assert "the study is **ISRCTN87782942**, not Miyasaka 2012" in text
    v = worked.prediction_values(predictions.predictions(book_data), book_data)
    assert "ISRCTN87782942" in v["methods_pred_wrong_review_study"]
    assert v["methods_pred_wrong_predicted_study"] == "Miyasaka 2012"
    assert (v["methods_pred_counts_n"], v["methods_pred_counts_exact"], v["methods_pred_identity_wrong"]) == (4, 4, 1)
