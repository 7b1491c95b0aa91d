"""Load and validate the evidence dataset in ``data/``.

The tables and their columns are described by ``data/datapackage.json`` and the Table Schema files
in ``data/schemas/`` (types, ``required``, ``enum``, ``pattern``, ``minimum``/``maximum``,
``exclusiveMinimum``, ``unique``, ``primaryKey``, ``foreignKeys``). :func:`load_data` checks every
cell against them and then applies the cross-table rules of this module (events <= n, arms complete,
numbers present exactly when the provenance says so, ...). Every violation of every file is
collected and raised at once as a :class:`DataError` naming file, line, study, column and what was
expected. Nothing is coerced or dropped silently.
"""
from __future__ import annotations

import csv
import json
import math
import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd

__all__ = ["DATA_DIR", "DataError", "Problem", "Dataset", "load_data", "read_schema", "TABLES", "provenance_counts",
           "schema_table", "table_overview", "missing_inputs"]

DATA_DIR = Path(__file__).resolve().parents[2] / "data"
TABLES = ("studies", "analyses", "outcome_data", "study_estimates", "published_results",
          "reviews", "review_studies", "sr2015_studies")
RATIO_MEASURES = ("RR", "OR")
BINARY = ("RR", "OR", "RD")
CONTINUOUS = ("MD", "SMD")
Z975_WIDTH = 3.92  # CI width / SE used to restate a published 95% CI as a standard error


@dataclass(frozen=True)
class Problem:
    """One violation: where it is (file, line as counted in the CSV, header = 1) and what was expected."""

    file: str
    line: int | None
    study_id: str | None
    column: str | None
    expected: str
    found: str | None = None
    analysis_id: str | None = None

    def __str__(self) -> str:
        where = [self.file]
        if self.line is not None:
            where.append(f"line {self.line}")
        who = []
        if self.analysis_id:
            who.append(f"analysis {self.analysis_id}")
        who.append(f"study {self.study_id or '-'}")
        col = f"column {self.column}" if self.column else "row"
        found = "" if self.found is None else f", found {self.found!r}"
        return f"{', '.join(where)} ({', '.join(who)}), {col}: expected {self.expected}{found}"


