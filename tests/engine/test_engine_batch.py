"""The batch entry point (mytools.engine.batch.pool_batch) against the scalar pool functions, on
every analysis and subgroup of the Pairwise70 sample (40 Cochrane reviews' data rows) under
several methods and all three modes. The scalar functions are the reference (themselves tested
against RevMan's files and metafor); agreement is expected to ~1e-12 (REML/PM: iterations vs
Brent root-finding, ~1e-9)."""
from __future__ import annotations

import glob

import numpy as np
import pandas as pd
import pytest

from mytools import NotEstimableError, pool_binary, pool_continuous, pool_generic, pool_oe
from mytools.engine.batch import pool_batch

REN = {"Experimental cases": "events_intervention", "Experimental N": "n_intervention",
       "Control cases": "events_control", "Control N": "n_control",
       "Experimental mean": "mean_intervention", "Experimental SD": "sd_intervention",
       "Control mean": "mean_control", "Control SD": "sd_control",
       "GIV Mean": "giv_estimate", "GIV SE": "giv_se", "O-E": "o_e", "Variance": "variance"}
KEYS = ["review", "Analysis group", "Analysis number"]


@pytest.fixture(scope="module")
def sample(shared) -> pd.DataFrame:
    files = sorted(glob.glob(str(shared / "fixtures" / "pairwise70-sample" / "*-data-rows.csv")))
    files.append(str(shared / "fixtures" / "revman" / "derived" / "CD008469_pub3-data-rows_from_Pairwise70.csv"))
    if len(files) < 41:
        pytest.skip("the Pairwise70 sample is incomplete")
    parts = []
    for f in files:
        d = pd.read_csv(f)
        d["review"] = f.split("/")[-1][:8]
        parts.append(d)
    d = pd.concat(parts, ignore_index=True).rename(columns=REN)
    d["Subgroup"] = d["Subgroup"].fillna("")
    kinds = d.groupby(KEYS, sort=False).apply(_kind, include_groups=False).rename("data_type")
    return d.join(kinds, on=KEYS)


def _kind(g: pd.DataFrame) -> str:
    """v1 data rows zero-fill cells that do not apply: the filled cells say the data type (RevMan
    also writes the SE of the log effect into "GIV SE" and its square into "Variance" of some
    dichotomous rows, CD002243)."""
    nz = lambda col: (g[col].fillna(0) != 0).any()  # noqa: E731
    if nz("sd_intervention") or nz("sd_control"):
        return "continuous"
    if nz("o_e"):  # dichotomous rows may carry Variance = SE² with O − E = 0
        return "o_e"
    if nz("giv_estimate") or (nz("giv_se") and not (nz("events_intervention") or nz("events_control"))):
        return "generic"
    return "dichotomous"


