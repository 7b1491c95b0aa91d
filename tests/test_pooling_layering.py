"""Arrows point one way: the numerical core knows nothing about files, data, plots or chapters."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parents[1] / "mytools"
FORBIDDEN = {"mytools.data", "mytools.analyses", "mytools.plots", "mytools.tables", "mytools.grade",
             "mytools.revman", "mytools.reconstruct", "mytools.simulation", "mytools.worked",
             "matplotlib", "myst_nb", "os", "pathlib", "json", "csv"}
RELATIVE_OK = {"effects"}  # pooling may import .effects; effects imports nothing from mytools


@pytest.mark.parametrize("module", ["effects.py", "pooling.py"])
def test_core_imports(module):
    tree = ast.parse((PKG / module).read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative import
                assert node.module in RELATIVE_OK and module == "pooling.py", (module, node.module)
                continue
            names = [node.module or ""]
        else:
            continue
        for n in names:
            assert n not in FORBIDDEN and not any(n.startswith(f + ".") for f in FORBIDDEN), (module, n)
    src = (PKG / module).read_text()
    assert "open(" not in src and "read_csv" not in src
