"""The reconstruction's predictions against the review's own data rows, read here directly with
pandas (not through the book's pipeline), and the evidence notes' reading (#7, #11, #13 exact; #5
right on the counts but not on the study; the CDASI SDs close)."""
from __future__ import annotations

import pandas as pd
import pytest

from mytools.data import DATA_DIR, load_data
from mytools.teaching.predictions import VERDICTS, predictions, sd_from_ci


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    return predictions(load_data()).set_index("prediction")


@pytest.fixture(scope="module")
def rows() -> pd.DataFrame:
    df = pd.read_csv(DATA_DIR / "CD015855-data-rows.csv")
    df["a"] = df["Analysis group"].astype(str) + "." + df["Analysis number"].astype(str)
    return df


def _rows_tables(rows: pd.DataFrame, key: str, studies: list[str]) -> str:
    sel = rows[rows["a"] == key].set_index("Study").loc[studies]
    return "; ".join(f"{r['Experimental cases']}/{r['Experimental N']} vs {r['Control cases']}/{r['Control N']}"
                     for _, r in sel.iterrows())


def test_five_predictions_with_verdicts(table):
    assert list(table.index) == ["#5", "#7", "#11", "#13", "CDASI SDs"]
    assert set(table["verdict"]) <= set(VERDICTS)
    assert table["verdict"].to_dict() == {"#5": "counts_exact_identity_wrong", "#7": "exact", "#11": "exact",
                                          "#13": "exact", "CDASI SDs": "close"}


def test_counts_are_the_review_rows(table, rows):
    assert table.loc["#5", "review"] == _rows_tables(rows, "1.7", ["ISRCTN87782942"]) == "3/22 vs 1/22"
    assert table.loc["#7", "review"] == _rows_tables(rows, "2.1", ["Bunch 1980"]) == "4/8 vs 3/8"
    assert table.loc["#11", "review"] == _rows_tables(rows, "3.4", ["PROMETHEUS"]) == "12/14 vs 11/13"
    assert table.loc["#13", "review"] == _rows_tables(rows, "3.5", ["PRINTO", "PROMETHEUS"])
    for p in ("#5", "#7", "#11", "#13"):
        assert table.loc[p, "predicted"] == table.loc[p, "review"], p
        assert table.loc[p, "n_solutions"] == 1 and table.loc[p, "n_candidates"] > 1000


def test_5_named_the_wrong_study(table):
    row = table.loc["#5"]
    assert row["predicted_study"] == "Miyasaka2012"
    assert row["review_label"] == "ISRCTN87782942" and row["review_study"] == "ISRCTN87782942"
    assert row["counts_match"] and not row["identity_match"]


def test_cdasi_sds_are_close_not_equal(table, rows):
    row = table.loc["CDASI SDs"]
    r = rows[(rows["a"] == "1.6") & (rows["Subgroup number"] == 1)].iloc[0]
    assert row["review_value_intervention"] == r["Experimental SD"] == 10.728481
    assert row["review_value_control"] == r["Control SD"] == 7.404353
    assert row["predicted"] == "10.8; 7.4" and row["review"] == "10.73; 7.40"
    assert 0 < row["largest_relative_difference"] < 0.01


def test_sd_from_ci_hand_computed():
    """√47 · (−6.19 + 12.52) / (2 · 2.012896) with t(0.975, 46) = 2.012896 (tables)."""
    assert sd_from_ci(-12.52, -6.19, 47) == pytest.approx(47 ** 0.5 * 6.33 / (2 * 2.012896), rel=1e-6)
