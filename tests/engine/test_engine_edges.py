"""One answer at every edge, from every public entry point (issue #19).

Each case is run through the scalar functions, ``pool_many`` (on the same per-study effects, NaN
for a study that is not estimable) and ``pool_batch`` (long format, as ``reproduce`` calls it);
all must give the same numbers, or the same error class with the same message. The expected
values are the formulas' own (Wald: θ ± z·SE; one study: its own estimate), not printed output.
"""
from __future__ import annotations

import numpy as np
import pytest

from mytools.engine import NotEstimableError, pool_batch, pool_binary, pool_generic, pool_many
from mytools.engine import pool_continuous
from mytools.engine.core import HKSJ_ONE_NOTE, NOT_REPRESENTABLE, STATUS_MESSAGES, HKSJ_ZERO, NO_STUDY
from mytools.engine.effects import NONFINITE_NOTE, binary_effects, continuous_effects, generic_effects
from mytools.engine.settings import resolve
from mytools.teaching.reconstruct import mh_rr

Z = 1.959963984540054

# name: (data, options, expected) — data ("generic", y, se), ("binary", a, n1, c, n2, measure) or
# ("continuous", m1, s1, n1, m2, s2, n2, measure)
CASES = {
    "one study, HKSJ": (("generic", [0.3], [0.2]), dict(model="random", ci_method="hksj"),
                        ("ok", 0.3, 0.3 - Z * 0.2, 0.3 + Z * 0.2, 1)),
    "Q = 0, HKSJ": (("generic", [0.3, 0.3], [0.2, 0.2]), dict(model="random", ci_method="hksj"),
                    ("error", STATUS_MESSAGES[HKSJ_ZERO])),
    "Q = 0, HKSJ floored": (("generic", [0.3, 0.3], [0.2, 0.2]),
                            dict(model="random", ci_method="hksj", hksj_floor=True),
                            ("ok", 0.3, None, None, 2)),
    "zero variance": (("generic", [0.1, 0.3], [0.2, 0.0]), dict(model="random"),
                      ("ok", 0.1, 0.1 - Z * 0.2, 0.1 + Z * 0.2, 1)),
    "no estimable study (zero variances)": (("generic", [0.1, 0.3], [0.0, 0.0]), dict(model="fixed"),
                                            ("error", STATUS_MESSAGES[NO_STUDY])),
    "all-events study (RR)": (("binary", [12, 7], [50, 7], [20, 10], [50, 10], "RR"),
                              dict(model="random"), ("ok", None, None, None, 2)),
    "all-events study (OR)": (("binary", [12, 7], [50, 7], [20, 10], [50, 10], "OR"),
                              dict(model="fixed"), ("ok", None, None, None, 1)),
    "double-zero study": (("binary", [12, 0], [50, 10], [20, 0], [50, 12], "RR"),
                          dict(model="fixed"), ("ok", None, None, None, 1)),
    "no estimable study (double zeros)": (("binary", [0, 0], [10, 9], [0, 0], [12, 8], "RR"),
                                          dict(model="fixed"), ("error", STATUS_MESSAGES[NO_STUDY])),
    # beyond double precision (one rule: a study whose y, v or 1/v is not finite is not estimable;
    # a pooled number that overflows is NOT_REPRESENTABLE; never a RuntimeWarning)
    "variance overflows (SE 1e160)": (("generic", [0.1, 0.3], [0.2, 1e160]), dict(model="random"),
                                      ("ok", 0.1, 0.1 - Z * 0.2, 0.1 + Z * 0.2, 1)),
    "weight overflows (SE 1e-160)": (("generic", [0.1, 0.3], [0.2, 1e-160]),
                                     dict(model="random", ci_method="hksj"),
                                     ("ok", 0.1, 0.1 - Z * 0.2, 0.1 + Z * 0.2, 1)),
    "every variance overflows": (("generic", [0.1, 0.3], [1e155, 1e-155]), dict(model="fixed"),
                                 ("error", STATUS_MESSAGES[NO_STUDY])),
    # the second study: MD 1 − 0 = 1, variance 2²/20 + 2²/20 = 0.4
    "SD 1e308 (MD variance overflows)": (("continuous", [5, 1], [1e308, 2], [10, 20], [4, 0],
                                          [1, 2], [10, 20], "MD"), dict(model="random"),
                                         ("ok", 1.0, 1 - Z * 0.4 ** 0.5, 1 + Z * 0.4 ** 0.5, 1)),
    "SD 1e-200 (MD variance underflows to 0)": (
        ("continuous", [5, 1], [1e-200, 2], [10, 20], [4, 0], [1e-200, 2], [10, 20], "MD"),
        dict(model="fixed"), ("ok", 1.0, 1 - Z * 0.4 ** 0.5, 1 + Z * 0.4 ** 0.5, 1)),
    "Q overflows (estimates ±1e200)": (("generic", [1e200, -1e200], [1.0, 1.0]), dict(model="fixed"),
                                       ("error", STATUS_MESSAGES[NOT_REPRESENTABLE])),
    "τ² overflows (estimates ±1e154, REML)": (("generic", [1e154, -1e154, 0.0], [1.0, 1.0, 1.0]),
                                              dict(model="random", tau2_method="REML"),
                                              ("error", STATUS_MESSAGES[NOT_REPRESENTABLE])),
}
NONFINITE = {"variance overflows (SE 1e160)", "weight overflows (SE 1e-160)",
             "SD 1e308 (MD variance overflows)", "SD 1e-200 (MD variance underflows to 0)"}


