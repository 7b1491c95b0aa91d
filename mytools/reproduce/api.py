"""``reproduce(paths)``: read, infer or take the settings, re-pool, compare; one line per analysis."""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Callable, Iterable, Sequence

import pandas as pd

from .check import LINE_COLUMNS, check_review
from .infer import infer_settings
from .pool import settings_mode

__all__ = ["reproduce", "reproduce_review", "reproduce_reviews", "expand_paths", "summary"]

_PACKAGE_MARKERS = ("-overall-estimates-and-settings.csv",)
_FILE_SUFFIXES = (".zip", ".rm5", ".csv")


def _is_package_dir(p: Path) -> bool:
    """A folder that is one data package (or its ``…-analysis-data`` folder)."""
    for child in list(p.iterdir()) + [g for c in p.iterdir() if c.is_dir() for g in c.iterdir()]:
        if child.is_file() and child.name.endswith(_PACKAGE_MARKERS):
            return True
    return False


def expand_paths(paths: Sequence[str | Path], *, found: bool = False) -> list[Path]:
    """Every review in ``paths``: files as given; a folder that is a data package as itself; any
    other folder as its ``.zip``/``.rm5``/``.csv`` files and sub-folders (recursively, sorted).
    Files found inside a folder (not named by the caller) are returned as :class:`_Found`."""
    out: list[Path] = []
    for raw in paths:
        p = Path(raw)
        if not p.is_dir():
            out.append(_Found(p) if found else p)  # a missing file is reported by the reader
            continue
        if _is_package_dir(p):
            out.append(p)
            continue
        for child in sorted(p.iterdir()):
            if child.is_dir():
                out += expand_paths([child], found=True)
            elif child.suffix.lower() in _FILE_SUFFIXES:
                out.append(_Found(child))
    return out


class _Found(type(Path())):  # type: ignore[misc]
    """A file met while scanning a folder: skipped (not an error) when it is not review data."""


def _not_review_data(exc: Exception) -> bool:
    probs = getattr(exc, "problems", [])
    return len(probs) == 1 and probs[0].found == "an unrecognised header"


def _default_reader():
    from ..data.revman import read_review  # the reader layer (mytools.data.revman)

    return read_review


def reproduce_review(review) -> pd.DataFrame:
    """Report lines for one already-read review (a ReviewData)."""
    return check_review(review, infer_settings(review))


_SEP = "\x1f"  # between a review's position and its analysis key in a combined review


def _combined(reviews: list) -> "ReviewData":  # noqa: F821
    """Reviews of one engine mode and precision as one review (analysis keys prefixed with the
    review's position), so that inference and pooling run once for all of them."""
    def tagged(df, i):
        return df.assign(analysis=[f"{i}{_SEP}{a}" for a in df["analysis"]]) if len(df) else df
    frames = {name: pd.concat([tagged(getattr(r, name), i) for i, r in enumerate(reviews)],
                              ignore_index=True) for name in ("analyses", "rows", "subgroups")}
    return replace(reviews[0], review_id=None, source="(several reviews)", **frames)


def reproduce_reviews(reviews: Sequence) -> list[pd.DataFrame]:
    """Report lines per review, like :func:`reproduce_review` on each, but computed together:
    reviews sharing the engine mode and the stored precision are inferred, pooled and compared
    in one pass (the per-review overhead of pandas and of the engine call is paid once). A group
    the engine refuses as a whole falls back to review by review."""
    out: list[pd.DataFrame | None] = [None] * len(reviews)
    groups: dict = {}
    for i, r in enumerate(reviews):
        groups.setdefault((settings_mode(r), r.decimals), []).append(i)
    for members in groups.values():
        if len(members) == 1:
            out[members[0]] = reproduce_review(reviews[members[0]])
            continue
        lines = reproduce_review(_combined([reviews[i] for i in members]))
        if lines.attrs.get("engine_error"):  # the engine refused the batch: review by review
            for i in members:
                out[i] = reproduce_review(reviews[i])
            continue
        pos = lines["analysis"].str.split(_SEP, n=1, regex=False)
        which = pos.str[0].astype(int).to_numpy()
        lines["analysis"] = pos.str[1]
        for j, i in enumerate(members):
            r = reviews[i]
            out[i] = lines[which == j].assign(review=r.review_id or r.source).reset_index(drop=True)
    return out


def reproduce(paths: str | Path | Iterable[str | Path], *, progress: bool = False,
              reader: Callable | None = None) -> pd.DataFrame:
    """Re-execute every analysis in ``paths`` (files or folders); one row per analysis.

    Columns: see :data:`mytools.reproduce.check.LINE_COLUMNS` (``status`` is ``match``,
    ``differs`` or ``not computable`` with ``reason``). Unreadable input raises the reader's
    :class:`mytools.data.DataError` naming file, line and column; a CSV met while scanning a
    folder whose header is not review data is skipped and listed in ``report.attrs["skipped"]``.
    ``progress`` shows a tqdm bar.
    """
    if isinstance(paths, (str, Path)):
        paths = [paths]
    read = reader or _default_reader()
    items = expand_paths(list(paths))
    if progress and len(items) > 1:
        from tqdm import tqdm

        items = tqdm(items, unit="review", leave=False)
    reviews, skipped = [], []
    for p in items:
        try:
            reviews.append(read(p))
        except ValueError as exc:
            if isinstance(p, _Found) and _not_review_data(exc):
                skipped.append(str(p))
                continue
            raise
    frames = [f for f in reproduce_reviews(reviews) if len(f)]
    out = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=LINE_COLUMNS)
    out.attrs["skipped"] = skipped
    return out


def summary(report: pd.DataFrame) -> str:
    """One line: analyses by status, study rows and weights matching."""
    st = report["status"].value_counts()
    n_rev = report["review"].nunique()
    studies = int(report["studies"].fillna(0).sum())
    sm = int(report["studies_match"].fillna(0).sum())
    parts = [f"{len(report)} analyses in {n_rev} review(s): {int(st.get('match', 0))} match, "
             f"{int(st.get('differs', 0))} differ, {int(st.get('not computable', 0))} not computable",
             f"study rows {sm}/{studies} match RevMan's estimate and CI"]
    wm = report["weights_match"].dropna()
    if len(wm):
        parts.append(f"weights {int(wm.sum())}/{int(report.loc[wm.index, 'weights_compared'].sum())} match")
    return "; ".join(parts)
