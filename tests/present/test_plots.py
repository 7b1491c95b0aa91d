"""Forest plot and evidence map: layout rules checked on the drawn figure.

Numbers printed in the plot are checked against RevMan's own output for the Fleiss (1993)
examples (../shared/fixtures/revman/Fleiss1993_CR.csv, written by RevMan 5)."""
from __future__ import annotations

from types import SimpleNamespace

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pandas as pd
import pytest

from mytools.present import plots


def _texts(fig) -> list[str]:
    out = [t.get_text() for t in fig.texts]
    for ax in fig.axes:
        out += [t.get_text() for t in ax.texts]
        out += [c.get_text() for c in ax.get_children() if hasattr(c, "get_text") and c.get_text()]
    return out


def _text_x(fig, text: str) -> float:
    """Display x (pixels) of the centre of the text artist whose text equals `text`, once its
    line breaks are spaces: a label is wrapped to its room by its measured width, which depends
    on the font installed (Liberation Sans where Chromium's fonts are, else DejaVu Sans)."""
    fig.canvas.draw()
    for ax in fig.axes:
        for t in ax.texts + [c for c in ax.get_children() if hasattr(c, "get_text")]:
            if t.get_text().replace("\n", " ") == text:
                bb = t.get_window_extent()
                return (bb.x0 + bb.x1) / 2
    raise AssertionError(f"text {text!r} not in figure")


def _meta(estimate, lo, hi, studies, measure="RR", **kw):
    base = dict(estimate=estimate, ci_low=lo, ci_high=hi, se=0.1, z=2.0, p=0.05, q=0.5, df=1,
                p_q=0.48, i2=0.0, tau2=0.0, k=len(studies), measure=measure, method="MH",
                model="fixed", studies=studies)
    base.update(kw)
    return SimpleNamespace(**base)


def _binary_studies():
    return pd.DataFrame({
        "label": ["Trial A", "Trial B", "Trial C"], "events_intervention": [3, 3, 0], "n_intervention": [52, 22, 10],
        "events_control": [2, 1, 0], "n_control": [48, 22, 10], "estimate": [1.38, 3.0, np.nan],
        "ci_low": [0.24, 0.34, np.nan], "ci_high": [7.9, 26.6, np.nan], "se": [0.9, 1.1, np.nan],
        "weight_percent": [66.7, 33.3, np.nan], "estimable": [True, True, False]})


@pytest.mark.parametrize("higher_is_better", [True, False])
def test_favours_labels_sit_on_the_correct_side(higher_is_better):
    res = _meta(1.91, 0.5, 7.3, _binary_studies())
    fig = plots.forest_plot(res, label_intervention="IVIg", label_control="placebo",
                            higher_is_better=higher_is_better)
    ax = fig.forest_meta["axis"]
    null_px = ax.transData.transform((fig.forest_meta["null_x"], 0))[0]  # the line of no effect
    x_int, x_ctl = _text_x(fig, "Favours IVIg"), _text_x(fig, "Favours placebo")
    if higher_is_better:  # e.g. responders: RR > 1 (right) is good for the intervention
        assert x_ctl < null_px < x_int
    else:  # e.g. serious adverse events: RR < 1 (left) is good for the intervention
        assert x_int < null_px < x_ctl


def test_favours_sides_function():
    assert plots.favours_sides(True, "IVIg", "placebo") == ("Favours placebo", "Favours IVIg")
    assert plots.favours_sides(False, "IVIg", "placebo") == ("Favours IVIg", "Favours placebo")


def test_ratio_axis_is_log_and_difference_axis_is_linear():
    fig = plots.forest_plot(_meta(1.91, 0.5, 7.3, _binary_studies()), label_intervention="I",
                            label_control="C", higher_is_better=False)
    assert fig.forest_meta["log_axis"]  # effects mapped on a log scale (one Axes, mapped by hand)
    lo, hi = fig.forest_meta["xlim"]
    assert lo == pytest.approx(1 / hi)  # symmetric about 1 on the log scale
    md = pd.DataFrame({"label": ["A"], "mean_intervention": [-9.36], "sd_intervention": [10.8], "n_intervention": [47],
                       "mean_control": [-1.16], "sd_control": [7.4], "n_control": [48], "estimate": [-8.2],
                       "ci_low": [-11.9], "ci_high": [-4.5], "se": [1.9], "weight_percent": [100.0],
                       "estimable": [True]})
    fig = plots.forest_plot(_meta(-8.2, -11.9, -4.5, md, measure="MD", method="IV", df=0, q=0.0),
                            label_intervention="I", label_control="C", higher_is_better=False)
    assert not fig.forest_meta["log_axis"]


