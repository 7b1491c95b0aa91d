"""The engine against RevMan's own stored results in real Cochrane data packages
(../shared/fixtures/revman/datapackage_v1, datapackage_v2; provenance in SOURCE-formats.md).

Each analysis is re-pooled from its data rows with the settings its overall file states (mode
REVMAN_WEB for v2 packages — RevMan Web; REVMAN5 for the v1 package, written before RevMan Web's
2025 methods) and compared with RevMan's numbers: per study (estimate, CI, weight), per analysis
and per subgroup (estimate, CI, τ², Chi², df, I², Z or T, P) and the test for subgroup
differences. Tolerances: v2.3 files carry full double precision, so 1e-8 relative (RevMan's t
and normal quantiles differ from SciPy's in about the 9th digit); v1 and v2.2 files are rounded
to 6 decimals (absolute 6e-7 plus 1e-6 relative). P values: absolute 5e-7 — RevMan's χ² and normal
tail routines are good to about 2e-7 (CD014353 2.8: P(χ²) 0.68095612 in RevMan, 0.68095593
exactly; CD013776 1.1: 1.7782e-7 vs 1.7803e-7).
Exception, named: with one study (df = 0) RevMan writes a heterogeneity P of 1 and I² 0 — except
CD011506 1.12 (one study with a zero cell), where it writes P 0 and I² 100; we report P as None
and I² 0, and do not compare these two numbers when df = 0.
"""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mytools import NotEstimableError, pool_binary, pool_continuous, pool_generic, pool_oe
from mytools.engine.subgroups import subgroup_test

MEASURE = {"Risk Ratio": "RR", "Odds Ratio": "OR", "Risk Difference": "RD", "Mean Difference": "MD",
           "Std. Mean Difference": "SMD", "Standardized Mean Difference": "SMD",
           "Hazard Ratio": "HR", "Peto Odds Ratio": "OR"}
PACKAGES = {  # folder, version, full precision?
    "CD014353": ("datapackage_v2/CD014353-SUP-07-dataPackage", 2, True),
    "CD013776": ("datapackage_v2/CD013776-SUP-06-dataPackage", 2, True),
    "CD011506": ("datapackage_v2/CD011506-SUP-06-dataPackage", 2, False),
    "CD014811": ("datapackage_v1/CD014811-dataPackage", 1, False),
}


def load(revman_fixtures: Path, review: str):
    folder, version, full = PACKAGES[review]
    base = revman_fixtures / folder / f"{review}-analysis-data"
    overall = pd.read_csv(base / f"{review}-overall-estimates-and-settings.csv")
    rows = pd.read_csv(base / f"{review}-data-rows.csv")
    subs = pd.read_csv(base / f"{review}-subgroup-estimates.csv")
    rows["Subgroup"] = rows["Subgroup"].astype(object).fillna("")
    if "Subgroup number" not in rows:  # v1: number the subgroups in order of appearance
        rows["Subgroup number"] = rows.groupby(["Analysis group", "Analysis number"])["Subgroup"] \
            .transform(lambda s: pd.factorize(s)[0] + 1)
    return overall, rows, subs, version, full


def _level(a: pd.Series, version: int, which: str) -> float:
    text = a["CI/PI level"] if version == 2 else a["Study CI" if which == "study" else "Estimate CI"]
    return float(str(text).rstrip("%")) / 100


def options(a: pd.Series, version: int) -> dict:
    random = a["Analysis model"] == "Random effect"
    opts = dict(model="random" if random else "fixed",
                settings="REVMAN_WEB" if version == 2 else "REVMAN5",
                ci_level=_level(a, version, "pooled"), study_ci_level=_level(a, version, "study"))
    if random and version == 2:
        opts["tau2_method"] = a["Heterogeneity estimator"]
        opts["ci"] = "hksj" if a["CI method"] == "HKSJ" else "wald"
    return opts


def pool(rows: pd.DataFrame, a: pd.Series, version: int):
    """One RevMan analysis (or subgroup) re-pooled with the engine's public functions."""
    opts = options(a, version)
    dt, measure = a["Data type"], MEASURE.get(a["Effect measure"], "generic")
    labels = list(rows["Study"])
    if dt == "Dichotomous":
        return pool_binary(rows["Experimental cases"], rows["Experimental N"], rows["Control cases"],
                           rows["Control N"], measure=measure, method=a["Statistical method"],
                           swap_events=str(a["Swap event and non-event"]).lower() == "true",
                           labels=labels, **opts)
    if dt == "Continuous":
        return pool_continuous(rows["Experimental mean"], rows["Experimental SD"], rows["Experimental N"],
                               rows["Control mean"], rows["Control SD"], rows["Control N"],
                               measure=measure, labels=labels, **opts)
    if dt == "Contrast level":
        log = str(a["Log-scale data"]).lower() == "true"
        return pool_generic(rows["GIV Mean"], rows["GIV SE"], log_scale=log, entered_log=log,
                            measure=measure, labels=labels, **opts)
    return pool_oe(rows["O-E"], rows["Variance"], labels=labels, **opts)


