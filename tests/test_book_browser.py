"""A real browser renders the built book: headless Chromium loads every page of _toc.yml.

The pages come from a local HTTP server on 127.0.0.1 (started by the test, stopped after it).
Chromium (Debian's ``chromium`` package, installed by ``.ci/test`` when missing) is driven over the
Chrome DevTools Protocol through ``--remote-debugging-pipe``: a few dozen lines of standard-library
code, no driver package, no browser download.

For every page the test checks the rendered DOM -- a title and an <h1>, every image loaded
(``naturalWidth > 0``), every glued number present and visible, every formula typeset by MathJax,
no glue placeholder, no error trace -- and keeps a full-page screenshot under ``_build/screenshots/<page>.png`` for a person to
look at.

Runs after the clean build (``pytest -m book``). Without Chromium the test is skipped, except when
``BOOK_REQUIRE_BROWSER=1`` or ``CI=true`` (the test command sets the first): then it fails.
"""
from __future__ import annotations

import base64
import fcntl
import functools
import http.server
import json
import os
import re
import shutil
import socketserver
import subprocess
import tempfile
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
    "--remote-debugging-pipe",
]


def chromium_binary() -> str | None:
    for name in (os.environ.get("CHROMIUM"), "chromium", "chromium-browser", "google-chrome"):
        if name and shutil.which(name):
            return shutil.which(name)
    return None


def browser_required() -> bool:
    return os.environ.get("BOOK_REQUIRE_BROWSER") == "1" or os.environ.get("CI") == "true"


# --------------------------------------------------------------------------------------------
# A minimal Chrome DevTools Protocol client over --remote-debugging-pipe
# (Chromium reads NUL-terminated JSON messages on fd 3 and writes its own on fd 4).
# --------------------------------------------------------------------------------------------
class CDPError(RuntimeError):
    pass


