"""Rules across tables (after each cell has passed its schema): events <= n, arms complete, numbers
present exactly when the provenance says so, every published abstract result registered, every
analysis of a review's data rows registered, every study label mapped. Nothing here names a review:
what must exist is read from the tables themselves."""
from __future__ import annotations

import math
from pathlib import Path
from typing import Any, Mapping

from .errors import Problem
from .schema import Row

__all__ = ["REGISTRY_BINARY", "REGISTRY_CONTINUOUS", "REGISTRY_LOG_SCALE", "Z975_WIDTH", "check_book_tables",
           "check_review_data"]

# The measures the book's registry (analyses.csv, its schema's enum) allows, by the kind of study
# numbers they are computed from; a subset of the engine's vocabulary (mytools.engine.vocabulary,
# checked by tests/data/test_data.py), which the data layer does not import.
REGISTRY_BINARY = ("RR", "OR", "RD")
REGISTRY_CONTINUOUS = ("MD", "SMD")
# Registry measures whose study contrasts (study_estimates.csv) are entered on the log scale.
REGISTRY_LOG_SCALE = ("RR", "OR")
Z975_WIDTH = 3.92  # CI width / SE used to restate a published 95% CI as a standard error
_DATA_TYPE = {"dichotomous": REGISTRY_BINARY, "continuous": REGISTRY_CONTINUOUS,
              "generic": REGISTRY_BINARY + REGISTRY_CONTINUOUS}


def _p(file: str, r: Row, column: str | None, expected: str, found: Any = None) -> Problem:
    return Problem(file, r.line, r.values.get("study_id"), column, expected,
                   None if found is None else str(found), analysis_id=r.values.get("analysis_id"))


def _rules_analysis_row(f: str, r: Row, problems: list[Problem]) -> None:
    v = r.values
    if v.get("tolerance") is not None and v["tolerance"] > 0.01 + 1e-12 and not v.get("tolerance_reason"):
        problems.append(_p(f, r, "tolerance_reason", "a reason when tolerance > 0.01"))
    if v.get("in_abstract") is not None and v["in_abstract"] != (v.get("abstract_no") is not None):
        problems.append(_p(f, r, "abstract_no", "abstract_no filled exactly when in_abstract is true",
                           v.get("abstract_no")))
    if v.get("method") == "MH" and v.get("measure") in REGISTRY_CONTINUOUS:
        problems.append(_p(f, r, "method", "IV for a continuous measure", v["method"]))
    dt, m = v.get("data_type"), v.get("measure")
    if dt in _DATA_TYPE and m is not None and m not in _DATA_TYPE[dt]:
        problems.append(_p(f, r, "measure", f"a measure for {dt} data ({', '.join(_DATA_TYPE[dt])})", m))
    if dt == "generic" and v.get("input_table") not in (None, "study_estimates", "none"):
        problems.append(_p(f, r, "data_type", "generic only for study_estimates inputs", dt))
    route, table = v.get("route"), v.get("input_table")
    if route == "review_data" and (table != "review_rows" or v.get("review_analysis") is None):
        problems.append(_p(f, r, "input_table", "review_rows with a review_analysis for the review_data route", table))
    if route == "sources" and table == "review_rows":
        problems.append(_p(f, r, "input_table", "outcome_data, study_estimates or none for the sources route", table))


def _rules_analyses(rows: list[Row], published: list[Row], reviews: list[Row], problems: list[Problem]) -> None:
    """Per-row rules; abstract numbers used once per review; every published abstract result registered."""
    f = "analyses.csv"
    numbers: dict[tuple[str, int], int] = {}
    ids = {r.values.get("analysis_id") for r in rows}
    for r in rows:
        v = r.values
        _rules_analysis_row(f, r, problems)
        if v.get("checks") is not None and v["checks"] not in ids:
            problems.append(_p(f, r, "checks", "an analysis_id of this registry", v["checks"]))
        no, rid = v.get("abstract_no"), v.get("review_id")
        if no is not None and rid is not None:
            if (rid, no) in numbers:
                problems.append(_p(f, r, "abstract_no", f"a number used once per review (also on line "
                                   f"{numbers[(rid, no)]})", no))
            else:
                numbers[(rid, no)] = r.line
    years = {r.values.get("review_id"): r.values.get("year") for r in reviews}
    for p in published:
        rid, no = p.values.get("review_id"), p.values.get("abstract_no")
        if no is not None and (rid, no) not in numbers:
            problems.append(Problem(f, None, None, "abstract_no",
                                    f"a registry row for result {no} of the {years.get(rid, rid)} abstract "
                                    f"(published_results.csv line {p.line} has it; all are registered)"))


