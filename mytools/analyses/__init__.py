"""Named analyses: registry row + input rows + published result -> a typed result with a status.

``analysis(id, data)`` pools the rows registered for an analysis (``data/analyses.csv``) with the
registered settings and compares the result with the published one; ``analyses(data)`` is the
reproducibility report (one row per registered analysis, a ``status`` column). Statuses and reasons
are codes (``STATUSES``, ``REASONS``); ``mytools.present.wording`` turns them into sentences.
Modules: ``result`` (AnalysisResult, codes), ``inputs``, ``run``, ``variants`` (reanalyse,
sensitivity), ``checks`` (RevMan's per-study numbers, counts, cross-checks), ``row_consistency``
(the same arm entered differently in two analyses of a review's rows).
"""
from __future__ import annotations

from .checks import cross_checks, status_counts, study_check
from .result import REASONS, STATUSES, AnalysisResult
from .row_consistency import arm_disagreements
from .run import analyses, analysis, pool_inputs, result_value
from .variants import reanalyse, sensitivity

__all__ = ["AnalysisResult", "analysis", "analyses", "reanalyse", "sensitivity", "status_counts", "study_check",
           "cross_checks", "arm_disagreements", "pool_inputs", "result_value", "STATUSES", "REASONS"]
