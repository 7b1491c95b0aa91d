"""Read Review Manager 5 files: ``.rm5`` review XML and the "analysis data" CSV export.

Both readers return a :class:`RevManReview` with tables shaped like the project's data:

* ``outcomes`` — one row per outcome (an analyses-registry-like spec: ``analysis_id`` "c.o",
  comparison, outcome, data_type, measure, method, model, group and graph labels) plus RevMan's
  stored totals: estimate, ci_low, ci_high, q (RevMan's CHI2), df, p_q, i2, z, p_z, tau2, and the
  test for subgroup differences (q_subgroups, p_subgroups, i2_subgroups).
* ``subgroups`` — the same stored results per subgroup.
* ``studies`` — one row per study per outcome, wide: the inputs (events/n or mean/sd/n per arm,
  or a generic estimate and SE) and RevMan's stored per-study results (estimate, ci_low, ci_high,
  se, var, weight in percent).
* ``outcome_data`` / ``study_estimates`` (properties) — the inputs reshaped to the project's
  arm-level ``outcome_data`` and generic ``study_estimates`` tables.

Blank stored numbers (RevMan leaves totals blank e.g. when it has not computed them) become NaN
and are listed in ``notes``; nothing else is silently dropped. RevMan stores ratios (OR, RR) on
the natural scale, their SE on the natural-log scale; attributes ``LOG_*`` are base-10 logs for
plotting and are not read. Group 1 is the intervention arm, group 2 the control arm.

Security: the XML is parsed with ``defusedxml`` — entity declarations (the "billion laughs"
expansion and external entities) are refused and no external resource is fetched; malformed XML,
a root other than ``COCHRANE_REVIEW`` and unparsable numbers raise :class:`RevManError` naming
the file, the outcome, the study and the attribute.
"""
from __future__ import annotations

import csv
import io
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import Element, ParseError

import numpy as np
import pandas as pd
from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

__all__ = [
    "RevManError",
    "RevManReview",
    "read_rm5",
    "read_revman_csv",
    "read_revman",
    "unescape_id",
]

DATA_TYPES = {"DICH": "dichotomous", "CONT": "continuous", "IV": "generic", "IPD": "o_e"}
RATIO_MEASURES = {"OR", "RR", "HR", "PETO_OR", "RATIO"}
MEASURE_NAMES = {  # generic IV outcomes name their measure in words
    "odds ratio": "OR", "risk ratio": "RR", "hazard ratio": "HR", "peto odds ratio": "PETO_OR",
    "risk difference": "RD", "mean difference": "MD", "std. mean difference": "SMD",
    "standardized mean difference": "SMD", "standardised mean difference": "SMD",
}
# stored-result attributes of outcomes/subgroups -> our column names
TOTAL_ATTRS = {
    "EFFECT_SIZE": "estimate", "CI_START": "ci_low", "CI_END": "ci_high", "CHI2": "q", "DF": "df",
    "P_CHI2": "p_q", "I2": "i2", "Z": "z", "P_Z": "p_z", "TAU2": "tau2", "Q": "q_subgroups",
    "P_Q": "p_subgroups", "I2_Q": "i2_subgroups", "EVENTS_1": "events_t", "TOTAL_1": "n_t",
    "EVENTS_2": "events_c", "TOTAL_2": "n_c", "STUDIES": "k", "WEIGHT": "weight",
}
RESULT_COLS = ("estimate", "ci_low", "ci_high", "q", "df", "p_q", "i2", "z", "p_z", "tau2")
STUDY_ATTRS = {
    "EVENTS_1": "events_t", "TOTAL_1": "n_t", "MEAN_1": "mean_t", "SD_1": "sd_t",
    "EVENTS_2": "events_c", "TOTAL_2": "n_c", "MEAN_2": "mean_c", "SD_2": "sd_c",
    "O_E": "o_e", "VAR": "var", "EFFECT_SIZE": "estimate", "CI_START": "ci_low",
    "CI_END": "ci_high", "SE": "se", "WEIGHT": "weight", "ORDER": "order",
}
COUNT_COLS = ("events_t", "n_t", "events_c", "n_c")
_ESCAPE = re.compile(r"_x([0-9A-Fa-f]{4})_")


class RevManError(ValueError):
    """A RevMan file that cannot be read; the message names file, place, field and expectation."""


