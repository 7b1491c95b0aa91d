"""Summary-of-findings tables in the Cochrane layout (Cochrane Handbook ch. 14, Table 14.1.a).

Columns: outcome; anticipated absolute effects (risk with the comparator, corresponding risk
with the intervention, risk difference per 1000 with its CI); relative effect (95% CI);
participants (studies); certainty (GRADE); comments. The numbers are the review's published
ones; the comparator risk is the pooled control-arm risk of the review's own study rows; the
statement in the comments is computed by :func:`mytools.present.grade.plain_language`.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping, Sequence

import pandas as pd

from . import grade
from ..engine.vocabulary import is_ratio

__all__ = ["SofInput", "sof_row", "sof_table", "control_counts", "from_registry",
           "from_result", "pooled_sd", "reexpress_smd", "compact_table"]



@dataclass(frozen=True)
class SofInput:
    """Everything one SoF row needs (from the typed analysis result and the registry)."""

    analysis_id: str
    outcome: str
    statement_outcome: str
    intervention: str
    comparator: str
    measure: str
    estimate: float
    ci_low: float
    ci_high: float
    k: int | None
    participants: int | None
    certainty: str
    control_events: Sequence[float] = ()
    control_totals: Sequence[float] = ()
    verbs: tuple[str, str] = ("increases", "reduces")
    units: str = ""
    mid: float | None = None
    comments: str = ""
    footnote: str = ""
    extra: dict = field(default_factory=dict)


def _n(x: Any) -> str:
    return f"{x:.2f}".replace("-", "\u2212")


def _signed(v: float, units: str) -> str:
    word = "higher" if v >= 0 else "lower"
    return f"{abs(v):.2f}{(' ' + units) if units else ''} {word}"


def sof_row(s: SofInput) -> dict[str, Any]:
    """One row: absolute effects, relative effect, participants, certainty, statement."""
    ratio = is_ratio(s.measure)
    null = 1.0 if ratio else 0.0
    row: dict[str, Any] = {"analysis_id": s.analysis_id, "outcome": s.outcome, "capped": False,
                           "cap_note": "", "assumed": None, "corresponding": None, "difference": None,
                           "relative": None, "risk": None}
    if ratio:
        row["relative"] = f"{s.measure} {_n(s.estimate)} ({_n(s.ci_low)} to {_n(s.ci_high)})"
        if len(s.control_totals) and s.measure.upper() == "RR":
            acr = grade.assumed_control_risk(s.control_events, s.control_totals)
            cr = grade.corresponding_risk(acr, s.estimate, s.ci_low, s.ci_high)
            row.update(assumed=f"{cr.assumed} per 1000", corresponding=cr.text(),
                       difference=cr.difference_text(), capped=cr.capped, risk=cr,
                       cap_note=cr.cap_note(s.outcome))
    else:
        name = "SMD" if s.measure.upper() == "SMD" else "MD"
        units = "SD" if name == "SMD" else s.units
        row["difference"] = (f"{name} {_signed(s.estimate, units)} ({_signed(s.ci_low, '')} to "
                             f"{_signed(s.ci_high, '')})")
    row["statement"] = grade.plain_language(
        s.intervention, s.statement_outcome, s.certainty, s.estimate, s.ci_low, s.ci_high,
        null=null, verbs=s.verbs, thresholds=grade.thresholds_for(s.measure, s.mid))
    return row


def sof_table(items: Iterable[SofInput]) -> pd.DataFrame:
    """The SoF table (text cells), Cochrane column order; ``attrs['capped']`` and
    ``attrs['footnotes']`` (numbered) for :func:`mytools.present.tables.to_html`."""
    rows, capped, notes, cap_notes = [], False, [], []
    items = list(items)
    comp = items[0].comparator if items else "comparator"
    interv = items[0].intervention if items else "intervention"
    for s in items:
        r = sof_row(s)
        capped = capped or r["capped"]
        if r["cap_note"]:
            cap_notes.append(r["cap_note"])
        mark = ""
        if s.footnote:
            if s.footnote not in notes:
                notes.append(s.footnote)
            mark = f" [{notes.index(s.footnote) + 1}]"
        cr = r["corresponding"]
        rows.append({
            "Outcome": s.outcome,
            f"Risk with {comp}": r["assumed"] or "\u2014",
            f"Risk with {interv} (95% CI)": cr or "\u2014",
            "Difference (95% CI)": r["difference"] or "\u2014",
            "Relative effect (95% CI)": r["relative"] or "\u2014",
            "Participants (studies)": (f"{int(s.participants)} ({int(s.k)})" + mark
                                       if s.participants is not None and s.k is not None
                                       else "not available"),
            "Certainty (GRADE)": grade.certainty_symbols(s.certainty),
            "Comments": " ".join(x for x in (r["statement"], s.comments) if x),
        })
    df = pd.DataFrame(rows)
    df.attrs["capped"] = capped
    df.attrs["cap_notes"] = cap_notes
    df.attrs["footnotes"] = notes
    return df


def _finite(x: Any) -> bool:
    try:
        return x is not None and math.isfinite(float(x))
    except (TypeError, ValueError):
        return False


def _clean(x: Any) -> Any:
    return None if x is None or (isinstance(x, float) and math.isnan(x)) else x


def control_counts(inputs: pd.DataFrame | None) -> tuple[list[float], list[float]]:
    """Control-arm events and totals from a result's study rows (empty when not available)."""
    if inputs is None or not len(inputs):
        return [], []
    for ev, n in (("events_control", "n_control"),):
        if {ev, n} <= set(inputs.columns):
            e, t = inputs[ev], inputs[n]
            if e.notna().all() and t.notna().all():
                return [float(v) for v in e], [float(v) for v in t]
    return [], []


