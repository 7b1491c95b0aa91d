"""The thresholds of an "important" effect the book's words use, with their sources; their
absolute meaning for harms; and the review's words beside the book's, with the reason for each
difference.

The thresholds are :data:`mytools.present.grade.RATIO_THRESHOLDS` and ``SMD_THRESHOLDS`` (and,
for mean differences without a minimal important difference, any non-zero value); this module
only states them. Reasons are codes (``REASONS``) computed by comparing the review's words, as
read into ``data/published_results.csv`` (``review_direction``, ``review_hedge``), with the
certainty and the interval the book's words are computed from (:func:`grade.plain_language`).
"""
from __future__ import annotations

from typing import Any, Iterable, Mapping

import pandas as pd

from . import grade, sof
from .tables import _num
from ..engine.vocabulary import is_ratio

__all__ = ["THRESHOLD_SOURCES", "thresholds_table", "harm_thresholds_table", "REASONS",
           "wording_reasons", "wording_table", "HEDGE_OF", "comparison_words"]

#: Measure family -> (threshold in words, source, why the book uses it).
THRESHOLD_SOURCES: dict[str, tuple[str, str, str]] = {
    "ratio": (f"RR below {grade.RATIO_THRESHOLDS[0]:g} or above {grade.RATIO_THRESHOLDS[1]:g}",
              "GRADE guidelines 6 (Guyatt et al., J Clin Epidemiol 2011;64:1283-93): 'an RR of "
              "under 0.75 or over 1.25' as a rough guide for an appreciable benefit or harm",
              "No outcome of this review has an established threshold of its own; GRADE's rough "
              "guide is the one the review's own imprecision judgements can be read against."),
    "SMD": (f"SMD beyond \u00b1{grade.SMD_THRESHOLDS[1]:g}",
            "Cochrane Handbook 15.5.3.1 (Cohen's rule of thumb: 0.2 a small effect)",
            "An SMD of 0.2 is the smallest size conventionally called an effect at all; no minimal "
            "important difference in SD units is established for disability or strength in myositis."),
    "MD": ("any difference from zero (no minimal important difference)",
           "The 2025 review: no minimal clinically important difference is established for these "
           "outcomes in myositis",
           "Without a minimal important difference the book cannot call a mean difference "
           "'little or no difference', so it never does."),
}

#: Reason codes for a difference between the review's words and the book's.
REASONS: dict[str, str] = {
    "same": "Same in substance.",
    "very_low": "Very low certainty: GRADE's template (guidance 26) then states neither a "
                "direction nor a size, only that the evidence is very uncertain; the review's "
                "abstract states {claim} with very low-certainty evidence.",
    "both": "The 95% CI ({ci}) includes an important benefit and an important harm ({thr}); "
            "the book then says 'may increase or reduce', not a direction (its rule; GRADE "
            "guidance 34 calls such an interval seriously imprecise).",
    "none_claim": "The review says 'little or no' effect, but its interval ({ci}) reaches "
                  "{thr}: it includes an important benefit and an important harm.",
    "md_no_mid": "No minimal important difference is established, so the book does not call any "
                 "mean difference 'little or no difference'.",
    "unhedged": "The abstract states the effect without a hedge although it rates the certainty "
                "{cert}; GRADE's template words {cert} certainty '{hedge}'.",
}

#: The hedge GRADE guidance 26 gives each certainty.
HEDGE_OF = {"high": "stated", "moderate": "probably", "low": "may", "very low": "very_uncertain"}
_CLAIM = {"up": "a direction", "down": "a direction", "none": "'little or no' difference",
          "not_stated": "no direction"}


def thresholds_table() -> pd.DataFrame:
    """One row per measure family: the threshold of an important effect, its source, and why."""
    names = {"ratio": "Risk ratio", "SMD": "Standardised mean difference", "MD": "Mean difference"}
    return pd.DataFrame([{"Measure": names[k], "Important effect": t, "Source": s, "Why": w}
                         for k, (t, s, w) in THRESHOLD_SOURCES.items()])


def harm_thresholds_table(ars: Iterable[Any]) -> pd.DataFrame:
    """For each harm (RR, lower is better): the trials' control risk and the absolute differences
    per 1000 that the ratio thresholds correspond to there (ACR × (RR − 1), Handbook 14.1.5)."""
    lo, hi = grade.RATIO_THRESHOLDS
    rows = []
    for ar in ars:
        ev, n = sof.control_counts(ar.inputs)
        acr = grade.assumed_control_risk(ev, n)
        cr = grade.corresponding_risk(acr, 1.0, lo, hi)
        rows.append({"Harm": f"{ar.spec['intervention']}: {ar.spec['sof_outcome']}",
                     "Risk with placebo": f"{cr.assumed} per 1000",
                     f"RR {hi:g} means": f"{cr.difference_high} more per 1000",
                     f"RR {lo:g} means": f"{-cr.difference_low} fewer per 1000"})
    return pd.DataFrame(rows)


