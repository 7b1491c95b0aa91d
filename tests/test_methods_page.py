"""The built methods page (run after the clean build: ``pytest -m book``).

Checks what the page must show, against numbers written by somebody else: the 2025 review's
published result for IVIg serious adverse events (read from data/published_results.csv), and the
page's structure (figure with alt text, exercises with dropdown solutions, no unresolved glue).
"""
from __future__ import annotations

import csv
import html
import re

import pytest

from test_book_pages import HTML, ROOT

pytestmark = pytest.mark.book

PAGE = HTML / "chapters" / "methods.html"


@pytest.fixture(scope="module")
def page() -> str:
    if not PAGE.is_file():
        pytest.fail(f"{PAGE} is missing: build the book first (bash .ci/build)")
    return PAGE.read_text(encoding="utf-8")


def _text(page: str) -> str:
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S)
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", body)))


def test_published_sae_result_is_stated(page: str) -> None:
    with open(ROOT / "data" / "published_results.csv", encoding="utf-8") as fh:
        row = next(r for r in csv.DictReader(fh)
                   if r["analysis_id"] == "ivig_sae" and r["review_id"] == "cochrane2025")
    est, lo, hi = (float(row[c]) for c in ("estimate", "ci_low", "ci_high"))
    text = _text(page)
    assert re.search(rf"published {est:.2f} \( ?{lo:.2f} to {hi:.2f} ?\)", text), \
        "the page must state the published RR and CI of IVIg serious adverse events"


def test_figure_has_alt_text_stating_the_result(page: str) -> None:
    imgs = re.findall(r"<img\b[^>]*>", page)
    lab = [i for i in imgs if "_images/" in i]
    assert lab, "the simulation figure is missing"
    for img in lab:
        alt = re.search(r'alt="([^"]*)"', img)
        assert alt and "coverage" in alt.group(1).lower(), img[:200]


def test_exercises_and_solutions(page: str) -> None:
    assert page.count('class="exercise admonition"') >= 5
    assert page.count('class="solution dropdown admonition"') >= 5
    text = _text(page)
    assert "{glue:" not in text and "glue:text" not in text
    assert "How to report this" in text
