"""The review's *Data and analyses*, re-executed: one collapsible block per analysis with its
forest plot, RevMan's per-study numbers beside the book's, and the pooled result beside the
published one where the abstract gives it. Given the registry rows and the typed results; it
runs nothing.
"""
from __future__ import annotations

import html
from typing import Any, Mapping, Sequence

import pandas as pd

from . import forest_compact
from .forest_adapt import combine_subgroups, from_registry_result, get
from .tables import _missing, fmt_ci, study_numbers_table, to_html

__all__ = ["analysis_groups", "analysis_html", "comparison_html", "comparison_titles"]


def analysis_groups(registry: pd.DataFrame) -> dict[str, list[str]]:
    """``{review analysis number: [analysis ids]}`` in the review's order (subgroup rows together)."""
    reg = registry[registry["route"] == "review_data"].copy()
    key = reg["review_analysis"].astype(str)
    reg["_g"] = [int(k.split(".")[0]) for k in key]
    reg["_a"] = [int(k.split(".")[1]) for k in key]
    reg["_s"] = pd.to_numeric(reg["subgroup_number"], errors="coerce").fillna(0)
    reg = reg.sort_values(["_g", "_a", "_s"], kind="stable")
    out: dict[str, list[str]] = {}
    for k, aid in zip(reg["review_analysis"].astype(str), reg["analysis_id"]):
        out.setdefault(k, []).append(aid)
    return out


def comparison_titles(registry: pd.DataFrame) -> dict[int, str]:
    """``{comparison number: title}`` from the registry (the titles are inferred: see the data page)."""
    reg = registry[registry["route"] == "review_data"]
    return {int(float(n)): str(t) for n, t in zip(reg["comparison_no"], reg["comparison"])}


def _plot(ars: Sequence[Any], number: str) -> Any:
    if len(ars) == 1:
        return from_registry_result(ars[0])
    titles = []
    for a in ars:
        inp = get(a, "inputs")
        name = str(inp["subgroup"].iloc[0]) if inp is not None and "subgroup" in inp and len(inp) else ""
        sub = get(a, "spec", {}).get("subgroup_number")
        titles.append(f"{number}.{int(float(sub))} {name}".strip() if not _missing(sub) else name)
    return combine_subgroups(ars, titles)


def _numbers(ars: Sequence[Any]) -> pd.DataFrame:
    parts = []
    for a in ars:
        inp = get(a, "inputs").reset_index(drop=True)
        book = get(a, "result").studies.reset_index(drop=True)
        names = inp.get("review_label", inp["label"])
        rows = inp.assign(study=[lab if str(rl) in str(lab) else f"{lab} ({rl})"
                                 for lab, rl in zip(inp["label"], names)])
        parts.append(study_numbers_table(rows, book))
    return pd.concat(parts, ignore_index=True)


def _summary(number: str, ars: Sequence[Any]) -> str:
    spec = dict(get(ars[0], "spec") or {})
    name = str(spec.get("analysis_name") or spec.get("outcome") or "")
    res = get(ars[0], "result")
    bits = []
    if len(ars) == 1 and res is not None:
        bits.append(f"{spec.get('measure')} {fmt_ci(res.estimate, res.ci_low, res.ci_high)}")
    pub = get(ars[0], "published") or {}
    if len(ars) == 1 and pub and not _missing(pub.get("estimate")):
        bits.append(f"abstract #{int(pub.get('abstract_no') or spec.get('abstract_no'))}: "
                    f"{fmt_ci(pub['estimate'], pub['ci_low'], pub['ci_high'])}")
    tail = f" \u2014 {'; '.join(bits)}" if bits else ""
    return f"<strong>Analysis {number}</strong> {html.escape(name)}{html.escape(tail)}"


def analysis_html(number: str, ars: Sequence[Any], open_: bool = False) -> str:
    """One analysis as a ``<details>`` block: summary line, forest plot, numbers table."""
    fig = forest_compact.forest_figure(_plot(ars, number))
    fig_html = fig._repr_html_()
    table = to_html(_numbers(ars), "Per-study numbers: RevMan's (from the review's data rows) "
                                   "and this book's recomputation")
    return (f'<details class="mytools-analysis"{" open" if open_ else ""}>'
            f'<summary style="cursor:pointer;margin:0.3em 0">{_summary(number, ars)}</summary>'
            f'<div style="margin:0.6em 0 1.2em 0">{fig_html}'
            f'<div style="overflow-x:auto">{table}</div></div></details>')


def comparison_html(comparison: int, groups: Mapping[str, Sequence[str]],
                    results: Mapping[str, Any], title: str) -> str:
    """All analyses of one comparison: the title, then one block per analysis."""
    blocks = [analysis_html(num, [results[a] for a in ids])
              for num, ids in groups.items() if int(num.split(".")[0]) == comparison]
    return (f'<p style="font-size:1.1em"><strong>Comparison {comparison}: {html.escape(title)}</strong> '
            f'({len(blocks)} {"analysis" if len(blocks) == 1 else "analyses"})</p>' + "".join(blocks))