class DataError(ValueError):
    """Invalid data: ``problems`` lists every violation found (grouped by file in the message)."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        by_file: dict[str, list[Problem]] = {}
        for p in self.problems:
            by_file.setdefault(p.file, []).append(p)
        parts = [f"{len(self.problems)} problem(s) in the data:"]
        for name, probs in by_file.items():
            parts.append(f"{name}: {len(probs)} problem(s)")
            parts.extend(f"  - {p}" for p in probs)
        super().__init__("\n".join(parts))


@dataclass
class Dataset:
    """All tables of the data package, one DataFrame per table (typed, blanks as missing)."""

    studies: pd.DataFrame
    analyses: pd.DataFrame
    outcome_data: pd.DataFrame
    study_estimates: pd.DataFrame
    published_results: pd.DataFrame
    reviews: pd.DataFrame
    review_studies: pd.DataFrame
    sr2015_studies: pd.DataFrame
    directory: Path
    schemas: dict[str, dict] = field(repr=False, default_factory=dict)


@dataclass
class _Row:
    line: int
    values: dict[str, Any]  # parsed values; None = blank or unparseable
    bad: set[str] = field(default_factory=set)  # columns already reported (no cascading messages)


# ------------------------------------------------------------------------------------------------
# schema-driven checks


def read_schema(name: str, directory: Path | str = DATA_DIR) -> dict:
    """The Table Schema of table ``name`` as a dict (from ``datapackage.json``)."""
    directory = Path(directory)
    for res in json.loads((directory / "datapackage.json").read_text())["resources"]:
        if res["name"] == name:
            return json.loads((directory / res["schema"]).read_text())
    raise KeyError(f"datapackage.json lists no resource {name!r}")


_INT = re.compile(r"^[+-]?\d+$")
_TRUE, _FALSE = ("true", "True", "TRUE"), ("false", "False", "FALSE")


def _parse(raw: str, type_: str) -> tuple[Any, str | None]:
    """Parse one non-blank cell; returns (value, None) or (None, what was expected)."""
    if type_ == "string":
        return raw, None
    if type_ == "integer":
        return (int(raw), None) if _INT.match(raw.strip()) and raw == raw.strip() else (None, "an integer")
    if type_ == "number":
        try:
            val = float(raw)
        except ValueError:
            return None, "a number"
        if not math.isfinite(val) or raw != raw.strip():
            return None, "a finite number"
        return val, None
    if type_ == "boolean":
        if raw in _TRUE:
            return True, None
        if raw in _FALSE:
            return False, None
        return None, "true or false"
    if type_ == "date":
        try:
            return date.fromisoformat(raw), None
        except ValueError:
            return None, "a date YYYY-MM-DD"
    raise ValueError(f"unsupported Table Schema type {type_!r}")


def _check_cell(val: Any, raw: str, fdef: dict) -> str | None:
    """Check a parsed value against the field's constraints; returns what was expected or None."""
    c = fdef.get("constraints", {})
    if "enum" in c and val not in c["enum"]:
        return "one of " + ", ".join(map(str, c["enum"]))
    if "pattern" in c and not re.fullmatch(c["pattern"], raw):
        return f"text matching {c['pattern']}"
    if "minimum" in c and val < c["minimum"]:
        return f"a value >= {c['minimum']}"
    if "maximum" in c and val > c["maximum"]:
        return f"a value <= {c['maximum']}"
    if "exclusiveMinimum" in c and not val > c["exclusiveMinimum"]:
        return f"a value > {c['exclusiveMinimum']}"
    return None


def _read_table(path: Path, schema: dict, problems: list[Problem]) -> list[_Row]:
    """Read a CSV as text and check header, cell types and constraints against its schema."""
    fname = path.name
    fields = {f["name"]: f for f in schema["fields"]}
    missing = set(schema.get("missingValues", [""]))
    with path.open(newline="", encoding="utf-8") as fh:
        reader = csv.reader(fh)
        try:
            header = next(reader)
        except StopIteration:
            problems.append(Problem(fname, 1, None, None, "a header line"))
            return []
        for name in fields:
            if name not in header:
                problems.append(Problem(fname, 1, None, name, "this column (declared in the schema)"))
        for name in header:
            if name not in fields:
                problems.append(Problem(fname, 1, None, name, "only columns declared in the schema",
                                        found=name))
        if len(set(header)) != len(header):
            problems.append(Problem(fname, 1, None, None, "unique column names", found=",".join(header)))
        rows: list[_Row] = []
        seen_unique: dict[str, dict[Any, int]] = {n: {} for n, f in fields.items()
                                                 if f.get("constraints", {}).get("unique")}
        start = reader.line_num + 1
        for cells in reader:
            line = start
            start = reader.line_num + 1
            if not cells:
                problems.append(Problem(fname, line, None, None, "no blank lines", found=""))
                continue
            sid = cells[header.index("study_id")] if "study_id" in header and len(cells) > header.index("study_id") else None
            aid = cells[header.index("analysis_id")] if "analysis_id" in header and len(cells) > header.index("analysis_id") else None
            if len(cells) != len(header):
                problems.append(Problem(fname, line, sid, None, f"{len(header)} cells", found=f"{len(cells)} cells",
                                        analysis_id=aid))
                continue
            values: dict[str, Any] = {}
            bad: set[str] = set()
            for name, raw in zip(header, cells):
                fdef = fields.get(name)
                if fdef is None:
                    continue
                cons = fdef.get("constraints", {})
                if raw in missing:
                    values[name] = None
                    if cons.get("required"):
                        bad.add(name)
                        problems.append(Problem(fname, line, sid, name, "a value (required)", found=raw,
                                                analysis_id=aid))
                    continue
                val, err = _parse(raw, fdef["type"])
                if err is None:
                    err = _check_cell(val, raw, fdef)
                if err:
                    problems.append(Problem(fname, line, sid, name, f"{fdef['type']}: {err}", found=raw,
                                            analysis_id=aid))
                    bad.add(name)
                    val = None
                elif name in seen_unique:
                    if val in seen_unique[name]:
                        problems.append(Problem(fname, line, sid, name,
                                                f"a unique value (also on line {seen_unique[name][val]})",
                                                found=raw, analysis_id=aid))
                    else:
                        seen_unique[name][val] = line
                values[name] = val
            rows.append(_Row(line, values, bad))
    key = schema.get("primaryKey")
    if key:
        key = [key] if isinstance(key, str) else key
        seen: dict[tuple, int] = {}
        for r in rows:
            k = tuple(r.values.get(c) for c in key)
            if any(v is None for v in k):
                continue
            if k in seen:
                problems.append(Problem(fname, r.line, r.values.get("study_id"), "+".join(key),
                                        f"a unique primary key (also on line {seen[k]})",
                                        found="/".join(map(str, k)), analysis_id=r.values.get("analysis_id")))
            else:
                seen[k] = r.line
    return rows


