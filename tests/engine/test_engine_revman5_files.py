"""The engine against RevMan 5's stored results: Cochrane "statistical data only" .rm5 files
(CD003188: generic inverse variance log HR, MH RR random effects with subgroups, MD random;
CD013437: MH RR with non-estimable studies) and a RevMan 5 CSV export (CD008521 excerpt: IV OR
random effects, three subgroups, test for subgroup differences). Provenance:
../shared/fixtures/revman/SOURCE-formats.md.

.rm5 files hold RevMan's doubles in full: 1e-9 relative. P values to 5e-7 absolute (RevMan's
tail routines, see test_engine_revman_packages). The CSV is rounded to about 8 significant digits.
"""
from __future__ import annotations

import math
import xml.etree.ElementTree as ET

import numpy as np
import pandas as pd
import pytest

from mytools import NotEstimableError, pool_binary, pool_continuous, pool_generic
from mytools.engine.subgroups import subgroup_test

KINDS = {"DICH_OUTCOME": "DICH", "CONT_OUTCOME": "CONT", "IV_OUTCOME": "IV"}


def _f(el, name):
    v = el.get(name)
    return float("nan") if v in (None, "") else float(v)


def _pool(kind: str, out, data: list):
    opts = dict(model="random" if out.get("RANDOM") == "YES" else "fixed",
                ci_level=_f(out, "CI_TOTAL") / 100, study_ci_level=_f(out, "CI_STUDY") / 100)
    arr = lambda name: np.array([_f(d, name) for d in data])  # noqa: E731
    if kind == "DICH":
        return pool_binary(arr("EVENTS_1"), arr("TOTAL_1"), arr("EVENTS_2"), arr("TOTAL_2"),
                           measure=out.get("EFFECT_MEASURE"), method=out.get("METHOD"),
                           swap_events=out.get("SWAP_EVENTS") == "YES", **opts)
    if kind == "CONT":
        return pool_continuous(arr("MEAN_1"), arr("SD_1"), arr("TOTAL_1"), arr("MEAN_2"), arr("SD_2"),
                               arr("TOTAL_2"), measure=out.get("EFFECT_MEASURE"), **opts)
    log = out.get("LOG_DATA") == "YES"
    return pool_generic(arr("ESTIMATE"), arr("SE"), log_scale=log, entered_log=log, **opts)


class Check:
    def __init__(self, rtol=1e-9, p_atol=5e-7):
        self.rtol, self.p_atol, self.bad, self.n = rtol, p_atol, [], 0

    def __call__(self, where, ours, theirs, p=False):
        if ours is None or theirs is None or (isinstance(theirs, float) and math.isnan(theirs)):
            return
        self.n += 1
        if not math.isclose(float(ours), float(theirs), rel_tol=self.rtol,
                            abs_tol=self.p_atol if p else 1e-12):
            self.bad.append(f"{where}: ours {ours!r} RevMan {theirs!r}")


def _check_pooled(chk: Check, where: str, r, el) -> None:
    for attr, ours in (("EFFECT_SIZE", r.estimate), ("CI_START", r.ci_low), ("CI_END", r.ci_high),
                       ("CHI2", r.q), ("DF", r.df), ("TAU2", r.tau2), ("Z", abs(r.z))):
        chk(f"{where} {attr}", ours, _f(el, attr))
    if r.df:
        chk(f"{where} I2", r.i2, _f(el, "I2"))
        chk(f"{where} P_CHI2", r.p_q, _f(el, "P_CHI2"), p=True)
    chk(f"{where} P_Z", r.p, _f(el, "P_Z"), p=True)


def _check_studies(chk: Check, where: str, r, data) -> None:
    for i, d in enumerate(data):
        if d.get("ESTIMABLE") != "YES":
            assert not r.studies["estimable"].iloc[i], f"{where} row {i}: RevMan: not estimable"
            continue
        for attr, col in (("EFFECT_SIZE", "estimate"), ("CI_START", "ci_low"), ("CI_END", "ci_high")):
            chk(f"{where} {d.get('STUDY_ID')} {attr}", r.studies[col].iloc[i], _f(d, attr))


def _pool_or_none(kind: str, out, data: list, el, where: str):
    """The pooled result of ``data``; None where no study is estimable, and then RevMan has no
    estimate either (``el``: the outcome or subgroup element holding RevMan's)."""
    try:
        return _pool(kind, out, data)
    except NotEstimableError:
        v = _f(el, "EFFECT_SIZE")
        assert v == 0.0 or math.isnan(v), f"{where}: no estimable study for us, RevMan {v}"
        return None


