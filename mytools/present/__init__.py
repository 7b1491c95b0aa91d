"""Presentation: forest plots, evidence map, tables, summary-of-findings, GRADE wording, glue."""
