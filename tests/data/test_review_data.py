"""The review's own data rows in data/: unchanged from the shared copy, read through the data layer,
registered analysis by analysis with settings that RevMan's own per-study numbers confirm, study
labels mapped (unidentified stays unidentified), and corrupted copies refused with file, line and
column named. References: the shared copy of the rows and their SOURCE.md, RevMan's own per-study
Mean / CI / Weight columns, the 2025 abstract."""
from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mytools.analyses import analysis, study_check
from mytools.data import DATA_DIR, DataError, load_data
from mytools.engine.pooling import pool_binary, pool_continuous

ROWS = DATA_DIR / "CD015855-data-rows.csv"


@pytest.fixture(scope="module")
def data():
    return load_data()


@pytest.fixture()
def copy(tmp_path: Path) -> Path:
    dst = tmp_path / "data"
    shutil.copytree(DATA_DIR, dst)
    return dst


def _problems(directory: Path) -> list:
    with pytest.raises(DataError) as info:
        load_data(directory)
    return info.value.problems


def _edit_rows(path: Path, line: int, column: str, value: str) -> None:
    with path.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    rows[line - 1][rows[0].index(column)] = value
    with path.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh, lineterminator="\n", quoting=csv.QUOTE_NONNUMERIC).writerows(rows)


# ---------------------------------------------------------------------------------------------
# the file and its description


def test_rows_are_the_shared_copy_byte_for_byte_and_cell_for_cell(shared):
    theirs = shared / "evidence" / "cochrane2025-review-data" / "CD015855-data-rows.csv"
    assert ROWS.read_bytes() == theirs.read_bytes()
    a = pd.read_csv(ROWS, dtype=str, keep_default_na=False)
    b = pd.read_csv(theirs, dtype=str, keep_default_na=False)
    pd.testing.assert_frame_equal(a, b)
    assert a.shape == (71, 25)


def test_datapackage_names_the_source_and_the_terms():
    pkg = json.loads((DATA_DIR / "datapackage.json").read_text())
    res = {r["name"]: r for r in pkg["resources"]}["cd015855_rows"]
    assert res["path"] == "CD015855-data-rows.csv" and res["role"] == "review_data"
    paths = " ".join(s["path"] for s in res["sources"])
    assert "10.1002/14651858.CD015855" in paths and "github.com/mahmood789/Pairwise70" in paths
    assert "MIT" in {lic["name"] for lic in res["licenses"]}
    assert "unchanged" in res["description"] and "Pairwise70" in res["description"]


def test_reader_sees_71_rows_51_analyses_12_comparisons(data):
    rd = data.review("cochrane2025")
    assert len(rd.rows) == 71
    assert rd.rows["analysis"].nunique() == 51 and rd.rows["group"].nunique() == 12
    # v1 zero-fill read as not applicable; a real 0 event count stays 0 (Dalakas 1993 in 1.8)
    r18 = rd.rows[(rd.rows["analysis"] == "1.8") & (rd.rows["study"] == "Dalakas 1993")].iloc[0]
    assert r18["events_intervention"] == 0 and np.isnan(r18["mean_intervention"])


# ---------------------------------------------------------------------------------------------
# the registry


def test_every_analysis_has_a_registry_row_with_its_settings(data):
    reg = data.analyses[data.analyses["route"] == "review_data"]
    assert reg["review_analysis"].nunique() == 51 and len(reg) == 58
    assert set(reg["comparison_basis"]) == {"inferred"}
    for col in ("measure_basis", "method_basis", "model_basis"):
        assert reg[col].notna().all()
    # RevMan's per-study numbers fix the measure: RR for every dichotomous analysis, SMD for 1.2 and 1.4
    dich = reg[reg["data_type"] == "dichotomous"]
    assert set(dich["measure"]) == {"RR"} and set(dich["method"]) == {"MH"}
    assert set(reg.loc[reg["measure"] == "SMD", "review_analysis"]) == {"1.2", "1.4"}
    assert set(reg["model"]) == {"fixed"}


def test_abstract_settings_agree_with_what_the_abstract_implies(data):
    """The 14 abstract results: the measure printed in the abstract (published_results.csv) and the
    review's stated rule (fixed-effect models) are the registry's."""
    reg = data.analyses.set_index("analysis_id")
    pub = data.published_results[data.published_results["review_id"] == "cochrane2025"]
    assert len(pub) == 14
    for p in pub.itertuples():
        assert reg.loc[p.analysis_id, "measure"] == p.measure
        assert reg.loc[p.analysis_id, "model"] == "fixed"
    assert "fixed-effect" in data.reviews.set_index("review_id").loc["cochrane2025", "synthesis"]


