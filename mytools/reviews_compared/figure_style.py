"""What the four figures of the reviews-compared chapter share: the book's palette (from
:mod:`mytools.present`), a white background, and the PNG wrapper used to glue them."""
from __future__ import annotations

from matplotlib.figure import Figure

from ..present.figures import PngFigure, SvgFigure
from ..present.style import OKABE_ITO

#: The book's one palette (Okabe & Ito 2008), as defined by :mod:`mytools.present.style`.
PALETTE = OKABE_ITO

#: Overlap-matrix cell category -> (face colour, hatch, text colour, legend text).
CELL_STYLE: dict[str, tuple[str, str, str, str]] = {
    "included": (PALETTE["blue"], "", "white", "included (number = participants counted)"),
    "included_unidentified": (PALETTE["sky_blue"], "///", "black",
                              "included, but the trial cannot be identified"),
    "excluded": (PALETTE["vermillion"], "", "white", "excluded (reason shown)"),
    "not_yet_published": ("#DDDDDD", "", "black", "not yet published at the search date"),
    "unclear": (PALETTE["yellow"], "", "black", "unclear (see note in data)"),
    "not_listed": ("white", "", "black", "not listed by the review"),
}


def white(fig: Figure) -> Figure:
    """Paint the figure and its axes white (readable in the book's dark mode)."""
    fig.patch.set_facecolor("white")
    for ax in fig.axes:
        ax.set_facecolor("white")
    return fig


def png(figure: Figure, dpi: int = 120) -> PngFigure:
    """Wrap a Figure for display/glue as PNG (see :class:`mytools.present.figures.PngFigure`)."""
    return PngFigure(figure, dpi)


class TightSvgFigure(SvgFigure):
    """:class:`~mytools.present.figures.SvgFigure` cropped to what is drawn (``bbox_inches="tight"``),
    so that long row labels left of the axes are not cut off."""

    savefig_kw = {"bbox_inches": "tight"}


def svg(self) -> bytes:
        if self._svg_cache is None:
            buf = io.BytesIO()
            self.fig.savefig(buf, format="svg", facecolor="white", bbox_inches="tight", metadata={"Date": None})
            self._svg_cache = buf.getvalue()
        return self._svg_cache


def svg(figure: Figure, alt: str, compact: Figure | None = None,
        compact_alt: str | None = None) -> SvgFigure:
    """Wrap a Figure as an SVG with its alt text: page width, enlarged on click; on a phone its
    ``compact`` drawing (with ``compact_alt``) if given, else it scrolls sideways there (see
    :class:`mytools.present.figures.SvgFigure`)."""
    return TightSvgFigure(figure, alt, compact=compact, compact_alt=compact_alt)
