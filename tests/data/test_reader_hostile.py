"""Every reproducer of ../shared/fixtures/hostile/ (found by fuzzing release 0.2; README there) as
a test: a result or a DataError naming file and line, in bounded time and memory, never a
traceback; special files and symlink loops are built in tmp_path as the .sh files describe.
Also: report and go on (the CD001920 row among good reviews), exit codes, --strict."""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tracemalloc
from pathlib import Path

import pytest

from mytools.data import DataError
from mytools.data.revman import read_review
from mytools.reproduce import reproduce
from mytools.reproduce.report import csv_frame, format_sections, to_html

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def hostile(shared: Path) -> Path:
    return shared / "fixtures" / "hostile"


@pytest.fixture(autouse=True)
def _deadline():
    """No test here may hang (FIFOs, loops): 60 s, then the test fails instead of the suite."""
    def boom(*_):
        raise TimeoutError("hung: the reader must refuse or finish within bounded time")
    old = signal.signal(signal.SIGALRM, boom)
    signal.alarm(60)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, old)


def run(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "mytools", "reproduce", *args],
                          capture_output=True, text=True, env=env, cwd=cwd, timeout=120)


def _refused(path: Path, *needles: str, line: int | None = None) -> DataError:
    """read_review refuses ``path`` with a DataError naming it (and ``line``) and the needles."""
    with pytest.raises(DataError) as exc:
        read_review(path, strict=False)
    text = str(exc.value)
    for n in needles:
        assert n in text, text
    if line is not None:
        assert any(p.line == line for p in exc.value.problems), text
    return exc.value


def _pkg(folder: Path) -> Path:
    return next(p for p in folder.iterdir() if p.is_dir())


# one check per entry of the hostile folder (a new entry without a check fails test_all_covered)
def _01(h):
    _refused(h / "01_header_only-data-rows.csv", "at least one study row", line=2)


def _02(h):
    _refused(_pkg(h / "02_pkg_header_only_overall"), "at least one analysis", line=2)


def _03(h):
    _refused(h / "03_deep_nesting.rm5", "nested at most", line=1)


def _04(h):
    _refused(h / "04_unknown_encoding.rm5", "X-NOPE-42", line=1)


def _05(h):
    pass  # special files: test_special_files_* below build them in tmp_path


def _06(h):
    pass  # symlink loops: test_symlink_loops below builds them in tmp_path


def _07(h):
    err = _refused(_pkg(h / "07_subgroup_number_overflow"), "'Subgroup number'", "1e18", line=51)
    assert "from 0 to" in str(err)


def _08(h):
    _refused(_pkg(h / "08_negative_subgroup_numbers"), "'Subgroup number'", "-2")


def _09(h):
    for name, tag in (("09_rm5_wrapped_data_row.rm5", "<DICH_DATA>"),
                      ("09_rm5_wrong_kind_data_row.rm5", "<CONT_DATA>")):
        with pytest.raises(DataError, match="not read"):
            read_review(h / name)  # strict: refused
        review = read_review(h / name, strict=False)  # lenient: read, the element reported
        assert [w.found for w in review.warnings] == [tag]
        assert review.warnings[0].line == 447


def _10(h):
    for case, cell in (("lower", "nan"), ("upper", "NaN")):
        err = _refused(_pkg(h / "10_nan_literal" / case), "'Experimental cases'", line=2)
        assert repr(cell) in str(err)


def _11(h):
    path = h / "11_events_gt_n" / "CD002243_pub5-data-rows.csv"
    with pytest.raises(DataError, match="events <= N"):
        read_review(path)  # strict, as the book's own loader
    review = read_review(path, strict=False)
    (w,) = review.warnings
    assert (w.line, w.analysis_id, w.study_id, w.found) == (683, "1.10", "Annane 2002", "84")
    assert w.column == "'Experimental cases'"
    report = reproduce(path)
    line = report[report["analysis"] == "1.10"].iloc[0]
    assert line["status"] == "match" and line["data_warnings"] == 1


def _12(h):
    _refused(h / "12_zip_symlink_member" / "pkg.zip", "symbolic link")


def _13(h):
    path = h / "13_notes_not_shown" / "Fleiss1993_CR_cp1252.csv"
    report = reproduce(path)
    note = next(n["note"] for n in report.attrs["notes"] if "Windows-1252" in n["note"])
    assert "line 13" in note
    assert note in format_sections(report) and "Windows-1252" in to_html(report)
    out = run(str(path))
    assert "Windows-1252" in out.stdout and "line 13" in out.stdout


