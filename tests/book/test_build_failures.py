"""The build is a test: a notebook error or a Sphinx warning must make it fail.

Each test builds a tiny throwaway book in a temporary folder with the book's own _config.yml and
references.bib and the same command and flags as the clean build in `.ci/test`, then looks at the
exit code. A control book without faults must build, so a failure is not the harness's own.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# The strict build of the test command (.ci/test); test_flags_match_test_command keeps them equal.
STRICT_FLAGS = ["-W", "-n", "--keep-going"]

HEADER = """---
jupytext:
  text_representation:
    extension: .md
    format_name: myst
kernelspec:
  display_name: Python 3
  language: python
  name: python3
---
"""

TOC = """format: jb-book
root: intro
chapters:
  - file: chapter
"""

INTRO = """(intro)=
# A throwaway book

See {ref}`chapter` and {cite:p}`cochrane2025`.

```{bibliography}
```
"""


def jupyter_book() -> list[str]:
    exe = Path(sys.executable).with_name("jupyter-book")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "jupyter_book"]


def make_book(folder: Path, chapter: str) -> Path:
    shutil.copy(ROOT / "_config.yml", folder / "_config.yml")
    shutil.copy(ROOT / "references.bib", folder / "references.bib")
    shutil.copytree(ROOT / "_ext", folder / "_ext")  # _config.yml's local extension
    (folder / "_toc.yml").write_text(TOC)
    (folder / "intro.md").write_text(INTRO)
    (folder / "chapter.md").write_text(chapter)
    return folder


def build(folder: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    return subprocess.run(
        [*jupyter_book(), "build", str(folder), *STRICT_FLAGS],
        cwd=folder, env=env, capture_output=True, text=True, timeout=600)


def chapter(body: str) -> str:
    return HEADER + "(chapter)=\n# A chapter\n\n" + body


def test_flags_match_test_command():
    script = (ROOT / ".ci" / "test").read_text()
    assert "jupyter-book build . " + " ".join(STRICT_FLAGS) in script


def test_control_book_builds(tmp_path):
    book = make_book(tmp_path, chapter("```{code-cell} ipython3\n1 + 1\n```\n"))
    result = build(book)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    assert (book / "_build" / "html" / "chapter.html").exists()


def test_notebook_error_fails_the_build(tmp_path):
    book = make_book(tmp_path, chapter("```{code-cell} ipython3\n1/0\n```\n"))
    result = build(book)
    output = result.stdout + result.stderr
    assert result.returncode != 0, "a notebook with 1/0 built without error:\n" + output[-4000:]
    assert "ZeroDivisionError" in output


def test_warning_fails_the_build(tmp_path):
    body = "A reference to a label that does not exist: {ref}`no-such-label`.\n"
    book = make_book(tmp_path, chapter(body))
    result = build(book)
    output = result.stdout + result.stderr
    assert result.returncode != 0, "a broken cross-reference built without error:\n" + output[-4000:]
    assert "no-such-label" in output


def test_missing_value_fails_the_build(tmp_path):
    """A number the prose shows but no cell set ({eval}`v["key"]`, README "Numbers in the prose")
    fails the strict build, and so does an {eval} of anything but ``v["…"]``."""
    body = ("```{code-cell} ipython3\n:tags: [remove-input, remove-output]\n\n"
            "from mytools.present.values import Values\nv = Values(a=1.0)\n```\n"
            '\nA number that was never set: {eval}`v["not_set:.2f"]`.\n')
    book = make_book(tmp_path, chapter(body))
    result = build(book)
    output = result.stdout + result.stderr
    assert result.returncode != 0, "a missing value built without error:\n" + output[-4000:]
    assert "not_set" in output
    (book / "chapter.md").write_text(chapter(body.replace('v["not_set:.2f"]', "1 + 1")))
    result = build(book)
    output = result.stdout + result.stderr
    assert result.returncode != 0, "an {eval} of an arbitrary expression built:\n" + output[-4000:]
    assert "not valid according to the configured pattern" in output


def test_test_command_runs_the_doctests():
    assert '--doctest-modules tests mytools' in (ROOT / ".ci" / "test").read_text()


@pytest.mark.parametrize("script", ["build", "test", "run", "pdf", "binder-test"])
def test_ci_scripts_are_bash_and_strict(script):
    text = (ROOT / ".ci" / script).read_text()
    assert text.startswith("#!/usr/bin/env bash")
    if script == "run":
        assert "exec bash .ci/test" in text
    else:
        assert "set -euo pipefail" in text