def unescape_id(text: str) -> str:
    """Undo RevMan's XML-name escaping of ids: ``STD-ISIS_x002d_2`` → ``STD-ISIS-2``."""
    return _ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), text)


@dataclass(frozen=True)
class RevManReview:
    """A parsed RevMan file (see the module docstring for the tables)."""

    source: str
    kind: str  # "rm5" or "csv"
    title: str | None
    outcomes: pd.DataFrame
    subgroups: pd.DataFrame
    studies: pd.DataFrame
    notes: tuple[str, ...] = field(default=())

    def outcome(self, analysis_id: str) -> dict[str, Any]:
        """The outcome row (spec and stored totals) as a dict."""
        rows = self.outcomes[self.outcomes["analysis_id"] == analysis_id]
        if rows.empty:
            raise KeyError(
                f"{self.source}: no outcome {analysis_id!r}; "
                f"available: {', '.join(self.outcomes['analysis_id'])}"
            )
        return rows.iloc[0].to_dict()

    def study_rows(self, analysis_id: str, subgroup: int | None = None) -> pd.DataFrame:
        """The studies of one outcome (optionally one subgroup) in RevMan's file order."""
        s = self.studies[self.studies["analysis_id"] == analysis_id]
        if subgroup is not None:
            s = s[s["subgroup_no"] == subgroup]
        return s.reset_index(drop=True)

    @property
    def outcome_data(self) -> pd.DataFrame:
        """Arm-level rows (dichotomous and continuous outcomes) as in ``data/outcome_data.csv``."""
        s = self.studies[self.studies["data_type"].isin(["dichotomous", "continuous"])]
        keep = ["analysis_id", "subgroup_no", "subgroup", "study_id", "study_label"]
        s = s.reset_index(drop=True)
        arms = []
        for arm, sfx in (("intervention", "_t"), ("control", "_c")):
            part = s[keep].copy()
            part.insert(5, "arm", arm)
            for col in ("n", "events", "mean", "sd"):
                part[col] = s[col + sfx]
            part["order"] = s["order"]
            arms.append(part)
        out = pd.concat(arms, ignore_index=True)
        out["_arm"] = (out["arm"] == "control").astype(int)
        out = out.sort_values(["analysis_id", "order", "_arm"], kind="stable").drop(columns="_arm")
        out["provenance"] = "reported"
        out["source"] = self.source
        return out.reset_index(drop=True)

    @property
    def study_estimates(self) -> pd.DataFrame:
        """Generic inverse-variance inputs as in ``data/study_estimates.csv`` (estimate natural
        scale, ``se`` on the analysis scale, ``log_scale`` for ratios)."""
        s = self.studies[self.studies["data_type"] == "generic"]
        cols = ["analysis_id", "subgroup_no", "subgroup", "study_id", "study_label", "estimate",
                "ci_low", "ci_high", "se", "log_scale"]
        out = s[cols].copy()
        out["provenance"] = "reported"
        out["source"] = self.source
        return out.reset_index(drop=True)


# --------------------------------------------------------------------------------------------
# .rm5 XML


def _where(path: str, outcome: Element | None = None, study: str | None = None) -> str:
    parts = [path]
    if outcome is not None:
        parts.append(f"outcome {outcome.get('ID', '?')} ({outcome.tag})")
    if study is not None:
        parts.append(f"study {study}")
    return ", ".join(parts)


def _number(value: str | None, where: str, attr: str) -> float:
    """RevMan number attribute → float; blank or absent → NaN; anything else is an error."""
    if value is None or value.strip() == "":
        return math.nan
    try:
        return float(value)
    except ValueError:
        raise RevManError(f"{where}: {attr} = {value!r}; expected a number or blank") from None


def _whole(value: str | None, where: str, attr: str) -> int:
    """A required whole-number attribute (comparison, outcome and subgroup numbers)."""
    x = _number(value, where, attr)
    if math.isnan(x) or x != round(x):
        raise RevManError(f"{where}: {attr} = {value!r}; expected a whole number")
    return int(x)


def _year(value: str | None) -> float:
    """Study year as a number; RevMan allows free text ("1980a", "2006."), so take 4 digits."""
    m = re.search(r"\d{4}", value or "")
    return float(m.group()) if m else math.nan