def _14(h):
    tracemalloc.start()
    try:
        _refused(h / "14_nested_zip_amplification" / "pkg.zip", "inner zips")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 64 * 2**20, f"peak {peak / 2**20:.0f} MB"


CHECKS = {"01": _01, "02": _02, "03": _03, "04": _04, "05": _05, "06": _06, "07": _07, "08": _08,
          "09": _09, "10": _10, "11": _11, "12": _12, "13": _13, "14": _14}


def test_all_covered(hostile: Path):
    numbers = {p.name[:2] for p in hostile.iterdir() if p.name[:2].isdigit()}
    assert numbers <= set(CHECKS), sorted(numbers - set(CHECKS))


@pytest.mark.parametrize("number", sorted(CHECKS))
def test_hostile_reproducer(hostile: Path, number: str):
    CHECKS[number](hostile)


@pytest.mark.parametrize("number", ["01", "03", "04", "07", "10", "12", "14"])
def test_hostile_input_through_the_cli_exit_2_no_traceback(hostile: Path, number: str):
    path = next(p for p in hostile.iterdir() if p.name.startswith(number))
    out = run(str(path), "--quiet")
    assert out.returncode == 2, out.stdout + out.stderr
    assert "Traceback" not in out.stderr and path.name in out.stderr


def test_special_files_are_refused_never_opened(tmp_path: Path, revman_fixtures: Path):
    fifo = tmp_path / "CD000001-data-rows.csv"
    os.mkfifo(fifo)
    _refused(fifo, "FIFO")
    _refused(Path("/dev/zero"), "character device")
    out = run(str(fifo))
    assert out.returncode == 2 and "FIFO" in out.stderr and "Traceback" not in out.stderr
    scan = tmp_path / "scan"
    scan.mkdir()
    shutil.copy(revman_fixtures / "rm5" / "Fleiss1993.rm5", scan / "a.rm5")
    os.mkfifo(scan / "b.csv")
    report = reproduce(scan)
    assert report["review"].nunique() == 1 and not (report["status"] == "differs").any()
    assert any("b.csv" in n["note"] and "FIFO" in n["note"] for n in report.attrs["notes"])
    pkg = tmp_path / "pkg"
    shutil.copytree(revman_fixtures / "datapackage_v1" / "Fleiss1993_extracted", pkg)
    os.mkfifo(next(pkg.rglob("*-analysis-data")) / "extra-subgroup-estimates.csv")
    review = read_review(pkg)
    assert any("FIFO" in n for n in review.notes)


def test_symlink_loops_report_each_review_once(tmp_path: Path, revman_fixtures: Path):
    for name, loops in (("one", ["loop"]), ("two", ["loop1", "loop2"])):
        d = tmp_path / name
        d.mkdir()
        shutil.copy(revman_fixtures / "rm5" / "Fleiss1993.rm5", d / "a.rm5")
        for loop in loops:
            (d / loop).symlink_to(".")
        report = reproduce(d)
        assert len(report) == 2 and report["review"].nunique() == 1, name
        assert any("link" in n["note"] for n in report.attrs["notes"])
    (tmp_path / "self").symlink_to(tmp_path / "self")
    with pytest.raises(DataError):
        reproduce(tmp_path / "self")


@pytest.fixture(scope="module")
def mixed(shared: Path, tmp_path_factory) -> Path:
    """Three good Pairwise70 reviews, the CD001920 review (line 185: events 84 > N 21) and one
    unreadable file (header only)."""
    d = tmp_path_factory.mktemp("mixed")
    sample = sorted((shared / "fixtures" / "pairwise70-sample").glob("*-data-rows.csv"))[:3]
    for p in [*sample, *(shared / "fixtures" / "pairwise70-hard").glob("CD001920_pub4-*")]:
        shutil.copy(p, d / p.name)
    shutil.copy(shared / "fixtures" / "hostile" / "01_header_only-data-rows.csv", d)
    return d


