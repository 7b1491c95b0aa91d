"""The forensic reconstruction's predictions, re-run and checked against the review's own data.

Before the review's data rows were found, the book reconstructed what the abstract did not say:
the unknown 2×2 tables behind results #5, #7, #11 and #13 (searches of every integer table, see
:mod:`mytools.teaching.reconstruct`) and the ProDERM CDASI standard deviations (back-calculated
from reported 95% CIs of the arm means: SD = √n · (upper − lower) / (2 · t(0.975, n − 1))). This
module runs those searches again, by code, and puts each prediction beside the review's number.

Verdict codes (``VERDICTS``): ``exact`` (the predicted tables, or the predicted SDs at the
precision they were stated, equal the review's, and so does the study named), ``counts_exact_identity_wrong``
(the tables are the review's, the study named is not), ``close`` (numbers within ``CLOSE`` relative
difference, not equal at the stated precision), ``wrong``.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from ..analyses import analysis
from ..data import Dataset
from .reconstruct import Reconstruction, Target, reconstruct, reconstruct_table, table_space

__all__ = ["predictions", "sd_from_ci", "VERDICTS", "CLOSE", "CDASI_REPORTED"]

VERDICTS = ("exact", "counts_exact_identity_wrong", "close", "wrong")
CLOSE = 0.02  # relative difference accepted as "close"
#: ProDERM CDASI activity change to week 16, mean (95% CI) and n randomised per arm, as reported in the
#: post-hoc paper (EClinicalMedicine 2023; data/outcome_data.csv rows ivig_cdasi_sources).
CDASI_REPORTED = {"intervention": (-9.36, -12.52, -6.19, 47), "control": (-1.16, -3.32, 0.99, 48)}
SD_DECIMALS = 1  # the SDs were stated as ≈ 10.8 and ≈ 7.4


def sd_from_ci(low: float, high: float, n: int) -> float:
    """SD of one arm from the 95% CI of its mean: √n · (high − low) / (2 · t(0.975, n − 1)).

    >>> round(sd_from_ci(-12.52, -6.19, 47), 2)
    10.78
    """
    return float(np.sqrt(n) * (high - low) / (2 * stats.t.ppf(0.975, n - 1)))


@dataclass(frozen=True)
class _Search:
    no: int
    analysis_id: str
    result: Reconstruction
    predicted_studies: tuple[str, ...]


def _target(data: Dataset, aid: str) -> tuple[Target, dict]:
    p = data.published_results.set_index("analysis_id").loc[aid]
    return Target(float(p["estimate"]), float(p["ci_low"]), float(p["ci_high"])), p.to_dict()


def _arms(data: Dataset, aid: str, provenance: str) -> pd.DataFrame:
    """Tables (events_intervention, n_intervention, events_control, n_control) of the sources route's rows with one provenance class."""
    inp = analysis(aid, data).inputs
    return inp[inp["provenance"] == provenance].reset_index(drop=True)


def _tables(frame: pd.DataFrame) -> list[tuple[int, int, int, int]]:
    return [tuple(int(x) for x in r) for r in frame[["events_intervention", "n_intervention", "events_control", "n_control"]].to_numpy()]


def _searches(data: Dataset) -> list[_Search]:
    """The four searches, with the spaces the reconstruction stated (re-run here)."""
    out = []
    # 5: ProDERM (reported) known; the second study's 44 participants split every way, <= 6 events per arm
    t5, p5 = _target(data, "ivig_sae")
    known = _arms(data, "ivig_sae_sources", "reported")
    rest = int(p5["participants"]) - int((known["n_intervention"] + known["n_control"]).sum())
    guess = _arms(data, "ivig_sae_sources", "reconstructed")
    out.append(_Search(5, "ivig_sae", reconstruct_table(t5.estimate, t5.ci_low, t5.ci_high, total=rest, max_events=6,
                                                        known=_tables(known)), tuple(guess["study_id"])))
    # 7: one trial of 15 or 16 participants, all splits
    t7, p7 = _target(data, "aza_strength")
    n7 = int(p7["participants"])
    out.append(_Search(7, "aza_strength", reconstruct_table(t7.estimate, t7.ci_low, t7.ci_high, total=[n7 - 1, n7]),
                       tuple(_arms(data, "aza_strength_sources", "reconstructed")["study_id"])))
    # 11: one trial of 25-31 participants, both arms of at least 10
    t11, _ = _target(data, "mtx_imacs")
    space = table_space(total=range(25, 32))
    out.append(_Search(11, "mtx_imacs", reconstruct(t11, [space[(space[:, 1] >= 10) & (space[:, 3] >= 10)]]),
                       tuple(_arms(data, "mtx_imacs_sources", "reconstructed")["study_id"])))
    # 13: two trials, arm sizes as randomised, every cell
    t13, _ = _target(data, "mtx_sae")
    g13 = _arms(data, "mtx_sae_sources", "reconstructed")
    spaces = [table_space(int(r.n_intervention), int(r.n_control)) for r in g13.itertuples()]
    out.append(_Search(13, "mtx_sae", reconstruct(t13, spaces, labels=list(g13["study_id"])), tuple(g13["study_id"])))
    return out


