"""A re-run chapter reads like the book, and the book stays as it is (issues #13, #22).

The mechanism the chapters use (README, "Numbers in the prose"): myst-nb executes each chapter
inline, the first cell makes ``v = Values()``, the prose shows ``{eval}`v["key"]``` (which
jupyterlab-myst evaluates in JupyterLab too), and a figure is the output of its own code cell with
``mystnb: figure:`` metadata (caption, name), so that a student who runs the notebook sees the
figure under the cell and the book shows it numbered, captioned and referencable. This builds a
throwaway book with the book's own _config.yml and strict flags (tests/book/test_build_failures.py).
"""
from __future__ import annotations

import json
import re

from test_build_failures import build, chapter, make_book

FIGURE_CELL = """```{code-cell} ipython3
:tags: [remove-input, remove-output]

from mytools.present.values import Values
v = Values(a_number=0.4567, a_word="two", a_minus="\u22120.34")
```

The number is {eval}`v["a_number:.2f"]`, the word is {eval}`v["a_word"]`, the minus
{eval}`v["a_minus"]`; see {numref}`fig-shown`.

```{code-cell} ipython3
---
tags: [remove-input, full-width]
mystnb:
  figure:
    name: fig-shown
    caption: |
      A caption with {eval}`v["a_number:.1f"]`.
---
from IPython.display import HTML
HTML('<img src="data:image/png;base64,iVBORw0KGgo=" alt="GLUED-FIGURE-ALT">')
```
"""


def test_eval_and_figure_cell(tmp_path):
    book = make_book(tmp_path, chapter(FIGURE_CELL))
    result = build(book)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    html = (book / "_build" / "html" / "chapter.html").read_text(encoding="utf-8")
    text = re.sub(r"<[^>]+>", "", html)
    # values formatted as the key asks, strings without quotes
    assert "The number is 0.46, the word is two, the minus \u22120.34" in " ".join(text.split())
    assert "'two'" not in text
    # the figure: shown once, numbered, captioned (with its value), referencable, full width
    assert html.count("GLUED-FIGURE-ALT") == 1, "the figure must be shown once"
    fig = re.search(r'<figure[^>]*id="fig-shown".*?</figure>', html, re.S)
    assert fig and "Fig. 1" in fig.group(0) and "A caption with" in fig.group(0)
    assert "0.5" in re.sub(r"<[^>]+>", "", fig.group(0))
    assert 'href="#fig-shown"' in html
    assert re.search(r'class="cell tag_remove-input tag_full-width', html)
    # the notebook a reader downloads (or re-runs) keeps the figure as the cell's output
    nb = json.loads((book / "_build" / "html" / "_sources" / "chapter.ipynb").read_text())
    outputs = [o for c in nb["cells"] if c["cell_type"] == "code" for o in c.get("outputs", [])]
    shown = ["".join(o["data"]["text/html"]) for o in outputs if "text/html" in o.get("data", {})]
    assert any("GLUED-FIGURE-ALT" in h for h in shown)
