"""RevMan 5 ``.rm5`` review XML → :class:`ReviewData`.

``ANALYSES_AND_DATA/COMPARISON/*_OUTCOME`` (DICH, CONT, IV = generic inverse variance, IPD = O−E
and variance) with optional ``*_SUBGROUP`` and ``*_DATA`` rows. RevMan stores ratios on the natural
scale, the SE of ratios on the natural-log scale; ``LOG_*`` attributes are base-10 logs for plotting
and are not read. An outcome's ``Q``/``P_Q``/``I2_Q`` are the test for subgroup differences,
``CHI2``/``P_CHI2``/``I2``/``TAU2`` its heterogeneity. Uncalculated results are empty strings →
NaN, with a note. Group 1 is the intervention arm, group 2 the control arm.

Security: parsed with ``defusedxml`` — entity declarations ("billion laughs") and external entities
are refused, nothing external is fetched. Errors name the file, the line where the element starts
(a file may be a single line), the outcome, the study and the attribute.
"""
from __future__ import annotations

import math
import re
from pathlib import Path
from xml.etree.ElementTree import Element, ParseError

import numpy as np
import pandas as pd
from defusedxml import DefusedXmlException
from defusedxml.ElementTree import DefusedXMLParser

from mytools.data.errors import DataError, Problem
from mytools.data.revman.checks import check_rows
from mytools.data.revman.model import (
    ANALYSIS_COLUMNS, ROW_COLUMNS, SUBGROUP_COLUMNS, ReviewData, blank_inapplicable,
    canonical_measure, frame,
)
from mytools.data.revman.safeio import fail, read_file
from mytools.data.revman.tables import MAX_NUMBER

__all__ = ["read_rm5", "unescape_id"]

KINDS = {"DICH": "dichotomous", "CONT": "continuous", "IV": "generic", "IPD": "o_e"}
METHODS = {"MH": "MH", "IV": "IV", "PETO": "Peto", "EXP_O_E_VAR": "Peto"}
RESULTS = {
    "EVENTS_1": "revman_events_intervention", "TOTAL_1": "revman_n_intervention",
    "EVENTS_2": "revman_events_control", "TOTAL_2": "revman_n_control",
    "EFFECT_SIZE": "revman_estimate", "CI_START": "revman_ci_low", "CI_END": "revman_ci_high",
    "TAU2": "revman_tau2", "CHI2": "revman_q", "DF": "revman_df", "P_CHI2": "revman_p_q",
    "I2": "revman_i2", "Z": "revman_z", "P_Z": "revman_p", "STUDIES": "revman_studies",
}
SUBGROUP_TEST = {"Q": "revman_subgroup_q", "P_Q": "revman_subgroup_p", "I2_Q": "revman_subgroup_i2"}
ROW_ATTRS = {
    "EVENTS_1": "events_intervention", "TOTAL_1": "n_intervention", "MEAN_1": "mean_intervention",
    "SD_1": "sd_intervention", "EVENTS_2": "events_control", "TOTAL_2": "n_control",
    "MEAN_2": "mean_control", "SD_2": "sd_control", "O_E": "o_e", "VAR": "variance",
    "WEIGHT": "revman_weight", "EFFECT_SIZE": "revman_estimate", "CI_START": "revman_ci_low",
    "CI_END": "revman_ci_high", "SE": "revman_se", "ORDER": "order",
}
_ESCAPE = re.compile(r"_x([0-9A-Fa-f]{4})_")
_DOI = re.compile(r"CD\d{6}")


def unescape_id(text: str) -> str:
    """Undo RevMan's XML-name escaping of ids: ``STD-ISIS_x002d_2`` → ``STD-ISIS-2``.

    >>> unescape_id("STD-A_x0020_B_x00e9_")
    'STD-A Bé'
    """
    return _ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), text)


class _Src(str):
    """The file name, knowing the line on which each element starts."""

    lines: dict[int, int]

    def line(self, el: Element) -> int | None:
        return self.lines.get(id(el))


MAX_DEPTH = 64  # RevMan nests about 10 deep; deeper input is refused (no RecursionError)


class _TooDeep(Exception):
    def __init__(self, line: int, column: int):
        super().__init__(line, column)
        self.line, self.column = line, column


class _LineParser(DefusedXMLParser):
    """defusedxml's parser, recording the line of every element's start tag and refusing
    elements nested deeper than :data:`MAX_DEPTH`."""

    def __init__(self) -> None:
        super().__init__(forbid_dtd=False, forbid_entities=True, forbid_external=True)
        self.lines: dict[int, int] = {}
        self.depth = 0

    def _start(self, tag, attr_list):  # noqa: ANN001 (expat callback)
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise _TooDeep(self.parser.CurrentLineNumber, self.parser.CurrentColumnNumber + 1)
        elem = super()._start(tag, attr_list)
        self.lines[id(elem)] = self.parser.CurrentLineNumber
        return elem

    def _end(self, tag):  # noqa: ANN001 (expat callback)
        self.depth -= 1
        return super()._end(tag)


