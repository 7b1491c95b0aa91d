"""Tests of the review-level tables and mytools.reviews_compared against the reviews' own published text.

Reference numbers come from the seeds in ../shared/seeds (000 = Cochrane 2025 abstract,
001 = Cochrane 2012 abstract, 003 = the 2015 review's full text with Tables 1-3): the counts are
parsed from the seed text itself, not from our code or our CSVs.
"""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

from mytools import reviews_compared as R
from mytools.data import load_data

WORDS = {w: i for i, w in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
    "fifteen sixteen".split())}


def _num(token: str) -> int:
    token = token.strip().lower()
    return int(token) if token.isdigit() else WORDS[token]


def _seed(shared: Path, prefix: str) -> str:
    files = sorted((shared / "seeds").glob(f"{prefix}_*.txt"))
    if not files:
        pytest.skip(f"seed {prefix} is not in {shared / 'seeds'}")
    return re.sub(r"\s+", " ", files[0].read_text(encoding="utf-8"))


# review: (seed, the sentence that gives the totals, (studies, participants) as printed there)
TOTALS = {
    "cochrane2012": ("001", r"The (\w+) included studies.*?included a total of (\d+) participants",
                     (10, 258)),
    "sr2015": ("003", r"(\w+) studies evaluating a total of (\d+) patients were included", (11, 464)),
    "cochrane2025": ("000", r"We identified (\d+) studies \((\d+) participants\)", (16, 789)),
}


def _totals(shared: Path, review: str) -> tuple[int, int]:
    """(studies, participants) parsed from the review's seed; checked against the printed pair."""
    seed, pattern, printed = TOTALS[review]
    m = re.search(pattern, _seed(shared, seed))
    assert m, f"could not find the {review} totals in seed {seed}"
    k, n = _num(m.group(1)), int(m.group(2))
    assert (k, n) == printed
    return k, n


def _isrctn_n(data) -> int:
    """ISRCTN87782942's participants in the 2025 review's data rows (analysis 1.7)."""
    rows = data.review("cochrane2025").rows
    isrctn = rows[(rows["study"] == "ISRCTN87782942") & (rows["analysis"] == "1.7")].iloc[0]
    return int(isrctn["n_intervention"] + isrctn["n_control"])


def _table1(text: str, end: str) -> str:
    """Table 1 of the 2015 review (seed 003), up to ``end``."""
    return text[text.index("Table 1. A summary"):text.index(end)]


@pytest.fixture(scope="module")
def data():
    return load_data()


@pytest.fixture(scope="module")
def counts(data) -> pd.DataFrame:
    return R.reconcile_counts(data)


# ------------------------------------------------------------------ published counts (seeds)

@pytest.mark.parametrize("review", list(TOTALS))
def test_published_totals_against_seed(shared, counts, review):
    k, n = _totals(shared, review)
    row = counts.loc[review]
    assert (row["published_studies"], row["published_participants"]) == (k, n)


def test_2012_counts_against_seed(shared, data, counts):
    text = _seed(shared, "001")
    k, n = _totals(shared, "cochrane2012")
    row = counts.loc["cochrane2012"]
    # identified + unidentified = published (the two unnamed trials are placeholders)
    assert row["accounted_studies"] == k
    assert row["identified_participants"] + row["unidentified_participants"] == n
    assert row["unidentified_studies"] == 2
    assert row["unidentified_participants"] > 0  # the 16 left for the two unnamed trials
    excl = re.search(r"They excluded (\w+) trials", text)
    assert int(data.reviews.set_index("review_id").at["cochrane2012", "n_excluded"]) == _num(excl.group(1))


def test_2012_unidentified_trials_are_the_ones_the_abstract_names(shared, data):
    text = _seed(shared, "001").lower()
    m = R.membership(data)
    unid = m[(m["review_id"] == "cochrane2012") & (m["identification"] == "unidentified")]
    st = data.studies.set_index("study_id")
    drugs = sorted(str(st.at[s, "intervention"]).lower() for s in unid["study_id"])
    assert drugs == ["eculizumab", "infliximab"]
    assert all(d in text for d in drugs)


