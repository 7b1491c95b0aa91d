"""Bad and unsafe input: every rule raises mytools.data.DataError naming file (zip member),
line and column, or is refused before any harm. Each test builds a corrupted copy in tmp_path of
a real package from ../shared/fixtures/revman/ (Fleiss1993 v1 export, CD011506 v2.2)."""
from __future__ import annotations

import io
import re
import shutil
import zipfile
from pathlib import Path

import pytest

from mytools.data import DataError
from mytools.data.revman import ZipLimits, read_review

FLEISS = "datapackage_v1/Fleiss1993_extracted/921923100913455418-analysis-data"
CD011506 = "datapackage_v2/CD011506-SUP-06-dataPackage/CD011506-analysis-data"
ROWS, OVERALL = "-data-rows.csv", "-overall-estimates-and-settings.csv"


def _copy(revman_fixtures: Path, tmp_path: Path, which: str = FLEISS) -> Path:
    dest = tmp_path / Path(which).name
    shutil.copytree(revman_fixtures / which, dest)
    return dest


def _file(folder: Path, suffix: str) -> Path:
    return next(folder.glob(f"*{suffix}"))


def _edit(folder: Path, suffix: str, fn) -> Path:
    p = _file(folder, suffix)
    text = p.read_bytes().decode("utf-8-sig")
    p.write_text(fn(text), encoding="utf-8", newline="")
    return p


def _lines(text: str) -> list[str]:
    return text.split("\n")


def _raises(path, *patterns: str, **kw) -> DataError:
    with pytest.raises(DataError) as info:
        read_review(path, **kw)
    msg = str(info.value)
    for pat in patterns:
        assert re.search(pat, msg), (pat, msg)
    return info.value


# --- CSV content ------------------------------------------------------------------------------


def test_missing_required_column(revman_fixtures, tmp_path):
    pkg = _copy(revman_fixtures, tmp_path)
    _edit(pkg, ROWS, lambda t: t.replace("Experimental N,", "Experimental Count,", 1))
    _raises(pkg, r"-data-rows\.csv, line 1 .*column 'Experimental N': expected this column in the header")


def test_text_in_a_numeric_cell_names_line_column_study_and_analysis(revman_fixtures, tmp_path):
    pkg = _copy(revman_fixtures, tmp_path)
    _edit(pkg, ROWS, lambda t: t.replace(",246,2267,", ",246,2267x,", 1))  # AMIS, line 2
    err = _raises(pkg, r"-data-rows\.csv, line 2 \(analysis 1\.1, study AMIS\), column 'Experimental N': "
                  r"expected a number \(or blank\), found '2267x'")
    assert err.problems[0].line == 2


def test_events_above_n(revman_fixtures, tmp_path):
    pkg = _copy(revman_fixtures, tmp_path)
    _edit(pkg, ROWS, lambda t: t.replace(",246,2267,", ",2468,2267,", 1))
    _raises(pkg, r"line 2 \(analysis 1\.1, study AMIS\), column 'Experimental cases': expected at most "
            r"Experimental N \(events <= N\), found '2468'")


def test_negative_n(revman_fixtures, tmp_path):
    pkg = _copy(revman_fixtures, tmp_path)
    _edit(pkg, ROWS, lambda t: t.replace(",219,2257,", ",219,-2257,", 1))
    _raises(pkg, r"line 2 \(analysis 1\.1, study AMIS\), column 'Control N': expected a count >= 0, "
            r"found '-2257'")


def test_unknown_data_type_and_unknown_measure(revman_fixtures, tmp_path):
    pkg = _copy(revman_fixtures, tmp_path)
    p = _edit(pkg, OVERALL, lambda t: t.replace(",Dichotomous,", ",Binary,", 1))
    _raises(pkg, r"-overall-estimates-and-settings\.csv, line 2 \(analysis 1\.1, study -\), "
            r"column 'Data type': expected a RevMan data type: one of .*found 'Binary'")
    p.write_text(p.read_text().replace(",Binary,", ",Dichotomous,").replace(
        ",Odds Ratio,", ",Odds Rati0,"))
    _raises(pkg, r"line 2 \(analysis 1\.1, study -\), column 'Effect measure': expected an effect "
            r"measure for dichotomous data, found 'Odds Rati0'")


def test_orphan_study_row(revman_fixtures, tmp_path):
    pkg = _copy(revman_fixtures, tmp_path)
    rows = _lines(_file(pkg, ROWS).read_bytes().decode("utf-8-sig"))
    rows[3] = "3," + rows[3].split(",", 1)[1].split(",", 1)[1].join(["7,", ""])
    _file(pkg, ROWS).write_text("\n".join(rows), encoding="utf-8")
    study = rows[3].split(",")[5]
    _raises(pkg, rf"-data-rows\.csv, line 4 \(analysis 3\.7, study {study}\), column 'Analysis number': "
            r"expected an analysis listed in the settings file")


