"""RevMan 5 files (.rm5, CSV export) through mytools.data.revman, re-pooled with the engine.

References: the numbers RevMan 5 itself stored in ../shared/fixtures/revman/ (Fleiss1993.rm5,
full double precision; Fleiss1993_CR.csv, printed to 8 decimal places). Security and error tests
use tiny files crafted in tmp_path.
"""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from mytools.data import DataError
from mytools.data.revman import read_review
from mytools.data.revman.rm5 import unescape_id
from mytools.reproduce import pool_analysis

FLEISS_LABELS = ["MRC-1", "CDP", "MRC-2", "GASP", "PARIS", "AMIS", "ISIS-2"]
MENTAL_LABELS = ["Davis", "Florell", "Gruen", "Hart", "Wilson"]
REL = 1e-6  # the project's bar for numbers RevMan stored with 8+ significant digits
CSV_HALF_UNIT = 0.5e-8  # RevMan's CSV export prints 8 decimal places


@pytest.fixture(scope="module")
def rm5(revman_fixtures: Path):
    return read_review(revman_fixtures / "Fleiss1993.rm5")


@pytest.fixture(scope="module")
def csv_export(revman_fixtures: Path):
    return read_review(revman_fixtures / "Fleiss1993_CR.csv")


def _close(ours: float, stored: float, *, csv: bool) -> bool:
    """Agreement with a stored RevMan number: relative error <= 1e-6, or, for the CSV export,
    within half a unit of its 8th decimal (numbers like 0.00101033 hold fewer than 8 digits)."""
    tol = max(REL * abs(stored), CSV_HALF_UNIT * (1 + 1e-9) if csv else 0.0)
    return abs(ours - stored) <= tol


def _compare_outcome(review, analysis_id: str, *, csv: bool) -> float:
    """Re-pool one outcome with the engine; compare with every number RevMan stored.
    Returns the largest relative error seen (for the report)."""
    spec = review.analysis(analysis_id)
    pooled = pool_analysis(review, analysis_id)
    res = pooled.result
    rows = review.study_rows(analysis_id)
    worst = 0.0
    pairs = {
        "revman_estimate": res["estimate"], "revman_ci_low": res["ci_low"],
        "revman_ci_high": res["ci_high"], "revman_q": res["q"], "revman_p_q": res["p_q"],
        "revman_i2": res["i2"],
        "revman_z": abs(res["z"]),  # RevMan stores |Z|
        "revman_p": res["p"], "revman_tau2": res["tau2"],
    }
    for key, ours in pairs.items():
        stored = float(spec[key])
        assert not math.isnan(stored), (analysis_id, key)
        assert _close(ours, stored, csv=csv), (analysis_id, key, ours, stored)
        if stored:
            worst = max(worst, abs(ours / stored - 1))
    assert res["df"] == spec["revman_df"] and res["k"] == spec["revman_studies"]
    studies = pooled.studies.assign(se=np.sqrt(pooled.studies["v"]))
    assert list(pooled.rows["study"]) == list(rows["study"])
    for ours_col, col in (("estimate", "revman_estimate"), ("ci_low", "revman_ci_low"),
                          ("ci_high", "revman_ci_high"), ("se", "revman_se"),
                          ("weight_percent", "revman_weight")):
        for ours, stored, lab in zip(studies[ours_col], rows[col], rows["study"]):
            assert _close(float(ours), float(stored), csv=csv), (analysis_id, lab, col, ours, stored)
            worst = max(worst, abs(float(ours) / float(stored) - 1))
    return worst


# --- both fixture files parse ----------------------------------------------------------------


def test_rm5_outcomes_are_read_as_specs(rm5):
    o = rm5.analyses.set_index("analysis")
    assert list(o.index) == ["1.1", "1.2"]
    assert rm5.title == "Examples from Fleiss 1993"
    a = o.loc["1.1"]
    assert (a.data_type, a.measure, a.method, a.model) == ("dichotomous", "OR", "MH", "fixed")
    assert a["name"] == "Aspirin for Preventing Death after Myocardial Infarction"
    assert a.group_name == "Examples from Fleiss (1993)"
    assert (a.label_intervention, a.label_control) == ("Aspirin", "Control")
    assert (a.graph_label_left, a.graph_label_right) == ("Favours experimental", "Favours control")
    assert (a.revman_events_intervention, a.revman_n_intervention, a.revman_events_control,
            a.revman_n_control, a.revman_studies, a.revman_df) == (2128, 14186, 2286, 13817, 7, 6)
    b = o.loc["1.2"]
    assert (b.data_type, b.measure, b.method, b.model) == ("continuous", "SMD", "IV", "fixed")
    assert (b.revman_n_intervention, b.revman_n_control, b.revman_studies) == (106, 126, 5)
    assert rm5.format == "rm5" and rm5.decimals is None


