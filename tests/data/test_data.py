"""Validation of data/: the real dataset passes; each rule, broken in a copy, is reported with
file, line (as counted in the CSV, header = 1), study id and column."""
from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pytest

from mytools.data import DATA_DIR, DataError, load_data


@pytest.fixture()
def copy(tmp_path: Path) -> Path:
    dst = tmp_path / "data"
    shutil.copytree(DATA_DIR, dst)
    return dst


def line_of(path: Path, prefix: str) -> int:
    """Line number (1-based, as a text editor counts) of the one line starting with ``prefix``."""
    hits = [i for i, text in enumerate(path.read_text().splitlines(), start=1) if text.startswith(prefix)]
    assert len(hits) == 1, f"{prefix!r} matches lines {hits} of {path.name}"
    return hits[0]


def rewrite(path: Path, edit) -> None:
    """Read the CSV's rows (header first), let ``edit(rows)`` change them in place, write them back."""
    with path.open(newline="") as fh:
        rows = list(csv.reader(fh))
    edit(rows)
    with path.open("w", newline="") as fh:
        csv.writer(fh, lineterminator="\n").writerows(rows)


def set_line(path: Path, line: int, column: str, value: str) -> int:
    """Set ``column`` on ``line`` (as counted in the file, header = 1); returns the line."""
    rewrite(path, lambda rows: rows[line - 1].__setitem__(rows[0].index(column), value))
    return line


def set_cell(path: Path, prefix: str, column: str, value: str) -> int:
    """Set ``column`` of the row whose line starts with ``prefix``; returns that line number."""
    return set_line(path, line_of(path, prefix), column, value)


def delete_line(path: Path, prefix: str) -> int:
    line = line_of(path, prefix)
    lines = path.read_text().splitlines(keepends=True)
    del lines[line - 1]
    path.write_text("".join(lines))
    return line


def errors(directory: Path) -> DataError:
    with pytest.raises(DataError) as info:
        load_data(directory)
    return info.value


def assert_named(err: DataError, file: str, line: int | None, study: str | None, column: str) -> None:
    """The message names the file, the line, the study and the column of one problem."""
    text = str(err)
    wanted = [p for p in err.problems if p.file == file and p.line == line and p.column == column]
    assert wanted, f"no problem for {file} line {line} column {column} in:\n{text}"
    p = wanted[0]
    assert p.study_id == study
    rendered = str(p)
    assert file in rendered and (line is None or f"line {line}" in rendered)
    assert f"study {study or '-'}" in rendered and f"column {column}" in rendered
    assert "expected" in rendered and rendered in text


# ------------------------------------------------------------------------------------------------


def test_real_data_loads():
    data = load_data()
    assert len(data.analyses) >= 14
    assert set(data.analyses["abstract_no"].dropna()) == set(range(1, 15))
    assert data.outcome_data["n"].dtype.name == "Int64"  # integers stay integers, blanks stay missing


def test_error_is_a_value_error():
    assert issubclass(DataError, ValueError)


