"""The model's weight, shown where the answer is read: one analysis under the review's model,
random effects (REML + Hartung–Knapp, plain and floored), the prediction interval and the
Bayesian intervals, as a table row and as computed sentences.

Given the frames of :func:`mytools.analyses.model_weight.model_weight` (rows ``review``,
``reml_hksj``, ``reml_hksj_floor``, ``prediction``, ``bayes_mu``, ``bayes_new``); nothing is
pooled here. "Disagree about no effect" means that, of the intervals for the mean effect
(``review``, ``reml_hksj``, ``reml_hksj_floor``, ``bayes_mu``), some exclude no effect (RR 1,
difference 0) and some include it. A prediction interval answers another question (where the
effect of a new trial would lie) and is worded separately.
"""
from __future__ import annotations

import math
from typing import Any, Mapping

import pandas as pd

from ..engine.vocabulary import is_ratio
from .tables import fmt_ci, _num
from .phrases import and_list, counted

__all__ = ["ROW_LABELS", "MEAN_ROWS", "intervals_table", "disagreement", "disagreement_sentence", "sentences", "model_weight_html", "bayes_width_sentence",
           "prediction_sentence", "hksj_narrower_sentence", "interval_text"]

#: What each row of a model-weight frame is, in words (table headers and sentences).
ROW_LABELS: dict[str, str] = {
    "review": "the review's model",
    "reml_hksj": "random effects, REML + Hartung–Knapp",
    "reml_hksj_floor": "REML + Hartung–Knapp, variance factor floored at 1",
    "prediction": "prediction interval (REML, t on k − 2 df)",
    "bayes_mu": "Bayesian 95% credible interval",
    "bayes_new": "Bayesian prediction for a new trial",
}
#: Rows that are intervals for the mean effect (the ones that can disagree about "no effect").
MEAN_ROWS = ("review", "reml_hksj", "reml_hksj_floor", "bayes_mu")


def _rows(frame: pd.DataFrame) -> dict[str, Any]:
    return {r.row: r for r in frame.itertuples(index=False)}


def interval_text(r: Any) -> str:
    """``0.76 (−0.34 to 1.86)``; an interval that is not defined says so."""
    if r is None or pd.isna(r.ci_low):
        return "not defined"
    return fmt_ci(r.estimate, r.ci_low, r.ci_high)


def _width(r: Any) -> float:
    """Width of an interval on the analysis scale (log for ratios)."""
    if is_ratio(r.measure):
        return math.log(r.ci_high) - math.log(r.ci_low)
    return r.ci_high - r.ci_low


def _range(r: Any) -> str:
    return f"{_num(r.ci_low)} to {_num(r.ci_high)}"


def intervals_table(frames: Mapping[str, pd.DataFrame], outcomes: Mapping[str, str]) -> pd.DataFrame:
    """One row per analysis: outcome, trials, the review's result and each other model's 95%
    interval (— where a row does not apply: random effects need k ≥ 2, the frequentist
    prediction k ≥ 3)."""
    out = []
    for aid, frame in frames.items():
        rows = _rows(frame)
        k = int(frame["k"].iloc[0])

        def cell(key: str) -> str:
            r = rows.get(key)
            if r is None:
                return "\u2014"
            return interval_text(r) if key in ("review", "bayes_mu") else (
                "not defined" if pd.isna(r.ci_low) else _range(r))
        out.append({"Outcome": outcomes.get(aid, aid), "Trials": k,
                    "Review's model (95% CI)": cell("review"),
                    "REML + Hartung–Knapp": cell("reml_hksj"),
                    "Floored at 1": cell("reml_hksj_floor"),
                    "Bayesian (95% CrI)": cell("bayes_mu"),
                    "Prediction (t, k − 2)": cell("prediction"),
                    "Bayesian prediction": cell("bayes_new")})
    df = pd.DataFrame(out)
    return df.loc[:, [c for c in df.columns if not (df[c] == "\u2014").all()]]


def disagreement(frame: pd.DataFrame) -> tuple[list[str], list[str]]:
    """(rows whose mean interval excludes no effect, rows whose interval includes it)."""
    rows = _rows(frame)
    excl = [k for k in MEAN_ROWS if k in rows and rows[k].excludes_null is True]
    incl = [k for k in MEAN_ROWS if k in rows and rows[k].excludes_null is False]
    return excl, incl


_list = and_list


def disagreement_sentence(frame: pd.DataFrame, outcome: str, model: str = "fixed-effect") -> str:
    """A sentence when the intervals for the mean disagree about "no effect" ('' when they agree).

    ``outcome``: the outcome as the sentence names it ("muscle strength"); ``model``: the review's
    model in words.
    """
    excl, incl = disagreement(frame)
    if not excl or not incl:
        return ""
    rows = _rows(frame)
    k = int(frame["k"].iloc[0])

    def named(key: str) -> str:
        name = f"the review's {model} interval" if key == "review" else {
            "reml_hksj": "the REML + Hartung–Knapp interval",
            "reml_hksj_floor": "the floored Hartung–Knapp interval",
            "bayes_mu": "the Bayesian credible interval"}[key]
        return f"{name} ({_range(rows[key])})"
    verb = lambda keys: "excludes" if len(keys) == 1 else "exclude"  # noqa: E731
    inc = "includes" if len(incl) == 1 else "include"
    return (f"For {outcome} the models disagree about no effect: {_list([named(x) for x in excl])} "
            f"{verb(excl)} it, {_list([named(x) for x in incl])} {inc} it. With {counted(k, 'trial')}, "
            f"whether there is an effect at all depends on the model; the book's words (GRADE's "
            f"template) follow the review's model.")


