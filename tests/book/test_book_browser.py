"""A real browser renders the built book: headless Chromium loads every page of _toc.yml.

The pages come from a local HTTP server on 127.0.0.1 (started by the test, stopped after it).
Chromium is Debian's ``chromium`` package, driven by Selenium through Debian's ``chromium-driver``
(both installed by ``.ci/test`` when missing; nothing is downloaded at run time).

For every page the test checks the rendered DOM -- a title and an <h1>, every image loaded
(``naturalWidth > 0``), every glued number present and visible, every formula typeset by MathJax,
no table cut off, no glue placeholder, no error trace -- and keeps full-page screenshots for a
person to look at: ``_build/screenshots/<page>.png`` at 1280 px (desktop) and
``_build/screenshots/<page>@390.png`` at 390 px (a phone).

On the phone (390 px, a mobile viewport) it also checks that the page does not scroll sideways
(``document.documentElement.scrollWidth`` ≤ 390 and the layout viewport still 390 px wide: a
mobile browser widens it when content overflows) and that every figure in the article (every
visible ``<img>``, with collapsed blocks opened) lies within the screen and is shown at no less
than :data:`MIN_PHONE_SCALE` of its drawn size. The drawn size is the image's intrinsic width in
CSS px (``naturalWidth``): for the book's SVG figures the width they were drawn at (inches × 96),
where their text has its designed size; for a compact phone drawing, that drawing's own width.

Runs after the clean build (``pytest -m book``). Without Chromium the test is skipped, except when
``BOOK_REQUIRE_BROWSER=1`` or ``CI=true`` (the test command sets the first): then it fails.
"""
from __future__ import annotations

import functools
import http.server
import os
import re
import shutil
import socketserver
import threading
import time
from pathlib import Path

import pytest

from test_book_pages import BUILD, HTML, ROOT, built, toc_pages  # noqa: F401 (fixture)

pytestmark = pytest.mark.book

SCREENSHOTS = BUILD / "screenshots"
PAGE_TIMEOUT = 60.0  # seconds for one page to load
TOTAL_BUDGET = 420.0  # seconds for all pages together; later pages fail instead of hanging CI
MAX_SHOT_HEIGHT = 12000  # px; longer pages are cut (the DOM checks still cover the whole page)
WIDTHS = {"desktop": 1280, "phone": 390}  # screenshot widths (CSS px)
MIN_PHONE_SCALE = 0.7  # a figure on a phone: shown width / drawn (intrinsic) width, at least

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--disable-dev-shm-usage",
    "--mute-audio",
    "--hide-scrollbars",
    # Only the local server is reachable: every other host fails at once instead of hanging
    # (CI has no network; CDN scripts such as MathJax simply do not load there).
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
    "--window-size=1280,900",
]


def chromium_binary() -> str | None:
    for name in (os.environ.get("CHROMIUM"), "chromium", "chromium-browser", "google-chrome"):
        if name and shutil.which(name):
            return shutil.which(name)
    return None


def chromedriver_binary() -> str | None:
    for name in (os.environ.get("CHROMEDRIVER"), "chromedriver"):
        if name and shutil.which(name):
            return shutil.which(name)
    return None


def browser_required() -> bool:
    return os.environ.get("BOOK_REQUIRE_BROWSER") == "1" or os.environ.get("CI") == "true"


def chrome_driver(binary: str, driver: str, flags: list[str] = CHROMIUM_FLAGS):
    """Headless Chromium under Selenium with the given binaries (Selenium downloads nothing)."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for flag in flags:
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    BUILD.mkdir(parents=True, exist_ok=True)
    service = Service(driver, log_output=str(BUILD / "chromedriver.log"))
    d = webdriver.Chrome(service=service, options=options)
    d.set_page_load_timeout(PAGE_TIMEOUT)
    d.set_script_timeout(60)
    return d


def set_width(driver, width: int) -> None:
    """Lay the page out at ``width`` CSS px (a phone is 390 px wide, touch and mobile viewport)."""
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
        "width": width, "height": 900, "deviceScaleFactor": 1, "mobile": width < 600})


def screenshot(driver, path: Path, width: int) -> None:
    """A full-page PNG (up to MAX_SHOT_HEIGHT px) through Chromium's own capture command."""
    import base64

    metrics = driver.execute_cdp_cmd("Page.getLayoutMetrics", {})
    size = metrics.get("cssContentSize") or metrics["contentSize"]
    height = int(min(max(size["height"], 900), MAX_SHOT_HEIGHT))
    shot = driver.execute_cdp_cmd("Page.captureScreenshot", {
        "format": "png", "captureBeyondViewport": True,
        "clip": {"x": 0, "y": 0, "width": width, "height": height, "scale": 1}})
    path.write_bytes(base64.b64decode(shot["data"]))