@pytest.mark.parametrize("name", ["CD003188StatsDataOnly.rm5", "CD013437StatsDataOnly.rm5"])
def test_rm5_file(revman_fixtures, name):
    root = ET.parse(revman_fixtures / "rm5" / name).getroot()
    chk = Check()
    pooled = 0
    for out in root.iter():
        kind = KINDS.get(out.tag)
        if kind is None:
            continue
        where = f"{name[:8]} {out.get('ID')}"
        subs = out.findall(f"{out.tag.split('_')[0]}_SUBGROUP")
        data = out.findall(f".//{kind}_DATA")
        r = _pool_or_none(kind, out, data, out, where) if data else None
        if r is None:
            continue
        if out.get("TOTALS") == "YES":
            _check_pooled(chk, where, r, out)
            for i, d in enumerate(data):
                chk(f"{where} row {i} WEIGHT", r.studies["weight_percent"].iloc[i], _f(d, "WEIGHT"))
            pooled += 1
        _check_studies(chk, where, r, data)
        thetas, ses = [], []
        for sg in subs:
            sdata = sg.findall(f"{kind}_DATA")
            sub = f"{where} subgroup {sg.get('NO')}"
            rs = _pool_or_none(kind, out, sdata, sg, sub) if sdata else None
            if rs is None:
                continue
            _check_pooled(chk, sub, rs, sg)
            thetas.append(rs.theta)
            ses.append(rs.se)
        if len(thetas) >= 2 and out.get("SUBGROUP_TEST") == "YES":
            q, df, p, i2 = subgroup_test(np.array(thetas), np.array(ses))
            chk(f"{where} Q (subgroup differences)", q, _f(out, "Q"))
            chk(f"{where} P_Q", p, _f(out, "P_Q"), p=True)
            chk(f"{where} I2_Q", i2, _f(out, "I2_Q"))
    assert pooled >= 5 and chk.n > 150
    assert not chk.bad, f"{len(chk.bad)} of {chk.n} numbers differ:\n" + "\n".join(chk.bad[:40])


def _check_csv_pooled(chk: Check, where: str, r, ref: pd.Series, i2: bool = False) -> None:
    """A pooled result against a RevMan 5 CSV line (outcome or subgroup)."""
    pairs = [("Effect Estimate", r.estimate), ("CI Start", r.ci_low), ("CI End", r.ci_high),
             ("Q", r.q), ("Tau-Sqr", r.tau2), ("Z", abs(r.z))] + ([("I-Sqr(Q)", r.i2)] if i2 else [])
    for col, ours in pairs:
        chk(f"{where} {col}", ours, ref[col])


def test_revman5_csv_subgroups(revman_fixtures):
    """CD008521 excerpt: OR, IV, random effects (DL), three subgroups, Qint (8 significant digits)."""
    d = pd.read_csv(revman_fixtures / "revman5_csv" / "CD008521_rota_excerpt.csv")
    outcome = d[(d["Outcome Number"] == 1) & (d["Subgroup Number"] == 0) & d["Data Type"].notna()].iloc[0]
    assert (outcome["Statistical Method"], outcome["Analysis Model"]) == ("IV", "Random")
    studies = d[d["Data Type"].isna() & (d["Outcome Number"] == 1) & (d["Subgroup Number"] > 0)]
    chk = Check(rtol=2e-7, p_atol=1e-6)
    opts = dict(measure="OR", method="IV", model="random")
    thetas, ses = [], []
    for num, g in studies.groupby("Subgroup Number"):
        r = pool_binary(g["Events 1"], g["Total 1"], g["Events 2"], g["Total 2"], **opts)
        ref = d[(d["Outcome Number"] == 1) & (d["Subgroup Number"] == num) & d["Data Type"].notna()].iloc[0]
        _check_csv_pooled(chk, f"subgroup {num}", r, ref)
        for i, (_, s) in enumerate(g.iterrows()):
            chk(f"{s['Name']} estimate", r.studies["estimate"].iloc[i], s["Effect Estimate"])
        thetas.append(r.theta)
        ses.append(r.se)
    r = pool_binary(studies["Events 1"], studies["Total 1"], studies["Events 2"], studies["Total 2"], **opts)
    _check_csv_pooled(chk, "overall", r, outcome, i2=True)
    for i, (_, s) in enumerate(studies.iterrows()):
        chk(f"{s['Name']} weight", r.studies["weight_percent"].iloc[i], s["Weight"])
    q, df, p, i2 = subgroup_test(np.array(thetas), np.array(ses))
    chk("Qint", q, outcome["Qint"])
    chk("P(Qint)", p, outcome["P(Qint)"], p=True)
    chk("I²(Qint)", i2, outcome["I-Sqr(Qint)"])
    assert chk.n > 40
    assert not chk.bad, "\n".join(chk.bad)