def _check_foreign_keys(name: str, schema: dict, tables: dict[str, list[_Row]], problems: list[Problem]) -> None:
    for fk in schema.get("foreignKeys", []):
        cols = fk["fields"] if isinstance(fk["fields"], list) else [fk["fields"]]
        ref = fk["reference"]
        target = ref.get("resource") or name
        rcols = ref["fields"] if isinstance(ref["fields"], list) else [ref["fields"]]
        if target not in tables:
            problems.append(Problem(f"{name}.csv", None, None, ",".join(cols), f"a table {target!r} to refer to"))
            continue
        keys = {tuple(r.values.get(c) for c in rcols) for r in tables[target]}
        for r in tables[name]:
            k = tuple(r.values.get(c) for c in cols)
            if any(v is None for v in k):
                continue
            if k not in keys:
                problems.append(Problem(f"{name}.csv", r.line, r.values.get("study_id"), ",".join(cols),
                                        f"a {'/'.join(rcols)} that exists in {target}.csv", found="/".join(map(str, k)),
                                        analysis_id=r.values.get("analysis_id")))


# ------------------------------------------------------------------------------------------------
# cross-table rules


def _p(file: str, r: _Row, column: str | None, expected: str, found: Any = None) -> Problem:
    return Problem(file, r.line, r.values.get("study_id"), column, expected,
                   None if found is None else str(found), analysis_id=r.values.get("analysis_id"))


def _rules_analyses(rows: list[_Row], problems: list[Problem]) -> None:
    f = "analyses.csv"
    numbers: dict[int, int] = {}
    for r in rows:
        v = r.values
        if v.get("tolerance") is not None and v["tolerance"] > 0.01 + 1e-12 and not v.get("tolerance_reason"):
            problems.append(_p(f, r, "tolerance_reason", "a reason when tolerance > 0.01"))
        if v.get("in_abstract") is not None and v["in_abstract"] != (v.get("abstract_no") is not None):
            problems.append(_p(f, r, "abstract_no", "abstract_no filled exactly when in_abstract is true",
                               v.get("abstract_no")))
        if v.get("method") == "MH" and v.get("measure") in CONTINUOUS:
            problems.append(_p(f, r, "method", "IV for a continuous measure", v["method"]))
        no = v.get("abstract_no")
        if no is not None and v.get("review_id") == "cochrane2025":
            if no in numbers:
                problems.append(_p(f, r, "abstract_no", f"a number used once (also on line {numbers[no]})", no))
            numbers[no] = r.line
    for no in range(1, 15):
        if no not in numbers:
            problems.append(Problem(f, None, None, "abstract_no",
                                    f"a registry row for result {no} of the 2025 abstract (all 14 are registered)"))


