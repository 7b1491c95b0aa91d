"""GRADE arithmetic and wording: absolute effects and informative statements.

Absolute effects follow the Cochrane Handbook, chapter 14 (Schünemann et al., section 14.1.5):
the **assumed control risk** (ACR) is ``sum(control events) / sum(control participants)`` of the
included studies; the **corresponding risk** is ``ACR × RR`` (and × each CI limit), and the **risk
difference** per 1000 is the corresponding minus the assumed risk (each rounded per 1000, as
GRADEpro prints them), with its CI from the RR's limits. A
corresponding risk above 1000 per 1000 is shown as 1000 and flagged (``capped``).

Statements follow the template of GRADE guidance 26 (Santesso N, Glenton C, Dahm P, et al. GRADE
guidelines 26: informative statements to communicate the findings of systematic reviews of
interventions. J Clin Epidemiol 2020;119:126-135), as reproduced verbatim in the ACIP GRADE
Handbook (CDC), chapter 11, Table 16 "Suggested narrative statements for phrasing conclusions"
(see ``tests/present/test_grade.py`` for what was read where). Rows are the certainty, columns "the size
of the effect estimate" (large / moderate / small important / trivial, small unimportant or no
effect): high certainty states the effect ("X reduces outcome"), moderate hedges with "probably"
(the template's alternative to "likely"), low with "may", and very low certainty does not state
a size at all: "The evidence is very uncertain about the effect of X on outcome."
:func:`statement` is the template; :func:`plain_language` chooses its cell from the numbers.

The size category comes from the **point estimate** judged against thresholds of an important
effect. One rule is the book's, not a template cell: when the 95% CI includes **both** an
important benefit and an important harm, the statement below very low certainty says "may
increase or reduce", never "little to no difference" (issue #12). GRADE treats such an interval
as serious imprecision (GRADE guidance 34, J Clin Epidemiol 2022;150:216-224: "when a CI
appreciably crosses the threshold(s) of interest, one should consider rating down two or three
levels"), so it usually arrives at very low certainty and the very-uncertain sentence anyway.
Thresholds: for ratios GRADE's rough guide, "an RR of under 0.75 or over 1.25" (Guyatt et al.,
GRADE guidelines 6, J Clin Epidemiol 2011;64:1283-93, abstract); for SMDs ±0.2 ("small",
Cochrane Handbook 15.5.3.1); for mean differences the caller gives the minimal important
difference, and without one *any* difference from zero counts as possibly important (no MID is
established for these outcomes, as the 2025 review says), so a mean difference is never called
"little to no difference" without one. The template's "large" and "slightly" need thresholds for
a large or a small effect, which are not established either: :func:`plain_language` uses the
moderate-effect wording unless the caller passes ``size`` or ``large``.
"""
from __future__ import annotations
from ..engine.vocabulary import is_ratio

import math
from dataclasses import dataclass
from typing import Iterable

__all__ = [
    "CERTAINTIES", "RATIO_THRESHOLDS", "SMD_THRESHOLDS", "per_1000", "assumed_control_risk",
    "corresponding_risk", "CorrespondingRisk", "effect_class", "plain_language", "statement",
    "SIZES",
    "certainty_symbols", "thresholds_for",
]

CERTAINTIES = ("high", "moderate", "low", "very low")
RATIO_THRESHOLDS = (0.75, 1.25)
SMD_THRESHOLDS = (-0.2, 0.2)
SIZES = ("large", "moderate", "small", "trivial")


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
    """Assumed and corresponding risks and the risk difference, per 1000 (Handbook 14.1.5).

    A CI limit of ACR × RR above 1000 per 1000 is impossible as a risk: it is shown as 1000 and
    marked ``*`` in :meth:`text` and :meth:`difference_text`; ``raw_high`` keeps the uncapped value
    (per 1000) for the footnote that explains the mark."""

    assumed: int
    risk: int
    low: int
    high: int
    capped: bool
    difference: int = 0
    difference_low: int = 0
    difference_high: int = 0
    raw_high: int = 0

    def _mark(self, limit: str) -> str:
        return "*" if self.capped and (limit == "high" or self.low == 1000) else ""

    def text(self) -> str:
        """E.g. ``"788 per 1000 (551 to 1000*)"``."""
        return f"{self.risk} per 1000 ({self.low}{self._mark('low')} to {self.high}{self._mark('high')})"

    def difference_text(self) -> str:
        """E.g. ``"38 more per 1000 (36 fewer to 244 more)"``; a capped limit ends in ``*``
        (``"350 more per 1000 (113 more to 562 more*)"``)."""
        def w(v: int) -> str:
            return f"{abs(v)} {'more' if v > 0 else 'fewer'}" if v else "0 more"
        return (f"{w(self.difference)} per 1000 ({w(self.difference_low)}{self._mark('low')} to "
                f"{w(self.difference_high)}{self._mark('high')})")

    def cap_note(self, outcome: str) -> str:
        """The footnote for a capped limit, with its numbers (empty when nothing is capped)."""
        if not self.capped:
            return ""
        return (f"{outcome}: the control risk {self.assumed} per 1000 × the upper RR limit gives "
                f"{self.raw_high} per 1000, more than the 1000 a risk can reach, so the limit is shown "
                f"as 1000 per 1000 ({self.difference_high} more); the interval's true upper end for the "
                "difference cannot be expressed on this scale.")