def _number(el: Element, attr: str, src: _Src, analysis: str | None, study: str | None) -> float:
    """A number attribute; blank or absent → NaN; anything else is a DataError."""
    value = el.get(attr)
    if value is None or value.strip() == "":
        return math.nan
    try:
        x = float(value)
    except ValueError:
        x = math.nan
    if not math.isfinite(x):
        raise fail(src, "a number or blank", line=src.line(el), column=f"attribute {attr}",
                   found=value, study=study, analysis=analysis)
    return x


def _whole(el: Element, attr: str, src: _Src, analysis: str) -> int:
    x = _number(el, attr, src, analysis, None)
    if math.isnan(x) or x != round(x) or not 0 <= x <= MAX_NUMBER:
        raise fail(src, f"a whole number from 0 to {MAX_NUMBER}", line=src.line(el),
                   column=f"attribute {attr}", found=el.get(attr), analysis=analysis)
    return int(x)


def _text(el: Element | None) -> str:
    return " ".join("".join(el.itertext()).split()) if el is not None else ""


def _year(value: str | None) -> float:
    """Study year; RevMan allows free text ("1980a", "2006."): take 4 digits."""
    m = re.search(r"\d{4}", value or "")
    return float(m.group()) if m else math.nan


def _parse(data: bytes, src: _Src) -> Element:
    parser = _LineParser()
    src.lines = parser.lines
    try:
        parser.feed(data)
        root = parser.close()
    except DefusedXmlException as exc:
        raise fail(src, "XML without entity declarations (RevMan files declare none; entities "
                   "can expand without bound or read other files)",
                   line=parser.parser.CurrentLineNumber,
                   found=f"refused unsafe XML ({type(exc).__name__})") from None
    except ParseError as exc:
        line, col = getattr(exc, "position", (None, None))
        raise fail(src, "a well-formed RevMan 5 review file", line=line, column=f"character {col}",
                   found=f"malformed XML ({exc})") from None
    except _TooDeep as exc:
        raise fail(src, f"XML nested at most {MAX_DEPTH} elements deep (RevMan: about 10)",
                   line=exc.line, column=f"character {exc.column}",
                   found="deeper nesting") from None
    except (LookupError, ValueError) as exc:  # an encoding Python does not know
        raise fail(src, "an XML encoding declaration Python knows (RevMan: UTF-8, ISO-8859-1)",
                   line=1, column="encoding", found=f"{type(exc).__name__}: {exc}") from None
    if root.tag != "COCHRANE_REVIEW":
        raise fail(src, "root element <COCHRANE_REVIEW> (RevMan 5)", found=f"<{root.tag}>")
    return root


