"""Packaging (issue #11): pyproject.toml declares every runtime dependency of `mytools`.

1. A static check: every third-party module that the package imports (read from its source with
   `ast`), and the optional dependencies that pandas needs for what the package calls
   (`DataFrame.style` needs jinja2), is provided by a distribution that pyproject.toml's
   `project.dependencies` names.
2. The real check: `pip install .` into a clean virtual environment (`python -m venv`, with the
   dependencies from the package index configured on this machine), then every module of the
   package is imported there. Skipped only when BOOK_SKIP_VENV_TEST=1.
"""
from __future__ import annotations

import ast
import importlib.metadata as md
import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "mytools"

#: what the package uses that pandas imports lazily (optional dependencies of pandas)
IMPLIED = {r"\.style\b": "jinja2"}


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def declared() -> set[str]:
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    return {_norm(re.split(r"[\s<>=!~;\[]", d, maxsplit=1)[0]) for d in deps}


def imported_modules() -> dict[str, set[str]]:
    """{top-level module: {files}} for every absolute import in the package outside stdlib."""
    found: dict[str, set[str]] = {}
    for path in PACKAGE.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module] if isinstance(node, ast.ImportFrom) and not node.level
                     and node.module else [])
            for name in names:
                top = name.split(".")[0]
                if top not in sys.stdlib_module_names and top != "mytools":
                    found.setdefault(top, set()).add(str(path.relative_to(ROOT)))
    return found


def test_every_imported_module_is_a_declared_dependency():
    dists = md.packages_distributions()
    need: dict[str, set[str]] = {}
    for module, files in imported_modules().items():
        assert module in dists, f"{module} (imported in {sorted(files)}) is not installed"
        for dist in dists[module]:
            need.setdefault(_norm(dist), set()).update(files)
    for path in PACKAGE.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        for pattern, dist in IMPLIED.items():
            if re.search(pattern, text):
                need.setdefault(_norm(dist), set()).add(str(path.relative_to(ROOT)))
    missing = {d: sorted(f)[:3] for d, f in need.items() if d not in declared()}
    assert not missing, f"used but not in pyproject.toml's dependencies: {missing}"


def test_every_dependency_is_pinned_in_requirements():
    """requirements.txt pins (==) every runtime dependency, so the book's environment is fixed."""
    pinned = {_norm(m.group(1)) for m in re.finditer(
        r"^([A-Za-z0-9_.\-]+)(\[[^\]]*\])?==", (ROOT / "requirements.txt").read_text(), re.M)}
    assert declared() <= pinned, f"not pinned in requirements.txt: {declared() - pinned}"


IMPORT_ALL = """
import importlib, pkgutil, mytools
names = ["mytools"] + [m.name for m in pkgutil.walk_packages(mytools.__path__, "mytools.")]
for name in names:
    importlib.import_module(name)
print(len(names), "modules imported from", mytools.__file__)
"""


@pytest.mark.skipif(os.environ.get("BOOK_SKIP_VENV_TEST") == "1", reason="BOOK_SKIP_VENV_TEST=1")
def test_package_installs_into_a_clean_venv_and_every_module_imports(tmp_path):
    # a copy of what the package is built from, so that the build leaves nothing in the repository
    src = tmp_path / "src"
    src.mkdir()
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy(ROOT / name, src / name)
    shutil.copytree(PACKAGE, src / "mytools", ignore=shutil.ignore_patterns("__pycache__"))
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    install = subprocess.run(
        [str(python), "-m", "pip", "install", "--disable-pip-version-check", "-q", str(src)],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=900)
    assert install.returncode == 0, install.stdout[-3000:] + install.stderr[-3000:]
    result = subprocess.run([str(python), "-c", IMPORT_ALL], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert str(venv) in result.stdout, f"mytools was not imported from the clean venv: {result.stdout}"
