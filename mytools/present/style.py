"""Colours, marks and type sizes shared by every figure of the book.

Okabe–Ito palette (Okabe & Ito 2008): safe for the common colour-vision deficiencies.
"""
from __future__ import annotations

__all__ = ["OKABE_ITO", "CERTAINTY_COLOURS", "PROVENANCE_MARKS", "FONT", "FAMILY", "ROW", "CHAR_W"]

#: The Okabe–Ito palette.
OKABE_ITO: dict[str, str] = {
    "black": "#000000",
    "orange": "#E69F00",
    "sky_blue": "#56B4E9",
    "bluish_green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "reddish_purple": "#CC79A7",
}

#: GRADE certainty -> colour (ordered dark green ... vermillion, distinguishable without hue).
CERTAINTY_COLOURS: dict[str, str] = {
    "high": OKABE_ITO["bluish_green"],
    "moderate": OKABE_ITO["blue"],
    "low": OKABE_ITO["orange"],
    "very low": OKABE_ITO["vermillion"],
}

#: Footnote marks for inputs that were not read in a source, and what they mean.
PROVENANCE_MARKS: dict[str, tuple[str, str]] = {
    "reconstructed": (
        "\u2020",
        "counts reconstructed: the integer 2\u00d72 table that reproduces the review's published "
        "estimate and 95% CI (not read in a source)",
    ),
    "approximated": (
        "\u2021",
        "approximated: derived from reported numbers (e.g. SD back-calculated from a 95% CI, or "
        "counts rounded from percentages)",
    ),
}

#: Forest-plot type size (points). The figure is drawn at the width it is shown at, so 11 pt in
#: the SVG is about body-text size in the page (see :mod:`mytools.present.figures`).
FONT: float = 11.0
#: Arial-metric sans serif first (narrower than DejaVu Sans, so wide tables fit); matplotlib falls
#: back to DejaVu Sans, which it ships, where neither is installed.
def _family() -> str:
    from matplotlib import font_manager

    names = {f.name for f in font_manager.fontManager.ttflist}
    return next((n for n in ("Liberation Sans", "Arial") if n in names), "DejaVu Sans")


FAMILY: str = _family()
#: Height of one table row (inches) and the width of one average character (inches) at FONT.
ROW: float = FONT / 72 * 1.55
CHAR_W: float = FONT / 72 * 0.54