def _fmt(tables: list[tuple[int, int, int, int]]) -> str:
    return "; ".join(f"{a}/{n1} vs {c}/{n2}" for a, n1, c, n2 in tables)


def _count_row(s: _Search, data: Dataset) -> dict:
    review = analysis(s.analysis_id, data).inputs
    known = {tuple(k) for k in s.result.known}
    truth = review[[t not in known for t in _tables(review)]] if known else review
    predicted = list(s.result.tables()[0]) if s.result.unique else []
    counts = bool(s.result.unique) and sorted(predicted) == sorted(_tables(truth))
    by_table = dict(zip(_tables(truth), truth["study_id"]))
    identity = counts and all(by_table.get(t) == sid for t, sid in zip(predicted, s.predicted_studies))
    verdict = "exact" if counts and identity else ("counts_exact_identity_wrong" if counts else "wrong")
    return {"prediction": f"#{s.no}", "abstract_no": s.no, "analysis_id": s.analysis_id,
            "quantity": "2×2 table(s)", "predicted": _fmt(predicted) or f"{s.result.n_solutions} solutions",
            "predicted_study": ", ".join(s.predicted_studies), "review": _fmt(_tables(truth)),
            "review_study": ", ".join(truth["study_id"]), "review_label": ", ".join(truth["review_label"]),
            "search": "; ".join(s.result.space), "n_candidates": s.result.n_candidates,
            "n_solutions": s.result.n_solutions, "counts_match": counts, "identity_match": identity,
            "largest_relative_difference": 0.0 if counts else np.nan, "verdict": verdict}


def _sd_row(data: Dataset) -> dict:
    review = analysis("ivig_cdasi", data).inputs.iloc[0]
    pred = {arm: sd_from_ci(lo, hi, n) for arm, (_, lo, hi, n) in CDASI_REPORTED.items()}
    truth = {"intervention": float(review["sd_intervention"]), "control": float(review["sd_control"])}
    rel = max(abs(pred[a] - truth[a]) / truth[a] for a in pred)
    stated = all(round(pred[a], SD_DECIMALS) == round(truth[a], SD_DECIMALS) for a in pred)
    verdict = "exact" if stated else ("close" if rel <= CLOSE else "wrong")
    return {"prediction": "CDASI SDs", "abstract_no": 4, "analysis_id": "ivig_cdasi", "quantity": "SD (IVIg; placebo)",
            "predicted": f"{pred['intervention']:.{SD_DECIMALS}f}; {pred['control']:.{SD_DECIMALS}f}",
            "predicted_study": "Aggarwal2022", "review": f"{truth['intervention']:.2f}; {truth['control']:.2f}",
            "review_study": str(review["study_id"]), "review_label": str(review["review_label"]),
            "search": "SD = sqrt(n) (upper - lower) / (2 t(0.975, n - 1)) from the reported 95% CIs of the arm means",
            "n_candidates": np.nan, "n_solutions": np.nan, "counts_match": np.nan,
            "identity_match": str(review["study_id"]) == "Aggarwal2022", "largest_relative_difference": rel,
            "verdict": verdict, "predicted_value_intervention": pred["intervention"],
            "predicted_value_control": pred["control"], "review_value_intervention": truth["intervention"],
            "review_value_control": truth["control"]}


def predictions(data: Dataset) -> pd.DataFrame:
    """One row per prediction (#5, #7, #11, #13, the CDASI SDs): the search re-run, what it
    predicted, the review's number and study, and a verdict code (``VERDICTS``)."""
    rows = [_count_row(s, data) for s in _searches(data)] + [_sd_row(data)]
    out = pd.DataFrame(rows)
    for c in ("n_candidates", "n_solutions"):
        out[c] = pd.array(out[c], dtype="Int64")
    return out
