"""Mutation fuzzing of ``reproduce``: mutants of the shared fixtures must give a result or a
clean :class:`~mytools.data.DataError` — never another exception, never a hang.

Seeds: small Pairwise70 data rows, RevMan 5 ``.rm5`` files and CSV exports, data packages (zip
and folder) from ``../shared/fixtures``. Mutations: byte flips, insertions and deletions,
truncation, dropped/duplicated lines, dropped or renamed columns, hostile cells (huge numbers,
``nan``, ``inf``, negative, text, NUL), other encodings (UTF-16, Windows-1252, stray bytes),
XML edits (attribute values, wrapped/deep/renamed elements, encoding declarations, entities) and
zip edits (corrupt bytes, truncation, a mutated member, symlink, ``..`` and nested-zip members).

Unit suite: ``tests/data/test_reader_fuzz.py`` (seeded, ~20 s). Longer run::

    python -m tests.data.fuzz --seconds 600 [--seed 1] [--keep DIR]

(or ``FUZZ_SECONDS=600`` for the unit test). Prints the number of mutants, how many were read
and refused, and every failure with the mutation that made it (kept in ``--keep`` to replay).
"""
from __future__ import annotations

import argparse
import io
import random
import re
import shutil
import signal
import stat
import sys
import tempfile
import time
import traceback
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

SHARED = Path(__file__).resolve().parents[2].parent / "shared"
FIX = SHARED / "fixtures"
SEEDS = [
    "pairwise70-sample/CD014497_pub2-data-rows.csv", "pairwise70-sample/CD001072_pub2-data-rows.csv",
    "pairwise70-sample/CD015594_pub2-data-rows.csv", "pairwise70-sample/CD015526_pub2-data-rows.csv",
    "revman/derived/CD008469_pub3-data-rows_from_Pairwise70.csv",
    "revman/rm5/Fleiss1993.rm5", "revman/revman5_csv/Fleiss1993_CR.csv",
    "revman/revman5_csv/CD008521_rota_excerpt.csv", "revman/datapackage_v1/Fleiss1993.zip",
    "revman/datapackage_v2/CD011506-SUP-06-dataPackage", "revman/datapackage_v2/CD014353-SUP-07-dataPackage",
]
CELLS = ["1e308", "-1e308", "1e18", "-1e18", "-5", "-0", "0", "nan", "NaN", "inf", "-inf", "",
         "abc", "1,5", "9" * 400, "0x10", " 3 ", "#N/A", "\x00", "2.5", "1e-320", "\u00a0",
         '"', "true", "-2147483649", "9223372036854775808"]


@dataclass
class Stats:
    mutants: int = 0
    read: int = 0
    refused: int = 0
    no_line: int = 0
    failures: list = field(default_factory=list)

    def line(self) -> str:
        return (f"{self.mutants} mutants: {self.read} reproduced, {self.refused} refused with a "
                f"DataError ({self.no_line} of them without a line number), "
                f"{len(self.failures)} failures")


def _seed_files() -> list[tuple[str, bytes | dict[str, bytes]]]:
    """(name, content): a file's bytes, or a package folder as {relative path: bytes}."""
    out = []
    for rel in SEEDS:
        p = FIX / rel
        if p.is_dir():
            out.append((p.name, {str(f.relative_to(p)): f.read_bytes()
                                 for f in sorted(p.rglob("*")) if f.is_file()}))
        elif p.is_file():
            out.append((p.name, p.read_bytes()))
    return out


# --- mutations of one file's bytes -----------------------------------------------------------
def _bytes(rng: random.Random, data: bytes) -> tuple[bytes, str]:
    b = bytearray(data)
    kind = rng.choice(["flip", "insert", "delete", "truncate", "dupline", "dropline", "swap"])
    if not b:
        return bytes(rng.randrange(256) for _ in range(8)), "random bytes"
    if kind == "flip":
        for _ in range(rng.randint(1, 8)):
            b[rng.randrange(len(b))] = rng.randrange(256)
    elif kind == "insert":
        i = rng.randrange(len(b))
        b[i:i] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 16)))
    elif kind == "delete":
        i = rng.randrange(len(b))
        del b[i:i + rng.randint(1, 64)]
    elif kind == "truncate":
        del b[rng.randrange(len(b)):]
    else:
        lines = bytes(b).split(b"\n")
        i, j = rng.randrange(len(lines)), rng.randrange(len(lines))
        if kind == "dupline":
            lines.insert(j, lines[i])
        elif kind == "dropline":
            del lines[i]
        else:
            lines[i], lines[j] = lines[j], lines[i]
        return b"\n".join(lines), f"{kind} {i}->{j}"
    return bytes(b), kind


