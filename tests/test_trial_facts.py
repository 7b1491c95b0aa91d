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
