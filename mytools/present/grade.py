"""Summary-of-findings logic (GRADE): absolute effects and plain-language statements.

Absolute effects follow the Cochrane Handbook, chapter 14 (Schünemann et al., "Completing
'Summary of findings' tables and grading the certainty of the evidence", section 14.1.5):

* the **assumed control risk** (ACR) is the risk in the control arms of the included studies,
  here ``sum(control events) / sum(control participants)``, shown per 1000;
* the **corresponding intervention risk** is ``ACR × RR`` for the point estimate and for each
  95% CI limit of the risk ratio, per 1000.

A corresponding risk cannot exceed 1000 per 1000. ``ACR × RR`` can (e.g. 438 × 2.56 = 1120 for
the IVIg TIS ≥ 20 response); this module then shows 1000 and sets ``capped=True`` so a table can
say so in a footnote (GRADEpro does the same). Risks are rounded half up to whole numbers.

Plain-language statements follow GRADE guidance on informative statements (Santesso N, Glenton
C, Dahm P, et al. GRADE guidelines 26: informative statements to communicate the findings of
systematic reviews of interventions. J Clin Epidemiol 2020;119:126–135), Table 2, in the words
Cochrane plain-language summaries use:

=============  ==========================================  ===============================
certainty      95% CI excludes no effect                   95% CI includes no effect
=============  ==========================================  ===============================
high           "X increases / reduces Y"                    "X makes little or no
                                                            difference to Y"
moderate       "X probably increases / reduces Y"          "X probably makes little or no
                                                            difference to Y"
low            "X may increase / reduce Y"                  "X may make little or no
                                                            difference to Y"
very low       "We are very uncertain about the effect of X on Y" (whatever the estimate)
=============  ==========================================  ===============================

Santesso et al. classify effects by the point estimate against thresholds of importance; no such
thresholds (minimal important differences) are established for these outcomes (the 2025 review
says so), so this module uses the simpler, reproducible rule above: whether the 95% CI excludes
the null. The direction word says what happens to the measured quantity (``increases``/``reduces``);
whether that is good news depends on the outcome, which the SoF table states separately.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Iterable, Mapping

__all__ = [
    "CERTAINTIES",
    "per_1000",
    "assumed_control_risk",
    "corresponding_risk",
    "CorrespondingRisk",
    "plain_language",
    "certainty_symbols",
    "sof_row",
]

CERTAINTIES = ("high", "moderate", "low", "very low")
_HEDGE = {"high": "", "moderate": "probably ", "low": "may "}


def per_1000(p: float) -> int:
    """A proportion as a whole number per 1000, rounded half up (0.4375 -> 438)."""
    if p is None or not math.isfinite(p):
        raise ValueError(f"per_1000: expected a finite proportion, got {p!r}")
    return int(math.floor(p * 1000 + 0.5 + 1e-9))


def assumed_control_risk(events: Iterable[float], totals: Iterable[float]) -> float:
    """Pooled control-arm risk: sum of control events over sum of control participants."""
    ev, n = list(events), list(totals)
    if len(ev) != len(n) or not ev:
        raise ValueError("assumed_control_risk: need one event count per control arm total")
    if any(e is None or m is None or (isinstance(e, float) and math.isnan(e)) for e, m in zip(ev, n)):
        raise ValueError("assumed_control_risk: a control arm has a missing count")
    if sum(n) <= 0:
        raise ValueError("assumed_control_risk: control arms hold no participants")
    return float(sum(ev)) / float(sum(n))


@dataclass(frozen=True)
class CorrespondingRisk:
    """Assumed and corresponding risks per 1000 (Cochrane Handbook 14.1.5)."""

    assumed: int
    risk: int
    low: int
    high: int
    capped: bool

    def text(self) -> str:
        """E.g. ``"788 per 1000 (551 to 1000)"``."""
        return f"{self.risk} per 1000 ({self.low} to {self.high})"


def corresponding_risk(acr: float, rr: float, rr_low: float, rr_high: float) -> CorrespondingRisk:
    """Corresponding intervention risk per 1000 = ACR × RR (and × each CI limit), capped at 1000."""
    for name, v in (("acr", acr), ("rr", rr), ("rr_low", rr_low), ("rr_high", rr_high)):
        if v is None or not math.isfinite(v) or v < 0:
            raise ValueError(f"corresponding_risk: {name} must be a finite non-negative number, got {v!r}")
    if not 0 <= acr <= 1:
        raise ValueError(f"corresponding_risk: acr is a proportion (0 to 1), got {acr!r}")
    raw = [acr * rr, acr * rr_low, acr * rr_high]
    capped = any(r > 1 for r in raw)
    vals = [min(per_1000(r), 1000) for r in raw]
    return CorrespondingRisk(per_1000(acr), vals[0], vals[1], vals[2], capped)


def plain_language(
    intervention: str,
    outcome: str,
    certainty: str,
    estimate: float,
    ci_low: float,
    ci_high: float,
    *,
    null: float = 1.0,
    verbs: tuple[str, str] = ("increases", "reduces"),
) -> str:
    """One informative sentence for a SoF row (rule and source in the module docstring).

    ``verbs`` is the (above the null, below the null) pair; ``("improves", "worsens")`` suits a
    score where a positive difference is better (the 2025 review's SMDs for disability and
    strength).

    >>> plain_language("IVIg", "the chance of a TIS response", "moderate", 1.80, 1.26, 2.56)
    'IVIg probably increases the chance of a TIS response.'
    """
    cert = str(certainty).strip().lower()
    given = intervention
    intervention = intervention[:1].upper() + intervention[1:]  # sentence case
    if cert not in CERTAINTIES:
        raise ValueError(f"plain_language: certainty must be one of {CERTAINTIES}, got {certainty!r}")
    if cert == "very low":
        return f"We are very uncertain about the effect of {given} on {outcome}."
    hedge = _HEDGE[cert]
    if ci_low <= null <= ci_high:
        verb = {"high": "makes", "moderate": "makes", "low": "make"}[cert]
        return f"{intervention} {hedge}{verb} little or no difference to {outcome}."
    verb = verbs[0] if estimate > null else verbs[1]
    if cert == "low":  # "may increase": base form of the verb
        verb = verb[:-1] if verb.endswith("s") else verb
    return f"{intervention} {hedge}{verb} {outcome}."


def certainty_symbols(certainty: str) -> str:
    """GRADE symbols, e.g. ``moderate`` -> ``⊕⊕⊕◯ Moderate``."""
    cert = str(certainty).strip().lower()
    if cert not in CERTAINTIES:
        return "not graded"
    filled = {"high": 4, "moderate": 3, "low": 2, "very low": 1}[cert]
    return "\u2295" * filled + "\u25ef" * (4 - filled) + " " + cert.capitalize()


def _get(obj: Any, name: str, default: Any = None) -> Any:
    if isinstance(obj, Mapping):
        return obj.get(name, default)
    return getattr(obj, name, default)


def sof_row(ar: Any, *, outcome: str | None = None, intervention: str | None = None,
            statement_outcome: str | None = None,
            verbs: tuple[str, str] = ("increases", "reduces")) -> dict[str, Any]:
    """One summary-of-findings row for an ``AnalysisResult``.

    Relative effect, participants, studies and certainty are the review's published ones (a SoF
    table reports the review). The assumed control risk comes from the control arms of the
    registered inputs (``ar.inputs``, rows with ``arm == 'control'``); when those counts are not
    available, the absolute columns say so instead of inventing a risk. For mean differences the
    absolute effect is the published MD in the outcome's units.
    """
    spec = dict(_get(ar, "spec") or {})
    pub = _get(ar, "published") or {}
    measure = str(pub.get("measure") or spec.get("measure") or "")
    est, lo, hi = pub.get("estimate"), pub.get("ci_low"), pub.get("ci_high")
    cert = str(pub.get("certainty") or "").strip().lower()
    k, n = pub.get("k"), pub.get("participants")
    interv = intervention or spec.get("label_intervention") or "the intervention"
    out = outcome or spec.get("outcome") or _get(ar, "id")
    row: dict[str, Any] = {
        "analysis_id": _get(ar, "id"),
        "outcome": out,
        "measure": measure,
        "estimate": est,
        "ci_low": lo,
        "ci_high": hi,
        "relative": None,
        "assumed_per_1000": None,
        "corresponding_per_1000": None,
        "corresponding": None,
        "absolute": None,
        "capped": False,
        "participants": n,
        "k": k,
        "certainty": cert,
        "statement": None,
    }
    if est is None:
        return row
    ratio = measure.upper() in {"RR", "OR"}
    fmt = (lambda v: f"{v:.2f}".replace("-", "\u2212"))
    if ratio:
        row["relative"] = f"{measure} {fmt(est)} ({fmt(lo)} to {fmt(hi)})"
        inputs = _get(ar, "inputs")
        acr = None
        if inputs is not None and len(inputs):
            cols = set(inputs.columns)
            if {"events_c", "n_c"} <= cols:  # one row per study (wide)
                ev, n = inputs["events_c"], inputs["n_c"]
            elif {"arm", "events", "n"} <= cols:  # one row per arm (long)
                ctrl = inputs[inputs["arm"] == "control"]
                ev, n = ctrl["events"], ctrl["n"]
            else:
                ev = n = None
            if ev is not None and len(ev) and ev.notna().all() and n.notna().all():
                acr = assumed_control_risk(ev, n)
        if acr is not None and measure.upper() == "RR":
            cr = corresponding_risk(acr, est, lo, hi)
            row.update(assumed_per_1000=cr.assumed, corresponding_per_1000=cr.text(),
                       corresponding=(cr.risk, cr.low, cr.high),
                       capped=cr.capped,
                       absolute=f"{cr.assumed} per 1000 \u2192 {cr.text()}")
        else:
            row["absolute"] = "control-arm counts not available"
    else:
        units = spec.get("units")
        if measure.upper() == "SMD":
            unit_txt = " SD"
        else:
            unit_txt = f" {units}" if units and str(units).lower() != "nan" else ""
        name = "SMD" if measure.upper() == "SMD" else "MD"

        def hl(v: float) -> str:
            return f"{abs(v):.2f} {'higher' if v >= 0 else 'lower'}"

        word = "higher" if est >= 0 else "lower"
        row["absolute"] = f"{name} {abs(est):.2f}{unit_txt} {word} ({hl(lo)} to {hl(hi)})"
    null = 1.0 if ratio else 0.0
    if cert in CERTAINTIES and lo is not None and hi is not None:
        row["statement"] = plain_language(interv, statement_outcome or out, cert, est, lo, hi,
                                          null=null, verbs=verbs)
    return row
