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
    lab = [i for i in imgs if "_images/" in i or "data:image/svg+xml" in i]
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


def _article(page: str) -> str:
    m = re.search(r"<article\b.*?</article>", page, flags=re.S)
    return _text(m.group(0) if m else page)


def test_teaching_frame(page: str) -> None:
    """Learning objectives open the page, key points close it (issue #13)."""
    text = _article(page)
    assert text.index("Learning objectives") < text.index("Effect measures and pooling")
    assert text.rindex("Key points") > text.index("Exercises")
    assert "Predictions checked" in text and "How the review graded its evidence" in text


def test_computing_exercises_ran_and_checked_published_numbers(page: str) -> None:
    """The three computing exercises' solutions were executed by the build: their printed output is
    on the page, and ProDERM's recomputed Hedges' g equals RevMan's per-study SMD (0.917)."""
    text = _text(page)
    m = re.search(r"ProDERM: g = (\d\.\d{3}).*?RevMan: g = (\d\.\d{3})", text)
    assert m and m.group(1) == m.group(2) == "0.917"
    assert "REML + Hartung-Knapp SMD" in text
    assert re.search(r"none 3 0\.62 0\.37 1\.05", text), "the leave-one-out table starts at the published #14"


def test_no_unconditional_claim_about_revman_defaults(page: str) -> None:
    """The old claim was tested on one- and two-trial results only; the page now states what the
    re-analysis of every result with >= 2 studies shows (REML + HKSJ moves two intervals)."""
    text = _text(page)
    assert "conclusions do not depend on RevMan's defaults" not in text.replace("the review's conclusions do not "
                                                                                  "depend on RevMan's defaults, does "
                                                                                  "not survive", "")
    assert "‘random, REML + HKSJ’ changes 2 of the" in text