# --------------------------------------------------------------------------------------------
# A local HTTP server for _build/html on 127.0.0.1 (a free port chosen by the OS)
# --------------------------------------------------------------------------------------------
class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:  # keep the test output readable
        pass


@pytest.fixture(scope="module")
def server(built):
    handler = functools.partial(_QuietHandler, directory=str(HTML))
    httpd = socketserver.ThreadingTCPServer(("127.0.0.1", 0), handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.2},
                              daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()
    thread.join(timeout=5)


@pytest.fixture(scope="module")
def browser():
    binary, driver = chromium_binary(), chromedriver_binary()
    missing = [name for name, found in (("chromium", binary), ("chromium-driver", driver),
                                        ("selenium", _has_selenium())) if not found]
    if missing:
        message = (f"{', '.join(missing)} not installed (Debian: apt-get install chromium "
                   "chromium-driver; pip install -r requirements.txt); bash .ci/test installs them")
        if browser_required():
            pytest.fail(message)
        pytest.skip(message)
    d = chrome_driver(binary, driver)
    try:
        yield d
    finally:
        d.quit()


def _has_selenium() -> bool:
    try:
        import selenium  # noqa: F401
    except ImportError:
        return False
    return True


# Wait until the page has settled: document complete and every image finished (loaded or failed).
SETTLE = r"""
(async () => {
  const deadline = Date.now() + %(settle_ms)d;
  document.querySelectorAll('img[loading="lazy"]').forEach(i => { i.loading = 'eager'; });
  while (Date.now() < deadline &&
         (document.readyState !== 'complete' || Array.from(document.images).some(i => !i.complete))) {
    await new Promise(r => setTimeout(r, 100));
  }
  return document.readyState;
})()
"""

# What each page must show, read in the rendered DOM. Collapsed content (exercise solutions in
# dropdowns, <details>) is opened first, as a reader would, so that glued numbers in it count.
DOM_PROBE = r"""
(async () => {
  document.querySelectorAll('button.toggle-button[aria-expanded="false"]').forEach(b => b.click());
  document.querySelectorAll('details:not([open])').forEach(d => { d.open = true; });
  await new Promise(r => setTimeout(r, 300));
  // formulas: wait for MathJax (served from _static, so it works offline) to typeset the page
  if (window.MathJax && MathJax.startup && MathJax.startup.promise) {
    await Promise.race([MathJax.startup.promise, new Promise(r => setTimeout(r, 15000))]);
  }
  const visible = (el) => {
    const r = el.getBoundingClientRect();
    const s = getComputedStyle(el);
    return r.width > 0 && r.height > 0 && s.visibility !== 'hidden' && s.display !== 'none';
  };
  const article = document.querySelector('article') || document.body;
  const glue = Array.from(article.querySelectorAll('.pasted-text, .pasted-inline, p span.output'));
  return {
    title: document.title,
    h1: (article.querySelector('h1') || {}).innerText || '',
    images: Array.from(document.images).map(i => ({
      src: i.getAttribute('src'), alt: i.getAttribute('alt'), complete: i.complete,
      naturalWidth: i.naturalWidth, inArticle: article.contains(i)})),
    glue: glue.map(g => ({text: g.innerText.trim(), visible: visible(g),
                          context: (g.parentElement || g).innerText.trim().slice(0, 120)})),
    text: article.innerText,
    math: {source: article.querySelectorAll('.math').length,
           typeset: article.querySelectorAll('mjx-container').length},
    // tables wider than the block that holds them are cut off for the reader, unless they sit in
    // an explicit horizontal scroll wrapper (mytools.present.tables.report_html)
    wideTables: Array.from(article.querySelectorAll('table')).filter(t =>
        t.scrollWidth > t.parentElement.clientWidth + 2 &&
        !t.closest('div[style*="overflow-x:auto"]')).map(t => ({
      caption: (t.caption ? t.caption.innerText : (t.querySelector('th') || {}).innerText || '')
                   .trim().slice(0, 80),
      width: t.scrollWidth, room: t.parentElement.clientWidth})),
  };
})()
"""