# One broken cell, one named problem: (file, the line's start, column set, bad value, study and
# column the message must name, words it must contain). Ids are the rules' names.
ONE_CELL = [
    pytest.param("studies.csv", "Dalakas1993,", "study_id", "Aggarwal2022", "Aggarwal2022",
                 "study_id", None, id="duplicate_study_id"),
    pytest.param("outcome_data.csv", "ivig_tis20_sources,Aggarwal2022,control,", "study_id",
                 "Nobody1999", "Nobody1999", "study_id", "exists in studies.csv",
                 id="unknown_study_referenced"),
    pytest.param("outcome_data.csv", "mtx_printo_sources,Ruperto2016,control,", "analysis_id",
                 "mtx_nothing", "Ruperto2016", "analysis_id", None, id="unknown_analysis_referenced"),
    pytest.param("outcome_data.csv", "ivig_tis20_sources,Aggarwal2022,intervention,", "events",
                 "48", "Aggarwal2022", "events", "events <= n (47)", id="events_greater_than_n"),
    pytest.param("outcome_data.csv", "aza_strength_sources,Bunch1980,control,", "n", "0",
                 "Bunch1980", "n", None, id="n_must_be_positive"),
    *[pytest.param("outcome_data.csv", "ivig_cdasi_sources,Aggarwal2022,control,", "sd", bad,
                   "Aggarwal2022", "sd", "a value > 0", id=f"sd_must_be_positive-{bad}")
      for bad in ("0", "-7.42")],
    pytest.param("outcome_data.csv", "ivig_sae_sources,Miyasaka2012,intervention,", "provenance",
                 "", "Miyasaka2012", "provenance", None, id="provenance_required"),
    pytest.param("outcome_data.csv", "ivig_sae_sources,Miyasaka2012,intervention,", "provenance",
                 "derived", "Miyasaka2012", "provenance", "reconstructed",
                 id="provenance_must_be_a_known_class"),
    pytest.param("study_estimates.csv", "aza_steroid_dose_sources,Bunch1980,", "source", "",
                 "Bunch1980", "source", None, id="source_required"),
    pytest.param("outcome_data.csv", "ivig_tis20_sources,Aggarwal2022,control,", "source",
                 "NEJM paper", "Aggarwal2022", "source", None, id="source_must_be_url_or_doi"),
    *[pytest.param("outcome_data.csv", "ivig_tis20_sources,Aggarwal2022,control,", column, bad,
                   "Aggarwal2022", column, "an integer", id=f"numbers_must_parse-{column}-{bad}")
      for column, bad in (("events", "2l"), ("n", "47.5"), ("events", " 21"))],
    pytest.param("outcome_data.csv", "ivig_cdasi_sources,Aggarwal2022,intervention,", "mean",
                 "-9,36", "Aggarwal2022", "mean", "a number", id="mean_must_parse"),
    pytest.param("outcome_data.csv", "mtx_printo_sources,Ruperto2016,intervention,", "events", "",
                 "Ruperto2016", "events", "not_available", id="reported_row_needs_its_numbers"),
    pytest.param("outcome_data.csv", "ivig_disability_sources,Aggarwal2022,intervention,", "mean",
                 "0.5", "Aggarwal2022", "mean", None, id="not_available_row_has_no_numbers"),
    pytest.param("study_estimates.csv", "mtx_function_sources,", "se", "1.0",
                 "Prometheus2014OrIbrahim2015", "se", None, id="se_must_match_ci"),
    pytest.param("published_results.csv", "cochrane2025,ivig_tis20,", "ci_low", "1.90", None,
                 "estimate", None, id="published_ci_must_bracket_estimate"),
    pytest.param("analyses.csv", "mtx_withdrawals,", "abstract_no", "13", None, "abstract_no",
                 "result 14 of the 2025 abstract", id="registry_needs_all_14_results"),
    pytest.param("analyses.csv", "ivig_cdasi_sources,", "tolerance_reason", "", None,
                 "tolerance_reason", None, id="tolerance_needs_a_reason"),
    pytest.param("outcome_data.csv", "csa_printo,Ruperto2016,control,", "arm", "placebo",
                 "Ruperto2016", "arm", None, id="wrong_arm_value"),
    pytest.param("studies.csv", "Miller2002,", "n_randomised", "", "Miller2002", "provenance", None,
                 id="study_numbers_and_provenance_agree"),
    pytest.param("studies.csv", "Bunch1980,", "n_control", "9", "Bunch1980", "n_randomised", None,
                 id="two_arm_sizes_add_up"),
]


@pytest.mark.parametrize("file,prefix,column,bad,study,named,words", ONE_CELL)
def test_one_broken_cell_is_named(copy, file, prefix, column, bad, study, named, words):
    line = set_cell(copy / file, prefix, column, bad)
    err = errors(copy)
    assert_named(err, file, line, study, named)
    if words is not None:
        assert words in str(err)


def test_arms_complete(copy):
    path = copy / "outcome_data.csv"
    delete_line(path, "mtx_printo_sources,Ruperto2016,control,")
    kept = line_of(path, "mtx_printo_sources,Ruperto2016,intervention,")
    err = errors(copy)
    assert_named(err, "outcome_data.csv", kept, "Ruperto2016", "arm")
    assert "control arm" in str(err)


def test_review_tables_are_checked_too(copy):
    set_line(copy / "review_studies.csv", 2, "study_id", "Nobody1999")
    assert_named(errors(copy), "review_studies.csv", 2, "Nobody1999", "study_id")


def test_missing_and_unexpected_columns(copy):
    path = copy / "study_estimates.csv"
    text = path.read_text().replace("participants,", "people,", 1)
    path.write_text(text)
    err = errors(copy)
    assert_named(err, "study_estimates.csv", 1, None, "participants")
    assert_named(err, "study_estimates.csv", 1, None, "people")


def test_missing_file(copy):
    (copy / "study_estimates.csv").unlink()
    err = errors(copy)
    assert any(p.file == "study_estimates.csv" and "listed in datapackage.json" in p.expected for p in err.problems)


def test_wrong_cell_count(copy):
    path = copy / "published_results.csv"
    line = line_of(path, "cochrane2025,mtx_sae,")
    lines = path.read_text().splitlines(keepends=True)
    lines[line - 1] = lines[line - 1].rstrip("\n") + ",extra\n"
    path.write_text("".join(lines))
    err = errors(copy)
    assert any(p.file == "published_results.csv" and p.line == line for p in err.problems)