def _weights(rows: pd.DataFrame, measure: str, method: str, model: str) -> np.ndarray:
    if measure in ("MD", "SMD"):
        r = pool_continuous(rows["mean_intervention"], rows["sd_intervention"], rows["n_intervention"],
                            rows["mean_control"], rows["sd_control"], rows["n_control"], measure=measure, model=model)
    else:
        r = pool_binary(rows["events_intervention"], rows["n_intervention"], rows["events_control"],
                        rows["n_control"], measure=measure, method=method, model=model)
    return r.studies["weight_percent"].to_numpy()


def test_settings_from_weights_are_the_only_ones_that_fit(data):
    """Where the registry says 'inferred from weights', RevMan's Weight column matches the registered
    method and model and not the alternatives (MH vs IV, fixed vs random)."""
    rd = data.review("cochrane2025")
    reg = data.analyses[(data.analyses["route"] == "review_data") & (data.analyses["model_basis"] == "weights")]
    assert len(reg) >= 6
    for a in reg.itertuples():
        rows = rd.study_rows(a.review_analysis, None if pd.isna(a.subgroup_number) else int(a.subgroup_number))
        theirs = rows["revman_weight"].fillna(0).to_numpy()
        fits = {(m, mo) for m in (("MH", "IV") if a.data_type == "dichotomous" else ("IV",))
                for mo in ("fixed", "random")
                if np.allclose(_weights(rows, a.measure, m, mo), theirs, atol=1e-5)}
        assert fits == {(a.method, a.model)}, (a.analysis_id, fits)


def test_registry_agrees_with_reproduce_infer_settings(data):
    from mytools.reproduce import infer_settings

    inferred = infer_settings(data.review("cochrane2025")).set_index("analysis")
    reg = data.analyses[data.analyses["route"] == "review_data"]
    for a in reg.itertuples():
        s = inferred.loc[a.review_analysis]
        assert s["measure"] == a.measure, a.analysis_id
        for col in ("method", "model"):
            if not str(s[f"{col}_how"]).startswith("undetermined"):
                assert s[col] == getattr(a, col), (a.analysis_id, col)
        if a.model_basis == "weights":
            assert s["model_how"] == "inferred from weights", a.analysis_id
        assert s["pooled"] == ("overall" if a.overall else "subgroups"), a.analysis_id


# ---------------------------------------------------------------------------------------------
# RevMan's own per-study numbers


def test_71_study_rows_equal_revmans_estimate_ci_and_weight(data):
    """For every study row the engine's per-study estimate, CI and weight equal RevMan's Mean,
    CI start, CI end and Weight within the file's rounding (6 decimals). The one row without
    numbers: Dalakas 1993 in 1.8 (withdrawals, 0/8 vs 0/7) — not estimable, blank in RevMan and
    here (a double-zero study carries no information on a risk ratio)."""
    check = study_check(data)
    assert len(check) == 71
    assert check["ok"].all(), check[~check["ok"]]
    blank = check[check["revman_estimate"].isna()]
    assert list(zip(blank["review_analysis"], blank["study"])) == [("1.8", "Dalakas 1993")]
    assert blank["estimate"].isna().all() and blank["weight"].isna().all()


# ---------------------------------------------------------------------------------------------
# study identities


def test_every_label_is_mapped_and_identities_are_honest(data):
    m = data.review_study_map.set_index("review_label")
    assert set(data.review("cochrane2025").rows["study"]) == set(m.index)
    assert m.loc["ISRCTN87782942", "identity"] == "unidentified"
    unid = data.studies.set_index("study_id").loc[m.loc["ISRCTN87782942", "study_id"]]
    assert pd.isna(unid["bibtex_key"]) and "unidentified" in unid["label"]
    assert m.loc["SELAM", ["study_id", "identity"]].tolist() == ["Ibrahim2015", "inferred"]
    assert m.loc["JPRN-UMIN000015469", ["study_id", "identity"]].tolist() == ["Fujisawa2021", "inferred"]
    assert m.loc["NCT00335985", "study_id"] == "Miyasaka2012"
    assert m.loc["ProDERM", "study_id"] == "Aggarwal2022" and m.loc["PRINTO", "study_id"] == "Ruperto2016"
    labels = analysis("mtx_withdrawals", data).inputs.set_index("review_label")["label"]
    assert labels["SELAM"].endswith("(identity inferred)")
    assert "unidentified" in analysis("ivig_sae", data).inputs.set_index("review_label").loc["ISRCTN87782942", "label"]