# On a phone: does the page scroll sideways, and is every figure on screen at a legible size?
PHONE_PROBE = r"""
(async () => {
  document.querySelectorAll('button.toggle-button[aria-expanded="false"]').forEach(b => b.click());
  document.querySelectorAll('details:not([open])').forEach(d => { d.open = true; });
  await new Promise(r => setTimeout(r, 300));
  const shown = (el) => {
    const r = el.getBoundingClientRect();
    const s = getComputedStyle(el);
    return r.width > 0 && r.height > 0 && s.visibility !== 'hidden' && s.display !== 'none';
  };
  const article = document.querySelector('article') || document.body;
  const caption = (i) => {
    const f = i.closest('figure');
    const c = f && f.querySelector('figcaption');
    return ((c && c.innerText) || i.getAttribute('alt') || i.getAttribute('src') || '')
        .trim().slice(0, 70);
  };
  return {
    innerWidth: window.innerWidth,
    scrollWidth: document.documentElement.scrollWidth,
    figures: Array.from(article.querySelectorAll('img')).filter(shown).map(i => {
      const r = i.getBoundingClientRect();
      return {what: caption(i), left: r.left, right: r.right, width: r.width,
              drawn: i.naturalWidth, compact: i.classList.contains('mytools-compact')};
    }),
  };
})()
"""

GLUE_ROLE = re.compile(r"\{eval\}`")  # the prose's computed values (README, "Numbers in the prose")


FENCE = re.compile(r"^\s*(`{3,}|~{3,})(.*)$")


def prose_lines(text: str) -> list[str]:
    """The lines of a MyST page outside literal code fences (``` / ```python / ```md ...).

    Lines inside directive fences (```{admonition}, ```{solution} ...) are prose and kept; code
    cells (```{code-cell}) are dropped too, they hold code, not roles.
    """
    kept, stack = [], []  # stack of (fence, literal?)
    for line in text.splitlines():
        m = FENCE.match(line)
        if m:
            fence, info = m.group(1), m.group(2).strip()
            if stack and fence[0] == stack[-1][0][0] and len(fence) >= len(stack[-1][0]) \
                    and not info:
                stack.pop()
                continue
            if not stack or not stack[-1][1]:
                literal = not info.startswith("{") or info.startswith("{code-cell")
                stack.append((fence, literal))
                continue
        if not any(literal for _, literal in stack):
            kept.append(line)
    return kept


def expected_glue(page: str) -> int:
    """How many inline glue roles the page's prose contains (0 for pages without glue).

    Read from the copy of the source that the build used (_build/html/_sources/), so that a page
    edited after the build is compared with what was built.
    """
    source = HTML / "_sources" / f"{page}.md"
    if not source.exists():
        source = ROOT / f"{page}.md"
    if not source.exists():
        return 0
    return len(GLUE_ROLE.findall("\n".join(prose_lines(source.read_text(encoding="utf-8")))))


@pytest.fixture(scope="module")
def rendered(browser, server):
    """Load every page once; return {page: DOM probe result}. Screenshots are written here."""
    from selenium.common.exceptions import WebDriverException

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    results = {}
    deadline = time.monotonic() + TOTAL_BUDGET
    for page in toc_pages():
        url = f"{server}/{page}.html"
        if time.monotonic() > deadline:
            results[page] = {"error": f"{url}: not loaded, the browser checks ran out of their "
                                      f"{TOTAL_BUDGET:.0f} s budget"}
            continue
        name = page.replace("/", "__")
        try:
            set_width(browser, WIDTHS["desktop"])
            browser.get(url)
            browser.execute_script("return " + (SETTLE % {"settle_ms": 20000}).strip())
            # the page as a reader first sees it (collapsed solutions stay collapsed)
            screenshot(browser, SCREENSHOTS / f"{name}.png", WIDTHS["desktop"])
            results[page] = browser.execute_script("return " + DOM_PROBE.strip())
            # the same page loaded afresh on a phone (390 px wide), as a reader would see it there
            set_width(browser, WIDTHS["phone"])
            browser.get(url)
            browser.execute_script("return " + (SETTLE % {"settle_ms": 20000}).strip())
            screenshot(browser, SCREENSHOTS / f"{name}@390.png", WIDTHS["phone"])
            results[page]["phone"] = browser.execute_script("return " + PHONE_PROBE.strip())
        except WebDriverException as exc:
            results[page] = {"error": f"{url}: {exc.msg or exc}"}
    return results


