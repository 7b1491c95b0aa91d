"""Per-study effects of every row of a review at once, as RevMan computes and displays them.

Everything is vectorised over the rows (one NumPy pass per measure), so a review of thousands of
rows costs a few milliseconds. The formulas are those of the engine (:mod:`mytools.engine.effects`,
Deeks & Higgins, *Statistical algorithms in Review Manager 5*, 2010) applied row-wise with RevMan's
row-level rules, which the engine's study-level functions do not all have yet:

* zero cells: 0.5 added to every cell of a row with a zero cell; no events in both arms → not
  estimable for RR/OR/Peto; **every participant had the event in both arms** → RR = 1 from the raw
  counts with the variance of the 0.5-corrected cells (as RevMan shows it: RR 1 with a corrected CI
  and a weight), OR not estimable; RD from the raw counts, variance from the corrected cells;
* Peto OR from the 2×2 table: O − E = a − n₁(a + c)/N, V = n₁n₂(a + c)(b + d)/(N²(N − 1)),
  ln OR = (O − E)/V, var = 1/V; or from the row's own O − E and variance;
* "swap event and non-event": events → N − events in both arms before anything else;
* study CI level from the settings (95%, 99%, 90%): θ ± z_{(1+level)/2}·√v;
* SMD as RevMan's Hedges' g (engine ``smd="revman"``).

A row that cannot be computed gets ``estimable=False`` and a ``reason`` (never an exception).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import special

__all__ = ["StudyEffects", "study_effects", "z_crit", "MEASURES_BY_TYPE"]

MEASURES_BY_TYPE = {
    "dichotomous": ("RR", "OR", "RD", "PETO_OR"),
    "continuous": ("MD", "SMD"),
    "generic": ("generic",),
    "o_e": ("PETO_OR",),
}
LOG_MEASURES = {"RR", "OR", "PETO_OR", "HR"}


def z_crit(level: float) -> float:
    """Two-sided normal critical value z_{(1+level)/2} (1.959964 for 95%)."""
    return float(-special.ndtri((1.0 - level) / 2.0))


@dataclass(frozen=True)
class StudyEffects:
    """Row-wise effects: ``y``/``v`` on the analysis scale, display-scale ``estimate``/CI."""

    y: np.ndarray
    v: np.ndarray
    estimable: np.ndarray
    reason: np.ndarray  # object array of str ("" when estimable)
    log_scale: bool
    corrected: np.ndarray  # 0.5 added to the cells (dichotomous only)

    def display(self, level: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Estimate, CI low, CI high on the display scale at ``level``."""
        half = z_crit(level) * np.sqrt(self.v)
        lo, hi = self.y - half, self.y + half
        if self.log_scale:
            return np.exp(self.y), np.exp(lo), np.exp(hi)
        return self.y.copy(), lo, hi


NUMERIC = ("events_intervention", "n_intervention", "events_control", "n_control",
           "mean_intervention", "sd_intervention", "mean_control", "sd_control", "giv_estimate",
           "giv_se", "o_e", "variance")


def as_arrays(rows: pd.DataFrame) -> dict[str, np.ndarray]:
    """The numeric input columns of ``rows`` as float arrays (missing columns → NaN)."""
    n = len(rows)
    return {c: (pd.to_numeric(rows[c], errors="coerce").to_numpy(dtype=float) if c in rows
                else np.full(n, np.nan)) for c in NUMERIC}


def _col(rows, name: str) -> np.ndarray:
    if isinstance(rows, dict):
        return rows[name]
    if name not in rows:
        return np.full(_len(rows), np.nan)
    return pd.to_numeric(rows[name], errors="coerce").to_numpy(dtype=float)


def _len(rows) -> int:
    return len(next(iter(rows.values()))) if isinstance(rows, dict) else len(rows)