def long_format(d: pd.DataFrame, spec: dict[str, dict]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One segment per analysis overall and one per subgroup; ``spec`` maps data type → options."""
    d = d[d["data_type"].isin(spec)]
    overall = d.assign(unit=d[KEYS].astype(str).agg("|".join, axis=1))
    sub = d[d["Subgroup"] != ""]
    sub = sub.assign(unit=sub[KEYS + ["Subgroup"]].astype(str).agg("|".join, axis=1))
    rows = pd.concat([overall, sub], ignore_index=True)
    codes, uniques = pd.factorize(rows["unit"])
    rows["segment"] = codes
    first = rows.groupby("segment", sort=True).first()
    segs = pd.DataFrame({"data_type": first["data_type"]})
    for col in ("measure", "method", "model", "tau2_method", "ci_method", "log_scale", "swap_events"):
        vals = [spec[t].get(col) for t in segs["data_type"]]
        if any(v is not None for v in vals):
            segs[col] = vals
    return rows, segs.reset_index(drop=True)


def _scalar(g: pd.DataFrame, seg: pd.Series, settings: str):
    seg = seg.where(seg.notna(), None)
    opts = dict(model=seg["model"], settings=settings, tau2_method=seg.get("tau2_method"),
                ci_method=seg.get("ci_method") if seg["model"] == "random" else None)
    dt = seg["data_type"]
    if dt == "dichotomous":
        return pool_binary(g["events_intervention"], g["n_intervention"], g["events_control"],
                           g["n_control"], measure=seg["measure"], method=seg["method"],
                           swap_events=bool(seg.get("swap_events", False)), **opts)
    if dt == "continuous":
        return pool_continuous(g["mean_intervention"], g["sd_intervention"], g["n_intervention"],
                               g["mean_control"], g["sd_control"], g["n_control"],
                               measure=seg["measure"], **opts)
    if dt == "generic":
        log = bool(seg["log_scale"])
        return pool_generic(g["giv_estimate"], g["giv_se"], log_scale=log, entered_log=log, **opts)
    return pool_oe(g["o_e"], g["variance"], **opts)


SPECS = {
    "revman5_mh": ("REVMAN5", {
        "dichotomous": dict(measure="RR", method="MH", model="fixed"),
        "continuous": dict(measure="MD", method="IV", model="fixed"),
        "generic": dict(measure="HR", method="IV", model="random", tau2_method="DL", log_scale=True),
        "o_e": dict(measure="PETO_OR", method="Peto", model="fixed", log_scale=True)}),
    "revman5_or_random": ("REVMAN5", {
        "dichotomous": dict(measure="OR", method="MH", model="random", tau2_method="DL"),
        "continuous": dict(measure="SMD", method="IV", model="random", tau2_method="DL"),
        "generic": dict(measure="MD", method="IV", model="fixed", log_scale=False)}),
    "rd_and_peto": ("REVMAN5", {"dichotomous": dict(measure="RD", method="MH", model="fixed")}),
    "peto": ("REVMAN5", {"dichotomous": dict(measure="OR", method="Peto", model="fixed")}),
    "swap": ("REVMAN5", {"dichotomous": dict(measure="RR", method="MH", model="random",
                                              tau2_method="DL", swap_events=True)}),
    "revman_web": ("REVMAN_WEB", {
        "dichotomous": dict(measure="RR", method="IV", model="random", tau2_method="REML",
                            ci_method="hksj"),
        "continuous": dict(measure="MD", method="IV", model="random", tau2_method="REML",
                           ci_method="hksj"),
        "generic": dict(measure="HR", method="IV", model="random", tau2_method="DL",
                        ci_method="hksj", log_scale=True),
        "o_e": dict(measure="PETO_OR", method="Peto", model="random", tau2_method="REML",
                    ci_method="wald", log_scale=True)}),
    "modern": ("MODERN", {
        "dichotomous": dict(measure="OR", method="MH", model="random", tau2_method="PM",
                            ci_method="hksj"),
        "continuous": dict(measure="SMD", method="IV", model="random", tau2_method="REML",
                           ci_method="wald")}),
}
POOLED = ["estimate", "ci_low", "ci_high", "se", "z", "p", "q", "p_q", "i2", "i2_q", "i2_tau2", "tau2",
          "pi_low", "pi_high", "tau2_ci_low", "tau2_ci_high"]


@pytest.mark.parametrize("name", list(SPECS))
def test_batch_equals_scalar(sample, name):
    """Every 2nd segment for the RevMan 5 defaults, every 5th for the other methods (test time)."""
    settings, spec = SPECS[name]
    rows, segs = long_format(sample, spec)
    res = pool_batch(rows, segs, settings=settings)
    iterative = any(s.get("tau2_method") in ("REML", "PM") for s in spec.values())
    rtol = 1e-9 if iterative else 1e-12
    checked = not_est = 0
    step = 2 if name == "revman5_mh" else 5
    for j, g in rows.groupby("segment", sort=True):
        if j % step:
            continue
        seg = segs.loc[j]
        est = res.studies.loc[g.index]
        use = g if seg["data_type"] == "dichotomous" else g[est["estimable"].to_numpy()]
        ours = res.pooled.loc[j]
        if len(use) == 0:
            assert ours["pooling"] != "ok"
            not_est += 1
            continue
        try:
            ref = _scalar(use, seg, settings)
        except NotEstimableError:
            assert ours["pooling"] != "ok", (name, j)
            not_est += 1
            continue
        assert ours["pooling"] == "ok", (name, j, ours["reason"])
        for col in POOLED:
            r = getattr(ref, col)
            r = np.nan if r is None else r
            np.testing.assert_allclose(ours[col], r, rtol=rtol, atol=1e-12 if col != "p" else 1e-15,
                                       err_msg=f"{name} segment {j} {col}")
        assert ours["k"] == ref.k
        st = est.loc[use.index] if seg["data_type"] != "dichotomous" else est
        for col in ("estimate", "ci_low", "ci_high", "weight_percent"):
            np.testing.assert_allclose(st[col].to_numpy(dtype=float),
                                       ref.studies[col].to_numpy(dtype=float),
                                       rtol=rtol, atol=1e-12, err_msg=f"{name} segment {j} {col}")
        checked += 1
    assert checked > 100 // step and not_est < checked


@pytest.mark.parametrize("segs,match", [
    ({"data_type": ["dichotomous"], "method": ["mh"]}, r"segment 0: method='mh'"),
    ({"data_type": ["dichotomous"], "model": ["mixed"]}, "model='mixed'"),
    ({"data_type": ["dichotomous"], "tau2_method": ["SJ"]}, "tau2_method='SJ'"),
    ({"data_type": ["dichotomous"], "ci_method": ["kr"]}, "ci_method='kr'"),
    ({"data_type": ["dichotomous"], "measure": ["MD"]}, "measure='MD' for dichotomous"),
    ({"data_type": ["continuous"], "measure": ["RR"], "method": ["IV"]}, "measure='RR' for continuous"),
    ({"data_type": ["dichotomous"], "measure": ["RR"], "method": ["Peto"]}, "odds ratios only"),
    ({"data_type": ["continuous"], "method": ["MH"]}, "needs dichotomous"),
    ({"data_type": ["dichotomous"], "ci_level": [95]}, "ci_level=95"),
    ({"data_type": ["bayesian"]}, "data_type 'bayesian'"),
])
def test_batch_bad_segments(segs, match):
    rows = {"segment": [0], "events_intervention": [1], "n_intervention": [10], "events_control": [2],
            "n_control": [10], "mean_intervention": [1.0], "sd_intervention": [1.0],
            "mean_control": [0.0], "sd_control": [1.0]}
    with pytest.raises(ValueError, match=match):
        pool_batch(rows, segs)


def test_batch_bad_rows_name_the_row():
    rows = {"segment": [0, 0], "events_intervention": [1, 12], "n_intervention": [10, 10],
            "events_control": [2, 3], "n_control": [10, 10]}
    with pytest.raises(ValueError, match=r"row 1.*'events_intervention' = 12 exceeds"):
        pool_batch(rows, {"data_type": ["dichotomous"]})
    with pytest.raises(ValueError, match="'n_control' has 1 entries"):
        pool_batch({**rows, "n_control": [10]}, {"data_type": ["dichotomous"]})
    with pytest.raises(ValueError, match="segment ids"):
        pool_batch({"segment": [3]}, {"data_type": ["dichotomous"]})


def test_batch_unusable_rows_and_segments_do_not_stop_the_batch():
    rows = {"segment": [0, 0, 1, 2], "giv_estimate": [0.1, 0.3, 0.2, np.nan],
            "giv_se": [0.1, np.nan, 0.0, np.nan]}
    res = pool_batch(rows, {"data_type": ["generic"] * 3})
    assert res.studies["estimable"].tolist() == [True, False, False, False]
    assert res.pooled["pooling"].tolist() == ["ok", "not_estimable", "not_estimable"]
    assert res.pooled["reason"].iloc[1] == "no estimable study" and res.pooled["k"].iloc[0] == 1


def _mixed_batch():
    rows = {"segment": [0, 0, 0, 1, 1, 2, 3, 3, 3],
            "events_intervention": [12, 5, 3, 7, 0, 1, 4, 6, 2], "n_intervention": [50, 40, 10, 7, 10, 9, 30, 30, 30],
            "events_control": [20, 9, 1, 10, 0, 2, 8, 9, 5], "n_control": [50, 41, 10, 10, 10, 9, 30, 31, 29]}
    segs = {"data_type": ["dichotomous"] * 4, "measure": ["RR", "OR", "RD", "RR"],
            "model": ["random", "fixed", "random", "random"], "ci_method": ["hksj", "wald", "wald", "wald"]}
    return rows, segs


@pytest.mark.parametrize("columns", [("theta", "se"), ("estimate", "p_q", "k"), ("i2",), ()])
def test_columns_give_the_full_tables_columns(columns):
    """``columns=``: the same numbers as the full table, those columns plus the status ones."""
    rows, segs = _mixed_batch()
    full = pool_batch(rows, segs, settings="REVMAN_WEB").pooled
    part = pool_batch(rows, segs, settings="REVMAN_WEB", columns=columns).pooled
    expect = [c for c in full.columns if c in columns or c in ("pooling", "reason", "note")]
    assert list(part.columns) == expect
    pd.testing.assert_frame_equal(part, full[expect], check_exact=True)


def test_columns_unknown_name_is_an_error():
    rows, segs = _mixed_batch()
    with pytest.raises(ValueError, match=r"columns: unknown 'P'.*expected some of k, estimate"):
        pool_batch(rows, segs, columns=["P"])
    with pytest.raises(ValueError, match="subgroup_test needs the pooled columns theta and se.*se"):
        pool_batch(rows, segs, columns=["theta"]).subgroup_test([0, 1])


def test_tables_are_built_on_first_read_and_share_no_memory():
    """Writing into one table changes neither the other nor a later read (no column shares memory)."""
    rows, segs = _mixed_batch()
    res = pool_batch(rows, segs)
    ref = pool_batch(rows, segs)
    st = res.studies
    st.loc[:, ["y", "v", "estimate", "weight"]] = 99.0
    pooled = res.pooled
    pd.testing.assert_frame_equal(pooled, ref.pooled, check_exact=True)
    pooled.loc[0, "theta"] = 5.0
    assert pooled.loc[0, "estimate"] == ref.pooled.loc[0, "estimate"]
    assert res.studies is st and res.pooled is pooled
    gen = pool_batch({"segment": [0, 0], "giv_estimate": [0.1, 0.3], "giv_se": [0.1, 0.2]},
                     {"data_type": ["generic"]}).studies
    gen.loc[0, "y"] = 7.0  # on the analysis scale, estimate is y: the two must not be one array
    assert gen.loc[0, "estimate"] == 0.1


def test_precomputed_effects_give_the_same_tables():
    """``effects=``: row effects computed once (and repeated with RowEffects.take) are used as given."""
    from mytools.engine.batch_effects import row_effects
    from mytools.engine.batch_segments import segment_settings
    from mytools.engine.settings import REVMAN5
    rows, segs = _mixed_batch()
    s = np.asarray(rows["segment"])
    eff = row_effects(rows, s, segment_settings(segs, REVMAN5), REVMAN5)
    twice = {k: np.concatenate([v, v]) for k, v in rows.items()}
    twice["segment"] = np.concatenate([s, s + 4])
    segs2 = {k: v + v for k, v in segs.items()}
    segs2["model"] = ["fixed"] * 4 + ["random"] * 4
    ref = pool_batch(twice, segs2)
    res = pool_batch(twice, segs2, effects=eff.take(np.concatenate([np.arange(9)] * 2)))
    pd.testing.assert_frame_equal(res.pooled, ref.pooled, check_exact=True)
    pd.testing.assert_frame_equal(res.studies, ref.studies, check_exact=True)
    with pytest.raises(ValueError, match="effects: 9 rows, 'segment' 18"):
        pool_batch(twice, segs2, effects=eff)