def _rules_outcome_data(rows: list[Row], spec: Mapping[str, dict], problems: list[Problem]) -> None:
    f = "outcome_data.csv"
    arms: dict[tuple[str, str], dict[str, int]] = {}
    ident: dict[tuple[str, str], set] = {}
    for r in rows:
        v = r.values
        aid, sid, arm = v.get("analysis_id"), v.get("study_id"), v.get("arm")
        if aid is not None and sid is not None and arm is not None:
            arms.setdefault((aid, sid), {})[arm] = r.line
            ident.setdefault((aid, sid), set()).add(v.get("study_identity"))
        a = spec.get(aid)
        if a is None:
            continue
        if a.get("input_table") != "outcome_data":
            problems.append(_p(f, r, "analysis_id", f"an analysis whose input_table is outcome_data "
                               f"(the registry says {a.get('input_table')})", aid))
        _rules_outcome_numbers(f, r, a.get("measure"), problems)
    for (aid, sid), got in arms.items():
        for want in ("intervention", "control"):
            if want not in got:
                other = next(iter(got.values()))
                problems.append(Problem(f, other, sid, "arm", f"a row for the {want} arm too (arms complete "
                                        "for each study x analysis)", found=", ".join(got), analysis_id=aid))
        if len(ident[(aid, sid)]) > 1:
            problems.append(Problem(f, got.get("control"), sid, "study_identity",
                                    "the same study_identity in both arms", analysis_id=aid))


def _rules_outcome_numbers(f: str, r: Row, measure: str | None, problems: list[Problem]) -> None:
    v = r.values
    needed = ("n", "events") if measure in REGISTRY_BINARY else ("n", "mean", "sd")
    unused = ("mean", "sd") if measure in REGISTRY_BINARY else ("events",)
    prov = v.get("provenance")
    if prov == "not_available":
        for c in ("n", "events", "mean", "sd"):
            if v.get(c) is not None:
                problems.append(_p(f, r, c, "blank (provenance is not_available: say what is known in the note)", v[c]))
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


def _rules_study_estimates(rows: list[Row], spec: Mapping[str, dict], problems: list[Problem]) -> None:
    f = "study_estimates.csv"
    nums = ("estimate", "ci_low", "ci_high", "se")
    for r in rows:
        v = r.values
        a = spec.get(v.get("analysis_id"))
        if a is not None and a.get("input_table") != "study_estimates":
            problems.append(_p(f, r, "analysis_id", f"an analysis whose input_table is study_estimates "
                               f"(the registry says {a.get('input_table')})", v.get("analysis_id")))
        if a is not None and v.get("log_scale") is not None and v["log_scale"] != (a.get("measure") in REGISTRY_LOG_SCALE):
            problems.append(_p(f, r, "log_scale", f"{str(a.get('measure') in REGISTRY_LOG_SCALE).lower()} for measure "
                               f"{a.get('measure')}", v["log_scale"]))
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


def _rules_published(rows: list[Row], spec: Mapping[str, dict], problems: list[Problem]) -> None:
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


def _rules_studies(rows: list[Row], problems: list[Problem]) -> None:
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


def _rules_inputs_exist(spec: Mapping[str, dict], tables: Mapping[str, list[Row]], problems: list[Problem]) -> None:
    """Every analysis with a book input table has at least one row there."""
    have = {t: {r.values.get("analysis_id") for r in tables.get(t, [])} for t in ("outcome_data", "study_estimates")}
    for aid, a in spec.items():
        t = a.get("input_table")
        if t in have and aid not in have[t]:
            problems.append(Problem("analyses.csv", a["_line"], None, "input_table",
                                    f"at least one row for {aid} in {t}.csv", found=t, analysis_id=aid))


