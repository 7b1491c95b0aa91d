"""RevMan 5 files crafted in tmp_path: subgroups, generic IV, encodings, and unsafe or malformed
.rm5 / CSV input (moved from test_revman.py, assertions unchanged). References: the numbers RevMan 5
stored in ../shared/fixtures/revman/Fleiss1993.rm5 (for the generic IV outcome) and textbook
formulas."""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from mytools.data import DataError
from mytools.data.revman import read_review
from mytools.data.revman.revman_csv import read_revman_csv
from mytools.data.revman.rm5 import read_rm5
from mytools.reproduce import pool_analysis


@pytest.fixture(scope="module")
def rm5(revman_fixtures: Path):
    return read_review(revman_fixtures / "Fleiss1993.rm5")


# --- crafted files: subgroups, generic IV, encodings -----------------------------------------

HEAD = '<?xml version="1.0" encoding="ISO-8859-1" standalone="no"?>\n'


def _review(body: str, studies: str = "") -> str:
    return (
        HEAD + '<COCHRANE_REVIEW><COVER_SHEET><TITLE>T</TITLE></COVER_SHEET>'
        f'<STUDIES_AND_REFERENCES><STUDIES><INCLUDED_STUDIES>{studies}</INCLUDED_STUDIES>'
        '</STUDIES></STUDIES_AND_REFERENCES>'
        f'<ANALYSES_AND_DATA><COMPARISON ID="CMP-001" NO="1"><NAME>C</NAME>{body}</COMPARISON>'
        '</ANALYSES_AND_DATA></COCHRANE_REVIEW>'
    )


SUBGROUP_OUTCOME = (
    '<DICH_OUTCOME ID="CMP-001.01" NO="1" EFFECT_MEASURE="RR" METHOD="MH" RANDOM="YES" '
    'SUBGROUPS="YES" TOTALS="YES" CHI2="" CI_END="" CI_START="" EFFECT_SIZE="" DF="2" Q="1.5" '
    'P_Q="0.22" I2_Q="33.3"><NAME>O</NAME><GROUP_LABEL_1>Drug</GROUP_LABEL_1>'
    '<GROUP_LABEL_2>Placebo</GROUP_LABEL_2>'
    '<DICH_SUBGROUP ID="CMP-001.01.01" NO="1" EFFECT_SIZE="1.5" CI_START="0.9" CI_END="2.5">'
    '<NAME>Adults</NAME>'
    '<DICH_DATA STUDY_ID="STD-M_x00fc_ller_x002d_2001" EVENTS_1="4" TOTAL_1="10" EVENTS_2="2" '
    'TOTAL_2="10" ORDER="1"/>'
    '<DICH_DATA STUDY_ID="STD-B" EVENTS_1="6" TOTAL_1="12" EVENTS_2="4" TOTAL_2="11" ORDER="2"/>'
    '</DICH_SUBGROUP>'
    '<DICH_SUBGROUP ID="CMP-001.01.02" NO="2"><NAME>Children</NAME>'
    '<DICH_DATA STUDY_ID="STD-C" EVENTS_1="3" TOTAL_1="9" EVENTS_2="3" TOTAL_2="8" ORDER="3"/>'
    '</DICH_SUBGROUP></DICH_OUTCOME>'
)
STUDIES = (
    '<STUDY ID="STD-M_x00fc_ller_x002d_2001" NAME="M\u00fcller 2001" YEAR="2001a"/>'
    '<STUDY ID="STD-B" NAME="B" YEAR="2003"/>'
)


def _write(tmp_path: Path, text: str, name: str = "r.rm5", encoding: str = "iso-8859-1") -> Path:
    p = tmp_path / name
    p.write_bytes(text.encode(encoding))
    return p


