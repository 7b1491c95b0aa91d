"""The engine against RevMan 5's own numbers: the Fleiss (1993) example files written by RevMan
5.0.23 and shipped with R `meta` (../shared/fixtures/revman, see SOURCE.md there).

The CSV is rounded to 8 decimal places, so the tolerance is a relative error of 1e-6 or half a unit
in the 8th decimal (5e-9), whichever is larger (P(Z) = 0.00101033 has only 6 significant digits); the .rm5 XML
holds RevMan's doubles in full, so there the estimates, CIs, SEs, weights, Q, I² and Z must agree
to 1e-9 (P-values to 1e-6: RevMan's chi-square/normal tail routines differ from SciPy's in the 7th
digit, e.g. P(Q) = 0.12694225 in RevMan vs 0.12694218 exactly).
"""
from __future__ import annotations

import math
import xml.etree.ElementTree as ET

import numpy as np
import pandas as pd
import pytest

from mytools import pool_binary, pool_continuous

RTOL_CSV = 1e-6


def close(ours: float, theirs: float, rtol: float) -> bool:
    return math.isclose(ours, theirs, rel_tol=rtol, abs_tol=5e-9 if rtol >= RTOL_CSV else 0.0)


@pytest.fixture(scope="module")
def csv(revman_fixtures):
    d = pd.read_csv(revman_fixtures / "Fleiss1993_CR.csv")
    return d


def _outcome(d: pd.DataFrame, no: int):
    rows = d[(d["Outcome Number"] == no) & (d["Subgroup Number"] == 0)]
    return rows.iloc[0], rows.iloc[1:].reset_index(drop=True)


def _check_studies(res, studies: pd.DataFrame, rtol: float) -> None:
    t = res.studies
    assert list(t["label"]) == list(studies["Name"])
    for col, ref in (("estimate", "Effect Estimate"), ("se", "SE"), ("ci_low", "CI Start"),
                     ("ci_high", "CI End"), ("weight_percent", "Weight")):
        for ours, theirs, lab in zip(t[col], studies[ref], t["label"]):
            assert close(ours, theirs, rtol), (lab, col, ours, theirs)


def _check_total(res, total: pd.Series, rtol: float) -> None:
    assert close(res.estimate, total["Effect Estimate"], rtol)
    assert close(res.ci_low, total["CI Start"], rtol)
    assert close(res.ci_high, total["CI End"], rtol)
    assert close(res.q, total["Q"], rtol)
    assert close(res.p_q, total["P(Q)"], rtol)
    assert close(res.i2, total["I²(Q)"], rtol)
    assert close(abs(res.z), total["Z"], rtol)  # RevMan prints |Z|
    assert close(res.p, total["P(Z)"], rtol)
    assert res.df == int(total["df"])
    assert res.tau2 == total["Tau²"] == 0
    assert close(res.studies["weight_percent"].sum(), total["Weight"], 1e-12)


def test_csv_mh_or_fixed(csv):
    total, studies = _outcome(csv, 1)
    assert (total["Statistical Method"], total["Effect Measure"], total["Analysis Model"]) == ("MH", "OR", "Fixed")
    res = pool_binary(studies["Events 1"], studies["Total 1"], studies["Events 2"], studies["Total 2"],
                      measure="OR", method="MH", model="fixed", labels=studies["Name"])
    _check_studies(res, studies, RTOL_CSV)
    _check_total(res, total, RTOL_CSV)


def test_csv_iv_md_fixed(csv):
    total, studies = _outcome(csv, 2)
    assert (total["Statistical Method"], total["Effect Measure"], total["Analysis Model"]) == ("IV", "MD", "Fixed")
    res = pool_continuous(studies["Mean 1"], studies["SD 1"], studies["Total 1"],
                          studies["Mean 2"], studies["SD 2"], studies["Total 2"],
                          measure="MD", model="fixed", labels=studies["Name"])
    _check_studies(res, studies, RTOL_CSV)
    _check_total(res, total, RTOL_CSV)


# ---- the .rm5 file: full double precision -------------------------------------------------------

@pytest.fixture(scope="module")
def rm5(revman_fixtures):
    return ET.parse(revman_fixtures / "Fleiss1993.rm5").getroot()


def test_rm5_mh_or_full_precision(rm5):
    out = rm5.find(".//DICH_OUTCOME")
    assert (out.get("METHOD"), out.get("EFFECT_MEASURE"), out.get("RANDOM")) == ("MH", "OR", "NO")
    data = out.findall("DICH_DATA")
    f = lambda name: np.array([float(x.get(name)) for x in data])  # noqa: E731
    res = pool_binary(f("EVENTS_1"), f("TOTAL_1"), f("EVENTS_2"), f("TOTAL_2"), measure="OR")
    t = res.studies
    for col, attr in (("estimate", "EFFECT_SIZE"), ("ci_low", "CI_START"), ("ci_high", "CI_END"),
                      ("se", "SE"), ("weight_percent", "WEIGHT")):
        np.testing.assert_allclose(t[col], f(attr), rtol=1e-9, err_msg=col)
    np.testing.assert_allclose(t["se"] ** 2, f("VAR"), rtol=1e-9)
    g = lambda name: float(out.get(name))  # noqa: E731
    for ours, attr in ((res.estimate, "EFFECT_SIZE"), (res.ci_low, "CI_START"), (res.ci_high, "CI_END"),
                       (res.q, "CHI2"), (res.i2, "I2"), (abs(res.z), "Z")):
        assert close(ours, g(attr), 1e-9), (attr, ours, g(attr))
    # RevMan stores the log10 of ratios
    assert close(math.log10(res.estimate), g("LOG_EFFECT_SIZE"), 1e-9)
    assert close(res.p_q, g("P_CHI2"), 1e-6)
    assert close(res.p, g("P_Z"), 1e-6)
    assert res.df == int(g("DF"))