def _rules_outcome_data(rows: list[_Row], spec: dict[str, dict], problems: list[Problem]) -> None:
    f = "outcome_data.csv"
    arms: dict[tuple[str, str], dict[str, int]] = {}
    for r in rows:
        v = r.values
        aid, sid, arm = v.get("analysis_id"), v.get("study_id"), v.get("arm")
        if aid is not None and sid is not None and arm is not None:
            arms.setdefault((aid, sid), {})[arm] = r.line
        a = spec.get(aid)
        if a is None:
            continue
        if a.get("input_table") != "outcome_data":
            problems.append(_p(f, r, "analysis_id", f"an analysis whose input_table is outcome_data "
                               f"(the registry says {a.get('input_table')})", aid))
        measure = a.get("measure")
        needed = ("n", "events") if measure in BINARY else ("n", "mean", "sd")
        unused = ("mean", "sd") if measure in BINARY else ("events",)
        prov = v.get("provenance")
        if prov == "not_available":
            for c in ("n", "events", "mean", "sd"):
                if v.get(c) is not None:
                    problems.append(_p(f, r, c, "blank (provenance is not_available: say what is known in the note)",
                                       v[c]))
        elif prov is not None:
            for c in needed:
                if v.get(c) is None and c not in r.bad:
                    problems.append(_p(f, r, c, f"a number for a {measure} analysis (provenance {prov}); "
                                       "use provenance not_available if it is unknown"))
            for c in unused:
                if v.get(c) is not None:
                    problems.append(_p(f, r, c, f"blank for a {measure} analysis", v[c]))
        if v.get("events") is not None and v.get("n") is not None and v["events"] > v["n"]:
            problems.append(_p(f, r, "events", f"events <= n ({v['n']})", v["events"]))
    for (aid, sid), got in arms.items():
        for want in ("intervention", "control"):
            if want not in got:
                other = next(iter(got.values()))
                problems.append(Problem(f, other, sid, "arm", f"a row for the {want} arm too (arms complete "
                                        "for each study x analysis)", found=", ".join(got), analysis_id=aid))
        if len({r.values.get("study_identity") for r in rows
                if (r.values.get("analysis_id"), r.values.get("study_id")) == (aid, sid)}) > 1:
            problems.append(Problem(f, got.get("control"), sid, "study_identity",
                                    "the same study_identity in both arms", analysis_id=aid))


def _rules_study_estimates(rows: list[_Row], spec: dict[str, dict], problems: list[Problem]) -> None:
    f = "study_estimates.csv"
    for r in rows:
        v = r.values
        a = spec.get(v.get("analysis_id"))
        if a is not None and a.get("input_table") != "study_estimates":
            problems.append(_p(f, r, "analysis_id", f"an analysis whose input_table is study_estimates "
                               f"(the registry says {a.get('input_table')})", v.get("analysis_id")))
        if a is not None and v.get("log_scale") is not None and v["log_scale"] != (a.get("measure") in RATIO_MEASURES):
            problems.append(_p(f, r, "log_scale", f"{str(a.get('measure') in RATIO_MEASURES).lower()} for measure "
                               f"{a.get('measure')}", v["log_scale"]))
        nums = ("estimate", "ci_low", "ci_high", "se")
        if v.get("provenance") == "not_available":
            for c in nums:
                if v.get(c) is not None:
                    problems.append(_p(f, r, c, "blank (provenance is not_available)", v[c]))
            continue
        for c in nums:
            if v.get(c) is None and c not in r.bad and v.get("provenance") is not None:
                problems.append(_p(f, r, c, f"a number (provenance {v.get('provenance')})"))
        est, lo, hi, se = (v.get(c) for c in nums)
        if None in (est, lo, hi):
            continue
        if not lo <= est <= hi:
            problems.append(_p(f, r, "estimate", f"ci_low <= estimate <= ci_high ({lo} .. {hi})", est))
        if se is not None and (not v.get("log_scale") or lo > 0):
            want = (math.log(hi) - math.log(lo) if v.get("log_scale") else hi - lo) / Z975_WIDTH
            if abs(se - want) > 1e-5 + 1e-6 * abs(want):
                problems.append(_p(f, r, "se", f"(ci_high - ci_low) / {Z975_WIDTH} = {want:.6f}", se))