def test_crafted_subgroups_latin1_names_and_random_model(tmp_path):
    path = _write(tmp_path, _review(SUBGROUP_OUTCOME, STUDIES))
    assert "M\u00fcller".encode("iso-8859-1") in path.read_bytes()  # one byte 0xFC, not UTF-8
    r = read_rm5(path)
    o = r.analysis("1.1")
    assert (o["measure"], o["method"], o["model"], o["subgroup_estimates"]) == (
        "RR", "MH", "random", True)
    assert (o["revman_subgroup_q"], o["revman_subgroup_p"], o["revman_subgroup_i2"]) == (
        1.5, 0.22, 33.3)
    assert math.isnan(o["revman_estimate"])
    s = r.study_rows("1.1")
    assert list(s["study"]) == ["M\u00fcller 2001", "B", "C"]  # C has no STUDY entry
    assert list(s["study_id"]) == ["STD-M\u00fcller-2001", "STD-B", "STD-C"]
    assert list(s["subgroup"]) == ["Adults", "Adults", "Children"]
    assert s["year"].iloc[0] == 2001
    sg = r.subgroups.set_index("subgroup_number")
    assert list(sg["subgroup"]) == ["Adults", "Children"]
    assert (sg.loc[1, "revman_estimate"], sg.loc[1, "revman_ci_low"], sg.loc[1, "revman_ci_high"]
            ) == (1.5, 0.9, 2.5)
    pooled = pool_analysis(r, "1.1")
    assert pooled.settings["data_type"] == "dichotomous"
    assert pooled.settings["model"] == "random" and pooled.settings["tau2_method"] == "DL"
    assert list(pooled.rows["events_intervention"]) == [4, 6, 3]
    sub1 = pool_analysis(r, "1.1", subgroup=1)
    assert list(sub1.rows["study"]) == ["M\u00fcller 2001", "B"]


def test_crafted_generic_inverse_variance_outcome(tmp_path, rm5):
    # Generic IV outcome built from RevMan's own per-study odds ratios and SEs (Fleiss aspirin);
    # the IV fixed-effect pool is checked against the textbook formula exp(Σ w ln OR / Σ w).
    src = rm5.study_rows("1.1")
    data = "".join(
        f'<IV_DATA STUDY_ID="STD-{i}" EFFECT_SIZE="{e!r}" SE="{se!r}" ORDER="{i}"/>'
        for i, (e, se) in enumerate(zip(src["revman_estimate"], src["revman_se"]), start=1)
    )
    body = (
        '<IV_OUTCOME ID="CMP-001.02" NO="2" LOG_DATA="YES" RANDOM="NO" SUBGROUPS="NO">'
        '<NAME>Generic</NAME><GROUP_LABEL_1>A</GROUP_LABEL_1><GROUP_LABEL_2>B</GROUP_LABEL_2>'
        f'<EFFECT_MEASURE>Odds Ratio</EFFECT_MEASURE>{data}</IV_OUTCOME>'
    )
    r = read_rm5(_write(tmp_path, _review(body)))
    o = r.analysis("1.2")
    assert (o["data_type"], o["measure"], o["log_scale"]) == ("generic", "OR", True)
    est = r.study_rows("1.2")
    assert len(est) == 7
    assert np.allclose(est["giv_estimate"], np.log(src["revman_estimate"]), rtol=1e-15)
    pooled = pool_analysis(r, "1.2")
    assert pooled.settings["data_type"] == "generic" and pooled.settings["log_scale"]
    res = pooled.result
    w = 1 / src["revman_se"].to_numpy() ** 2
    y = np.log(src["revman_estimate"].to_numpy())
    assert res["estimate"] == pytest.approx(math.exp(np.sum(w * y) / np.sum(w)), rel=1e-12)
    assert res["se"] == pytest.approx(math.sqrt(1 / np.sum(w)), rel=1e-12)


def test_csv_in_windows_1252_is_decoded(tmp_path, revman_fixtures):
    text = (revman_fixtures / "Fleiss1993_CR.csv").read_text(encoding="utf-8")
    text = text.replace("MRC-1", "M\u00fcller")
    p = tmp_path / "x.csv"
    p.write_bytes(text.encode("cp1252"))
    r = read_revman_csv(p)
    assert r.study_rows("1.1")["study"].iloc[0] == "M\u00fcller"
    # the first non-UTF-8 byte is the "²" of "I²(Q)" in the header (line 1)
    assert any("x.csv, line 1, byte column 222: byte 0xb2 is not UTF-8" in n
               and "decoded as Windows-1252" in n for n in r.notes)


# --- unsafe and malformed files are rejected ------------------------------------------------


BILLION_LAUGHS = (
    '<?xml version="1.0"?>\n<!DOCTYPE COCHRANE_REVIEW [\n <!ENTITY lol "lol">\n'
    + "".join(
        f' <!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">\n'
        for i in range(1, 10)
    )
    + ']>\n<COCHRANE_REVIEW><COVER_SHEET><TITLE>&lol9;</TITLE></COVER_SHEET></COCHRANE_REVIEW>\n'
)


def test_billion_laughs_is_refused(tmp_path):
    with pytest.raises(DataError, match=r"r\.rm5, line 3 .*refused unsafe XML \(EntitiesForbidden"):
        read_rm5(_write(tmp_path, BILLION_LAUGHS))