def test_reconstructed_and_approximated_inputs_are_marked_and_footnoted():
    fig = plots.forest_plot(_meta(1.91, 0.5, 7.3, _binary_studies()), label_intervention="I",
                            label_control="C", higher_is_better=False,
                            flags={"Trial B": ["reconstructed"], "Trial A": ["approximated"]})
    labels = fig.forest_meta["study_labels"]  # marks are drawn as superscripts after the label
    assert "Trial B \u2020" in labels and "Trial A \u2021" in labels and "Trial C" in labels
    texts = [t.replace("  ", " ") for t in _texts(fig)]
    assert any(t.startswith("\u2020 counts reconstructed") for t in texts)
    assert any(t.startswith("\u2021 approximated") for t in texts)


def test_no_footnote_when_all_inputs_reported():
    fig = plots.forest_plot(_meta(1.91, 0.5, 7.3, _binary_studies()), label_intervention="I",
                            label_control="C", higher_is_better=False)
    assert fig.forest_meta["footnotes"] == []
    assert not any("\u2020" in t for t in _texts(fig))


def test_not_estimable_study_is_printed_as_such():
    fig = plots.forest_plot(_meta(1.91, 0.5, 7.3, _binary_studies()), label_intervention="I",
                            label_control="C", higher_is_better=False)
    assert "Not estimable" in _texts(fig)


def test_no_result_raises_instead_of_drawing():
    ar = SimpleNamespace(id="ivig_withdrawals", spec={"higher_is_better": False}, result=None,
                         inputs=None, status="not_reproducible")
    with pytest.raises(ValueError, match="no forest plot"):
        plots.forest_plot(ar)


def test_revman_p_formatting():
    assert plots.format_p(0.12694225) == "P = 0.13"
    assert plots.format_p(0.00101033) == "P = 0.001"
    assert plots.format_p(0.00023) == "P = 0.0002"
    assert plots.format_p(0.000001) == "P < 0.00001"
    assert plots.format_p(0.0096) == "P = 0.01"


def _fleiss(revman_fixtures):
    csv = pd.read_csv(revman_fixtures / "Fleiss1993_CR.csv")
    o1 = csv[csv["Outcome Number"] == 1]
    return o1.iloc[0], o1.iloc[1:]


def test_heterogeneity_and_overall_lines_match_revman(revman_fixtures):
    """RevMan's own Q, P(Q), I², Z, P(Z) for the aspirin example, printed RevMan's way."""
    tot, _ = _fleiss(revman_fixtures)
    res = SimpleNamespace(q=tot["Q"], df=int(tot["df"]), p_q=tot["P(Q)"], i2=tot["I²(Q)"],
                          tau2=tot["Tau²"], z=tot["Z"], p=tot["P(Z)"], model="fixed")
    assert plots.heterogeneity_text(res) == "Heterogeneity: Chi\u00b2 = 9.95, df = 6 (P = 0.13); I\u00b2 = 40%"
    assert plots.overall_effect_text(res) == "Test for overall effect: Z = 3.29 (P = 0.001)"
    res.model = "random"
    assert plots.heterogeneity_text(res).startswith("Heterogeneity: Tau\u00b2 = 0.00; Chi\u00b2 = 9.95")
    assert plots.heterogeneity_text(SimpleNamespace(q=0.0, df=0)) == "Heterogeneity: Not applicable"


