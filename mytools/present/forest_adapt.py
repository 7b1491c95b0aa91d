"""Build a :class:`~mytools.present.forest_data.ForestData` from an analysis result.

The data type, measure, method and arm labels come from the typed result (registry metadata);
the study rows from the engine result's per-study table; provenance marks (†, ‡) and the review's
footnotes are printed under the plot.
"""
from __future__ import annotations

import math
from typing import Any, Mapping, Sequence

import pandas as pd

from .forest_data import (ForestBlock, ForestData, ForestRow, data_type_of_measure, footnote_marks,
                          provenance_lines, total_of)
from .style import PROVENANCE_MARKS
from ..engine.vocabulary import is_ratio

__all__ = ["forest_data", "study_frame", "provenance_flags", "get"]


def get(obj: Any, name: str, default: Any = None) -> Any:
    """``obj[name]`` for a mapping, ``obj.name`` otherwise (``default`` when absent)."""
    if isinstance(obj, Mapping):
        return obj.get(name, default)
    return getattr(obj, name, default)


def _missing(x: Any) -> bool:
    try:
        return x is None or bool(pd.isna(x))
    except (TypeError, ValueError):
        return False


def study_frame(studies: pd.DataFrame) -> pd.DataFrame:
    """The engine's per-study table with arm columns named ``*_intervention``/``*_control``."""
    ren = {f"{v}_{s}": f"{v}_{arm}" for v in ("events", "n", "mean", "sd")
           for s, arm in (("t", "intervention"), ("c", "control"))}
    return studies.rename(columns={k: v for k, v in ren.items()
                                   if k in studies.columns and v not in studies.columns})


def provenance_flags(inputs: pd.DataFrame | None) -> dict[str, list[str]]:
    """``{study label: [provenance class, ...]}`` for inputs that were not read in a source."""
    if inputs is None or len(inputs) == 0 or "provenance" not in inputs or "label" not in inputs:
        return {}
    flags: dict[str, list[str]] = {}
    for lab, prov in zip(inputs["label"], inputs["provenance"]):
        if prov in PROVENANCE_MARKS and prov not in flags.setdefault(lab, []):
            flags[lab].append(prov)
    return {k: v for k, v in flags.items() if v}


def _fmt(v: Any, digits: int | None) -> str:
    if _missing(v):
        return ""
    if digits is None:
        v = float(v)
        return str(int(v)) if v.is_integer() else f"{v:g}"
    return f"{float(v):.{digits}f}".replace("-", "\u2212")


def _cells(row: pd.Series, data_type: str, arm: str) -> tuple[str, ...]:
    if data_type == "dichotomous":
        return (_fmt(row.get(f"events_{arm}"), None), _fmt(row.get(f"n_{arm}"), None))
    if data_type == "continuous":
        return (_fmt(row.get(f"mean_{arm}"), 2), _fmt(row.get(f"sd_{arm}"), 2),
                _fmt(row.get(f"n_{arm}"), None))
    return ()


def _rows(st: pd.DataFrame, data_type: str, ratio: bool, marks: Mapping[str, str]) -> tuple[ForestRow, ...]:
    out = []
    for _, r in st.iterrows():
        ok = bool(r.get("estimable", not _missing(r.get("estimate"))))
        gen: tuple[str, ...] = ()
        if data_type == "generic":
            est = r.get("estimate")
            y = math.log(est) if ratio and not _missing(est) and est > 0 else est
            gen = (_fmt(y, 4), _fmt(r.get("se"), 4))
        out.append(ForestRow(
            label=str(r["label"]), cells_intervention=_cells(r, data_type, "intervention"),
            cells_control=_cells(r, data_type, "control"), cells_generic=gen,
            weight=float(r["weight_percent"]) if ok and not _missing(r.get("weight_percent")) else None,
            estimate=float(r["estimate"]) if ok else None,
            ci_low=float(r["ci_low"]) if ok else None, ci_high=float(r["ci_high"]) if ok else None,
            marks=marks.get(str(r["label"]), "")))
    return tuple(out)


def forest_data(result: Any, *, data_type: str, measure: str, method: str, model: str,
                label_intervention: str, label_control: str, higher_is_better: bool,
                flags: Mapping[str, Sequence[str]] | None = None,
                notes: Mapping[str, Sequence[str]] | None = None,
                footnotes: Sequence[str] = (), subgroups: Mapping[str, Any] | None = None,
                subgroup_of: Mapping[str, str] | None = None, subgroup_line: str | None = None,
                overall: bool = True, title: str | None = None) -> ForestData:
    """A forest plot's content from an engine result (``result.studies``) and its metadata.

    ``flags`` marks studies with † / ‡ (provenance), ``notes`` attaches footnote texts to study
    labels (lettered a, b, … like RevMan); ``subgroups`` maps a subgroup title to its engine
    result and ``subgroup_of`` a study label to its subgroup title.
    """
    st = study_frame(result.studies).reset_index(drop=True)
    marks, lines = footnote_marks(notes or {})
    used: list[str] = []
    for lab, provs in (flags or {}).items():
        sym = "".join(PROVENANCE_MARKS[p][0] for p in provs if p in PROVENANCE_MARKS)
        used += [p for p in provs if p not in used]
        if sym:
            marks[lab] = (marks.get(lab, "") + ("," if lab in marks else "") + sym)
    ratio = is_ratio(measure)
    gheads = (f"log[{measure}]" if ratio else measure, "SE") if data_type == "generic" else ()
    if subgroups:
        blocks = []
        for name, sub in subgroups.items():
            rows = st[st["label"].map(lambda s: (subgroup_of or {}).get(s) == name)]
            frows = _rows(rows, data_type, ratio, marks)
            tot = total_of("Subtotal (95% CI)", sub, rows, data_type)
            if tot.estimable and overall:
                tot = _with_weight(tot, sum(r.weight or 0.0 for r in frows))
            blocks.append(ForestBlock(name, frows, tot))
    else:
        blocks = [ForestBlock(None, _rows(st, data_type, ratio, marks))]
    total = total_of("Total (95% CI)", result, st, data_type) if overall else None
    if total is not None and total.estimable:
        total = _with_weight(total, 100.0)
    return ForestData(data_type=data_type, measure=measure, method=method, model=model,
                      label_intervention=label_intervention, label_control=label_control,
                      higher_is_better=higher_is_better, blocks=tuple(blocks), total=total,
                      subgroup_line=subgroup_line, footnotes=tuple(provenance_lines(used) + lines
                                                                   + list(footnotes)),
                      title=title, generic_heads=gheads)


