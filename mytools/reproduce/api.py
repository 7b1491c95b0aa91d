"""``reproduce(paths)``: read, infer or take the settings, re-pool, compare; one line per analysis."""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Callable, Iterable, Sequence

import numpy as np
import pandas as pd

from ..data import DataError, Problem
from ..data.revman.model import (
    ANALYSIS_COLUMNS, ROW_COLUMNS, SUBGROUP_COLUMNS, ColumnReview, ReviewData, frame,
)
from ..data.revman.manyrows import read_data_rows_many
from ..data.revman.safeio import regular_file
from .check import LINE_COLUMNS, check_review
from .infer import infer_settings
from .pool import settings_mode
from .report import attach, review_keys, summary

__all__ = ["reproduce", "reproduce_review", "reproduce_reviews", "expand_paths", "summary"]

_PACKAGE_MARKERS = ("-overall-estimates-and-settings.csv",)
_FILE_SUFFIXES = (".zip", ".rm5", ".csv")


def _is_package_dir(p: Path) -> bool:
    """A folder that is one data package (or its ``…-analysis-data`` folder)."""
    try:
        for child in list(p.iterdir()) + [g for c in p.iterdir() if c.is_dir() for g in c.iterdir()]:
            if child.name.endswith(_PACKAGE_MARKERS) and regular_file(child) is None:
                return True
    except OSError:
        return False
    return False


def expand_paths(paths: Sequence[str | Path], *, found: bool = False,
                 notes: list[str] | None = None, _seen: set | None = None) -> list[Path]:
    """Every review in ``paths``: files as given; a folder that is a data package as itself; any
    other folder as its ``.zip``/``.rm5``/``.csv`` files and sub-folders (recursively, sorted).
    Files found inside a folder (not named by the caller) are returned as :class:`_Found`.

    Each folder and file is visited once (by its real path): a symbolic-link loop or a second
    link to the same review is skipped; special files met in a folder (FIFOs, devices, sockets)
    are skipped, never opened. Both get a line in ``notes``."""
    seen = set() if _seen is None else _seen
    notes = [] if notes is None else notes
    out: list[Path] = []
    for raw in paths:
        p = Path(raw)
        try:
            real = p.resolve(strict=False)
        except (OSError, RuntimeError):  # a link loop named directly
            real = None
        if real is not None and real in seen:
            notes.append(f"{p}: the same file or folder as {real} (a link or a link loop); "
                         "reproduced once")
            continue
        if real is None or not p.is_dir():
            if real is not None:
                seen.add(real)
            out.append(_Found(p) if found else p)  # a missing file is reported by the reader
            continue
        seen.add(real)
        if _is_package_dir(p):
            out.append(p)
            continue
        try:
            children = sorted(p.iterdir())
        except OSError as exc:
            notes.append(f"{p}: folder not readable ({exc.strerror or exc}); skipped")
            continue
        for child in children:
            why = regular_file(child)
            if child.is_dir() and why is None:
                out += expand_paths([child], found=True, notes=notes, _seen=seen)
            elif child.suffix.lower() in _FILE_SUFFIXES:
                if why is not None:
                    notes.append(f"{child}: {why}; skipped (never opened)")
                    continue
                out += expand_paths([child], found=True, notes=notes, _seen=seen)
    return out


class _Found(type(Path())):  # type: ignore[misc]
    """A file met while scanning a folder: skipped (not an error) when it is not review data."""


def _not_review_data(exc: Exception) -> bool:
    probs = getattr(exc, "problems", [])
    return len(probs) == 1 and probs[0].found == "an unrecognised header"


def _default_reader(strict: bool):
    from ..data.revman.read import read_review_columns  # the reader layer (mytools.data.revman)

    return lambda p: read_review_columns(p, strict=strict)


def _as_review(review):
    """A :class:`ReviewData` (a ColumnReview's frames built)."""
    return review.review() if isinstance(review, ColumnReview) else review


def reproduce_review(review) -> pd.DataFrame:
    """Report lines for one already-read review (a ReviewData)."""
    review = _as_review(review)
    return check_review(review, infer_settings(review))


_SEP = "\x1f"  # between a review's position and its analysis key in a combined review


def _combined(reviews: list) -> ReviewData:
    """Reviews of one engine mode and precision as one review (analysis keys prefixed with the
    review's position), so that inference and pooling run once for all of them."""
    if all(isinstance(r, ColumnReview) for r in reviews):
        return _combined_columns(reviews)
    reviews = [_as_review(r) for r in reviews]
    frames = {}
    for name in ("analyses", "rows", "subgroups"):
        parts = [getattr(r, name) for r in reviews]
        df = pd.concat(parts, ignore_index=True)
        if len(df):  # one vectorised prefix for all reviews (not one assign per review)
            pos = pd.Series(np.repeat(np.arange(len(parts)), [len(x) for x in parts]).astype(str))
            df["analysis"] = (pos + _SEP + df["analysis"].astype(str).reset_index(drop=True)).to_numpy(object)
        frames[name] = df
    return replace(reviews[0], review_id=None, source="(several reviews)", **frames)