def _outcome(out_el: Element, kind: str, c_no: int, c_name: str, src: _Src) -> dict:
    """Settings and stored results of one outcome."""
    ref = out_el.get("ID", "?")
    o_no = _whole(out_el, "NO", src, ref)
    key = f"{c_no}.{o_no}"
    dtype = KINDS[kind]
    label = out_el.get("EFFECT_MEASURE") or _text(out_el.find("EFFECT_MEASURE"))
    measure = canonical_measure(label, dtype)
    if measure is None:
        raise fail(src, f"an effect measure for {dtype} data", line=src.line(out_el),
                   column="attribute EFFECT_MEASURE", found=label, analysis=key)
    method_code = (out_el.get("METHOD") or {"DICH": "MH", "IPD": "PETO"}.get(kind, "IV")).upper()
    if method_code not in METHODS:
        raise fail(src, f"a method: one of {', '.join(METHODS)}", line=src.line(out_el),
                   column="attribute METHOD", found=method_code, analysis=key)
    log_data = out_el.get("LOG_DATA")
    log_scale = (log_data.upper() == "YES" if kind == "IV" and log_data
                 else measure in ("RR", "OR", "PETO_OR", "HR") or kind == "IPD")
    totals = (out_el.get("TOTALS") or "YES").upper()
    has_sub = (out_el.get("SUBGROUPS") or "NO").upper() == "YES"
    rec = {
        "analysis": key, "group": c_no, "number": o_no, "name": _text(out_el.find("NAME")),
        "group_name": c_name, "data_type": dtype, "method": METHODS[method_code],
        "measure": measure, "measure_label": label, "log_scale": bool(log_scale),
        "model": "random" if (out_el.get("RANDOM") or "NO").upper() == "YES" else "fixed",
        "ci_method": "wald", "swap_events": (out_el.get("SWAP_EVENTS") or "NO").upper() == "YES",
        "overall": totals == "YES", "subgroup_estimates": has_sub and totals in ("YES", "SUB"),
        "subgroup_test": has_sub and (out_el.get("SUBGROUP_TEST") or "NO").upper() == "YES",
        "prediction_interval": False, "tau2_ci": False,
        "label_intervention": _text(out_el.find("GROUP_LABEL_1")),
        "label_control": _text(out_el.find("GROUP_LABEL_2")),
        "graph_label_left": _text(out_el.find("GRAPH_LABEL_1")),
        "graph_label_right": _text(out_el.find("GRAPH_LABEL_2")),
        "unit": out_el.get("UNITS") or "", "settings_source": "file", "revman_id": ref,
        "_line": src.line(out_el),
    }
    if rec["method"] == "Peto" and measure == "OR":
        rec["measure"] = "PETO_OR"
    rec["name_raw"] = rec["name"]
    rec["tau2_method"] = "DL" if rec["model"] == "random" else None
    for attr, col in (("CI_STUDY", "study_ci_level"), ("CI_TOTAL", "ci_level")):
        level = _number(out_el, attr, src, key, None)
        rec[col] = 0.95 if math.isnan(level) else level / 100
    for attr, col in {**RESULTS, **SUBGROUP_TEST}.items():
        rec[col] = _number(out_el, attr, src, key, None)
    if not has_sub:  # RevMan writes 0.0 placeholders for the subgroup test
        for col in SUBGROUP_TEST.values():
            rec[col] = math.nan
    _not_estimable(out_el, rec)
    return rec


def _not_estimable(el: Element, rec: dict) -> None:
    """``ESTIMABLE="NO"``: RevMan writes 0.0 for every result; they are missing (NaN)."""
    if (el.get("ESTIMABLE") or "YES").upper() == "NO":
        for col in ("revman_estimate", "revman_ci_low", "revman_ci_high", "revman_tau2",
                    "revman_q", "revman_df", "revman_p_q", "revman_i2", "revman_z", "revman_p",
                    "revman_weight", *SUBGROUP_TEST.values()):
            if col in rec:
                rec[col] = math.nan


def _row(d: Element, kind: str, a: dict, sub: tuple[int, str], studies: dict, src: _Src) -> dict:
    sid = unescape_id(d.get("STUDY_ID", ""))
    label, year = studies.get(sid, (sid.removeprefix("STD-"), math.nan))
    rec = {"analysis": a["analysis"], "group": a["group"], "number": a["number"],
           "subgroup": sub[1], "subgroup_number": sub[0], "applicability": "SUBGROUP_AND_OVERALL",
           "study": label, "year": year, "study_id": sid, "footnote": _text(d.find("FOOTNOTE")),
           "file": str(src), "line": src.line(d), "_el": id(d)}
    for attr, col in ROW_ATTRS.items():
        rec[col] = _number(d, attr, src, a["analysis"], sid)
    if (d.get("ESTIMABLE") or "YES").upper() == "NO":  # RevMan writes 0.0 for "not estimable"
        for col in ("revman_weight", "revman_estimate", "revman_ci_low", "revman_ci_high",
                    "revman_se"):
            rec[col] = math.nan
    if kind == "IV":  # as entered: ESTIMATE/SE (log scale when LOG_DATA); else from EFFECT_SIZE
        est = _number(d, "ESTIMATE", src, a["analysis"], sid)
        if math.isnan(est) and not math.isnan(rec["revman_estimate"]):
            shown = rec["revman_estimate"]
            est = math.log(shown) if a["log_scale"] and shown > 0 else shown
        rec["giv_estimate"], rec["giv_se"] = est, rec["revman_se"]
    return rec


