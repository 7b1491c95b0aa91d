"""Find the integer 2×2 tables that reproduce a published risk ratio and its 95% CI.

A review often publishes only a pooled RR with a CI rounded to 2 decimals. This module searches
*every* candidate table in a stated search space, all at once with NumPy, and keeps those whose
Mantel–Haenszel fixed-effect RR (RevMan 5 rules) rounds to the published estimate and to both
bounds. The result is a set of hypotheses, not data read in a source: if exactly one table fits,
the published numbers make it very likely; if several fit, the published numbers cannot tell them
apart.

Formulas (Deeks & Higgins, *Statistical algorithms in Review Manager 5*, 2010; Greenland & Robins
1985), for studies i with a = events_intervention, n1 = n_intervention, c = events_control, n2 = n_control, N = n1 + n2:

    R = Σ a·n2/N,  S = Σ c·n1/N,  P = Σ (n1·n2·(a + c) − a·c·N) / N²
    RR_MH = R / S,  SE(ln RR_MH) = √(P / (R·S)),  CI = exp(ln RR_MH ± 1.959964·SE)

RevMan rule (``zero_cell="revman"``, the engine's default; the terms come from the engine): a
study with a zero in any of its four cells gets 0.5 added to every cell, also inside the MH sums;
a study with no events in both arms is not estimable and drops out of the sums; a study with only
events in both arms is kept (RR 1 with the 0.5-corrected variance), as RevMan keeps it. ``"events"`` triggers the
0.5 only when a = 0 or c = 0 (older R ``meta`` rule), ``"none"`` never adds it; both are variants
for sensitivity, not what RevMan does.

Rounding: a value x matches a published v (``decimals`` = 2) when v − 0.005 ≤ x < v + 0.005
(half up), with values within 1e-9 (relative) of an edge taken to be on it (see
:meth:`Target.matches`).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable, Literal, Sequence

import numpy as np
import pandas as pd

from ..engine.effects import binary_rules
from ..engine.errors import NotEstimableError
from ..engine.mantel_haenszel import mh_combine, mh_terms
from ..engine.pooling import pool_binary

__all__ = [
    "Target",
    "Reconstruction",
    "ReconstructionError",
    "table_space",
    "mh_components",
    "mh_rr",
    "reconstruct",
    "reconstruct_table",
]

Z95 = 1.959963984540054  # standard normal 97.5% quantile, as used by RevMan 5
TIE_TOL = 1e-9  # relative distance below which a value counts as lying on a rounding edge
ZeroCell = Literal["revman", "events", "none"]
ZERO_CELL_RULES: tuple[str, ...] = ("revman", "events", "none")  # the engine's two + "events"
Table = tuple[int, int, int, int]  # (events_intervention, n_intervention, events_control, n_control)
COLUMNS = ("events_intervention", "n_intervention", "events_control", "n_control")


class ReconstructionError(ValueError):
    """Bad input to a search; the message names the argument and what was expected."""


@dataclass(frozen=True)
class Target:
    """A published ratio estimate with its CI bounds, as printed (rounded to ``decimals``)."""

    estimate: float
    ci_low: float
    ci_high: float
    decimals: int = 2

    def __post_init__(self) -> None:
        vals = (self.estimate, self.ci_low, self.ci_high)
        if not all(np.isfinite(v) and v > 0 for v in vals):
            raise ReconstructionError(f"target {vals}: estimate and CI bounds must be positive numbers")
        if not self.ci_low <= self.estimate <= self.ci_high:
            raise ReconstructionError(
                f"target {vals}: expected ci_low <= estimate <= ci_high (a ratio and its 95% CI)"
            )

    @property
    def half_width(self) -> float:
        """Half a unit in the last printed decimal (0.005 for 2 decimals)."""
        return 0.5 * 10.0 ** (-self.decimals)

    def window(self, value: float) -> tuple[float, float]:
        """The half-open interval [lo, hi) of true values that print as ``value``."""
        return value - self.half_width, value + self.half_width

    def matches(self, est: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
        """True where all three values round (half up) to the published ones.

        A value within ``TIE_TOL`` (relative) of a window edge is taken to be the edge itself, so
        an exact tie such as 0.625 is decided by the rounding rule (it prints as 0.63), not by the
        last bit of a floating-point sum, which can differ between summation orders."""
        out = np.ones(np.shape(est), dtype=bool)
        for x, v in ((est, self.estimate), (lo, self.ci_low), (hi, self.ci_high)):
            a, b = self.window(v)
            out &= (x >= a - TIE_TOL * a) & (x < b - TIE_TOL * b)
        return out

    def __str__(self) -> str:
        d = self.decimals
        return f"{self.estimate:.{d}f} ({self.ci_low:.{d}f} to {self.ci_high:.{d}f})"


def _as_int(name: str, value: object, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise ReconstructionError(f"{name}={value!r}: expected a whole number >= {minimum}")
    if value < minimum:
        raise ReconstructionError(f"{name}={value!r}: expected a whole number >= {minimum}")
    return int(value)


def table_space(
    n_intervention: int | None = None,
    n_control: int | None = None,
    *,
    total: int | Iterable[int] | None = None,
    min_arm: int = 1,
    max_events: int | None = None,
) -> np.ndarray:
    """All candidate tables of one study as an int array of shape (m, 4): events_intervention, n_intervention, events_control, n_control.

    Either fixed arm sizes (``n_intervention`` and ``n_control``) or one or more totals N, each split every way
    (n_intervention = min_arm .. N − min_arm, n_control = N − n_intervention). Events run over 0..n in each arm, capped at
    ``max_events`` per arm when given. Built by broadcasting, no loop over candidates.
    """
    if total is not None:
        if n_intervention is not None or n_control is not None:
            raise ReconstructionError("give either n_intervention and n_control, or total (with all splits), not both")
        totals = [total] if isinstance(total, (int, np.integer)) else list(total)
        if not totals:
            raise ReconstructionError("total: expected at least one total sample size")
        min_arm = _as_int("min_arm", min_arm, 1)
        splits = []
        for t in totals:
            t = _as_int("total", t, 2 * min_arm)
            n1 = np.arange(min_arm, t - min_arm + 1)
            splits.append(np.column_stack([n1, t - n1]))
        arms = np.concatenate(splits)
    else:
        if n_intervention is None or n_control is None:
            raise ReconstructionError("give both n_intervention and n_control, or total")
        arms = np.array([[_as_int("n_intervention", n_intervention, 1), _as_int("n_control", n_control, 1)]])
    if max_events is not None:
        max_events = _as_int("max_events", max_events, 0)
    top = int(arms.max())
    ev = np.arange(top + 1)
    n1 = arms[:, 0][:, None, None]
    n2 = arms[:, 1][:, None, None]
    a = ev[None, :, None]
    c = ev[None, None, :]
    keep = (a <= n1) & (c <= n2)
    if max_events is not None:
        keep &= (a <= max_events) & (c <= max_events)
    A, N1, C, N2 = np.broadcast_arrays(a, n1, c, n2)
    return np.column_stack([A[keep], N1[keep], C[keep], N2[keep]]).astype(np.int64)


def _check_tables(name: str, tables: object) -> np.ndarray:
    arr = np.asarray(tables)
    if arr.ndim == 1 and arr.shape[0] == 4:
        arr = arr[None, :]
    if arr.ndim != 2 or arr.shape[1] != 4 or arr.shape[0] == 0:
        raise ReconstructionError(
            f"{name}: expected tables as rows (events_intervention, n_intervention, events_control, n_control), got shape {arr.shape}"
        )
    if not np.issubdtype(arr.dtype, np.number) or np.any(arr != np.round(arr)):
        raise ReconstructionError(f"{name}: expected whole-number counts")
    arr = arr.astype(np.int64)
    a, n1, c, n2 = arr.T
    for label, bad in (
        ("n_intervention < 1", n1 < 1),
        ("n_control < 1", n2 < 1),
        ("events_intervention outside 0..n_intervention", (a < 0) | (a > n1)),
        ("events_control outside 0..n_control", (c < 0) | (c > n2)),
    ):
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise ReconstructionError(f"{name}, table {i} {tuple(arr[i])}: {label}")
    return arr


def mh_components(
    tables: np.ndarray, zero_cell: ZeroCell = "revman"
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-table MH terms (R_i, S_i, P_i) of the module docstring, from the engine
    (:func:`mytools.engine.mantel_haenszel.mh_terms` with the engine's per-study rules,
    :func:`mytools.engine.effects.binary_rules`): a table with no events in both arms gives zeros
    (not estimable); one in which everyone had the event is kept with 0.5 added, as RevMan keeps it
    for RR. ``"events"`` adds 0.5 only when a = 0 or c = 0 (a teaching variant), ``"none"`` never.
    """
    if zero_cell not in ZERO_CELL_RULES:
        raise ReconstructionError(f"zero_cell={zero_cell!r}: expected one of {ZERO_CELL_RULES}")
    t = np.asarray(tables, dtype=float)
    a, n1, c, n2 = t[:, 0], t[:, 1], t[:, 2], t[:, 3]
    b, d = n1 - a, n2 - c
    corrected, estimable, _ = binary_rules(a, b, c, d, "RR", "revman")
    if zero_cell == "events":
        corrected = (a == 0) | (c == 0)
    add = np.where(corrected, 0.5, 0.0) if zero_cell != "none" else 0.0
    terms = mh_terms(a, b, c, d, "RR", add)
    return tuple(np.where(estimable, terms[x], 0.0) for x in ("R", "S", "P"))