def _csv(rng: random.Random, data: bytes) -> tuple[bytes, str]:
    text = data.decode("utf-8", "replace")
    lines = text.split("\n")
    rows = [ln.split('","') for ln in lines]
    kind = rng.choice(["cell", "cell", "cell", "dropcol", "renamecol", "headeronly", "blankcol"])
    ncol = len(rows[0])
    j = rng.randrange(ncol)
    if kind == "cell" and len(rows) > 1:
        i = rng.randrange(1, len(rows))
        if j < len(rows[i]):
            v = rng.choice(CELLS)
            rows[i][j] = (rows[i][j][:1] if j == 0 else "") + v
            kind = f"cell line {i + 1} col {j} = {v[:20]!r}"
    elif kind == "dropcol":
        rows = [r[:j] + r[j + 1:] if len(r) == ncol else r for r in rows]
        kind = f"drop column {j}"
    elif kind == "renamecol":
        rows[0][j] = rows[0][j].upper() + " x"
    elif kind == "headeronly":
        rows = rows[:1]
    elif kind == "blankcol":
        rows = [rows[0]] + [r[:j] + [""] + r[j + 1:] if len(r) == ncol else r for r in rows[1:]]
    return "\n".join('","'.join(r) for r in rows).encode("utf-8"), kind


def _encoding(rng: random.Random, data: bytes) -> tuple[bytes, str]:
    text = data.decode("utf-8", "replace")
    kind = rng.choice(["utf-16", "cp1252", "bom", "stray", "nul", "latin1-accent"])
    if kind == "utf-16":
        return text.encode("utf-16"), kind
    if kind == "cp1252":
        return text.encode("cp1252", "replace"), kind
    if kind == "bom":
        return b"\xef\xbb\xbf" + data, kind
    i = rng.randrange(max(len(data), 1))
    ins = {"stray": b"\x81\xff", "nul": b"\x00", "latin1-accent": b"\xe9"}[kind]
    return data[:i] + ins + data[i:], f"{kind} at {i}"


def _xml(rng: random.Random, data: bytes) -> tuple[bytes, str]:
    text = data.decode("utf-8", "replace")
    kind = rng.choice(["attr", "attr", "wrap", "deep", "rename", "encoding", "entity", "dropattr"])
    attrs = list(re.finditer(r'(\w+)="([^"]*)"', text))
    if kind in ("attr", "dropattr") and attrs:
        m = rng.choice(attrs)
        new = "" if kind == "dropattr" else f'{m.group(1)}="{rng.choice(CELLS).replace(chr(34), "")}"'
        return (text[:m.start()] + new + text[m.end():]).encode("utf-8"), f"{kind} {m.group(1)}"
    tags = list(re.finditer(r"<(\w+_DATA)\b[^>]*/>", text))
    if kind == "wrap" and tags:
        m = rng.choice(tags)
        return (text[:m.start()] + "<X>" + m.group() + "</X>" + text[m.end():]).encode(), kind
    if kind == "deep":
        n = rng.choice([10, 63, 65, 2000])
        i = text.find("<ANALYSES_AND_DATA")
        i = i if i >= 0 else len(text) // 2
        return (text[:i] + "<A>" * n + "</A>" * n + text[i:]).encode(), f"deep {n}"
    if kind == "rename" and tags:
        m = rng.choice(tags)
        other = rng.choice(["DICH_DATA", "CONT_DATA", "IV_DATA", "IPD_DATA", "FOO_DATA"])
        return (text[:m.start()] + m.group().replace(m.group(1), other, 1)
                + text[m.end():]).encode(), f"rename {m.group(1)}->{other}"
    if kind == "encoding":
        enc = rng.choice(["X-NOPE", "UTF-16", "ISO-8859-1", "ascii", "utf-32"])
        return re.sub(r'encoding="[^"]*"', f'encoding="{enc}"', text, count=1).encode(), kind + enc
    if kind == "entity":
        return ('<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaa">]>'
                + text.split("?>", 1)[-1]).encode(), kind
    return _bytes(rng, data)


def mutate_file(rng: random.Random, name: str, data: bytes) -> tuple[bytes, str]:
    """One mutation fitting the file's kind."""
    low = name.lower()
    choices = [_bytes, _encoding]
    if low.endswith(".csv"):
        choices += [_csv, _csv, _csv]
    if low.endswith(".rm5"):
        choices += [_xml, _xml, _xml]
    f = rng.choice(choices)
    out, what = f(rng, data)
    return out, f"{f.__name__[1:]}: {what}"