def test_2015_counts_against_seed(shared, data, counts):
    text = _seed(shared, "003")
    k, n = _totals(shared, "sr2015")
    row = counts.loc["sr2015"]
    assert (row["identified_studies"], row["identified_participants"]) == (k, n)
    assert row["unidentified_studies"] == 0
    ex = re.search(r"(\w+) studies were excluded after full assessment", text)
    rs = data.review_studies
    assert (rs[rs["review_id"] == "sr2015"]["inclusion"] == "excluded").sum() == _num(ex.group(1))
    # 13 from the search + 1 from hand-searching = short-listed
    assert len(data.sr2015_studies) == 14
    assert re.search(r"Thirteen were selected as potentially relevant, and one further", text)


def test_2015_oddis_200_in_table1_152_in_table2(shared, data):
    text = _seed(shared, "003")
    t1 = _table1(text, "Table 2. Baseline")
    t2 = text[text.index("Table 2. Baseline"):text.index("Table 3. Summary")]
    assert re.search(r"Oddis et al 2013 .{0,60}?\b200\b", t1)
    assert re.search(r"Oddis et al\. 2013 .{0,10}?\b152\b", t2)
    sr = data.sr2015_studies.set_index("study_id")
    assert int(sr.at["Oddis2013", "n_cases"]) == 200
    assert int(sr.at["Oddis2013", "n_analysed"]) == 152
    rs = data.review_studies.set_index(["review_id", "study_id"])
    assert int(rs.loc[("sr2015", "Oddis2013"), "n_analysed"]) == 152


def test_2025_counts_against_seed(shared, data, counts):
    k, n = _totals(shared, "cochrane2025")
    row = counts.loc["cochrane2025"]
    assert row["accounted_studies"] == k
    assert row["identified_participants"] + row["possible_participants"] + row["unidentified_participants"] == n
    assert row["unidentified_studies"] >= 1 and row["unidentified_participants"] > 0
    # the unidentified studies are shown as such in the overlap matrix
    mat = R.overlap_matrix(data)
    assert (mat["cochrane2025"] == "included_unidentified").sum() == row["unidentified_studies"]
    assert (mat["cochrane2012"] == "included_unidentified").sum() == counts.loc["cochrane2012", "unidentified_studies"]


def test_ivig_participants_2025_against_seed(shared, data):
    text = _seed(shared, "000")
    m = re.search(r"Three studies \((\d+) people\) assessed the effect of intravenous immunoglobulin", text)
    assert m
    acc = R.ivig_accumulation(data)
    assert int(acc.loc[acc["cochrane2025"], "n_randomised"].sum()) == int(m.group(1)) == 136
    assert int(acc["cochrane2025"].sum()) == 3
    # 2012: one IVIg trial (the abstract: "one study, investigating intravenous immunoglobulin")
    assert "one study, investigating intravenous immunoglobulin (IVIg)" in _seed(shared, "001")
    assert int(acc["cochrane2012"].sum()) == 1


def _table1_jadad(text: str, sr: pd.DataFrame) -> dict[str, int]:
    """Jadad score per study parsed from Table 1 of seed 003: each row runs from the study's
    label + year to the next row; the score is the last stand-alone digit 0-5 in the row."""
    t1 = _table1(text, "a. Excluded")
    starts = []
    for _, r in sr.iterrows():
        name = re.sub(r"^The ", "", str(r["sr_label"])).split(" et al")[0].rstrip(".")
        pat = re.escape(name) + r"\.?(?: et(?: al\.?)?)?(?: ?[a-d])? " + str(int(r["sr_year"])) + r"\b"
        hits = [mm.start() for mm in re.finditer(pat, t1)]
        assert len(hits) == 1, f"{r['study_id']}: {len(hits)} matches for {pat!r} in Table 1"
        starts.append((hits[0], r["study_id"]))
    starts.sort()
    out = {}
    for i, (pos, sid) in enumerate(starts):
        end = starts[i + 1][0] if i + 1 < len(starts) else len(t1)
        seg = t1[pos:end]
        digits = re.findall(r"(?<![\w-])([0-5])(?![\w-])", seg)
        out[sid] = int(digits[-1])
    return out


def test_jadad_scores_against_table1(shared, data):
    text = _seed(shared, "003")
    sr = data.sr2015_studies
    parsed = _table1_jadad(text, sr)
    ours = dict(zip(sr["study_id"], sr["jadad"].astype(int)))
    assert parsed == ours
    assert len(parsed) == 14


