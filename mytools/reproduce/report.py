"""What ``reproduce`` reports beside its lines: data warnings, refused inputs, the readers' notes.

Every line, warning and note is keyed by the input's own name (:func:`review_keys`: the file, zip
or package folder name), not by its Cochrane number: two versions of one review in one folder
(``CD001920_pub3-data-rows.csv`` and ``CD001920_pub4-data-rows.csv``, or an ``.rm5`` file and its
data package) are two reviews of the report, with their own counts. :func:`attach` puts them on the report (``report.attrs``: ``warnings``, ``refused``, ``notes``,
``skipped``; column ``data_warnings`` = not-estimable rows per analysis); :func:`summary` is the
one-line count; :func:`format_sections` the terminal text; :func:`csv_frame` and :func:`to_html`
the ``--csv`` and ``--html`` files. A data warning is a row RevMan keeps but cannot estimate
(events > N, N or SD <= 0 …): left out of the pooling, weight blank, as RevMan does.
"""
from __future__ import annotations

import html
from collections import Counter
from pathlib import PurePath

import pandas as pd

__all__ = ["attach", "summary", "format_sections", "csv_frame", "to_html", "WARNING_COLUMNS",
           "review_key", "review_keys"]

WARNING_COLUMNS = ["review", "file", "line", "analysis", "study", "column", "expected", "found"]


def review_key(review) -> str:
    """A review's key in the report: the own name of the input it was read from (file, zip or
    package folder), e.g. ``CD001920_pub4-data-rows.csv``.

    >>> from types import SimpleNamespace as R
    >>> review_key(R(source="in/CD001920_pub3-data-rows.csv"))
    'CD001920_pub3-data-rows.csv'
    """
    return PurePath(str(review.source)).name or str(review.source)


def review_keys(reviews) -> list[str]:
    """:func:`review_key` of each review; a name that several inputs share (the same file name
    in two folders) is replaced by each input's path as given, so keys never merge two inputs.

    >>> from types import SimpleNamespace as R
    >>> review_keys([R(source="a/x.rm5"), R(source="b/x.rm5"), R(source="b/CD1-data-rows.csv")])
    ['a/x.rm5', 'b/x.rm5', 'CD1-data-rows.csv']
    """
    names = [review_key(r) for r in reviews]
    twice = Counter(names)
    return [str(r.source) if twice[n] > 1 else n for r, n in zip(reviews, names)]


def attach(report: pd.DataFrame, reviews, *, keys=None, refused=(), skipped=(), scan_notes=()
           ) -> pd.DataFrame:
    """``report`` with ``data_warnings`` per analysis and the attrs listed in the module doc;
    ``keys``: the reviews' keys as in ``report["review"]`` (default :func:`review_keys`)."""
    keys = review_keys(reviews) if keys is None else keys
    warnings = [{"review": k, "file": p.file, "line": p.line, "analysis": p.analysis_id,
                 "study": p.study_id, "column": p.column, "expected": p.expected,
                 "found": p.found} for r, k in zip(reviews, keys) for p in getattr(r, "warnings", ())]
    notes = [{"review": k, "note": n} for r, k in zip(reviews, keys) for n in r.notes]
    notes += [{"review": "", "note": n} for n in scan_notes]
    counts: dict[tuple, int] = {}
    for w in warnings:
        counts[(w["review"], w["analysis"])] = counts.get((w["review"], w["analysis"]), 0) + 1
    report["data_warnings"] = [counts.get((r, a), 0) for r, a in
                               zip(report["review"], report["analysis"])]
    report.attrs.update(skipped=list(skipped), refused=list(refused), warnings=warnings,
                        notes=notes)
    return report


def _per_review(warnings: list[dict]) -> dict[str, int]:
    out: dict[str, int] = {}
    for w in warnings:
        out[w["review"]] = out.get(w["review"], 0) + 1
    return out


def summary(report: pd.DataFrame) -> str:
    """One line: analyses by status, study rows and weights matching, data warnings, refused."""
    st = report["status"].value_counts()
    n_rev = report["review"].nunique()
    studies = int(report["studies"].fillna(0).sum())
    sm = int(report["studies_match"].fillna(0).sum())
    parts = [f"{len(report)} analyses in {n_rev} review(s): {int(st.get('match', 0))} match, "
             f"{int(st.get('differs', 0))} differ, {int(st.get('not computable', 0))} not computable",
             f"study rows {sm}/{studies} match RevMan's estimate and CI"]
    wm = report["weights_match"].dropna()
    if len(wm):
        parts.append(f"weights {int(wm.sum())}/{int(report.loc[wm.index, 'weights_compared'].sum())} match")
    warnings = report.attrs.get("warnings", [])
    if warnings:
        parts.append(f"{len(warnings)} data warning(s) in {len(_per_review(warnings))} review(s) "
                     "(rows not estimable, left out of the pooling as RevMan does)")
    refused = report.attrs.get("refused", [])
    if refused:
        parts.append(f"{len(refused)} input(s) refused")
    return "; ".join(parts)


