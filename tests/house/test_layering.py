"""Arrows point one way: every subpackage of mytools imports only the layers below it, and no cycle.

The layers, lowest first (see README, "Layout"):

    engine          numbers only: effects, pooling families, tau^2, results, settings
    data            readers and validation: book CSVs, data packages, .rm5, RevMan CSV
    analyses        registry + data + engine -> typed results with status codes (no prose)
    reproduce       re-execution of any review's data (readers + engine -> comparison)
    present         forest plots, tables, SoF, GRADE wording, the prose's values (no loading, no pooling)
    reviews_compared  the three reviews compared (chapters/reviews-compared.md only)
    teaching        worked examples, simulation lab, reconstruction and its predictions
    cli             ``python -m mytools``

A module may import a layer listed in ALLOWED for its own layer, and nothing else from mytools.
"""
from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parents[2] / "mytools"

ALLOWED: dict[str, set[str]] = {
    "engine": {"engine"},
    "data": {"data"},
    "analyses": {"analyses", "engine", "data"},
    "reproduce": {"reproduce", "engine", "data", "analyses"},
    "present": {"present", "engine", "data", "analyses"},
    "reviews_compared": {"reviews_compared", "engine", "data", "analyses", "present"},
    "teaching": {"teaching", "engine", "data", "analyses", "present"},
    "cli": {"cli", "engine", "data", "analyses", "reproduce", "present", "reviews_compared", "teaching"},
    "__init__": {"engine", "data"},
    "__main__": {"cli"},
}
# third-party or standard-library modules a layer must not touch
FORBIDDEN_EXTERNAL: dict[str, set[str]] = {
    "engine": {"matplotlib", "myst_nb", "os", "pathlib", "json", "csv", "zipfile"},
    "data": {"matplotlib", "myst_nb"},
    "analyses": {"matplotlib", "myst_nb"},
}


def _layer(path: Path) -> str:
    rel = path.relative_to(PKG)
    first = rel.parts[0]
    return first[:-3] if first.endswith(".py") else first


def _modules() -> list[Path]:
    return sorted(p for p in PKG.rglob("*.py") if "__pycache__" not in p.parts)


def _imports(path: Path) -> list[tuple[str, int]]:
    """Absolute names of the mytools (and other) modules imported by ``path``, with line numbers."""
    tree = ast.parse(path.read_text(), filename=str(path))
    pkg_parts = ["mytools", *path.relative_to(PKG).parts[:-1]]
    out: list[tuple[str, int]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(a.name, node.lineno) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = pkg_parts[: len(pkg_parts) - (node.level - 1)]
                mod = ".".join(base + ([node.module] if node.module else []))
                if node.module is None:  # from . import x  -> mytools.<pkg>.x
                    out += [(f"{mod}.{a.name}", node.lineno) for a in node.names]
                    continue
                out.append((mod, node.lineno))
            else:
                out.append((node.module or "", node.lineno))
    return out


def _target_layer(name: str) -> str | None:
    parts = name.split(".")
    if parts[0] != "mytools":
        return None
    if len(parts) == 1:
        return "__init__"
    return parts[1]


def test_every_module_has_a_layer():
    for path in _modules():
        assert _layer(path) in ALLOWED, f"{path.relative_to(PKG)}: no layer; add it to ALLOWED in this test"


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(PKG)))
def test_imports_point_down(path: Path):
    layer = _layer(path)
    for name, line in _imports(path):
        target = _target_layer(name)
        if target is None:
            top = name.split(".")[0]
            assert top not in FORBIDDEN_EXTERNAL.get(layer, set()), (
                f"{path.relative_to(PKG)}:{line}: layer {layer!r} must not import {name!r}")
            continue
        if target == "__init__":
            pytest.fail(f"{path.relative_to(PKG)}:{line}: import from a subpackage, not from 'mytools' itself")
        assert target in ALLOWED[layer], (
            f"{path.relative_to(PKG)}:{line}: layer {layer!r} imports {name!r} (layer {target!r}); "
            f"allowed: {sorted(ALLOWED[layer])}")


def test_layer_graph_has_no_cycle():
    graph = {k: v - {k} for k, v in ALLOWED.items()}
    seen: dict[str, int] = {}

    def visit(node: str, stack: tuple[str, ...]) -> None:
        assert node not in stack, f"cycle: {' -> '.join(stack + (node,))}"
        for nxt in graph.get(node, ()):
            visit(nxt, stack + (node,))

    for node in graph:
        visit(node, ())