def test_excluded_2015_are_the_footnoted_ones(shared, data):
    text = _seed(shared, "003")
    t1 = _table1(text, "a. Excluded")
    footnoted = set()
    for m in re.finditer(r"([A-Z][a-z]+) et al\. ?a (\d{4})", t1):
        footnoted.add((m.group(1), int(m.group(2))))
    assert footnoted == {("Bunch", 1981), ("Miller", 2002), ("Hengstman", 2007)}
    sr = data.sr2015_studies
    ours = {(str(r["sr_label"]).split()[0], int(r["sr_year"])) for _, r in sr[~sr["included"].astype(bool)].iterrows()}
    assert ours == footnoted


# ------------------------------------------------------------------ data consistency

def test_review_tables_agree(data):
    rs = data.review_studies
    sr = data.sr2015_studies
    inc15 = set(rs[(rs["review_id"] == "sr2015") & (rs["inclusion"] == "included")]["study_id"])
    assert inc15 == set(sr[sr["included"].astype(bool)]["study_id"])
    exc = rs[rs["inclusion"] == "excluded"]
    assert exc["reason"].notna().all(), "every exclusion needs a reason"
    assert set(rs["study_id"]) <= set(data.studies["study_id"])
    # included with a known size carries a provenance class; unidentified ones are not_available
    inc = rs[rs["inclusion"] == "included"]
    assert inc["n_provenance"].notna().all()
    unid = inc[inc["identification"] == "unidentified"]
    assert (unid["n_provenance"] == "not_available").all() and unid["n_analysed"].isna().all()


def test_not_yet_published_is_after_the_search(data):
    m = R.membership(data)
    rv = data.reviews.set_index("review_id")
    for _, r in m[m["inclusion"] == "not_yet_published"].iterrows():
        assert r["year"] > np.floor(R.search_year(rv.at[r["review_id"], "search_date"])), r["study_id"]
    for _, r in m[m["inclusion"] == "included"].dropna(subset=["year"]).iterrows():
        assert r["year"] <= np.ceil(R.search_year(rv.at[r["review_id"], "search_date"])), r["study_id"]


# ------------------------------------------------------------------ pure helpers

@pytest.mark.parametrize("intervention, comparator, expected", [
    ("IVIg 2.0 g/kg every 4 weeks", "placebo", ["ivig"]),
    ("azathioprine 2 mg/kg/day + prednisone 60 mg/day", "placebo + prednisone", ["aza"]),
    ("ciclosporin A + glucocorticoids", "methotrexate + glucocorticoids", ["mtx", "csa"]),
    ("plasma exchange; leukapheresis", "sham apheresis", ["apheresis"]),
    ("pulsed oral dexamethasone", "daily oral prednisolone", ["steroid"]),
    ("infliximab + methotrexate", "methotrexate", ["mtx", "biologic"]),
    ("tacrolimus", "ciclosporin", ["csa", "other"]),
    (None, "", ["unidentified"]),
])
def test_classify_interventions(intervention, comparator, expected):
    assert R.classify_interventions(intervention, comparator) == expected


def test_search_year():
    assert R.search_year("2011-08") == pytest.approx(2011 + 7 / 12 + 14 / 365.25)
    assert R.search_year("2023-02-03") == pytest.approx(2023 + 1 / 12 + 2 / 365.25)
    with pytest.raises(ValueError, match="2011/08"):
        R.search_year("2011/08")


def test_participants_per_intervention_known_trials(data):
    long = R.participants_by_intervention(data).set_index(["review_id", "intervention"])
    # hand count from the 2015 review's Table 2: IVIg = Dalakas 15 + Miyasaka 26
    assert long.loc[("sr2015", "ivig"), "participants"] == 15 + 26
    assert long.loc[("cochrane2012", "biologic"), "trials_size_unknown"] == 2
    table = R.participants_table(data)
    assert list(table.columns) == ["Intervention", "Cochrane 2012", "SR 2015", "Cochrane 2025"]


def test_methods_table_shape(data):
    t = R.methods_table(data).set_index("Aspect")
    assert list(t.columns) == ["Cochrane 2012", "SR 2015", "Cochrane 2025"]
    assert t.loc["Participants (as published)"].tolist() == ["258", "464", "789"]
    assert t.loc["Quality / risk of bias", "SR 2015"].startswith("Jadad")


