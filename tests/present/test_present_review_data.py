"""Presentation of the review's own data rows: forest plots with subgroups and footnotes, the
Data and analyses page (all 12 comparisons, 51 analyses), SMDs in natural units.

Reference numbers are the review's (its data rows and abstract), not values this code printed."""
from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import pytest

from mytools.analyses import analysis
from mytools.data import load_data
from mytools.present import analysis_values, data_analyses as da, forest, forest_adapt, sof


@pytest.fixture(scope="module")
def data():
    return load_data()


def _texts(fig) -> list[str]:
    return [t.get_text() for ax in fig.axes for t in ax.texts]


def test_ivig_disability_plot_has_the_reviews_subgroups_and_footnotes(data):
    ar = analysis("ivig_disability", data)
    fd = forest_adapt.from_registry_result(ar)
    assert [b.title for b in fd.blocks] == ["NSS", "ADL score", "HAQ"]  # analysis 1.2's subgroups
    assert fd.total is not None and round(fd.total.estimate, 2) == 0.86  # abstract result 1
    fig = forest.forest_plot(fd)
    texts = _texts(fig)
    assert any(t.startswith("Test for subgroup differences: Chi\u00b2") for t in texts)
    notes = fig.forest_meta["footnotes"]
    assert any("multiplied the mean score by -1" in n for n in notes)   # the sign flip
    assert any("SD calculated from" in n for n in notes)                 # the imputed SDs
    assert sum(1 for r in fd.rows if r.marks) == 3


def test_subgroup_only_analysis_has_no_overall_total(data):
    ars = [analysis(f"ivig_1_1_s{i}", data) for i in (1, 2, 3)]
    fd = forest_adapt.combine_subgroups(ars, ["1.1.1 NSS", "1.1.2 ADL", "1.1.3 HAQ"])
    assert fd.total is None and len(fd.blocks) == 3
    assert "Total (95% CI)" not in _texts(forest.forest_plot(fd))


def test_data_and_analyses_covers_12_comparisons_and_51_analyses(data):
    groups = da.analysis_groups(data.analyses)
    assert len(groups) == 51
    assert sorted(da.comparison_titles(data.analyses)) == list(range(1, 13))
    assert list(groups)[:3] == ["1.1", "1.2", "1.3"] and "12.1" in groups
    results = {a: analysis(a, data) for a in groups["1.7"] + groups["1.8"]}
    sub = {k: groups[k] for k in ("1.7", "1.8")}
    html = da.comparison_html(1, sub, results, "IVIg vs placebo")
    assert html.count("<details") == 2 and "data:image/svg+xml;base64," in html
    assert "RevMan" in html and "this book" in html


def test_revman_per_study_numbers_beside_the_books(data):
    ar = analysis("ivig_disability", data)
    table = da._numbers([ar])
    # RevMan's weights for analysis 1.2 (the data rows) and the recomputation agree to 0.1%
    assert list(table["Weight, RevMan"]) == list(table["Weight, this book"])


def test_smd_in_natural_units_uses_proderms_sds_from_the_rows(data):
    """HAQ-DI: ProDERM's change SDs 0.51 and 0.34 (n 47, 48) -> pooled SD 0.43; x SMD 0.86."""
    v = analysis_values.natural_units_values(analysis("ivig_disability", data), "ProDERM", "haq")
    assert v["haq_sd"] == pytest.approx(0.4325, abs=1e-3)
    assert round(v["haq_est"], 2) == 0.37
    text = analysis_values.natural_units_text(analysis("ivig_strength", data), "ProDERM", "MMT-8", 1)
    assert text.startswith("SMD 0.78, about 9.9 MMT-8 points better")


def test_sof_from_the_registry_mtx_serious_adverse_events(data):
    """Issue #12: RR 1.48 (0.54 to 4.07) is 38 more per 1000 (36 fewer to 244 more), and the
    statement does not say 'little or no difference'."""
    row = sof.sof_row(sof.from_result(analysis("mtx_sae", data)))
    assert row["difference"] == "38 more per 1000 (36 fewer to 244 more)"
    assert "little" not in row["statement"] and "increase or reduce" in row["statement"]
    wd = sof.sof_row(sof.from_result(analysis("mtx_withdrawals", data)))
    assert "little" not in wd["statement"] and "may reduce" in wd["statement"]
