"""Checks on the built book in _build/html (run by `bash .ci/test` after the clean build).

- the clean build itself succeeded without a warning (its log and exit code are kept in _build/);
- every page of _toc.yml was built, with its source's heading as the page title;
- no page shows an error trace, a glue placeholder ("No key ... found in glue data"), a figure
  glued as text ("<Figure size ...>") or stderr output (warnings printed by code);
- every <img> has non-empty alt text;
- every internal link, image and anchor resolves (files and #fragments).
"""
from __future__ import annotations

import functools
import html
import os
import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
# The build folder; BOOK_BUILD_DIR points the checks at another one (e.g. a --path-output build).
BUILD = Path(os.environ.get("BOOK_BUILD_DIR", ROOT / "_build")).resolve()
HTML = BUILD / "html"

pytestmark = pytest.mark.book


def toc_pages() -> list[str]:
    """Every document of _toc.yml, in order (root first), without suffix: 'chapters/ivig'."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    pages = [toc["root"]]

    def walk(entries):
        for entry in entries or []:
            if "file" in entry:
                pages.append(str(Path(entry["file"]).with_suffix("")) if entry["file"].endswith(
                    (".md", ".ipynb")) else entry["file"])
            walk(entry.get("sections"))

    for part in toc.get("parts", []):
        walk(part.get("chapters"))
    walk(toc.get("chapters"))
    return pages


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.ids: set[str] = set()
        self.links: list[tuple[str, str]] = []  # (tag.attr, url)
        self.images: list[dict] = []
        self.text: list[str] = []
        self._skip = 0  # inside <script>/<style>

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        for key in ("id", "name"):
            if a.get(key) and (key == "id" or tag == "a"):
                self.ids.add(a[key])
        if tag == "a" and a.get("href") is not None:
            self.links.append(("a.href", a["href"]))
        if tag == "img":
            self.images.append(a)
            if a.get("src"):
                self.links.append(("img.src", a["src"]))
        if tag == "link" and a.get("href") and a.get("rel") in ("stylesheet", "preload"):
            self.links.append(("link.href", a["href"]))
        if tag == "script" and a.get("src"):
            self.links.append(("script.src", a["src"]))
        if tag in ("script", "style"):
            self._skip += 1

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag in ("script", "style"):
            self._skip -= 1

    def handle_endtag(self, tag):
        if tag in ("script", "style") and self._skip:
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip:
            self.text.append(data)


@functools.lru_cache(maxsize=None)
def parse(path: Path) -> _Page:
    page = _Page()
    page.feed(path.read_text(encoding="utf-8"))
    page.raw = path.read_text(encoding="utf-8")
    return page


def html_path(page: str) -> Path:
    return HTML / f"{page}.html"


@pytest.fixture(scope="session")
def built() -> Path:
    code_file = BUILD / "build.exitcode"
    if code_file.exists() and code_file.read_text().strip() != "0":
        pytest.fail(f"the clean build failed (exit code {code_file.read_text().strip()}); "
                    f"see test_clean_build_succeeded and {BUILD / 'build.log'}")
    if not (HTML / "index.html").exists():
        pytest.fail(f"{HTML / 'index.html'} is missing: these checks run after the clean build "
                    "(bash .ci/test builds the book first)")
    return HTML


def test_clean_build_succeeded():
    """The clean build run by .ci/test: exit code 0 and no Sphinx warning or error in its log."""
    code_file, log_file = BUILD / "build.exitcode", BUILD / "build.log"
    if not code_file.exists():
        if os.environ.get("BOOK_TEST_COMMAND") == "1":
            pytest.fail(f"{code_file} is missing: .ci/test should have written it")
        pytest.skip("not run by .ci/test: no build log to check")
    log = log_file.read_text(encoding="utf-8", errors="replace")
    ansi = re.compile(r"\x1b\[[0-9;]*m")
    problems = [ansi.sub("", line) for line in log.splitlines()
                if re.search(r"\b(WARNING|ERROR|CRITICAL|SEVERE)\b:", line)
                or "Executing notebook failed" in line or "Notebook exception" in line
                or re.search(r"^\S*(Error|Exception)\S*: ", ansi.sub("", line))]
    code = code_file.read_text().strip()
    assert code == "0" and not problems, (
        f"jupyter-book build exited with {code}; problems in {log_file}:\n"
        + "\n".join(problems[:40]))


@pytest.mark.parametrize("page", toc_pages())
def test_toc_page_built(built, page):
    path = html_path(page)
    assert path.exists(), f"{page} is listed in _toc.yml but {path} was not built"
    heading = _source_heading(page)
    title = re.search(r"<title>(.*?)</title>", parse(path).raw, re.S)
    got = html.unescape(title.group(1)) if title else ""
    plain = re.sub(r"^[\d.]+\s+", "", got).translate(_STRAIGHT)  # Sphinx "smartquotes" curls quotes
    assert plain.startswith(heading.translate(_STRAIGHT)), (
        f"{path.name}: the page title {got!r} does not start with the source's heading {heading!r}")


_STRAIGHT = str.maketrans({"‘": "'", "’": "'", "“": '"', "”": '"'})


def _source_heading(page: str) -> str:
    """The first level-1 heading of the page's source (``# Title``): the built page must carry it."""
    for line in (ROOT / f"{page}.md").read_text(encoding="utf-8").splitlines():
        if line.startswith("# "):
            return line[2:].strip()
    pytest.fail(f"{page}.md has no '# ' heading")


