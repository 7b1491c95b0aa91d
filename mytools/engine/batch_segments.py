"""The per-segment settings of a :func:`~mytools.engine.batch.pool_batch` call: defaults filled in
from the mode, every value checked (errors name the segment and the column)."""
from __future__ import annotations

import numpy as np
import pandas as pd

from .errors import InputError
from .settings import Settings
from .vocabulary import CI_METHODS, MEASURES_BY_TYPE, METHODS, MODELS, RATIO_MEASURES, TAU2_METHODS

__all__ = ["segment_table"]

_DEFAULT_MEASURE = {"dichotomous": "RR", "continuous": "MD", "generic": "generic", "o_e": "PETO_OR"}


def _filled(col, default: np.ndarray, dtype) -> np.ndarray:
    """A segment column with its missing entries (None/NaN) replaced by the defaults."""
    if col is None:
        return default.astype(dtype)
    col = np.asarray(col, dtype=object)
    if col.shape != default.shape:
        return col  # reported as a length error by the caller
    miss = pd.isna(col)
    return (np.where(miss, default, col) if miss.any() else col).astype(dtype)


def _isin(x: np.ndarray, allowed) -> np.ndarray:
    """``np.isin`` by hashing (fast on object arrays of strings); one look-up when every segment
    has the same value (the usual case: one setting for a whole batch)."""
    x = np.asarray(x, dtype=object)
    if x.size and isinstance(x[0], str) and bool((x == x[0]).all()):
        return np.full(x.size, x[0] in allowed)
    return pd.Series(x, dtype=object).isin(list(allowed)).to_numpy()


def segment_table(segments, st: Settings) -> dict[str, np.ndarray]:
    """The segment columns as arrays, missing ones and missing cells filled from ``st``, validated."""
    seg = {k: np.asarray(v) for k, v in dict(segments).items()}
    if "data_type" not in seg:
        raise InputError("segments: column 'data_type' is required")
    m = seg["data_type"].size
    dt = seg["data_type"].astype(object)
    out = {"data_type": dt}
    out["measure"] = seg.get("measure", pd.Series(dt, dtype=object).map(_DEFAULT_MEASURE)
                             .fillna("generic").to_numpy())
    out["measure"] = np.asarray(out["measure"], dtype=object)
    default_method = np.where(dt == "dichotomous", "MH", np.where(dt == "o_e", "Peto", "IV"))
    default_method = np.where(out["measure"] == "PETO_OR", "Peto", default_method).astype(object)
    out["method"] = np.asarray(seg.get("method", default_method), dtype=object)
    for name, default in (("model", "fixed"), ("tau2_method", st.tau2_method), ("ci_method", st.ci_method)):
        out[name] = _filled(seg.get(name), np.full(m, default, dtype=object), object)
    out["log_scale"] = _filled(seg.get("log_scale"), _isin(out["measure"], RATIO_MEASURES), bool)
    out["swap_events"] = _filled(seg.get("swap_events"), np.zeros(m, bool), bool)
    out["tau2_ci"] = _filled(seg.get("tau2_ci"), np.full(m, st.tau2_ci), bool)
    for name, default in (("ci_level", st.ci_level), ("study_ci_level", st.study_ci_level)):
        out[name] = _filled(seg.get(name), np.full(m, default), float)
    for name, arr in out.items():
        if arr.shape != (m,):
            raise InputError(f"segments: column {name!r} has {arr.size} entries, expected {m}")
    _validate(out)
    return out


_ALLOWED = {"model": MODELS, "method": METHODS,
            "tau2_method": TAU2_METHODS, "ci_method": CI_METHODS}
_MEASURES = {k: MEASURES_BY_TYPE[k] for k in ("dichotomous", "continuous")}


def _validate(out: dict[str, np.ndarray]) -> None:
    """Every segment setting is one the engine knows; errors name the segment and the column."""
    def fail(mask, msg):
        j = int(np.flatnonzero(mask)[0])
        raise InputError(f"segment {j}: {msg(j)}")

    for name, allowed in _ALLOWED.items():
        bad = ~_isin(out[name], allowed)
        if bad.any():
            fail(bad, lambda j: f"{name}={out[name][j]!r}; expected one of {', '.join(allowed)}")
    dt = out["data_type"]
    for kind, allowed in _MEASURES.items():
        bad = (dt == kind) & ~_isin(out["measure"], allowed)
        if bad.any():
            fail(bad, lambda j: f"measure={out['measure'][j]!r} for {kind} data; expected one of "
                 + ", ".join(allowed))
    bad = (out["method"] == "Peto") & ~_isin(out["measure"], ("OR", "PETO_OR")) & (dt == "dichotomous")
    if bad.any():
        fail(bad, lambda j: "method 'Peto' pools odds ratios only")
    bad = (out["method"] == "MH") & (out["measure"] == "PETO_OR")
    if bad.any():
        fail(bad, lambda j: "measure 'PETO_OR' is pooled by method 'Peto' or 'IV', not 'MH'")
    bad = (out["method"] == "MH") & (dt != "dichotomous")
    if bad.any():
        fail(bad, lambda j: f"method 'MH' needs dichotomous data, got {dt[j]!r}")
    for name in ("ci_level", "study_ci_level"):
        bad = ~((out[name] > 0) & (out[name] < 1))
        if bad.any():
            fail(bad, lambda j: f"{name}={float(out[name][j]):g}; expected a fraction such as 0.95")