@pytest.mark.parametrize("page", toc_pages())
def test_page_renders_in_chromium(rendered, page):
    result = rendered[page]
    assert "error" not in result, result.get("error")
    problems = []
    if not result["title"].strip():
        problems.append("the page has no <title>")
    if not result["h1"].strip():
        problems.append("the page has no <h1> heading in the article")
    for img in result["images"]:
        if not img["complete"] or img["naturalWidth"] == 0:
            problems.append(f"image did not load: {img['src']}")
        if not (img["alt"] or "").strip():
            problems.append(f"image without alt text: {img['src']}")
    shown = [g for g in result["glue"] if g["text"] and g["visible"]]
    hidden = [g for g in result["glue"] if not (g["text"] and g["visible"])]
    if hidden:
        problems.append(f"{len(hidden)} glued value(s) empty or invisible, e.g. in: "
                        + " | ".join(repr(g["context"]) for g in hidden[:5]))
    # Every glue role resolved (the -W build fails on a missing key); every glued value that the
    # built HTML holds must be visible in the browser, and a page with glue roles must show some.
    in_html = len(re.findall(r'class="output text_plain"', (HTML / f"{page}.html").read_text(
        encoding="utf-8")))
    if len(shown) < in_html:
        problems.append(f"the built page holds {in_html} glued value(s) but only {len(shown)} "
                        "are visible")
    if expected_glue(page) and not shown:
        problems.append(f"the source has {expected_glue(page)} glue role(s) but no glued value "
                        "is visible")
    math = result["math"]
    if math["source"] and math["typeset"] < math["source"]:
        problems.append(f"{math['source']} formula(s) on the page but only {math['typeset']} "
                        "typeset by MathJax (raw TeX is shown)")
    for t in result["wideTables"]:
        problems.append(f"table '{t['caption']}' is {t['width']} px wide in {t['room']} px: the reader "
                        "cannot see all of it (full-width cell tag, or a scroll wrapper)")
    if "found in glue data" in result["text"]:
        problems.append("a glue placeholder ('No key ... found in glue data') is shown")
    if "Traceback (most recent call last)" in result["text"]:
        problems.append("an error trace is shown")
    for suffix in ("", "@390"):
        shot = SCREENSHOTS / (page.replace("/", "__") + suffix + ".png")
        if not shot.exists() or shot.stat().st_size < 1000:
            problems.append(f"no screenshot written at {shot}")
    assert not problems, f"{page}:\n  " + "\n  ".join(problems)


def phone_problems(probe: dict, width: int = WIDTHS["phone"]) -> list[str]:
    """What does not fit a phone ``width`` px wide, from :data:`PHONE_PROBE`'s result."""
    problems = []
    if probe["innerWidth"] > width or probe["scrollWidth"] > width:
        problems.append(f"the page scrolls sideways on a {width}-px phone: it is "
                        f"{max(probe['innerWidth'], probe['scrollWidth'])} px wide")
    for f in probe["figures"]:
        if f["left"] < -1 or f["right"] > width + 1:
            problems.append(f"figure '{f['what']}' runs off the screen ({f['left']:.0f} to "
                            f"{f['right']:.0f} px on a {width}-px screen)")
        if f["drawn"] and f["width"] < MIN_PHONE_SCALE * f["drawn"]:
            problems.append(f"figure '{f['what']}' is shrunk to {f['width'] / f['drawn']:.2f} of its "
                            f"drawn size ({f['width']:.0f} of {f['drawn']} px; at least "
                            f"{MIN_PHONE_SCALE} needed)")
    return problems


def test_phone_checks_can_fail():
    """The phone checks flag a page that scrolls sideways, a figure off screen and a figure
    shrunk below MIN_PHONE_SCALE; a page that fits passes."""
    fits = {"innerWidth": 390, "scrollWidth": 390,
            "figures": [{"what": "compact", "left": 24, "right": 366, "width": 342, "drawn": 346}]}
    assert phone_problems(fits) == []
    wide = {"innerWidth": 442, "scrollWidth": 442, "figures": []}
    assert "scrolls sideways" in phone_problems(wide)[0]
    off = {"innerWidth": 390, "scrollWidth": 390,
           "figures": [{"what": "forest", "left": 24, "right": 923, "width": 899, "drawn": 942}]}
    assert "runs off the screen" in phone_problems(off)[0]
    shrunk = {"innerWidth": 390, "scrollWidth": 390,
              "figures": [{"what": "forest", "left": 24, "right": 366, "width": 342, "drawn": 942}]}
    assert "shrunk to 0.36" in phone_problems(shrunk)[0]


@pytest.mark.parametrize("page", toc_pages())
def test_page_fits_a_phone(rendered, page):
    """At 390 px: no sideways scrolling, every figure on screen at >= 0.7 of its drawn size."""
    result = rendered[page]
    assert "error" not in result, result.get("error")
    problems = phone_problems(result["phone"])
    assert not problems, f"{page} at {WIDTHS['phone']} px:\n  " + "\n  ".join(problems)
