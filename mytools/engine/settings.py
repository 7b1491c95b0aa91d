"""Settings as named modes: ``REVMAN5``, ``REVMAN_WEB``, ``MODERN`` (as R meta's ``settings.meta``).

A :class:`Settings` value fixes every choice that is *not* a property of the analysis (the analysis
says measure, method and model). Pool functions take ``settings=`` (a mode or its name) and accept
single overrides as keywords (``tau2_method="PM"``); :func:`resolve` merges the two.

* ``REVMAN5`` — Review Manager 5 (Deeks & Higgins, *Statistical algorithms in Review Manager 5*,
  2010): DerSimonian–Laird τ², Wald intervals, I² from Q, 0.5 added to every cell of a study with a
  zero cell (also in the MH sums), RevMan's Hedges' g. The engine's defaults.
* ``REVMAN_WEB`` — RevMan Web since January 2025 (Cochrane Methods, "Random-effects meta-analysis
  methods for Intervention Reviews"): REML τ², Hartung–Knapp–Sidik–Jonkman CI (untruncated, t on
  k − 1 df), prediction interval on t with k − 1 df, Q-profile CI for τ², I² from τ². Established
  on RevMan's own packages: CD014353 (REML + HKSJ; q < 1 is not floored, 1.6), CD007798 1.5 (DL +
  HKSJ + prediction interval: t_{k−1} and the HKSJ SE), and RevMan's P with HKSJ is the Wald P
  (``hksj_p="wald"``, which we think wrong: ``MODERN`` reports the t P). Per-study rules as RevMan 5.
* ``MODERN`` — what we would choose without RevMan: REML, HKSJ, prediction interval, I² from τ²,
  exact Hedges' g, MH sums on raw counts, studies with every participant an event in both arms
  left out of ratio measures (they carry no information on a ratio).

>>> REVMAN5.tau2_method, REVMAN_WEB.tau2_method, REVMAN_WEB.ci_method
('DL', 'REML', 'hksj')
>>> resolve("revman_web", tau2_method="DL").tau2_method
'DL'
"""
from __future__ import annotations

from dataclasses import dataclass, fields, replace

from .distributions import check_level
from .errors import InputError
from .vocabulary import (ALL_EVENTS_RULES, CI_METHODS, HKSJ_P, I2_METHODS, PREDICTION_DF, REML_RULES,
                         SMD_METHODS, TAU2_METHODS, ZERO_CELL_RULES)

__all__ = ["Settings", "REVMAN5", "REVMAN_WEB", "MODERN", "MODES", "resolve", "get_mode"]


