"""The Binder path: a chapter opens in JupyterLab as a notebook, runs, and shows its forest plot.

Run by ``bash .ci/binder-test``, which first builds the environment the way repo2docker does (a
copy of the repository as the home folder; a fresh virtual environment with the versions
repo2docker's base image pins, then ``pip install -r .binder/requirements.txt``) and passes it in
``BINDER_HOME`` and ``BINDER_VENV``. Without them the test is skipped (it is not part of
``.ci/test``: installing the environment takes minutes).

The test starts that environment's JupyterLab on 127.0.0.1 with HOME set to the copy (so
``~/.jupyter/labconfig`` is the repository's, as on Binder) and drives headless Chromium with
Selenium (Debian's chromium and chromium-driver):

1. it opens the URL the book's Binder button opens (``lab/tree/chapters/ivig.md``) and checks that
   the chapter opens as a notebook (a notebook panel with code cells), not in a text editor;
2. it runs all cells (Run menu → Run All Cells) and waits until every code cell has run;
3. it checks that no cell shows an error and that the outputs hold the forest plot (an image that
   loaded, with alt text naming the forest plot);
4. it reads the rendered prose (the Markdown cells, rendered by jupyterlab-myst) and checks that it
   holds no raw MyST markup (roles, directive fences, options) and shows the chapter's key
   numbers: the published estimates its prose shows as {eval}`v["<analysis>_pub_est_t"]`,
   computed here by mytools from the same data (issue #22).
Screenshots (before and after running) are kept in ``_build/screenshots/binder-<chapter>-*.png``.
The chapters: ``chapters/ivig.md`` and ``chapters/methotrexate.md`` (``BINDER_CHAPTER`` picks one).
"""
from __future__ import annotations

import os
import re
import secrets
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "_build" / "screenshots"
#: the chapters opened (issue #22 names these two); BINDER_CHAPTER=chapters/X.md picks one
CHAPTERS = ([os.environ["BINDER_CHAPTER"]] if os.environ.get("BINDER_CHAPTER")
            else ["chapters/ivig.md", "chapters/methotrexate.md"])
RUN_TIMEOUT = 600.0  # seconds for all cells of the chapter to run

pytestmark = pytest.mark.binder


def chrome_driver():
    """Headless Chromium under Selenium: the same driver set-up as the book's browser test."""
    pytest.importorskip("selenium")
    from test_book_browser import chrome_driver as make, chromedriver_binary, chromium_binary

    binary, driver = chromium_binary(), chromedriver_binary()
    if not (binary and driver):
        pytest.fail("chromium and chromium-driver are needed (bash .ci/binder-test installs them)")
    return make(binary, driver)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def lab():
    home, venv = os.environ.get("BINDER_HOME"), os.environ.get("BINDER_VENV")
    if not (home and venv):
        pytest.skip("run by `bash .ci/binder-test`, which builds the Binder environment "
                    "(BINDER_HOME and BINDER_VENV are not set)")
    home, venv = Path(home), Path(venv)
    for chapter in CHAPTERS:
        assert (home / chapter).is_file(), f"{chapter} is not in the Binder home {home}"
    port, token = _free_port(), secrets.token_hex(16)
    env = dict(os.environ, HOME=str(home), PATH=f"{venv / 'bin'}:{os.environ['PATH']}",
               VIRTUAL_ENV=str(venv))
    for key in ("JUPYTER_CONFIG_DIR", "JUPYTER_DATA_DIR", "PYTHONPATH"):
        env.pop(key, None)  # as on Binder: ~/.jupyter and the environment's own paths
    log = open(ROOT / "_build" / "binder" / "jupyterlab.log", "wb")
    proc = subprocess.Popen(
        [str(venv / "bin" / "jupyter"), "lab", "--no-browser", "--ip=127.0.0.1",
         f"--port={port}", f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={home}",
         "--allow-root",  # CI runs as root; Binder runs as an ordinary user
         "--ServerApp.open_browser=False"],
        cwd=home, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while True:
        try:
            urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=5).read()
            break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                pytest.fail(f"JupyterLab did not start; see {log.name}")
            time.sleep(0.5)
    yield base, token
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
    log.close()


