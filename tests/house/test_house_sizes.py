"""Small rooms (issue #11): no module of mytools over ~400 lines, no function over 80 lines."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parents[2] / "mytools"
MODULES = sorted(p for p in PKG.rglob("*.py") if "__pycache__" not in p.parts)
MAX_MODULE_LINES = 420  # "about 400"
MAX_FUNCTION_LINES = 80


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PKG)))
def test_module_and_function_sizes(path: Path):
    src = path.read_text(encoding="utf-8")
    n = len(src.splitlines())
    assert n <= MAX_MODULE_LINES, f"{path.relative_to(PKG)}: {n} lines; split it (limit ~400)"
    for node in ast.walk(ast.parse(src)):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            length = node.end_lineno - node.lineno + 1
            assert length <= MAX_FUNCTION_LINES, (
                f"{path.relative_to(PKG)}:{node.lineno} {node.name}() has {length} lines "
                f"(limit {MAX_FUNCTION_LINES})")
