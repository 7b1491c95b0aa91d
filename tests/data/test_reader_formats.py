"""One model, three formats: the same review read from .rm5, RevMan 5 CSV and a data package gives
the same study data; RevMan 5 files' own facts hold; versions are detected from column names and
text-level traps (BOM, CRLF/LF/mixed, quoted newlines, #N/A, Java exponents, HTML entities) are
handled. References: the fixture files in ../shared/fixtures/revman/ and what RevMan stored in them.
"""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mytools.data.revman import read_review

ARM_COLS = ["events_intervention", "n_intervention", "events_control", "n_control"]
CONT_COLS = ["mean_intervention", "sd_intervention", "n_intervention", "mean_control",
             "sd_control", "n_control"]


@pytest.fixture(scope="module")
def fleiss(revman_fixtures: Path) -> dict:
    return {
        "rm5": read_review(revman_fixtures / "rm5" / "Fleiss1993.rm5"),
        "csv": read_review(revman_fixtures / "revman5_csv" / "Fleiss1993_CR.csv"),
        "package": read_review(revman_fixtures / "datapackage_v1" / "Fleiss1993.zip"),
    }


def _by_study(r, key, cols):
    return r.study_rows(key).set_index("study")[cols].sort_index().astype(float)


def test_fleiss_same_study_data_in_all_three_formats(fleiss):
    base = _by_study(fleiss["rm5"], "1.1", ARM_COLS)
    assert len(base) == 7
    for fmt in ("csv", "package"):
        pd.testing.assert_frame_equal(_by_study(fleiss[fmt], "1.1", ARM_COLS), base, obj=fmt)
    base = _by_study(fleiss["rm5"], "1.2", CONT_COLS)
    assert len(base) == 5
    for fmt in ("csv", "package"):
        pd.testing.assert_frame_equal(_by_study(fleiss[fmt], "1.2", CONT_COLS), base, obj=fmt)


def test_fleiss_same_settings_and_stored_results(fleiss):
    rm5, pkg = fleiss["rm5"].analysis("1.1"), fleiss["package"].analysis("1.1")
    for key in ("data_type", "method", "measure", "model", "log_scale"):
        assert rm5[key] == pkg[key] == fleiss["csv"].analysis("1.1")[key], key
    for key in ("revman_estimate", "revman_ci_low", "revman_ci_high", "revman_q", "revman_i2",
                "revman_z", "revman_p"):
        assert abs(rm5[key] - pkg[key]) <= 5e-7 * (1 + 1e-9), key  # package: 6 decimals
    a = fleiss["rm5"].study_rows("1.1").set_index("study").sort_index()
    b = fleiss["package"].study_rows("1.1").set_index("study").sort_index()
    for col in ("revman_estimate", "revman_ci_low", "revman_ci_high", "revman_weight"):
        assert np.all(np.abs(a[col] - b[col]) <= 5e-7 * (1 + 1e-9)), col
    assert fleiss["rm5"].analysis("1.2")["measure"] == fleiss["package"].analysis("1.2")["measure"] == "SMD"


@pytest.mark.parametrize("name,n_analyses,n_rows,n_sub", [
    ("CD003188StatsDataOnly.rm5", 19, 136, 52), ("CD013437StatsDataOnly.rm5", 11, 22, 0)])
def test_rm5_data_only_files(revman_fixtures, name, n_analyses, n_rows, n_sub):
    r = read_review(revman_fixtures / "rm5" / name)
    assert (len(r.analyses), len(r.rows), len(r.subgroups)) == (n_analyses, n_rows, n_sub)
    assert r.review_id == name[:8] and r.format == "rm5"
    checked = 0
    for _, a in r.analyses.iterrows():
        rows = r.study_rows(a["analysis"])
        assert len(rows) == a["revman_studies"] or rows["revman_estimate"].isna().any()
        assert not (rows["revman_estimate"] == 0).any()  # "not estimable" 0.0s are NaN
        if a["overall"] and not math.isnan(a["revman_estimate"]):
            assert rows["revman_weight"].fillna(0).sum() == pytest.approx(100, abs=1e-9)
            for arm in ("intervention", "control"):
                assert rows[f"n_{arm}"].sum() == a[f"revman_n_{arm}"]
            checked += 1
    assert checked >= min(10, n_analyses - 2)
    if name.startswith("CD013437"):  # analysis 1.4: every study double-zero, nothing estimable
        a = r.analysis("1.4")
        assert math.isnan(a["revman_estimate"]) and math.isnan(a["revman_z"])
        assert a["revman_n_intervention"] == 637 and r.study_rows("1.4")["revman_weight"].isna().all()


def test_rm5_generic_log_hazard_ratios(revman_fixtures):
    r = read_review(revman_fixtures / "rm5" / "CD003188StatsDataOnly.rm5")
    a = r.analysis("1.1")
    assert (a["data_type"], a["measure"], a["log_scale"], a["model"]) == ("generic", "HR", True,
                                                                           "random")
    rows = r.study_rows("1.1")
    belch = rows.set_index("study_id").loc["STD-Belch-1991"]
    assert rows["line"].is_monotonic_increasing and belch.line > 500  # line of the <IV_DATA> tag
    assert (belch.giv_estimate, belch.giv_se) == (0.460784314, 0.198029509)  # ESTIMATE, SE as entered
    ok = rows["revman_estimate"].notna()
    assert np.allclose(np.exp(rows.loc[ok, "giv_estimate"]), rows.loc[ok, "revman_estimate"],
                       rtol=1e-8)
    sub = r.subgroups[r.subgroups["analysis"] == "1.3"]
    assert sub["revman_weight"].sum() == pytest.approx(100, abs=1e-9)


