"""The review's words for its 14 results (data/published_results.csv) against the review's own
abstract (../shared/seeds/000_*), and the reasons the book's words differ
(mytools.present.thresholds)."""
from __future__ import annotations

import re

import pytest

from mytools.analyses import analysis
from mytools.data import load_data
from mytools.present import grade, thresholds as th

IDS = ["ivig_disability", "ivig_strength", "ivig_tis20", "ivig_cdasi", "ivig_sae", "ivig_withdrawals",
       "aza_strength", "aza_steroid_dose", "mtx_function", "mtx_strength", "mtx_imacs", "mtx_printo",
       "mtx_sae", "mtx_withdrawals"]


@pytest.fixture(scope="module")
def data():
    return load_data()


@pytest.fixture(scope="module")
def words(data):
    pub = data.published_results
    return pub[pub["review_id"] == "cochrane2025"].set_index("analysis_id")


def test_every_abstract_result_has_the_reviews_words(words):
    assert sorted(words.index) == sorted(IDS)
    assert words["review_words"].notna().all() and words["review_words_where"].notna().all()


def test_the_words_are_the_abstracts_own(shared, words):
    """Each quoted piece (split at the editorial brackets) occurs verbatim in the abstract."""
    text = " ".join(p.read_text(encoding="utf-8") for p in sorted((shared / "seeds").glob("000_*")))
    text = re.sub(r"\s+", " ", text)
    for aid, quote in words["review_words"].items():
        for piece in re.split(r"\[[^\]]*\]", quote):
            piece = piece.strip(" ,")
            if piece:
                assert piece in text, f"{aid}: {piece!r} is not in the abstract"


def test_direction_codes_agree_with_the_words(words):
    """A light check of the reading: 'little or no' is coded none, 'very uncertain' very_uncertain."""
    for aid, r in words.iterrows():
        w = r["review_words"].lower()
        assert ("little or no" in w) == (r["review_direction"] == "none"), aid
        assert ("very uncertain" in w) == (r["review_hedge"] == "very_uncertain"), aid
        assert ("probably" in w) == (r["review_hedge"] == "probably"), aid


@pytest.mark.parametrize("aid, codes", [
    ("mtx_sae", ["both"]),                 # "may occur slightly more frequently", RR 0.54 to 4.07
    ("ivig_sae", ["very_low"]),            # "may be more" with very low-certainty evidence
    ("ivig_tis20", ["unhedged"]),          # "has a higher response rate" at moderate certainty
    ("mtx_printo", ["same"]),
    ("aza_strength", ["very_low", "none_claim"]),
    ("mtx_function", ["very_low", "md_no_mid"]),
])
def test_reasons(data, words, aid, codes):
    r = words.loc[aid]
    assert th.wording_reasons(analysis(aid, data), r["review_direction"], r["review_hedge"]) == codes


def test_wording_table_quotes_and_gives_reasons(data):
    t = th.wording_table([analysis(a, data) for a in IDS], data.published_results)
    assert len(t) == 14 and t["#"].tolist() == sorted(t["#"].tolist())
    row = t.set_index("#").loc[13]
    assert "slightly more frequently" in row["The review's words"]
    assert row["The book's words"] == "Methotrexate may increase or reduce serious adverse events."
    assert "0.54 to 4.07" in row["Why they differ"]
    counts = th.wording_counts(t)
    assert counts["different"] >= 8 and counts["same"] + counts["different"] == 14


def test_thresholds_table_states_the_constants_the_wording_uses():
    t = th.thresholds_table()
    lo, hi = grade.RATIO_THRESHOLDS
    assert f"{lo:g}" in t.loc[0, "Important effect"] and f"{hi:g}" in t.loc[0, "Important effect"]
    assert f"{grade.SMD_THRESHOLDS[1]:g}" in t.loc[1, "Important effect"]


def test_harm_thresholds_in_people_per_1000(data):
    """ACR × 0.25 per 1000 at the trials' control risk (Handbook 14.1.5 arithmetic)."""
    ar = analysis("mtx_sae", data)
    inp = ar.inputs
    acr = inp["events_control"].sum() / inp["n_control"].sum()
    t = th.harm_thresholds_table([ar])
    expected = grade.per_1000(acr * 1.25) - grade.per_1000(acr)
    assert t.iloc[0]["RR 1.25 means"] == f"{expected} more per 1000"


def _row(analysis_no: str, subgroup: str):
    """RevMan's own estimate and CI for one row of the review's data rows (read with csv)."""
    import csv
    from pathlib import Path
    path = Path(__file__).resolve().parents[2] / "data" / "CD015855-data-rows.csv"
    with path.open(encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            if f"{r['Analysis group']}.{r['Analysis number']}" == analysis_no and r["Subgroup number"] == subgroup:
                return float(r["Mean"]), float(r["CI start"]), float(r["CI end"])
    raise LookupError(analysis_no)


def test_printo_ciclosporin_words_come_from_the_thresholds():
    """PRINTO's response, methotrexate vs ciclosporin (analysis 8.4, subgroup 1), at RevMan's own
    numbers: the point estimate is within GRADE's 0.75–1.25, the upper limit beyond 1.25."""
    est, lo, hi = _row("8.4", "1")
    lo_t, hi_t = grade.RATIO_THRESHOLDS
    assert lo_t < est < hi_t and lo > lo_t and hi > hi_t
    w = th.comparison_words(est, lo, hi, "RR", "favouring methotrexate", "favouring ciclosporin")
    assert w["word"] == "similar"
    assert "does not rule out an important difference favouring methotrexate" in w["interval"]
    assert th.comparison_words(est, 0.8, 1.2, "RR", "a", "b")["interval"].startswith("the interval rules out")
    assert th.comparison_words(1.5, 0.5, 4.0, "RR", "a", "b")["word"] == "uncertain"
    assert th.comparison_words(1.5, 1.3, 1.7, "RR", "a", "b")["word"] == "higher"
