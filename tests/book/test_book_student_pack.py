"""The built book offers the students' pack (issue #21): the teaching guide's and the data page's
links resolve, inside the built site, to a zip that opens and holds the data package's files, the
README with the configured install line, and the starter notebook."""
from __future__ import annotations

import json
import os
import zipfile
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
BUILD = Path(os.environ.get("BOOK_BUILD_DIR", ROOT / "_build")).resolve()
HTML = BUILD / "html"

pytestmark = pytest.mark.book


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag, attrs):
        href = dict(attrs).get("href")
        if tag == "a" and href:
            self.hrefs.append(href)


def zip_links(page: str) -> list[Path]:
    path = HTML / f"{page}.html"
    if not path.is_file():
        pytest.fail(f"{path} is missing: build the book first (bash .ci/build)")
    parser = _Links()
    parser.feed(path.read_text(encoding="utf-8"))
    return [(path.parent / unquote(urlsplit(h).path)).resolve() for h in parser.hrefs
            if urlsplit(h).path.endswith(".zip") and not urlsplit(h).scheme]


@pytest.mark.parametrize("page", ["chapters/teaching-guide", "chapters/data"])
def test_page_links_the_students_pack_and_it_opens(page):
    links = zip_links(page)
    assert links, f"{page}.html has no link to the students' zip"
    pkg = json.loads((ROOT / "data" / "datapackage.json").read_text(encoding="utf-8"))
    url = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))["repository"]["url"]
    for target in links:
        assert HTML in target.parents, f"{target} is outside the built site"
        assert target.is_file(), f"{page}.html links {target}, which is not in the build"
        with zipfile.ZipFile(target) as zf:
            assert zf.testzip() is None
            names = {n.split("/", 1)[1] for n in zf.namelist()}
            readme = zf.read("iim-student-pack/README.txt").decode("utf-8")
            nb = json.loads(zf.read("iim-student-pack/starter.ipynb"))
        assert {f"data/{r['path']}" for r in pkg["resources"]} <= names
        assert {"README.txt", "starter.ipynb", "data/datapackage.json"} <= names
        assert f'pip install "git+{url}"' in readme
        assert nb["nbformat"] == 4 and any(c["cell_type"] == "code" for c in nb["cells"])
