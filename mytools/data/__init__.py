"""The data layer: the book's data package (``data/``) and the review-data readers.

``load_data()`` returns one :class:`Dataset` (every table validated; each review's own data rows
read into a ``ReviewData``); bad input raises :class:`DataError` naming file, line, study, column
and what was expected. Modules: ``errors`` (Problem, DataError), ``schema`` (Table Schema checks),
``validate`` (rules across tables), ``book`` (Dataset, load_data), ``tables_info`` (descriptions
for the data appendix), ``revman`` (RevMan / Cochrane formats).
"""
from __future__ import annotations

from .errors import DataError, Problem
from .book import DATA_DIR, TABLES, Dataset, load_data, read_schema
from .validate import REGISTRY_BINARY, REGISTRY_CONTINUOUS, REGISTRY_LOG_SCALE, Z975_WIDTH
from .tables_info import (PROVENANCE_CLASSES, basis_counts, missing_inputs, provenance_counts, review_data_counts,
                          review_data_overview,
                          schema_table, table_overview)

__all__ = ["DATA_DIR", "DataError", "Problem", "Dataset", "load_data", "read_schema", "TABLES", "provenance_counts",
           "schema_table", "table_overview", "missing_inputs", "review_data_overview", "PROVENANCE_CLASSES", "basis_counts", "review_data_counts",
           "REGISTRY_BINARY", "REGISTRY_CONTINUOUS", "REGISTRY_LOG_SCALE", "Z975_WIDTH"]
