"""mytools.data.revman.read_review on real data packages and data-rows files.

References: the files' own facts, stored by RevMan (../shared/fixtures/revman/, SOURCE-formats.md):
study weights sum to 100 per pooled analysis (or per subgroup when only subtotals are pooled),
study N's sum to the analysis's N totals, v1's zero-filled cells are "not applicable".
"""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mytools.data.revman import ReviewData, read_review
from mytools.data.revman.model import ANALYSIS_COLUMNS, ROW_COLUMNS, SUBGROUP_COLUMNS

PACKAGES = {  # path under fixtures/revman -> (format, review id, analyses, rows, subgroups)
    "datapackage_v1/Fleiss1993.zip": ("datapackage-1", None, 2, 12, 0),
    "datapackage_v1/Fleiss1993_extracted": ("datapackage-1", None, 2, 12, 0),
    "datapackage_v1/Fleiss1993_extracted/921923100913455418-analysis-data":
        ("datapackage-1", None, 2, 12, 0),
    "datapackage_v1/CD014811-dataPackage": ("datapackage-1", "CD014811", 10, 33, 0),
    "datapackage_v2/CD011506-SUP-06-dataPackage": ("datapackage-2.2", "CD011506", 13, 49, 0),
    "datapackage_v2/CD013776-SUP-06-dataPackage": ("datapackage-2.3", "CD013776", 16, 88, 8),
    "datapackage_v2/CD014353-SUP-07-dataPackage/CD014353-analysis-data":
        ("datapackage-2.3", "CD014353", 28, 66, 17),
    "derived/CD008469_pub3-data-rows_from_Pairwise70.csv": ("data-rows-1", "CD008469", 14, 50, 0),
}
WEIGHT_TOL = 1e-3  # weights are printed to 6 decimals (or full precision): sums within 1e-3


@pytest.fixture(scope="module")
def packages(revman_fixtures: Path) -> dict[str, ReviewData]:
    return {k: read_review(revman_fixtures / k) for k in PACKAGES}


@pytest.fixture(scope="module")
def pairwise70(shared: Path) -> dict[str, ReviewData]:
    folder = shared / "fixtures" / "pairwise70-sample"
    files = sorted(folder.glob("*-data-rows.csv"))
    assert len(files) == 40
    return {f.name: read_review(f) for f in files}


@pytest.fixture(scope="module")
def cd015855(shared: Path) -> ReviewData:
    return read_review(shared / "evidence" / "cochrane2025-review-data" / "CD015855-data-rows.csv")


def _all(packages, pairwise70, cd015855):
    return [*packages.values(), *pairwise70.values(), cd015855]


@pytest.mark.parametrize("key", PACKAGES)
def test_format_id_and_sizes(packages, key):
    r = packages[key]
    fmt, rid, n_analyses, n_rows, n_sub = PACKAGES[key]
    assert (r.format, r.review_id) == (fmt, rid)
    assert r.analyses["analysis"].nunique() == len(r.analyses)
    if key.startswith("derived"):  # bare rows: only analyses that have rows are known
        n_analyses = r.rows["analysis"].nunique()
    assert (len(r.analyses), len(r.rows), len(r.subgroups)) == (n_analyses, n_rows, n_sub)
    assert list(r.analyses.columns[: len(ANALYSIS_COLUMNS)]) == list(ANALYSIS_COLUMNS)
    assert list(r.rows.columns[: len(ROW_COLUMNS)]) == list(ROW_COLUMNS)
    assert list(r.subgroups.columns[: len(SUBGROUP_COLUMNS)]) == list(SUBGROUP_COLUMNS)


def test_a_settings_or_subgroups_file_reads_its_package(revman_fixtures, packages):
    folder = revman_fixtures / "datapackage_v2" / "CD013776-SUP-06-dataPackage" / "CD013776-analysis-data"
    ref = packages["datapackage_v2/CD013776-SUP-06-dataPackage"]
    for name in ("CD013776-overall-estimates-and-settings.csv", "CD013776-subgroup-estimates.csv"):
        r = read_review(folder / name)
        assert r.format == "datapackage-2.3"
        pd.testing.assert_frame_equal(r.rows, ref.rows)


