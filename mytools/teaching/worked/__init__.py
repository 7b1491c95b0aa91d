"""Worked examples for the methods chapter: RevMan 5 formulas computed step by step.

* :mod:`.hand` — each formula with plain NumPy arithmetic (not the engine's code path);
* :mod:`.steps` — step tables putting the hand value beside the engine's and the published one;
* :mod:`.sensitivity` — every pooled result with ≥ 2 studies under the engine's named variants;
* :mod:`.page` — the numbers the methods chapter quotes (values for its prose).

Functions that read the review take the chapter's :class:`~mytools.data.Dataset` as ``data``.
"""
from __future__ import annotations

from .hand import (FLEISS1993_MENTAL_HEALTH, Z95, _iv_heterogeneity, hand_binary_rr, hand_smd, hedges_j_exact,
                   hedges_j_revman, iv_heterogeneity)
from .page import (VERDICT_WORDS, certainty_values, critical_values, findings_markdown, hedges_display, hedges_values, leave_one_out,
                   prediction_values, predictions_table, sae_values, smd_values, wald_vs_t_critical)
from .sensitivity import (SENSITIVITY_VARIANTS, review_sensitivity, sensitivity_findings, sensitivity_summary,
                          sensitivity_table, sensitivity_values, sensitivity_verdict)
from .steps import (STEP_COLUMNS, analysis_smd_table, analysis_step_table, arm_inputs, binary_step_table, display_steps,
                    hedges_correction_table, review_hedges_table, smd_step_table, step_value, study_labels)

__all__ = [
    "wald_vs_t_critical", "FLEISS1993_MENTAL_HEALTH",
    "Z95", "hand_binary_rr", "hand_smd", "hedges_j_exact", "hedges_j_revman", "iv_heterogeneity",
    "STEP_COLUMNS", "analysis_step_table", "binary_step_table", "display_steps", "hedges_correction_table",
    "review_hedges_table", "smd_step_table", "step_value", "study_labels", "analysis_smd_table",
    "arm_inputs", "hedges_values", "sae_values", "smd_values", "VERDICT_WORDS", "certainty_values", "critical_values",
    "findings_markdown", "hedges_display", "leave_one_out", "prediction_values", "predictions_table",
    "SENSITIVITY_VARIANTS", "review_sensitivity", "sensitivity_findings", "sensitivity_summary",
    "sensitivity_table", "sensitivity_values", "sensitivity_verdict",
]
