"""P(benefit), P(important benefit) and the natural-scale summaries of a Bayesian result
(mytools.analyses.bayes_view), and their presentation (mytools.present.posterior).

The result here is a stand-in with a normal posterior N(m, s²) for μ, so every probability has a
closed form from scipy.stats.norm (the reference); the real pool_bayes is tested in the engine.
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from mytools.analyses import bayes_view as bv
from mytools.present import posterior as post


class NormalPosterior:
    def __init__(self, m: float, s: float, s_new: float) -> None:
        self.m, self.s, self.s_new = m, s, s_new

    def prob_greater(self, c: float) -> float:
        return float(stats.norm.sf(c, self.m, self.s))

    def summary_frame(self) -> pd.DataFrame:
        z = stats.norm.ppf(0.975)
        return pd.DataFrame({"median": [self.m, self.m],
                             "ci_low": [self.m - z * self.s, self.m - z * self.s_new],
                             "ci_high": [self.m + z * self.s, self.m + z * self.s_new]},
                            index=["mu", "theta_new"])


def test_harm_outcome_benefit_is_a_lower_risk():
    """Serious adverse events (higher_is_better false): benefit is log RR < 0, important < log 0.75."""
    r = NormalPosterior(math.log(1.5), 0.6, 0.9)
    spec = {"measure": "RR", "higher_is_better": "false"}
    row = bv.bayes_row("x", spec, r, "HN(0.5)", (0.75, 1.25))
    assert row["p_benefit"] == pytest.approx(stats.norm.cdf(0, math.log(1.5), 0.6))
    assert row["p_important"] == pytest.approx(stats.norm.cdf(math.log(0.75), math.log(1.5), 0.6))
    assert row["mu_median"] == pytest.approx(1.5) and row["cut"] == pytest.approx(0.75)
    assert row["mu_low"] == pytest.approx(math.exp(math.log(1.5) - stats.norm.ppf(0.975) * 0.6))


def test_benefit_outcome_and_no_threshold_for_md():
    r = NormalPosterior(0.8, 0.3, 0.7)
    smd = bv.bayes_row("s", {"measure": "SMD", "higher_is_better": True}, r, "p", (-0.2, 0.2))
    assert smd["p_benefit"] == pytest.approx(stats.norm.sf(0, 0.8, 0.3))
    assert smd["p_important"] == pytest.approx(stats.norm.sf(0.2, 0.8, 0.3))
    md = bv.bayes_row("m", {"measure": "MD", "higher_is_better": True}, r, "p", (0.0, 0.0))
    assert math.isnan(md["p_important"]) and math.isnan(md["cut"])
    # P(important) can never exceed P(benefit)
    assert smd["p_important"] <= smd["p_benefit"]


def test_tables_and_words():
    r = NormalPosterior(0.8, 0.3, 0.7)
    f = bv.frame([bv.bayes_row("s", {"measure": "SMD", "higher_is_better": True}, r, "HN(0.5)", (-0.2, 0.2))])
    t = post.bayes_table(f, {"s": {"sof_outcome": "Strength", "measure": "SMD", "higher_is_better": "true"}})
    assert t.loc[0, "P(important benefit)"].endswith("(SMD above 0.20)")
    assert t.loc[0, "P(benefit)"] == f"{100 * stats.norm.sf(0, 0.8, 0.3):.0f}%" or "99" in t.loc[0, "P(benefit)"]
    p = post.prior_table(pd.concat([f, f.assign(prior_label="HC(0.5)")]), {"s": "Strength"}, ["HN(0.5)", "HC(0.5)", "X"])
    assert list(p.columns) == ["Outcome", "HN(0.5)", "HC(0.5)", "X"] and p.loc[0, "X"] == "\u2014"
    assert post.likelihood_words(0.66) == "likely" and post.likelihood_words(0.659) == "about as likely as not"
    with pytest.raises(ValueError):
        post.likelihood_words(float("nan"))


def test_posterior_figure_draws_every_panel():
    x = np.linspace(-1, 2, 201)
    d = stats.norm.pdf(x, 0.8, 0.3)
    panels = [post.Panel("A", x, d, [("fixed", 0.4, 1.1), ("Bayes", 0.1, 1.5)], 0.0, 0.2),
              post.Panel("B", np.log(np.linspace(0.2, 5, 101)), d[:101], [], 0.0, math.log(0.75), log=True),
              post.Panel("C", x, d)]
    fig = post.posterior_figure(panels, ncols=2, alt="three panels")
    axes = [a for a in fig.fig.axes if a.get_visible()]
    assert len(axes) == 3 and fig.alt == "three panels"
    assert "<img" in fig._repr_html_()


def test_rule_prior_labels_name_source_and_prior():
    pri = pd.DataFrame({"analysis_id": ["a", "a"], "prior": ["hn05", "empirical"],
                        "prior_id": ["friede_hn05", "turner_adverse_events"],
                        "prior_on_scale": ["HalfNormal(0.5)", "LogNormalTau2(-1.87, 1.52)"]})
    assert post.rule_prior_labels(pri) == {"a": "Turner: adverse events, LogNormalTau2(-1.87, 1.52)"}
