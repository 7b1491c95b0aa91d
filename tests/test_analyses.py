"""The analysis registry against the reviews' published numbers.

References: the 2025 abstract (seed 000, read in place via the ``shared`` fixture) for the published
values, the evidence notes (../shared/evidence/README.md) for which results are reproducible from
which kind of input, and hand-derived formulas (never values printed by our own code).
"""
from __future__ import annotations

import math
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest

from mytools.analyses import analyses, analysis, reanalyse, sensitivity
from mytools.data import DATA_DIR, load_data

# Statuses implied by the evidence notes' table "Study-level inputs, by provenance class".
EXPECTED = {
    1: ("ivig_disability", "not_reproducible", "not_available"),
    2: ("ivig_strength", "not_reproducible", "not_available"),
    3: ("ivig_tis20", "reproduced", "reported"),
    4: ("ivig_cdasi", "reproduced", "approximated"),
    5: ("ivig_sae", "reproduced", "mixed"),
    6: ("ivig_withdrawals", "not_reproducible", "not_available"),
    7: ("aza_strength", "reproduced", "reconstructed"),
    8: ("aza_steroid_dose", "restated", "approximated"),
    9: ("mtx_function", "restated", "approximated"),
    10: ("mtx_strength", "restated", "approximated"),
    11: ("mtx_imacs", "reproduced", "reconstructed"),
    12: ("mtx_printo", "reproduced", "reported"),
    13: ("mtx_sae", "reproduced", "reconstructed"),
    14: ("mtx_withdrawals", "not_reproducible", "not_available"),
}


@pytest.fixture(scope="module")
def report() -> pd.DataFrame:
    return analyses()


@pytest.fixture(scope="module")
def published() -> pd.DataFrame:
    return pd.read_csv(DATA_DIR / "published_results.csv")


def test_fourteen_abstract_rows_with_expected_statuses(report):
    rows = report[report["in_abstract"].astype(bool)].set_index("abstract_no")
    assert sorted(rows.index) == list(range(1, 15))
    got = {int(no): (r.analysis_id, r.status, r.inputs_provenance) for no, r in rows.iterrows()}
    assert got == EXPECTED


def test_reproduced_rows_match_published_to_2_decimals(report, published):
    pub = published[published["review_id"] == "cochrane2025"].set_index("analysis_id")
    done = report[report["status"] == "reproduced"]
    assert len(done) == 7
    for r in done.itertuples():
        p = pub.loc[r.analysis_id]
        tol = 0.01 if r.analysis_id != "ivig_cdasi" else 0.03
        for ours, theirs in [(r.estimate, p.estimate), (r.ci_low, p.ci_low), (r.ci_high, p.ci_high)]:
            if tol == 0.01:
                assert round(ours, 2) == pytest.approx(theirs, abs=1e-9), r.analysis_id
            else:
                assert abs(ours - theirs) <= tol, r.analysis_id
        assert r.k == p.k


def test_cdasi_point_estimate_exact_and_tolerance_registered(report):
    row = report.set_index("analysis_id").loc["ivig_cdasi"]
    assert round(row.estimate, 2) == -8.20  # -9.36 - (-1.16), both arm means as reported
    spec = analysis("ivig_cdasi").spec
    assert spec["tolerance"] == 0.03 and "back-calculated" in spec["tolerance_reason"]
    assert "tolerance 0.03" in row.reason


def test_published_values_are_those_of_the_2025_abstract(shared, published):
    """published_results.csv against the abstract text itself (seed 000)."""
    text = (shared / "seeds" / "000_e4f6906a22c9bed0.txt").read_text()
    main = text[text.index("We identified 16 studies"):text.index("作者结论")]
    main = main.replace("\u2212", "-")
    for r in published[published["review_id"] == "cochrane2025"].itertuples():
        est, lo, hi = (f"{x:.2f}" for x in (r.estimate, r.ci_low, r.ci_high))
        m = re.search(re.escape(est) + r"[^0-9;]{0,12}, 95% (?:CI|confidence interval \(CI\)) " + re.escape(lo) + " to " + re.escape(hi), main)
        assert m, (r.abstract_no, est, lo, hi)
        tail = main[m.end():m.end() + 120]
        k = re.search(r"(\d+) RCTs?[;,] (\d+) participants", tail)
        assert k and (int(k.group(1)), int(k.group(2))) == (r.k, r.participants), (r.abstract_no, tail)
        cert = re.search(r"(very low|low|moderate|high)-certainty", tail)
        assert cert and cert.group(1) == r.certainty, (r.abstract_no, tail)


