"""Read one CSV against its Table Schema (types, required, enum, pattern, minimum/maximum,
exclusiveMinimum, unique, primaryKey, foreignKeys); every violation becomes a :class:`Problem`."""
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

from .errors import Problem

__all__ = ["Row", "read_table", "check_foreign_keys", "frame", "parse_cell", "load_schema"]

_INT = re.compile(r"^[+-]?\d+$")
_TRUE, _FALSE = ("true", "True", "TRUE"), ("false", "False", "FALSE")


@dataclass
class Row:
    """One data line: its line number, parsed values (None = blank or unparseable) and the columns
    already reported (so one bad cell gives one message, not a cascade)."""

    line: int
    values: dict[str, Any]
    bad: set[str] = field(default_factory=set)


def load_schema(path: Path) -> dict:
    """A Table Schema file as a dict."""
    return json.loads(path.read_text(encoding="utf-8"))


def parse_cell(raw: str, type_: str) -> tuple[Any, str | None]:
    """Parse one non-blank cell; returns (value, None) or (None, what was expected).

    >>> parse_cell("47", "integer"), parse_cell("47.5", "integer")
    ((47, None), (None, 'an integer'))
    """
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


def _header_problems(fname: str, header: list[str], fields: dict[str, dict], problems: list[Problem]) -> None:
    for name in fields:
        if name not in header:
            problems.append(Problem(fname, 1, None, name, "this column (declared in the schema)"))
    for name in header:
        if name not in fields:
            problems.append(Problem(fname, 1, None, name, "only columns declared in the schema", found=name))
    if len(set(header)) != len(header):
        problems.append(Problem(fname, 1, None, None, "unique column names", found=",".join(header)))


def _ids(header: list[str], cells: list[str]) -> tuple[str | None, str | None]:
    def get(col: str) -> str | None:
        i = header.index(col) if col in header else -1
        return cells[i] if 0 <= i < len(cells) else None
    return get("study_id") or get("Study"), get("analysis_id")


def _parse_row(fname: str, line: int, header: list[str], cells: list[str], fields: dict[str, dict],
               missing: set[str], seen_unique: dict[str, dict[Any, int]], problems: list[Problem]) -> Row:
    sid, aid = _ids(header, cells)
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
                problems.append(Problem(fname, line, sid, name, "a value (required)", found=raw, analysis_id=aid))
            continue
        val, err = parse_cell(raw, fdef["type"])
        if err is None:
            err = _check_cell(val, raw, fdef)
        if err:
            problems.append(Problem(fname, line, sid, name, f"{fdef['type']}: {err}", found=raw, analysis_id=aid))
            bad.add(name)
            val = None
        elif name in seen_unique:
            if val in seen_unique[name]:
                problems.append(Problem(fname, line, sid, name, f"a unique value (also on line {seen_unique[name][val]})",
                                        found=raw, analysis_id=aid))
            else:
                seen_unique[name][val] = line
        values[name] = val
    return Row(line, values, bad)


def read_table(path: Path, schema: dict, problems: list[Problem]) -> list[Row]:
    """Read a CSV as text and check header, cell types, constraints and primary key against its schema."""
    fname = path.name
    fields = {f["name"]: f for f in schema["fields"]}
    missing = set(schema.get("missingValues", [""]))
    rows: list[Row] = []
    with path.open(newline="", encoding="utf-8") as fh:
        reader = csv.reader(fh)
        try:
            header = next(reader)
        except StopIteration:
            problems.append(Problem(fname, 1, None, None, "a header line"))
            return []
        _header_problems(fname, header, fields, problems)
        seen_unique: dict[str, dict[Any, int]] = {n: {} for n, f in fields.items()
                                                 if f.get("constraints", {}).get("unique")}
        start = reader.line_num + 1
        for cells in reader:
            line, start = start, reader.line_num + 1
            if not cells:
                problems.append(Problem(fname, line, None, None, "no blank lines", found=""))
                continue
            if len(cells) != len(header):
                sid, aid = _ids(header, cells)
                problems.append(Problem(fname, line, sid, None, f"{len(header)} cells", found=f"{len(cells)} cells",
                                        analysis_id=aid))
                continue
            rows.append(_parse_row(fname, line, header, cells, fields, missing, seen_unique, problems))
    _check_primary_key(fname, schema, rows, problems)
    return rows


def _check_primary_key(fname: str, schema: dict, rows: list[Row], problems: list[Problem]) -> None:
    key = schema.get("primaryKey")
    if not key:
        return
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


def check_foreign_keys(name: str, schema: dict, tables: dict[str, list[Row]], files: dict[str, str],
                       problems: list[Problem]) -> None:
    """Every foreign key of table ``name`` refers to an existing row of the referenced table."""
    fname = files.get(name, f"{name}.csv")
    for fk in schema.get("foreignKeys", []):
        cols = fk["fields"] if isinstance(fk["fields"], list) else [fk["fields"]]
        ref = fk["reference"]
        target = ref.get("resource") or name
        rcols = ref["fields"] if isinstance(ref["fields"], list) else [ref["fields"]]
        if target not in tables:
            problems.append(Problem(fname, None, None, ",".join(cols), f"a table {target!r} to refer to"))
            continue
        keys = {tuple(r.values.get(c) for c in rcols) for r in tables[target]}
        for r in tables[name]:
            k = tuple(r.values.get(c) for c in cols)
            if any(v is None for v in k):
                continue
            if k not in keys:
                problems.append(Problem(fname, r.line, r.values.get("study_id"), ",".join(cols),
                                        f"a {'/'.join(rcols)} that exists in {files.get(target, target + '.csv')}",
                                        found="/".join(map(str, k)), analysis_id=r.values.get("analysis_id")))


def frame(rows: list[Row], schema: dict) -> pd.DataFrame:
    """Typed DataFrame of parsed rows: Int64, float64, boolean and string columns, blanks as missing."""
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