def _parse_xml(data: bytes, path: str) -> Element:
    try:
        root = fromstring(data, forbid_dtd=False, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        raise RevManError(
            f"{path}: refused unsafe XML ({type(exc).__name__}: {exc}); RevMan files declare no "
            "entities, and entity declarations can expand without bound or read other files"
        ) from None
    except ParseError as exc:
        line, col = getattr(exc, "position", (None, None))
        raise RevManError(
            f"{path}: malformed XML at line {line}, column {col} ({exc}); expected a well-formed "
            "RevMan 5 review file"
        ) from None
    if root.tag != "COCHRANE_REVIEW":
        raise RevManError(f"{path}: root element is <{root.tag}>; expected <COCHRANE_REVIEW> (RevMan 5)")
    return root


def _text(el: Element | None) -> str | None:
    if el is None:
        return None
    return " ".join("".join(el.itertext()).split()) or None


def _measure(outcome: Element, kind: str) -> str:
    m = outcome.get("EFFECT_MEASURE")
    if m is None:
        m = _text(outcome.find("EFFECT_MEASURE")) or ""
        m = MEASURE_NAMES.get(m.lower(), m)
    return m


def _model(random: str | None) -> str:
    return "random" if (random or "NO").upper() == "YES" else "fixed"


def _totals(el: Element, where: str) -> dict[str, float]:
    return {col: _number(el.get(attr), where, f"attribute {attr}") for attr, col in TOTAL_ATTRS.items()}


def read_rm5(path: str | Path) -> RevManReview:
    """Read a RevMan 5 ``.rm5`` file (any declared encoding, e.g. ISO-8859-1)."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise RevManError(f"{path}: cannot read the file ({exc})") from None
    src = str(path)
    root = _parse_xml(data, src)
    title = _text(root.find("COVER_SHEET/TITLE"))
    names: dict[str, tuple[str, float]] = {}
    for st in root.iter("STUDY"):
        sid = unescape_id(st.get("ID", ""))
        names[sid] = (st.get("NAME") or sid, _year(st.get("YEAR")))
    analyses = root.find("ANALYSES_AND_DATA")
    outcomes, subgroups, studies, notes = [], [], [], []
    if analyses is None:
        notes.append(f"{src}: no ANALYSES_AND_DATA section; the file holds no analyses")
    comparisons = analyses.findall("COMPARISON") if analyses is not None else []
    for cmp_el in comparisons:
        c_no = _whole(cmp_el.get("NO"), f"{src}, comparison {cmp_el.get('ID', '?')}", "attribute NO")
        c_name = _text(cmp_el.find("NAME"))
        for out_el in cmp_el:
            kind = out_el.tag.split("_")[0]
            if not out_el.tag.endswith("_OUTCOME"):
                continue
            where_o = _where(src, out_el)
            if kind not in DATA_TYPES:
                notes.append(f"{where_o}: outcome type {out_el.tag} is not read (no data to pool)")
                continue
            o_no = _whole(out_el.get("NO"), where_o, "attribute NO")
            aid = f"{c_no}.{o_no}"
            measure = _measure(out_el, kind)
            default_method = {"DICH": "MH", "IPD": "PETO"}.get(kind, "IV")
            row: dict[str, Any] = {
                "analysis_id": aid, "comparison_no": c_no, "outcome_no": o_no,
                "comparison_id": unescape_id(cmp_el.get("ID", "")), "outcome_id": unescape_id(out_el.get("ID", "")),
                "comparison": c_name, "outcome": _text(out_el.find("NAME")),
                "data_type": DATA_TYPES[kind], "measure": measure,
                "method": out_el.get("METHOD") or default_method, "model": _model(out_el.get("RANDOM")),
                "label_intervention": _text(out_el.find("GROUP_LABEL_1")),
                "label_control": _text(out_el.find("GROUP_LABEL_2")),
                "graph_label_left": _text(out_el.find("GRAPH_LABEL_1")),
                "graph_label_right": _text(out_el.find("GRAPH_LABEL_2")),
                "units": out_el.get("UNITS") or None,
                "has_subgroups": (out_el.get("SUBGROUPS") or "NO").upper() == "YES",
                "totals": (out_el.get("TOTALS") or "YES").upper() == "YES",
                "log_scale": measure.upper() in RATIO_MEASURES,
                "ci_level": _number(out_el.get("CI_TOTAL"), where_o, "attribute CI_TOTAL"),
                **_totals(out_el, where_o),
            }
            if not row["has_subgroups"]:
                for col in ("q_subgroups", "p_subgroups", "i2_subgroups"):
                    row[col] = math.nan  # RevMan writes 0.0 placeholders when there are no subgroups
            blank = [c for c in RESULT_COLS if c != "df" and math.isnan(row[c])]
            if blank:
                notes.append(
                    f"{where_o} ({row['outcome']}): RevMan stored no value for {', '.join(blank)}; "
                    "kept as missing (NaN)"
                )
            outcomes.append(row)
            groups: list[tuple[int, str | None, Element]] = [(0, None, out_el)]
            for sg in out_el.findall(f"{kind}_SUBGROUP"):
                where_s = f"{where_o}, subgroup {sg.get('ID', '?')}"
                s_no = _whole(sg.get("NO"), where_s, "attribute NO")
                s_name = _text(sg.find("NAME"))
                subgroups.append({"analysis_id": aid, "subgroup_no": s_no, "subgroup": s_name,
                                  **_totals(sg, where_s)})
                groups.append((s_no, s_name, sg))
            for s_no, s_name, parent in groups:
                for d in parent.findall(f"{kind}_DATA"):
                    sid = unescape_id(d.get("STUDY_ID", ""))
                    where_d = _where(src, out_el, sid)
                    label, year = names.get(sid, (sid.removeprefix("STD-"), math.nan))
                    rec: dict[str, Any] = {
                        "analysis_id": aid, "subgroup_no": s_no, "subgroup": s_name,
                        "study_id": sid, "study_label": label, "year": year,
                        "data_type": row["data_type"], "measure": measure,
                        "log_scale": row["log_scale"],
                        "estimable": (d.get("ESTIMABLE") or "YES").upper() == "YES",
                    }
                    for attr, col in STUDY_ATTRS.items():
                        rec[col] = _number(d.get(attr), where_d, f"attribute {attr}")
                    if kind != "IPD":
                        rec["o_e"] = math.nan  # RevMan writes O_E="0.0" placeholders on other data
                    studies.append(rec)
    return _finish(src, "rm5", title, outcomes, subgroups, studies, notes)


# --------------------------------------------------------------------------------------------
# CSV export

CSV_COLUMNS = {  # RevMan header -> our column (headers compared after _norm)
    "comparison number": "comparison_no", "outcome number": "outcome_no",
    "subgroup number": "subgroup_no", "name": "name", "data type": "data_type",
    "statistical method": "method", "effect measure": "measure", "analysis model": "model",
    "events 1": "events_t", "mean 1": "mean_t", "sd 1": "sd_t", "total 1": "n_t",
    "events 2": "events_c", "mean 2": "mean_c", "sd 2": "sd_c", "total 2": "n_c",
    "o-e": "o_e", "var": "var", "variance": "var",
    "effect estimate": "estimate", "se": "se", "ci start": "ci_low", "ci end": "ci_high",
    "weight": "weight", "q": "q", "p(q)": "p_q", "i2(q)": "i2", "tau2": "tau2", "z": "z",
    "p(z)": "p_z", "qint": "q_subgroups", "p(qint)": "p_subgroups", "i2(qint)": "i2_subgroups",
    "df": "df", "group label 1": "label_intervention", "group label 2": "label_control",
    "left graph label": "graph_label_left", "right graph label": "graph_label_right",
    "year of study": "year", "user defined order": "order",
}
CSV_REQUIRED = ("comparison_no", "outcome_no", "subgroup_no", "name", "data_type")
CSV_TYPES = {"DIC": "dichotomous", "CON": "continuous", "IV": "generic", "GIV": "generic", "O-E": "o_e"}
CSV_TEXT = {"name", "data_type", "method", "measure", "model", "label_intervention", "label_control",
            "graph_label_left", "graph_label_right"}


def _norm(header: str) -> str:
    h = header.replace("\ufeff", "").replace("Â²", "2").replace("²", "2").strip().lower()
    return re.sub(r"\s+", " ", h)


def _decode(data: bytes) -> str:
    """UTF-8 (with or without BOM, as in the Fleiss1993 fixture); otherwise Windows-1252."""
    for enc in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(enc)
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1")  # never fails; cp1252 leaves a few bytes undefined


def read_revman_csv(path: str | Path) -> RevManReview:
    """Read RevMan 5's "Data and analyses" CSV export (UTF-8 or Windows-1252).

    Rows: outcome number 0 → comparison; a data type with subgroup number 0 → outcome; a data type
    with subgroup number > 0 → subgroup; no data type → study (as R ``meta::read.rm5`` does).
    """
    path = Path(path)
    try:
        text = _decode(path.read_bytes())
    except OSError as exc:
        raise RevManError(f"{path}: cannot read the file ({exc})") from None
    src = str(path)
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        raise RevManError(f"{src}: empty file; expected RevMan's analysis-data CSV") from None
    cols = [CSV_COLUMNS.get(_norm(h)) for h in header]
    missing = [c for c in CSV_REQUIRED if c not in cols]
    if missing:
        raise RevManError(
            f"{src}, line 1: missing column(s) {', '.join(missing)}; expected RevMan's export with "
            "'Comparison Number', 'Outcome Number', 'Subgroup Number', 'Name' and 'Data Type'"
        )
    comparisons: dict[int, str] = {}
    outcomes, subgroups, studies, notes = [], [], [], []
    current: dict[str, Any] | None = None
    current_sub: tuple[int, str | None] = (0, None)
    for line_no, raw in enumerate(reader, start=2):
        if not any(x.strip() for x in raw):
            continue
        if len(raw) != len(header):
            raise RevManError(
                f"{src}, line {line_no}: {len(raw)} fields; expected {len(header)} as in the header"
            )
        rec: dict[str, Any] = {}
        name = raw[cols.index("name")].strip()
        for head, col, val in zip(header, cols, raw):
            if col is None:
                continue
            if col in CSV_TEXT:
                rec[col] = val.strip() or None
            else:  # numbers; RevMan may write thousands separators inside quoted fields
                rec[col] = _number(val.replace(",", ""), f"{src}, line {line_no}, row {name!r}",
                                   f"column {head.strip()!r}")
        c_no, o_no, s_no = (int(rec[k]) for k in ("comparison_no", "outcome_no", "subgroup_no"))
        if o_no == 0:
            comparisons[c_no] = rec["name"]
            continue
        if rec.get("data_type"):
            dtype = CSV_TYPES.get(rec["data_type"].upper())
            if dtype is None:
                raise RevManError(
                    f"{src}, line {line_no}: Data Type {rec['data_type']!r}; expected one of "
                    f"{', '.join(CSV_TYPES)}"
                )
            res = {k: rec.get(k, math.nan) for k in RESULT_COLS + ("q_subgroups", "p_subgroups",
                                                                   "i2_subgroups", "weight")}
            if s_no > 0:
                subgroups.append({"analysis_id": f"{c_no}.{o_no}", "subgroup_no": s_no,
                                  "subgroup": rec["name"], **res})
                current_sub = (s_no, rec["name"])
                continue
            measure = (rec.get("measure") or "").upper()
            method = rec.get("method") or ""
            current = {
                "analysis_id": f"{c_no}.{o_no}", "comparison_no": c_no, "outcome_no": o_no,
                "comparison_id": None, "outcome_id": None, "comparison": comparisons.get(c_no),
                "outcome": rec["name"], "data_type": dtype, "measure": measure,
                "method": method.upper() if method else None, "model": _model(
                    "YES" if (rec.get("model") or "").lower() == "random" else "NO"),
                "label_intervention": rec.get("label_intervention"),
                "label_control": rec.get("label_control"),
                "graph_label_left": rec.get("graph_label_left"),
                "graph_label_right": rec.get("graph_label_right"),
                "units": None, "has_subgroups": False, "totals": True,
                "log_scale": measure in RATIO_MEASURES, "ci_level": math.nan,
                "events_t": rec.get("events_t"), "n_t": rec.get("n_t"),
                "events_c": rec.get("events_c"), "n_c": rec.get("n_c"),
                "k": rec["df"] + 1 if not math.isnan(rec.get("df", math.nan)) else math.nan,
                **res,
            }
            outcomes.append(current)
            current_sub = (0, None)
            continue
        if current is None or current["analysis_id"] != f"{c_no}.{o_no}":
            raise RevManError(
                f"{src}, line {line_no}: study row {rec['name']!r} for outcome {c_no}.{o_no} comes "
                "before that outcome's header row; expected RevMan's export order"
            )
        if s_no != current_sub[0]:
            raise RevManError(
                f"{src}, line {line_no}: study row {rec['name']!r} is in subgroup {s_no} but follows "
                f"subgroup {current_sub[0]}'s header; expected RevMan's export order"
            )
        dtype = current["data_type"]
        row = {
            "analysis_id": current["analysis_id"], "subgroup_no": s_no, "subgroup": current_sub[1],
            "study_id": rec["name"], "study_label": rec["name"], "year": rec.get("year", math.nan),
            "data_type": dtype, "measure": current["measure"], "log_scale": current["log_scale"],
            "estimable": not math.isnan(rec.get("estimate", math.nan)),
        }
        for col in STUDY_ATTRS.values():
            row[col] = rec.get(col, math.nan)
        # the export writes 0 for fields that do not apply to the data type
        blank = {"dichotomous": ("mean_t", "sd_t", "mean_c", "sd_c"),
                 "continuous": ("events_t", "events_c")}.get(dtype, ())
        for col in blank:
            row[col] = math.nan
        studies.append(row)
    for o in outcomes:
        o["has_subgroups"] = any(s["analysis_id"] == o["analysis_id"] for s in subgroups)
        if not o["has_subgroups"]:
            for col in ("q_subgroups", "p_subgroups", "i2_subgroups"):
                o[col] = math.nan  # the export writes 0 / 1 placeholders without subgroups
        if o["data_type"] == "continuous":
            o["events_t"] = o["events_c"] = math.nan
    return _finish(src, "csv", Path(src).stem, outcomes, subgroups, studies, notes)


# --------------------------------------------------------------------------------------------
# shared


def _finish(src: str, kind: str, title: str | None, outcomes: list, subgroups: list, studies: list,
            notes: list) -> RevManReview:
    out = pd.DataFrame(outcomes)
    sub = pd.DataFrame(subgroups, columns=["analysis_id", "subgroup_no", "subgroup",
                                           *dict.fromkeys(TOTAL_ATTRS.values())])
    st = pd.DataFrame(studies)
    if not out.empty and out["analysis_id"].duplicated().any():
        dup = out.loc[out["analysis_id"].duplicated(), "analysis_id"].tolist()
        raise RevManError(f"{src}: outcome number(s) {dup} occur twice; expected unique numbers")
    if not st.empty:
        for col in COUNT_COLS:
            vals = st[col].to_numpy(dtype=float)
            bad = ~np.isnan(vals) & ((vals < 0) | (vals != np.round(vals)))
            _raise_rows(src, st, bad, col, "a whole number >= 0")
        for ev, n in (("events_t", "n_t"), ("events_c", "n_c")):
            bad = st[ev].to_numpy(dtype=float) > st[n].to_numpy(dtype=float)
            _raise_rows(src, st, bad, ev, f"at most {n}", n)
        for col in COUNT_COLS + ("k", "df"):
            if col in st:
                st[col] = st[col].astype("Float64").round().astype("Int64")
        for col in COUNT_COLS + ("k", "df"):
            if col in out:
                out[col] = pd.to_numeric(out[col]).astype("Float64").round().astype("Int64")
    return RevManReview(src, kind, title, out, sub, st, tuple(notes))


def _raise_rows(src: str, st: pd.DataFrame, bad: np.ndarray, col: str, expected: str,
                other: str | None = None) -> None:
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        r = st.iloc[i]
        also = f" = {r[other]:g}" if other else ""
        raise RevManError(
            f"{src}, outcome {r['analysis_id']}, study {r['study_id']}: {col} = {r[col]:g}; "
            f"expected {expected}{also}"
        )


def read_revman(path: str | Path) -> RevManReview:
    """Read a ``.rm5`` or ``.csv`` RevMan file, chosen by the file extension."""
    suffix = Path(path).suffix.lower()
    if suffix == ".rm5":
        return read_rm5(path)
    if suffix == ".csv":
        return read_revman_csv(path)
    raise RevManError(f"{path}: unknown extension {suffix!r}; expected .rm5 or .csv")