def test_duplicate_analysis_numbers(revman_fixtures, tmp_path):
    pkg = _copy(revman_fixtures, tmp_path)
    _edit(pkg, OVERALL, lambda t: re.sub(r"\n1,2,", "\n1,1,", t, count=1))
    _raises(pkg, r"overall-estimates-and-settings\.csv, line 3 \(analysis 1\.1, study -\), column "
            r"'Analysis number': expected each analysis once \(analysis 1\.1 is also on line 2\)")


def test_duplicate_analysis_numbers_in_bare_rows(revman_fixtures, tmp_path):
    src = revman_fixtures / "derived" / "CD008469_pub3-data-rows_from_Pairwise70.csv"
    lines = src.read_text(encoding="utf-8").split("\n")
    last = max(i for i, x in enumerate(lines) if x.startswith("2,4,"))
    lines.insert(last + 1, lines[1])  # a row of analysis 1.1 again at the end
    p = tmp_path / "CD008469-data-rows.csv"
    p.write_text("\n".join(lines), encoding="utf-8")
    _raises(p, rf"CD008469-data-rows\.csv, line {last + 2} \(analysis 1\.1, study Fisher 2009\), "
            r"column 'Analysis number': expected each analysis number once, its rows together "
            r"\(analysis 1\.1 starts on line 2 as 'Exacerbations")


def test_analysis_without_rows_is_kept_with_a_note(revman_fixtures, tmp_path):
    pkg = _copy(revman_fixtures, tmp_path)
    _edit(pkg, ROWS, lambda t: "\n".join(x for x in t.split("\n") if not x.startswith("1,2,")))
    r = read_review(pkg)
    assert list(r.analyses["analysis"]) == ["1.1", "1.2"] and r.study_rows("1.2").empty
    assert any("analysis 1.2 has no study rows (kept, zero rows)" in n for n in r.notes)


def test_truncated_csv_unterminated_quote(revman_fixtures, tmp_path):
    pkg = _copy(revman_fixtures, tmp_path, CD011506)
    p = _file(pkg, ROWS)
    data = p.read_bytes()
    cut = data.rfind(b'"')  # ends inside the last quoted cell
    p.write_bytes(data[: data.rfind(b"\n", 0, cut) + 1] + b'1,1,"All-cause mortality')
    last = data[: data.rfind(b"\n", 0, cut) + 1].count(b"\n") + 1
    _raises(pkg, rf"-data-rows\.csv, line {last} .*expected well-formed CSV \(every quote closed\)")


def test_short_row(revman_fixtures, tmp_path):
    pkg = _copy(revman_fixtures, tmp_path)
    p = _file(pkg, ROWS)
    text = p.read_bytes().decode("utf-8-sig")
    p.write_text(text.rstrip("\n").rsplit(",", 5)[0] + "\n", encoding="utf-8")
    n = text.rstrip("\n").count("\n") + 1
    _raises(pkg, rf"-data-rows\.csv, line {n} .*expected 24 fields as in the header, found '19 fields")


def test_cp1252_rows_are_decoded_with_a_note_naming_line_and_column(revman_fixtures, tmp_path):
    pkg = _copy(revman_fixtures, tmp_path)
    p = _file(pkg, ROWS)
    text = p.read_bytes().decode("utf-8-sig").replace("AMIS", "Müller")
    p.write_bytes(text.encode("cp1252"))
    r = read_review(pkg)
    assert r.rows["study"].iloc[0] == "Müller"
    assert any(re.search(r"-data-rows\.csv, line 2, byte column \d+: byte 0xfc is not UTF-8; the "
                         r"file was decoded as Windows-1252", n) for n in r.notes)


def test_bytes_neither_utf8_nor_cp1252_raise(revman_fixtures, tmp_path):
    pkg = _copy(revman_fixtures, tmp_path)
    p = _file(pkg, ROWS)
    p.write_bytes(p.read_bytes().replace(b"AMIS", b"AM\x81IS", 1))
    _raises(pkg, r"-data-rows\.csv, line 2 .*column byte \d+: expected UTF-8 \(or Windows-1252\) text, "
            r"found 'byte 0x81'")


def test_bare_rows_file_with_bad_cell(revman_fixtures, tmp_path):
    src = revman_fixtures / "derived" / "CD008469_pub3-data-rows_from_Pairwise70.csv"
    p = tmp_path / "CD008469-data-rows.csv"
    p.write_text(src.read_text(encoding="utf-8").replace(",0.4055,", ",zero point four,", 1))
    _raises(p, r"CD008469-data-rows\.csv, line 2 \(analysis 1\.1, study Fisher 2009\), column 'O-E': "
            r"expected a number")


# --- zips ------------------------------------------------------------------------------------


def _zip(path: Path, members: dict[str, bytes], method=zipfile.ZIP_DEFLATED) -> Path:
    with zipfile.ZipFile(path, "w", compression=method) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return path


def _package_members(revman_fixtures: Path) -> dict[str, bytes]:
    folder = revman_fixtures / FLEISS
    return {f"pkg/{folder.name}/{p.name}": p.read_bytes() for p in folder.iterdir()}