def _cells(rows: pd.DataFrame, swap: np.ndarray):
    a, n1 = _col(rows, "events_intervention"), _col(rows, "n_intervention")
    c, n2 = _col(rows, "events_control"), _col(rows, "n_control")
    a = np.where(swap, n1 - a, a)
    c = np.where(swap, n2 - c, c)
    ok = (np.isfinite(a) & np.isfinite(c) & np.isfinite(n1) & np.isfinite(n2)
          & (n1 > 0) & (n2 > 0) & (a >= 0) & (c >= 0) & (a <= n1) & (c <= n2))
    return a, n1 - a, c, n2 - c, n1, n2, ok


def _dichotomous(rows: pd.DataFrame, measure: str, swap: np.ndarray):
    a, b, c, d, n1, n2, ok = _cells(rows, swap)
    reason = np.where(ok, "", "events and totals missing or inconsistent").astype(object)
    none_ev = (a + c) == 0
    all_ev = (b + d) == 0
    corr = ok & ((a == 0) | (b == 0) | (c == 0) | (d == 0))
    ac, bc, cc, dc = (x + 0.5 * corr for x in (a, b, c, d))
    n1c, n2c = ac + bc, cc + dc
    y = np.full(_len(rows), np.nan)
    v = np.full(_len(rows), np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        if measure == "RR":
            est = ok & ~none_ev
            y = np.where(all_ev, 0.0, np.log((ac / n1c) / (cc / n2c)))
            v = 1 / ac - 1 / n1c + 1 / cc - 1 / n2c
            reason[ok & none_ev] = "no events in either arm"
        elif measure == "OR":
            est = ok & ~none_ev & ~all_ev
            y = np.log((ac * dc) / (bc * cc))
            v = 1 / ac + 1 / bc + 1 / cc + 1 / dc
            reason[ok & (none_ev | all_ev)] = "no events, or all events, in both arms"
        elif measure == "RD":
            est = ok.copy()
            y = a / n1 - c / n2
            v = ac * bc / n1c**3 + cc * dc / n2c**3
        else:  # Peto OR from the 2x2 table, raw counts
            N = n1 + n2
            oe = a - n1 * (a + c) / N
            V = n1 * n2 * (a + c) * (b + d) / (N**2 * (N - 1))
            est = ok & (V > 0)
            y, v = oe / V, 1 / V
            reason[ok & ~(V > 0)] = "Peto variance is 0 (no events, or all events, in both arms)"
    return y, v, est, reason, corr


def _continuous(rows: pd.DataFrame, measure: str):
    m1, s1, n1 = (_col(rows, f"{x}_intervention") for x in ("mean", "sd", "n"))
    m2, s2, n2 = (_col(rows, f"{x}_control") for x in ("mean", "sd", "n"))
    ok = np.isfinite(m1 + s1 + n1 + m2 + s2 + n2) & (n1 > 0) & (n2 > 0)
    reason = np.where(ok, "", "mean, SD or N missing").astype(object)
    sd_ok = (s1 > 0) & (s2 > 0)
    reason[ok & ~sd_ok] = "SD is 0 or missing"
    ok &= sd_ok
    with np.errstate(divide="ignore", invalid="ignore"):
        if measure == "MD":
            y, v = m1 - m2, s1**2 / n1 + s2**2 / n2
        else:
            N = n1 + n2
            sp = np.sqrt(((n1 - 1) * s1**2 + (n2 - 1) * s2**2) / (N - 2))
            y = (1 - 3 / (4 * N - 9)) * (m1 - m2) / sp
            v = N / (n1 * n2) + y**2 / (2 * (N - 3.94))
            small = ok & (N < 4)
            reason[small] = "SMD needs at least 4 participants"
            ok &= ~small
    return y, v, ok, reason


def study_effects(rows: pd.DataFrame, data_type: str | np.ndarray, measure: str | np.ndarray,
                  *, swap: bool | np.ndarray = False, log_scale: bool | np.ndarray = False) -> StudyEffects:
    """Effects of ``rows`` (ReviewData.rows columns) for one data type and measure.

    ``data_type``: "dichotomous" | "continuous" | "generic" | "o_e"; ``measure`` one of
    :data:`MEASURES_BY_TYPE` for it. For "generic", ``log_scale`` says that ``giv_estimate`` is a
    log (display = exp). Scalars apply to every row.
    """
    n = _len(rows)
    swap_a = np.broadcast_to(np.asarray(swap, dtype=bool), (n,))
    corr = np.zeros(n, dtype=bool)
    if data_type == "dichotomous" and measure in ("RR", "OR", "RD", "PETO_OR"):
        y, v, est, reason, corr = _dichotomous(rows, measure, swap_a)
        log = measure != "RD"
    elif data_type == "continuous" and measure in ("MD", "SMD"):
        y, v, est, reason = _continuous(rows, measure)
        log = False
    elif data_type == "o_e" or (data_type == "dichotomous" and measure == "PETO_OE"):
        oe, V = _col(rows, "o_e"), _col(rows, "variance")
        est = np.isfinite(oe) & np.isfinite(V) & (V > 0)
        reason = np.where(est, "", "O-E or variance missing, or variance not > 0").astype(object)
        with np.errstate(divide="ignore", invalid="ignore"):
            y, v = oe / V, 1 / V
        log = True
    elif data_type == "generic":
        y, se = _col(rows, "giv_estimate"), _col(rows, "giv_se")
        est = np.isfinite(y) & np.isfinite(se) & (se > 0)
        reason = np.where(est, "", "GIV estimate or SE missing, or SE not > 0").astype(object)
        v = se**2
        log = bool(np.all(log_scale))
    else:
        raise ValueError(f"no per-study effect for data type {data_type!r} with measure {measure!r}")
    est = est & np.isfinite(y) & np.isfinite(v) & (v > 0)
    reason = np.where(est | (reason != ""), reason, "not estimable").astype(object)
    y = np.where(est, y, np.nan)
    v = np.where(est, v, np.nan)
    return StudyEffects(y=y, v=v, estimable=est, reason=reason, log_scale=log, corrected=corr)


def effects_by_setting(rows: pd.DataFrame, keys: pd.DataFrame) -> StudyEffects:
    """Effects of every row, each with its own analysis's settings.

    ``keys``: one row per row of ``rows`` (same order) with columns ``data_type``, ``measure``,
    ``swap_events`` and ``log_scale``; rows sharing settings are computed in one vectorised pass.
    """
    n = _len(rows)
    y, v = np.full(n, np.nan), np.full(n, np.nan)
    est, corr = np.zeros(n, dtype=bool), np.zeros(n, dtype=bool)
    reason = np.full(n, "", dtype=object)
    log = np.zeros(n, dtype=bool)
    cols = ["data_type", "measure", "swap_events", "log_scale"]
    arrs = rows if isinstance(rows, dict) else as_arrays(rows)
    k = keys[cols].reset_index(drop=True)
    code, uniq = pd.factorize(pd.MultiIndex.from_frame(k.astype(object)), sort=False)
    for j, (dt, m, sw, lg) in enumerate(uniq):
        pos = np.flatnonzero(code == j)
        if not isinstance(dt, str) or not isinstance(m, str):
            reason[pos] = "data type or effect measure unknown"
            continue
        try:
            se = study_effects({c: x[pos] for c, x in arrs.items()}, dt, m, swap=bool(sw),
                               log_scale=bool(lg))
        except ValueError as exc:
            reason[pos] = str(exc)
            continue
        y[pos], v[pos], est[pos], corr[pos] = se.y, se.v, se.estimable, se.corrected
        reason[pos], log[pos] = se.reason, se.log_scale
    return StudyEffects(y=y, v=v, estimable=est, reason=reason, log_scale=log, corrected=corr)


def display_rows(se: StudyEffects, level: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Display-scale estimate and CI per row with a per-row ``log_scale`` and CI ``level``."""
    z = -special.ndtri((1.0 - np.asarray(level, dtype=float)) / 2.0)
    half = z * np.sqrt(se.v)
    lo, hi = se.y - half, se.y + half
    log = np.broadcast_to(np.asarray(se.log_scale, dtype=bool), se.y.shape)
    with np.errstate(over="ignore"):
        return (np.where(log, np.exp(se.y), se.y), np.where(log, np.exp(lo), lo),
                np.where(log, np.exp(hi), hi))
