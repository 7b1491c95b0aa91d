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
    # Every trial in the review's rows is an included study of the review: ISRCTN87782942 (named
    # only by its registry id) and JPRN-UMIN000015469 (probably Fujisawa 2021) are listed as
    # included too, so the book's list leaves none of the rows' trials out.
    assert out["bg_rows_not_listed"] == "none"
    rs = sel["review_studies"].set_index("study_id")
    mapped = sel["review_study_map"].set_index("review_label").loc[labels, "study_id"]
    assert (rs.loc[mapped, "inclusion"] == "included").all()
