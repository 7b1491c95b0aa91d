"""Wrappers that show a matplotlib Figure in the book: SVG at the displayed size, with alt text.

A forest plot is a wide table. Drawn as an SVG whose text is 11 pt and shown at the page width,
its text is about the size of the body text at a 1280-px window; from 768 px up the figure is fitted
to its column, so nothing is cut off. Below 768 px (a phone) it keeps a minimum width (so text stays
about 14 px) inside a horizontally scrollable block with a visible "scroll sideways, or tap to
enlarge" line under it, and a click (or tap) opens it full-size over the page; a second click closes
it (pure CSS, no script). A figure with a compact drawing (a forest plot: :mod:`.forest_compact`)
shows that one below 768 px instead, at its own size, and the tap opens the full one.
"""
from __future__ import annotations

import base64
import html
import io
import itertools
import re
from typing import Any

from matplotlib import rc_context
from matplotlib.figure import Figure

__all__ = ["PngFigure", "FigureWithAlt", "SvgFigure", "ZOOM_CSS", "svg_bytes"]

_ids = itertools.count(1)

#: CSS for the click-to-enlarge figures (emitted with every figure; identical copies are harmless).
ZOOM_CSS = (
    "<style>"
    ".mytools-zoom{display:block;cursor:zoom-in;margin:0}"
    ".mytools-zoom>input{display:none}"
    ".mytools-zoom .mytools-frame{display:block;overflow-x:auto}"
    ".mytools-zoom img{display:block;height:auto;background:#fff;width:100%;max-width:none}"
    ".mytools-zoom img.mytools-compact{display:none}"
    # below 768 px the figure keeps its minimum width (readable text) and scrolls sideways; a
    # visible line under it says so. Wider screens fit it to the column: nothing is cut off.
    # A figure with a compact drawing shows that one instead, at its own size (never wider).
    ".mytools-hint{display:none;font-size:.85em;font-style:italic;margin:.2rem 0 0}"
    "@media (max-width:767.98px){.mytools-zoom .mytools-frame img.mytools-full{"
    "min-width:var(--mytools-min)}.mytools-hint{display:block}"
    ".mytools-has-compact .mytools-frame img.mytools-full{display:none}"
    ".mytools-has-compact .mytools-frame img.mytools-compact{display:block;width:auto;"
    "max-width:100%}}"
    # tapped: the full figure over the page (also on a phone, where the compact one was shown)
    ".mytools-zoom>input:checked+.mytools-frame img.mytools-full{display:block!important}"
    ".mytools-zoom>input:checked+.mytools-frame img.mytools-compact{display:none!important}"
    ".mytools-zoom>input:checked+.mytools-frame{position:fixed;inset:0;z-index:3000;"
    "background:rgba(0,0,0,.8);overflow:auto;padding:1rem;cursor:zoom-out}"
    ".mytools-zoom>input:checked+.mytools-frame img{width:auto!important;"
    "min-width:min(1400px,160vw)!important;max-width:none!important;margin:auto}"
    # the open figure must cover the page: lift the blocks that hold it (the theme's full-width
    # blocks are stacking contexts, z-index 2, that later figures would otherwise paint over)
    "div.full-width:has(.mytools-zoom>input:checked),div.cell:has(.mytools-zoom>input:checked),"
    "figure:has(.mytools-zoom>input:checked){z-index:3000!important;position:relative}"
    # captions in the text colour (the theme's default grey is pale, worse in dark mode)
    "figure figcaption,figure figcaption p,.caption-text{color:var(--pst-color-text-base,inherit)"
    "!important;opacity:1!important;font-weight:400!important}"
    "</style>"
)


class PngFigure:
    """A Figure shown (and glued) as a white-background PNG; ``{glue:figure}``'s ``:alt:`` applies.

    Figures built with :class:`matplotlib.figure.Figure` (no pyplot) have no rich display of their
    own; glue this wrapper so that the page receives ``image/png``.
    """

    def __init__(self, fig: Figure, dpi: int = 144) -> None:
        self.fig, self.dpi = fig, dpi

    def _png(self) -> bytes:
        buf = io.BytesIO()
        self.fig.savefig(buf, format="png", dpi=self.dpi, facecolor="white", bbox_inches="tight")
        return buf.getvalue()

    def _repr_png_(self) -> bytes:
        return self._png()