def test_revman5_csv_excerpt_with_subgroups(revman_fixtures):
    r = read_review(revman_fixtures / "revman5_csv" / "CD008521_rota_excerpt.csv")
    a = r.analysis("1.1")
    assert (a["data_type"], a["method"], a["measure"], a["model"]) == ("dichotomous", "IV", "OR",
                                                                       "random")
    assert a["revman_estimate"] == 0.23319192 and a["subgroup_estimates"]
    assert a["revman_subgroup_q"] == 16.64391409  # Qint: test for subgroup differences
    assert len(r.subgroups) == 3 and set(r.rows["subgroup_number"]) == {1, 2, 3}
    w = r.rows.groupby("subgroup_number")["revman_weight"].sum()
    assert w.sum() == pytest.approx(100, abs=1e-5)
    assert r.rows["n_intervention"].sum() == a["revman_n_intervention"]


# --- version detection from names, never positions --------------------------------------------


def _write_shuffled(src: Path, dest: Path, drop: tuple[str, ...] = ()) -> None:
    df = pd.read_csv(src, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    df = df.drop(columns=[c for c in drop if c in df])
    df = df[list(reversed(df.columns))]  # positions change; names do not
    df.to_csv(dest, index=False)


@pytest.mark.parametrize("drop,version", [
    ((), "2.3"),
    (("Sort studies by", "Graph label (left)", "Graph label (right)", "Graph scale",
      "Show risk of bias"), "2.2"),
])
def test_version_from_column_names_in_any_order(revman_fixtures, tmp_path, drop, version):
    src = revman_fixtures / "datapackage_v2" / "CD013776-SUP-06-dataPackage" / "CD013776-analysis-data"
    dest = tmp_path / "CD013776-analysis-data"
    dest.mkdir()
    for f in src.iterdir():
        _write_shuffled(f, dest / f.name, drop if "overall" in f.name else ())
    r, ref = read_review(dest), read_review(src)
    assert r.format == f"datapackage-{version}"
    pd.testing.assert_frame_equal(r.rows.drop(columns="file"), ref.rows.drop(columns="file"))
    cols = [c for c in ref.analyses.columns if c not in ("graph_label_left", "graph_label_right")]
    pd.testing.assert_frame_equal(r.analyses[cols], ref.analyses[cols])


def test_data_rows_version(revman_fixtures):
    v1 = read_review(revman_fixtures / "derived" / "CD008469_pub3-data-rows_from_Pairwise70.csv")
    assert v1.format == "data-rows-1"
    v2 = read_review(revman_fixtures / "datapackage_v2" / "CD014353-SUP-07-dataPackage" /
                     "CD014353-analysis-data" / "CD014353-data-rows.csv")
    assert v2.format == "data-rows-2" and (v2.analyses["settings_source"] == "none").all()


# --- text-level traps -------------------------------------------------------------------------

HEADER = ("Analysis group,Analysis number,Analysis name,Subgroup,Subgroup number,Applicability,"
          "Study,Study year,GIV Mean,GIV SE,Experimental mean,Experimental SD,Experimental cases,"
          "Experimental N,Control mean,Control SD,Control cases,Control N,O-E,Variance,Weight,Mean,"
          "CI start,CI end,Footnotes")


def test_bom_mixed_line_endings_quoted_newlines_exponents_entities(tmp_path):
    rows = [
        '1,1,"Death &amp; disability",,,SUBGROUP_AND_OVERALL,"O&rsquo;Brien&nbsp;2013",2013,,,,,'
        '3,10,,,"#N/A",10,,,100.0,6.0E-5,1.0E-6,0.1,"first line\r\nsecond line"',
        '1,2,Pain,,,SUBGROUP_AND_OVERALL,Smith 2001,#N/A,,,1.5,0.5,,20,1.0,0.5,,21,,,100,0.5,0.19,'
        '0.81,',
    ]
    text = "\ufeff" + HEADER + "\r\n" + rows[0] + "\n" + rows[1] + "\r\n"
    p = tmp_path / "X-data-rows.csv"
    p.write_bytes(text.encode("utf-8"))
    r = read_review(p)
    a = r.rows.iloc[0]
    assert (a.study, a.events_intervention, a.n_control, a.revman_weight) == (
        "O’Brien 2013", 3, 10, 100.0)
    assert math.isnan(a.events_control)  # "#N/A" in a numeric cell: missing
    assert (a.revman_estimate, a.revman_ci_low) == (6.0e-5, 1.0e-6)
    assert a.footnote == "first line\r\nsecond line"
    assert list(r.rows["line"]) == [2, 4]  # the quoted newline makes record 1 two lines long
    assert r.analyses.set_index("analysis").loc["1.1", "name"] == "Death & disability"
    assert r.analyses.set_index("analysis").loc["1.1", "name_raw"] == "Death &amp; disability"
    assert math.isnan(r.rows.iloc[1]["year"])
    assert list(r.analyses["data_type"]) == ["dichotomous", "continuous"]