def check_book_tables(tables: Mapping[str, list[Row]], problems: list[Problem]) -> dict[str, dict]:
    """All cross-table rules of the book's own tables; returns the registry as {analysis_id: row}."""
    spec = {r.values["analysis_id"]: {**r.values, "_line": r.line}
            for r in tables.get("analyses", []) if r.values.get("analysis_id")}
    if "analyses" in tables:
        _rules_analyses(tables["analyses"], tables.get("published_results", []), tables.get("reviews", []), problems)
        _rules_inputs_exist(spec, tables, problems)
    if "outcome_data" in tables:
        _rules_outcome_data(tables["outcome_data"], spec, problems)
    if "study_estimates" in tables:
        _rules_study_estimates(tables["study_estimates"], spec, problems)
    if "published_results" in tables:
        _rules_published(tables["published_results"], spec, problems)
    if "studies" in tables:
        _rules_studies(tables["studies"], problems)
    return spec


def check_review_data(spec: Mapping[str, dict], review_data: Mapping[str, Any], study_map: list[Row],
                      problems: list[Problem], unreadable: set[str] = frozenset()) -> None:
    """The registry against each review's data rows: every registered analysis (and subgroup) exists
    with the registered data type, every analysis of the rows is registered, every study label is mapped."""
    mapped = {(r.values.get("review_id"), r.values.get("review_label")) for r in study_map}
    registered: dict[str, set[str]] = {}
    for aid, a in spec.items():
        if a.get("input_table") != "review_rows":
            continue
        rid, key = a.get("review_id"), a.get("review_analysis")
        registered.setdefault(rid, set()).add(key)
        rd = review_data.get(rid)
        if rd is None and rid in unreadable:
            continue  # its file's own problems are reported; no cascade
        if rd is None:
            problems.append(Problem("analyses.csv", a["_line"], None, "review_id",
                                    "a review whose data rows are in datapackage.json (role review_data)", rid, aid))
            continue
        _check_registered(aid, a, rd, problems)
    for rid, rd in review_data.items():
        fname = Path(str(rd.rows["file"].iloc[0])).name if len(rd.rows) else rid
        for key in rd.analyses["analysis"]:
            if key not in registered.get(rid, set()):
                first = rd.rows[rd.rows["analysis"] == key]["line"]
                problems.append(Problem(fname, int(first.iloc[0]) if len(first) else None, None, "Analysis number",
                                        f"a row in analyses.csv for analysis {key} of {rid} (every analysis registered)", key))
        for r in rd.rows.itertuples():
            if (rid, r.study) not in mapped:
                problems.append(Problem(fname, int(r.line), r.study, "Study",
                                        f"a row for this study label in review_study_map.csv ({rid})", r.study))


def _check_registered(aid: str, a: dict, rd: Any, problems: list[Problem]) -> None:
    key = a.get("review_analysis")
    hit = rd.analyses[rd.analyses["analysis"] == key]
    if hit.empty:
        problems.append(Problem("analyses.csv", a["_line"], None, "review_analysis",
                                f"an analysis of the review's data rows ({', '.join(rd.analyses['analysis'])})", key, aid))
        return
    dt = hit.iloc[0].get("data_type")
    if isinstance(dt, str) and a.get("data_type") != dt:
        problems.append(Problem("analyses.csv", a["_line"], None, "data_type",
                                f"{dt} (the data type of analysis {key} in the data rows)", a.get("data_type"), aid))
    sg = a.get("subgroup_number")
    if sg is not None and sg not in set(rd.rows[rd.rows["analysis"] == key]["subgroup_number"]):
        problems.append(Problem("analyses.csv", a["_line"], None, "subgroup_number",
                                f"a subgroup of analysis {key} in the data rows", sg, aid))
