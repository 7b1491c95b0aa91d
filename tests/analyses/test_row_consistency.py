"""The 2025 review's rows disagree with themselves for ProDERM's HAQ placebo arm (issue #21):
mean 0.16 (SD 0.344389) in analysis 1.1 and 0.2 (SD 0.34) in analysis 1.2. The expected values are
read from the CSV with the csv module, independently of mytools."""
from __future__ import annotations

import csv

from mytools.analyses.row_consistency import arm_disagreements
from mytools.data import DATA_DIR, load_data


def _raw(analysis: str, study: str) -> dict:
    with (DATA_DIR / "CD015855-data-rows.csv").open(encoding="utf-8", newline="") as fh:
        for r in csv.DictReader(fh):
            if f"{r['Analysis group']}.{r['Analysis number']}" == analysis and r["Study"] == study:
                return r
    raise AssertionError(f"no row {analysis} {study}")


def test_proderm_haq_placebo_arm_differs_between_1_1_and_1_2():
    rows = load_data().review("cochrane2025").rows
    out = arm_disagreements(rows, "ProDERM", ["1.1", "1.2"])
    a, b = _raw("1.1", "ProDERM"), _raw("1.2", "ProDERM")
    assert a["Control mean"] != b["Control mean"]
    assert out[["arm", "quantity"]].values.tolist() == [["control", "mean"]]
    assert out.loc[0, "value_a"] == float(a["Control mean"]) and out.loc[0, "value_b"] == float(b["Control mean"])


def test_rounding_alone_is_not_a_disagreement():
    rows = load_data().review("cochrane2025").rows
    # Dalakas 1993 SD 6.157493022 in 1.1 and 6.16 in 1.2: the same number to 2 decimals
    assert float(_raw("1.1", "Dalakas 1993")["Control SD"]) != float(_raw("1.2", "Dalakas 1993")["Control SD"])
    for study in ("Dalakas 1993", "NCT00335985"):
        assert arm_disagreements(rows, study, ["1.1", "1.2"]).empty
