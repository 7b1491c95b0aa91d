"""No launch or download button leads to an error (issue #13): each one is followed offline.

Reads the built pages in _build/html (after the clean build, `pytest -m book`). For every page of
_toc.yml, every button of the page's header is classified and followed as far as it can be
without a network:

- download buttons (`.md` source, executed `.ipynb`): the file exists in the built book; the
  `.md` is the page's source; the `.ipynb` is a notebook (nbformat 4) whose code cells ran
  (execution counts) with no error output;
- the Binder button: `https://mybinder.org/v2/gh/<org>/<repo>/<branch>?urlpath=lab/tree/<file>`
  with the repository and branch of _config.yml, a <file> that is the page's own source in the
  repository, and a `.binder/` that exists (what Binder would build);
- the repository and issue buttons point to the repository of _config.yml;
- no Colab button (Colab cannot open .md files; the chapters are MyST .md);
- the print-to-PDF button calls `window.print()`.
Any other button or link in the header's dropdowns fails the test until it is classified here.
"""
from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
import yaml

from test_book_pages import HTML, ROOT, built, toc_pages  # noqa: F401 (fixture)

pytestmark = pytest.mark.book

CONFIG = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
REPO = CONFIG["repository"]["url"].rstrip("/")
BRANCH = CONFIG["repository"].get("branch", "main")
DROPDOWN_ITEM = re.compile(r'<(a|button)\b([^>]*\bclass="[^"]*dropdown-item[^"]*"[^>]*)>', re.S)


def header_buttons(page: str) -> list[dict]:
    raw = (HTML / f"{page}.html").read_text(encoding="utf-8")
    buttons = []
    for tag, attrs in DROPDOWN_ITEM.findall(raw):
        get = lambda name: (m.group(1) if (m := re.search(rf'\b{name}="([^"]*)"', attrs)) else "")
        buttons.append({"tag": tag, "href": get("href").replace("&amp;", "&"),
                        "title": get("title"), "onclick": get("onclick"), "cls": get("class")})
    return buttons


def source_file(page: str) -> Path:
    return ROOT / f"{page}.md"


@pytest.mark.parametrize("page", toc_pages())
def test_every_header_button_can_be_followed(built, page):
    buttons = header_buttons(page)
    assert buttons, f"{page}.html has no header buttons (download, launch, repository)"
    problems, kinds = [], set()
    here = HTML / f"{page}.html"
    for b in buttons:
        href, title = b["href"], b["title"]
        if "colab" in href.lower() or "colab" in title.lower():
            problems.append(f"a Colab button ({href}): Colab cannot open the .md chapters")
        elif "btn-download-pdf-button" in b["cls"]:
            kinds.add("pdf")
            if b["onclick"] != "window.print()":
                problems.append(f"print button does not call window.print(): {b['onclick']!r}")
        elif "btn-download-source-button" in b["cls"] or "btn-download-notebook-button" in b["cls"]:
            target = (here.parent / unquote(urlsplit(href).path)).resolve()
            if not target.is_file():
                problems.append(f"download {href!r}: {target} does not exist")
                continue
            if target.suffix == ".md":
                kinds.add("md")
                if target.read_bytes() != source_file(page).read_bytes():
                    problems.append(f"download {href!r} is not the page's source {page}.md")
            elif target.suffix == ".ipynb":
                kinds.add("ipynb")
                problems += notebook_problems(target)
            else:
                problems.append(f"download {href!r}: unexpected file type")
        elif href.startswith(CONFIG["launch_buttons"]["binderhub_url"]):
            kinds.add("binder")
            problems += binder_problems(href, page)
        elif "btn-source-repository-button" in b["cls"]:
            if href.rstrip("/") != REPO:
                problems.append(f"repository button {href!r} is not {REPO}")
        elif "btn-source-issues-button" in b["cls"]:
            if not href.startswith(REPO + "/issues/new"):
                problems.append(f"issues button {href!r} is not {REPO}/issues/new…")
        else:
            problems.append(f"a header button this test does not know: {b}")
    assert {"md", "pdf"} <= kinds, f"{page}: download buttons missing, found {sorted(kinds)}"
    assert not problems, f"{page}:\n  " + "\n  ".join(problems)