def _with_weight(t: Any, w: float) -> Any:
    from dataclasses import replace

    return replace(t, weight=w)


def _bool(x: Any) -> bool:
    return str(x).strip().lower() in {"true", "1", "yes"} if isinstance(x, str) else bool(x)


def _notes(inputs: pd.DataFrame | None) -> dict[str, list[str]]:
    """The review's footnotes by study label (``inputs['footnote']``)."""
    if inputs is None or "footnote" not in inputs or "label" not in inputs:
        return {}
    out: dict[str, list[str]] = {}
    for lab, note in zip(inputs["label"], inputs["footnote"]):
        if isinstance(note, str) and note.strip():
            out.setdefault(str(lab), []).append(note.strip())
    return out


def _subgroup_line(test: Any) -> str | None:
    if test is None:
        return None
    from .revman_text import subgroup_test_text

    return subgroup_test_text(get(test, "q"), get(test, "df"), get(test, "p"), get(test, "i2"))


def from_registry_result(ar: Any, *, footnotes: Sequence[str] = (), title: str | None = None) -> ForestData:
    """ForestData for a typed ``AnalysisResult`` of :mod:`mytools.analyses`.

    Data type, measure, method, model, arm labels, direction and whether an overall total is
    shown come from the result and its registry row; subgroup blocks from ``ar.subgroups`` (with
    the test for subgroup differences), the review's footnotes and provenance marks from
    ``ar.inputs``.
    """
    spec = dict(get(ar, "spec") or {})
    res = get(ar, "result")
    if res is None:
        raise ValueError(f"analysis {get(ar, 'id', '?')!r} has no pooled result "
                         f"(status {get(ar, 'status', '')!r}); no forest plot is drawn")
    hib = spec.get("higher_is_better")
    if _missing(hib):
        raise ValueError("higher_is_better is needed to place the 'Favours' labels")
    measure = str(spec.get("measure") or res.measure)
    dtype = str(get(ar, "data_type") or "") or data_type_of_measure(
        measure, generic=spec.get("input_table") == "study_estimates")
    inputs = get(ar, "inputs")
    subs = dict(get(ar, "subgroups") or {})
    sub_of = {}
    if subs and inputs is not None and "subgroup" in inputs:
        sub_of = {str(lab): str(sg) for lab, sg in zip(inputs["label"], inputs["subgroup"])}
    overall = _bool(spec.get("overall", True)) if not _missing(spec.get("overall")) else True
    return forest_data(
        res, data_type=dtype, measure=measure, method=str(spec.get("method") or res.method),
        model=str(spec.get("model") or res.model),
        label_intervention=str(spec.get("label_intervention") or "intervention"),
        label_control=str(spec.get("label_control") or "control"), higher_is_better=_bool(hib),
        flags=provenance_flags(inputs), notes=_notes(inputs), footnotes=footnotes,
        subgroups=subs or None, subgroup_of=sub_of,
        subgroup_line=_subgroup_line(get(ar, "subgroup_test")) if subs else None,
        overall=overall or not subs, title=title)


def combine_subgroups(ars: Sequence[Any], titles: Sequence[str], *,
                      footnotes: Sequence[str] = ()) -> ForestData:
    """One plot for an analysis the registry splits into one row per subgroup (RevMan shows the
    subgroup totals only, no overall): each result becomes a subgroup block titled ``titles[i]``;
    footnote letters run across the whole plot."""
    from dataclasses import replace

    all_notes: dict[str, list[str]] = {}
    for a in ars:
        for lab, texts in _notes(get(a, "inputs")).items():
            all_notes.setdefault(lab, []).extend(texts)
    marks, lines = footnote_marks(all_notes)
    blocks, prov = [], []
    first = None
    for a, title in zip(ars, titles):
        fd = from_registry_result(a)
        first = first or fd
        rows = tuple(replace(r, marks=",".join(x for x in (marks.get(r.label, ""),
                                                              "".join(_prov_marks(r.marks))) if x))
                     for r in fd.blocks[0].rows)
        tot = replace(fd.total, label="Subtotal (95% CI)") if fd.total is not None else None
        blocks.append(ForestBlock(title, rows, tot))
        prov += [ln for ln in fd.footnotes if ln[:1] in "\u2020\u2021" and ln not in prov]
    assert first is not None
    return replace(first, blocks=tuple(blocks), total=None,
                   footnotes=tuple(prov + lines + list(footnotes)))


def _prov_marks(marks: str) -> list[str]:
    return [c for c in marks if c in "\u2020\u2021"]