def _combined_columns(reviews: list) -> ReviewData:
    """:func:`_combined` of reviews read as column arrays: each column concatenated once and one
    frame built for all of them (no frame per review, no concat of frames)."""
    frames = {}
    for name, columns in (("analyses", ANALYSIS_COLUMNS), ("rows", ROW_COLUMNS)):
        parts = [getattr(r, name) for r in reviews]
        sizes = [len(p["analysis"]) for p in parts]
        cols = {c: np.concatenate([p[c] if c in p else np.full(k, np.nan)
                                   for p, k in zip(parts, sizes)])
                for c in dict.fromkeys(c for p in parts for c in p)}
        cols["analysis"] = _prefixed(np.repeat(np.arange(len(parts)), sizes), cols["analysis"])
        frames[name] = frame(cols, columns)
    first = reviews[0]
    return ReviewData(source="(several reviews)", format=first.format, review_id=None,
                      subgroups=frame(pd.DataFrame(columns=list(SUBGROUP_COLUMNS)), SUBGROUP_COLUMNS),
                      decimals=first.decimals, notes=first.notes, warnings=first.warnings, **frames)


def _unprefixed(labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The review positions and the analysis keys of :func:`_prefixed` labels."""
    split = [x.split(_SEP, 1) for x in labels.tolist()]
    keys = np.empty(len(split), dtype=object)
    keys[:] = [k for _, k in split]
    return np.array([int(p) for p, _ in split], dtype=int), keys


def _prefixed(pos: np.ndarray, keys: np.ndarray) -> np.ndarray:
    """``f"{pos}{_SEP}{key}"`` per entry (review position, analysis key), each distinct pair
    formatted once."""
    codes, uniq = pd.factorize(keys)
    if not len(uniq) or (codes < 0).any():
        return np.array([f"{i}{_SEP}{a}" for i, a in zip(pos.tolist(), keys)], dtype=object)
    pair, inv = np.unique(pos.astype(np.int64) * len(uniq) + codes, return_inverse=True)
    u = list(uniq)
    labels = [f"{p}{_SEP}{u[k]}" for p, k in zip(*(x.tolist() for x in np.divmod(pair, len(u))))]
    return np.array(labels, dtype=object)[inv]


def reproduce_reviews(reviews: Sequence) -> list[pd.DataFrame]:
    """Report lines per review, like :func:`reproduce_review` on each, but computed together:
    reviews sharing the engine mode and the stored precision are inferred, pooled and compared
    in one pass (the per-review overhead of pandas and of the engine call is paid once). A group
    the engine refuses as a whole falls back to review by review."""
    lines, which = _reproduce_together(reviews)
    cuts = np.searchsorted(which, np.arange(len(reviews) + 1))
    return [lines.iloc[cuts[i]:cuts[i + 1]].reset_index(drop=True) for i in range(len(reviews))]


def _reproduce_together(reviews: Sequence, keys: Sequence[str] | None = None
                        ) -> tuple[pd.DataFrame, np.ndarray]:
    """Every review's report lines (column ``review``: ``keys``, by default
    :func:`~.report.review_keys`) in one frame, review by review in the order given, and each
    line's review position (sorted)."""
    parts: list[pd.DataFrame] = []
    whiches: list[np.ndarray] = []
    groups: dict = {}
    for i, r in enumerate(reviews):
        groups.setdefault((settings_mode(r), r.decimals), []).append(i)

    def alone(i: int) -> None:
        lines = reproduce_review(reviews[i])
        parts.append(lines)
        whiches.append(np.full(len(lines), i))

    for members in groups.values():
        if len(members) == 1:
            alone(members[0])
            continue
        lines = reproduce_review(_combined([reviews[i] for i in members]))
        if lines.attrs.get("engine_error"):  # the engine refused the batch: review by review
            for i in members:
                alone(i)
            continue
        pos, analyses = _unprefixed(lines["analysis"].to_numpy(object))
        lines["analysis"] = pd.Series(analyses, index=lines.index, dtype=object)
        parts.append(lines)
        whiches.append(np.asarray(members)[pos])
    names = np.array(review_keys(reviews) if keys is None else list(keys), dtype=object)
    which = np.concatenate(whiches) if whiches else np.zeros(0, dtype=int)
    order = np.argsort(which, kind="stable")
    parts = [p for p in parts if len(p)]
    if not parts:
        return pd.DataFrame(columns=LINE_COLUMNS), which[order]
    lines = pd.concat(parts, ignore_index=True)
    if not (order == np.arange(len(order))).all():
        lines = lines.take(order).reset_index(drop=True)
    which = which[order]
    lines["review"] = names[which]
    return lines, which