def from_registry(ar: Any, *, outcome: str, statement_outcome: str, intervention: str,
                  comparator: str = "placebo", verbs: tuple[str, str] = ("increases", "reduces"),
                  comments: str = "", footnote: str = "", mid: float | None = None) -> SofInput:
    """:class:`SofInput` for a registry ``AnalysisResult`` (published numbers, control arms)."""
    pub = dict(getattr(ar, "published", None) or {})
    spec = dict(getattr(ar, "spec", None) or {})
    ev, n = control_counts(getattr(ar, "inputs", None))
    k, parts = _clean(pub.get("k")), _clean(pub.get("participants"))
    return SofInput(
        analysis_id=str(getattr(ar, "id", "")), outcome=outcome, statement_outcome=statement_outcome,
        intervention=intervention, comparator=comparator,
        measure=str(pub.get("measure") or spec.get("measure")), estimate=float(pub["estimate"]),
        ci_low=float(pub["ci_low"]), ci_high=float(pub["ci_high"]),
        k=int(k) if k is not None else None, participants=int(parts) if parts is not None else None,
        certainty=str(pub.get("certainty") or ""), control_events=ev, control_totals=n,
        verbs=verbs, units=str(_clean(spec.get("units")) or ""), mid=mid, comments=comments,
        footnote=footnote)


def from_result(ar: Any, *, comments: str = "", footnote: str = "",
                mid: float | None = None) -> SofInput:
    """:class:`SofInput` for a typed result, wording from its registry row (``sof_outcome``,
    ``sof_statement_outcome``, ``sof_verb_up``/``sof_verb_down``, ``intervention``)."""
    spec = dict(getattr(ar, "spec", None) or {})
    if _clean(spec.get("sof_outcome")) is None:
        raise ValueError(f"{getattr(ar, 'id', '?')}: the registry row has no SoF wording "
                         "(columns sof_outcome, sof_statement_outcome, sof_verb_up/down)")
    o, so = str(spec["sof_outcome"]), str(spec["sof_statement_outcome"])
    verbs = (str(spec.get("sof_verb_up") or "increases"), str(spec.get("sof_verb_down") or "reduces"))
    interv = str(spec.get("intervention") or spec.get("label_intervention"))
    return from_registry(ar, outcome=o, statement_outcome=so, intervention=interv,
                         comparator=str(spec.get("label_control") or "placebo"), verbs=verbs,
                         comments=comments, footnote=footnote, mid=mid)


def pooled_sd(n1: float, sd1: float, n2: float, sd2: float) -> float:
    """Pooled SD of two arms, √(((n1−1)s1² + (n2−1)s2²)/(n1 + n2 − 2)) (the SMD's denominator).

    >>> round(pooled_sd(47, 0.51, 48, 0.34), 3)
    0.433
    """
    return math.sqrt(((n1 - 1) * sd1 ** 2 + (n2 - 1) * sd2 ** 2) / (n1 + n2 - 2))


def reexpress_smd(smd: float, low: float, high: float, sd: float) -> tuple[float, float, float]:
    """An SMD and its CI in a scale's own units: multiply by a representative SD of that scale
    (Cochrane Handbook 15.5.3.2, "re-expressing SMDs using a familiar instrument").

    >>> tuple(round(v, 2) for v in reexpress_smd(0.86, 0.51, 1.21, 0.433))
    (0.37, 0.22, 0.52)
    """
    return smd * sd, low * sd, high * sd


def compact_table(items: Iterable[SofInput], natural: Mapping[str, str] | None = None) -> pd.DataFrame:
    """One screen per drug: outcome, what the trials show (absolute or natural units), certainty,
    and the statement. ``natural`` replaces the effect text of an analysis (e.g. an SMD re-expressed
    in HAQ-DI points)."""
    rows, cap_notes = [], []
    for s in items:
        r = sof_row(s)
        if r["cap_note"]:
            cap_notes.append(r["cap_note"])
        effect = (natural or {}).get(s.analysis_id) or r["difference"] or r["relative"] or "\u2014"
        if r["relative"] and r["difference"] and r["relative"] not in effect:
            effect = f"{effect}; {r['relative']}"
        rows.append({"Outcome": s.outcome,
                     "What the trials show (95% CI)": effect,
                     "Participants (studies)": (f"{s.participants} ({s.k})"
                                                if s.participants is not None else "not available"),
                     "Certainty": grade.certainty_symbols(s.certainty),
                     "In words": r["statement"]})
    df = pd.DataFrame(rows)
    df.attrs["capped"] = bool(cap_notes)
    df.attrs["cap_notes"] = cap_notes
    return df