class FigureWithAlt(PngFigure):
    """A figure paired with its alt text, shown as ``<img alt=...>`` in HTML output."""

    def __init__(self, fig: Figure, alt: str, dpi: int = 144) -> None:
        super().__init__(fig, dpi)
        self.alt = alt

    def _repr_html_(self) -> str:
        data = base64.b64encode(self._png()).decode("ascii")
        return (f'<img src="data:image/png;base64,{data}" alt="{html.escape(self.alt, quote=True)}"'
                ' style="max-width:100%;background:white" />')


def svg_bytes(fig: Figure, **savefig: Any) -> bytes:
    """``fig`` as SVG bytes. Text stays text (selectable, searchable, about a quarter of the size
    and half the time of glyph paths); the font falls back from the one drawn with (Liberation
    Sans, metric-compatible with Arial) to Arial and Helvetica."""
    buf = io.BytesIO()
    with rc_context({"svg.fonttype": "none"}):
        fig.savefig(buf, format="svg", facecolor="white", metadata={"Date": None}, **savefig)
    text = re.sub(r"font-family: '([^']+)'",
                  r"font-family: '\1', Arial, Helvetica, sans-serif", buf.getvalue().decode())
    return text.encode("utf-8")


def _img(svg: bytes, alt: str, cls: str, style: str = "") -> str:
    data = base64.b64encode(svg).decode("ascii")
    return (f'<img class="{cls}" src="data:image/svg+xml;base64,{data}" '
            f'alt="{html.escape(alt, quote=True)}"' + (f' style="{style}"' if style else "") + " />")


class SvgFigure(FigureWithAlt):
    """A figure shown as an SVG image at the page width, readable on a phone, enlarged on click.

    ``min_px`` is the narrowest width (CSS pixels) at which the figure is shown; narrower screens
    scroll it sideways. By default it keeps 11-pt text at about 14 px: width_in × 72 × 14 / 11.

    ``compact`` is a second drawing of the same content for narrow screens (a phone, below
    768 px), shown there at its own size (its SVG's width) with its own alt text
    ``compact_alt``; a tap opens the full figure over the page (:data:`ZOOM_CSS`).
    """

    #: extra ``savefig`` arguments for both drawings (``{"bbox_inches": "tight"}`` crops them)
    savefig_kw: dict[str, Any] = {}

    def __init__(self, fig: Figure, alt: str, min_px: int | None = None, *,
                 compact: Figure | None = None, compact_alt: str | None = None) -> None:
        super().__init__(fig, alt)
        self.min_px = min_px or int(fig.get_figwidth() * 72 * 14 / 11)
        self.compact, self.compact_alt = compact, compact_alt or alt
        self._svg_cache: bytes | None = None

    def svg(self) -> bytes:
        """The full figure's SVG bytes (see :func:`svg_bytes`)."""
        if self._svg_cache is None:
            self._svg_cache = svg_bytes(self.fig, **self.savefig_kw)
        return self._svg_cache

    def _repr_png_(self) -> None:  # one representation only: the HTML below carries the SVG
        return None

    def _repr_html_(self) -> str:
        uid = f"mytools-zoom-{next(_ids)}"
        imgs = _img(self.svg(), self.alt, "mytools-full", f"--mytools-min:{self.min_px}px")
        hint = "\u2194 Scroll the figure sideways, or tap it to enlarge it."
        cls = "mytools-zoom"
        if self.compact is not None:
            imgs += _img(svg_bytes(self.compact, **self.savefig_kw), self.compact_alt,
                         "mytools-compact")
            hint = "Compact layout for a narrow screen: tap it for the full figure."
            cls += " mytools-has-compact"
        return (f'{ZOOM_CSS}<label class="{cls}" for="{uid}" '
                f'title="Click to enlarge; click again to close">'
                f'<input type="checkbox" id="{uid}"><span class="mytools-frame">{imgs}</span>'
                f'<span class="mytools-hint">{hint}</span></label>')
