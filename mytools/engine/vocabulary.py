"""The package's one vocabulary: data types, measures, methods, models, interval and τ² methods,
the per-study rules, and RevMan's codes for them. Every other module imports these names; none
writes the sets again.

One name per concept: ``ci_method`` (never ``ci``) is the interval for the pooled mean ("wald" or
"hksj"); ``study_ci_level`` (never ``ci_level_study``) is the confidence level of each study's
interval; ``ci_level`` that of the pooled estimate and of the prediction interval.

>>> is_ratio("rr"), is_ratio("RD"), measures_for("continuous")
(True, False, ('MD', 'SMD'))
>>> REVMAN_METHODS["EXP_O_E_VAR"], REVMAN_DATA_TYPES["DICH"]
('Peto', 'dichotomous')
"""
from __future__ import annotations

__all__ = [
    "DATA_TYPES", "BINARY_MEASURES", "DICHOTOMOUS_MEASURES", "CONTINUOUS_MEASURES",
    "MEASURES_BY_TYPE", "RATIO_MEASURES", "MEASURE_NAMES", "METHODS", "METHODS_BY_TYPE",
    "MODELS", "TAU2_METHODS", "CI_METHODS", "I2_METHODS", "PREDICTION_DF", "HKSJ_P",
    "ZERO_CELL_RULES", "ALL_EVENTS_RULES", "SMD_METHODS", "REML_RULES", "REVMAN_DATA_TYPES", "REVMAN_METHODS",
    "REVMAN_MODELS", "is_ratio", "measures_for", "default_method",
]

#: What a study row holds: 2×2 counts, means/SDs/ns, an estimate and its SE, or O − E and V.
DATA_TYPES = ("dichotomous", "continuous", "generic", "o_e")

#: Measures computed from 2×2 tables per study (``PETO_OR`` is Peto's OR, pooled by ``Peto``).
BINARY_MEASURES = ("RR", "OR", "RD")
DICHOTOMOUS_MEASURES = BINARY_MEASURES + ("PETO_OR",)
CONTINUOUS_MEASURES = ("MD", "SMD")
#: Allowed measures per data type; ``None``: any label (generic data: "HR", "Ratio of means" …).
MEASURES_BY_TYPE: dict[str, tuple[str, ...] | None] = {
    "dichotomous": DICHOTOMOUS_MEASURES, "continuous": CONTINUOUS_MEASURES,
    "generic": None, "o_e": ("PETO_OR",),
}
#: Measures analysed on the log scale and shown as ratios (the null is 1, not 0).
RATIO_MEASURES = ("RR", "OR", "PETO_OR", "HR")
#: RevMan's names of the measures (forest plots, tables).
MEASURE_NAMES = {"RR": "Risk Ratio", "OR": "Odds Ratio", "PETO_OR": "Peto Odds Ratio",
                 "HR": "Hazard Ratio", "RD": "Risk Difference", "MD": "Mean Difference",
                 "SMD": "Std. Mean Difference"}

#: Pooling families: Mantel–Haenszel, inverse variance, Peto.
METHODS = ("MH", "IV", "Peto")
METHODS_BY_TYPE = {"dichotomous": METHODS, "continuous": ("IV",), "generic": ("IV",),
                   "o_e": ("Peto",)}
MODELS = ("fixed", "random")
#: τ² estimators: DerSimonian–Laird, restricted maximum likelihood, Paule–Mandel.
TAU2_METHODS = ("DL", "REML", "PM")
#: ``ci_method``: Wald (normal) or Hartung–Knapp–Sidik–Jonkman (t on k − 1 df).
CI_METHODS = ("wald", "hksj")
#: I² from Cochran's Q (RevMan 5) or from τ² (Higgins & Thompson 2002).
I2_METHODS = ("q", "tau2")
#: t degrees of freedom of the prediction interval.
PREDICTION_DF = ("k-1", "k-2")
#: The P value beside an HKSJ interval: from its t statistic, or RevMan Web's Wald P.
HKSJ_P = ("t", "wald")
#: Zero cells in the pooled sums: ``revman`` adds 0.5 to every cell of a study with a zero cell
#: (also in the MH sums); ``none`` uses raw counts in the MH sums (per-study estimates still 0.5).
ZERO_CELL_RULES = ("revman", "none")
#: A study in which every participant had the event: ``revman`` keeps it for RR (RR = 1),
#: ``exclude`` leaves it out of ratio measures.
ALL_EVENTS_RULES = ("revman", "exclude")
#: Hedges' g: RevMan 5's approximations or the exact correction (metafor).
SMD_METHODS = ("revman", "exact")
#: REML τ²: RevMan's Fisher scoring (from the Hedges estimator, stopped when |Δτ²| < 1e-8) or the
#: root of the REML equation to machine precision.
REML_RULES = ("revman", "exact")

#: RevMan's codes for data types (.rm5 element names, RevMan 5 CSV and RevMan Web exports).
REVMAN_DATA_TYPES = {
    "DICH": "dichotomous", "CONT": "continuous", "IV": "generic", "IPD": "o_e",
    "DIC": "dichotomous", "CON": "continuous", "INV": "generic", "GIV": "generic", "O-E": "o_e",
    "dichotomous": "dichotomous", "continuous": "continuous", "contrast level": "generic",
    "generic inverse variance": "generic", "o-e and variance": "o_e", "o-e": "o_e",
}
#: RevMan's method codes (``EXP_O_E_VAR``: Peto's O − E and variance).
REVMAN_METHODS = {"MH": "MH", "IV": "IV", "PETO": "Peto", "EXP_O_E_VAR": "Peto"}
#: RevMan's model words.
REVMAN_MODELS = {"fixed effect": "fixed", "fixed-effect": "fixed", "fixed": "fixed",
                 "random effect": "random", "random effects": "random",
                 "random-effects": "random", "random": "random"}


def is_ratio(measure: object) -> bool:
    """True for measures analysed on the log scale (:data:`RATIO_MEASURES`), any letter case."""
    return str(measure).upper() in RATIO_MEASURES


def measures_for(data_type: str) -> tuple[str, ...] | None:
    """The measures allowed for ``data_type`` (None: any label); KeyError-free for unknown types."""
    return MEASURES_BY_TYPE.get(data_type, ())


def default_method(data_type: str, measure: str | None = None) -> str:
    """RevMan's default pooling family: MH for 2×2 data, Peto for O − E or Peto's OR, else IV."""
    if measure == "PETO_OR" or data_type == "o_e":
        return "Peto"
    return "MH" if data_type == "dichotomous" else "IV"