# (pattern in the raw HTML, what it means)
FORBIDDEN = [
    ('class="output traceback', "an error trace (a code cell raised an exception)"),
    ("Traceback (most recent call last)", "an error trace"),
    ("found in glue data", "a glue placeholder: 'No key ... found in glue data'"),
    ("&lt;Figure size", "a figure glued or displayed as text ('<Figure size ...>'): the "
                        "notebook probably switched matplotlib to a non-inline backend"),
    ('class="output stderr', "stderr output (a warning or log printed by a code cell)"),
]


@pytest.mark.parametrize("page", toc_pages())
def test_no_error_trace_or_placeholder(built, page):
    path = html_path(page)
    if not path.exists():
        pytest.fail(f"{path} was not built")
    raw = parse(path).raw
    found = [f"{meaning} [{pattern!r}]" for pattern, meaning in FORBIDDEN if pattern in raw]
    assert not found, f"{page}.html shows:\n  " + "\n  ".join(found)


def all_html() -> list[Path]:
    return sorted(p for p in HTML.rglob("*.html") if "_static" not in p.parts)


def test_every_image_has_alt_text(built):
    missing = []
    for path in all_html():
        for img in parse(path).images:
            if not (img.get("alt") or "").strip():
                missing.append(f"{path.relative_to(HTML)}: <img src={img.get('src')!r}>")
    assert not missing, "images without alt text:\n  " + "\n  ".join(missing)


def _resolve(source: Path, url: str) -> tuple[Path | None, str]:
    parts = urlsplit(url)
    if parts.scheme or parts.netloc or url.startswith(("mailto:", "javascript:", "data:")):
        return None, ""
    target = source if not parts.path else (source.parent / unquote(parts.path))
    target = Path(os.path.normpath(target))
    if target.is_dir():
        target = target / "index.html"
    return target, unquote(parts.fragment)


def test_internal_links_and_anchors_resolve(built):
    broken = []
    for path in all_html():
        page = parse(path)
        for kind, url in page.links:
            target, fragment = _resolve(path, url)
            if target is None:
                continue
            where = f"{path.relative_to(HTML)} ({kind}={url!r})"
            try:
                target.relative_to(HTML)
            except ValueError:
                broken.append(f"{where}: points outside the book")
                continue
            if not target.exists():
                broken.append(f"{where}: {target.relative_to(HTML)} does not exist")
            elif fragment and target.suffix == ".html" and fragment not in parse(target).ids:
                broken.append(f"{where}: no element with id {fragment!r} in "
                              f"{target.relative_to(HTML)}")
    assert not broken, f"{len(broken)} broken internal link(s):\n  " + "\n  ".join(broken[:60])