# The state of the open chapter, read in the DOM of JupyterLab.
PROBE = r"""
const panel = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden)');
const editor = document.querySelector('.jp-FileEditor:not(.lm-mod-hidden)');
const cells = panel ? Array.from(panel.querySelectorAll('.jp-CodeCell')) : [];
// textContent, not innerText: JupyterLab skips rendering off-screen cells (content-visibility)
const prompts = cells.map(c => (c.querySelector('.jp-InputPrompt') || {}).textContent || '');
// the rendered Markdown cells (jupyterlab-myst), read as text
// (jupyterlab-myst renders into a .myst block; plain JupyterLab into .jp-MarkdownOutput); the
// cell's editor (its source) and formulas' TeX source are not prose
const mdCells = panel ? Array.from(panel.querySelectorAll('.jp-MarkdownCell')) : [];
const prose = mdCells.map(cell => {
    const c = (cell.querySelector('.myst') || cell.querySelector('.jp-RenderedMarkdown') ||
               cell.querySelector('.jp-MarkdownOutput') || cell).cloneNode(true);
    c.querySelectorAll('.cm-editor, .jp-InputArea-editor, .jp-InputPrompt, .jp-Collapser, ' +
                       'annotation, .katex-mathml, mjx-assistive-mml, script, style')
     .forEach(e => e.remove());
    return c.textContent; }).join('\n');
const mdClasses = mdCells.length ? Array.from(mdCells[0].querySelectorAll('*')).slice(0, 25)
    .map(e => e.className && e.className.baseVal === undefined ? e.className : '').join(' | ') : '';
const imgs = panel ? Array.from(panel.querySelectorAll('.jp-OutputArea-output img')) : [];
const errors = panel ? Array.from(panel.querySelectorAll(
    '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]')) : [];
return {
  notebook: !!panel, editor: !!editor,
  tab: (document.querySelector('.lm-TabBar-tab.jp-mod-current .lm-TabBar-tabLabel') || {}).innerText || '',
  codeCells: cells.length,
  executed: prompts.filter(p => /\[\d+\]/.test(p)).length,
  running: prompts.filter(p => p.includes('*')).length,
  // the status bar reads "Python 3 (ipykernel) | Idle" once the kernel is up and idle
  kernelIdle: /\|\s*Idle\b/.test((document.querySelector('#jp-main-statusbar') || {}).innerText || ''),
  status: (document.querySelector('#jp-main-statusbar') || {}).innerText || '',
  images: imgs.map(i => ({alt: i.getAttribute('alt') || '', w: i.naturalWidth, done: i.complete})),
  errors: errors.map(e => e.textContent.slice(0, 400)),
  prose: prose, markdownCells: mdCells.length, mdClasses: mdClasses,
  text: panel ? panel.innerText.slice(0, 200) : (editor ? editor.innerText.slice(0, 200) : ''),
};
"""


#: MyST markup that must not survive rendering: roles ({eval}, {cite:p}, {term} ...), directive
#: fences (```{admonition}, ::::{div}) and directive options (:name:, :class: ...)
RAW_MYST = re.compile(r"\{[a-z][\w-]*(?::[\w-]+)?\}|^\s*:{3,}|^\s*`{3,}|^\s*:(?:name|class|label|"
                      r"tags|alt|figwidth):", re.M)


def key_numbers(chapter: str) -> dict[str, str]:
    """{key: text} for every analysis value the chapter's Markdown cells show as
    {eval}`v["<analysis id>_<field>[:format]"]`, computed here by mytools from the same data and
    formatted by the same :class:`mytools.present.values.Values`."""
    from mytools.analyses import analysis
    from mytools.data import load_data
    from mytools.present.analysis_values import analysis_values
    from mytools.present.values import Values

    source = (ROOT / chapter).read_text(encoding="utf-8")
    source = re.sub(r"```\{code-cell\}.*?\n```", "", source, flags=re.S)  # Markdown cells only
    keys = set(re.findall(r'\{eval\}`v\["([\w]+(?::[^"]*)?)"\]`', source))
    data = load_data()
    ids = sorted(data.analyses["analysis_id"], key=len, reverse=True)
    values = Values()
    for aid in {i for k in keys for i in ids if k.startswith(i + "_")}:
        values.update(analysis_values(analysis(aid, data)))
    return {k: str(values[k]) for k in sorted(keys)
            if dict.__contains__(values, k.split(":")[0])}


def _wait(driver, predicate, timeout: float, what: str) -> dict:
    deadline = time.monotonic() + timeout
    state = {}
    while time.monotonic() < deadline:
        state = driver.execute_script(PROBE)
        if predicate(state):
            return state
        time.sleep(1.0)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}; last state: "
                         f"{ {k: v for k, v in state.items() if k != 'text'} }")