def prediction_sentence(frame: pd.DataFrame, outcome: str) -> str:
    """A sentence when a prediction interval includes no effect although the review's interval
    excludes it ('' otherwise)."""
    rows = _rows(frame)
    rev = rows.get("review")
    preds = [rows[k] for k in ("prediction", "bayes_new") if k in rows and rows[k].excludes_null is False]
    if rev is None or rev.excludes_null is not True or not preds:
        return ""
    p = preds[0]
    name = "prediction interval" if p.row == "prediction" else "Bayesian prediction"
    return (f"For {outcome}, the effect in a new trial could lie on either side of no effect "
            f"(the {name} runs from {_range(p)}), although the review's interval for the average "
            f"effect excludes it.")


def hksj_narrower_sentence(frame: pd.DataFrame, outcome: str) -> str:
    """A sentence when the Hartung–Knapp interval is narrower than the review's ('' otherwise):
    its variance factor q = Σw(y − μ)²/(k − 1) is below 1 (the trials agree more closely than
    their standard errors lead one to expect), and the floored version beside it."""
    rows = _rows(frame)
    rev, h, f = rows.get("review"), rows.get("reml_hksj"), rows.get("reml_hksj_floor")
    if rev is None or h is None or f is None or pd.isna(h.ci_low):
        return ""
    if not _width(h) < _width(rev):
        return ""
    return (f"For {outcome} the Hartung–Knapp interval ({_range(h)}) is narrower than the "
            f"review's ({_range(rev)}): the trials agree more closely than their standard errors "
            f"predict, so its variance factor is below 1. Floored at one, the interval runs "
            f"{_range(f)}.")


def sentences(frames: Mapping[str, pd.DataFrame], specs: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """Every computed sentence (disagreement, prediction, HKSJ narrower) for the analyses, in
    order; ``specs[id]`` gives ``sof_statement_outcome`` and the review's ``model``."""
    out = []
    for aid, frame in frames.items():
        spec = specs[aid]
        outcome, model = str(spec.get("sof_statement_outcome") or aid), f"{spec.get('model', 'fixed')}-effect"
        for text in (disagreement_sentence(frame, outcome, model), hksj_narrower_sentence(frame, outcome),
                     prediction_sentence(frame, outcome)):
            if text:
                out.append(text)
    return out


def caveat_sentence(frames: Mapping[str, pd.DataFrame], specs: Mapping[str, Mapping[str, Any]]) -> str:
    """The model caveat for a summary sentence that uses the review's words: which of the results
    have an interval from another model (Hartung–Knapp, Bayesian) that includes no effect while
    the review's excludes it (:func:`disagreement`), counted over ``frames``."""
    named = [str(specs[a].get("sof_statement_outcome") or a) for a, f in frames.items()
             if "review" in disagreement(f)[0] and disagreement(f)[1]]
    if not named:
        return ("For each of these results every model's interval agrees with the review's about "
                "whether there is an effect.")
    return (f"These words follow the review's model: for {_list(named)} ({len(named)} of "
            f"{len(frames)}), another model's interval includes no effect.")


def model_weight_html(frames: Mapping[str, pd.DataFrame], specs: Mapping[str, Mapping[str, Any]],
                      caption: str) -> str:
    """The intervals table and the sentences under it, as HTML for a chapter cell. Where the
    models agree about no effect for every result, one sentence says so."""
    from html import escape

    from .tables import to_html
    table = intervals_table(frames, {a: str(specs[a].get("sof_outcome") or a) for a in frames})
    said = sentences(frames, specs)
    if not said:
        said = ["For every result here the models agree about whether the interval includes no effect."]
    return to_html(table, caption) + "".join(f"<p>{escape(t)}</p>" for t in said)


def bayes_width_sentence(frames: Mapping[str, pd.DataFrame]) -> str:
    """How the Bayesian interval's width compares with the review's (one trial) and with the
    review's and the Hartung–Knapp interval (two or more trials), counted over the frames."""
    one = two = wider = between = 0
    for f in frames.values():
        rows = _rows(f)
        if "bayes_mu" not in rows or pd.isna(rows["bayes_mu"].ci_low):
            continue
        b, rev = _width(rows["bayes_mu"]), _width(rows["review"])
        if "reml_hksj" not in rows:
            one += 1
            wider += b > rev
        else:
            two += 1
            between += rev <= b <= _width(rows["reml_hksj"])
    return (f"Of the {one} results from one trial, the Bayesian credible interval is wider than the "
            f"review's for {wider}; of the {two} from two or three trials, its width lies between "
            f"the review's and the Hartung–Knapp interval's for {between}.")