def _rules_published(rows: list[_Row], spec: dict[str, dict], problems: list[Problem]) -> None:
    f = "published_results.csv"
    for r in rows:
        v = r.values
        lo, est, hi = v.get("ci_low"), v.get("estimate"), v.get("ci_high")
        if None not in (lo, est, hi) and not lo <= est <= hi:
            problems.append(_p(f, r, "estimate", f"ci_low <= estimate <= ci_high ({lo} .. {hi})", est))
        a = spec.get(v.get("analysis_id"))
        if a is None:
            continue
        for c in ("measure", "abstract_no", "review_id"):
            if v.get(c) != a.get(c):
                problems.append(_p(f, r, c, f"{a.get(c)!r} as in analyses.csv", v.get(c)))


def _rules_studies(rows: list[_Row], problems: list[Problem]) -> None:
    f = "studies.csv"
    for r in rows:
        v = r.values
        n, ni, nc = v.get("n_randomised"), v.get("n_intervention"), v.get("n_control")
        if None not in (n, ni, nc) and v.get("n_arms") == 2 and ni + nc != n:
            problems.append(_p(f, r, "n_randomised", f"n_intervention + n_control = {ni + nc}", n))
        prov = v.get("provenance")
        if prov is not None and "n_randomised" not in r.bad and (prov == "not_available") != (n is None):
            problems.append(_p(f, r, "provenance", "not_available exactly when n_randomised is blank", prov))
        if prov == "not_available":
            for c in ("n_intervention", "n_control"):
                if v.get(c) is not None:
                    problems.append(_p(f, r, c, "blank (provenance is not_available)", v[c]))


def _rules_inputs_exist(spec: dict[str, dict], tables: dict[str, list[_Row]], problems: list[Problem]) -> None:
    """Every analysis with an input table has at least one row there."""
    have = {t: {r.values.get("analysis_id") for r in tables.get(t, [])} for t in ("outcome_data", "study_estimates")}
    for aid, a in spec.items():
        t = a.get("input_table")
        if t in have and aid not in have[t]:
            problems.append(Problem("analyses.csv", a["_line"], None, "input_table",
                                    f"at least one row for {aid} in {t}.csv", found=t, analysis_id=aid))


# ------------------------------------------------------------------------------------------------
# public API


def _frame(rows: list[_Row], schema: dict) -> pd.DataFrame:
    cols = [f["name"] for f in schema["fields"]]
    data = {c: [r.values.get(c) for r in rows] for c in cols}
    df = pd.DataFrame(data, columns=cols)
    for fdef in schema["fields"]:
        c, t = fdef["name"], fdef["type"]
        if t == "integer":
            df[c] = pd.array(data[c], dtype="Int64")
        elif t == "number":
            df[c] = pd.to_numeric(pd.Series(data[c], dtype="object"), errors="raise").astype("float64")
        elif t == "boolean":
            df[c] = pd.array(data[c], dtype="boolean")
        elif t == "string":
            df[c] = pd.array(data[c], dtype="string")
    return df


