"""The background page's comparison of the review's data rows with the book's list of included
studies (``present.trial_counts.rows_vs_list``), on the real data: the expected labels are read from the
review's data rows with the csv module, independently of mytools."""
from __future__ import annotations

import csv

from mytools.data import DATA_DIR, load_data
from mytools.present.trial_counts import rows_vs_list


def test_rows_vs_list_on_the_review_data():
    with (DATA_DIR / "CD015855-data-rows.csv").open(encoding="utf-8", newline="") as fh:
        labels = list(dict.fromkeys(r["Study"] for r in csv.DictReader(fh)))
    data = load_data()
    sel = {t: getattr(data, t)[getattr(data, t)["review_id"] == "cochrane2025"]
           for t in ("review_study_map", "review_studies")}
    out = rows_vs_list(data.review("cochrane2025").rows, sel["review_study_map"],
                       sel["review_studies"], data.studies, "bg")
    assert out["bg_rows_k"] == len(labels)
    # SOURCE.md: ISRCTN87782942 could not be identified; JPRN-UMIN000015469 is probably Fujisawa
    # 2021 (inferred): neither is marked included in the book's reconstructed list
    assert {"ISRCTN87782942", "JPRN-UMIN000015469"} <= set(out["bg_rows_not_listed"].split(", "))
    assert set(out["bg_rows_not_listed"].split(", ")) <= set(labels)