def corresponding_risk(acr: float, rr: float, rr_low: float, rr_high: float) -> CorrespondingRisk:
    """Corresponding risk per 1000 = ACR × RR (and × each CI limit, capped at 1000); risk
    difference per 1000 = corresponding risk − assumed risk, both rounded per 1000 first (as
    GRADEpro prints them, so the three columns of a SoF row agree), so it is capped with it.

    >>> corresponding_risk(5 / 63, 1.48, 0.54, 4.07).difference_text()
    '38 more per 1000 (36 fewer to 244 more)'
    >>> corresponding_risk(21 / 48, 1.80, 1.26, 2.56).difference_text()
    '350 more per 1000 (113 more to 562 more*)'
    """
    for name, v in (("acr", acr), ("rr", rr), ("rr_low", rr_low), ("rr_high", rr_high)):
        if v is None or not math.isfinite(v) or v < 0:
            raise ValueError(f"corresponding_risk: {name} must be a finite non-negative number, got {v!r}")
    if not 0 <= acr <= 1:
        raise ValueError(f"corresponding_risk: acr is a proportion (0 to 1), got {acr!r}")
    raw = [acr * rr, acr * rr_low, acr * rr_high]
    capped = any(r > 1 for r in raw)
    vals = [min(per_1000(r), 1000) for r in raw]
    assumed = per_1000(acr)
    diffs = [v - assumed for v in vals]  # as GRADEpro: (capped) rounded risk minus rounded risk
    return CorrespondingRisk(assumed, vals[0], vals[1], vals[2], capped, *diffs,
                             raw_high=per_1000(raw[2]))


def thresholds_for(measure: str, mid: float | None = None) -> tuple[float, float]:
    """Thresholds of an important effect on the measure's scale (see the module docstring)."""
    m = measure.upper()
    if is_ratio(m):
        return RATIO_THRESHOLDS
    if mid is not None and math.isfinite(mid):
        return (-abs(mid), abs(mid))
    if m == "SMD":
        return SMD_THRESHOLDS
    return (0.0, 0.0)


def effect_class(estimate: float, ci_low: float, ci_high: float, thresholds: tuple[float, float],
                 null: float) -> str:
    """``both`` when the CI includes an important benefit and an important harm (below the lower
    and above the upper threshold), else the size of the **point estimate** (the template's "size
    of the effect estimate"): ``up``/``down`` beyond a threshold, ``none`` (trivial) between them.
    ``null`` is kept for callers; a threshold pair (0, 0) makes any non-zero estimate important.

    >>> effect_class(1.48, 0.54, 4.07, (0.75, 1.25), 1.0)
    'both'
    >>> effect_class(0.62, 0.37, 1.05, (0.75, 1.25), 1.0)
    'down'
    >>> effect_class(1.02, 0.9, 1.1, (0.75, 1.25), 1.0)
    'none'
    """
    lo_t, hi_t = thresholds
    if ci_low < lo_t and ci_high > hi_t:
        return "both"
    if estimate > hi_t:
        return "up"
    if estimate < lo_t:
        return "down"
    return "none"


def _base(verb: str) -> str:
    """'increases' -> 'increase', 'reduces' -> 'reduce', 'improves' -> 'improve'."""
    return verb[:-1] if verb.endswith("s") else verb


_NOUNS = {"increases": "increase", "reduces": "reduction", "improves": "improvement",
          "worsens": "worsening", "decreases": "decrease"}


def _check_certainty(certainty: str) -> str:
    cert = str(certainty).strip().lower()
    if cert not in CERTAINTIES:
        raise ValueError(f"certainty must be one of {CERTAINTIES}, got {certainty!r}")
    return cert


