"""Adding an analysis is CSV rows plus prose: no code changes (issue #11, CONTRIBUTING.md).

A copy of ``data/`` without analysis 12.1 of the review (tacrolimus vs ciclosporin: its data rows
and its registry row) is loaded: the analysis is nowhere. Its rows are put back — only CSV files
change — and the analysis is pooled, equal to RevMan's own per-study numbers (read from the
review's data rows), and listed on the Data and analyses page.
"""
from __future__ import annotations

import csv
import io
import shutil
from pathlib import Path

import pandas as pd
import pytest

from mytools.analyses import analyses, analysis
from mytools.data import DATA_DIR, load_data
from mytools.data.revman import read_review
from mytools.present import data_analyses as da

NEW_ID = "tac_vs_csa_12_1"
ROWS = "CD015855-data-rows.csv"


def _split(path: Path, keep) -> tuple[str, str]:
    """(file text without the records for which keep() is False, those records as CSV text)."""
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.reader(fh)
        header = next(reader)
        records = list(reader)
    kept, removed = io.StringIO(), io.StringIO()
    for out, rows in ((kept, [r for r in records if keep(header, r)]),
                      (removed, [r for r in records if not keep(header, r)])):
        w = csv.writer(out, lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
        if out is kept:
            w.writerow(header)
        w.writerows(rows)
    return kept.getvalue(), removed.getvalue()


def test_an_analysis_is_added_by_csv_rows_alone(tmp_path):
    directory = tmp_path / "data"
    shutil.copytree(DATA_DIR, directory)
    reg_text, reg_row = _split(directory / "analyses.csv",
                               lambda h, r: r[h.index("analysis_id")] != NEW_ID)
    rows_text, data_rows = _split(directory / ROWS,
                                  lambda h, r: (r[h.index("Analysis group")], r[h.index("Analysis number")]) != ("12", "1"))
    assert reg_row and data_rows, "analysis 12.1 must be in the registry and in the data rows"
    (directory / "analyses.csv").write_text(reg_text, encoding="utf-8")
    (directory / ROWS).write_text(rows_text, encoding="utf-8")

    before = load_data(directory)
    assert NEW_ID not in set(analyses(before)["analysis_id"])
    assert "12.1" not in da.analysis_groups(before.analyses)

    (directory / "analyses.csv").write_text(reg_text + reg_row, encoding="utf-8")
    (directory / ROWS).write_text(rows_text + data_rows, encoding="utf-8")
    after = load_data(directory)
    report = analyses(after).set_index("analysis_id")
    assert report.loc[NEW_ID, "status"] == "recomputed"  # outside the abstract: nothing published
    assert NEW_ID in da.analysis_groups(after.analyses)["12.1"]

    # RevMan's own per-study numbers for 12.1, from the review's (unchanged) data rows
    review = read_review(DATA_DIR / ROWS)
    revman = review.rows[review.rows["analysis"] == "12.1"]
    ours = analysis(NEW_ID, after).result.studies
    est = revman["revman_estimate"].to_numpy()
    ok = ~pd.isna(est)
    assert ok.any()
    assert list(ours["estimate"].to_numpy()[ok]) == pytest.approx(list(est[ok]), abs=5e-6)