def notebook_problems(path: Path) -> list[str]:
    try:
        nb = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as exc:
        return [f"{path.name} is not JSON: {exc}"]
    problems = []
    if nb.get("nbformat") != 4:
        problems.append(f"{path.name}: nbformat {nb.get('nbformat')}, not 4")
    for i, cell in enumerate(nb.get("cells", [])):
        if cell.get("cell_type") != "code":
            continue
        if cell.get("source") and cell.get("execution_count") is None:
            problems.append(f"{path.name}: code cell {i} was not executed")
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                problems.append(f"{path.name}: code cell {i} has an error output "
                                f"({out.get('ename')}: {out.get('evalue')})")
    return problems


def binder_problems(href: str, page: str) -> list[str]:
    parts = urlsplit(href)
    org_repo = "/".join(urlsplit(REPO).path.strip("/").split("/")[:2])
    expected = f"/v2/gh/{org_repo}/{BRANCH}"
    problems = []
    if parts.path.rstrip("/") != expected:
        problems.append(f"Binder URL path {parts.path!r}, expected {expected!r}")
    urlpath = parse_qs(parts.query).get("urlpath", [""])[0]
    m = re.fullmatch(r"lab/tree/(.+)", urlpath)
    if not m:
        problems.append(f"Binder urlpath {urlpath!r} does not open a file in JupyterLab")
    elif not (ROOT / m.group(1)).is_file() or Path(m.group(1)).with_suffix("").as_posix() != page:
        problems.append(f"Binder opens {m.group(1)!r}, which is not the page's source file")
    if not (ROOT / ".binder" / "requirements.txt").is_file():
        problems.append(".binder/requirements.txt is missing: Binder would not install mytools")
    return problems


def test_no_colab_button_anywhere(built):
    """Colab cannot open .md files: no page may offer it (not even outside the header)."""
    offenders = [p for p in toc_pages()
                 if "colab.research.google.com" in (HTML / f"{p}.html").read_text(encoding="utf-8")]
    assert not offenders, f"pages with a Colab link: {offenders}"


def test_footer_shows_version_date_and_licences(built):
    import tomllib

    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    for page in toc_pages():
        raw = (HTML / f"{page}.html").read_text(encoding="utf-8")
        footer = raw[raw.find('<div class="extra_footer">'):]
        assert re.search(rf"Version {re.escape(version)}, built \d{{4}}-\d{{2}}-\d{{2}}\.", footer), (
            f"{page}: no 'Version {version}, built YYYY-MM-DD.' in the footer")
        assert "creativecommons.org/licenses/by/4.0" in footer and "MIT" in footer, page


def test_landing_page_states_licence_and_how_to_cite(built):
    import tomllib

    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    text = (HTML / "intro.html").read_text(encoding="utf-8")
    assert "How to cite this book" in text and f"version {version}" in text
    assert "CC BY 4.0" in text and "MIT licence" in text
    assert "{{" not in text, "an unresolved MyST substitution on the landing page"


def test_glossary_page_defines_the_terms(built):
    text = (HTML / "chapters" / "glossary.html").read_text(encoding="utf-8")
    ids = set(re.findall(r'id="term-([^"]+)"', text))
    for term in ("SMD", "Hedges-g", "MH", "DL", "HKSJ", "Prediction-interval", "GRADE",
                 "SoF", "MCID", "Crossover-trial", "ITT", "Risk-ratio", "Risk-difference",
                 "Fixed-effect-model", "Random-effects-model", "Forest-plot", "Heterogeneity",
                 "I2", "Inconsistency", "Indirectness", "Imprecision", "Publication-bias",
                 "Risk-of-bias", "HAQ-DI", "MMT-8", "IMACS-definition-of-improvement", "PRINTO", "ALS-FRS",
                 "Number-needed-to-treat", "Continuity-correction", "Unit-of-analysis-error", "Wald-interval",
                 "RoB-1", "Jadad-score", "Funnel-plot", "Small-study-effects", "Egger-s-test"):
        assert term in ids, f"the glossary does not define {term}"