def _zip(rng: random.Random, files: dict[str, bytes]) -> tuple[bytes, str]:
    """Zip ``files`` with one zip-level mutation."""
    kind = rng.choice(["member", "member", "symlink", "dotdot", "nested", "corrupt", "truncate"])
    what = kind
    files = dict(files)
    if kind == "member":
        k = rng.choice(sorted(files))
        files[k], m = mutate_file(rng, k, files[k])
        what = f"member {k}: {m}"
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for k, v in files.items():
            zf.writestr(k, v)
        if kind == "symlink":
            info = zipfile.ZipInfo(next(iter(files)) + ".lnk-data-rows.csv")
            info.external_attr = (stat.S_IFLNK | 0o777) << 16
            zf.writestr(info, "/etc/passwd")
        elif kind == "dotdot":
            zf.writestr("../evil-data-rows.csv", b"x")
        elif kind == "nested":
            inner = io.BytesIO()
            with zipfile.ZipFile(inner, "w") as z2:
                z2.writestr("a.zip", b"PK\x05\x06" + b"\x00" * 18)
            for i in range(rng.choice([1, 5])):
                zf.writestr(f"n{i}.zip", inner.getvalue())
    data = buf.getvalue()
    if kind == "corrupt":
        b = bytearray(data)
        for _ in range(rng.randint(1, 6)):
            b[rng.randrange(len(b))] = rng.randrange(256)
        data = bytes(b)
    elif kind == "truncate":
        data = data[:rng.randrange(len(data))]
    return data, f"zip {what}"


def _unzip(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return {i.filename: zf.read(i) for i in zf.infolist() if not i.is_dir()}


def make_mutant(rng: random.Random, seed: tuple[str, bytes | dict], where: Path) -> tuple[Path, str]:
    """Write one mutant of ``seed`` under ``where``; returns its path and what was done."""
    name, content = seed
    if isinstance(content, dict):
        if rng.random() < 0.5:
            data, what = _zip(rng, content)
            p = where / f"{name}.zip"
            p.write_bytes(data)
            return p, what
        files = dict(content)
        k = rng.choice(sorted(files))
        files[k], what = mutate_file(rng, k, files[k])
        for rel, v in files.items():
            (where / name / rel).parent.mkdir(parents=True, exist_ok=True)
            (where / name / rel).write_bytes(v)
        return where / name, f"{k}: {what}"
    if name.lower().endswith(".zip"):
        data, what = _zip(rng, _unzip(content))
    else:
        data, what = mutate_file(rng, name, content)
    p = where / name
    p.write_bytes(data)
    return p, what


class _Hang(Exception):
    pass


def _alarm(*_):
    raise _Hang()


def check_one(path: Path, timeout: int = 30) -> tuple[str, str]:
    """("read" | "refused" | "refused-no-line" | "failure", detail) for ``reproduce(path)``."""
    from mytools.data import DataError
    from mytools.reproduce import reproduce

    old = signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(timeout)
    try:
        report = reproduce(path)
        if report.empty:
            return "failure", "an empty report without a DataError"
        return "read", ""
    except DataError as exc:
        if "a bug in mytools" in str(exc):  # reproduce's safety net caught another exception
            return "failure", str(exc)[-1500:]
        lined = all(p.line is not None for p in exc.problems)
        return ("refused" if lined else "refused-no-line"), str(exc)[:300]
    except _Hang:
        return "failure", f"hang (> {timeout} s)"
    except Exception as exc:  # noqa: BLE001 (the contract: nothing else may escape)
        return "failure", "".join(traceback.format_exception(exc))[-1500:]
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def run(seconds: float, seed: int = 0, keep: Path | None = None, max_mutants: int | None = None
        ) -> Stats:
    """Fuzz for ``seconds`` (or ``max_mutants``); failing mutants are copied to ``keep``."""
    rng = random.Random(seed)
    seeds = _seed_files()
    stats = Stats()
    end = time.monotonic() + seconds
    with tempfile.TemporaryDirectory(prefix="fuzz-") as tmp:
        while time.monotonic() < end and (max_mutants is None or stats.mutants < max_mutants):
            where = Path(tmp) / f"m{stats.mutants}"
            where.mkdir()
            path, what = make_mutant(rng, rng.choice(seeds), where)
            outcome, detail = check_one(path)
            stats.mutants += 1
            if outcome == "read":
                stats.read += 1
            elif outcome.startswith("refused"):
                stats.refused += 1
                stats.no_line += outcome == "refused-no-line"
            else:
                stats.failures.append((path.name, what, detail))
                if keep is not None:
                    dest = keep / f"m{stats.mutants}-{path.name}"
                    (shutil.copytree if path.is_dir() else shutil.copy)(path, dest)
            shutil.rmtree(where, ignore_errors=True)
    return stats


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--keep", type=Path, help="copy failing mutants into this folder")
    args = ap.parse_args(argv)
    if not FIX.is_dir():
        print(f"{FIX} is missing (../shared beside the project)", file=sys.stderr)
        return 2
    if args.keep:
        args.keep.mkdir(parents=True, exist_ok=True)
    stats = run(args.seconds, args.seed, args.keep)
    for name, what, detail in stats.failures:
        print(f"FAILURE {name} [{what}]\n{detail}\n")
    print(stats.line())
    return 1 if stats.failures else 0


if __name__ == "__main__":
    sys.exit(main())
