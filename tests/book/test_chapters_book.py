"""Checks on the BUILT evidence chapters (run after the clean build: ``pytest -m book``).

Each forest-plot caption prints the recomputed and the published result side by side. For every
analysis whose status is ``reproduced``, the two must agree within the registry's tolerance; the
published numbers are read from data/published_results.csv (the review's abstract), not from
our own output.
"""
from __future__ import annotations

import re
from html import unescape
from pathlib import Path

import pytest

pytestmark = pytest.mark.book

ROOT = Path(__file__).resolve().parents[2]
HTML = ROOT / "_build" / "html" / "chapters"
PAGES = ["background", "ivig", "azathioprine", "methotrexate"]
NUM = r"(−?-?\d+\.\d+)"
CAPTION = re.compile(
    r"Recomputed[^.]*?(?:ratio|difference)\s+" + NUM + r"\s+\(95% CI\s+" + NUM + r"\s+to\s+" + NUM
    + r"\);\s+published\s+" + NUM + r"\s+\(" + NUM + r"\s+to\s+" + NUM + r"\)")


def _text(page: str) -> str:
    path = HTML / f"{page}.html"
    if not path.exists():
        pytest.skip(f"{path} not built; run the clean build first")
    html = path.read_text(encoding="utf-8")
    text = re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html)))
    return re.sub(r"\(\s+", "(", re.sub(r"\s+([);,])", r"\1", text))


def _f(s: str) -> float:
    return float(s.replace("−", "-"))


@pytest.mark.parametrize("page", PAGES)
def test_every_image_has_alt_text_stating_a_result(page):
    path = HTML / f"{page}.html"
    if not path.exists():
        pytest.skip("book not built")
    html = path.read_text(encoding="utf-8")
    figs = [m for m in re.finditer(r"<img\b[^>]*>", html)
            if re.search(r"data:image/(png|svg\+xml)", m.group(0))]  # figures are inline SVG (or PNG)
    assert figs, f"{page}: no figure rendered"
    for m in figs:
        alt = re.search(r'alt="([^"]*)"', m.group(0))
        assert alt and len(alt.group(1)) > 40, f"{page}: figure without a meaningful alt text"


def test_reproduced_results_equal_the_published_ones_in_the_html():
    from mytools.analyses import analyses
    from mytools.data import load_data

    data = load_data()
    reg = analyses(data).set_index("analysis_id")
    pub = data.published_results.set_index("analysis_id")
    checked = 0
    for page in ["ivig", "azathioprine", "methotrexate"]:
        text = _text(page)
        for aid in reg.index[reg["status"] == "reproduced"]:
            if aid not in pub.index:
                continue
            p = pub.loc[aid]
            for m in CAPTION.finditer(text):
                rec = [_f(x) for x in m.groups()[:3]]
                published = [_f(x) for x in m.groups()[3:]]
                if [round(v, 2) for v in published] != [round(p["estimate"], 2),
                                                       round(p["ci_low"], 2), round(p["ci_high"], 2)]:
                    continue
                tol = float(reg.loc[aid, "tolerance"]) if reg.loc[aid, "tolerance"] == reg.loc[aid, "tolerance"] else 0.01
                for r, q in zip(rec, published):
                    assert abs(r - q) <= tol + 1e-9, f"{aid}: recomputed {rec} vs published {published}"
                checked += 1
    assert checked >= 6, f"only {checked} reproduced results found in the chapter captions"
