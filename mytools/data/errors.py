"""The data layer's error: every problem names file, line, study, column and what was expected."""
from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Problem", "DataError"]


@dataclass(frozen=True)
class Problem:
    """One violation: where it is (file, line as counted in the CSV, header = 1) and what was expected.

    >>> str(Problem("studies.csv", 3, "Bunch1980", "n_control", "a value >= 0", "-1"))
    "studies.csv, line 3 (study Bunch1980), column n_control: expected a value >= 0, found '-1'"
    """

    file: str
    line: int | None
    study_id: str | None
    column: str | None
    expected: str
    found: str | None = None
    analysis_id: str | None = None

    def __str__(self) -> str:
        """File, line, analysis, study, column; a problem of a whole file or zip member (a zip
        archive's or member's, an empty file's: no line applies) says so instead.

        >>> str(Problem("pkg.zip!a/b-data-rows.csv", None, None, None, "a regular file in the zip",
        ...             "a symbolic link member"))
        "pkg.zip!a/b-data-rows.csv (the zip member as a whole; no line applies): expected a regular file in the zip, found 'a symbolic link member'"
        """
        found = "" if self.found is None else f", found {self.found!r}"
        if self.line is None and not (self.column or self.study_id or self.analysis_id):
            what = "zip member" if "!" in self.file else "file"
            return f"{self.file} (the {what} as a whole; no line applies): expected {self.expected}{found}"
        where = [self.file]
        if self.line is not None:
            where.append(f"line {self.line}")
        who = []
        if self.analysis_id:
            who.append(f"analysis {self.analysis_id}")
        who.append(f"study {self.study_id or '-'}")
        col = f"column {self.column}" if self.column else "row"
        return f"{', '.join(where)} ({', '.join(who)}), {col}: expected {self.expected}{found}"


class DataError(ValueError):
    """Invalid data: ``problems`` lists every violation found (grouped by file in the message)."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        by_file: dict[str, list[Problem]] = {}
        for p in self.problems:
            by_file.setdefault(p.file, []).append(p)
        parts = [f"{len(self.problems)} problem(s) in the data:"]
        for name, probs in by_file.items():
            parts.append(f"{name}: {len(probs)} problem(s)")
            parts.extend(f"  - {p}" for p in probs)
        super().__init__("\n".join(parts))