def test_primary_source_numbers_confirm_the_rows(data):
    """ProDERM 37/47 vs 21/48 and PRINTO 33/46 vs 24/47 (reported) equal the review's rows."""
    for aid, study in (("ivig_tis20", "ProDERM"), ("mtx_printo", "PRINTO")):
        ours = analysis(aid, data).inputs.set_index("review_label").loc[study]
        src = analysis(f"{aid}_sources", data).inputs.iloc[0]
        assert [ours[c] for c in ("events_intervention", "n_intervention", "events_control", "n_control")] == \
            [src[c] for c in ("events_intervention", "n_intervention", "events_control", "n_control")]
    # ProDERM CDASI means as reported (-9.36, -1.16) are the review's rounded -9.4 and -1.2
    cd, cs = analysis("ivig_cdasi", data).inputs.iloc[0], analysis("ivig_cdasi_sources", data).inputs.iloc[0]
    assert (round(cs["mean_intervention"], 1), round(cs["mean_control"], 1)) == (cd["mean_intervention"], cd["mean_control"]) == (-9.4, -1.2)
    # PROMETHEUS completers (14 MTX, 13 GC; registry results page) are the review's IMACS denominators
    st = data.studies.set_index("study_id").loc["Prometheus2014", "note"]
    assert "completers 14 (MTX) and 13 (GC)" in st
    imacs = analysis("mtx_imacs", data).inputs.iloc[0]
    assert (imacs["n_intervention"], imacs["n_control"]) == (14, 13)


# ---------------------------------------------------------------------------------------------
# corrupted copies


def _file(p) -> str:
    return Path(p.file).name  # the reader names the path it was given


def _named(problems, file, line, column):
    hits = [p for p in problems if _file(p) == file and p.line == line and str(p.column).strip("'") == column]
    assert hits, "\n".join(map(str, problems))
    assert f"line {line}" in str(hits[0]) and f"column {column}" in str(hits[0])


@pytest.mark.parametrize("column,value", [("Experimental cases", "3x"), ("Control N", "-1"), ("Weight", "abc")])
def test_bad_cells_are_named(copy, column, value):
    _edit_rows(copy / ROWS.name, 15, column, value)
    _named(_problems(copy), ROWS.name, 15, column)


def test_events_above_n_are_named(copy):
    _edit_rows(copy / ROWS.name, 15, "Experimental cases", "60")   # 1.7 ProDERM: 3/52 -> 60/52
    problems = _problems(copy)
    assert any(_file(p) == ROWS.name and p.line == 15 and "cases" in (p.column or "").lower() for p in problems), \
        "\n".join(map(str, problems))


def test_missing_column_is_named(copy):
    path = copy / ROWS.name
    path.write_text(path.read_text(encoding="utf-8").replace('"Control N",', '"Control n",', 1), encoding="utf-8")
    problems = _problems(copy)
    assert any(_file(p) == ROWS.name and p.line == 1 and "Control N" in str(p.column) for p in problems)


def test_unknown_study_label_is_named(copy):
    _edit_rows(copy / ROWS.name, 15, "Study", "Nobody 1999")
    _named(_problems(copy), ROWS.name, 15, "Study")


def test_unregistered_analysis_is_named(copy):
    _edit_rows(copy / ROWS.name, 72, "Analysis number", "2")       # 12.1 -> 12.2, not in the registry
    problems = _problems(copy)
    assert any(_file(p) == ROWS.name and p.line == 72 for p in problems), "\n".join(map(str, problems))


def test_registry_row_without_rows_is_named(copy):
    path = copy / "analyses.csv"
    text = path.read_text().replace("tac_vs_csa_12_1,cochrane2025,review_data,12.1,", "tac_vs_csa_12_1,cochrane2025,review_data,12.9,")
    path.write_text(text)
    problems = _problems(copy)
    assert any(p.file == "analyses.csv" and p.column == "review_analysis" and p.line for p in problems)