def _book(ar: Any) -> tuple[str, str, str]:
    """(statement, direction code, hedge code) of the book's words for a registry result."""
    s = sof.from_result(ar)
    null = 1.0 if is_ratio(s.measure) else 0.0
    thr = grade.thresholds_for(s.measure, s.mid)
    cls = grade.effect_class(s.estimate, s.ci_low, s.ci_high, thr, null)
    cert = s.certainty.strip().lower()
    direction = "not_stated" if cert == "very low" else ("either" if cls == "both" else cls)
    return sof.sof_row(s)["statement"], direction, HEDGE_OF[cert]


def wording_reasons(ar: Any, review_direction: str, review_hedge: str) -> list[str]:
    """Reason codes (``REASONS``) why the book's words differ from the review's, ``["same"]`` if not."""
    s = sof.from_result(ar)
    _, direction, hedge = _book(ar)
    null = 1.0 if is_ratio(s.measure) else 0.0
    thr = grade.thresholds_for(s.measure, s.mid)
    cls = grade.effect_class(s.estimate, s.ci_low, s.ci_high, thr, null)
    out = []
    if hedge == "very_uncertain" and (review_hedge != "very_uncertain" or review_direction != "not_stated"):
        out.append("very_low")
    if review_hedge == "stated" and hedge != "stated":
        out.append("unhedged")
    if cls == "both" and review_direction in ("up", "down") and hedge != "very_uncertain":
        out.append("both")
    if review_direction == "none" and cls == "both" and thr != (0.0, 0.0):
        out.append("none_claim")
    if review_direction == "none" and s.measure.upper() == "MD":
        out.append("md_no_mid")
    return out or ["same"]


def _reason_text(code: str, ar: Any, review_direction: str) -> str:
    s = sof.from_result(ar)
    lo, hi = grade.thresholds_for(s.measure, s.mid)
    thr = f"below {_num(lo)} and above {_num(hi)}"
    return REASONS[code].format(ci=f"{_num(s.ci_low)} to {_num(s.ci_high)}", thr=thr,
                                claim=_CLAIM.get(review_direction, review_direction),
                                cert=s.certainty, hedge=HEDGE_OF.get(s.certainty, ""))


def wording_table(ars: Iterable[Any], published: pd.DataFrame) -> pd.DataFrame:
    """For each result: its number in the abstract, the review's words (quoted from
    ``published.review_words``), the book's words and the reason for any difference."""
    pub = published.set_index(["review_id", "analysis_id"])
    rows = []
    for ar in ars:
        p = pub.loc[("cochrane2025", ar.id)]
        codes = wording_reasons(ar, str(p["review_direction"]), str(p["review_hedge"]))
        rows.append({"#": int(p["abstract_no"]), "Result": ar.spec["sof_outcome"],
                     "The review's words": f"\u201c{p['review_words']}\u201d ({p['certainty']} certainty)",
                     "The book's words": _book(ar)[0],
                     "Why they differ": " ".join(_reason_text(c, ar, str(p["review_direction"]))
                                                 for c in codes)})
    return pd.DataFrame(rows)


def wording_counts(table: pd.DataFrame) -> Mapping[str, int]:
    """How many results the book words like the review, and how many differently."""
    same = int((table["Why they differ"] == REASONS["same"]).sum())
    return {"same": same, "different": len(table) - same}


def comparison_words(estimate: float, ci_low: float, ci_high: float, measure: str,
                     up: str, down: str, mid: float | None = None) -> dict[str, str]:
    """Words for a head-to-head result that has no GRADE rating, from the thresholds of an
    important effect (:func:`grade.thresholds_for`; GRADE guidelines 6 for ratios).

    ``word``: "similar" when the point estimate lies between the thresholds, "higher" or "lower"
    beyond them, "uncertain" when the 95% CI includes important differences both ways
    (:func:`grade.effect_class`). ``interval``: which important differences the CI rules out;
    ``up``/``down`` name the side a high/low value favours.

    >>> comparison_words(1.03, 0.79, 1.34, "RR", "favouring A", "favouring B")["interval"]
    'the interval does not rule out an important difference favouring A, an RR above 1.25'
    >>> comparison_words(1.0, 0.9, 1.1, "RR", "a", "b")["word"]
    'similar'
    """
    lo_t, hi_t = grade.thresholds_for(measure, mid)
    null = 1.0 if is_ratio(measure) else 0.0
    cls = grade.effect_class(estimate, ci_low, ci_high, (lo_t, hi_t), null)
    word = {"none": "similar", "up": "higher", "down": "lower", "both": "uncertain"}[cls]
    m = measure.upper()
    above, below = ci_high > hi_t, ci_low < lo_t
    if above and below:
        interval = (f"the interval includes important differences either way, {m}s below "
                    f"{_num(lo_t)} and above {_num(hi_t)}")
    elif above:
        interval = f"the interval does not rule out an important difference {up}, an {m} above {_num(hi_t)}"
    elif below:
        interval = f"the interval does not rule out an important difference {down}, an {m} below {_num(lo_t)}"
    else:
        interval = (f"the interval rules out an important difference either way, an {m} below "
                    f"{_num(lo_t)} or above {_num(hi_t)}")
    return {"word": word, "interval": interval}