def _warning_text(w: dict) -> str:
    """``file, line 185, column 'Experimental cases' = '84' (analysis 2.5, study ReTrain 2018):
    expected …``."""
    col = f"column {w['column']} = {w['found']!r}" if w["column"] else f"found {w['found']!r}"
    where = ", ".join(x for x in (w["file"], f"line {w['line']}" if w["line"] is not None else "",
                                  col) if x)
    who = ", ".join(x for x in (f"analysis {w['analysis']}" if w["analysis"] else "",
                                f"study {w['study']}" if w["study"] else "") if x)
    return f"{where} ({who or 'whole file'}): expected {w['expected']}"


def format_sections(report: pd.DataFrame) -> str:
    """Terminal text: data warnings (count per review, one line each), refused inputs, notes."""
    out: list[str] = []
    warnings = report.attrs.get("warnings", [])
    if warnings:
        out.append(f"Data warnings ({len(warnings)}): rows RevMan keeps but cannot estimate, left "
                   "out of the pooling with a blank weight")
        per = _per_review(warnings)
        for review, n in per.items():
            out.append(f"  {review}: {n} warning(s)")
            out += [f"    - {_warning_text(w)}" for w in warnings if w["review"] == review]
    refused = report.attrs.get("refused", [])
    if refused:
        out.append(f"Refused inputs ({len(refused)}): not read, the other inputs are reproduced")
        for r in refused:
            out.append(f"  {r['file']}:")
            out += [f"    {line}" for line in r["reason"].splitlines()]
    notes = report.attrs.get("notes", [])
    if notes:
        out.append(f"Notes from the readers ({len(notes)}):")
        out += [f"  - {n['note']}" for n in notes]
    return "\n".join(out)


def csv_frame(report: pd.DataFrame) -> pd.DataFrame:
    """The ``--csv`` table: the report's lines with ``review_data_warnings`` (per review),
    ``warning_details`` and ``review_notes`` (the readers' notes); then one line per refused
    input (``status`` "refused", ``reason``)."""
    warnings = report.attrs.get("warnings", [])
    per = _per_review(warnings)
    detail: dict[tuple, list[str]] = {}
    for w in warnings:
        detail.setdefault((w["review"], w["analysis"]), []).append(_warning_text(w))
    out = report.copy()
    out["review_data_warnings"] = [per.get(r, 0) for r in out["review"]]
    out["warning_details"] = [" | ".join(detail.get((r, a), [])) for r, a in
                              zip(out["review"], out["analysis"])]
    notes: dict[str, list[str]] = {}
    for n in report.attrs.get("notes", []):
        notes.setdefault(n["review"], []).append(n["note"])
    out["review_notes"] = [" | ".join(notes.get(r, [])) for r in out["review"]]
    refused = report.attrs.get("refused", [])
    if refused:
        extra = pd.DataFrame({"review": [r["file"] for r in refused], "status": "refused",
                              "reason": [" ".join(r["reason"].split()) for r in refused]})
        out = pd.concat([out, extra], ignore_index=True)
    out.attrs = {}
    return out


def _list(items: list[str]) -> str:
    return "<ul>\n" + "\n".join(f"<li>{html.escape(i)}</li>" for i in items) + "\n</ul>"


def to_html(report: pd.DataFrame) -> str:
    """The ``--html`` page: summary line, refused inputs, data warnings (count per review and a
    table), the readers' notes, then the report's lines."""
    parts = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
             '<meta name="viewport" content="width=device-width, initial-scale=1">',
             "<title>reproduce report</title>",
             "<style>body{font-family:system-ui,sans-serif;margin:1rem;max-width:100%}"
             "table{border-collapse:collapse;font-size:.85rem}td,th{border:1px solid #ccc;"
             "padding:.2rem .4rem;text-align:left;vertical-align:top}</style></head><body>",
             "<h1>reproduce report</h1>",
             f'<p class="summary">{html.escape(summary(report))}</p>']
    refused = report.attrs.get("refused", [])
    if refused:
        parts.append(f"<h2>Refused inputs ({len(refused)})</h2>")
        parts.append(_list([f"{r['file']}: {' '.join(r['reason'].split())}" for r in refused]))
    warnings = report.attrs.get("warnings", [])
    if warnings:
        parts.append(f"<h2>Data warnings ({len(warnings)})</h2>")
        parts.append("<p>Rows RevMan keeps but cannot estimate: left out of the pooling, weight "
                     "blank.</p>")
        parts.append(_list([f"{k}: {n} warning(s)" for k, n in _per_review(warnings).items()]))
        parts.append(pd.DataFrame(warnings, columns=WARNING_COLUMNS).to_html(
            index=False, na_rep="", classes="warnings"))
    notes = report.attrs.get("notes", [])
    if notes:
        parts.append(f"<h2>Notes from the readers ({len(notes)})</h2>")
        parts.append(_list([n["note"] for n in notes]))
    lines = report.copy()
    lines.attrs = {}
    parts.append("<h2>Analyses</h2>")
    parts.append(lines.to_html(index=False, na_rep="", classes="dataframe"))
    parts.append("</body></html>")
    return "\n".join(parts)
