"""``python -m mytools reproduce`` through a subprocess, and bad input through CLI and function.

Exit codes: 0 all computable analyses match RevMan, 1 something differs, 2 unreadable input
(the message names the file, line and column). Never a traceback, never a silently wrong number.
"""
from __future__ import annotations

import io
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from mytools.data import DataError
from mytools.reproduce import reproduce

ROOT = Path(__file__).resolve().parents[2]
ROWS = "CD015855-data-rows.csv"


def run(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "mytools", "reproduce", *args], capture_output=True,
                          text=True, env=env, cwd=ROOT, timeout=300)


@pytest.fixture(scope="module")
def rows_csv(shared: Path) -> Path:
    return shared / "evidence" / "cochrane2025-review-data" / ROWS


def test_book_data_matches_exit_0(rows_csv: Path, tmp_path: Path):
    out = run(str(rows_csv), "--csv", str(tmp_path / "r.csv"), "--html", str(tmp_path / "r.html"))
    assert out.returncode == 0, out.stdout + out.stderr
    assert "51 analyses in 1 review(s): 51 match" in out.stdout
    assert "Traceback" not in out.stderr
    assert (tmp_path / "r.csv").read_text().count("\n") == 52
    assert "<table" in (tmp_path / "r.html").read_text()


def test_quiet_prints_only_the_summary(revman_fixtures: Path):
    out = run(str(revman_fixtures / "datapackage_v1" / "CD014811-dataPackage"), "--quiet")
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().splitlines() == [out.stdout.strip()]
    assert out.stdout.startswith("10 analyses in 1 review(s): 10 match")


def test_a_changed_number_differs_exit_1(rows_csv: Path, tmp_path: Path):
    text = rows_csv.read_text(encoding="utf-8")
    # Bunch 1980 in 2.1: RevMan's per-study mean changed in the 3rd decimal
    lines = text.splitlines(keepends=True)
    i = next(k for k, ln in enumerate(lines) if ln.startswith("2,1,") and "Bunch" in ln)
    cells = lines[i].split(",")
    j = len(cells) - 4  # Mean, CI start, CI end, Footnotes are the last columns
    cells[j] = str(round(float(cells[j]) + 0.001, 6))
    lines[i] = ",".join(cells)
    bad = tmp_path / ROWS
    bad.write_text("".join(lines), encoding="utf-8")
    out = run(str(bad))
    assert out.returncode == 1, out.stdout + out.stderr
    assert "differs" in out.stdout


def _zip(path: Path, members: dict[str, bytes], compression=zipfile.ZIP_DEFLATED) -> Path:
    with zipfile.ZipFile(path, "w", compression) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return path


def _bad_inputs(tmp: Path, rows_csv: Path) -> dict[str, Path]:
    good = rows_csv.read_bytes()
    out = {}
    p = tmp / "corrupt.zip"
    p.write_bytes(b"PK\x03\x04" + b"\x00" * 40 + b"not a zip")
    out["corrupt zip"] = p
    out["zip bomb"] = _zip(tmp / "bomb.zip", {"X-analysis-data/X-data-rows.csv": b"0" * (300 * 2**20)})
    out["path traversal"] = _zip(tmp / "trav.zip", {"../../evil-data-rows.csv": good})
    p = tmp / "trunc-data-rows.csv"
    p.write_bytes(good[: len(good) // 2].rsplit(b",", 3)[0] + b',"unterminated')
    out["truncated CSV"] = p
    return out


@pytest.mark.parametrize("case", ["corrupt zip", "zip bomb", "path traversal", "truncated CSV"])
def test_unreadable_input_exit_2_names_the_file(tmp_path: Path, rows_csv: Path, case: str):
    path = _bad_inputs(tmp_path, rows_csv)[case]
    out = run(str(path))
    assert out.returncode == 2, (case, out.stdout, out.stderr)
    assert "Traceback" not in out.stderr
    assert path.name in out.stderr
    with pytest.raises(DataError):
        reproduce(path)


def test_truncated_csv_names_line_and_column(tmp_path: Path, rows_csv: Path):
    path = _bad_inputs(tmp_path, rows_csv)["truncated CSV"]
    out = run(str(path))
    assert out.returncode == 2 and "line" in out.stderr


def test_other_encoding_is_read_or_refused_never_garbled(tmp_path: Path, rows_csv: Path):
    text = rows_csv.read_text(encoding="utf-8").replace("Dalakas 1993", "Dalakäs 1993")
    p = tmp_path / ROWS
    p.write_bytes(text.encode("latin-1", errors="replace"))
    out = run(str(p))
    assert "Traceback" not in out.stderr
    if out.returncode == 2:
        assert p.name in out.stderr
    else:
        rep = reproduce(p)
        assert (rep["status"] == "match").all()


def test_missing_file_exit_2(tmp_path: Path):
    out = run(str(tmp_path / "nothing-data-rows.csv"))
    assert out.returncode == 2 and "nothing-data-rows.csv" in out.stderr


def _edited_package(revman_fixtures: Path, tmp_path: Path, ending: str, edit) -> Path:
    """A copy of CD014811's analysis-data folder (RevMan's v1 export) with ``edit(lines)`` applied
    to the lines of the file whose name ends with ``ending``."""
    src = revman_fixtures / "datapackage_v1" / "CD014811-dataPackage" / "CD014811-analysis-data"
    dst = tmp_path / "CD014811-analysis-data"
    dst.mkdir()
    for f in src.iterdir():
        text = f.read_text(encoding="utf-8-sig")
        if f.name.endswith(ending):
            text = "".join(edit(text.splitlines(keepends=True)))
        (dst / f.name).write_text(text, encoding="utf-8")
    return dst


def test_analysis_with_no_rows_is_not_computable(revman_fixtures: Path, tmp_path: Path):
    """A settings row without study rows: a `not computable` line with the reason, or a DataError."""
    dst = _edited_package(revman_fixtures, tmp_path, "-data-rows.csv",
                          lambda lines: [ln for ln in lines if not ln.startswith("1,3,")])
    out = run(str(dst))
    assert "Traceback" not in out.stderr
    assert out.returncode in (0, 2), out.stdout + out.stderr
    if out.returncode == 0:
        rep = reproduce(dst)
        line = rep[rep["analysis"] == "1.3"].iloc[0]
        assert line["status"] == "not computable" and "no study rows" in line["reason"]


def test_duplicate_analysis_numbers_are_refused(revman_fixtures: Path, tmp_path: Path):
    dst = _edited_package(revman_fixtures, tmp_path, "-overall-estimates-and-settings.csv",
                          lambda lines: lines + [lines[1]])
    out = run(str(dst))
    assert out.returncode == 2, out.stdout + out.stderr
    assert "Traceback" not in out.stderr and "overall-estimates" in out.stderr
    with pytest.raises(DataError):
        reproduce(dst)


def test_xml_entity_expansion_is_refused(tmp_path: Path):
    p = tmp_path / "bomb.rm5"
    p.write_text('<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaaaaaaaa">'
                 '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]><COCHRANE_REVIEW>&b;</COCHRANE_REVIEW>')
    out = run(str(p))
    assert out.returncode == 2 and "Traceback" not in out.stderr and "bomb.rm5" in out.stderr
    with pytest.raises(DataError):
        reproduce(p)


def test_folder_of_reviews_with_progress(shared: Path):
    out = run(str(shared / "fixtures" / "pairwise70-sample"), "--quiet")
    assert out.returncode == 0, out.stdout[-2000:] + out.stderr[-2000:]
    assert "in 40 review(s)" in out.stdout