def test_decimals_follow_the_version(packages):
    assert packages["datapackage_v1/CD014811-dataPackage"].decimals == 6
    assert packages["datapackage_v2/CD011506-SUP-06-dataPackage"].decimals == 6
    assert packages["datapackage_v2/CD013776-SUP-06-dataPackage"].decimals is None


def test_outer_zip_equals_extracted_folder(packages):
    a = packages["datapackage_v1/Fleiss1993.zip"]
    b = packages["datapackage_v1/Fleiss1993_extracted"]
    pd.testing.assert_frame_equal(a.analyses, b.analyses)
    pd.testing.assert_frame_equal(a.rows.drop(columns="file"), b.rows.drop(columns="file"))
    assert a.rows["file"].iloc[0].endswith(
        "Fleiss1993.zip!Fleiss1993/921923100913455418-files/921923100913455418-data.zip!"
        "921923100913455418-analysis-data/921923100913455418-data-rows.csv")


def test_settings_of_real_packages(packages):
    a = packages["datapackage_v2/CD014353-SUP-07-dataPackage/CD014353-analysis-data"].analyses
    a = a.set_index("analysis")
    assert set(a["tau2_method"]) == {"REML"} and set(a["ci_method"]) == {"wald", "hksj"}
    assert set(a["measure"]) == {"MD", "RR"} and set(a["model"]) == {"random"}
    hksj = a[a["ci_method"] == "hksj"]
    assert hksj["revman_z"].isna().all() and hksj["revman_t"].notna().any()
    b = packages["datapackage_v2/CD013776-SUP-06-dataPackage"].analyses.set_index("analysis")
    giv = b[b["data_type"] == "generic"]
    assert set(giv["measure"]) == {"HR"} and giv["log_scale"].all()
    assert (b["ci_level"] == 0.95).all() and (b["tau2_method"] == "DL").all()
    assert not b["overall"].all()  # some analyses have overall estimates switched off
    f = packages["datapackage_v1/Fleiss1993.zip"].analyses.set_index("analysis")
    assert tuple(f.loc["1.1", ["data_type", "method", "measure", "model"]]) == (
        "dichotomous", "MH", "OR", "fixed")
    assert tuple(f.loc["1.2", ["data_type", "method", "measure", "measure_label"]]) == (
        "continuous", "IV", "SMD", "Standardized Mean Difference")
    assert f.loc["1.1", "tau2_method"] is None and f.loc["1.1", "ci_method"] == "wald"
    assert (f["settings_source"] == "file").all()


def test_v1_zero_fill_is_not_applicable_but_real_zeros_stay(packages):
    f = packages["datapackage_v1/Fleiss1993.zip"]
    dich, cont = f.study_rows("1.1"), f.study_rows("1.2")
    assert dich[["mean_intervention", "sd_intervention", "giv_estimate", "o_e"]].isna().all().all()
    assert cont[["events_intervention", "events_control", "giv_se", "variance"]].isna().all().all()
    assert dich["events_intervention"].notna().all() and cont["sd_control"].notna().all()
    zero = packages["datapackage_v2/CD014353-SUP-07-dataPackage/CD014353-analysis-data"]
    r = zero.study_rows("1.1")  # double-zero study: the zeros are real counts
    assert (r["events_intervention"] == 0).all() and (r["events_control"] == 0).all()


def _pooled_weight_sums(r: ReviewData) -> list[tuple[str, str, float]]:
    """(analysis, where, weight sum) for every pooled analysis/subgroup with weights."""
    out = []
    for key, rows in r.rows.groupby("analysis", sort=False):
        w = rows["revman_weight"].fillna(0)
        if w.sum() == 0:
            continue  # nothing pooled (estimates switched off, all studies non-estimable)
        total = w.sum()
        if abs(total - 100) <= WEIGHT_TOL:
            out.append((key, "analysis", total))
            continue
        for sg, part in rows.groupby("subgroup_number"):  # subtotals only
            s = part["revman_weight"].fillna(0).sum()
            if s:
                out.append((key, f"subgroup {sg}", s))
    return out


