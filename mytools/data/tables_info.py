"""Descriptions of the data package for the data appendix: tables, columns, provenance, what is missing."""
from __future__ import annotations

import pandas as pd

from .book import Dataset

__all__ = ["PROVENANCE_CLASSES", "provenance_counts", "schema_table", "table_overview", "missing_inputs",
           "review_data_overview", "basis_counts", "review_data_counts"]

#: Provenance classes, in the order the data appendix lists them.
PROVENANCE_CLASSES = ("review_data", "reported", "reconstructed", "approximated", "not_available")


def provenance_counts(data: Dataset) -> pd.DataFrame:
    """Rows per provenance class: the review's data rows, the input tables and the studies table."""
    parts = [pd.Series({"review_data": sum(len(r.rows) for r in data.review_data.values())}, name="review data rows")]
    for name in ("outcome_data", "study_estimates", "studies"):
        parts.append(getattr(data, name)["provenance"].value_counts().rename(name))
    out = pd.concat(parts, axis=1).fillna(0).astype(int)
    return out.reindex([o for o in PROVENANCE_CLASSES if o in out.index])


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
    """One row per table of the package: file, title, rows, columns, description."""
    rows = []
    for name, res in data.resources.items():
        schema = data.schemas[name]
        n = (len(data.review_data[res.get("review_id", name)].rows) if res.get("role") == "review_data"
             else len(getattr(data, name)))
        rows.append({"table": res["path"], "title": schema.get("title", ""), "rows": n,
                     "columns": len(schema["fields"]), "description": schema.get("description", "")})
    return pd.DataFrame(rows)


def missing_inputs(data: Dataset) -> pd.DataFrame:
    """The input rows whose numbers are not available (what is missing, visibly)."""
    od = data.outcome_data
    rows = od[od["provenance"] == "not_available"]
    return rows[["analysis_id", "study_id", "arm", "note"]].reset_index(drop=True)


def review_data_overview(data: Dataset) -> pd.DataFrame:
    """One row per review data resource: file, review, rows, analyses, comparisons, sources, licences."""
    rows = []
    for name, res in data.resources.items():
        if res.get("role") != "review_data":
            continue
        rd = data.review_data[res.get("review_id", name)]
        rows.append({"file": res["path"], "review": res.get("review_id", ""), "study rows": len(rd.rows),
                     "analyses": int(rd.rows["analysis"].nunique()), "comparisons": int(rd.rows["group"].nunique()),
                     "source": "; ".join(s["title"] for s in res.get("sources", [])),
                     "licences": "; ".join(lic["title"] for lic in res.get("licenses", []))})
    return pd.DataFrame(rows)


def basis_counts(data: Dataset, route: str = "review_data") -> pd.DataFrame:
    """How each setting of the registry's rows (one route) was established: rows per basis code,
    one column per setting (measure, method, model)."""
    reg = data.analyses[data.analyses["route"] == route]
    parts = [reg[f"{s}_basis"].value_counts().rename(s) for s in ("measure", "method", "model")]
    return pd.concat(parts, axis=1).fillna(0).astype(int)


def review_data_counts(data: Dataset, review_id: str) -> dict[str, int]:
    """Numbers for the data appendix's prose: study rows, analyses, comparisons, registry rows,
    study labels and how many of them are inferred or unidentified."""
    rd = data.review(review_id)
    reg = data.analyses[(data.analyses["route"] == "review_data") & (data.analyses["review_id"] == review_id)]
    m = data.review_study_map[data.review_study_map["review_id"] == review_id]
    return {"rows": len(rd.rows), "analyses": int(rd.rows["analysis"].nunique()),
            "comparisons": int(rd.rows["group"].nunique()), "registry_rows": len(reg),
            "subgroup_rows": int(reg["subgroup_number"].notna().sum()),
            "labels": len(m), "labels_inferred": int((m["identity"] == "inferred").sum()),
            "labels_unidentified": int((m["identity"] == "unidentified").sum())}