def test_plot_prints_revman_weights_and_estimates_from_the_engine(revman_fixtures):
    """Pool the aspirin data with the engine; the plot must print RevMan's weights and CIs."""
    from mytools import pool_binary

    tot, st = _fleiss(revman_fixtures)
    res = pool_binary(st["Events 1"].to_numpy(), st["Total 1"].to_numpy(), st["Events 2"].to_numpy(),
                      st["Total 2"].to_numpy(), measure="OR", method="MH", labels=list(st["Name"]))
    fig = plots.forest_plot(res, label_intervention="Aspirin", label_control="Control",
                            higher_is_better=False)
    texts = _texts(fig)
    for _, row in st.iterrows():
        assert f"{row['Weight']:.1f}%" in texts
        assert f"{row['Effect Estimate']:.2f} [{row['CI Start']:.2f}, {row['CI End']:.2f}]" in texts
    assert (f"{tot['Effect Estimate']:.2f} [{tot['CI Start']:.2f}, {tot['CI End']:.2f}]") in texts
    assert "Heterogeneity: Chi\u00b2 = 9.95, df = 6 (P = 0.13); I\u00b2 = 40%" in texts


def test_evidence_map_open_marker_for_not_recomputable():
    frame = pd.DataFrame({
        "comparison": ["IVIg", "IVIg"], "outcome_group": ["Strength", "Response"],
        "participants": [136, 95], "certainty": ["moderate", "moderate"],
        "recomputable": [False, True], "abstract_no": [2, 3]})
    fig = plots.evidence_map(frame)
    ax = fig.axes[0]
    colls = [c for c in ax.collections]
    assert len(colls) == 2
    open_face = colls[0].get_facecolor()[0]
    filled_face = colls[1].get_facecolor()[0]
    assert tuple(np.round(open_face[:3], 3)) == (1.0, 1.0, 1.0)
    assert tuple(np.round(filled_face[:3], 3)) != (1.0, 1.0, 1.0)
    # marker area proportional to participants
    assert colls[0].get_sizes()[0] / colls[1].get_sizes()[0] == pytest.approx(136 / 95)


def test_okabe_ito_certainty_colours_distinct():
    assert len(set(plots.CERTAINTY_COLOURS.values())) == 4
    assert set(plots.CERTAINTY_COLOURS.values()) <= set(plots.OKABE_ITO.values())


def test_alt_text_states_the_result_and_the_favoured_side():
    fig = plots.forest_plot(_meta(1.80, 1.26, 2.56, _binary_studies().iloc[:1]),
                            label_intervention="IVIg", label_control="placebo", higher_is_better=True)
    alt = fig.forest_meta["alt"]
    assert "risk ratio 1.80 (95% CI 1.26 to 2.56)" in alt
    assert "'Favours IVIg'" in alt
    fig = plots.forest_plot(_meta(1.91, 0.50, 7.30, _binary_studies()), label_intervention="IVIg",
                            label_control="placebo", higher_is_better=False)
    assert "crosses the line of no effect" in fig.forest_meta["alt"]


def test_analysis_result_with_reconstructed_inputs_gets_a_dagger():
    """ivig_sae_sources (the earlier route): the second trial's counts are reconstructed in
    data/outcome_data.csv."""
    from mytools.analyses import analysis
    from mytools.data import load_data

    ar = analysis("ivig_sae_sources", load_data())
    reconstructed = set(ar.inputs.loc[ar.inputs["provenance"] == "reconstructed", "label"])
    assert reconstructed, "the data mark at least one ivig_sae input as reconstructed"
    fig = plots.forest_plot(ar)
    labels = fig.forest_meta["study_labels"]
    for lab in reconstructed:
        assert f"{lab} \u2020" in labels
    assert fig.forest_meta["favours_left"] == "Favours IVIg"  # harmful outcome: RR < 1 is good
    assert fig.forest_meta["log_axis"]


def test_evidence_map_alt_counts():
    frame = pd.DataFrame({
        "comparison": ["IVIg", "IVIg", "MTX"], "outcome_group": ["S", "R", "R"],
        "participants": [136, 95, 93], "certainty": ["moderate", "moderate", "low"],
        "recomputable": [False, True, True], "abstract_no": [2, 3, 12]})
    alt = plots.evidence_map_alt(frame)
    assert "3 published results" in alt and "2 moderate, 1 low" in alt
    assert "2 are recomputed" in alt and "largest marker is result #2" in alt
