"""The per-segment settings of a :func:`~mytools.engine.batch.pool_batch` call: defaults filled in
from the mode, every value checked (errors name the segment and the column).

Settings are handled once per distinct settings tuple, not once per segment: each column is
factorised (one code per segment; one comparison when the whole column holds one value), the
columns' codes are combined into one tuple code per segment (``pandas.factorize``, codes in order
of first appearance), and the defaults and checks run on the few distinct tuples."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .errors import InputError
from .settings import Settings
from .vocabulary import CI_METHODS, MEASURES_BY_TYPE, METHODS, MODELS, RATIO_MEASURES, TAU2_METHODS

__all__ = ["segment_table", "segment_settings", "SegmentSettings"]

_DEFAULT_MEASURE = {"dichotomous": "RR", "continuous": "MD", "generic": "generic", "o_e": "PETO_OR"}
_COLUMNS = ("data_type", "measure", "method", "model", "tau2_method", "ci_method", "log_scale",
            "swap_events", "tau2_ci", "ci_level", "study_ci_level")


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
    """``np.isin`` by hashing, one set look-up per entry: the arrays checked hold one entry per
    distinct settings tuple (a few), where a pandas ``isin`` costs more than the look-ups."""
    ok = set(allowed)
    return np.array([v in ok for v in np.asarray(x, dtype=object).tolist()], dtype=bool)


@dataclass(frozen=True, eq=False)
class SegmentSettings:
    """The settings of ``m`` segments as ``table`` (one entry per distinct settings tuple, filled
    and checked) and ``code`` (the tuple of each segment; None when all segments share tuple 0).
    ``seg[name]`` is the per-segment column (expanded on first use)."""

    m: int
    code: np.ndarray | None
    table: dict[str, np.ndarray]
    _cache: dict = field(default_factory=dict, repr=False)

    def __getitem__(self, name: str) -> np.ndarray:
        if name not in self._cache:
            t = self.table[name]
            self._cache[name] = (np.repeat(t, self.m) if self.code is None else t[self.code])
        return self._cache[name]

    def expand(self, per_tuple: np.ndarray, idx: np.ndarray | None = None):
        """Values computed per tuple, for the segments ``idx`` (all when None); one value when every
        tuple has it."""
        if self.code is None or per_tuple.size and bool((per_tuple == per_tuple[0]).all()):
            return per_tuple[0]
        return per_tuple[self.code if idx is None else self.code[idx]]

    def per(self, name: str, idx: np.ndarray):
        """Column ``name`` for the segments ``idx``: one value when they all share it, else an array."""
        t = self.table[name]
        if self.code is None or t.size and bool((t == t[0]).all()):
            return t[0]
        c = self.code[idx]
        if not c.size:
            return t[c]
        return t[c[0]] if bool((c == c[0]).all()) else t[c]


def _factor(x: np.ndarray) -> tuple[np.ndarray | None, np.ndarray]:
    """(code per entry, or None when every entry is the same value; the distinct values)."""
    if x.dtype.kind in "US":
        x = x.astype(object)
    if x.size == 0 or bool((x == x[0]).all()):
        return None, x[:1]
    codes, uniq = pd.factorize(x, use_na_sentinel=True)
    uniq = np.asarray(uniq, dtype=object if x.dtype == object else x.dtype)
    if (codes < 0).any():  # missing entries (None/NaN): one more distinct value, filled later
        codes = np.where(codes < 0, uniq.size, codes)
        uniq = np.append(uniq, np.array([None if x.dtype == object else np.nan], dtype=uniq.dtype))
    return codes, uniq


def segment_settings(segments, st: Settings) -> SegmentSettings:
    """The segment columns factorised into distinct settings tuples, filled from ``st`` and checked
    once per tuple (errors name the first segment with the bad value)."""
    seg = {k: np.asarray(v) for k, v in dict(segments).items()}
    if "data_type" not in seg:
        raise InputError("segments: column 'data_type' is required")
    m = seg["data_type"].size
    for name in _COLUMNS:
        if name in seg and seg[name].shape != (m,):
            raise InputError(f"segments: column {name!r} has {seg[name].size} entries, expected {m}")
    if m == 0:
        return SegmentSettings(0, np.zeros(0, dtype=np.intp), _fill(seg, st, lambda j: j))
    key, radix, codes, uniq = None, 1, {}, {}
    for name in (c for c in _COLUMNS if c in seg):
        codes[name], uniq[name] = _factor(seg[name])
        c, n = codes[name], uniq[name].size
        if c is None:
            continue
        if key is not None and radix * n >= 2**62:  # keep the combined code within int64
            key = pd.factorize(key)[0].astype(np.int64)
            radix = int(key.max()) + 1
        key = c.astype(np.int64) if key is None else key + radix * c
        radix *= n
    if key is None:
        return SegmentSettings(m, None, _fill(uniq, st, lambda j: 0))
    code = pd.factorize(key)[0]  # in order of first appearance: tuple j first occurs at first[j]
    first = np.flatnonzero(np.diff(np.maximum.accumulate(code), prepend=-1) > 0)
    parts = {name: (np.repeat(u, first.size) if codes[name] is None else u[codes[name][first]])
             for name, u in uniq.items()}
    return SegmentSettings(m, code, _fill(parts, st, lambda j: int(first[j])))


def segment_table(segments, st: Settings) -> dict[str, np.ndarray]:
    """The segment columns as arrays (one entry per segment), missing ones and missing cells
    filled from ``st``, validated."""
    ss = segment_settings(segments, st)
    return {name: ss[name] for name in ss.table}


def _fill(seg: dict[str, np.ndarray], st: Settings, first) -> dict[str, np.ndarray]:
    """Fill and check settings rows (distinct tuples); ``first(j)``: the segment that row j names."""
    m = seg["data_type"].size
    dt = seg["data_type"].astype(object)
    out = {"data_type": dt}
    default = np.array([_DEFAULT_MEASURE.get(x, "generic") if isinstance(x, str) else "generic"
                        for x in dt], dtype=object)  # dt: one entry per settings tuple
    out["measure"] = np.asarray(seg.get("measure", default), dtype=object)
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
    _validate(out, first)
    return out


_ALLOWED = {"model": MODELS, "method": METHODS,
            "tau2_method": TAU2_METHODS, "ci_method": CI_METHODS}
_MEASURES = {k: MEASURES_BY_TYPE[k] for k in ("dichotomous", "continuous")}


def _validate(out: dict[str, np.ndarray], first) -> None:
    """Every segment setting is one the engine knows; errors name the segment and the column."""
    def fail(mask, msg):
        j = int(np.flatnonzero(mask)[0])
        raise InputError(f"segment {first(j)}: {msg(j)}")

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