def _pooled(r: np.ndarray, s: np.ndarray, p: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """RR and 95% CI from summed terms (the engine's :func:`~mytools.engine.mantel_haenszel.mh_combine`)."""
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        log_rr, var = mh_combine({"R": r, "S": s, "P": p}, "RR")
        se = np.sqrt(var)
        return np.exp(log_rr), np.exp(log_rr - Z95 * se), np.exp(log_rr + Z95 * se)


def mh_rr(tables: object, zero_cell: ZeroCell = "revman") -> tuple[float, float, float]:
    """Mantel–Haenszel fixed-effect RR with Greenland–Robins 95% CI for a set of studies: the
    engine's :func:`~mytools.engine.pooling.pool_binary` (RevMan 5 mode) for the engine's rules."""
    tab = _check_tables("tables", tables)
    if zero_cell in ("revman", "none"):
        try:
            r = pool_binary(*tab.T, measure="RR", method="MH", model="fixed", zero_cell=zero_cell)
        except NotEstimableError:
            return float("nan"), float("nan"), float("nan")
        return r.estimate, r.ci_low, r.ci_high
    r, s, p = mh_components(tab, zero_cell)
    est, lo, hi = _pooled(np.array([r.sum()]), np.array([s.sum()]), np.array([p.sum()]))
    return float(est[0]), float(lo[0]), float(hi[0])


@dataclass(frozen=True)
class Reconstruction:
    """Outcome of a search.

    ``solutions``: one row per unknown study per solution (``solution`` numbers them), with the
    study's table (events_intervention, n_intervention, events_control, n_control) and the pooled, unrounded estimate, ci_low and
    ci_high of the whole analysis (known studies included). ``n_candidates``: size of the search
    space (number of combinations of candidate tables examined).
    """

    target: Target
    solutions: pd.DataFrame
    n_candidates: int
    study_labels: tuple[str, ...]
    known: tuple[Table, ...]
    zero_cell: str
    space: tuple[str, ...] = field(default=())

    @property
    def n_solutions(self) -> int:
        return int(self.solutions["solution"].nunique()) if len(self.solutions) else 0

    @property
    def unique(self) -> bool:
        """True when exactly one combination of tables reproduces the target."""
        return self.n_solutions == 1

    def tables(self) -> list[tuple[Table, ...]]:
        """Each solution as a tuple of tables, one per unknown study, in ``study_labels`` order."""
        out = []
        for _, grp in self.solutions.groupby("solution", sort=True):
            out.append(tuple(tuple(int(x) for x in row) for row in grp[list(COLUMNS)].to_numpy()))
        return out

    def summary(self) -> str:
        """One sentence: target, space, number of candidates and of solutions."""
        return (
            f"target RR {self.target}; {self.n_candidates:,} candidate combinations "
            f"({'; '.join(self.space)}); {self.n_solutions} solution(s)"
        )


def _describe(tables: np.ndarray) -> str:
    n_pairs = np.unique(tables[:, [1, 3]], axis=0)
    sizes = np.unique(n_pairs.sum(axis=1))
    ev = int(max(tables[:, 0].max(), tables[:, 2].max()))
    if len(n_pairs) == 1:
        arms = f"n_intervention = {n_pairs[0, 0]}, n_control = {n_pairs[0, 1]}"
    else:
        arms = f"{len(n_pairs)} arm splits of N in {sorted(int(x) for x in sizes)}"
    return f"{arms}; events 0..{ev} per arm ({len(tables):,} tables)"


def reconstruct(
    target: Target | tuple[float, float, float],
    unknown: Sequence[object],
    known: Sequence[Table] = (),
    *,
    labels: Sequence[str] | None = None,
    zero_cell: ZeroCell = "revman",
    block_size: int = 1 << 22,
) -> Reconstruction:
    """Every combination of tables for the ``unknown`` studies that, pooled with the ``known``
    ones, reproduces ``target`` (MH fixed-effect RR, 95% CI, rounded).

    ``unknown``: one candidate set per unknown study, each an (m_i, 4) array such as
    :func:`table_space` returns. The search covers the Cartesian product Π m_i. It is vectorised:
    the MH terms of each candidate are computed once, and sums over the product are formed by
    broadcasting in blocks of about ``block_size`` combinations (no Python loop over candidates).
    A cheap linear pre-filter on the estimate (lo·S ≤ R < hi·S) precedes the CI computation.
    """
    if not isinstance(target, Target):
        target = Target(*target)
    if len(unknown) == 0:
        raise ReconstructionError("unknown: expected at least one candidate set (one per unknown study)")
    spaces = [_check_tables(f"unknown[{i}]", u) for i, u in enumerate(unknown)]
    labs = tuple(labels) if labels is not None else tuple(f"study {i + 1}" for i in range(len(spaces)))
    if len(labs) != len(spaces):
        raise ReconstructionError(f"labels: {len(labs)} given for {len(spaces)} unknown studies")
    known_arr = _check_tables("known", known) if len(known) else np.zeros((0, 4), dtype=np.int64)
    r0 = s0 = p0 = 0.0
    if len(known_arr):
        kr, ks, kp = mh_components(known_arr, zero_cell)
        r0, s0, p0 = float(kr.sum()), float(ks.sum()), float(kp.sum())
    comps = [mh_components(sp, zero_cell) for sp in spaces]
    lo_e, hi_e = target.window(target.estimate)
    slack = 1e-9  # keep values that sit on a rounding boundary for the exact test below
    lo_e, hi_e = lo_e * (1 - slack), hi_e * (1 + slack)

    ho, hl, n_candidates = _search(comps, spaces, (r0, s0, p0), (lo_e, hi_e), target, block_size)
    sol = _solutions(ho, hl, comps, spaces, labs, (r0, s0, p0))
    return Reconstruction(
        target=target,
        solutions=sol,
        n_candidates=n_candidates,
        study_labels=labs,
        known=tuple(tuple(int(x) for x in row) for row in known_arr),
        zero_cell=zero_cell,
        space=tuple(f"{lab}: {_describe(sp)}" for lab, sp in zip(labs, spaces)),
    )


def _search(comps: list, spaces: list[np.ndarray], base: tuple[float, float, float],
            window: tuple[float, float], target: Target, block_size: int) -> tuple[np.ndarray, np.ndarray, int]:
    """Indices (outer flat index, last-study index) of the combinations that reproduce ``target``.

    The product of all candidate sets is walked in blocks of about ``block_size`` combinations;
    a linear pre-filter on the estimate (lo·S ≤ R < hi·S) precedes the exact rounded-CI test.
    """
    r0, s0, p0 = base
    lo_e, hi_e = window
    *outer, last = comps
    outer_shape = tuple(len(sp) for sp in spaces[:-1])
    n_outer = int(np.prod(outer_shape)) if outer_shape else 1
    m_last = len(spaces[-1])
    rows = max(1, block_size // m_last)
    last_cols = np.arange(m_last)
    hits_outer: list[np.ndarray] = []
    hits_last: list[np.ndarray] = []
    for start in range(0, n_outer, rows):
        flat = np.arange(start, min(start + rows, n_outer))
        idx = np.unravel_index(flat, outer_shape) if outer_shape else ()
        r_o, s_o, p_o = np.full(len(flat), r0), np.full(len(flat), s0), np.full(len(flat), p0)
        for (r, s, p), i in zip(outer, idx):
            r_o += r[i]
            s_o += s[i]
            p_o += p[i]
        # linear pre-filter on the estimate: lo <= R/S < hi  <=>  R - lo*S >= 0 and R - hi*S < 0
        ok = ((r_o - lo_e * s_o)[:, None] + (last[0] - lo_e * last[1])[None, :]) >= 0
        ok &= ((r_o - hi_e * s_o)[:, None] + (last[0] - hi_e * last[1])[None, :]) < 0
        i_o, i_l = np.nonzero(ok)
        if i_o.size:
            good = target.matches(*_pooled(r_o[i_o] + last[0][i_l], s_o[i_o] + last[1][i_l],
                                           p_o[i_o] + last[2][i_l]))
            hits_outer.append(flat[i_o[good]])
            hits_last.append(last_cols[i_l[good]])
    ho = np.concatenate(hits_outer) if hits_outer else np.zeros(0, dtype=np.int64)
    hl = np.concatenate(hits_last) if hits_last else np.zeros(0, dtype=np.int64)
    order = np.lexsort((hl, ho))
    return ho[order], hl[order], n_outer * m_last


def _solutions(ho: np.ndarray, hl: np.ndarray, comps: list, spaces: list[np.ndarray],
               labs: tuple[str, ...], base: tuple[float, float, float]) -> pd.DataFrame:
    """One row per study per solution: the table and the pooled RR with its CI."""
    outer_shape = tuple(len(sp) for sp in spaces[:-1])
    chosen = list(np.unravel_index(ho, outer_shape)) if outer_shape else []
    chosen.append(hl)
    r, s, p = (np.full(len(ho), b) for b in base)
    for (cr, cs, cp), i in zip(comps, chosen):
        r, s, p = r + cr[i], s + cs[i], p + cp[i]
    est, lo, hi = _pooled(r, s, p)
    frames = []
    for j in range(len(spaces)):
        df = pd.DataFrame(spaces[j][chosen[j]], columns=list(COLUMNS))
        df.insert(0, "study", labs[j])
        df.insert(0, "solution", np.arange(1, len(ho) + 1))
        df["estimate"], df["ci_low"], df["ci_high"] = est, lo, hi
        frames.append(df)
    sol = pd.concat(frames, ignore_index=True).sort_values("solution", kind="stable")
    return sol.reset_index(drop=True)


def reconstruct_table(
    estimate: float,
    ci_low: float,
    ci_high: float,
    *,
    n_intervention: int | None = None,
    n_control: int | None = None,
    total: int | Iterable[int] | None = None,
    max_events: int | None = None,
    known: Sequence[Table] = (),
    label: str = "unknown study",
    zero_cell: ZeroCell = "revman",
) -> Reconstruction:
    """One unknown study: every table (given arm sizes, or totals split every way) that alone, or
    pooled with ``known`` tables, reproduces the published RR and 95% CI."""
    space = table_space(n_intervention, n_control, total=total, max_events=max_events)
    return reconstruct(
        Target(estimate, ci_low, ci_high), [space], known, labels=[label], zero_cell=zero_cell
    )
