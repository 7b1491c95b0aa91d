"""Chapter tables: built from data/ and the review's published numbers, never invented."""
from __future__ import annotations

from types import SimpleNamespace

import pandas as pd
import pytest

from mytools.present import analysis_values, evidence_map, sof, tables


def test_fmt_ci_cochrane_style_and_unknown():
    assert tables.fmt_ci(1.8, 1.26, 2.56) == "1.80 (1.26 to 2.56)"
    assert tables.fmt_ci(-8.2, -11.91, -4.49) == "\u22128.20 (\u221211.91 to \u22124.49)"
    assert tables.fmt_ci(None, None, None) == "not available"


def test_outcome_groups_cover_the_14_abstract_results():
    """The registry (data/analyses.csv) carries the outcome group and SoF wording of every abstract
    result (it replaced present's OUTCOME_GROUPS / SOF_WORDING dicts)."""
    from mytools.data import load_data

    reg = load_data().analyses.set_index("analysis_id")
    ids = ["ivig_disability", "ivig_strength", "ivig_tis20", "ivig_cdasi", "ivig_sae",
           "ivig_withdrawals", "aza_strength", "aza_steroid_dose", "mtx_function", "mtx_strength",
           "mtx_imacs", "mtx_printo", "mtx_sae", "mtx_withdrawals"]
    groups = [reg.loc[i, "outcome_group"] for i in ids]
    assert groups[0] == groups[8] == "Disability / function"
    assert groups[2] == groups[10] == groups[11] == "Composite response"
    assert reg.loc[ids, ["sof_outcome", "sof_statement_outcome", "intervention"]].notna().all().all()
    with pytest.raises(ValueError, match="no SoF wording"):
        sof.from_result(SimpleNamespace(id="x", spec={"measure": "RR"}, published={}, inputs=None))


def _ar(status="reproduced", result=True):
    res = SimpleNamespace(estimate=1.7994, ci_low=1.2635, ci_high=2.5625, p=0.0011, z=3.26, i2=0.0,
                          tau2=0.0, k=1, measure="RR",
                          studies=pd.DataFrame({"label": ["A"], "n_intervention": [47], "n_control": [48]}))
    return SimpleNamespace(
        id="ivig_tis20", spec={"abstract_no": 3, "outcome": "TIS", "measure": "RR",
                               "timepoint": "week 16"},
        result=res if result else None, status=status, reason="Reproduced to 2 decimals.",
        published={"estimate": 1.80, "ci_low": 1.26, "ci_high": 2.56, "measure": "RR", "k": 1,
                   "participants": 95, "certainty": "moderate"},
        inputs=pd.DataFrame({"label": ["A"], "events_control": [21], "n_control": [48],
                             "provenance": ["reported"]}))


def test_glue_values_keys_follow_the_plan_scheme():
    vals = analysis_values.analysis_values(_ar())
    for field in ("est", "lo", "hi", "pub_est", "pub_lo", "pub_hi", "k", "n", "status",
                  "timepoint", "acr", "cr", "cr_lo", "cr_hi"):
        assert f"ivig_tis20_{field}" in vals
    assert vals["ivig_tis20_pub_est"] == 1.80 and vals["ivig_tis20_n"] == 95
    # Handbook ch. 14 on the published RR: 21/48 -> 438; x 1.80 -> 788; x 1.26 -> 551; capped 1000
    assert (vals["ivig_tis20_acr"], vals["ivig_tis20_cr"], vals["ivig_tis20_cr_lo"],
            vals["ivig_tis20_cr_hi"]) == (438, 788, 551, 1000)


def test_not_reproducible_result_glues_no_recomputed_numbers():
    vals = analysis_values.analysis_values(_ar(status="not_reproducible", result=False))
    assert "ivig_tis20_est" not in vals and "ivig_tis20_pub_est" in vals
    assert vals["ivig_tis20_status"] == "not reproducible"


def test_comparison_table_says_not_recomputable():
    df = tables.comparison_table([_ar(), _ar(status="not_reproducible", result=False)])
    assert list(df["Recomputed (95% CI)"]) == ["1.80 (1.26 to 2.56)", "not recomputable"]
    assert list(df["Status"]) == ["reproduced", "not reproducible"]
    assert "Why" not in df and "Why" in tables.comparison_table([_ar()], reasons=True)