@dataclass(frozen=True)
class Settings:
    """Every method choice that is not part of the analysis itself.

    ``tau2_method``: between-study variance estimator for random effects (DL, REML, PM).
    ``ci_method``: interval for the random-effects mean, ``"wald"`` (normal) or ``"hksj"``
    (Hartung & Knapp 2001; Sidik & Jonkman 2002: t on k − 1 df, SE² = Σw(y − μ)²/((k − 1)Σw)).
    ``hksj_floor``: use max(1, q) for the HKSJ variance factor q (Knapp & Hartung 2003's ad hoc
    rule; Röver et al. 2015), so the interval is never narrower than the Wald one with t quantile.
    ``prediction_df``: t degrees of freedom of the prediction interval μ ± t·√(τ² + SE²):
    ``"k-2"`` (Higgins, Thompson & Spiegelhalter 2009) or ``"k-1"``.
    ``i2``: ``"q"`` = max(0, (Q − df)/Q) (RevMan 5) or ``"tau2"`` = τ²/(τ² + s²) (Higgins &
    Thompson 2002). ``zero_cell``: ``"revman"`` adds 0.5 to every cell of a zero-cell study, also
    in the MH sums; ``"none"`` uses raw counts in the MH sums. ``all_events``: a study in which
    every participant in both arms had the event: ``"revman"`` keeps it for RR (RR = 1, also in the
    MH sum; variance from 0.5-corrected cells) as RevMan does, ``"exclude"`` leaves it out like a
    double-zero study.
    ``smd``: ``"revman"`` or ``"exact"`` Hedges' g. ``ci_level``/``study_ci_level``: pooled and
    per-study confidence levels (also of the prediction interval). ``tau2_ci``: compute the
    Q-profile CI of τ² (Viechtbauer 2007). ``hksj_p``: the P value reported with an HKSJ
    interval: ``"t"`` (from the HKSJ t statistic on k − 1 df, consistent with the interval) or
    ``"wald"`` (from the Wald z = θ/SE with SE = 1/√Σw*, as RevMan Web reports it: its "Effect P"
    is the Wald P although "Effect T" and the CI are HKSJ — established on CD014353, 19 HKSJ
    analyses, and CD007798; e.g. CD014353 3.7: CI 0.816 to 0.989 with P = 0.237).
    ``reml``: ``"revman"`` = RevMan's REML τ², Fisher scoring from the Hedges (HE) estimator
    stopped at the first step with |Δτ²| < 1e-8 (metafor's algorithm, whose default threshold is
    1e-5; read off RevMan's weights in 13 REML analyses of unseen Pairwise70 reviews, among them
    CD016064 1.2, whose weights only the 38th iterate reproduces); ``"exact"`` = the root of the
    REML equation to |Δτ²| ≤ 1e-12·(1 + τ²). RevMan 5 had no REML, so REVMAN5 (like MODERN)
    solves it exactly; REVMAN_WEB (RevMan 2025) and ``reproduce`` use RevMan's rule.
    """

    name: str = "custom"
    tau2_method: str = "DL"
    ci_method: str = "wald"
    hksj_floor: bool = False
    prediction_df: str = "k-2"
    i2: str = "q"
    zero_cell: str = "revman"
    all_events: str = "revman"
    smd: str = "revman"
    ci_level: float = 0.95
    study_ci_level: float = 0.95
    tau2_ci: bool = False
    hksj_p: str = "t"
    reml: str = "exact"

    def __post_init__(self) -> None:
        for name, allowed in (("tau2_method", TAU2_METHODS), ("ci_method", CI_METHODS), ("i2", I2_METHODS),
                              ("zero_cell", ZERO_CELL_RULES), ("all_events", ALL_EVENTS_RULES),
                              ("smd", SMD_METHODS), ("prediction_df", PREDICTION_DF),
                              ("hksj_p", HKSJ_P), ("reml", REML_RULES)):
            value = getattr(self, name)
            if not isinstance(value, str) or value not in allowed:
                raise InputError(f"unknown {name}={value!r}; expected one of "
                                 + ", ".join(map(repr, allowed)))
        object.__setattr__(self, "ci_level", check_level(self.ci_level, "ci_level"))
        object.__setattr__(self, "study_ci_level", check_level(self.study_ci_level, "study_ci_level"))


REVMAN5 = Settings(name="REVMAN5")
REVMAN_WEB = Settings(name="REVMAN_WEB", tau2_method="REML", ci_method="hksj", prediction_df="k-1",
                      i2="tau2", tau2_ci=True, hksj_p="wald", reml="revman")
MODERN = Settings(name="MODERN", tau2_method="REML", ci_method="hksj", prediction_df="k-2", i2="tau2",
                  zero_cell="none", all_events="exclude", smd="exact", tau2_ci=True)
MODES: dict[str, Settings] = {s.name: s for s in (REVMAN5, REVMAN_WEB, MODERN)}
_FIELDS = tuple(f.name for f in fields(Settings))


def get_mode(settings: "Settings | str | None") -> Settings:
    """A mode by name (case-insensitive: "revman5", "RevMan_Web", "modern") or a Settings as is."""
    if settings is None:
        return REVMAN5
    if isinstance(settings, Settings):
        return settings
    if isinstance(settings, str) and settings.upper() in MODES:
        return MODES[settings.upper()]
    raise InputError(f"unknown settings={settings!r}; expected a Settings or one of "
                     + ", ".join(map(repr, MODES)))


def resolve(settings: "Settings | str | None" = None, **overrides: object) -> Settings:
    """The mode ``settings`` with every override that is not None applied (validated).

    An override changes the name to ``"<MODE>+custom"`` so results say they left the mode.
    """
    base = get_mode(settings)
    unknown = set(overrides) - set(_FIELDS)
    if unknown:
        raise InputError(f"unknown setting(s) {sorted(unknown)}; expected some of {list(_FIELDS)}")
    changes = {k: v for k, v in overrides.items() if v is not None and getattr(base, k) != v}
    if not changes:
        return base
    if "name" not in changes:
        changes["name"] = base.name if base.name.endswith("+custom") else base.name + "+custom"
    return replace(base, **changes)
