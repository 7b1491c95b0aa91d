"""The analysis registry against the reviews' published numbers.

References: the 2025 abstract (seed 000, read in place via the ``shared`` fixture) for the published
values, the evidence notes (../shared/evidence/README.md and the review data's SOURCE.md) for which
results are reproducible from which kind of input, and hand-derived formulas (never values printed
by our own code).
"""
from __future__ import annotations

import math
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest

from mytools.analyses import analyses, analysis, reanalyse, sensitivity, status_counts
from mytools.data import DATA_DIR, load_data
from mytools.present.wording import reason_text

# The 14 abstract results, each from the review's own data rows (SOURCE.md, table "abstract # ->
# data-rows analysis").
EXPECTED = {1: "ivig_disability", 2: "ivig_strength", 3: "ivig_tis20", 4: "ivig_cdasi", 5: "ivig_sae",
            6: "ivig_withdrawals", 7: "aza_strength", 8: "aza_steroid_dose", 9: "mtx_function",
            10: "mtx_strength", 11: "mtx_imacs", 12: "mtx_printo", 13: "mtx_sae", 14: "mtx_withdrawals"}
ROWS_ANALYSIS = {1: ("1.2", None), 2: ("1.4", None), 3: ("1.5", None), 4: ("1.6", 1), 5: ("1.7", None),
                 6: ("1.8", None), 7: ("2.1", None), 8: ("2.3", None), 9: ("3.1", None), 10: ("3.3", None),
                 11: ("3.4", 3), 12: ("3.4", 1), 13: ("3.5", None), 14: ("3.6", None)}
