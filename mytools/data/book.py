"""Load and validate the book's data package (``data/``): one :class:`Dataset`, loaded once.

The tables and their columns are described by ``data/datapackage.json`` and the Table Schema files
in ``data/schemas/``. :func:`load_data` checks every cell against them, reads each review's own
data rows (resources with ``"role": "review_data"``) with the review-data reader, then applies the
cross-table rules of :mod:`mytools.data.validate`. Every violation of every file is collected and
raised at once as a :class:`DataError` naming file, line, study, column and what was expected.
"""
from __future__ import annotations

import json
from importlib import resources
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from .errors import DataError, Problem
from .revman import read_review
from .schema import Row, check_foreign_keys, frame, read_table
from .validate import check_book_tables, check_review_data

__all__ = ["DATA_DIR", "TABLES", "Dataset", "load_data", "read_schema"]



def _book_data_dir() -> Path:
    """The book's data: the package data ``mytools.bookdata`` (pyproject.toml maps the
    repository's data/ folder to it, so an installed package or wheel brings it), read with
    importlib.resources; in a clone (editable install or none) it is the repository's data/."""
    packaged = resources.files("mytools") / "bookdata"
    if isinstance(packaged, Path) and (packaged / "datapackage.json").is_file():
        return packaged
    return Path(__file__).resolve().parents[2] / "data"


DATA_DIR = _book_data_dir()
TABLES = ("studies", "analyses", "review_study_map", "outcome_data", "study_estimates", "published_results",
          "reviews", "review_studies", "sr2015_studies", "trial_facts", "bayes_priors", "bayes_prior_choice")


@dataclass
class Dataset:
    """All tables of the data package, one DataFrame per table (typed, blanks as missing), and each
    review's own data rows as a ``ReviewData`` in ``review_data`` (keyed by review id)."""

    studies: pd.DataFrame
    analyses: pd.DataFrame
    review_study_map: pd.DataFrame
    outcome_data: pd.DataFrame
    study_estimates: pd.DataFrame
    published_results: pd.DataFrame
    reviews: pd.DataFrame
    review_studies: pd.DataFrame
    sr2015_studies: pd.DataFrame
    trial_facts: pd.DataFrame
    bayes_priors: pd.DataFrame
    bayes_prior_choice: pd.DataFrame
    directory: Path
    schemas: dict[str, dict] = field(repr=False, default_factory=dict)
    review_data: dict[str, Any] = field(repr=False, default_factory=dict)
    resources: dict[str, dict] = field(repr=False, default_factory=dict)

    def review(self, review_id: str) -> Any:
        """The ``ReviewData`` of one review's data rows; KeyError names the reviews that have some."""
        if review_id not in self.review_data:
            raise KeyError(f"no data rows for review {review_id!r}; have: {', '.join(self.review_data) or 'none'}")
        return self.review_data[review_id]


def read_schema(name: str, directory: Path | str = DATA_DIR) -> dict:
    """The Table Schema of table ``name`` as a dict (from ``datapackage.json``)."""
    directory = Path(directory)
    for res in json.loads((directory / "datapackage.json").read_text())["resources"]:
        if res["name"] == name:
            return json.loads((directory / res["schema"]).read_text())
    raise KeyError(f"datapackage.json lists no resource {name!r}")


def _read_resources(directory: Path, pkg: dict, problems: list[Problem]):
    schemas: dict[str, dict] = {}
    tables: dict[str, list[Row]] = {}
    files: dict[str, str] = {}
    review_data: dict[str, Any] = {}
    declared: set[str] = set()
    for res in pkg.get("resources", []):
        name = res["name"]
        try:
            schemas[name] = json.loads((directory / res["schema"]).read_text())
        except (OSError, json.JSONDecodeError) as exc:
            problems.append(Problem(res["schema"], None, None, None, f"a readable Table Schema ({exc})"))
            continue
        path = directory / res["path"]
        files[name] = Path(res["path"]).name
        if res.get("role") == "review_data":
            declared.add(res.get("review_id") or name)
        if not path.is_file():
            problems.append(Problem(res["path"], None, None, None, "the file (listed in datapackage.json)"))
            continue
        n_before = len(problems)
        tables[name] = read_table(path, schemas[name], problems)
        if res.get("role") == "review_data" and len(problems) == n_before:
            try:
                review_data[res.get("review_id") or name] = read_review(path)
            except DataError as exc:
                problems.extend(exc.problems)
    return schemas, tables, files, review_data, declared


def load_data(directory: Path | str = DATA_DIR) -> Dataset:
    """Read every table of ``directory/datapackage.json`` and validate it.

    Raises :class:`DataError` listing all violations (schema and cross-table rules) at once.
    """
    directory = Path(directory)
    problems: list[Problem] = []
    try:
        pkg = json.loads((directory / "datapackage.json").read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise DataError([Problem("datapackage.json", None, None, None, f"a readable JSON data package ({exc})")])
    schemas, tables, files, review_data, declared = _read_resources(directory, pkg, problems)
    for name in TABLES:
        if name not in schemas and not any(p.file == f"{name}.csv" for p in problems):
            problems.append(Problem("datapackage.json", None, None, None, f"a resource named {name}"))
    for name in tables:
        check_foreign_keys(name, schemas[name], tables, files, problems)
    spec = check_book_tables(tables, problems)
    check_review_data(spec, review_data, tables.get("review_study_map", []), problems, unreadable=declared - set(review_data))
    if problems:
        raise DataError(problems)
    frames = {name: frame(tables[name], schemas[name]) for name in TABLES}
    return Dataset(**frames, directory=directory, schemas=schemas, review_data=review_data,
                   resources={r["name"]: r for r in pkg.get("resources", [])})