def test_all_violations_of_a_file_at_once(copy):
    path = copy / "outcome_data.csv"
    l1 = set_cell(path, "ivig_tis20_sources,Aggarwal2022,intervention,", "events", "99")
    l2 = set_cell(path, "aza_strength_sources,Bunch1980,control,", "n", "0")
    l3 = set_cell(path, "mtx_printo_sources,Ruperto2016,control,", "provenance", "")
    l4 = set_cell(copy / "studies.csv", "Bunch1980,", "design", "cohort")
    err = errors(copy)
    lines = {(p.file, p.line) for p in err.problems}
    assert {("outcome_data.csv", l1), ("outcome_data.csv", l2), ("outcome_data.csv", l3),
            ("studies.csv", l4)} <= lines
    assert "outcome_data.csv: 3 problem(s)" in str(err)


def test_datapackage_lists_every_table_with_its_schema():
    pkg = json.loads((DATA_DIR / "datapackage.json").read_text())
    names = {r["name"] for r in pkg["resources"]}
    assert {"studies", "analyses", "outcome_data", "study_estimates", "published_results",
            "reviews", "review_studies", "sr2015_studies"} <= names
    for r in pkg["resources"]:
        assert (DATA_DIR / r["path"]).is_file() and (DATA_DIR / r["schema"]).is_file()
        schema = json.loads((DATA_DIR / r["schema"]).read_text())
        for f in schema["fields"]:
            assert f["type"] in {"string", "integer", "number", "boolean", "date"}, (r["name"], f["name"])
            assert f.get("description"), (r["name"], f["name"])


def test_bibtex_keys_exist_in_references_bib():
    import re

    keys = set(re.findall(r"^@\w+\{([^,]+),", (DATA_DIR.parent / "references.bib").read_text(), re.M))
    used = set(load_data().studies["bibtex_key"].dropna())
    assert used <= keys, sorted(used - keys)


def test_data_appendix_documents_every_table():
    page = (DATA_DIR.parent / "chapters" / "data.md").read_text()
    pkg = json.loads((DATA_DIR / "datapackage.json").read_text())
    for r in pkg["resources"]:
        assert f"### `{r['path']}`" in page and f'data.schemas["{r["name"]}"]' in page, r["name"]
        assert f"<../data/{r['path']}>`" in page and "{download}`" in page, f"no download link for {r['path']}"


@pytest.mark.parametrize("table", ["analyses", "published_results", "review_study_map", "review_studies"])
def test_review_id_must_exist_in_reviews_csv(copy, table):
    """Review ids are a foreign key into reviews.csv (no list of reviews in code or schemas)."""
    set_line(copy / f"{table}.csv", 2, "review_id", "cochrane2099")
    err = errors(copy)
    hits = [p for p in err.problems if p.file == f"{table}.csv" and p.line == 2 and p.column == "review_id"]
    assert hits and "exists in reviews.csv" in str(hits[0]) and "cochrane2099" in str(hits[0]), str(err)


def test_a_new_review_needs_only_a_row_in_reviews_csv(copy):
    """A fourth review id is accepted once reviews.csv has its row: no enum to extend."""
    def add_review(rows: list[list[str]]) -> None:
        new = list(rows[1])
        new[rows[0].index("review_id")] = "cochrane2099"
        new[rows[0].index("short_label")] = "Cochrane 2099"
        rows.append(new)

    rewrite(copy / "reviews.csv", add_review)
    assert "cochrane2099" in set(load_data(copy).reviews["review_id"])
    for name in ("reviews", "analyses", "published_results", "review_study_map", "review_studies"):
        fields = json.loads((copy / "schemas" / f"{name}.json").read_text())["fields"]
        assert "enum" not in next(f for f in fields if f["name"] == "review_id")["constraints"], name


def test_registry_measure_sets_are_the_schema_enum():
    """mytools/data/validate.py's measure sets are the registry's (analyses.json enum), named as such."""
    from mytools.data import REGISTRY_BINARY, REGISTRY_CONTINUOUS, REGISTRY_LOG_SCALE

    fields = json.loads((DATA_DIR / "schemas" / "analyses.json").read_text())["fields"]
    enum = next(f for f in fields if f["name"] == "measure")["constraints"]["enum"]
    assert sorted(REGISTRY_BINARY + REGISTRY_CONTINUOUS) == sorted(enum)
    assert set(REGISTRY_LOG_SCALE) == {"RR", "OR"} & set(enum)  # the ratios among them
