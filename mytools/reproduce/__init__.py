"""Re-execute any Cochrane review's data: re-pool every analysis and compare with RevMan's numbers.

``reproduce(paths)`` reads each data package, ``-data-rows.csv``, ``.rm5`` or RevMan 5 CSV with
:func:`mytools.data.revman.read_review`, takes each analysis's settings from the file or infers them
from RevMan's own per-study numbers (:func:`infer_settings`), re-pools every analysis and subgroup
with the engine and returns one line per analysis: RevMan's result, ours, the largest difference
and a status (``match`` / ``differs`` / ``not computable`` with the reason).
"""
from __future__ import annotations

from .api import expand_paths, reproduce, reproduce_review, reproduce_reviews, summary
from .infer import infer_settings
from .pool import PooledAnalysis, pool_analysis, settings_mode

__all__ = ["reproduce", "reproduce_review", "reproduce_reviews", "infer_settings", "expand_paths",
           "summary",
           "pool_analysis", "PooledAnalysis", "settings_mode"]
