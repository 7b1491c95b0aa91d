"""data/trial_facts.csv: the review's words quoted by the book are the review's words (checked
against the 2025 abstract in ../shared/seeds), and an unknown fact says that it is unknown."""
from __future__ import annotations

import re

import pytest

from mytools.data import load_data


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


@pytest.fixture(scope="module")
def facts():
    return load_data().trial_facts


def test_review_statements_are_quoted_from_the_2025_abstract(shared, facts):
    seed = next((shared / "seeds").glob("000_*.txt"))
    abstract = _norm(seed.read_text(encoding="utf-8"))
    quotes = facts[facts["topic"] == "review_statement"]
    assert len(quotes) >= 3
    for fact_id, text in zip(quotes["fact_id"], quotes["text"]):
        assert _norm(text) in abstract, f"{fact_id}: not the review's words"


def test_unknown_facts_say_so(facts):
    unknown = facts[facts["provenance"] == "not_available"]
    assert len(unknown)
    for fact_id, text in zip(unknown["fact_id"], unknown["text"]):
        assert "not in any source read for this book" in text, fact_id


def test_every_trial_fact_names_a_study_and_every_statement_none(facts):
    is_statement = facts["topic"] == "review_statement"
    assert facts.loc[is_statement, "study_id"].isna().all()
    assert facts.loc[~is_statement, "study_id"].notna().all()


def test_weight_share_is_revmans_weight_from_the_rows():
    """PRINTO's weight in analysis 3.6 (withdrawals, methotrexate): RevMan's Weight column, read
    with the csv module (issue #21: the children carry three quarters of the pooled result)."""
    import csv

    from mytools.data import DATA_DIR
    from mytools.present.facts import weight_share

    with (DATA_DIR / "CD015855-data-rows.csv").open(encoding="utf-8", newline="") as fh:
        raw = [r for r in csv.DictReader(fh)
               if (r["Analysis group"], r["Analysis number"], r["Study"]) == ("3", "6", "PRINTO")]
    rows = load_data().review("cochrane2025").rows
    assert weight_share(rows, "3.6", "PRINTO") == pytest.approx(float(raw[0]["Weight"]))
    with pytest.raises(KeyError, match="ProDERM"):
        weight_share(rows, "3.6", "ProDERM")


def test_fact_values_name_a_missing_fact(facts):
    from mytools.present.facts import fact_values

    assert fact_values(facts, ["dalakas_headache"], "x")["x_dalakas_headache"].startswith("severe headache")
    with pytest.raises(KeyError, match="no_such_fact"):
        fact_values(facts, ["no_such_fact"], "x")


def test_extraction_checks_follow_the_evidence_notes(shared):
    """Which results were checked against the trials' own reports: the evidence notes' table of
    study-level inputs (written by the data gatherer) gives the class of each result's inputs."""
    from mytools.analyses import analyses, cross_checks
    from mytools.present.facts import extraction_checks

    text = (shared / "evidence" / "README.md").read_text(encoding="utf-8")
    classes = {}
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split(" | ")]
        if len(cells) == 4 and cells[0].isdigit():
            classes[int(cells[0])] = cells[2]
    assert {k for k, c in classes.items() if c == "reported"} == {3, 12}
    data = load_data()
    out = extraction_checks(cross_checks(analyses(data)), "r")
    assert out["r_checked_reported"] == "3 and 12"
    assert out["r_checked_approximated"] == "4" and "approximated" in classes[4]
    assert out["r_checked_partly"] == "5" and "reported" in classes[5] and "reconstructed" in classes[5]
    assert out["r_by_construction"] == "7, 11 and 13"
    assert all(classes[n].startswith("reconstructed") for n in (7, 11, 13))


def test_trial_table_shows_unknowns_as_unknown(facts):
    from mytools.present.facts import trial_table

    studies = load_data().studies
    t = trial_table(studies, facts, ["Ruperto2016", "Aggarwal2022"])
    assert list(t["Trial"]) == list(studies.set_index("study_id").loc[["Ruperto2016", "Aggarwal2022"], "label"])
    assert "not in any source read" in t.loc[0, "Dose and route"]
    assert "thromboembolic" in t.loc[1, "Harms reported beyond the pooled analyses"]
    assert t.loc[0, "Harms reported beyond the pooled analyses"] == "not reported in the sources read"


def test_arm_counts_and_direction_from_the_rows():
    """PRINTO in analysis 8.5 (methotrexate vs ciclosporin, serious adverse events): the rows say
    2/46 vs 5/46 (read with the csv module)."""
    import csv

    from mytools.data import DATA_DIR
    from mytools.present.facts import arm_counts_text, arm_direction

    with (DATA_DIR / "CD015855-data-rows.csv").open(encoding="utf-8", newline="") as fh:
        raw = [r for r in csv.DictReader(fh)
               if (r["Analysis group"], r["Analysis number"], r["Study"]) == ("8", "5", "PRINTO")][0]
    rows = load_data().review("cochrane2025").rows
    expect = (f"{raw['Experimental cases']}/{raw['Experimental N']} vs "
              f"{raw['Control cases']}/{raw['Control N']}")
    assert arm_counts_text(rows, "8.5", "PRINTO") == expect
    a = int(raw["Experimental cases"]) / int(raw["Experimental N"])
    b = int(raw["Control cases"]) / int(raw["Control N"])
    assert arm_direction(rows, "8.5", "PRINTO") == ("fewer" if a < b else "more")


def test_the_abstracts_one_study_of_27_is_two_trials():
    """Issue #21: results 9-10 (SELAM) and 11 (PROMETHEUS completers) each say '1 RCT, 27
    participants' in the abstract; the rows give the arms (read with the csv module)."""
    import csv

    from mytools.data import DATA_DIR
    from mytools.present.facts import arm_size_values, page_values

    with (DATA_DIR / "CD015855-data-rows.csv").open(encoding="utf-8", newline="") as fh:
        raw = {(r["Analysis group"], r["Analysis number"], r["Study"]): r for r in csv.DictReader(fh)}
    data = load_data()
    rows = data.review("cochrane2025").rows
    pub = data.published_results.set_index("analysis_id")
    for aid, (g, a, study) in {"mtx_function": ("3", "1", "SELAM"),
                               "mtx_imacs": ("3", "4", "PROMETHEUS")}.items():
        out = arm_size_values(rows, f"{g}.{a}", study, "x")
        r = raw[(g, a, study)]
        assert (out["x_n_int"], out["x_n_ctl"]) == (int(r["Experimental N"]), int(r["Control N"]))
        assert out["x_n"] == int(pub.at[aid, "participants"]) == 27
    assert page_values(data, "p")["p_search_date"] == "3 February 2023"  # the abstract's search date