def _effects(data):
    """Per-study (y, v) on the analysis scale; NaN where not estimable."""
    if data[0] == "generic":
        es = generic_effects(data[1], data[2])
    elif data[0] == "continuous":
        es, _ = continuous_effects(*data[1:7], measure=data[7])
    else:
        es, _ = binary_effects(*data[1:5], measure=data[5])
    return es.y, es.v


def _scalar(data, opts):
    if data[0] == "generic":
        r = pool_generic(data[1], data[2], **opts)
    elif data[0] == "continuous":
        r = pool_continuous(*data[1:7], measure=data[7], **opts)
    else:
        r = pool_binary(*data[1:5], measure=data[5], method="IV", **opts)
    log = np.log if r.log_scale else float
    return ("ok", r.theta, log(r.ci_low), log(r.ci_high), r.k, HKSJ_ONE_NOTE in r.notes,
            any(n.startswith(NONFINITE_NOTE) for n in r.notes))


def _many(data, opts):
    y, v = _effects(data)
    ci = opts.get("ci_method", "wald")
    m = pool_many(y[None, :], v[None, :], model=opts["model"], ci_method=ci,
                  hksj_floor=opts.get("hksj_floor", False), tau2_method=opts.get("tau2_method", "DL"))
    return ("ok", m.estimate[0], m.ci_low[0], m.ci_high[0], int(m.k[0]), bool(m.hksj_one[0]))


def _batch(data, opts):
    n = len(data[1])
    if data[0] == "generic":
        rows = {"segment": np.zeros(n, int), "giv_estimate": data[1], "giv_se": data[2]}
        seg = {"data_type": ["generic"]}
    elif data[0] == "continuous":
        names = ("mean_intervention", "sd_intervention", "n_intervention", "mean_control",
                 "sd_control", "n_control")
        rows = {"segment": np.zeros(n, int), **dict(zip(names, data[1:7]))}
        seg = {"data_type": ["continuous"], "measure": [data[7]]}
    else:
        rows = {"segment": np.zeros(n, int), "events_intervention": data[1], "n_intervention": data[2],
                "events_control": data[3], "n_control": data[4]}
        seg = {"data_type": ["dichotomous"], "measure": [data[5]], "method": ["IV"]}
    seg.update(model=[opts["model"]], ci_method=[opts.get("ci_method", "wald")],
               tau2_method=[opts.get("tau2_method", "DL")])
    st = resolve("revman5", hksj_floor=opts.get("hksj_floor"))
    p = pool_batch(rows, seg, settings=st).pooled.iloc[0]
    if p["pooling"] != "ok":
        raise NotEstimableError(p["reason"])
    scale = np.log if data[0] == "binary" else float
    return ("ok", p["theta"], scale(p["ci_low"]), scale(p["ci_high"]), int(p["k"]),
            p["note"] == HKSJ_ONE_NOTE)


ENTRY_POINTS = {"scalar": _scalar, "pool_many": _many, "pool_batch": _batch}


def _run(fn, data, opts):
    try:
        return fn(data, opts)
    except NotEstimableError as exc:
        return ("error", str(exc))


@pytest.mark.filterwarnings("error::RuntimeWarning")
@pytest.mark.parametrize("case", list(CASES))
def test_every_entry_point_gives_the_same_answer(case):
    data, opts, expected = CASES[case]
    got = {name: _run(fn, data, opts) for name, fn in ENTRY_POINTS.items()}
    if expected[0] == "error":
        for name, g in got.items():
            assert g[0] == "error" and expected[1] in g[1], (name, g)
        return
    ref = got["scalar"]
    for name, g in got.items():
        assert g[0] == "ok", (name, g)
        np.testing.assert_allclose(g[1:4], ref[1:4], rtol=1e-12, err_msg=name)
        assert g[4] == expected[4] and g[5] == ref[5], (name, g)
    for want, have in zip(expected[1:4], ref[1:4]):
        if want is not None:
            assert have == pytest.approx(want, rel=1e-12)
    assert ref[3] - ref[2] > 0  # never a zero-width interval
    assert ref[5] == (opts.get("ci_method") == "hksj" and expected[4] == 1)  # Wald fallback: said
    assert ref[6] == (case in NONFINITE)  # a study left out for overflow is named in a note


def test_teaching_mh_rr_is_the_engine():
    """The reconstruction's MH RR is the engine's (RevMan 5 mode), all-events study included."""
    tables = [(12, 50, 20, 50), (7, 7, 10, 10)]
    r = pool_binary(*np.array(tables).T, measure="RR", method="MH")
    assert mh_rr(tables) == pytest.approx((r.estimate, r.ci_low, r.ci_high), rel=1e-14)
