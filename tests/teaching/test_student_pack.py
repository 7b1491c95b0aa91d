"""The students' download (issue #21): its files, its README and its starter notebook.

References are not our code's output: the member list is data/datapackage.json's own resources;
the install line is _config.yml's repository.url; the notebook's per-trial SMDs and weights are
RevMan's own numbers in data/CD015855-data-rows.csv (read with csv), its pooled result is the
review's published one in data/published_results.csv (read with csv) and the engine's result.
The notebook runs in a temporary folder outside the repository with only the unzipped files.
"""
from __future__ import annotations

import csv
import json
import subprocess
import sys
import zipfile
from pathlib import Path

import nbformat
import numpy as np
import pytest
import yaml
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from mytools.analyses import analysis
from mytools.data import load_data
from mytools.teaching.student_pack import ROOT_FOLDER, write_pack

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "data"
CONFIG = ROOT / "_config.yml"
ANALYSIS = ("1", "2")  # the review's analysis 1.2 (IVIg vs placebo, function or disability, SMD)

#: appended to the notebook by the test: what the student computed, for the comparisons below
DUMP = """import json
json.dump({"study": list(one["Study"]), "g": list(map(float, g)), "w": list(map(float, w)),
           "pooled": [float(est), float(lo), float(hi)]}, open("result.json", "w"))"""


@pytest.fixture(scope="module")
def pack(tmp_path_factory) -> Path:
    return write_pack(tmp_path_factory.mktemp("pack") / "pack.zip", config=CONFIG)


@pytest.fixture(scope="module")
def unzipped(pack, tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("student")
    assert ROOT not in folder.parents, "the notebook must run outside the repository"
    with zipfile.ZipFile(pack) as zf:
        zf.extractall(folder)
    return folder / ROOT_FOLDER


def test_members_are_the_data_package_readme_and_notebook(pack):
    pkg = json.loads((DATA / "datapackage.json").read_text(encoding="utf-8"))
    expected = {"data/datapackage.json", "README.txt", "starter.ipynb"}
    for res in pkg["resources"]:
        expected |= {f"data/{res['path']}", f"data/{res['schema']}"}
    with zipfile.ZipFile(pack) as zf:
        names = zf.namelist()
        assert zf.testzip() is None
        assert names == sorted(names) and len(names) == len(set(names))
        assert {n.removeprefix(f"{ROOT_FOLDER}/") for n in names} == expected
        for name in expected - {"README.txt", "starter.ipynb"}:  # byte for byte: provenance intact
            assert zf.read(f"{ROOT_FOLDER}/{name}") == (DATA / name.removeprefix("data/")).read_bytes(), name
        assert not any(n.endswith(".md") for n in names)


def test_rebuilds_are_identical(pack, tmp_path):
    again = write_pack(tmp_path / "again.zip", config=CONFIG)
    assert again.read_bytes() == pack.read_bytes()
    with zipfile.ZipFile(pack) as zf:
        assert {i.date_time for i in zf.infolist()} == {(1980, 1, 1, 0, 0, 0)}


def test_readme_install_line_is_the_configured_repository(pack):
    url = yaml.safe_load(CONFIG.read_text(encoding="utf-8"))["repository"]["url"]
    with zipfile.ZipFile(pack) as zf:
        readme = zf.read(f"{ROOT_FOLDER}/README.txt").decode("utf-8")
    installs = [line.strip() for line in readme.splitlines() if line.strip().startswith("pip install \"git+")]
    assert installs == [f'pip install "git+{url}"']
    for res in json.loads((DATA / "datapackage.json").read_text())["resources"]:
        assert f"data/{res['path']}" in readme
        for term in res.get("licenses", []):  # the review rows' terms, as datapackage.json states them
            assert term["path"] in readme and term["title"] in readme


def test_a_config_without_repository_url_is_refused(tmp_path):
    bad = tmp_path / "_config.yml"
    bad.write_text("title: x\nrepository:\n  branch: main\n")
    with pytest.raises(ValueError, match=r"_config.yml.*repository.url"):
        write_pack(tmp_path / "x.zip", config=bad)
    assert not (tmp_path / "x.zip").exists()


def test_command_writes_the_same_zip(pack, tmp_path):
    out = tmp_path / "cli.zip"
    run = subprocess.run([sys.executable, "-m", "mytools", "student-pack", str(out), "--config", str(CONFIG)],
                         capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    assert out.read_bytes() == pack.read_bytes()
    bad = subprocess.run([sys.executable, "-m", "mytools", "student-pack", str(out), "--config",
                          str(tmp_path / "missing.yml")], capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2 and "missing.yml" in bad.stderr


def _execute(folder: Path, extra: str | None = None) -> nbformat.NotebookNode:
    nb = nbformat.read(folder / "starter.ipynb", as_version=4)
    if extra:
        nb.cells.append(nbformat.v4.new_code_cell(extra))
    NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(folder)}}).execute()
    return nb


def _review_rows() -> list[dict]:
    with open(DATA / "CD015855-data-rows.csv", newline="", encoding="utf-8") as fh:
        return [r for r in csv.DictReader(fh) if (r["Analysis group"], r["Analysis number"]) == ANALYSIS]


def _published(analysis_id: str) -> list[float]:
    with open(DATA / "published_results.csv", newline="", encoding="utf-8") as fh:
        row = next(r for r in csv.DictReader(fh) if r["analysis_id"] == analysis_id)
    return [float(row[k]) for k in ("estimate", "ci_low", "ci_high")]


def test_starter_notebook_runs_on_the_unzipped_files_and_agrees(unzipped):
    assert sorted(p.name for p in unzipped.iterdir()) == ["README.txt", "data", "starter.ipynb"]
    nb = _execute(unzipped, DUMP)
    assert not any(o.get("output_type") == "error" for c in nb.cells for o in c.get("outputs", []))
    got = json.loads((unzipped / "result.json").read_text())
    rows = _review_rows()
    assert got["study"] == [r["Study"] for r in rows]
    # each trial's SMD and weight by hand = RevMan's own numbers in the review's rows
    assert np.allclose(got["g"], [float(r["Mean"]) for r in rows], atol=1e-4)
    w = np.array(got["w"])
    assert np.allclose(100 * w / w.sum(), [float(r["Weight"]) for r in rows], atol=0.01)
    # the pooled result = the engine's, and = the review's abstract to its two decimals
    book = analysis("ivig_disability", load_data()).result
    assert np.allclose(got["pooled"], [book.estimate, book.ci_low, book.ci_high], atol=1e-9)
    assert np.round(got["pooled"], 2).tolist() == _published("ivig_disability")


def test_starter_notebook_reads_the_folder_beside_it(unzipped, tmp_path):
    """Without the unzipped data/ the notebook fails: it does not fall back on the package's data."""
    (tmp_path / "starter.ipynb").write_bytes((unzipped / "starter.ipynb").read_bytes())
    with pytest.raises(CellExecutionError, match="data/CD015855-data-rows.csv"):
        _execute(tmp_path)
    source = (unzipped / "starter.ipynb").read_text(encoding="utf-8")
    assert "load_data(DATA)" in source and "load_data()" not in source