def statement(intervention: str, outcome: str, certainty: str, size: str, direction: str = "down",
              *, verbs: tuple[str, str] = ("increases", "reduces")) -> str:
    """The template sentence of GRADE guidance 26 for one certainty and one size of effect.

    ``size`` is one of :data:`SIZES`; ``direction`` ``up`` or ``down`` picks the verb of
    ``verbs`` (third person, above / below the null). Very low certainty gives one sentence
    whatever the size.

    >>> statement("X", "outcome", "moderate", "large", "up")
    'X probably results in a large increase in outcome.'
    >>> statement("X", "outcome", "very low", "moderate", "down")
    'The evidence is very uncertain about the effect of X on outcome.'
    """
    cert = _check_certainty(certainty)
    if size not in SIZES:
        raise ValueError(f"statement: size must be one of {SIZES}, got {size!r}")
    if direction not in ("up", "down"):
        raise ValueError(f"statement: direction must be 'up' or 'down', got {direction!r}")
    if cert == "very low":
        return f"The evidence is very uncertain about the effect of {intervention} on {outcome}."
    verb = verbs[0] if direction == "up" else verbs[1]
    noun = _NOUNS.get(verb, "increase" if direction == "up" else "reduction")
    subject = intervention[:1].upper() + intervention[1:]
    hedge = {"high": "", "moderate": "probably ", "low": "may "}[cert]
    if size == "trivial":
        core = {"high": "results", "moderate": "likely results", "low": "may result"}[cert]
        return f"{subject} {core} in little to no difference in {outcome}."
    if size == "large":
        res = "result" if cert == "low" else "results"
        return f"{subject} {hedge}{res} in a large {noun} in {outcome}."
    v = _base(verb) if cert == "low" else verb
    return f"{subject} {hedge}{v} {outcome}{' slightly' if size == 'small' else ''}."


def plain_language(intervention: str, outcome: str, certainty: str, estimate: float,
                   ci_low: float, ci_high: float, *, null: float = 1.0,
                   verbs: tuple[str, str] = ("increases", "reduces"),
                   thresholds: tuple[float, float] | None = None, size: str | None = None,
                   large: tuple[float, float] | None = None) -> str:
    """One informative statement chosen from the numbers (rule and sources in the module
    docstring).

    ``thresholds`` default to the ratio thresholds when ``null == 1`` and to (0, 0) (no MID)
    otherwise. An important effect is worded as a moderate one unless ``size`` ("large" or
    "small", the caller's judgement) is given, or ``large`` thresholds are given and the estimate
    lies beyond them.

    >>> plain_language("IVIg", "the chance of a TIS response", "moderate", 1.80, 1.26, 2.56)
    'IVIg probably increases the chance of a TIS response.'
    >>> plain_language("methotrexate", "serious adverse events", "low", 1.48, 0.54, 4.07)
    'Methotrexate may increase or reduce serious adverse events.'
    >>> plain_language("IVIg", "withdrawals", "very low", 1.02, 0.24, 4.33)
    'The evidence is very uncertain about the effect of IVIg on withdrawals.'
    """
    cert = _check_certainty(certainty)
    if thresholds is None:
        thresholds = RATIO_THRESHOLDS if null == 1.0 else (0.0, 0.0)
    cls = effect_class(estimate, ci_low, ci_high, thresholds, null)
    if cls == "both" and cert != "very low":
        subject = intervention[:1].upper() + intervention[1:]
        return f"{subject} may {_base(verbs[0])} or {_base(verbs[1])} {outcome}."
    if cls in ("none", "both"):
        return statement(intervention, outcome, cert, "trivial", verbs=verbs)
    chosen = "moderate"
    if size is not None:
        if size not in ("large", "moderate", "small"):
            raise ValueError(f"plain_language: size must be large, moderate or small, got {size!r}")
        chosen = size
    elif large is not None and (estimate < large[0] or estimate > large[1]):
        chosen = "large"
    return statement(intervention, outcome, cert, chosen, cls, verbs=verbs)


def certainty_symbols(certainty: str) -> str:
    """GRADE symbols, e.g. ``moderate`` -> ``⊕⊕⊕◯ Moderate``."""
    cert = str(certainty).strip().lower()
    if cert not in CERTAINTIES:
        return "not graded"
    filled = {"high": 4, "moderate": 3, "low": 2, "very low": 1}[cert]
    return "\u2295" * filled + "\u25ef" * (4 - filled) + " " + cert.capitalize()