def test_sof_table_flags_capped_risk_in_html():
    df = sof.sof_table([sof.from_registry(_ar(), outcome="TIS", statement_outcome="TIS",
                                          intervention="IVIg")])
    assert df.loc[0, "Risk with IVIg (95% CI)"] == "788 per 1000 (551 to 1000*)"
    assert df.loc[0, "Risk with placebo"] == "438 per 1000"
    assert df.loc[0, "Difference (95% CI)"] == "350 more per 1000 (113 more to 562 more*)"
    assert df.attrs["capped"]
    html = tables.to_html(df)
    assert "cannot exceed 1000 per 1000" in html and "1120 per 1000" in html


def test_compact_table_marks_and_explains_capped_limits():
    """The bottom line's compact table marks a capped limit too (issue #21)."""
    s = sof.from_registry(_ar(), outcome="TIS", statement_outcome="TIS", intervention="IVIg")
    df = sof.compact_table([s])
    assert "562 more*" in df.loc[0, "What the trials show (95% CI)"]
    assert df.attrs["capped"] and "1120 per 1000" in tables.to_html(df)


def test_sensitivity_glue_keys():
    frame = pd.DataFrame({"variant": ["revman", "reconstructed_excluded"],
                          "estimate": [1.91, float("nan")], "ci_low": [0.5, float("nan")],
                          "ci_high": [7.3, float("nan")], "tau2": [0.0, float("nan")],
                          "i2": [0.0, float("nan")], "k": [2, 0], "note": ["", "not estimable"]})
    vals = analysis_values.sensitivity_values("ivig_sae", frame)
    assert set(vals) == {"ivig_sae_sens_revman_est", "ivig_sae_sens_revman_lo", "ivig_sae_sens_revman_hi"}
    table = tables.sensitivity_table(frame)
    assert list(table["Estimate (95% CI)"]) == ["1.91 (0.50 to 7.30)", "not estimable"]


def test_sensitivity_table_prints_na_for_one_study():
    """k = 1: there is no between-study variance, so tau² and I² are 'n/a', never 0."""
    frame = pd.DataFrame({"variant": ["revman", "random_dl"],
                          "estimate": [1.8, 1.8], "ci_low": [1.26, 1.26], "ci_high": [2.56, 2.56],
                          "tau2": [0.0, 0.0], "i2": [0.0, 0.0], "k": [1, 1], "note": ["", ""]})
    table = tables.sensitivity_table(frame)
    assert set(table["Tau\u00b2"]) == {"n/a"} and set(table["I\u00b2"]) == {"n/a"}
    two = frame.assign(k=[2, 2], i2=[40.0, 40.0])
    assert list(tables.sensitivity_table(two)["I\u00b2"]) == ["40%", "40%"]


def test_included_studies_table_from_data():
    """Every study the data marks as included in the 2025 review appears; unknowns say so."""
    from mytools.data import load_data

    data = load_data()
    df = tables.included_studies_table(data)
    rs = data.review_studies
    expected = rs[(rs.review_id == "cochrane2025") & rs.inclusion.isin(["included", "unclear"])]
    assert len(df) == len(expected)
    assert "Aggarwal 2022 (ProDERM)" in set(df["Study"])
    assert not df.isna().any().any(), "unknown values are written out, never left blank"


def test_evidence_frame_has_the_14_results_with_published_participants(shared):
    """Participants and certainty as in the 2025 abstract (evidence README table)."""
    from mytools.analyses import analyses
    from mytools.data import load_data

    data = load_data()
    df = evidence_map.evidence_frame_from_registry(data.published_results, analyses(data),
                                                   data.analyses).set_index("abstract_no")
    assert len(df) == 14
    assert int(df.loc[1, "participants"]) == 136 and df.loc[1, "certainty"] == "moderate"
    assert int(df.loc[12, "participants"]) == 93 and df.loc[12, "certainty"] == "low"
    # from the review's own data rows every result is recomputable (before: #1 was not)
    assert df.loc[1, "recomputable"] and df.loc[3, "recomputable"]


def test_a_long_wide_table_scrolls_in_its_box_unless_asked_to_stack():
    from mytools.present.tables import STACK_ROWS, to_html

    df = pd.DataFrame({c: [f"{c} {i}" for i in range(STACK_ROWS + 1)] for c in "ABCDE"})
    assert "mytools-sticky" in to_html(df) and "mytools-stack" not in to_html(df)
    stacked = to_html(df, stack=True)
    assert "mytools-stack" in stacked and "mytools-sticky" not in stacked
