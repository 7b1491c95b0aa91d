"""The report is keyed by each input's own name, not by its Cochrane number (issue #23): two
versions of one review in one folder are two reviews of the report, with their own lines, data
warnings, counts and notes — in the frame, the summary, the terminal text, ``--csv`` and the CLI.

The two versions are built in a temporary folder from the repository's Pairwise70 slice
(``tests/fixtures/pairwise70``, MIT): ``CD015064_pub2`` as published, and a ``CD015064_pub3``
whose line 2 has Experimental cases 300 > Experimental N 204 (a row RevMan keeps but cannot
estimate: one data warning, in pub3 only).
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from mytools.reproduce import reproduce
from mytools.reproduce.report import csv_frame, format_sections, review_keys, summary

ROOT = Path(__file__).resolve().parents[2]
SOURCE = ROOT / "tests" / "fixtures" / "pairwise70" / "CD015064_pub2-data-rows.csv"
PUB2, PUB3 = "CD015064_pub2-data-rows.csv", "CD015064_pub3-data-rows.csv"


@pytest.fixture(scope="module")
def two_versions(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("two_versions")
    lines = SOURCE.read_text(encoding="utf-8").splitlines(keepends=True)
    (d / PUB2).write_text("".join(lines), encoding="utf-8")
    assert ",110,204," in lines[1]  # Kapp 2002: Experimental cases 110 of N 204
    lines[1] = lines[1].replace(",110,204,", ",300,204,")
    (d / PUB3).write_text("".join(lines), encoding="utf-8")
    return d


@pytest.fixture(scope="module")
def report(two_versions: Path) -> pd.DataFrame:
    return reproduce(two_versions)


def test_two_versions_are_two_reviews_with_their_own_lines(report: pd.DataFrame):
    per = report.groupby("review")["analysis"].apply(list)
    assert set(per.index) == {PUB2, PUB3} and per[PUB2] == per[PUB3]
    assert summary(report).startswith(f"{len(report)} analyses in 2 review(s)")


def test_data_warnings_are_counted_per_file(report: pd.DataFrame):
    (w,) = report.attrs["warnings"]
    assert (w["review"], w["line"], w["study"], w["found"]) == (PUB3, 2, "Kapp 2002", "300")
    counts = report.set_index(["review", "analysis"])["data_warnings"]
    assert counts[(PUB3, w["analysis"])] == 1
    assert (counts[PUB2] == 0).all()  # keyed by the Cochrane number, pub2 got pub3's warning
    assert "1 data warning(s) in 1 review(s)" in summary(report)
    text = format_sections(report)
    assert f"{PUB3}: 1 warning(s)" in text and f"{PUB2}:" not in text.split("Notes")[0]


def test_csv_counts_details_and_notes_per_file(report: pd.DataFrame):
    csv = csv_frame(report).set_index(["review", "analysis"])
    assert (csv.loc[PUB2, "review_data_warnings"] == 0).all()
    assert (csv.loc[PUB3, "review_data_warnings"] == 1).all()
    assert (csv.loc[PUB2, "warning_details"] == "").all()
    assert "Kapp 2002" in " ".join(csv.loc[PUB3, "warning_details"])
    for key in (PUB2, PUB3):  # each file's own notes, once (not both files' notes under one key)
        notes = csv.loc[key, "review_notes"].iloc[0].split(" | ")
        assert notes and len(notes) == len(set(notes)), notes


def test_cli_names_each_file(two_versions: Path, tmp_path: Path):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-m", "mytools", "reproduce", str(two_versions), "--csv",
                          str(tmp_path / "r.csv")], capture_output=True, text=True, env=env,
                         cwd=ROOT, timeout=300)
    assert "Traceback" not in out.stderr
    assert f"{PUB2}:1.1" in out.stdout and f"{PUB3}:1.1" in out.stdout
    assert f"{PUB3}: 1 warning(s)" in out.stdout and "in 2 review(s)" in out.stdout
    csv = pd.read_csv(tmp_path / "r.csv", dtype={"analysis": str})
    assert set(csv["review"]) == {PUB2, PUB3}


def test_the_same_file_name_in_two_folders_keeps_the_paths(two_versions: Path, tmp_path: Path):
    for sub in ("a", "b"):
        (tmp_path / sub).mkdir()
        (tmp_path / sub / PUB2).write_bytes((two_versions / PUB2).read_bytes())
    rep = reproduce([tmp_path / "a" / PUB2, tmp_path / "b" / PUB2])
    assert set(rep["review"]) == {str(tmp_path / "a" / PUB2), str(tmp_path / "b" / PUB2)}
    from types import SimpleNamespace as R
    assert review_keys([R(source="x/CD1.rm5"), R(source="CD1.zip")]) == ["CD1.rm5", "CD1.zip"]