def _run_all_cells(driver) -> None:
    """Run → Run All Cells, as a reader would (JupyterLab's menu bar)."""
    from selenium.webdriver.common.by import By

    deadline = time.monotonic() + 30
    items: list = []
    while time.monotonic() < deadline and not items:
        menus = [m for m in driver.find_elements(By.CSS_SELECTOR, ".lm-MenuBar-item")
                 if m.text.strip() == "Run" and m.is_displayed()]
        assert menus, "JupyterLab has no Run menu"
        menus[0].click()
        time.sleep(1.0)
        items = [i for i in driver.find_elements(By.CSS_SELECTOR, ".lm-Menu-item")
                 if i.get_attribute("data-command") in ("runmenu:run-all", "notebook:run-all-cells")
                 and i.is_displayed()]
        if not items:
            seen = [(i.get_attribute("data-command"), i.text) for i in
                    driver.find_elements(By.CSS_SELECTOR, ".lm-Menu-item")]
            from selenium.webdriver.common.action_chains import ActionChains
            from selenium.webdriver.common.keys import Keys

            ActionChains(driver).send_keys(Keys.ESCAPE).perform()  # close the menu, try again
    assert items, f"no 'Run All Cells' in the Run menu; items seen: {seen[:20]}"
    items[0].click()


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_chapter_opens_as_notebook_runs_and_shows_its_forest_plot(lab, chapter):
    base, token = lab
    stem = Path(chapter).stem
    SHOTS.mkdir(parents=True, exist_ok=True)
    driver = chrome_driver()
    timings = {}
    try:
        t0 = time.monotonic()
        # the URL of the book's Binder button: .../v2/gh/ORG/REPO/BRANCH?urlpath=lab/tree/<page>
        driver.get(f"{base}/lab/tree/{chapter}?token={token}")
        state = _wait(driver, lambda s: s["notebook"] or s["editor"], 120,
                      f"JupyterLab to open {chapter}")
        # a kernel starts with the notebook; wait for it before running
        state = _wait(driver, lambda s: s["editor"] or (s["codeCells"] > 1 and s["kernelIdle"]),
                      180, "the notebook and its kernel")
        timings["open"] = time.monotonic() - t0
        driver.save_screenshot(str(SHOTS / f"binder-{stem}-opened.png"))
        console = [e["message"] for e in driver.get_log("browser")
                   if "jupytext" in e["message"].lower()]
        assert state["notebook"] and not state["editor"], (
            f"{chapter} opened in a text editor, not as a notebook (jupytext's JupyterLab "
            f"extension did not load?); browser console: {console[:5]}")
        assert state["codeCells"] > 0, "the notebook shows no code cell"

        t1 = time.monotonic()
        _run_all_cells(driver)
        n = state["codeCells"]
        # (the notebook may attach more cells after opening: count them again each time)
        state = _wait(driver, lambda s: s["executed"] == s["codeCells"] >= n and not s["running"]
                      and s["kernelIdle"] or s["errors"], RUN_TIMEOUT, f"all {n} code cells to run")
        timings["run"] = time.monotonic() - t1
        # images in outputs finish loading
        time.sleep(2)
        state = driver.execute_script(PROBE)
        # show a person the first forest plot among the outputs
        driver.execute_script(
            "const i = Array.from(document.querySelectorAll('.jp-OutputArea-output img'))"
            ".find(i => /forest plot/i.test(i.alt || '')); if (i) i.scrollIntoView();")
        time.sleep(1)
        driver.save_screenshot(str(SHOTS / f"binder-{stem}-after-run.png"))
        # and the prose a student reads: the first paragraph with numbers, then the exercises
        for name, text in (("prose", "The review’s two primary outcomes"), ("exercises", "Exercise 1")):
            driver.execute_script(
                "const t = arguments[0]; const m = Array.from(document.querySelectorAll("
                "'.jp-MarkdownCell .myst *')).reverse().find(e => e.textContent.trim()"
                ".startsWith(t)); if (m) m.scrollIntoView();", text)
            time.sleep(1)
            driver.save_screenshot(str(SHOTS / f"binder-{stem}-{name}.png"))
    finally:
        driver.quit()
    print(f"\nBinder test timings: open {timings.get('open', float('nan')):.1f} s, "
          f"run all cells {timings.get('run', float('nan')):.1f} s")
    assert not state["errors"], f"error output in the re-run notebook: {state['errors'][:3]}"
    assert state["executed"] == state["codeCells"], state
    plots = [i for i in state["images"] if "forest plot" in i["alt"].lower()]
    assert plots, ("no forest plot among the notebook's outputs (a re-run chapter must show its "
                   f"figures; images found: {state['images'][:5]})")
    assert all(i["done"] and i["w"] > 0 for i in plots), f"a forest plot did not load: {plots}"
    prose = state["prose"]
    (SHOTS / f"binder-{stem}-prose.txt").write_text(prose, encoding="utf-8")  # for a person to read
    assert len(prose) > 2000, (f"the rendered prose was not found (only {len(prose)} characters "
                               f"in {state['markdownCells']} Markdown cells; first cell's elements: "
                               f"{state['mdClasses']})")
    raw = sorted({m.group(0).strip() for m in RAW_MYST.finditer(prose)})
    assert not raw, f"raw MyST markup in the rendered prose after Run All: {raw[:20]}"
    expected = key_numbers(chapter)
    assert len(expected) >= 3, f"{chapter}: the test found too few key numbers to look for"
    missing = {k: t for k, t in expected.items()
               if not re.search(rf"(?<![\d.]){re.escape(t)}(?![\d])", prose)}
    assert not missing, f"key numbers not shown in the rendered prose: {missing}"
    print(f"rendered prose: {len(prose)} characters, no raw MyST markup, key numbers shown: "
          f"{expected}")