# The earlier route (primary sources, reconstruction): statuses implied by the evidence notes' table
# "Study-level inputs, by provenance class" — kept as independent checks (ids <id>_sources).
EXPECTED_SOURCES = {
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
def data():
    return load_data()


@pytest.fixture(scope="module")
def report(data) -> pd.DataFrame:
    return analyses(data)


@pytest.fixture(scope="module")
def published() -> pd.DataFrame:
    return pd.read_csv(DATA_DIR / "published_results.csv")


def _sources(report: pd.DataFrame) -> pd.DataFrame:
    return report[report["route"] == "sources"].set_index("analysis_id")


def test_fourteen_abstract_rows_reproduced_from_the_review_data(report):
    rows = report[report["in_abstract"].astype(bool)].set_index("abstract_no")
    assert sorted(rows.index) == list(range(1, 15))
    got = {int(no): (r.analysis_id, r.status, r.inputs_provenance) for no, r in rows.iterrows()}
    assert got == {no: (aid, "reproduced", "review_data") for no, aid in EXPECTED.items()}
    for no, (key, sub) in ROWS_ANALYSIS.items():
        assert rows.loc[no, "review_analysis"] == key
        assert (None if pd.isna(rows.loc[no, "subgroup_number"]) else int(rows.loc[no, "subgroup_number"])) == sub


def test_sources_route_keeps_its_statuses(report):
    """The earlier route, moved beside the review's data: same statuses as before the data were found."""
    src = report[report["checks"].isin(list(EXPECTED.values()))].set_index("checks")
    assert len(src) == 14
    abstract_no = {aid: no for no, aid in EXPECTED.items()}
    got = {abstract_no[c]: (c, r.status, r.inputs_provenance) for c, r in src.iterrows()}
    assert got == EXPECTED_SOURCES
    assert all(src["analysis_id"] == [f"{c}_sources" for c in src.index])


def test_reproduced_rows_match_published_within_printed_precision(report, published):
    """Every reproduced number rounds (2 decimals) to the published one; the sources route keeps its
    registered tolerance (0.03 for the approximated CDASI SDs)."""
    pub = published[published["review_id"] == "cochrane2025"].set_index("analysis_id")
    done = report[report["status"] == "reproduced"]
    assert len(done) == 14 + 7
    for r in done.itertuples():
        p = pub.loc[r.checks if isinstance(r.checks, str) and r.checks else r.analysis_id]
        tol = 0.03 if r.analysis_id == "ivig_cdasi_sources" else 0.005
        for ours, theirs in [(r.estimate, p.estimate), (r.ci_low, p.ci_low), (r.ci_high, p.ci_high)]:
            assert abs(ours - theirs) <= tol + 1e-12, r.analysis_id
            if tol < 0.01:
                assert round(ours, 2) == pytest.approx(theirs, abs=1e-9), r.analysis_id
        # the abstract counts Dalakas 1993 (0/8 vs 0/7) among the 3 studies of #6; it is not estimable
        assert r.k == p.k - (1 if r.analysis_id == "ivig_withdrawals" else 0), r.analysis_id


def test_k_and_participants_of_the_review_rows_equal_the_abstract(data, published):
    """Studies and participants per abstract result, counted in the review's rows (estimable or not),
    equal the abstract's 'n RCTs; m participants'."""
    pub = published[published["review_id"] == "cochrane2025"].set_index("analysis_id")
    for aid in EXPECTED.values():
        inp = analysis(aid, data).inputs
        assert len(inp) == pub.loc[aid, "k"], aid
        assert int((inp["n_intervention"] + inp["n_control"]).sum()) == pub.loc[aid, "participants"], aid


def test_cdasi_point_estimate_exact_and_tolerance_registered(report, data):
    row = report.set_index("analysis_id").loc["ivig_cdasi_sources"]
    assert round(row.estimate, 2) == -8.20  # -9.36 - (-1.16), both arm means as reported
    spec = analysis("ivig_cdasi_sources", data).spec
    assert spec["tolerance"] == 0.03 and "back-calculated" in spec["tolerance_reason"]
    assert "tolerance 0.03" in reason_text(row)
    assert row.reason == "within_registered_tolerance"


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


def test_hand_derived_mh_risk_ratio_single_study(data):
    """Bunch 1980, 4/8 vs 3/8: RR = 4/3, SE(log RR) = sqrt(1/4 - 1/8 + 1/3 - 1/8) — both routes."""
    se = math.sqrt(1 / 4 - 1 / 8 + 1 / 3 - 1 / 8)
    for aid in ("aza_strength", "aza_strength_sources"):
        a = analysis(aid, data)
        assert a.result.estimate == pytest.approx(4 / 3)
        assert a.result.ci_low == pytest.approx(4 / 3 * math.exp(-1.959964 * se), rel=1e-5)
        assert a.result.ci_high == pytest.approx(4 / 3 * math.exp(1.959964 * se), rel=1e-5)


def test_not_reproducible_rows_name_the_missing_studies(data):
    od = data.outcome_data
    for aid in ("ivig_disability_sources", "ivig_strength_sources", "ivig_withdrawals_sources",
                "mtx_withdrawals_sources"):
        a = analysis(aid, data)
        assert a.result is None and a.diff is None
        assert a.status == "not_reproducible" and a.reason == "inputs_not_available"
        missing = set(od[(od["analysis_id"] == aid) & (od["provenance"] == "not_available")]["study_id"])
        assert missing and set(a.missing) == missing
        text = reason_text(a)
        assert text.startswith("Not reproducible")
        for sid in missing:
            assert sid in text


def test_reasons_say_when_agreement_is_by_construction(report):
    rows = report.set_index("analysis_id")
    for aid in ("aza_strength", "mtx_imacs", "mtx_sae", "ivig_sae"):
        assert "by construction" in reason_text(rows.loc[f"{aid}_sources"])
        assert "by construction" not in reason_text(rows.loc[aid])  # the review's own data
    for aid in ("ivig_tis20", "mtx_printo"):
        assert "by construction" not in reason_text(rows.loc[f"{aid}_sources"])
    for aid in ("aza_steroid_dose", "mtx_function", "mtx_strength"):
        assert "not recomputed" in reason_text(rows.loc[f"{aid}_sources"])
    assert set(rows["reason"]) <= {"within_precision", "within_registered_tolerance", "differs_from_published",
                                   "single_published_estimate", "inputs_not_available", "no_published_result"}


def test_2012_dalakas_restated(report):
    row = report.set_index("analysis_id").loc["r2012_ivig_strength"]
    assert row.status == "restated"
    assert (round(row.estimate, 2), round(row.ci_low, 2), round(row.ci_high, 2)) == (9.50, 4.33, 14.67)


def test_extra_analyses_are_labelled_outside_the_abstract(report):
    extra = report[~report["in_abstract"].astype(bool)].set_index("analysis_id")
    for aid in ("ivig_tis40", "ivig_tis60", "csa_printo", "mtxaza_vs_ivmtx", "apheresis_pe", "apheresis_lp"):
        assert extra.loc[aid, "status"] == "recomputed"  # was 'not_compared' (one meaning: reproduction)
    # Villalba 1998 first period, 8/15 vs 3/15: RR = 8/3 (hand-derived)
    assert extra.loc["mtxaza_vs_ivmtx", "estimate"] == pytest.approx(8 / 3)
    # the review's rows for the same trial give 8/15 vs 4/15: RR = 2
    assert extra.loc["mtx_aza_vs_ivmtx_11_1", "estimate"] == pytest.approx(2.0)


def test_all_51_analyses_are_in_the_report(report):
    review = report[report["route"] == "review_data"]
    assert review["review_analysis"].nunique() == 51
    assert review["comparison_no"].nunique() == 12
    assert set(review["status"]) == {"reproduced", "recomputed"}
    assert (review["status"] == "recomputed").sum() == len(review) - 14
    assert (review.loc[review["status"] == "recomputed", "pub_estimate"].isna()).all()


def test_status_counts(report):
    c = status_counts(report)
    assert c["total"] == 14 and c["reproduced"] == 14 and c["reproduced_review_data"] == 14
    assert (c["sources_reproduced"], c["sources_restated"], c["sources_not_reproducible"]) == (7, 3, 4)
    assert (c["sources_reproduced_reported"], c["sources_reproduced_by_construction"],
            c["sources_reproduced_approximated"]) == (2, 4, 1)


def test_a_changed_input_is_detected(tmp_path: Path):
    """The status can fail: one responder less in ProDERM's IVIg arm is no longer 'reproduced'."""
    dst = tmp_path / "data"
    shutil.copytree(DATA_DIR, dst)
    path = dst / "outcome_data.csv"
    path.write_text(path.read_text().replace("ivig_tis20_sources,Aggarwal2022,intervention,IVIg,confirmed,47,37,",
                                             "ivig_tis20_sources,Aggarwal2022,intervention,IVIg,confirmed,47,36,"))
    a = analysis("ivig_tis20_sources", load_data(dst))
    assert a.status == "approximate"


def test_a_changed_review_row_is_seen_in_the_results(tmp_path: Path):
    """A modified copy of data/ flows through: ProDERM 36/47 instead of 37/47 in the review's rows
    (analysis 1.5) changes #3 to (36/47)/(21/48) and it is no longer reproduced."""
    dst = tmp_path / "data"
    shutil.copytree(DATA_DIR, dst)
    path = dst / "CD015855-data-rows.csv"
    old = '"ProDERM",2017,0,0,0,0,37,47,0,0,21,48,'
    assert path.read_text().count(old) == 1
    path.write_text(path.read_text().replace(old, '"ProDERM",2017,0,0,0,0,36,47,0,0,21,48,'))
    rep = analyses(load_data(dst)).set_index("analysis_id")
    assert rep.loc["ivig_tis20", "estimate"] == pytest.approx((36 / 47) / (21 / 48))
    assert rep.loc["ivig_tis20", "status"] == "approximate"
    assert rep.loc["ivig_sae", "status"] == "reproduced"


def test_reanalyse_without_reconstructed_inputs(data):
    """ivig_sae_sources without the reconstructed second study = ProDERM alone: (3/52) / (2/48)."""
    r = reanalyse("ivig_sae_sources", data, exclude_provenance=("reconstructed",))
    assert r.k == 1
    assert r.estimate == pytest.approx((3 / 52) / (2 / 48))
    with pytest.raises(ValueError, match="no study is left"):
        reanalyse("aza_strength_sources", data, exclude_provenance=("reconstructed",))
    with pytest.raises(ValueError, match="not available"):
        reanalyse("ivig_disability_sources", data)
    with pytest.raises(ValueError, match="unknown option"):
        reanalyse("ivig_tis20", data, method="Peto")


def test_sensitivity_variants(data):
    table = sensitivity("mtx_sae_sources", data)
    assert list(table.columns) == ["variant", "label", "estimate", "ci_low", "ci_high", "tau2", "i2", "k", "note"]
    assert table["variant"].tolist()[0] == "revman"
    assert round(table.iloc[0]["estimate"], 2) == 1.48
    assert "reconstructed_excluded" in table["variant"].tolist()
    assert "mh_no_correction" not in table["variant"].tolist()  # no zero cells in mtx_sae
    with pytest.raises(ValueError):
        sensitivity("mtx_withdrawals_sources", data)
    # the review's own rows: no reconstructed inputs, and ISRCTN87782942 has no zero cell in #5
    own = sensitivity("ivig_withdrawals", data)
    assert "reconstructed_excluded" not in own["variant"].tolist()
    assert "mh_no_correction" in own["variant"].tolist()  # Dalakas 0/8 vs 0/7, ISRCTN 1/22 vs 0/22


def test_subgroups_are_pooled_with_the_test_for_differences(data):
    """1.4 (strength, SMD) has two subgroups pooled overall: the subgroup results pool their own rows."""
    a = analysis("ivig_strength", data)
    assert set(a.subgroups) == {"MMT (potential score 0 to 90)", "MMT-8 (potential score 0 to 150)"}
    assert a.subgroups["MMT-8 (potential score 0 to 150)"].k == 1
    assert a.subgroup_test is not None and a.subgroup_test.df == 1
    assert a.data_type == "continuous"
    assert analysis("mtx_imacs", data).subgroups == {}  # a subgroup of 3.4 (subtotals only)


def test_unknown_analysis_id(data):
    with pytest.raises(KeyError, match="known ids"):
        analysis("ivig_nothing", data)


def test_the_dataset_is_passed_not_loaded():
    """House rule: the chapter loads the Dataset once and passes it down."""
    with pytest.raises(TypeError, match="data"):
        analysis("ivig_tis20")  # type: ignore[call-arg]


def test_cross_checks_put_the_older_route_beside_the_review_data(report):
    from mytools.analyses import cross_checks

    cc = cross_checks(report).set_index("abstract_no")
    assert list(cc.index) == list(range(1, 15))
    assert set(cc["status"]) == {"reproduced"}
    assert {no: (r.sources_status, r.sources_inputs) for no, r in cc.iterrows()} == \
        {no: (s, p) for no, (_, s, p) in EXPECTED_SOURCES.items()}
    # ProDERM 37/47 vs 21/48 (reported) and the review's rows give the same RR to the last digit
    assert cc.loc[3, "sources_estimate"] == pytest.approx(cc.loc[3, "estimate"], rel=1e-12)


def test_every_reason_code_has_words(report):
    from mytools.present import wording

    table = wording.report_table(report)
    assert list(table.columns) == ["#", "analysis", "review analysis", "outcome", "measure", "published",
                                   "recomputed", "largest difference", "status", "inputs", "reason"]
    assert not table["reason"].str.contains("_").any()  # sentences, not codes
    assert set(report["status"]) <= set(wording.STATUS_TEXT)
    assert set(report["inputs_provenance"]) <= set(wording.PROVENANCE_TEXT)


def test_reanalyse_accepts_every_engine_variant(data):
    """Every key of the engine's registry (including ``reml_hksj_floor``) goes through reanalyse."""
    from mytools.engine.variants import VARIANTS, variant_options
    base = analysis("ivig_withdrawals", data).result
    with pytest.raises(ValueError, match="does not apply"):
        reanalyse("ivig_withdrawals", data, variant="smd_exact")  # an RR analysis
    for key in [k for k in VARIANTS if VARIANTS[k].applies_to != "smd"]:
        r = reanalyse("ivig_withdrawals", data, variant=key)
        assert r.k == base.k, key
        same = reanalyse("ivig_withdrawals", data, **variant_options(key))
        assert same.estimate == r.estimate and same.ci_high == r.ci_high, key
    floor = reanalyse("ivig_withdrawals", data, variant="reml_hksj_floor")
    hksj = reanalyse("ivig_withdrawals", data, variant="reml_hksj")
    assert floor.ci_high - floor.ci_low >= hksj.ci_high - hksj.ci_low - 1e-12