def test_inner_zip_and_zip_with_folder_read(revman_fixtures, tmp_path):
    z = _zip(tmp_path / "pkg.zip", _package_members(revman_fixtures))
    r = read_review(z)
    assert r.format == "datapackage-1" and len(r.rows) == 12
    assert r.rows["file"].iloc[0].endswith("pkg.zip!pkg/921923100913455418-analysis-data/"
                                           "921923100913455418-data-rows.csv")


def test_zip_bomb_is_refused_before_inflating(revman_fixtures, tmp_path):
    members = _package_members(revman_fixtures)
    members["pkg/bomb.csv"] = b"\0" * (20 * 2**20)  # 20 MiB of zeros -> ~20 KiB compressed
    z = _zip(tmp_path / "bomb.zip", members)
    assert z.stat().st_size < 200_000
    _raises(z, r"bomb\.zip!pkg/bomb\.csv .*expected a compression ratio of at most 200, found '\d+ "
            r"\(zip bomb\?\)'")


def test_member_and_total_size_limits(revman_fixtures, tmp_path):
    z = _zip(tmp_path / "pkg.zip", _package_members(revman_fixtures))
    _raises(z, r"pkg\.zip!pkg/.* expected a member of at most 1000 bytes uncompressed",
            limits=ZipLimits(max_member_bytes=1000))
    _raises(z, r"pkg\.zip .*expected at most 3000 bytes uncompressed in all",
            limits=ZipLimits(max_total_bytes=3000))
    _raises(z, r"pkg\.zip .*expected at most 2 zip members, found '3'",
            limits=ZipLimits(max_members=2))


@pytest.mark.parametrize("name", ["../evil.csv", "pkg/../../evil.csv", "/etc/evil.csv",
                                  "C:/evil.csv", "..\\evil.csv"])
def test_path_traversal_member_is_refused(revman_fixtures, tmp_path, name):
    members = _package_members(revman_fixtures)
    members[name] = b"x"
    z = _zip(tmp_path / "evil.zip", members)
    _raises(z, r"evil\.zip!.*expected a relative member name inside the package")
    assert not (tmp_path.parent / "evil.csv").exists()


def test_corrupt_zip(revman_fixtures, tmp_path):
    z = _zip(tmp_path / "pkg.zip", _package_members(revman_fixtures))
    data = z.read_bytes()
    (tmp_path / "cut.zip").write_bytes(data[: len(data) // 2])
    _raises(tmp_path / "cut.zip", r"cut\.zip .*expected a readable zip archive, found 'BadZipFile")
    # damage the compressed bytes of the data-rows member: CRC / inflate error on read
    with zipfile.ZipFile(z) as zf:
        info = next(i for i in zf.infolist() if i.filename.endswith(ROWS))
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    bad = bytearray(data)
    for k in range(start + 10, start + 40):
        bad[k] ^= 0xFF
    (tmp_path / "bad.zip").write_bytes(bytes(bad))
    _raises(tmp_path / "bad.zip", r"bad\.zip!pkg/.*-data-rows\.csv .*expected an intact zip member")


def test_nested_zip_only_one_level(revman_fixtures, tmp_path):
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w") as zf:
        for name, data in _package_members(revman_fixtures).items():
            zf.writestr(name, data)
    middle = io.BytesIO()
    with zipfile.ZipFile(middle, "w") as zf:
        zf.writestr("inner.zip", inner.getvalue())
    outer = _zip(tmp_path / "outer.zip", {"middle.zip": middle.getvalue()})
    _raises(outer, r"outer\.zip .*expected a RevMan data package with a file ending in '-data-rows\.csv'")
    ok = _zip(tmp_path / "ok.zip", {"x/inner.zip": inner.getvalue()})
    assert len(read_review(ok).rows) == 12  # one level (RevMan Web's -data.zip) is read


def test_symlink_out_of_the_package_is_not_followed(revman_fixtures, tmp_path):
    pkg = _copy(revman_fixtures, tmp_path)
    rows = _file(pkg, ROWS)
    outside = tmp_path / "outside.csv"
    outside.write_bytes(rows.read_bytes())
    rows.unlink()
    (pkg / rows.name).symlink_to(outside)
    _raises(pkg, r"expected a RevMan data package with a file ending in '-data-rows\.csv'")


def test_dta_package_is_refused(revman_fixtures, tmp_path):
    pkg = _copy(revman_fixtures, tmp_path)
    (pkg / "X-parameters.csv").write_text("a,b\n")
    _raises(pkg, r"expected an intervention review's package, found 'a -parameters\.csv file")


def test_xml_entity_bomb_via_read_review(tmp_path):
    bomb = ('<?xml version="1.0"?>\n<!DOCTYPE COCHRANE_REVIEW [<!ENTITY a "aaaaaaaaaa">'
            '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]>'
            "<COCHRANE_REVIEW>&c;</COCHRANE_REVIEW>")
    p = tmp_path / "bomb.rm5"
    p.write_text(bomb)
    _raises(p, r"bomb\.rm5, line 2 .*expected XML without entity declarations.*refused unsafe XML "
            r"\(EntitiesForbidden\)")
