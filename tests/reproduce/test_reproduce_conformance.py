"""Conformance with RevMan on reviews nobody tuned for (#23).

Each fixed RevMan behaviour is tested against RevMan's own numbers in a row of the six hard
reviews (../shared/fixtures/pairwise70-hard/, Pairwise70, MIT; what goes wrong in each is in its
SOURCE.md). Each behaviour we do not reproduce yet is named on the report line of every analysis
that meets it; which analyses meet it is decided here from the CSV files themselves (read with
pandas, independently of the readers).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mytools.engine.effects import InputError, continuous_effects
from mytools.reproduce import reproduce
from mytools.reproduce.check import OPEN_CASES

Z = 1.959963984540054


def test_smd_of_three_participants_is_zero_as_revman_shows():
    """RevMan's Hedges correction J = 1 − 3/(4N − 9) is 0 at N = 3, so g = 0 with SE √(N/(n1 n2)).
    CD015331_pub2 1.56, Morrison 2020 (MAPS): −10.77 (SD 3.36, n 2) vs −11.04 (SD 2.99, n 1);
    RevMan's row: Mean 0.000000, CI −2.400456 to 2.400456."""
    es, _ = continuous_effects([-10.77], [3.36], [2], [-11.04], [2.99], [1], measure="SMD",
                               smd="revman")
    assert es.estimable[0] and es.y[0] == 0.0
    half = Z * np.sqrt(es.v[0])
    np.testing.assert_allclose([-half, half], [-2.400456, 2.400456], atol=5e-7)


def test_smd_of_three_participants_is_refused_by_the_exact_correction():
    with pytest.raises(InputError, match="at least 4 participants"):
        continuous_effects([-10.77], [3.36], [2], [-11.04], [2.99], [1], measure="SMD", smd="exact")


@pytest.fixture(scope="module")
def hard_folder(shared: Path) -> Path:
    return shared / "fixtures" / "pairwise70-hard"


@pytest.fixture(scope="module")
def hard(hard_folder: Path) -> pd.DataFrame:
    return reproduce(hard_folder)


def test_cd015331_matches_revman_everywhere(hard: pd.DataFrame):
    """The two analyses with Morrison 2020 (MAPS) (1.56, 1.57) now match, weights included."""
    r = hard[hard["review"] == "CD015331"]
    assert len(r) == 85
    assert (r["status"] == "match").all(), r.loc[r["status"] != "match", ["analysis", "reason"]]
    assert r.loc[r["analysis"].isin(["1.56", "1.57"]), "weights_match"].sum() == \
        r.loc[r["analysis"].isin(["1.56", "1.57"]), "weights_compared"].sum()


def test_cd001920_matches_except_where_revman_left_the_analysis_uncalculated(hard: pd.DataFrame):
    """Line 185 (2.5, ReTrain 2018, events 84 > N 21) is reported and left out, as RevMan does;
    7.11 (one study, Mean/CI/Weight blank in RevMan's row) is 'not computable' with that reason."""
    r = hard[hard["review"] == "CD001920"]
    other = r[r["status"] != "match"]
    assert list(other["analysis"]) == ["7.11"]
    assert other["status"].iloc[0] == "not computable"
    assert "RevMan stored no results" in other["reason"].iloc[0]
    assert r.loc[r["analysis"] == "2.5", "status"].iloc[0] == "match"
    assert any(w["line"] == 185 and w["analysis"] == "2.5" for w in hard.attrs["warnings"])


def _open_cases(folder: Path) -> dict[tuple[str, str], set[str]]:
    """(review, analysis) → the open cases its rows meet, from the CSV files."""
    out: dict[tuple[str, str], set[str]] = {}
    for f in sorted(folder.glob("*-data-rows.csv")):
        d = pd.read_csv(f)
        review = f.name.split("_")[0].split("-")[0]
        an = d["Analysis group"].astype(str) + "." + d["Analysis number"].astype(str)
        split = d["Applicability"].fillna("SUBGROUP_AND_OVERALL") != "SUBGROUP_AND_OVERALL"
        a, n1 = d["Experimental cases"], d["Experimental N"]
        c, n2 = d["Control cases"], d["Control N"]
        every = (a == n1) & (c == n2) & (a + c > 0)
        for key, flag in (("split", split), ("all_events", every)):
            for x in an[flag].unique():
                out.setdefault((review, x), set()).add(key)
    return out


def test_every_difference_names_the_open_case_it_meets(hard: pd.DataFrame, hard_folder: Path):
    """A line that differs in an analysis with a split multi-arm study, or with a study in which
    every participant had the event in both arms, says so; the cases are found independently."""
    cases = _open_cases(hard_folder)
    diff = hard[hard["status"] == "differs"]
    for _, line in diff.iterrows():
        for case in cases.get((line["review"], line["analysis"]), ()):
            assert OPEN_CASES[case] in line["reason"], (line["review"], line["analysis"], case)
    unnamed = diff[[not cases.get((r, a)) for r, a in zip(diff["review"], diff["analysis"])]]
    # open, not yet named: CD014964's SMD analyses differ from RevMan in the 6th decimal of a few
    # weights and CI limits (e.g. 4.5 Tawfik 2023: weight 50.421995 vs RevMan's 50.421840)
    assert set(unnamed["review"]) <= {"CD014964"}
    assert set(unnamed["measure"]) <= {"SMD"}