class Checker:
    def __init__(self, full: bool):
        self.full = full
        self.rtol, self.atol = (1e-8, 1e-12) if full else (1e-6, 6e-7)
        self.bad: list[str] = []
        self.n = 0

    def __call__(self, where: str, ours, theirs, p_value: bool = False) -> None:
        if theirs is None or (isinstance(theirs, float) and math.isnan(theirs)):
            return
        if ours is None:
            return  # not compared (see the module docstring)
        ours = float(ours)
        atol = (5e-7 + (0 if self.full else 5e-7)) if p_value else self.atol
        self.n += 1
        if not math.isclose(ours, float(theirs), rel_tol=self.rtol, abs_tol=atol):
            self.bad.append(f"{where}: ours {ours!r} RevMan {theirs!r}")


def check_result(chk: Checker, where: str, r, ref: pd.Series, hksj: bool) -> None:
    chk(f"{where} Mean", r.estimate, ref["Mean"])
    chk(f"{where} CI start", r.ci_low, ref["CI start"])
    chk(f"{where} CI end", r.ci_high, ref["CI end"])
    for col, ours in (("Heterogeneity Tau²", r.tau2), ("Heterogeneity Chi²", r.q),
                      ("Heterogeneity df", r.df), ("Heterogeneity I²", r.i2 if r.df else None),
                      ("PI start", r.pi_low), ("PI end", r.pi_high),
                      ("Tau² CI start", r.tau2_ci_low), ("Tau² CI end", r.tau2_ci_high)):
        if col in ref:
            chk(f"{where} {col}", ours, ref[col])
    if r.df:
        chk(f"{where} Heterogeneity P", r.p_q, ref["Heterogeneity P"], p_value=True)
    if r.t_df is not None:  # RevMan Web writes T in either column (CD014353 "Effect T")
        stat = ref["Effect T"] if not pd.isna(ref.get("Effect T", np.nan)) else ref["Effect Z"]
        chk(f"{where} Effect T", abs(r.z), stat)
    elif not hksj:
        chk(f"{where} Effect Z", abs(r.z), ref["Effect Z"])
    chk(f"{where} Effect P", r.p, ref["Effect P"], p_value=True)


def check_studies(chk: Checker, where: str, r, rows: pd.DataFrame) -> None:
    st = r.studies
    for i, (_, row) in enumerate(rows.iterrows()):
        if pd.isna(row["Mean"]):
            continue
        w = f"{where} {row['Study']}"
        chk(f"{w} Mean", st["estimate"].iloc[i], row["Mean"])
        chk(f"{w} CI start", st["ci_low"].iloc[i], row["CI start"])
        chk(f"{w} CI end", st["ci_high"].iloc[i], row["CI end"])


@pytest.mark.parametrize("review", list(PACKAGES))
def test_package_reproduces(revman_fixtures, review):
    overall, rows, subs, version, full = load(revman_fixtures, review)
    chk = Checker(full)
    pooled_any = 0
    for _, a in overall.iterrows():
        key = (a["Analysis group"], a["Analysis number"])
        where = f"{review} {key[0]}.{key[1]}"
        ar = rows[(rows["Analysis group"] == key[0]) & (rows["Analysis number"] == key[1])]
        hksj = version == 2 and a["CI method"] == "HKSJ"
        try:
            r = pool(ar, a, version)
        except NotEstimableError:
            assert pd.isna(a["Mean"]), f"{where}: RevMan has an estimate, we found none"
            continue
        check_studies(chk, where, r, ar)
        if str(a["Overall estimates"]).lower() == "true":
            check_result(chk, where, r, a, hksj)
            sub_rows = ar[ar["Subgroup"] != ""]
            weights_total = ar["Weight"].fillna(0).sum()
            if weights_total > 0:
                chk(f"{where} weights", r.studies["weight_percent"].sum(), weights_total)
                for i, w in enumerate(ar["Weight"]):
                    if not pd.isna(w):
                        chk(f"{where} weight {i}", r.studies["weight_percent"].iloc[i], w)
            pooled_any += 1
        else:
            sub_rows = ar[ar["Subgroup"] != ""]
        _check_subgroups(chk, where, a, ar, sub_rows, subs, version, hksj)
    assert pooled_any > 0
    assert not chk.bad, f"{len(chk.bad)} of {chk.n} numbers differ:\n" + "\n".join(chk.bad[:40])