def _walk(root: Element, src: _Src, notes: list[str]) -> tuple[list, list, list, set]:
    """Analyses, subgroups and rows (dicts), and the ids of elements of outcomes not read."""
    studies = {unescape_id(st.get("ID", "")): (st.get("NAME") or st.get("ID", ""),
                                               _year(st.get("YEAR"))) for st in root.iter("STUDY")}
    section = root.find("ANALYSES_AND_DATA")
    if section is None:
        notes.append(f"{src}: no ANALYSES_AND_DATA section; the file holds no analyses")
        return [], [], [], set()
    analyses, subgroups, rows, skipped = [], [], [], set()
    for cmp_el in section.findall("COMPARISON"):
        c_no = _whole(cmp_el, "NO", src, cmp_el.get("ID", "?"))
        for out_el in cmp_el:
            kind = out_el.tag.split("_")[0]
            if not out_el.tag.endswith("_OUTCOME"):
                continue
            if kind not in KINDS:
                skipped.update(id(e) for e in out_el.iter())
                notes.append(f"{src}, outcome {out_el.get('ID', '?')}: {out_el.tag} is not read "
                             "(no data to pool)")
                continue
            a = _outcome(out_el, kind, c_no, _text(cmp_el.find("NAME")), src)
            blank = [c for c in ("revman_estimate", "revman_ci_low", "revman_ci_high", "revman_q",
                                 "revman_p_q", "revman_i2", "revman_z", "revman_p", "revman_tau2")
                     if math.isnan(a[c])]
            if blank:
                notes.append(f"{src}, outcome {a['revman_id']} ({a['name']}): RevMan stored no "
                             f"value for {', '.join(blank)}; kept as missing (NaN)")
            analyses.append(a)
            parts: list[tuple[tuple[int, str], Element]] = [((0, ""), out_el)]
            for sg in out_el.findall(f"{kind}_SUBGROUP"):
                s_no = _whole(sg, "NO", src, a["analysis"])
                s_name = _text(sg.find("NAME"))
                res = {col: _number(sg, attr, src, a["analysis"], None)
                       for attr, col in {**RESULTS, "WEIGHT": "revman_weight"}.items()}
                _not_estimable(sg, res)
                subgroups.append({"analysis": a["analysis"], "group": c_no, "number": a["number"],
                                  "subgroup": s_name, "subgroup_number": s_no, **res})
                parts.append(((s_no, s_name), sg))
            for sub, parent in parts:
                rows += [_row(d, kind, a, sub, studies, src) for d in parent.findall(f"{kind}_DATA")]
    return analyses, subgroups, rows, skipped


def _unread_data(root: Element, read: set[int], skipped: set[int], src: _Src,
                 warnings: list | None) -> None:
    """Every ``*_DATA`` element of ANALYSES_AND_DATA that was not read (wrapped in another
    element, of another outcome's kind, nested): a warning, or (strict) a DataError."""
    section = root.find("ANALYSES_AND_DATA")
    if section is None:
        return
    lost = [el for el in section.iter() if el is not section and el.tag.endswith("_DATA")
            and id(el) not in read
            and id(el) not in skipped]
    if not lost:
        return
    found = [Problem(str(src), src.line(el), unescape_id(el.get("STUDY_ID", "")) or None,
                     f"element <{el.tag}>", "a data row directly inside an outcome (or subgroup) "
                     "of its own kind; this one is not read", f"<{el.tag}>", None) for el in lost]
    if warnings is None:
        raise DataError(found)
    warnings.extend(found)


def read_rm5(path: str | Path, warnings: list | None = None) -> ReviewData:
    """Read a RevMan 5 ``.rm5`` file (any declared encoding, e.g. ISO-8859-1; may be one line).
    ``warnings``: a list for rows not read or not estimable (lenient reading)."""
    src = _Src(path)
    data = read_file(path)
    root = _parse(data, src)
    notes: list[str] = []
    analyses, subgroups, rows, skipped = _walk(root, src, notes)
    _unread_data(root, {r.pop("_el") for r in rows}, skipped, src, warnings)
    lines = [a.pop("_line") for a in analyses]
    a = frame(pd.DataFrame(analyses), ANALYSIS_COLUMNS)
    if a["analysis"].duplicated().any():
        dup = a.loc[a["analysis"].duplicated(), "analysis"].tolist()
        first = int(np.flatnonzero(a["analysis"].duplicated().to_numpy())[0])
        raise fail(src, "each outcome number once per comparison", line=lines[first],
                   column="attribute NO", found=", ".join(dup), analysis=dup[0])
    r = frame(pd.DataFrame(rows), ROW_COLUMNS) if rows else frame(pd.DataFrame(
        columns=list(ROW_COLUMNS)), ROW_COLUMNS)
    types = a.set_index("analysis")["data_type"]
    r = blank_inapplicable(r, types)
    check_rows(r, a, headers={c: f"attribute {k}" for k, c in ROW_ATTRS.items()}, notes=notes,
               data_types=types, warnings=warnings)
    s = frame(pd.DataFrame(subgroups), SUBGROUP_COLUMNS)
    doi = root.get("DOI") or ""
    m = _DOI.search(doi) or _DOI.search(src)
    title = _text(root.find("COVER_SHEET/TITLE")) or None
    return ReviewData(str(src), "rm5", m.group() if m else None, a, r, s, None, tuple(notes), title,
                      tuple(warnings or ()))