def test_rm5_studies_unescape_ids_and_take_names_and_years(rm5):
    s = rm5.study_rows("1.1")
    assert list(s["study"]) == FLEISS_LABELS
    assert "STD-ISIS-2" in set(s["study_id"])  # stored as STD-ISIS_x002d_2
    isis = s.set_index("study_id").loc["STD-ISIS-2"]
    assert (isis.events_intervention, isis.n_intervention, isis.events_control, isis.n_control,
            isis.year) == (1570, 8587, 1720, 8600, 1988)
    assert isis.revman_estimate == 0.8949693601254097 and isis.revman_weight == 72.87984024392564
    cont = rm5.study_rows("1.2").set_index("study")
    assert list(cont.index) == MENTAL_LABELS
    assert tuple(cont.loc["Gruen", ["mean_intervention", "sd_intervention", "n_intervention",
                                    "mean_control", "sd_control", "n_control"]]) == (
        22.5, 3.44, 35, 24.9, 10.65, 35)


def test_unescape_id():
    assert unescape_id("STD-MRC_x002d_1") == "STD-MRC-1"
    assert unescape_id("STD-A_x0020_B_x00e9_") == "STD-A Bé"
    assert unescape_id("plain") == "plain"


def test_rm5_blank_smd_totals_are_missing_and_said_so(rm5):
    o = rm5.analysis("1.2")
    for key in ("revman_estimate", "revman_ci_low", "revman_ci_high", "revman_q", "revman_p_q",
                "revman_i2", "revman_z", "revman_p", "revman_tau2"):
        assert math.isnan(o[key]), key
    per_study = rm5.study_rows("1.2")[["revman_estimate", "revman_ci_low", "revman_ci_high",
                                       "revman_se", "revman_weight"]]
    assert per_study.isna().all().all()
    assert any("CMP-001.02" in n and "no value for revman_estimate" in n for n in rm5.notes)
    # no subgroups: RevMan's 0.0 placeholders for the subgroup test are not numbers
    assert math.isnan(rm5.analysis("1.1")["revman_subgroup_q"])


def test_study_rows_are_arm_level(rm5):
    rows = rm5.rows
    mrc = rows[(rows["analysis"] == "1.1") & (rows["study"] == "MRC-1")].iloc[0]
    assert (mrc.n_intervention, mrc.n_control) == (615, 624)
    assert (mrc.events_intervention, mrc.events_control) == (49, 67)
    assert len(rows) == 7 + 5
    # not applicable to the data type: NaN, whatever RevMan wrote (O_E="0.0" placeholders)
    assert rows.loc[rows["analysis"] == "1.1", ["mean_intervention", "o_e"]].isna().all().all()


def test_csv_outcomes_and_studies_are_read(csv_export):
    o = csv_export.analyses.set_index("analysis")
    assert (o.loc["1.1", "measure"], o.loc["1.1", "method"]) == ("OR", "MH")
    # the CSV was exported with outcome 2 as a mean difference (the .rm5 holds SMD, see below)
    assert (o.loc["1.2", "measure"], o.loc["1.2", "method"]) == ("MD", "IV")
    assert list(csv_export.study_rows("1.1")["study"]) == FLEISS_LABELS
    assert list(csv_export.study_rows("1.2")["study"]) == MENTAL_LABELS
    # the export writes 0 for means/SDs of dichotomous rows and for events of continuous rows
    assert csv_export.study_rows("1.1")["mean_intervention"].isna().all()
    assert csv_export.study_rows("1.2")["events_intervention"].isna().all()
    assert csv_export.format == "revman5-csv" and csv_export.decimals == 8


# --- re-pooling reproduces RevMan's stored numbers ------------------------------------------


def test_rm5_mh_odds_ratio_reproduces_revman(rm5):
    _compare_outcome(rm5, "1.1", csv=False)