def test_cumulative_meta_ends_at_published_result(data):
    """The last step of the cumulative IVIg analysis the page shows pools every study, so it must
    equal the 2025 review's published result to the published precision (disability SMD 0.86,
    0.51 to 1.21, 3 trials, 136 participants)."""
    aid = R.CUMULATIVE_EXAMPLE
    cands = R.cumulative_candidates(data, "ivig").set_index("analysis_id")
    assert bool(cands.at[aid, "qualifies"])
    cm = R.cumulative_meta(data, aid)
    pub = data.published_results.set_index("analysis_id").loc[aid]
    last = cm.iloc[-1]
    assert int(last["k"]) == int(pub["k"]) and int(last["participants"]) == int(pub["participants"])
    for ours, theirs in [("estimate", "estimate"), ("ci_low", "ci_low"), ("ci_high", "ci_high")]:
        assert round(float(last[ours]), 2) == pytest.approx(float(pub[theirs]), abs=0.005)
    assert list(cm["year"]) == sorted(cm["year"])


def test_cumulative_meta_refuses_missing_inputs(data):
    with pytest.raises(ValueError, match="per-study inputs missing"):
        R.cumulative_meta(data, "ivig_disability_sources")


def test_figures_are_white_and_complete(data):
    figs = [R.overlap_figure(data), R.jadad_figure(data), R.ivig_figure(data),
            R.cumulative_figure(R.cumulative_meta(data, R.CUMULATIVE_EXAMPLE))]
    for fig in figs:
        assert isinstance(fig, Figure)
        assert fig.get_facecolor()[:3] == (1.0, 1.0, 1.0)
    ax = figs[0].axes[0]
    assert len(ax.get_yticklabels()) == len(R.overlap_matrix(data))


def test_glue_keys_are_prefixed_and_match_the_published_table(data):
    values = R.glue_values(data)
    assert all(k.startswith("reviews_") for k in values)
    pub = data.published_results.set_index("analysis_id")
    assert values["reviews_pub_ivig_disability_est"] == pytest.approx(float(pub.at["ivig_disability", "estimate"]))
    # abstract: 789; evidence notes: 575 known and Fujisawa 2021 (58); the review's data rows:
    # ISRCTN87782942 with 22 + 22 analysed (analysis 1.7)
    n_isrctn = _isrctn_n(data)
    assert n_isrctn == 44
    assert values["reviews_c2025_unidentified_n"] == 789 - 575 - 58 - n_isrctn
    assert values["reviews_ivig_sr2015_n"] == 15 + 26  # SR 2015 Table 2: Dalakas 15, Miyasaka 26


def test_2012_largest_trial_against_seed(shared, data):
    text = _seed(shared, "001")
    m = re.search(r"the largest had (\d+) participants", text)
    assert m
    rs = data.review_studies
    inc = rs[(rs["review_id"] == "cochrane2012") & (rs["inclusion"] == "included")]
    assert int(pd.to_numeric(inc["n_analysed"]).max()) == int(m.group(1))


def test_2025_identified_against_evidence_notes(shared, data, counts):
    """The evidence notes (written by the data gatherer) give 575 identified, Fujisawa 2021 possible
    (58) and ~156 left; the data rows add ISRCTN87782942 (44)."""
    path = shared / "evidence" / "README.md"
    if not path.is_file():
        pytest.skip(f"{path} is missing")
    text = re.sub(r"\s+", " ", path.read_text(encoding="utf-8"))
    known = re.search(r"Known with good confidence \((\d+) participants\)", text)
    left = re.search(r"About (\d+) participants in [\d–-]+ studies remain unidentified", text)
    possible = re.search(r"Possible: Fujisawa 2021 \((\d+),", text)
    assert known and left and possible
    # Since the notes were written, the review's data rows showed two more included trials: the
    # trial registered as JPRN-UMIN000015469 (probably Fujisawa 2021, the notes' "possible" 58) and
    # ISRCTN87782942 (22 + 22 analysed in analysis 1.7 of the rows).
    n_isrctn = _isrctn_n(data)
    row = counts.loc["cochrane2025"]
    assert row["identified_participants"] == int(known.group(1)) + int(possible.group(1)) + n_isrctn
    assert row["possible_participants"] == 0
    assert row["unidentified_participants"] == int(left.group(1)) - n_isrctn
    assert row["unidentified_studies"] == 2 and row["accounted_studies"] == 16
