"""Packaging (issue #11): pyproject.toml declares every runtime dependency of `mytools`.

1. A static check: every third-party module that the package imports (read from its source with
   `ast`), and the optional dependencies that pandas needs for what the package calls
   (`DataFrame.style` needs jinja2), is provided by a distribution that pyproject.toml's
   `project.dependencies` names.
2. The real check, as a reader outside the repository would do it (issue #22; README, "Re-running
   a chapter outside the repository"): a wheel is built from a copy of the package's sources, and
   installed, with jupytext, nbconvert and ipykernel, into a clean virtual environment
   (`python -m venv`, packages from the index configured on this machine); every module of the
   package is imported there, load_data() finds the book's data inside the installed package, and
   one chapter copied alone into an empty folder runs there (`jupytext --execute`), and so does the
   students' pack's starter notebook, unzipped alone (`jupyter nbconvert --execute`). Skipped only
   when BOOK_SKIP_VENV_TEST=1.
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
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
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


#: what a reader installs beside the package to run a chapter (pinned as in requirements.txt)
RUNNERS = ("jupytext", "nbconvert", "ipykernel")

CHECK_DATA = """
import mytools.data as d
from pathlib import Path
print("DATA", d.DATA_DIR)
assert (Path(d.DATA_DIR) / "datapackage.json").is_file()
print("STUDIES", len(d.load_data().studies))
"""


def pins(names) -> list[str]:
    text = (ROOT / "requirements.txt").read_text()
    return [re.search(rf"^{n}==\S+", text, re.M).group(0) for n in names]


@pytest.mark.skipif(os.environ.get("BOOK_SKIP_VENV_TEST") == "1", reason="BOOK_SKIP_VENV_TEST=1")
def test_wheel_installs_into_a_clean_venv_and_a_chapter_runs_outside_the_repository(tmp_path):
    # a copy of what the package is built from, so that the build leaves nothing in the repository
    src = tmp_path / "src"
    src.mkdir()
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy(ROOT / name, src / name)
    ignore = shutil.ignore_patterns("__pycache__")
    shutil.copytree(PACKAGE, src / "mytools", ignore=ignore)
    shutil.copytree(ROOT / "data", src / "data", ignore=ignore)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    wheel = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--disable-pip-version-check", "-q", "--no-deps",
         "--no-build-isolation", "-w", str(tmp_path / "dist"), str(src)],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
    assert wheel.returncode == 0, wheel.stdout[-3000:] + wheel.stderr[-3000:]
    whl = next((tmp_path / "dist").glob("mytools-*.whl"))
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    install = subprocess.run(
        [str(python), "-m", "pip", "install", "--disable-pip-version-check", "-q", str(whl),
         *pins(RUNNERS)], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=900)
    assert install.returncode == 0, install.stdout[-3000:] + install.stderr[-3000:]
    result = subprocess.run([str(python), "-c", IMPORT_ALL], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert str(venv) in result.stdout, f"mytools was not imported from the clean venv: {result.stdout}"
    # the data comes with the package (not from the repository)
    result = subprocess.run([str(python), "-c", CHECK_DATA], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert f"DATA {venv}" in result.stdout, result.stdout
    # a downloaded chapter, alone in an empty folder, runs top to bottom
    alone = tmp_path / "reader"
    alone.mkdir()
    shutil.copy(ROOT / "chapters" / "ivig.md", alone / "ivig.md")
    run = subprocess.run(
        [str(venv / "bin" / "jupytext"), "--to", "ipynb", "--execute", "ivig.md"],
        cwd=alone, env=env, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    nb = (alone / "ivig.ipynb").read_text(encoding="utf-8")
    assert "data:image/svg+xml;base64" in nb, "the forest plots are not among the outputs"
    assert '"output_type": "error"' not in nb
    # the students' pack (issue #21): unzipped alone, its starter notebook runs on the installed package
    from mytools.teaching.student_pack import ROOT_FOLDER, write_pack

    with zipfile.ZipFile(write_pack(tmp_path / "pack.zip", config=ROOT / "_config.yml")) as zf:
        zf.extractall(tmp_path / "student")
    folder = tmp_path / "student" / ROOT_FOLDER
    run = subprocess.run(
        [str(venv / "bin" / "jupyter"), "nbconvert", "--to", "notebook", "--execute", "--output", "run.ipynb",
         "starter.ipynb"], cwd=folder, env=env, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    assert '"output_type": "error"' not in (folder / "run.ipynb").read_text(encoding="utf-8")


def test_pyproject_lists_every_package_and_ships_the_data():
    """pyproject.toml lists the packages (one of them, mytools.bookdata, is the repository's
    data/ folder): the list must hold every folder of mytools/ with an __init__.py."""
    conf = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    found = {".".join(p.parent.relative_to(ROOT).parts) for p in PACKAGE.rglob("__init__.py")}
    listed = set(conf["packages"])
    assert found <= listed, f"add to [tool.setuptools] packages in pyproject.toml: {sorted(found - listed)}"
    assert listed - found == {"mytools.bookdata"}, sorted(listed - found)
    assert conf["package-dir"]["mytools.bookdata"] == "data"
    assert (ROOT / "data" / "datapackage.json").is_file()
