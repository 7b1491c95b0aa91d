"""The three reviews compared: who included which trial, with which methods, and what changed.

Every function takes the :class:`~mytools.data.Dataset` it works on (loaded once by the chapter)
and returns a DataFrame, a matplotlib Figure or a dict of glue values for
``chapters/reviews-compared.md``. Modules:

* :mod:`.membership` — review-level tables joined and counted (who included what; search dates);
* :mod:`.interventions` — which intervention each trial tested; participants per intervention;
* :mod:`.cumulative` — cumulative meta-analysis by publication year (through the analyses layer);
* :mod:`.tables` — the chapter's display tables;
* :mod:`.figure_overlap`, :mod:`.figure_jadad`, :mod:`.figure_ivig`, :mod:`.figure_cumulative` —
  one figure each, styled by :mod:`.figure_style` (the palette of :mod:`mytools.present`);
* :mod:`.glue` — every number the chapter's prose quotes.
"""
from __future__ import annotations

from .cumulative import CUMULATIVE_EXAMPLE, cumulative_candidates, cumulative_meta, cumulative_title
from .figure_cumulative import cumulative_figure
from .figure_ivig import ivig_figure
from .figure_jadad import jadad_figure
from .figure_overlap import overlap_alt, overlap_compact, overlap_compact_alt, overlap_figure, overlap_svg
from .figure_style import CELL_STYLE, png, svg
from .glue import COMPUTED_QUOTED, PUBLISHED_QUOTED, glue_all, glue_values
from .interventions import (INTERVENTION_CLASSES, classify_interventions, ivig_accumulation,
                            participants_by_intervention, study_interventions)
from .membership import (REVIEW_ORDER, format_search_date, jadad_table, membership, overlap_matrix,
                         reconcile_counts, review_labels, search_year)
from .tables import candidates_table, methods_table, participants_table, reconcile_table

__all__ = [
    "REVIEW_ORDER", "INTERVENTION_CLASSES", "CELL_STYLE", "review_labels", "search_year",
    "format_search_date", "methods_table", "membership", "overlap_matrix", "reconcile_counts",
    "reconcile_table", "candidates_table", "classify_interventions", "study_interventions",
    "participants_by_intervention", "participants_table", "jadad_table", "ivig_accumulation",
    "cumulative_candidates", "cumulative_meta", "CUMULATIVE_EXAMPLE", "cumulative_title",
    "overlap_figure", "overlap_alt", "overlap_compact", "overlap_compact_alt", "overlap_svg", "png", "svg", "jadad_figure", "ivig_figure", "cumulative_figure",
    "glue_values", "glue_all", "PUBLISHED_QUOTED", "COMPUTED_QUOTED",
]
