"""Checks against RevMan's own numbers: each study row's estimate, CI and weight beside the engine's
(``study_check``), counts over the abstract's results (``status_counts``) and the earlier routes
beside the review's data (``cross_checks``)."""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..data import Dataset
from .result import STATUSES
from .run import analysis

__all__ = ["study_check", "status_counts", "cross_checks"]


def study_check(data: Dataset, review_id: str = "cochrane2025") -> pd.DataFrame:
    """One row per study row of a review's data: RevMan's ``Mean``/``CI start``/``CI end``/``Weight``
    beside the engine's, for every registered analysis of the review's rows.

    The per-study estimate and CI do not depend on the pooling; the weight comes from the pooling
    unit the review used (the whole analysis, or each subgroup when it shows subgroup totals only).
    ``decimals`` is the number of digits RevMan's stored numbers carry (from the reader).
    """
    reg = data.analyses[(data.analyses["input_table"] == "review_rows") & (data.analyses["review_id"] == review_id)]
    frames = []
    for aid in reg["analysis_id"]:
        a = analysis(aid, data)
        st = a.result.studies.reset_index(drop=True)
        inp = a.inputs.reset_index(drop=True)
        weight = np.where(st["estimable"].to_numpy(dtype=bool), st["weight_percent"].to_numpy(dtype=float), np.nan)
        est_ok = st["estimable"].to_numpy(dtype=bool)
        frames.append(pd.DataFrame({
            "analysis_id": aid, "review_analysis": a.spec["review_analysis"], "subgroup": inp["subgroup"],
            "study": inp["review_label"], "line": inp["line"], "measure": a.spec["measure"],
            "revman_estimate": inp["revman_estimate"], "estimate": np.where(est_ok, st["estimate"], np.nan),
            "revman_ci_low": inp["revman_ci_low"], "ci_low": np.where(est_ok, st["ci_low"], np.nan),
            "revman_ci_high": inp["revman_ci_high"], "ci_high": np.where(est_ok, st["ci_high"], np.nan),
            "revman_weight": inp["revman_weight"], "weight": weight}))
    out = pd.concat(frames, ignore_index=True).drop_duplicates(["review_analysis", "line"])
    rd = data.review(review_id)
    digits = rd.decimals if rd.decimals is not None else 12
    tol = 0.5 * 10.0 ** (-digits) * 1.0001
    for q in ("estimate", "ci_low", "ci_high", "weight"):
        ours, theirs = out[q].to_numpy(dtype=float), out[f"revman_{q}"].to_numpy(dtype=float)
        both_blank = np.isnan(ours) & np.isnan(theirs)
        # relative check for large values (RevMan stores 6 significant decimals of the display number)
        out[f"{q}_ok"] = both_blank | (np.abs(ours - theirs) <= np.maximum(tol, 1e-9 * np.abs(theirs)))
    out["ok"] = out[["estimate_ok", "ci_low_ok", "ci_high_ok", "weight_ok"]].all(axis=1)
    return out.sort_values("line").reset_index(drop=True)


def status_counts(report: pd.DataFrame) -> dict[str, int]:
    """Counts over the results of the 2025 abstract: per status, reproduced split by the inputs'
    provenance, and the same for the earlier (sources) route that checks them."""
    rep = report
    main = rep[rep["in_abstract"].astype(bool)]
    done = main[main["status"] == "reproduced"]
    out = {s: int((main["status"] == s).sum()) for s in STATUSES}
    out["total"] = len(main)
    out["reproduced_review_data"] = int((done["inputs_provenance"] == "review_data").sum())
    src = rep[rep["checks"].isin(main["analysis_id"])]
    sdone = src[src["status"] == "reproduced"]
    for s in STATUSES:
        out[f"sources_{s}"] = int((src["status"] == s).sum())
    out["sources_total"] = len(src)
    out["sources_reproduced_reported"] = int((sdone["inputs_provenance"] == "reported").sum())
    out["sources_reproduced_by_construction"] = int(sdone["inputs_provenance"].isin(["reconstructed", "mixed"]).sum())
    out["sources_reproduced_approximated"] = int((sdone["inputs_provenance"] == "approximated").sum())
    # names kept from before the review's data were in the book
    out["reproduced_reported"] = out["sources_reproduced_reported"]
    out["reproduced_by_construction"] = out["sources_reproduced_by_construction"]
    out["reproduced_approximated"] = out["sources_reproduced_approximated"]
    return out


def cross_checks(report: pd.DataFrame) -> pd.DataFrame:
    """One row per abstract result: the review's data beside the earlier route (primary sources,
    reconstruction, approximation) that checks it independently."""
    rep = report
    main = rep[rep["in_abstract"].astype(bool)].set_index("analysis_id")
    src = rep[rep["checks"].notna() & (rep["checks"] != "")].set_index("checks")
    rows = []
    for aid, m in main.sort_values("abstract_no").iterrows():
        s = src.loc[aid] if aid in src.index else None
        rows.append({"abstract_no": m["abstract_no"], "analysis_id": aid, "outcome": m["outcome"],
                     "pub_estimate": m["pub_estimate"], "pub_ci_low": m["pub_ci_low"], "pub_ci_high": m["pub_ci_high"],
                     "estimate": m["estimate"], "ci_low": m["ci_low"], "ci_high": m["ci_high"], "status": m["status"],
                     "sources_id": None if s is None else s["analysis_id"],
                     "sources_estimate": None if s is None else s["estimate"],
                     "sources_ci_low": None if s is None else s["ci_low"],
                     "sources_ci_high": None if s is None else s["ci_high"],
                     "sources_status": None if s is None else s["status"],
                     "sources_inputs": None if s is None else s["inputs_provenance"]})
    out = pd.DataFrame(rows)
    out["abstract_no"] = pd.array(out["abstract_no"], dtype="Int64")
    for c in ("sources_estimate", "sources_ci_low", "sources_ci_high"):
        out[c] = pd.to_numeric(out[c].astype("object")).astype("float64")
    return out
