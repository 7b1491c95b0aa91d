"""infer_settings on small frames in the readers' columns (``mytools.data.revman.model``), with
RevMan-style per-study numbers computed by R metafor (escalc, rma.mh, rma) — 99% study CIs,
swapped events, IV random weights, which the real files in ../shared do not exercise. Skips when
Rscript/metafor is not installed."""
from __future__ import annotations

import io
import shutil
import subprocess

import numpy as np
import pandas as pd
import pytest

from mytools.data.revman import ReviewData
from mytools.data.revman.model import ANALYSIS_COLUMNS, ROW_COLUMNS, SUBGROUP_COLUMNS, frame
from mytools.reproduce import infer_settings, reproduce_review

A, N1, C, N2 = [2, 25, 30, 7], [50, 40, 90, 33], [20, 9, 41, 15], [50, 41, 88, 35]
R_SCRIPT = f"""
suppressMessages(library(metafor))
a <- c({",".join(map(str, A))}); n1 <- c({",".join(map(str, N1))})
c <- c({",".join(map(str, C))}); n2 <- c({",".join(map(str, N2))})
out <- function(tag, est, lo, hi, w) write.csv(data.frame(tag, est, lo, hi, w), stdout(), row.names = FALSE)
# 1: RR, 99% study CIs, Mantel-Haenszel fixed weights
d <- summary(escalc("RR", ai = a, n1i = n1, ci = c, n2i = n2), level = 99)
r <- rma.mh(ai = a, n1i = n1, ci = c, n2i = n2, measure = "RR")
out("rr99_mh", exp(d$yi), exp(d$ci.lb), exp(d$ci.ub), weights(r))
# 2: RR of the non-events (RevMan's "swap event and non-event"), 95%, MH fixed
d <- summary(escalc("RR", ai = n1 - a, n1i = n1, ci = n2 - c, n2i = n2))
r <- rma.mh(ai = n1 - a, n1i = n1, ci = n2 - c, n2i = n2, measure = "RR")
out("swap", exp(d$yi), exp(d$ci.lb), exp(d$ci.ub), weights(r))
# 3: OR, inverse variance, random effects DerSimonian-Laird
d <- summary(escalc("OR", ai = a, n1i = n1, ci = c, n2i = n2))
r <- rma(d$yi, d$vi, method = "DL")
out("or_iv_dl", exp(d$yi), exp(d$ci.lb), exp(d$ci.ub), weights(r))
"""


@pytest.fixture(scope="module")
def metafor() -> pd.DataFrame:
    if not shutil.which("Rscript"):
        pytest.skip("Rscript is not installed (r-cran-metafor gives these reference numbers)")
    out = subprocess.run(["Rscript", "-e", R_SCRIPT], capture_output=True, text=True)
    if out.returncode:
        pytest.skip(f"R metafor not available: {out.stderr[-300:]}")
    text = "\n".join(ln for ln in out.stdout.splitlines() if not ln.startswith('"tag"'))
    return pd.read_csv(io.StringIO(text), names=["tag", "est", "lo", "hi", "w"])


def _review(metafor: pd.DataFrame) -> ReviewData:
    rows, analyses = [], []
    for number, tag in enumerate(("rr99_mh", "swap", "or_iv_dl"), start=1):
        m = metafor[metafor["tag"] == tag].round(6).reset_index(drop=True)
        key = f"1.{number}"
        analyses.append({"analysis": key, "group": 1, "number": number, "name": tag,
                         "data_type": "dichotomous", "settings_source": "none"})
        for i in range(len(A)):
            rows.append({"analysis": key, "group": 1, "number": number, "subgroup": "",
                         "subgroup_number": 0, "study": f"Study {i + 1}",
                         "events_intervention": A[i], "n_intervention": N1[i],
                         "events_control": C[i], "n_control": N2[i],
                         "revman_weight": m["w"][i], "revman_estimate": m["est"][i],
                         "revman_ci_low": m["lo"][i], "revman_ci_high": m["hi"][i],
                         "file": "metafor", "line": i + 2})
    return ReviewData(source="metafor", format="data-rows-1", review_id="TEST",
                      analyses=frame(analyses, ANALYSIS_COLUMNS), rows=frame(rows, ROW_COLUMNS),
                      subgroups=frame([], SUBGROUP_COLUMNS), decimals=6)


def test_measure_level_swap_method_model_inferred(metafor: pd.DataFrame):
    s = infer_settings(_review(metafor)).set_index("analysis")
    assert s.loc["1.1", ["measure", "study_ci_level", "swap_events", "method", "model"]].tolist() == \
        ["RR", 0.99, False, "MH", "fixed"]
    assert s.loc["1.2", ["measure", "swap_events", "method", "model"]].tolist() == ["RR", True, "MH", "fixed"]
    assert s.loc["1.3", ["measure", "method", "model", "tau2_method"]].tolist() == ["OR", "IV", "random", "DL"]
    for a in ("1.1", "1.2", "1.3"):
        assert s.loc[a, "measure_how"] == "inferred from RevMan's per-study numbers"
        assert s.loc[a, "method_how"] == "inferred from weights"


def test_reproduce_matches_metafor_rows(metafor: pd.DataFrame):
    rep = reproduce_review(_review(metafor))
    assert (rep["status"] == "match").all(), rep.to_string()
    assert (rep["studies_match"] == 4).all() and (rep["weights_match"] == 4).all()
