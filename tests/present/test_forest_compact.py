"""The compact (phone) forest plot prints RevMan's numbers and fits its 3.6-inch width.

The per-study estimates, CIs and weights are read here, with the csv module, from the review's
own data rows (RevMan's numbers); the totals from the review's abstract (published_results.csv).
"""
from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg

from mytools.analyses import analysis
from mytools.data import load_data
from mytools.present import plots
from mytools.present.forest_compact import WIDTH, forest_compact
from mytools.present.forest_data import ForestData

DATA = Path(__file__).resolve().parents[2] / "data"
#: analysis id -> (analysis group, analysis number) in the review's data rows
CASES = {"ivig_disability": ("1", "2"), "ivig_tis20": ("1", "5")}


@pytest.fixture(scope="module")
def data():
    return load_data()


def _revman_rows(group: str, number: str) -> list[dict[str, str]]:
    with open(DATA / "CD015855-data-rows.csv", newline="", encoding="utf-8") as fh:
        return [r for r in csv.DictReader(fh)
                if r["Analysis group"] == group and r["Analysis number"] == number]


def _published(aid: str) -> dict[str, str]:
    with open(DATA / "published_results.csv", newline="", encoding="utf-8") as fh:
        return next(r for r in csv.DictReader(fh) if r["analysis_id"] == aid)


def _texts(fig) -> list[str]:
    return [t.get_text().replace("\u00a0", " ") for t in fig.axes[0].texts]


def _num(x: str) -> str:
    return f"{float(x):.2f}".replace("-", "\u2212")


@pytest.mark.parametrize("aid", sorted(CASES))
def test_compact_plot_prints_revmans_study_numbers(data, aid):
    """Each study's 'estimate [low, high] · weight' line is RevMan's, in RevMan's order."""
    fig = forest_compact(plots.to_forest_data(analysis(aid, data)))
    printed = [t.get_text().replace("\u00a0", " ") for t in fig.axes[0].texts
               if t.get_fontweight() == "normal" and re.fullmatch(
                   r"\S+ \[\S+, \S+\] \u00b7 \d+\.\d%", t.get_text().replace("\u00a0", " "))]
    rows = _revman_rows(*CASES[aid])
    expected = [f"{_num(r['Mean'])} [{_num(r['CI start'])}, {_num(r['CI end'])}]" for r in rows]
    assert [p.split(" \u00b7 ")[0] for p in printed[:len(rows)]] == expected
    if len(rows) > 1:  # RevMan's weights (per cent of the total) to one decimal
        assert [p.split(" \u00b7 ")[1] for p in printed[:len(rows)]] == [
            f"{float(r['Weight']):.1f}%" for r in rows]


@pytest.mark.parametrize("aid", sorted(CASES))
def test_compact_plot_total_is_the_published_result(data, aid):
    pub = _published(aid)
    fig = forest_compact(plots.to_forest_data(analysis(aid, data)))
    total = f"{_num(pub['estimate'])} [{_num(pub['ci_low'])}, {_num(pub['ci_high'])}] \u00b7 100.0%"
    assert total in _texts(fig)


def _overflow(fig) -> list[str]:
    """Texts that leave the figure, or that reach into the graph column from the left."""
    from mytools.present.forest_compact import _G0

    canvas = FigureCanvasAgg(fig)
    renderer = canvas.get_renderer()
    width_px = fig.get_figwidth() * fig.dpi
    graph_px = _G0 * fig.dpi
    bad = []
    for t in fig.axes[0].texts:
        box = t.get_window_extent(renderer)
        if box.x0 < -0.5 or box.x1 > width_px + 0.5:
            bad.append(f"off the figure: {t.get_text()!r}")
        elif box.x0 < graph_px - 1 and box.x1 > graph_px + 1 and \
                _header_y(fig) < t.get_position()[1] < _axis_y(fig):
            bad.append(f"into the graph: {t.get_text()!r}")
    return bad


def _header_y(fig) -> float:
    """The y of the rule under the header (the header spans the whole width, above the graph)."""
    return min(line.get_ydata()[0] for line in fig.axes[0].lines
               if line.get_xdata()[0] < 0.1 and line.get_xdata()[-1] > WIDTH - 0.1)


def _axis_y(fig) -> float:
    """The y (text lines, downwards) of the axis: the 'Favours' labels below it may cross."""
    ax = fig.axes[0]
    return max(line.get_ydata()[0] for line in ax.lines
               if len(set(line.get_ydata())) == 1 and line.get_xdata()[0] > 2.0)


def test_every_compact_plot_fits_its_width(data):
    """All of the book's forest plots: 3.6 in wide, no text off the figure; study text never
    runs into the graph column (long study names and statistics lines wrap)."""
    from mytools.analyses import analyses

    report = analyses(data)
    seen = 0
    for aid in report["analysis_id"]:
        ar = analysis(aid, data)
        if getattr(ar, "result", None) is None:
            continue
        fig = forest_compact(plots.to_forest_data(ar))
        assert fig.get_figwidth() == pytest.approx(WIDTH)
        bad = _overflow(fig)
        assert not bad, f"{aid}: {bad}"
        seen += 1
    assert seen >= 40


def test_the_wrapped_study_name_stays_left_of_the_graph():
    """A study name wider than the column wraps instead of running under the squares."""
    from mytools.present.forest_compact import _G0
    from mytools.present.forest_data import ForestBlock, ForestRow

    long = "PROMETHEUS 2014 or Ibrahim 2015 (unresolved) (identity inferred)"
    fd = ForestData("dichotomous", "RR", "MH", "fixed", "IVIg", "placebo", True,
                    (ForestBlock(None, (ForestRow(long, ("1", "10"), ("2", "10"), weight=100.0,
                                                  estimate=0.5, ci_low=0.05, ci_high=4.8),)),))
    fig = forest_compact(fd)
    renderer = FigureCanvasAgg(fig).get_renderer()
    parts = [t for t in fig.axes[0].texts if t.get_position()[0] < 0.1 and t.get_text() in long]
    assert len(parts) >= 2 and " ".join(t.get_text() for t in parts) == long
    assert all(t.get_window_extent(renderer).x1 < _G0 * fig.dpi for t in parts)


def test_forest_figure_html_carries_both_drawings_with_alt_text(data):
    html = plots.forest_figure(analysis("ivig_sae", data))._repr_html_()
    imgs = re.findall(r'<img class="(mytools-full|mytools-compact)" src="data:image/svg\+xml;'
                      r'base64,[^"]+" alt="([^"]+)"', html)
    assert [c for c, _ in imgs] == ["mytools-full", "mytools-compact"]
    full_alt, compact_alt = (a for _, a in imgs)
    assert full_alt.startswith("Forest plot of IVIg") and "Compact layout" in compact_alt
    assert compact_alt.startswith(full_alt)
    assert "mytools-has-compact" in html and "@media (max-width:767.98px)" in html