class Browser:
    def __init__(self, binary: str):
        self.profile = tempfile.mkdtemp(prefix="book-chromium-")
        # Two pipes, moved to high descriptor numbers (close-on-exec) so that the child can
        # place them on fds 3 and 4 without clobbering anything.
        to_r, to_w = os.pipe()
        from_r, from_w = os.pipe()
        fds = [fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 64) for fd in (to_r, to_w, from_r, from_w)]
        for fd in (to_r, to_w, from_r, from_w):
            os.close(fd)
        child_in, self._to_browser, self._from_browser, child_out = fds

        def _child_fds() -> None:  # runs in the child between fork and exec
            os.dup2(child_in, 3)   # dup2 clears close-on-exec on the copies
            os.dup2(child_out, 4)

        BUILD.mkdir(parents=True, exist_ok=True)
        self.log = open(BUILD / "chromium.log", "wb")  # kept for a post-mortem
        self.proc = subprocess.Popen(
            [binary, *CHROMIUM_FLAGS, f"--user-data-dir={self.profile}", "about:blank"],
            stdin=subprocess.DEVNULL,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            preexec_fn=_child_fds,
            close_fds=False,  # fds 3 and 4 must survive; Python's own fds are non-inheritable
            start_new_session=True,
        )
        os.close(child_in)
        os.close(child_out)
        self._next_id = 0
        self._buffer = b""
        self._messages: list[dict] = []
        self._lock = threading.Lock()
        self._cond = threading.Condition(self._lock)
        self._closed = False
        self._reader = threading.Thread(target=self._read_loop, daemon=True)
        self._reader.start()

    # -- transport ---------------------------------------------------------------------------
    def _read_loop(self) -> None:
        while True:
            try:
                chunk = os.read(self._from_browser, 1 << 16)
            except OSError:
                chunk = b""
            with self._cond:
                if not chunk:
                    self._closed = True
                    self._cond.notify_all()
                    return
                self._buffer += chunk
                while b"\0" in self._buffer:
                    raw, self._buffer = self._buffer.split(b"\0", 1)
                    self._messages.append(json.loads(raw))
                self._cond.notify_all()

    def _wait_for(self, predicate, timeout: float, what: str) -> dict:
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for i, msg in enumerate(self._messages):
                    if predicate(msg):
                        return self._messages.pop(i)
                if self._closed:
                    raise CDPError(f"Chromium closed the pipe while waiting for {what}")
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"no answer from Chromium within {timeout:.0f} s: {what}")
                self._cond.wait(left)

    def send(self, method: str, params: dict | None = None, session: str | None = None,
             timeout: float = 30.0) -> dict:
        self._next_id += 1
        msg_id = self._next_id
        msg = {"id": msg_id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        try:
            os.write(self._to_browser, json.dumps(msg).encode() + b"\0")
        except OSError as exc:
            raise CDPError(f"cannot send {method} to Chromium ({exc}); see "
                           f"{BUILD / 'chromium.log'}") from exc
        reply = self._wait_for(lambda m: m.get("id") == msg_id, timeout, method)
        if "error" in reply:
            raise CDPError(f"{method}: {reply['error']}")
        return reply.get("result", {})

    def wait_event(self, method: str, session: str, timeout: float) -> dict:
        return self._wait_for(
            lambda m: m.get("method") == method and m.get("sessionId") == session,
            timeout, method)

    def drop_events(self, session: str) -> None:
        with self._cond:
            self._messages = [m for m in self._messages
                              if "id" in m or m.get("sessionId") != session]

    # -- pages -------------------------------------------------------------------------------
    def new_page(self) -> str:
        target = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.send("Target.attachToTarget",
                            {"targetId": target, "flatten": True})["sessionId"]
        self.send("Page.enable", session=session)
        self.send("Runtime.enable", session=session)
        self.send("Emulation.setDeviceMetricsOverride",
                  {"width": 1280, "height": 900, "deviceScaleFactor": 1, "mobile": False},
                  session=session)
        return session

    def goto(self, session: str, url: str, timeout: float = PAGE_TIMEOUT) -> None:
        self.drop_events(session)
        result = self.send("Page.navigate", {"url": url}, session=session, timeout=timeout)
        if result.get("errorText"):
            raise CDPError(f"navigation to {url} failed: {result['errorText']}")
        self.wait_event("Page.loadEventFired", session, timeout)

    def evaluate(self, session: str, expression: str, timeout: float = 30.0):
        result = self.send("Runtime.evaluate",
                           {"expression": expression, "returnByValue": True,
                            "awaitPromise": True, "timeout": int(timeout * 1000)},
                           session=session, timeout=timeout + 5)
        if "exceptionDetails" in result:
            raise CDPError(f"script failed: {result['exceptionDetails']}")
        return result["result"].get("value")

    def screenshot(self, session: str, path: Path) -> None:
        metrics = self.send("Page.getLayoutMetrics", session=session)
        size = metrics.get("cssContentSize") or metrics["contentSize"]
        height = int(min(max(size["height"], 900), MAX_SHOT_HEIGHT))
        shot = self.send("Page.captureScreenshot",
                         {"format": "png", "captureBeyondViewport": True,
                          "clip": {"x": 0, "y": 0, "width": 1280, "height": height, "scale": 1}},
                         session=session, timeout=60)
        path.write_bytes(base64.b64decode(shot["data"]))

    def close(self) -> None:
        try:
            if self.proc.poll() is None:
                try:
                    self.send("Browser.close", timeout=5)
                except Exception:
                    pass
                try:
                    self.proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    os.killpg(self.proc.pid, 9)  # our own process group (start_new_session)
                    self.proc.wait(timeout=10)
        finally:
            for fd in (self._to_browser, self._from_browser):
                try:
                    os.close(fd)
                except OSError:
                    pass
            self.log.close()
            shutil.rmtree(self.profile, ignore_errors=True)


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
    binary = chromium_binary()
    if binary is None:
        message = ("Chromium is not installed (Debian: apt-get install chromium); "
                   "bash .ci/test installs it")
        if browser_required():
            pytest.fail(message)
        pytest.skip(message)
    b = Browser(binary)
    try:
        # the browser target answers once Chromium is up
        b.send("Browser.getVersion", timeout=60)
        yield b
    finally:
        b.close()


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
    // an explicit horizontal scroll wrapper (mytools.tables.report_html)
    wideTables: Array.from(article.querySelectorAll('table')).filter(t =>
        t.scrollWidth > t.parentElement.clientWidth + 2 &&
        !t.closest('div[style*="overflow-x:auto"]')).map(t => ({
      caption: (t.caption ? t.caption.innerText : (t.querySelector('th') || {}).innerText || '')
                   .trim().slice(0, 80),
      width: t.scrollWidth, room: t.parentElement.clientWidth})),
  };
})()
"""

GLUE_ROLE = re.compile(r"\{glue(?::text)?\}`")


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
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    session = browser.new_page()
    results = {}
    deadline = time.monotonic() + TOTAL_BUDGET
    for page in toc_pages():
        url = f"{server}/{page}.html"
        if time.monotonic() > deadline:
            results[page] = {"error": f"{url}: not loaded, the browser checks ran out of their "
                                      f"{TOTAL_BUDGET:.0f} s budget"}
            continue
        try:
            browser.goto(session, url)
            browser.evaluate(session, SETTLE % {"settle_ms": 20000}, timeout=40)
            # the page as a reader first sees it (collapsed solutions stay collapsed)
            browser.screenshot(session, SCREENSHOTS / (page.replace("/", "__") + ".png"))
            results[page] = browser.evaluate(session, DOM_PROBE, timeout=40)
        except (CDPError, TimeoutError) as exc:
            results[page] = {"error": f"{url}: {exc}"}
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
    in_html = len(re.findall(r'class="pasted-(?:text|inline)', (HTML / f"{page}.html").read_text(
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
    shot = SCREENSHOTS / (page.replace("/", "__") + ".png")
    if not shot.exists() or shot.stat().st_size < 1000:
        problems.append(f"no screenshot written at {shot}")
    assert not problems, f"{page}:\n  " + "\n  ".join(problems)
