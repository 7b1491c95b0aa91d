"""Per-study effect sizes (RR, OR, RD, MD, SMD) with RevMan 5's zero-cell rules, and input checks.

Everything here is plain NumPy on 1-D arrays; nothing knows about files, plots or chapters.
Ratios (RR, OR) are returned on the log scale: ``y`` is the analysis-scale estimate and ``v`` its
variance. Formulas follow Deeks & Higgins, *Statistical algorithms in Review Manager 5* (2010),
the Cochrane Handbook (5.1, ch. 9 and 16) and, for the "exact" SMD, Hedges (1981) as implemented
in metafor's ``escalc(measure="SMD")`` (Viechtbauer 2010).

Zero cells (``zero_cell="revman"``, RevMan 5): a study with a zero in any of its four cells gets 0.5
added to *every* cell; a study with no events in both arms ("double zero") has no estimable RR or
OR and is flagged ``estimable=False``. A study in which every participant in both arms had the
event has no OR either; for RR RevMan keeps it (RR = 1, variance of the 0.5-corrected cells,
non-zero weight — established on RevMan's own rows, see :func:`binary_effects`), and so do we
unless ``all_events="exclude"`` (our choice in the MODERN mode: such a study says nothing about a
ratio, Cochrane Handbook 10.4.4). The risk difference
of such a study is estimable (RD = 0): it is kept, with 0.5 added to its cells for the variance
only (the behaviour of R ``meta``'s RevMan-compatible settings, where non-informative studies are
always included for RD and ``allstudies`` applies only to RR/OR, and of metafor's ``rma.mh`` for RD).
We have no RevMan file with a zero-cell RD study to check this against; treat the RD zero-cell
rules as meta's reading of RevMan, not as verified RevMan output.

Numbers beyond double precision (:func:`finite_effects`): a study whose effect or variance is not
a finite number — an SD of 1e308 squares to ∞, an SE of 1e-160 to 0, counts near 1e308 cancel
to a variance of 0 — is not estimable (``nonfinite`` True), as RevMan shows a study it cannot
estimate; it never reaches the pooling as ∞ or NaN, and no RuntimeWarning is raised.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
from scipy.special import gammaln

from .errors import InputError
from .vocabulary import ALL_EVENTS_RULES, BINARY_MEASURES, CONTINUOUS_MEASURES, SMD_METHODS

__all__ = [
    "EffectSizes",
    "binary_effects",
    "continuous_effects",
    "generic_effects",
    "binary_rules",
    "check_option",
    "make_labels",
    "RowLabels",
    "finite_effects",
    "ratio_overflows",
    "NONFINITE_NOTE",
    "LOG_MAX",
]

LOG_MAX = float(np.log(np.finfo(float).max))  # 709.78…: a ratio e^y with |y| above it is 0 or ∞
NONFINITE_NOTE = ("effect or variance not a finite number in double precision (overflow or "
                  "underflow), not estimable: ")



@dataclass(frozen=True)
class EffectSizes:
    """Per-study effects on the analysis scale (log for RR/OR).

    ``y``/``v``: estimate and variance (NaN only where ``estimable`` is False);
    ``corrected``: True where 0.5 was added to every cell (binary data only);
    ``nonfinite``: True where the inputs were valid but the effect or variance is not a finite
    number in double precision (:func:`finite_effects`; also ``estimable`` False).
    """

    measure: str
    labels: tuple[str, ...]
    y: np.ndarray
    v: np.ndarray
    estimable: np.ndarray
    log_scale: bool
    corrected: np.ndarray
    nonfinite: np.ndarray | None = None


def finite_effects(y, v, log_scale=False) -> np.ndarray:
    """True where a study can be pooled as numbers: y, v and the weight 1/v finite, v > 0 and, on
    the log scale, the ratio e^y neither ∞ nor 0 (|y| ≤ ln(largest double) ≈ 709.78). The one rule
    for every entry point (scalar functions, ``pool_many``, ``pool_batch``)."""
    y, v = np.asarray(y, dtype=float), np.asarray(v, dtype=float)
    with np.errstate(all="ignore"):
        ok = np.isfinite(y) & (v > 0) & np.isfinite(v) & np.isfinite(1.0 / v)
        if np.ndim(log_scale) or log_scale:
            ok &= ~np.asarray(log_scale, dtype=bool) | (np.abs(y) <= LOG_MAX)
    return ok


def ratio_overflows(*xs) -> np.ndarray:
    """True where any of the log-scale values ``xs`` has no finite ratio e^x > 0 (|x| > 709.78;
    NaN is not counted): a pooled ratio, CI or prediction bound that cannot be shown."""
    with np.errstate(invalid="ignore"):
        return np.logical_or.reduce([np.abs(x) > LOG_MAX for x in xs])


def _finite(y, v, est, log_scale=False):
    """(y, v, estimable, nonfinite): studies outside :func:`finite_effects` not estimable."""
    fin = finite_effects(y, v, log_scale)
    nonfinite = est & ~fin
    est = est & fin
    return np.where(est, y, np.nan), np.where(est, v, np.nan), est, nonfinite


def check_option(name: str, value: object, allowed: Sequence[str]) -> str:
    """Return ``value`` if it is one of ``allowed``; otherwise raise an error naming the option."""
    if not isinstance(value, str) or value not in allowed:
        raise InputError(f"unknown {name}={value!r}; expected one of {', '.join(map(repr, allowed))}")
    return value


class RowLabels(Sequence[str]):
    """Labels ``row i`` of the rows ``idx`` of a batch, each formatted only when read (an error
    names a study by its label; a batch of thousands of rows should not format them all)."""

    def __init__(self, idx: np.ndarray):
        self._idx = idx

    def __len__(self) -> int:
        return len(self._idx)

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [f"row {j}" for j in self._idx[i]]
        return f"row {self._idx[i]}"


def make_labels(labels: Sequence[object] | None, k: int) -> Sequence[str]:
    """Study labels as strings; ``study 1``, ``study 2``, ... when none are given (a
    :class:`RowLabels` is kept as it is)."""
    if labels is None:
        return tuple(f"study {i + 1}" for i in range(k))
    out = labels if isinstance(labels, RowLabels) else tuple(str(x) for x in labels)
    if len(out) != k:
        raise InputError(f"field 'labels' has {len(out)} entries but the data have {k} studies")
    return out


def _where(labels: tuple[str, ...], i: int) -> str:
    return f"study {labels[i]!r} (index {i})"


def _array(name: str, x: object, labels: tuple[str, ...] | None = None) -> np.ndarray:
    """A 1-D float array with every value finite; errors name the study and the field."""
    try:
        arr = np.asarray(x, dtype=float)
    except (TypeError, ValueError) as exc:
        raise InputError(f"field {name!r} must be numeric: {exc}") from None
    if arr.ndim == 0:
        arr = arr.reshape(1)
    if arr.ndim != 1:
        raise InputError(f"field {name!r} must be one-dimensional, got shape {arr.shape}")
    bad = np.flatnonzero(~np.isfinite(arr))
    if bad.size:
        i = int(bad[0])
        where = _where(labels, i) if labels is not None and i < len(labels) else f"study at index {i}"
        raise InputError(f"{where}: field {name!r} is {arr[i]!r}; expected a finite number")
    return arr


def _arrays(fields: dict[str, object], labels: Sequence[object] | None):
    lengths = {}
    for name, x in fields.items():
        if isinstance(x, np.ndarray):  # an array's size, without an object copy of its values
            lengths[name] = int(x.size)
            continue
        try:
            lengths[name] = int(np.size(np.asarray(x, dtype=object)))
        except Exception:  # pragma: no cover - np.size handles any sequence
            lengths[name] = -1
    if len(set(lengths.values())) != 1:
        detail = ", ".join(f"{k}={n}" for k, n in lengths.items())
        raise InputError(f"mismatched lengths: {detail}")
    k = next(iter(lengths.values()))
    if k == 0:
        raise InputError("no studies given (all input fields are empty)")
    labs = make_labels(labels, k)
    return labs, [_array(name, x, labs) for name, x in fields.items()]


def _require(cond: np.ndarray, labels: tuple[str, ...], msg) -> None:
    bad = np.flatnonzero(~cond)
    if bad.size:
        i = int(bad[0])
        raise InputError(f"{_where(labels, i)}: {msg(i)}")


def _check_counts(name: str, x: np.ndarray, labels: tuple[str, ...]) -> None:
    _require(x >= 0, labels, lambda i: f"field {name!r} is {x[i]:g}; counts must not be negative")
    _require(x == np.round(x), labels, lambda i: f"field {name!r} is {x[i]:g}; counts must be whole numbers")


def binary_effects(
    events_intervention: object,
    n_intervention: object,
    events_control: object,
    n_control: object,
    *,
    measure: str = "RR",
    labels: Sequence[object] | None = None,
    all_events: str = "revman",
) -> tuple[EffectSizes, dict[str, np.ndarray]]:
    """Per-study RR, OR or RD from 2x2 tables, RevMan 5 rules.

    Cells a = events_intervention, b = n_intervention − a, c = events_control, d = n_control − c.
    Studies with a zero cell get 0.5 added to all four cells. Then (Deeks & Higgins 2010):
    log RR = ln[(a/n1)/(c/n2)], var = 1/a - 1/n1 + 1/c - 1/n2;
    log OR = ln(ad/bc), var = 1/a + 1/b + 1/c + 1/d;
    RD = a/n1 - c/n2 on the raw counts, var = ab/n1^3 + cd/n2^3 on the corrected cells (the 0.5 is
    needed only for the variance; R meta's RevMan-compatible convention, see R/metabin.R,
    "RevMan 3.1 (MH.exact == FALSE)"; no RevMan file with a zero-cell RD study was found).
    Studies with no events in both arms (a + c = 0) are not estimable for RR and OR; studies in
    which every participant had the event in both arms (b + d = 0) are not estimable for OR, and for
    RR only with ``all_events="exclude"``. With ``all_events="revman"`` (RevMan 5 and RevMan Web)
    such a study has RR = 1 exactly (ln RR = 0 from the raw counts) and the variance of the
    0.5-corrected cells: established from RevMan's own rows in the Pairwise70 sample (CD003594
    3.2 Valverde 2010, 7/7 vs 10/10: RR 1.0, CI 0.802078 to 1.246761; CD010861 1.7).

    Returns the effects and the validated raw arrays ``{"a","b","c","d","n1","n2"}`` (floats).
    """
    check_option("measure", measure, BINARY_MEASURES)
    check_option("all_events", all_events, ALL_EVENTS_RULES)
    labs, (a, n1, c, n2) = _arrays(
        {"events_intervention": events_intervention, "n_intervention": n_intervention,
         "events_control": events_control, "n_control": n_control}, labels
    )
    for name, x in (("events_intervention", a), ("n_intervention", n1), ("events_control", c),
                    ("n_control", n2)):
        _check_counts(name, x, labs)
    _require(n1 > 0, labs, lambda i: f"field 'n_intervention' is {n1[i]:g}; group sizes must be at least 1")
    _require(n2 > 0, labs, lambda i: f"field 'n_control' is {n2[i]:g}; group sizes must be at least 1")
    _require(a <= n1, labs,
             lambda i: f"field 'events_intervention' = {a[i]:g} exceeds 'n_intervention' = {n1[i]:g}")
    _require(c <= n2, labs,
             lambda i: f"field 'events_control' = {c[i]:g} exceeds 'n_control' = {n2[i]:g}")
    b, d = n1 - a, n2 - c
    raw = {"a": a, "b": b, "c": c, "d": d, "n1": n1, "n2": n2}
    corrected, estimable, all_ev = binary_rules(a, b, c, d, measure, all_events)
    ac, bc, cc, dc = (x + 0.5 * corrected for x in (a, b, c, d))
    n1c, n2c = ac + bc, cc + dc
    y = np.full(a.shape, np.nan)
    v = np.full(a.shape, np.nan)
    e = estimable
    with np.errstate(all="ignore"):
        if measure == "RR":
            y[e] = np.where(all_ev[e], 0.0, np.log((ac[e] / n1c[e]) / (cc[e] / n2c[e])))
            v[e] = 1 / ac[e] - 1 / n1c[e] + 1 / cc[e] - 1 / n2c[e]
        elif measure == "OR":
            y[e] = np.log((ac[e] * dc[e]) / (bc[e] * cc[e]))
            v[e] = 1 / ac[e] + 1 / bc[e] + 1 / cc[e] + 1 / dc[e]
        else:  # RD on the raw counts; the 0.5 correction enters the variance only
            y[e] = a[e] / n1[e] - c[e] / n2[e]
            v[e] = ac[e] * bc[e] / n1c[e] ** 3 + cc[e] * dc[e] / n2c[e] ** 3
    y, v, e, nonfinite = _finite(y, v, estimable.astype(bool), measure != "RD")
    return EffectSizes(measure, labs, y, v, e, measure != "RD", corrected, nonfinite), raw


def binary_rules(a, b, c, d, measure: str = "RR", all_events: str = "revman"):
    """RevMan's per-study rules for 2×2 cells, the one copy: ``corrected`` (a zero in any cell: 0.5
    is added to every cell), ``estimable`` (RR/OR: not when no events in both arms; OR, and RR
    with ``all_events="exclude"``: not when every participant had the event in both arms; RD:
    always) and ``all_events`` (every participant an event in both arms, some events)."""
    a, b, c, d = (np.asarray(x, dtype=float) for x in (a, b, c, d))
    corrected = (a == 0) | (b == 0) | (c == 0) | (d == 0)
    no_events = (a == 0) & (c == 0)
    all_ev = (b == 0) & (d == 0) & ~no_events
    if measure == "RD":
        estimable = np.ones_like(corrected)
    elif measure == "RR" and all_events == "revman":
        estimable = ~no_events
    else:
        estimable = ~(no_events | all_ev)
    return corrected, estimable, all_ev


def _hedges_j_exact(m: np.ndarray) -> np.ndarray:
    """Exact Hedges correction J(m) = Γ(m/2) / (√(m/2) Γ((m−1)/2)), m = n_t + n_c − 2."""
    return np.exp(gammaln(m / 2) - 0.5 * np.log(m / 2) - gammaln((m - 1) / 2))


def continuous_effects(
    mean_intervention: object,
    sd_intervention: object,
    n_intervention: object,
    mean_control: object,
    sd_control: object,
    n_control: object,
    *,
    measure: str = "MD",
    smd: str = "revman",
    labels: Sequence[object] | None = None,
) -> tuple[EffectSizes, dict[str, np.ndarray]]:
    """Per-study MD or SMD; a study with an SD of 0 in either arm is not estimable (zero
    variance: kept with ``estimable=False``, as RevMan shows it), a negative SD an error.

    MD = m1 − m2, var = s1²/n1 + s2²/n2.
    SMD, pooled SD s = √(((n1−1)s1² + (n2−1)s2²)/(N−2)), N = n1 + n2, d = (m1 − m2)/s, g = J·d:
    ``smd="revman"`` (RevMan 5, Deeks & Higgins 2010): J = 1 − 3/(4N − 9),
    SE = √(N/(n1 n2) + g²/(2(N − 3.94))); at N = 3 this J is 0 and RevMan shows g = 0 with
    SE = √(N/(n1 n2)) (CD015331 1.56, Morrison 2020 (MAPS), 2 vs 1 participants: 0.00 [−2.40, 2.40]);
    ``smd="exact"`` (metafor ``escalc("SMD")``, vtype "LS"): J = Γ(m/2)/(√(m/2) Γ((m−1)/2)),
    m = N − 2, var = 1/n1 + 1/n2 + g²/(2N).
    """
    check_option("measure", measure, CONTINUOUS_MEASURES)
    check_option("smd", smd, SMD_METHODS)
    labs, (m1, s1, n1, m2, s2, n2) = _arrays(
        {"mean_intervention": mean_intervention, "sd_intervention": sd_intervention,
         "n_intervention": n_intervention, "mean_control": mean_control, "sd_control": sd_control,
         "n_control": n_control},
        labels,
    )
    for name, x in (("sd_intervention", s1), ("sd_control", s2)):
        _require(x >= 0, labs, lambda i, x=x, name=name: f"field {name!r} is {x[i]:g}; SDs must be ≥ 0")
    for name, x in (("n_intervention", n1), ("n_control", n2)):
        _check_counts(name, x, labs)
        _require(x > 0, labs, lambda i, x=x, name=name: f"field {name!r} is {x[i]:g}; group sizes must be at least 1")
    raw = {"m1": m1, "s1": s1, "n1": n1, "m2": m2, "s2": s2, "n2": n2}
    if measure == "SMD":
        with np.errstate(over="ignore"):
            N = n1 + n2
        least = 3 if smd == "revman" else 4  # RevMan: J = 0 at N = 3, so g = 0 (see docstring)
        _require(N >= least, labs, lambda i: f"fields 'n_intervention' + 'n_control' = {N[i]:g}; "
                 f"the SMD needs at least {least} participants")
    with np.errstate(all="ignore"):  # beyond double precision: not estimable (_finite)
        if measure == "MD":
            y = m1 - m2
            v = s1**2 / n1 + s2**2 / n2
        else:
            sp = np.sqrt(((n1 - 1) * s1**2 + (n2 - 1) * s2**2) / (N - 2))
            d = (m1 - m2) / sp
            if smd == "revman":
                y = (1 - 3 / (4 * N - 9)) * d
                v = N / (n1 * n2) + y**2 / (2 * (N - 3.94))
            else:
                y = _hedges_j_exact(N - 2) * d
                v = 1 / n1 + 1 / n2 + y**2 / (2 * N)
    est = (s1 > 0) & (s2 > 0)  # an SD of 0: zero variance, not estimable (RevMan)
    y, v, est, nonfinite = _finite(y, v, est)
    return EffectSizes(measure, labs, y, v, est, False, np.zeros(y.shape, dtype=bool), nonfinite), raw


def generic_effects(
    estimate: object,
    se: object,
    *,
    log_scale: bool = False,
    labels: Sequence[object] | None = None,
) -> EffectSizes:
    """Generic inverse-variance input: estimate (natural scale; ratios when ``log_scale``) and SE.

    With ``log_scale=True`` the estimate is a ratio (> 0) and ``se`` is the SE of its logarithm,
    as RevMan's generic inverse-variance outcomes store them; y = ln(estimate), v = se². A study
    with SE 0 has zero variance and is not estimable (``estimable=False``, as RevMan shows it).
    """
    if not isinstance(log_scale, (bool, np.bool_)):
        raise InputError(f"log_scale must be True or False, got {log_scale!r}")
    labs, (est, s) = _arrays({"estimate": estimate, "se": se}, labels)
    _require(s >= 0, labs, lambda i: f"field 'se' is {s[i]:g}; standard errors must be ≥ 0")
    if log_scale:
        _require(est > 0, labs, lambda i: f"field 'estimate' is {est[i]:g}; a ratio must be > 0")
        y = np.log(est)
    else:
        y = est.copy()
    with np.errstate(over="ignore", under="ignore"):
        v = s**2
    y, v, est, nonfinite = _finite(y, v, s > 0, bool(log_scale))  # SE 0: not estimable (RevMan)
    return EffectSizes("generic", labs, y, v, est, bool(log_scale), np.zeros(y.shape, dtype=bool),
                       nonfinite)
