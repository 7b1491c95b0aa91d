"""A re-run chapter shows its figures, and the book stays as it is (issue #13).

The mechanism the chapters use: a figure or table is glued with ``display=True`` (so a student
who runs the notebook in JupyterLab or Binder sees it as the cell's output) in a cell tagged
``remove-output`` (so the book does not show it there), and ``{glue:figure}`` pastes it where the
text needs it. This builds a throwaway book with the book's own _config.yml and strict flags
(tests/test_build_failures.py) and checks that the glued figure is pasted exactly once and that
the hidden cell leaves no output in the page; the executed notebook keeps the displayed output.
"""
from __future__ import annotations

import json
import re

from test_build_failures import build, chapter, make_book

FIGURE_CELL = """```{code-cell} ipython3
:tags: [remove-input, remove-output]

from myst_nb import glue
from IPython.display import HTML
glue("shown_fig", HTML('<img src="data:image/png;base64,iVBORw0KGgo=" alt="GLUED-FIGURE-ALT">'))
glue("a_number", 0.4567, display=False)
```

The number is {glue:text}`a_number:.2f`.

```{glue:figure} shown_fig
:name: fig-shown

A caption.
```
"""


def test_glue_with_display_and_remove_output(tmp_path):
    book = make_book(tmp_path, chapter(FIGURE_CELL))
    result = build(book)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    html = (book / "_build" / "html" / "chapter.html").read_text(encoding="utf-8")
    assert html.count("GLUED-FIGURE-ALT") == 1, "the figure must be pasted once, not shown twice"
    assert "0.46" in html
    assert 'class="cell_output' not in html, "the tagged cell's own output is in the page"
    # the notebook a reader downloads (or re-runs) keeps the figure as a displayed output
    nb = json.loads((book / "_build" / "html" / "_sources" / "chapter.ipynb").read_text())
    outputs = [o for c in nb["cells"] if c["cell_type"] == "code" for o in c.get("outputs", [])]
    shown = [o for o in outputs if "text/html" in o.get("data", {})]
    assert shown and re.search("GLUED-FIGURE-ALT", shown[0]["data"]["text/html"]
                               if isinstance(shown[0]["data"]["text/html"], str)
                               else "".join(shown[0]["data"]["text/html"]))