def _check_subgroups(chk, where, a, ar, sub_rows, subs, version, hksj) -> None:
    if sub_rows.empty or str(a["Subgroup estimates"]).lower() != "true":
        return
    key = (a["Analysis group"], a["Analysis number"])
    s_ref = subs[(subs["Analysis group"] == key[0]) & (subs["Analysis number"] == key[1])]
    thetas, ses = [], []
    for num, g in sub_rows.groupby("Subgroup number", sort=True):
        ref = s_ref[s_ref["Subgroup number"] == num] if "Subgroup number" in s_ref else \
            s_ref[s_ref["Subgroup"] == g["Subgroup"].iloc[0]]
        try:
            r = pool(g, a, version)
        except NotEstimableError:
            assert ref.empty or pd.isna(ref["Mean"].iloc[0]), f"{where} subgroup {num}"
            continue
        thetas.append(r.theta)
        ses.append(r.se)
        if not ref.empty:
            check_result(chk, f"{where} subgroup {num}", r, ref.iloc[0], hksj)
    if str(a["Test for subgroup differences"]).lower() == "true" and len(thetas) >= 2:
        q, df, p, i2 = subgroup_test(np.array(thetas), np.array(ses))
        chk(f"{where} Subgroup Chi²", q, a["Subgroup Chi²"])
        chk(f"{where} Subgroup df", df, a["Subgroup df"])
        chk(f"{where} Subgroup P", p, a["Subgroup P"], p_value=True)
        chk(f"{where} Subgroup I²", i2, a["Subgroup I²"])


DT = {"Dichotomous": "dichotomous", "Continuous": "continuous", "Contrast level": "generic",
      "O-E and variance": "o_e"}
COLS = {"Experimental cases": "events_intervention", "Experimental N": "n_intervention",
        "Control cases": "events_control", "Control N": "n_control",
        "Experimental mean": "mean_intervention", "Experimental SD": "sd_intervention",
        "Control mean": "mean_control", "Control SD": "sd_control", "GIV Mean": "giv_estimate",
        "GIV SE": "giv_se", "O-E": "o_e", "Variance": "variance"}


@pytest.mark.parametrize("review", ["CD014353", "CD013776", "CD014811"])
def test_package_reproduces_in_one_batch(revman_fixtures, review):
    """The same packages through pool_batch: one segment per analysis and one per subgroup."""
    from mytools.engine.batch import pool_batch

    overall, rows, subs, version, full = load(revman_fixtures, review)
    parts, segs, refs = [], [], []
    for _, a in overall.iterrows():
        ar = rows[(rows["Analysis group"] == a["Analysis group"]) & (rows["Analysis number"] == a["Analysis number"])]
        o = options(a, version)
        seg = dict(data_type=DT[a["Data type"]], measure=MEASURE.get(a["Effect measure"], "generic"),
                   method=a["Statistical method"], model=o["model"], ci_level=o["ci_level"],
                   study_ci_level=o["study_ci_level"], tau2_method=o.get("tau2_method", "DL"),
                   ci_method=o.get("ci", "wald"), log_scale=str(a["Log-scale data"]).lower() == "true")
        groups = [("", ar, a)] + [(num, g, None) for num, g in ar[ar["Subgroup"] != ""].groupby("Subgroup number")]
        sub_ids = []
        for num, g, ref in groups:
            parts.append(g.rename(columns=COLS).assign(segment=len(segs)))
            if num != "":
                sub_ids.append(len(segs))
                s_ref = subs[(subs["Analysis group"] == a["Analysis group"])
                             & (subs["Analysis number"] == a["Analysis number"])]
                s_ref = s_ref[s_ref["Subgroup number"] == num] if "Subgroup number" in s_ref else \
                    s_ref[s_ref["Subgroup"] == g["Subgroup"].iloc[0]]
                ref = s_ref.iloc[0] if len(s_ref) else None
            elif str(a["Overall estimates"]).lower() != "true":
                ref = None
            refs.append((f"{review} {a['Analysis group']}.{a['Analysis number']} {num}", ref, a, sub_ids))
            segs.append(seg)
    res = pool_batch(pd.concat(parts, ignore_index=True), pd.DataFrame(segs),
                     settings="REVMAN_WEB" if version == 2 else "REVMAN5")
    chk = Checker(full)
    for j, (where, ref, a, sub_ids) in enumerate(refs):
        p = res.pooled.loc[j]
        if ref is not None and not pd.isna(ref["Mean"]):
            assert p["pooling"] == "ok", where
            for col, ours in (("Mean", p["estimate"]), ("CI start", p["ci_low"]), ("CI end", p["ci_high"]),
                              ("Heterogeneity Tau²", p["tau2"]), ("Heterogeneity Chi²", p["q"])):
                chk(f"{where} {col}", ours, ref[col])
            chk(f"{where} Effect P", p["p"], ref["Effect P"], p_value=True)
        if where.endswith(" ") and len(sub_ids) >= 2 and not pd.isna(a["Subgroup Chi²"]):
            q, df, pv, i2 = res.subgroup_test(sub_ids)
            chk(f"{where} Subgroup Chi²", q, a["Subgroup Chi²"])
            chk(f"{where} Subgroup I²", i2, a["Subgroup I²"])
    assert chk.n > 50
    assert not chk.bad, "\n".join(chk.bad[:40])
