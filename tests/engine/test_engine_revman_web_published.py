"""RevMan Web's prediction interval and Q-profile τ² CI against numbers RevMan wrote into two
published Cochrane data packages that are not among the ../shared fixtures (none of those has a
prediction interval or a τ² CI). The numbers below are copied, with the study rows they come from,
from QingfangLiu/cochrane-audit-site (Cochrane Library supplements, spec 2.3, full precision):

* CD007798 (clinically indicated vs routine removal of peripheral catheters), analysis 1.5
  "Thrombophlebitis": RR, IV, random effects, DL, HKSJ, prediction interval on; commit
  e9b06e16ad0c2decacfaef0cc580fd1692ace369, Cochrane_reviews/source_reviews/2026_issue_1/
  CD007798-SUP-07-dataPackage/CD007798-analysis-data/ (overall-estimates-and-settings and data-rows).
* CD009958 (repositioning for pressure injuries), analyses 2.1 and 3.1: RR, MH, random effects, DL,
  Wald, "Tau² CI" on; commit 57e917229e0a19e3a80776bb4d3fb2cb600ed9df, .../2026_issue_6/
  CD009958-SUP-07-dataPackage/CD009958-analysis-data/.

What they establish: the prediction interval is μ ± t_{k−1}·√(τ² + SE²) with the HKSJ SE (not
t_{k−2}); RevMan's P beside an HKSJ interval is the Wald P; the τ² CI is the Q-profile interval with
metafor's search cap τ²_max = max(100, 10τ̂²) (the "100" upper bounds) found to about 1e-4
absolute (RevMan's root-finder tolerance: 86.3755774 vs the exact 86.3756369, 7e-7 relative).
"""
from __future__ import annotations

import pytest

from mytools import pool_binary

CD007798_1_5 = dict(  # events/N intervention, events/N control, 14 studies
    a=[11, 7, 1, 175, 8, 83, 21, 18, 114, 37, 55, 1, 16, 35],
    n1=[26, 44, 75, 1477, 140, 300, 21, 185, 1593, 105, 672, 103, 379, 254],
    c=[1, 13, 2, 143, 2, 41, 2, 12, 114, 26, 64, 2, 12, 35],
    n2=[21, 52, 75, 1410, 143, 300, 21, 177, 1690, 95, 647, 103, 376, 296])


def test_cd007798_prediction_interval_hksj():
    d = CD007798_1_5
    r = pool_binary(d["a"], d["n1"], d["c"], d["n2"], measure="RR", method="IV", model="random",
                    settings="REVMAN_WEB", tau2_method="DL", ci="hksj")
    expected = {"estimate": 1.3122120363398366, "ci_low": 0.9437794068372215,
                "ci_high": 1.8244734053750393, "pi_low": 0.6194845622569475,
                "pi_high": 2.77956955382681, "tau2": 0.0974358626973625, "q": 35.72830875203028,
                "i2": 63.61428667047871}
    for name, value in expected.items():
        assert getattr(r, name) == pytest.approx(value, rel=1e-8), name
    assert abs(r.z) == pytest.approx(1.7810795073994161, rel=1e-8)  # written in "Effect Z"
    assert r.p == pytest.approx(0.02786689081321286, abs=5e-7)      # the Wald P, not the t one
    assert r.studies["weight_percent"].iloc[6] == pytest.approx(3.369598830420242, rel=1e-8)
    # Nishanth 2009, 21/21 vs 2/21 (all events in one arm): 0.5 added, RR 8.6
    assert r.studies["estimate"].iloc[6] == pytest.approx(8.599999999999998, rel=1e-12)


@pytest.mark.parametrize("rows,expected", [
    (([8, 39, 0], [321, 63, 13], [2, 40, 3], [326, 58, 14]),  # CD009958 2.1
     dict(estimate=1.1005863618900977, ci_low=0.29668548095537955, ci_high=4.082742222767062,
          tau2=0.8154012762165951, tau2_ci_low=0.0, tau2_ci_high=100.0, q=5.295965633268846,
          i2=62.235404485328324)),
    (([2, 40, 3], [326, 58, 14], [9, 30, 1], [295, 66, 17]),  # CD009958 3.1
     dict(estimate=0.9935203437270061, ci_low=0.22272047647533127, ci_high=4.431934993227974,
          tau2=1.2618462928508634, tau2_ci_low=0.0, tau2_ci_high=86.37557741603814,
          q=7.9762207333311075, i2=74.92546825287344)),
])
def test_cd009958_tau2_q_profile_ci(rows, expected):
    r = pool_binary(*rows, measure="RR", method="MH", model="random", settings="REVMAN_WEB",
                    tau2_method="DL", ci="wald")
    for name, value in expected.items():
        rel = 1e-6 if name == "tau2_ci_high" else 1e-8  # RevMan's root-finder tolerance
        assert getattr(r, name) == pytest.approx(value, rel=rel, abs=1e-12), name