def reproduce(paths: str | Path | Iterable[str | Path], *, progress: bool = False,
              reader: Callable | None = None, strict: bool = False) -> pd.DataFrame:
    """Re-execute every analysis in ``paths`` (files or folders); one row per analysis.

    Columns: see :data:`mytools.reproduce.check.LINE_COLUMNS` (``review`` is the input's own
    name, :func:`~mytools.reproduce.report.review_keys`; ``status`` is ``match``,
    ``differs`` or ``not computable`` with ``reason``) and ``data_warnings`` (rows of the
    analysis RevMan keeps but cannot estimate). Report and go on: a file that cannot be read is
    listed in ``report.attrs["refused"]`` (file, reason) and the others are reproduced; rows
    RevMan cannot estimate (events > N, N or SD <= 0 …) are left out of the pooling, as RevMan
    does, and listed in ``attrs["warnings"]``; the readers' notes are in ``attrs["notes"]``.
    When no file at all can be read, the :class:`mytools.data.DataError` is raised.
    ``strict=True``: the first unreadable file or impossible value raises (release 0.2's
    behaviour). A CSV met while scanning a folder whose header is not review data is skipped
    and listed in ``attrs["skipped"]``. ``progress`` shows a tqdm bar.
    """
    if isinstance(paths, (str, Path)):
        paths = [paths]
    read = reader or _default_reader(strict)
    scan_notes: list[str] = []
    items = expand_paths(list(paths), notes=scan_notes)
    plain = _read_plain(items, strict) if reader is None else [None] * len(items)
    if progress and len(items) > 1:
        from tqdm import tqdm

        items = tqdm(items, unit="review", leave=False)
    reviews, skipped, refused, errors = _read_all(items, read, strict, plain)
    if not reviews:
        if errors:
            raise DataError([q for e in errors for q in getattr(e, "problems", [])])
        raise DataError([Problem(", ".join(map(str, paths)), None, None, None,
                                 "review data (a package, -data-rows.csv, .rm5 or RevMan 5 CSV)",
                                 "no review data in the path(s)")])
    keys = review_keys(reviews)
    out, kept = _reproduce_all(reviews, keys, strict, refused)
    return attach(out, [reviews[i] for i in kept], keys=[keys[i] for i in kept], refused=refused,
                  skipped=skipped, scan_notes=scan_notes)


_INTERNAL = "an input the program can handle; this is a bug in mytools, please report the file"


def _read_plain(items: list, strict: bool) -> list:
    """The plain bare data-rows files among ``items``, read together (the same reviews as reading
    each alone: :mod:`mytools.data.revman.manyrows`); None for every other item."""
    try:
        return read_data_rows_many(items, strict=strict)
    except Exception:  # noqa: BLE001 (a safety net: then every file is read alone)
        return [None] * len(items)


def _read_all(items, read, strict: bool, plain: list) -> tuple[list, list, list, list]:
    """Reviews read, files skipped (not review data), refused inputs (file, reason) and their
    errors; ``plain[i]``: item ``i`` already read (or None). Not strict: a DataError refuses the
    file; any other exception too (a safety net, named as a bug); strict: the first error is
    raised."""
    reviews, skipped, refused, errors = [], [], [], []
    for p, done in zip(items, plain):
        if done is not None:
            reviews.append(done)
            continue
        try:
            reviews.append(read(p))
            continue
        except ValueError as exc:
            if isinstance(p, _Found) and _not_review_data(exc):
                skipped.append(str(p))
                continue
            if strict:
                raise
            err = exc if getattr(exc, "problems", None) else DataError(
                [Problem(str(p), None, None, None, "a readable input", str(exc))])
        except Exception as exc:  # noqa: BLE001 (report and go on; the fuzz test flags these)
            if strict:
                raise
            err = DataError([Problem(str(p), None, None, None, _INTERNAL,
                                     f"{type(exc).__name__}: {exc}")])
        refused.append({"file": str(p), "reason": "\n".join(map(str, err.problems))})
        errors.append(err)
    return reviews, skipped, refused, errors


def _reproduce_all(reviews: list, keys: list[str], strict: bool, refused: list
                   ) -> tuple[pd.DataFrame, list[int]]:
    """Every review's lines in one frame (:func:`reproduce_reviews`) and the positions of the
    reviews reproduced; not strict, a failure there is retried review by review and a review
    that still fails is listed as refused (named as a bug)."""
    try:
        return _reproduce_together(reviews, keys)[0], list(range(len(reviews)))
    except Exception:  # noqa: BLE001
        if strict:
            raise
    out, kept = [], []
    for i, r in enumerate(reviews):
        try:
            out.append(reproduce_review(r).assign(review=keys[i]))
            kept.append(i)
        except Exception as exc:  # noqa: BLE001
            refused.append({"file": str(r.source), "reason": str(Problem(
                str(r.source), None, None, None, _INTERNAL, f"{type(exc).__name__}: {exc}"))})
    out = [f for f in out if len(f)]
    return (pd.concat(out, ignore_index=True) if out else pd.DataFrame(columns=LINE_COLUMNS)), kept
