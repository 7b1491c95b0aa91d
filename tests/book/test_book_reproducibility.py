"""The built reproducibility page shows what analyses() returns and the reviews' published values.

Reads _build/html/chapters/reproducibility.html (or $BOOK_BUILD_DIR/html/...) after the clean build.
"""
from __future__ import annotations

import os
import re
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest

from mytools.analyses import analyses
from mytools.data import DATA_DIR, load_data

ROOT = Path(__file__).resolve().parents[2]
BUILD = Path(os.environ.get("BOOK_BUILD_DIR", ROOT / "_build")).resolve()
PAGE = BUILD / "html" / "chapters" / "reproducibility.html"

pytestmark = pytest.mark.book

_NUM = r"-?\d+\.\d{2}"
_TRIPLE = re.compile(rf"^({_NUM}) \(({_NUM}) to ({_NUM})\)$")


class _Table(HTMLParser):
    """Collect the cells of the <table> with the given id."""

    def __init__(self, table_id: str = "reproducibility-table") -> None:
        super().__init__(convert_charrefs=True)
        self.table_id = table_id
        self.rows: list[list[str]] = []
        self._in = False
        self._cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "table" and dict(attrs).get("id") == self.table_id:
            self._in = True
        elif self._in and tag == "tr":
            self.rows.append([])
        elif self._in and tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag):
        if tag == "table" and self._in:
            self._in = False
        elif self._in and tag in ("td", "th") and self._cell is not None:
            self.rows[-1].append(" ".join("".join(self._cell).split()))
            self._cell = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def _read(table_id: str) -> pd.DataFrame:
    if not PAGE.is_file():
        pytest.fail(f"{PAGE} is missing: these checks run after the clean build of the book")
    parser = _Table(table_id)
    parser.feed(PAGE.read_text(encoding="utf-8"))
    assert parser.rows, f"no <table id='{table_id}'> on the page"
    header, *body = parser.rows
    return pd.DataFrame(body, columns=header)


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    """The report table joined with the page's table of reasons (one row per analysis in each)."""
    main, reasons = _read("reproducibility-table"), _read("reproducibility-reasons")
    assert list(main["analysis"]) == list(reasons["analysis"]), "the two tables list different rows"
    assert list(main["status"]) == list(reasons["status"]), "the two tables disagree on a status"
    return main.assign(reason=list(reasons["reason"]))


def _triple(text: str) -> tuple[float, float, float]:
    m = _TRIPLE.match(text)
    assert m, f"not 'estimate (low to high)': {text!r}"
    return tuple(float(x) for x in m.groups())


def test_fourteen_rows_with_the_statuses_of_analyses(table):
    shown = table[table["#"] != ""].set_index("#")
    assert sorted(int(n) for n in shown.index) == list(range(1, 15))
    report = analyses(load_data())
    for r in report[report["in_abstract"].astype(bool)].itertuples():
        row = shown.loc[str(int(r.abstract_no))]
        assert row["analysis"] == r.analysis_id
        assert row["status"] == r.status
        assert row["inputs"] == r.inputs_provenance
    assert set(table["analysis"]) == set(report["analysis_id"])
    assert report.loc[report["route"] == "review_data", "review_analysis"].nunique() == 51
    assert set(shown["status"]) == {"reproduced"} and set(shown["inputs"]) == {"review_data"}


def test_published_column_shows_the_published_results(table):
    pub = pd.read_csv(DATA_DIR / "published_results.csv")
    pub = pub[pub["review_id"] == "cochrane2025"].set_index("abstract_no")
    shown = table[table["#"] != ""].set_index("#")
    assert len(pub) == 14
    for no, p in pub.iterrows():
        assert _triple(shown.loc[str(int(no)), "published"]) == (p.estimate, p.ci_low, p.ci_high), no


def test_reproduced_rows_show_the_published_numbers_recomputed(table):
    pub = pd.read_csv(DATA_DIR / "published_results.csv").set_index("analysis_id")
    checks = analyses(load_data()).set_index("analysis_id")["checks"]
    for _, row in table[table["status"] == "reproduced"].iterrows():
        ours = _triple(row["recomputed"])
        target = checks[row["analysis"]] if isinstance(checks[row["analysis"]], str) else row["analysis"]
        theirs = (pub.loc[target, "estimate"], pub.loc[target, "ci_low"], pub.loc[target, "ci_high"])
        tol = 0.03 if row["analysis"] == "ivig_cdasi_sources" else 1e-9
        assert all(abs(a - b) <= tol for a, b in zip(ours, theirs)), row["analysis"]
    for _, row in table[table["status"] == "not_reproducible"].iterrows():
        assert row["recomputed"] == "—" and row["reason"].startswith("Not reproducible")
