"""The last step of every pooling method for one analysis: per-study values (and an MH fit) in,
a :class:`~mytools.engine.results.MetaResult` out, through the vectorised core as a batch of one.

:func:`finish_pooling` adds only what one analysis needs beyond the core's numbers: the per-study
table (estimate, CI at ``study_ci_level``, weight %), the notes, and errors for the edges the core
reports (:data:`~mytools.engine.core.STATUS_MESSAGES`), so a scalar call, ``pool_many`` and
``pool_batch`` give the same numbers or the same message.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from .core import HKSJ_ONE_NOTE, NO_STUDY, NOT_REPRESENTABLE, STATUS_MESSAGES, pool_rows
from .effects import ratio_overflows
from .distributions import z_crit
from .errors import NotEstimableError
from .results import MetaResult
from .settings import Settings

__all__ = ["finish_pooling"]


def _back(x, log_scale: bool):
    return np.exp(x) if log_scale else x


def _opt(x) -> float | None:
    return None if not np.isfinite(x) else float(x)


def _study_table(labels, inputs, y_all, v_all, e, w, extra_cols, st: Settings, log_scale):
    weight_pct = np.zeros(len(labels))
    weight_pct[e] = 100.0 * w / np.sum(w)
    sd = np.sqrt(v_all)
    zs = z_crit(st.study_ci_level)
    return pd.DataFrame({"label": list(labels), **inputs,
                         "estimate": _back(y_all, log_scale),
                         "ci_low": _back(y_all - zs * sd, log_scale),
                         "ci_high": _back(y_all + zs * sd, log_scale),
                         "se": sd, "weight_percent": weight_pct, "estimable": e.astype(bool),
                         **extra_cols})


def finish_pooling(*, labels: tuple[str, ...], inputs: dict, y_all: np.ndarray, v_all: np.ndarray,
                   estimable: np.ndarray, extra_cols: dict, mh: tuple[float, float, np.ndarray] | None,
                   measure: str, method: str, model: str, settings: Settings, log_scale: bool,
                   notes: list[str], data_type: str) -> MetaResult:
    """Pool the estimable studies with the core and build the result.

    ``mh``: (θ, SE, weights over the estimable studies) of a Mantel–Haenszel fit, or None for
    inverse variance. Raises :class:`NotEstimableError` with the core's message when no study is
    estimable, the fixed-effect fit is infinite, the Hartung–Knapp SE is 0, or a pooled number
    (for ratios also e^θ, e^bound) is not finite in double precision."""
    e = np.asarray(estimable, dtype=bool)
    st = settings
    skipped = [labels[i] for i in np.flatnonzero(~e)]
    if skipped and e.any():
        notes.append("not estimable, excluded from pooling: " + ", ".join(skipped))
    Y, V = y_all[e][None, :], v_all[e][None, :]
    fixed = None
    if mh is not None:
        fixed = (np.array([True]), np.array([mh[0]]), np.array([mh[1]]), np.asarray(mh[2])[None, :])
    r = pool_rows(Y, V, model=model, tau2_method=st.tau2_method, ci_method=st.ci_method,
                  ci_level=st.ci_level, tau2_ci=st.tau2_ci, settings=st, fixed=fixed)
    status = r.status[0]
    if not status and log_scale and ratio_overflows(r.theta, r.ci_low, r.ci_high, r.pi_low,
                                                    r.pi_high)[0]:
        status = NOT_REPRESENTABLE  # e^θ, a bound or a prediction bound is 0 or ∞ (as pool_batch)
    if status:
        msg = STATUS_MESSAGES[int(status)]
        if status == NO_STUDY:
            msg += (": " + ", ".join(repr(x) for x in labels) + " have no events in both arms, events "
                    "in every participant of both arms, or no usable variance (0, or not a finite number)")
        raise NotEstimableError(f"{measure} ({method}): {msg}")
    if r.hksj_one[0]:
        notes.append(HKSJ_ONE_NOTE)
    k = int(r.k[0])
    theta, se = float(r.theta[0]), float(r.se[0])
    table = _study_table(labels, inputs, y_all, v_all, e, r.weights[0][: e.sum()], extra_cols, st,
                         log_scale)
    random = model == "random"
    return MetaResult(
        estimate=float(_back(theta, log_scale)), ci_low=float(_back(r.ci_low[0], log_scale)),
        ci_high=float(_back(r.ci_high[0], log_scale)), se=se, z=float(r.z[0]), p=float(r.p[0]),
        q=float(r.q[0]), df=k - 1, p_q=_opt(r.p_q[0]), i2=float(r.i2[0]), tau2=float(r.tau2[0]),
        k=k, pi_low=_opt(_back(r.pi_low[0], log_scale)), pi_high=_opt(_back(r.pi_high[0], log_scale)),
        measure=measure, method=method, model=model,
        tau2_method=st.tau2_method if random else None,
        ci_method="hksj" if r.hksj[0] else "wald", log_scale=log_scale, theta=theta, studies=table,
        notes=tuple(notes), data_type=data_type, settings=st.name, ci_level=st.ci_level,
        study_ci_level=st.study_ci_level, t_df=int(r.t_df[0]) if r.hksj[0] else None,
        i2_q=float(r.i2_q[0]), i2_tau2=_opt(r.i2_tau2[0]) if k >= 2 else None,
        tau2_ci_low=_opt(r.tau2_ci_low[0]), tau2_ci_high=_opt(r.tau2_ci_high[0]))
