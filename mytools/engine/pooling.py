"""The public pooling functions: 2×2 tables, means and SDs, generic inverse variance, O − E.

Every function takes the analysis (measure, method, model) and ``settings`` — a named mode
(``REVMAN5``, the default; ``REVMAN_WEB``; ``MODERN``: :mod:`mytools.engine.settings`) — plus single
overrides (``tau2_method=``, ``ci_method=``, ``ci_level=`` …). Arms are named intervention and
control. Per-study effects: :mod:`.effects`, :mod:`.peto`; the MH fit: :mod:`.mantel_haenszel`;
everything after that (IV, τ², HKSJ, Q/I², prediction interval) is the vectorised core
(:mod:`.core`) called as a batch of one by :func:`~mytools.engine.finish.finish_pooling`.

Not-estimable data: double-zero studies are kept in ``studies`` with ``estimable=False`` and left
out of the pooling (a note says so). When *no* study is estimable, :class:`NotEstimableError`
(a ``ValueError``) is raised — never a silent NaN. The edges (one study with HKSJ, HKSJ with
q = 0, an infinite MH fit, a pooled number that overflows double precision) are decided once in
:mod:`.core` and are the same in ``pool_many`` and ``pool_batch``. A study with SE or SD 0, or
whose effect or variance is not a finite number (:func:`~.effects.finite_effects`), is not
estimable (kept, left out, noted); a zero group size is an :class:`InputError` naming the study.

>>> r = pool_binary([12, 5], [50, 40], [20, 9], [50, 41])      # RevMan 5: MH RR, fixed effect
>>> round(r.estimate, 4), round(r.ci_low, 4), round(r.ci_high, 4)
(0.5906, 0.3525, 0.9895)
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

from .effects import (
    NONFINITE_NOTE,
    _arrays,
    _finite,
    binary_effects,
    check_option,
    continuous_effects,
    generic_effects,
)
from .errors import InputError
from .finish import finish_pooling
from .mantel_haenszel import mh_rows
from .peto import peto_effects, peto_oe_v
from .results import MetaResult
from .settings import REVMAN5, Settings, resolve
from .vocabulary import BINARY_MEASURES, CI_METHODS, CONTINUOUS_MEASURES, METHODS, MODELS

__all__ = ["pool_binary", "pool_continuous", "pool_generic", "pool_oe"]

Array = Sequence[float] | np.ndarray


def _setup(model: str, settings, ci_method: str | None, **overrides) -> Settings:
    """Resolve the settings and the random-effects interval; ci_method='hksj' needs model='random'."""
    check_option("model", model, MODELS)
    if ci_method is not None:
        check_option("ci_method", ci_method, CI_METHODS)
        if ci_method == "hksj" and model != "random":
            raise InputError("ci_method='hksj' (Hartung–Knapp) applies to model='random' only")
    st = resolve(settings, ci_method=ci_method, **overrides)
    return st


def pool_binary(
    events_intervention: Array,
    n_intervention: Array,
    events_control: Array,
    n_control: Array,
    *,
    measure: str = "RR",
    method: str = "MH",
    model: str = "fixed",
    settings: Settings | str = REVMAN5,
    tau2_method: str | None = None,
    ci_method: str | None = None,
    hksj_floor: bool | None = None,
    zero_cell: str | None = None,
    all_events: str | None = None,
    ci_level: float | None = None,
    study_ci_level: float | None = None,
    swap_events: bool = False,
    labels: Sequence[object] | None = None,
) -> MetaResult:
    """Pool 2×2 tables (RevMan 5 defaults: MH, fixed effect, 0.5 added to studies with a zero cell).

    ``method``: "MH" (:mod:`.mantel_haenszel`), "IV" (inverse variance of the per-study estimates
    of :func:`~mytools.engine.effects.binary_effects`) or "Peto" (OR only, fixed effect only as in
    RevMan; :mod:`.peto`: raw counts, no continuity correction).
    ``zero_cell``: "revman" adds 0.5 to every cell of a study with a zero cell, in the per-study
    estimates *and* in the MH sums; "none" uses raw counts in the MH sums (metafor ``rma.mh``),
    per-study estimates (and hence Q and τ²) still with 0.5 added. For RD the estimate and MH
    weights always use the raw counts and the correction enters the variances only (R meta's RevMan
    convention); a double-zero study is estimable for RD and kept. ``all_events``: see
    :func:`~mytools.engine.effects.binary_effects`. ``swap_events``: RevMan's "swap event and
    non-event" — pool the non-events (n − events) instead. Q for MH is about the MH estimate with
    weights 1/v_i; random effects use the settings' τ² (DL in RevMan 5) from that Q.
    """
    a, n1, c, n2 = events_intervention, n_intervention, events_control, n_control
    if measure == "PETO_OR":  # the data model's name for RevMan's "Peto Odds Ratio"
        if method != "Peto":
            raise InputError(f"measure='PETO_OR' needs method='Peto', got method={method!r}")
        measure = "OR"
    check_option("measure", measure, BINARY_MEASURES)
    check_option("method", method, METHODS)
    st = _setup(model, settings, ci_method, hksj_floor=hksj_floor, tau2_method=tau2_method, zero_cell=zero_cell,
                     all_events=all_events, ci_level=ci_level, study_ci_level=study_ci_level)
    if swap_events:
        a, c = np.subtract(n1, a), np.subtract(n2, c)
    es, raw = binary_effects(a, n1, c, n2, measure=measure, labels=labels, all_events=st.all_events)
    inputs = {"events_intervention": raw["a"], "n_intervention": raw["n1"],
              "events_control": raw["c"], "n_control": raw["n2"]}
    extra = {"zero_cell_corrected": es.corrected.astype(bool)}
    notes: list[str] = ["events and non-events swapped"] if swap_events else []
    _nonfinite(es.labels, es.nonfinite, notes)
    common = dict(labels=es.labels, inputs=inputs, measure=measure, method=method, model=model,
                  settings=st, log_scale=es.log_scale, notes=notes, data_type="dichotomous")
    if method == "Peto":
        if measure != "OR":
            raise InputError(f"method='Peto' pools odds ratios only; got measure={measure!r}")
        if model != "fixed":
            raise InputError("method='Peto' is a fixed-effect method (RevMan offers no random-effects Peto)")
        oe, V = peto_oe_v(raw["a"], raw["b"], raw["c"], raw["d"])
        y, v, e = peto_effects(oe, V)
        _nonfinite(es.labels, (V > 0) & ~e, notes)
        extra["zero_cell_corrected"] = np.zeros(e.shape, dtype=bool)
        return finish_pooling(y_all=y, v_all=v, estimable=e, extra_cols=extra, mh=None, **common)
    e = es.estimable
    mh = _mh_fit(es, raw, measure, st.zero_cell, notes) if method == "MH" and np.any(e) else None
    if st.zero_cell == "revman" and np.any(es.corrected & e):
        notes.append("0.5 added to every cell of: "
                     + ", ".join(es.labels[i] for i in np.flatnonzero(es.corrected & e)))
    return finish_pooling(y_all=es.y, v_all=es.v, estimable=e, extra_cols=extra, mh=mh, **common)


def _mh_fit(es, raw, measure: str, zero_cell: str, notes: list[str]):
    """The MH fixed-effect fit (θ, SE, weights) over the estimable studies (:mod:`.mantel_haenszel`)."""
    e = es.estimable
    add = 0.5 * es.corrected[e] if zero_cell == "revman" else 0.0
    theta, se, w = mh_rows(*(raw[x][e][None, :] for x in "abcd"), measure, add)
    if zero_cell == "none" and np.any(es.corrected[e]):
        notes.append("MH sums on raw counts; per-study estimates with 0.5 added to zero-cell studies")
    return float(theta[0]), float(se[0]), w[0]


def pool_continuous(
    mean_intervention: Array,
    sd_intervention: Array,
    n_intervention: Array,
    mean_control: Array,
    sd_control: Array,
    n_control: Array,
    *,
    measure: str = "MD",
    smd: str | None = None,
    model: str = "fixed",
    settings: Settings | str = REVMAN5,
    tau2_method: str | None = None,
    ci_method: str | None = None,
    hksj_floor: bool | None = None,
    ci_level: float | None = None,
    study_ci_level: float | None = None,
    labels: Sequence[object] | None = None,
) -> MetaResult:
    """Inverse-variance pooling of MD or SMD (per-study formulas in
    :func:`~mytools.engine.effects.continuous_effects`; ``smd="revman"`` is RevMan 5's Hedges' g)."""
    m1, s1, n1, m2, s2, n2 = (mean_intervention, sd_intervention, n_intervention, mean_control,
                              sd_control, n_control)
    check_option("measure", measure, CONTINUOUS_MEASURES)
    st = _setup(model, settings, ci_method, hksj_floor=hksj_floor, tau2_method=tau2_method, smd=smd, ci_level=ci_level,
                     study_ci_level=study_ci_level)
    es, raw = continuous_effects(m1, s1, n1, m2, s2, n2, measure=measure, smd=st.smd, labels=labels)
    inputs = {"mean_intervention": raw["m1"], "sd_intervention": raw["s1"], "n_intervention": raw["n1"],
              "mean_control": raw["m2"], "sd_control": raw["s2"], "n_control": raw["n2"]}
    notes = _nonfinite(es.labels, es.nonfinite, [])
    if measure == "SMD":
        notes.append("SMD: Hedges' g, " + ("RevMan 5 formulas (J = 1 - 3/(4N - 9))" if st.smd == "revman"
                                           else "exact J and variance as metafor escalc('SMD')"))
    return finish_pooling(labels=es.labels, inputs=inputs, y_all=es.y, v_all=es.v, estimable=es.estimable,
                          extra_cols={}, mh=None, measure=measure, method="IV", model=model,
                          settings=st, log_scale=False, notes=notes, data_type="continuous")


def pool_generic(
    estimate: Array,
    se: Array,
    *,
    log_scale: bool = False,
    entered_log: bool = False,
    measure: str = "generic",
    model: str = "fixed",
    settings: Settings | str = REVMAN5,
    tau2_method: str | None = None,
    ci_method: str | None = None,
    hksj_floor: bool | None = None,
    ci_level: float | None = None,
    study_ci_level: float | None = None,
    labels: Sequence[object] | None = None,
) -> MetaResult:
    """Generic inverse-variance pooling (RevMan's "generic inverse variance"/"contrast level" data).

    ``se`` is on the analysis scale. With ``log_scale`` the measure is a ratio (HR, RR, rate ratio
    …): ``estimate`` is the ratio itself, or its natural log when ``entered_log`` (as RevMan's data
    packages and .rm5 files store GIV data: "GIV Mean" = ln HR); results are shown as ratios.
    ``measure`` is a label only ("HR", "Ratio of means" …).
    """
    st = _setup(model, settings, ci_method, hksj_floor=hksj_floor, tau2_method=tau2_method, ci_level=ci_level,
                     study_ci_level=study_ci_level)
    if entered_log and not log_scale:
        raise InputError("entered_log=True needs log_scale=True")
    est_in = np.asarray(estimate, dtype=float).reshape(-1)
    es = generic_effects(est_in, se, log_scale=log_scale and not entered_log, labels=labels)
    y, v, e, nonfinite = es.y, es.v, es.estimable, es.nonfinite
    if entered_log:  # ln ratio as entered: e^y must be a finite ratio > 0 (|y| ≤ 709.78)
        y, v, e, over = _finite(y, v, e, True)
        nonfinite = nonfinite | over
    inputs = {"estimate_in": est_in, "se_in": np.asarray(se, dtype=float).reshape(-1)}
    notes = _nonfinite(es.labels, nonfinite, [])
    return finish_pooling(labels=es.labels, inputs=inputs, y_all=y, v_all=v, estimable=e,
                          extra_cols={}, mh=None, measure=measure, method="IV", model=model,
                          settings=st, log_scale=bool(log_scale), notes=notes, data_type="generic")


def _nonfinite(labels, mask, notes: list[str]) -> list[str]:
    """``notes`` with :data:`~.effects.NONFINITE_NOTE` naming the studies of ``mask``, if any."""
    if mask is not None and np.any(mask):
        notes.append(NONFINITE_NOTE + ", ".join(labels[i] for i in np.flatnonzero(mask)))
    return notes


def pool_oe(
    o_e: Array,
    variance: Array,
    *,
    model: str = "fixed",
    settings: Settings | str = REVMAN5,
    tau2_method: str | None = None,
    ci_method: str | None = None,
    hksj_floor: bool | None = None,
    ci_level: float | None = None,
    study_ci_level: float | None = None,
    labels: Sequence[object] | None = None,
) -> MetaResult:
    """Peto odds ratio (or log-rank hazard ratio) from O − E and its variance V per study.

    ln OR_i = (O − E)/V, var 1/V; pooled Σ(O − E)/ΣV, SE 1/√ΣV (:mod:`.peto`); a study with V ≤ 0
    is not estimable. Random effects pool the same per-study values with the settings' τ².
    """
    st = _setup(model, settings, ci_method, hksj_floor=hksj_floor, tau2_method=tau2_method, ci_level=ci_level,
                     study_ci_level=study_ci_level)
    labs, (oe, V) = _arrays({"o_e": o_e, "variance": variance}, labels)
    if np.any(V < 0):
        i = int(np.flatnonzero(V < 0)[0])
        raise InputError(f"study {labs[i]!r} (index {i}): field 'variance' is {V[i]:g}; must be ≥ 0")
    y, v, e = peto_effects(oe, V)
    return finish_pooling(labels=labs, inputs={"o_e": oe, "variance": V}, y_all=y, v_all=v, estimable=e,
                          extra_cols={}, mh=None, measure="PETO_OR", method="Peto", model=model,
                          settings=st, log_scale=True, notes=_nonfinite(labs, (V > 0) & ~e, []),
                          data_type="o_e")

