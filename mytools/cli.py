"""Command line: ``python -m mytools reproduce PATH… [--csv FILE] [--html FILE] [--quiet] [--strict]``.

``python -m mytools student-pack OUT.zip [--config _config.yml]`` writes the students' download
(the data files and a starter notebook; :mod:`mytools.teaching.student_pack`).

Exit codes: 0 when every computable analysis matches RevMan's stored numbers, 1 when something
differs, 2 when any input was refused (the message names file, line and column; the other inputs
are still reproduced). Rows RevMan keeps but cannot estimate are data warnings, not errors.
``--strict``: the first unreadable input or impossible value stops the run (exit 2).
"""
from __future__ import annotations

import argparse
import sys
from typing import Sequence

import pandas as pd

from mytools.reproduce import reproduce, summary
from mytools.reproduce.report import csv_frame, format_sections, to_html

__all__ = ["main", "format_table", "exit_code"]

SHOWN = ["analysis", "name", "settings", "revman", "ours", "largest_difference", "status"]


def _short(text: object, width: int) -> str:
    s = " ".join(str(text).split()) if isinstance(text, str) else ("" if pd.isna(text) else str(text))
    return s if len(s) <= width else s[: width - 1] + "…"


def format_table(report: pd.DataFrame, *, width: int = 38) -> str:
    """The compact table: one line per analysis (id, name, measure/method/model, RevMan's result,
    ours, largest difference, status with its reason)."""
    if report.empty:
        return "(no analyses)"
    many = report["review"].nunique() > 1
    view = pd.DataFrame({
        "analysis": [f"{r}:{a}" if many else str(a) for r, a in zip(report["review"], report["analysis"])],
        "name": [_short(n, width) for n in report["name"]],
        "settings": [" ".join(str(x) for x in (m, me, mo) if isinstance(x, str))
                     + ("*" if s == "inferred" else "")
                     for m, me, mo, s in zip(report["measure"], report["method"], report["model"],
                                             report["settings"])],
        "revman": report["revman"], "ours": report["ours"],
        "largest_difference": [_short(x, 34) for x in report["largest_difference"]],
        "status": [st if st == "match" else f"{st}: {_short(rs, 60)}"
                   for st, rs in zip(report["status"], report["reason"])],
    })
    widths = {c: max(len(c), *(len(str(x)) for x in view[c])) for c in view}
    out = ["  ".join(c.ljust(widths[c]) for c in view).rstrip()]
    out += ["  ".join(str(x).ljust(widths[c]) for c, x in zip(view, r)).rstrip()
            for r in view.itertuples(index=False)]
    text = "\n".join(out)
    if (report["settings"] == "inferred").any():
        text += "\n* settings inferred from RevMan's per-study numbers and weights (the file states none)"
    return text


def exit_code(report: pd.DataFrame) -> int:
    """2 when an input was refused (or there is no analysis), 1 when something differs, else 0."""
    if report.attrs.get("refused") or report.empty:
        return 2
    return 1 if (report["status"] == "differs").any() else 0


def _reproduce(args: argparse.Namespace) -> int:
    try:
        report = reproduce(args.paths, progress=not args.quiet, strict=args.strict)
    except (ValueError, OSError) as exc:  # DataError is a ValueError; a missing file an OSError
        print(f"error: cannot read the input: {exc}", file=sys.stderr)
        return 2
    skipped = report.attrs.get("skipped", [])
    if skipped:
        print(f"skipped {len(skipped)} file(s) in the folders that are not review data: "
              + ", ".join(skipped), file=sys.stderr)
    for r in report.attrs.get("refused", []):
        print(f"error: refused {r['file']}: {r['reason']}", file=sys.stderr)
    if not args.quiet:
        print(format_table(report))
        sections = format_sections(report)
        if sections:
            print(sections)
    print(summary(report))
    if args.csv:
        csv_frame(report).to_csv(args.csv, index=False)
    if args.html:
        with open(args.html, "w", encoding="utf-8") as fh:
            fh.write(to_html(report))
    return exit_code(report)


def _student_pack(args: argparse.Namespace) -> int:
    from mytools.teaching.student_pack import write_pack  # jupytext only for this command

    try:
        out = write_pack(args.out, config=args.config)
    except (ValueError, OSError) as exc:
        print(f"error: cannot write the students' pack: {exc}", file=sys.stderr)
        return 2
    print(f"wrote {out}")
    return 0


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m mytools", description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="command", required=True)
    r = sub.add_parser("reproduce", help="re-pool every analysis of Cochrane/RevMan files and compare "
                       "with RevMan's stored numbers")
    r.add_argument("paths", nargs="+", metavar="PATH",
                   help="data package (zip or folder), -data-rows.csv, .rm5, RevMan 5 CSV, or a folder of them")
    r.add_argument("--csv", metavar="FILE", help="also write the report as CSV")
    r.add_argument("--html", metavar="FILE", help="also write the report as HTML")
    r.add_argument("--quiet", action="store_true", help="print only the summary line (no table, no progress bar)")
    r.add_argument("--strict", action="store_true", help="stop at the first unreadable input or "
                   "impossible value (default: report it and reproduce the rest; exit 2)")
    r.set_defaults(func=_reproduce)
    s = sub.add_parser("student-pack", help="write the students' zip: the data files and a starter notebook")
    s.add_argument("out", metavar="OUT.zip", help="the zip to write")
    s.add_argument("--config", metavar="FILE", help="the book's _config.yml (its repository.url is the "
                   "install line; default: the one beside the book's data)")
    s.set_defaults(func=_student_pack)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    args = _parser().parse_args(argv)
    try:
        return args.func(args)
    except BrokenPipeError:  # output piped into `head`: stop quietly
        sys.stderr.close()
        return 0