def test_weights_sum_to_100_per_analysis_or_subgroup(packages, pairwise70, cd015855):
    bad, n = [], 0
    for r in _all(packages, pairwise70, cd015855):
        for key, where, total in _pooled_weight_sums(r):
            n += 1
            if abs(total - 100) > WEIGHT_TOL:
                bad.append((r.source, key, where, total))
    assert n > 1200
    assert not bad, bad[:10]


def test_study_n_totals_equal_the_overall_n(packages):
    checked = 0
    for r in packages.values():
        if r.analyses["settings_source"].eq("none").all():
            continue
        for _, a in r.analyses.iterrows():
            rows = r.study_rows(a["analysis"])
            if not a["overall"] or rows.empty:
                continue
            for arm in ("intervention", "control"):
                stored = a[f"revman_n_{arm}"]
                if not math.isnan(stored) and stored > 0:
                    assert rows[f"n_{arm}"].sum() == stored, (r.source, a["analysis"], arm)
                    checked += 1
                ev = a[f"revman_events_{arm}"]
                if a["data_type"] == "dichotomous" and not math.isnan(ev):
                    assert rows[f"events_{arm}"].sum() == ev, (r.source, a["analysis"], arm)
    assert checked >= 100


def test_analysis_without_rows_is_kept(packages):
    for r in packages.values():
        assert set(r.rows["analysis"]) <= set(r.analyses["analysis"])


def test_rows_point_to_their_file_and_line(packages):
    r = packages["datapackage_v2/CD013776-SUP-06-dataPackage"]
    first = r.rows.iloc[0]
    assert first["file"].endswith("CD013776-data-rows.csv") and first["line"] == 2
    assert "Drăgoescu 2017" in set(r.rows["study"]) and "O’Brien 2013" in set(r.rows["study"])
    assert r.rows["line"].is_monotonic_increasing


def test_subgroups_of_v2_rows_link_to_the_subgroup_file(packages):
    r = packages["datapackage_v2/CD014353-SUP-07-dataPackage/CD014353-analysis-data"]
    keys = set(zip(r.subgroups["analysis"], r.subgroups["subgroup_number"]))
    with_sub = r.rows[r.rows["subgroup_number"] > 0]
    assert len(with_sub) and set(zip(with_sub["analysis"], with_sub["subgroup_number"])) <= keys


# --- bare data rows: the data-type rule ------------------------------------------------------


def test_data_type_rule_decides_every_pairwise70_analysis(pairwise70, cd015855):
    undecided = [(r.source, a) for r in [*pairwise70.values(), cd015855]
                 for a in r.analyses.loc[r.analyses["data_type"].isna(), "analysis"]]
    assert not undecided
    total = sum(len(r.analyses) for r in pairwise70.values())
    assert total == 1303
    for r in [*pairwise70.values(), cd015855]:
        assert r.format == "data-rows-2" and (r.analyses["settings_source"] == "none").all()
        assert r.analyses[["method", "measure", "model"]].isna().all().all()


def _binary_candidates(rows: pd.DataFrame) -> list[np.ndarray]:
    """RR, OR, RD and Peto OR of each row (0.5 added to all cells of a zero-cell study)."""
    a, n1, c, n2 = (rows[k].to_numpy(float) for k in ("events_intervention", "n_intervention",
                                                      "events_control", "n_control"))
    z = (a == 0) | (c == 0) | (a == n1) | (c == n2)
    a2, b2, c2, d2 = (np.where(z, x + 0.5, x) for x in (a, n1 - a, c, n2 - c))
    with np.errstate(divide="ignore", invalid="ignore"):
        e = n1 * (a + c) / (n1 + n2)
        v = n1 * n2 * (a + c) * (n1 + n2 - a - c) / ((n1 + n2) ** 2 * (n1 + n2 - 1))
        rr, odds = (a2 / (a2 + b2)) / (c2 / (c2 + d2)), a2 * d2 / (b2 * c2)
        return [rr, odds, a / n1 - c / n2, np.exp((a - e) / v), 1 / rr, 1 / odds]