def test_presentation_neither_loads_nor_pools():
    """present/ is handed a Dataset and results; it never loads data, pools or runs an analysis."""
    calls = re.compile(r"(?<![\w.])(load_data|pool_binary|pool_continuous|pool_generic|pool_many|"
                       r"analyses|analysis|reanalyse|sensitivity)\(")
    for path in sorted((PKG / "present").rglob("*.py")):
        for i, line in enumerate(path.read_text().splitlines(), 1):
            code = line.split("#")[0].strip()
            if code.startswith(("def ", ">>>")):
                continue
            m = calls.search(code)
            assert not m, (f"{path.relative_to(PKG)}:{i}: calls {m.group(1)}() — presentation is given "
                           f"results and a Dataset, it does not compute or load them")


def _module_name(path: Path) -> str:
    parts = ["mytools", *path.relative_to(PKG).with_suffix("").parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def test_no_import_cycle_between_modules():
    """No module imports (at load time, directly or through others) a module that imports it back.

    Importing a name from a package runs the package's ``__init__``: ``from mytools.data import X``
    inside ``mytools/data/revman/`` would make the reader depend on the loader that uses it (the
    ``data`` ↔ ``data.revman`` cycle once hidden by a lazy import). Imports inside functions count
    too (a lazy import does not remove a cycle, it hides it); ``if TYPE_CHECKING:`` blocks do not."""
    modules = {_module_name(p): p for p in _modules()}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        tree = ast.parse(path.read_text(), filename=str(path))
        deps: set[str] = set()
        for node in _runtime_imports(tree):
                for target, _ in _imports_of(node, path):
                    while target and target not in modules:
                        target = target.rpartition(".")[0]
                    if target and target != name:
                        deps.add(target)
        # importing a.b.c runs a/__init__ and a/b/__init__ first (already running for a.b's own modules)
        graph[name] = {a for d in deps for a in _ancestors(d, modules)} - _ancestors(name, modules) - {name} | deps
    state: dict[str, int] = {}

    def visit(node: str, stack: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                cyc = stack[stack.index(nxt):] + [nxt] if nxt in stack else [node, nxt]
                pytest.fail("import cycle: " + " -> ".join(cyc))
            if nxt not in state:
                visit(nxt, stack + [nxt])
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node, [node])


def _runtime_imports(tree: ast.Module) -> list[ast.Import | ast.ImportFrom]:
    out: list[ast.Import | ast.ImportFrom] = []

    def walk(node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
                continue
            if isinstance(child, (ast.Import, ast.ImportFrom)):
                out.append(child)
            walk(child)

    walk(tree)
    return out


def _ancestors(name: str, modules: dict[str, Path]) -> set[str]:
    parts = name.split(".")
    return {".".join(parts[:i]) for i in range(2, len(parts)) if ".".join(parts[:i]) in modules}


def _imports_of(node: ast.Import | ast.ImportFrom, path: Path) -> list[tuple[str, int]]:
    pkg_parts = ["mytools", *path.relative_to(PKG).parts[:-1]]
    if isinstance(node, ast.Import):
        return [(a.name, node.lineno) for a in node.names]
    if node.level:
        base = ".".join(pkg_parts[: len(pkg_parts) - (node.level - 1)] + ([node.module] if node.module else []))
    else:
        base = node.module or ""
    # "from pkg import sub" imports the module pkg.sub when there is one; otherwise a name of pkg
    # (the caller trims an unknown pkg.name back to pkg)
    return [(f"{base}.{a.name}", node.lineno) for a in node.names]


def test_only_the_chapter_loads_the_dataset():
    """House rule: a chapter (or the command line) loads the Dataset once and passes it down; no
    function of the package loads it when handed ``None``."""
    for path in _modules():
        if _layer(path) in ("data", "cli"):
            continue
        for i, line in enumerate(path.read_text().splitlines(), 1):
            code = line.split("#")[0]
            assert "load_data(" not in code or code.strip().startswith(">>>"), (
                f"{path.relative_to(PKG)}:{i}: calls load_data(); take the Dataset as an argument")
