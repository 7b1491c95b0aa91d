"""Many bare data-rows files read together (mytools.data.revman.manyrows) give, file by file, the
very review that reading each file alone gives (read_review_columns): every array, note, warning
and the precision, in strict and lenient reading. Files the stacked reader leaves to the per-file
reader (None) are the unusual ones: a warning, an unparsable cell, a duplicate analysis number …"""
from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np
import pytest

from mytools.data.revman.manyrows import read_data_rows_many
from mytools.data.revman.read import read_review_columns

ROOT = Path(__file__).resolve().parents[2]
OWN = sorted((ROOT / "tests" / "fixtures" / "pairwise70").glob("*.csv"))


def _same(a, b) -> bool:
    """Equal arrays (dtype, shape, values, NaN where NaN, the same Python types in object arrays),
    dicts (keys in the same order), tuples and scalars."""
    if isinstance(a, dict):
        return isinstance(b, dict) and list(a) == list(b) and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, np.ndarray):
        if not (isinstance(b, np.ndarray) and a.dtype == b.dtype and a.shape == b.shape):
            return False
        if a.dtype != object:
            return bool(np.array_equal(a, b, equal_nan=a.dtype.kind == "f"))
        return all(type(x) is type(y) and (x == y or (x != x and y != y))
                   for x, y in zip(a.tolist(), b.tolist()))
    return a == b


def _check(paths: list[Path], strict: bool) -> int:
    got = read_data_rows_many(paths, strict=strict)
    assert len(got) == len(paths)
    for p, review in zip(paths, got):
        if review is None:
            continue
        alone = read_review_columns(p, strict=strict)
        for name in alone.__dataclass_fields__:
            assert _same(getattr(alone, name), getattr(review, name)), (p, name)
    return sum(r is not None for r in got)


def _variants(src: Path, tmp: Path) -> list[Path]:
    """Edited copies of one data-rows file: each edit the per-file reader treats specially."""
    head, *rows = list(csv.reader(io.StringIO(src.read_text(encoding="utf-8"))))
    out = []

    def write(name: str, records: list[list[str]], blank_line: bool = False) -> None:
        buf = io.StringIO()
        csv.writer(buf, lineterminator="\n").writerows(records)
        text = buf.getvalue()
        if blank_line:
            text = text.replace("\n", "\n\n", 1)
        p = tmp / f"{name}-data-rows.csv"
        p.write_text(text, encoding="utf-8")
        out.append(p)

    def cell(col: str, value: str, i: int = 0) -> list[list[str]]:
        k = head.index(col)
        return [head, *(r[:k] + [value] + r[k + 1:] if j == i else r for j, r in enumerate(rows))]

    write("zero_n", cell("Experimental N", "0"))
    write("text_cell", cell("Experimental N", "abc"))
    write("negative", cell("Experimental N", "-3"))
    write("duplicate_block", [head, *rows, rows[0]])
    write("extra_column", [head + ["Notes"], *(r + ["n"] for r in rows)])
    s = head.index("Subgroup number")
    write("unnumbered", [head, *(r[:s] + [""] + r[s + 1:] for r in rows)])
    write("v1", [head[:s] + head[s + 1:], *(r[:s] + r[s + 1:] for r in rows)])
    write("blank_lines", [head, *rows], blank_line=True)
    return out


@pytest.mark.parametrize("strict", [False, True])
def test_own_sample_together_as_alone(strict: bool, tmp_path: Path) -> None:
    """The project's own Pairwise70 rows (no ../shared needed), plus edited copies."""
    variants = _variants(OWN[0], tmp_path)
    n = _check([*OWN, *variants], strict)
    assert n >= len(OWN) // 2  # the stacked reader does read most of them
    left = dict(zip(variants, read_data_rows_many(variants, strict=strict)))
    for name in ("text_cell", "duplicate_block"):
        assert left[tmp_path / f"{name}-data-rows.csv"] is None, name
    # a negative count refuses the file when strict; leniently the row is named, read together
    together = ("extra_column", "unnumbered", "v1", "blank_lines") + (() if strict else ("negative",))
    for name in together:
        assert left[tmp_path / f"{name}-data-rows.csv"] is not None, name
    assert (left[tmp_path / "negative-data-rows.csv"] is None) == strict
    if not strict:
        assert left[tmp_path / "negative-data-rows.csv"].warnings  # the row is named


def test_shared_fixtures_together_as_alone(shared: Path) -> None:
    """Every CSV of ../shared/fixtures (the sample, the hard reviews, RevMan exports, hostile
    inputs): read together, each is what reading it alone gives, or left to the per-file reader."""
    paths = sorted((shared / "fixtures").rglob("*.csv"))
    for strict in (False, True):
        assert _check(paths, strict) >= 20