def test_inferred_dichotomous_rows_match_a_binary_measure(pairwise70, cd015855):
    """RevMan's per-study estimate of an inferred-dichotomous row is the RR, OR, RD or Peto OR of
    its counts (or of the swapped arms) in >= 80% of every analysis's estimable rows; 650+ such
    analyses, all but two with every row matching. The two (CD003594 3.2, CD010861 1.7) hold
    studies in which every participant of both arms had the event: RevMan shows RR = 1 there, not
    the 0.5-corrected ratio (a rule for the engine, issue 14, not for the reader)."""
    n, partial = 0, []
    for r in [*pairwise70.values(), cd015855]:
        dt = r.rows["analysis"].map(r.analyses.set_index("analysis")["data_type"])
        dich = r.rows[(dt == "dichotomous") & r.rows["revman_estimate"].notna()]
        for key, rows in dich.groupby("analysis"):
            est = rows["revman_estimate"].to_numpy()
            hit = np.zeros(len(rows), bool)
            for cand in _binary_candidates(rows):
                hit |= np.isclose(cand, est, rtol=2e-5, atol=2e-6)
            n += 1
            assert hit.mean() >= 0.8, (r.source, key)
            if not hit.all():
                partial.append((Path(r.source).name[:8], key))
    assert n > 650 and len(partial) <= 2, partial


def test_inferred_types_agree_with_revmans_per_study_numbers(pairwise70):
    """Generic rows: RevMan shows GIV Mean (or its exp); continuous rows: Mean = mean difference
    or an SMD (sign agrees)."""
    for r in pairwise70.values():
        dt = r.rows["analysis"].map(r.analyses.set_index("analysis")["data_type"])
        gen = r.rows[(dt == "generic") & r.rows["revman_estimate"].notna()]
        hit = (np.isclose(gen["giv_estimate"], gen["revman_estimate"], atol=2e-6, rtol=1e-4)
               | np.isclose(np.exp(gen["giv_estimate"]), gen["revman_estimate"], atol=2e-6,
                            rtol=1e-4))
        assert len(gen) == 0 or hit.mean() > 0.95, r.source
        cont = r.rows[(dt == "continuous") & r.rows["revman_estimate"].notna()]
        md = cont["mean_intervention"] - cont["mean_control"]
        agree = (np.isclose(md, cont["revman_estimate"], atol=2e-6)
                 | (np.sign(md) == np.sign(cont["revman_estimate"])) | (md == 0))
        assert len(cont) == 0 or agree.mean() > 0.9, r.source


def test_cd015855_rows(cd015855):
    r = cd015855
    assert (len(r.analyses), len(r.rows), r.review_id) == (51, 71, "CD015855")
    a = r.analyses.set_index("analysis")["data_type"]
    assert a["1.2"] == "continuous" and a["1.7"] == "dichotomous" and a["6.1"] == "dichotomous"
    d = r.study_rows("1.8").set_index("study")
    assert (d.loc["Dalakas 1993", ["events_intervention", "n_intervention", "events_control",
                                   "n_control"]] == [0, 8, 0, 7]).all()
    cont = r.study_rows("1.2")
    assert cont[["giv_se", "variance", "events_intervention"]].isna().all().all()
    assert set(cont["subgroup_number"]) == {1, 2, 3}


def test_peto_rows_are_o_e(packages):
    r = packages["derived/CD008469_pub3-data-rows_from_Pairwise70.csv"]
    a = r.analyses.set_index("analysis")
    assert {k for k in a.index if a.loc[k, "data_type"] == "o_e"} == {"1.1", "1.6", "2.1", "2.4"}
    rows = r.study_rows("1.1")
    assert rows["o_e"].notna().all() and rows["variance"].notna().all()
    est = np.exp(rows["o_e"] / rows["variance"])
    assert np.allclose(est, rows["revman_estimate"], rtol=1e-3, atol=1e-5)
    assert any("55 > Control N 9" in n for n in r.notes)  # the review's own typo, kept as a note


def test_every_file_of_the_pairwise70_sample_is_read(shared):
    """Each data-rows file of the sample reads into rows (its speed is measured in benchmarks/, not here)."""
    files = sorted((shared / "fixtures" / "pairwise70-sample").glob("*-data-rows.csv"))
    assert len(files) >= 10
    for f in files:
        assert len(read_review(f).rows) > 0, f.name
