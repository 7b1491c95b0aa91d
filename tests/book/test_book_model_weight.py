"""The model's weight is shown where the answer is read (built pages, issue #20).

References: the issue's measurement on release 0.2 (IVIg strength, fixed effect 0.43 to 1.13,
REML + Hartung–Knapp −0.34 to 1.86) and the review's abstract (its words, quoted on the page).
"""
from __future__ import annotations

import html
import re
from pathlib import Path

import pytest

from test_book_pages import HTML

pytestmark = pytest.mark.book


def _text(page: str) -> str:
    path = HTML / f"{page}.html"
    if not path.is_file():
        pytest.skip(f"{path} not built")
    raw = re.sub(r"<(script|style)\b.*?</\1>", " ", path.read_text(encoding="utf-8"), flags=re.S)
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", raw)))


@pytest.mark.parametrize("page", ["chapters/bottom-line", "chapters/ivig", "chapters/few-trials"])
def test_ivig_strength_disagreement_is_said_where_the_answer_is_read(page):
    text = _text(page)
    assert "For muscle strength the models disagree about no effect" in text
    assert "0.43 to 1.13" in text and "\u22120.34 to 1.86" in text


def test_methotrexate_page_shows_the_narrow_and_the_floored_hksj():
    text = _text("chapters/methotrexate")
    assert "Hartung–Knapp interval (0.41 to 0.99) is narrower than the review's (0.37 to 1.05)" in text
    assert "Floored at one, the interval runs 0.20 to 1.98" in text


def test_few_trials_page_has_the_words_table_and_thresholds():
    text = _text("chapters/few-trials")
    for quote in ("may occur slightly more frequently with methotrexate",
                  "little or no difference between IVIg and placebo in withdrawals"):
        assert quote in text
    assert "RR below 0.75 or above 1.25" in text and "Guyatt" in text


def test_data_and_analyses_lists_every_pooled_result_with_random_effects():
    text = _text("chapters/data-and-analyses")
    assert "Random effects and prediction for every pooled result" in text
    assert "1.4 " in text and "\u22120.34 to 1.86" in text