def test_a_folder_with_the_cd001920_row_reproduces_every_good_analysis(mixed: Path):
    report = reproduce(mixed)
    good = report[report["review"] != "CD001920_pub4-data-rows.csv"]
    assert good["review"].nunique() == 3 and (good["status"] == "match").all()
    hard = report[report["review"] == "CD001920_pub4-data-rows.csv"].set_index("analysis")
    assert hard.loc["2.5", "status"] == "match" and hard.loc["2.5", "data_warnings"] == 1
    w = next(w for w in report.attrs["warnings"] if w["line"] == 185)
    assert (w["analysis"], w["study"], w["column"], w["found"]) == (
        "2.5", "ReTrain 2018", "'Experimental cases'", "84")
    assert w["file"].endswith("CD001920_pub4-data-rows.csv")
    (refused,) = report.attrs["refused"]
    assert refused["file"].endswith("01_header_only-data-rows.csv") and "line 2" in refused["reason"]


def test_cli_reports_warnings_and_refused_inputs_exit_2(mixed: Path, tmp_path: Path):
    out = run(str(mixed), "--csv", str(tmp_path / "r.csv"), "--html", str(tmp_path / "r.html"))
    assert out.returncode == 2, out.stderr
    assert "Traceback" not in out.stderr and "01_header_only-data-rows.csv" in out.stderr
    assert "CD001920_pub4-data-rows.csv: 3 warning(s)" in out.stdout and "line 185" in out.stdout
    assert "data warning(s) in 1 review(s)" in out.stdout and "1 input(s) refused" in out.stdout
    import pandas as pd

    csv = pd.read_csv(tmp_path / "r.csv", dtype={"analysis": str})
    assert (csv["status"] == "refused").sum() == 1
    row = csv[(csv["review"] == "CD001920_pub4-data-rows.csv") & (csv["analysis"] == "2.5")].iloc[0]
    assert row["data_warnings"] == 1 and row["review_data_warnings"] == 3
    assert "line 185" in row["warning_details"] and "ReTrain 2018" in row["warning_details"]
    assert "no settings file" in row["review_notes"]
    page = (tmp_path / "r.html").read_text()
    assert "Refused inputs (1)" in page and "Data warnings (3)" in page and "ReTrain 2018" in page
    strict = run(str(mixed), "--strict", "--quiet")
    assert strict.returncode == 2 and "Traceback" not in strict.stderr
    assert "analyses in" not in strict.stdout  # all or nothing: no report


def test_csv_frame_lists_refused_inputs(mixed: Path):
    frame = csv_frame(reproduce(mixed))
    assert frame["status"].eq("refused").sum() == 1


def test_an_input_with_no_analyses_is_an_error(tmp_path: Path):
    rm5 = tmp_path / "empty.rm5"
    rm5.write_text('<?xml version="1.0"?><COCHRANE_REVIEW><ANALYSES_AND_DATA/></COCHRANE_REVIEW>')
    _refused(rm5, "at least one analysis")
    (tmp_path / "nothing").mkdir()
    with pytest.raises(DataError, match="no review data"):
        reproduce(tmp_path / "nothing")
    out = run(str(tmp_path / "nothing"))
    assert out.returncode == 2 and "Traceback" not in out.stderr


def test_zip_of_an_unsupported_version_is_refused(tmp_path: Path):
    """Found by the long fuzz run (a flipped 'version needed to extract' byte): zipfile raised
    NotImplementedError through the reader."""
    import zipfile

    p = tmp_path / "pkg.zip"
    with zipfile.ZipFile(p, "w") as zf:
        zf.writestr("x-data-rows.csv", "a\n")
    data = bytearray(p.read_bytes())
    cd = data.index(b"PK\x01\x02")
    data[cd + 6:cd + 8] = (151).to_bytes(2, "little")
    p.write_bytes(bytes(data))
    _refused(p, "a readable zip archive", "NotImplementedError")


def test_an_unexpected_reader_exception_refuses_that_file_only(mixed: Path):
    """The safety net of report-and-go-on: any other exception of a reader refuses its file
    (named as a bug, which the fuzz test counts as a failure) and the rest is reproduced."""
    good = sorted(mixed.glob("CD0*-data-rows.csv"))[0]

    def reader(p):
        if p.name.startswith("CD001920"):
            raise KeyError("boom")
        return read_review(p, strict=False)

    report = reproduce(mixed, reader=reader)
    assert good.name in set(report["review"])
    reasons = {r["file"]: r["reason"] for r in report.attrs["refused"]}
    bad = next(f for f in reasons if "CD001920" in f)
    assert "a bug in mytools" in reasons[bad] and "KeyError" in reasons[bad]
    with pytest.raises(KeyError):
        reproduce(next(mixed.glob("CD001920*")), reader=reader, strict=True)