def test_hand_derived_mh_risk_ratio_single_study():
    """Bunch 1980, 4/8 vs 3/8: RR = 4/3, SE(log RR) = sqrt(1/4 - 1/8 + 1/3 - 1/8)."""
    a = analysis("aza_strength")
    se = math.sqrt(1 / 4 - 1 / 8 + 1 / 3 - 1 / 8)
    assert a.result.estimate == pytest.approx(4 / 3)
    assert a.result.ci_low == pytest.approx(4 / 3 * math.exp(-1.959964 * se), rel=1e-5)
    assert a.result.ci_high == pytest.approx(4 / 3 * math.exp(1.959964 * se), rel=1e-5)


def test_not_reproducible_rows_name_the_missing_studies(report):
    od = load_data().outcome_data
    for aid in ("ivig_disability", "ivig_strength", "ivig_withdrawals", "mtx_withdrawals"):
        a = analysis(aid)
        assert a.result is None and a.diff is None
        missing = set(od[(od["analysis_id"] == aid) & (od["provenance"] == "not_available")]["study_id"])
        assert missing
        for sid in missing:
            assert sid in a.reason


def test_reasons_say_when_agreement_is_by_construction(report):
    rows = report.set_index("analysis_id")
    for aid in ("aza_strength", "mtx_imacs", "mtx_sae", "ivig_sae"):
        assert "by construction" in rows.loc[aid, "reason"]
    for aid in ("ivig_tis20", "mtx_printo"):
        assert "by construction" not in rows.loc[aid, "reason"]
    for aid in ("aza_steroid_dose", "mtx_function", "mtx_strength"):
        assert "not recomputed" in rows.loc[aid, "reason"]


def test_2012_dalakas_restated(report):
    row = report.set_index("analysis_id").loc["r2012_ivig_strength"]
    assert row.status == "restated"
    assert (round(row.estimate, 2), round(row.ci_low, 2), round(row.ci_high, 2)) == (9.50, 4.33, 14.67)


def test_extra_analyses_are_labelled_outside_the_abstract(report):
    extra = report[~report["in_abstract"].astype(bool)].set_index("analysis_id")
    for aid in ("ivig_tis40", "ivig_tis60", "csa_printo", "mtxaza_vs_ivmtx", "apheresis_pe", "apheresis_lp"):
        assert extra.loc[aid, "status"] == "not_compared"
    # Villalba 1998 first period, 8/15 vs 3/15: RR = 8/3 (hand-derived)
    assert extra.loc["mtxaza_vs_ivmtx", "estimate"] == pytest.approx(8 / 3)


def test_a_changed_input_is_detected(tmp_path: Path):
    """The status can fail: one responder less in ProDERM's IVIg arm is no longer 'reproduced'."""
    dst = tmp_path / "data"
    shutil.copytree(DATA_DIR, dst)
    path = dst / "outcome_data.csv"
    path.write_text(path.read_text().replace("ivig_tis20,Aggarwal2022,intervention,IVIg,confirmed,47,37,",
                                             "ivig_tis20,Aggarwal2022,intervention,IVIg,confirmed,47,36,"))
    a = analysis("ivig_tis20", load_data(dst))
    assert a.status == "approximate"


def test_reanalyse_without_reconstructed_inputs():
    """ivig_sae without the reconstructed second study = ProDERM alone: (3/52) / (2/48)."""
    r = reanalyse("ivig_sae", exclude_provenance=("reconstructed",))
    assert r.k == 1
    assert r.estimate == pytest.approx((3 / 52) / (2 / 48))
    with pytest.raises(ValueError, match="no study is left"):
        reanalyse("aza_strength", exclude_provenance=("reconstructed",))
    with pytest.raises(ValueError, match="not available"):
        reanalyse("ivig_disability")
    with pytest.raises(ValueError, match="unknown option"):
        reanalyse("ivig_tis20", method="Peto")


def test_sensitivity_variants():
    table = sensitivity("mtx_sae")
    assert list(table.columns) == ["variant", "estimate", "ci_low", "ci_high", "tau2", "i2", "k", "note"]
    assert table["variant"].tolist()[0] == "RevMan default (registered)"
    assert round(table.iloc[0]["estimate"], 2) == 1.48
    assert "without reconstructed inputs" in table["variant"].tolist()
    assert "MH without 0.5 correction" not in table["variant"].tolist()  # no zero cells in mtx_sae
    with pytest.raises(ValueError):
        sensitivity("mtx_withdrawals")


def test_unknown_analysis_id():
    with pytest.raises(KeyError, match="known ids"):
        analysis("ivig_nothing")