def test_rm5_stored_numbers_are_matched_to_far_better_than_the_bar(rm5):
    # The .rm5 holds doubles: estimate, CI, Q, I2, Z and per-study numbers agree to ~1e-15.
    # RevMan's chi-square P value (P_CHI2 0.1269422521561745) differs from the exact
    # chi2(6) upper tail of Q (0.12694217790...) by 5.8e-7 relative: RevMan approximates it.
    res = pool_analysis(rm5, "1.1").result
    o = rm5.analysis("1.1")
    for key, ours in (("revman_estimate", res["estimate"]), ("revman_ci_low", res["ci_low"]),
                      ("revman_q", res["q"]), ("revman_i2", res["i2"]), ("revman_z", abs(res["z"])),
                      ("revman_p", res["p"])):
        assert ours == pytest.approx(o[key], rel=1e-9), key
    assert res["p_q"] == pytest.approx(o["revman_p_q"], rel=1e-6)
    assert res["p_q"] != pytest.approx(o["revman_p_q"], rel=1e-8)


@pytest.mark.parametrize("analysis_id", ["1.1", "1.2"])
def test_csv_export_reproduces_revman(csv_export, analysis_id):
    _compare_outcome(csv_export, analysis_id, csv=True)


def test_rm5_smd_outcome_can_be_pooled_although_revman_stored_no_result(rm5):
    pooled = pool_analysis(rm5, "1.2")
    assert pooled.settings["data_type"] == "continuous" and pooled.settings["measure"] == "SMD"
    assert pooled.result["k"] == 5 and pooled.result["pooling"] == "ok"


def test_rm5_and_csv_agree(rm5, csv_export):
    for aid in ("1.1", "1.2"):
        a, b = rm5.study_rows(aid), csv_export.study_rows(aid)
        assert list(a["study"]) == list(b["study"])
        assert list(a["year"]) == list(b["year"]) and list(a["order"]) == list(b["order"])
        for col in ("events_intervention", "n_intervention", "events_control", "n_control",
                    "mean_intervention", "sd_intervention", "mean_control", "sd_control"):
            assert a[col].astype("Float64").equals(b[col].astype("Float64")), (aid, col)
    # stored per-study results of 1.1: the CSV holds RevMan's doubles rounded to 8 decimals
    a, b = rm5.study_rows("1.1"), csv_export.study_rows("1.1")
    for col in ("revman_estimate", "revman_ci_low", "revman_ci_high", "revman_se", "revman_weight"):
        assert np.all(np.abs(a[col] - b[col]) <= CSV_HALF_UNIT * (1 + 1e-9)), col
    oa, ob = rm5.analysis("1.1"), csv_export.analysis("1.1")
    for key in ("revman_estimate", "revman_ci_low", "revman_ci_high", "revman_q", "revman_p_q",
                "revman_i2", "revman_z", "revman_p", "revman_tau2"):
        assert abs(oa[key] - ob[key]) <= CSV_HALF_UNIT * (1 + 1e-9), key
    for key in ("revman_events_intervention", "revman_n_intervention", "revman_events_control",
                "revman_n_control", "revman_studies", "revman_df"):
        assert oa[key] == ob[key], key
    # same spec apart from outcome 2's measure (SMD in the .rm5, MD in the CSV export)
    for key in ("name", "group_name", "label_intervention", "label_control",
                "graph_label_left", "graph_label_right", "model"):
        assert rm5.analysis("1.2")[key] == csv_export.analysis("1.2")[key], key
    assert (rm5.analysis("1.2")["measure"], csv_export.analysis("1.2")["measure"]) == ("SMD", "MD")


def test_read_review_dispatches_on_content(revman_fixtures, tmp_path):
    assert read_review(revman_fixtures / "Fleiss1993.rm5").format == "rm5"
    assert read_review(revman_fixtures / "Fleiss1993_CR.csv").format == "revman5-csv"
    junk = tmp_path / "x.txt"
    junk.write_text("hello,world\n1,2\n")
    with pytest.raises(DataError, match=r"x\.txt, line 1 .*expected a data package .*unrecognised"):
        read_review(junk)
    with pytest.raises(DataError, match=r"absent\.rm5.*expected an existing file"):
        read_review(tmp_path / "absent.rm5")