def test_external_entity_is_refused_and_not_read(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-CONTENT")
    xml = (
        f'<?xml version="1.0"?>\n<!DOCTYPE COCHRANE_REVIEW [<!ENTITY xxe SYSTEM "{secret.as_uri()}">]>\n'
        "<COCHRANE_REVIEW><COVER_SHEET><TITLE>&xxe;</TITLE></COVER_SHEET></COCHRANE_REVIEW>"
    )
    with pytest.raises(DataError, match="refused unsafe XML") as info:
        read_rm5(_write(tmp_path, xml))
    assert "TOP-SECRET-CONTENT" not in str(info.value)


def test_external_parameter_entity_is_refused(tmp_path):
    xml = (
        '<?xml version="1.0"?>\n<!DOCTYPE COCHRANE_REVIEW [<!ENTITY % pe SYSTEM '
        '"http://127.0.0.1:9/evil.dtd"> %pe;]>\n<COCHRANE_REVIEW/>'
    )
    with pytest.raises(DataError, match="refused unsafe XML"):
        read_rm5(_write(tmp_path, xml))


def test_malformed_xml_is_rejected_with_its_position(tmp_path):
    text = _review(SUBGROUP_OUTCOME, STUDIES)
    with pytest.raises(DataError, match=r"r\.rm5, line \d+ .*column character \d+: .*malformed XML"):
        read_rm5(_write(tmp_path, text[: len(text) // 2]))


def test_wrong_root_is_rejected(tmp_path):
    with pytest.raises(DataError, match=r"expected root element <COCHRANE_REVIEW> .*found '<html>'"):
        read_rm5(_write(tmp_path, "<html><body/></html>"))


def test_bad_number_names_file_outcome_study_and_attribute(tmp_path):
    text = _review(SUBGROUP_OUTCOME.replace('EVENTS_1="6"', 'EVENTS_1="six"'), STUDIES)
    with pytest.raises(
        DataError,
        match=r"r\.rm5, line 2 \(analysis 1\.1, study STD-B\), column attribute EVENTS_1: expected a number "
        r"or blank, found 'six'",
    ):
        read_rm5(_write(tmp_path, text))


def test_events_above_total_are_rejected(tmp_path):
    text = _review(SUBGROUP_OUTCOME.replace('EVENTS_1="6"', 'EVENTS_1="13"'), STUDIES)
    with pytest.raises(DataError, match=r"r\.rm5, line 2 \(analysis 1\.1, study B\), column 'attribute EVENTS_1': "
                       r"expected at most attribute TOTAL_1 \(events <= N\), found '13'"):
        read_rm5(_write(tmp_path, text))


def test_missing_file_is_reported(tmp_path):
    with pytest.raises(DataError, match="cannot read the file"):
        read_rm5(tmp_path / "absent.rm5")


def _csv(revman_fixtures: Path) -> list[str]:
    return (revman_fixtures / "Fleiss1993_CR.csv").read_text(encoding="utf-8").splitlines()


def test_csv_missing_mandatory_column(tmp_path, revman_fixtures):
    lines = _csv(revman_fixtures)
    lines[0] = lines[0].replace("Subgroup Number", "Group")
    p = tmp_path / "x.csv"
    p.write_text("\n".join(lines), encoding="utf-8")
    with pytest.raises(DataError, match=r"x\.csv, line 1 .*column 'Subgroup Number': expected this column"):
        read_revman_csv(p)


def test_csv_bad_number_names_line_row_and_column(tmp_path, revman_fixtures):
    lines = _csv(revman_fixtures)
    assert lines[4].startswith("1,1,0,CDP,")
    lines[4] = lines[4].replace(",44,", ",forty-four,", 1)
    p = tmp_path / "x.csv"
    p.write_text("\n".join(lines), encoding="utf-8")
    with pytest.raises(
        DataError, match=r"x\.csv, line 5 \(study CDP\), column 'Events 1': expected a number .*found 'forty-four'"
    ):
        read_revman_csv(p)


def test_csv_ragged_row_and_unknown_data_type(tmp_path, revman_fixtures):
    lines = _csv(revman_fixtures)
    p = tmp_path / "x.csv"
    p.write_text("\n".join(lines[:3] + [lines[3] + ",extra"]), encoding="utf-8")
    with pytest.raises(DataError, match=r"line 4 .*expected \d+ fields as in the header, found '\d+ fields"):
        read_revman_csv(p)
    lines[2] = lines[2].replace(",DIC,", ",XYZ,")
    p.write_text("\n".join(lines), encoding="utf-8")
    with pytest.raises(DataError, match=r"line 3 .*column 'Data Type': expected a data type: one of .*found 'XYZ'"):
        read_revman_csv(p)