def load_data(directory: Path | str = DATA_DIR) -> Dataset:
    """Read every table of ``directory/datapackage.json`` and validate it.

    Raises :class:`DataError` listing all violations (schema and cross-table rules) at once.
    """
    directory = Path(directory)
    problems: list[Problem] = []
    pkg_path = directory / "datapackage.json"
    try:
        pkg = json.loads(pkg_path.read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise DataError([Problem("datapackage.json", None, None, None, f"a readable JSON data package ({exc})")])
    schemas: dict[str, dict] = {}
    tables: dict[str, list[_Row]] = {}
    for res in pkg.get("resources", []):
        name = res["name"]
        try:
            schemas[name] = json.loads((directory / res["schema"]).read_text())
        except (OSError, json.JSONDecodeError) as exc:
            problems.append(Problem(res["schema"], None, None, None, f"a readable Table Schema ({exc})"))
            continue
        path = directory / res["path"]
        if not path.is_file():
            problems.append(Problem(res["path"], None, None, None, "the file (listed in datapackage.json)"))
            continue
        tables[name] = _read_table(path, schemas[name], problems)
    for name in TABLES:
        if name not in schemas and not any(p.file == f"{name}.csv" for p in problems):
            problems.append(Problem("datapackage.json", None, None, None, f"a resource named {name}"))
    for name in tables:
        _check_foreign_keys(name, schemas[name], tables, problems)
    spec = {r.values["analysis_id"]: {**r.values, "_line": r.line}
            for r in tables.get("analyses", []) if r.values.get("analysis_id")}
    if "analyses" in tables:
        _rules_analyses(tables["analyses"], problems)
        _rules_inputs_exist(spec, tables, problems)
    if "outcome_data" in tables:
        _rules_outcome_data(tables["outcome_data"], spec, problems)
    if "study_estimates" in tables:
        _rules_study_estimates(tables["study_estimates"], spec, problems)
    if "published_results" in tables:
        _rules_published(tables["published_results"], spec, problems)
    if "studies" in tables:
        _rules_studies(tables["studies"], problems)
    if problems:
        raise DataError(problems)
    frames = {name: _frame(tables[name], schemas[name]) for name in TABLES}
    return Dataset(**frames, directory=directory, schemas=schemas)


def provenance_counts(data: Dataset) -> pd.DataFrame:
    """Rows per provenance class in the input tables and the studies table (for the data appendix)."""
    parts = []
    for name in ("outcome_data", "study_estimates", "studies"):
        counts = getattr(data, name)["provenance"].value_counts()
        parts.append(counts.rename(name))
    out = pd.concat(parts, axis=1).fillna(0).astype(int)
    order = ["reported", "reconstructed", "approximated", "not_available"]
    return out.reindex([o for o in order if o in out.index])


def schema_table(schema: dict) -> pd.DataFrame:
    """One row per column of a Table Schema: name, type, unit, required, allowed values, description."""
    rows = []
    for f in schema["fields"]:
        c = f.get("constraints", {})
        allowed: list[str] = []
        if "enum" in c:
            allowed.append(", ".join(map(str, c["enum"])))
        if "minimum" in c:
            allowed.append(f">= {c['minimum']}")
        if "exclusiveMinimum" in c:
            allowed.append(f"> {c['exclusiveMinimum']}")
        if "maximum" in c:
            allowed.append(f"<= {c['maximum']}")
        if "pattern" in c:
            allowed.append(f"pattern {c['pattern']}")
        if c.get("unique"):
            allowed.append("unique")
        rows.append({"column": f["name"], "type": f["type"], "unit": f.get("unit", ""),
                     "required": "yes" if c.get("required") else "no", "allowed values": "; ".join(allowed),
                     "description": f.get("description", "")})
    return pd.DataFrame(rows)


def table_overview(data: Dataset) -> pd.DataFrame:
    """One row per table of the package: name, title, rows, columns, description."""
    rows = []
    for name in TABLES:
        schema = data.schemas[name]
        rows.append({"table": f"{name}.csv", "title": schema.get("title", ""), "rows": len(getattr(data, name)),
                     "columns": len(schema["fields"]), "description": schema.get("description", "")})
    return pd.DataFrame(rows)


def missing_inputs(data: Dataset) -> pd.DataFrame:
    """The input rows whose numbers are not available (what is missing, visibly)."""
    od = data.outcome_data
    rows = od[od["provenance"] == "not_available"]
    return rows[["analysis_id", "study_id", "arm", "note"]].reset_index(drop=True)
