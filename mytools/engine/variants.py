"""The one registry of named analysis variants (sensitivity tables, worked examples, simulation lab).

Each :class:`Variant` is a key, a label for tables, a short label, and the keyword options it passes
to the pooling functions on top of the analysis as registered (``{}`` = as registered). Hartung–Knapp
has one name everywhere: ``hksj`` (the CI method ``ci_method="hksj"``; variants ``dl_hksj``, ``reml_hksj``).

>>> VARIANTS["reml_hksj"].options
{'model': 'random', 'tau2_method': 'REML', 'ci_method': 'hksj'}
>>> variant_options("mh_no_correction")
{'zero_cell': 'none'}
"""
from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Mapping

from .errors import InputError

__all__ = ["Variant", "VARIANTS", "variant_options", "variants_for"]


@dataclass(frozen=True)
class Variant:
    """A named re-analysis: ``options`` are keyword arguments of the pool functions.

    ``applies_to``: ``"all"``, ``"dichotomous"`` (2×2 data only), ``"mh"`` (MH analyses with a
    zero cell: the zero-cell rule only matters there), ``"all_events"`` (2×2 data with a study in
    which everyone had the event), ``"smd"`` (SMD analyses).
    """

    key: str
    label: str
    short: str
    options: Mapping[str, object] = field(default_factory=dict)
    applies_to: str = "all"
    note: str = ""


_ALL = (
    Variant("revman", "RevMan default (as registered)", "RevMan (as published)", {},
            note="the analysis' own measure, method and model; RevMan 5 rules"),
    Variant("fixed", "fixed effect", "fixed", {"model": "fixed"},
            note="MH for 2×2 data as registered, else inverse variance; Wald CI"),
    Variant("random_dl", "random effects, DerSimonian–Laird, Wald CI", "random, DL",
            {"model": "random", "tau2_method": "DL", "ci_method": "wald"},
            note="DerSimonian & Laird 1986 (RevMan 5's random effects)"),
    Variant("random_reml", "random effects, REML, Wald CI", "random, REML",
            {"model": "random", "tau2_method": "REML", "ci_method": "wald"}),
    Variant("random_pm", "random effects, Paule–Mandel, Wald CI", "random, PM",
            {"model": "random", "tau2_method": "PM", "ci_method": "wald"}),
    Variant("dl_hksj", "random effects, DerSimonian–Laird + Hartung–Knapp", "random, DL + HKSJ",
            {"model": "random", "tau2_method": "DL", "ci_method": "hksj"},
            note="t on k − 1 df (Hartung & Knapp 2001; Sidik & Jonkman 2002)"),
    Variant("reml_hksj", "random effects, REML + Hartung–Knapp", "random, REML + HKSJ",
            {"model": "random", "tau2_method": "REML", "ci_method": "hksj"},
            note="RevMan Web's random effects since 2025; t on k − 1 df (IntHout et al. 2014)"),
    Variant("reml_hksj_floor", "random effects, REML + Hartung–Knapp (variance factor ≥ 1)",
            "random, REML + HKSJ ≥ 1", {"model": "random", "tau2_method": "REML", "ci_method": "hksj",
                                        "hksj_floor": True},
            note="Knapp & Hartung 2003's ad hoc rule (Röver et al. 2015)"),
    Variant("mh_no_correction", "MH without 0.5 correction", "no 0.5 correction",
            {"zero_cell": "none"}, applies_to="mh",
            note="raw counts in the MH sums (metafor rma.mh's default)"),
    Variant("all_events_excluded", "studies with every participant an event left out",
            "all-events studies out", {"all_events": "exclude"}, applies_to="all_events",
            note="RevMan keeps them for RR with RR = 1; they carry no information on a ratio"),
    Variant("smd_exact", "SMD with the exact Hedges correction", "exact Hedges' g",
            {"smd": "exact"}, applies_to="smd", note="metafor escalc('SMD')"),
)
VARIANTS: Mapping[str, Variant] = MappingProxyType({v.key: v for v in _ALL})


def variant_options(key: str) -> dict[str, object]:
    """The pool-function keyword options of variant ``key`` (a copy; KeyError-free message)."""
    if key not in VARIANTS:
        raise InputError(f"unknown analysis variant {key!r}; expected one of {', '.join(VARIANTS)}")
    return dict(VARIANTS[key].options)


def variants_for(*, data_type: str, method: str | None = None, measure: str | None = None,
                 has_zero_cell: bool = False, has_all_events: bool = False) -> list[str]:
    """Keys of the variants that apply to an analysis of this kind (``revman`` first)."""
    out = []
    for v in _ALL:
        ok = {"all": True,
              "dichotomous": data_type == "dichotomous",
              "mh": data_type == "dichotomous" and method == "MH" and has_zero_cell,
              "all_events": data_type == "dichotomous" and has_all_events,
              "smd": measure == "SMD"}[v.applies_to]
        if ok:
            out.append(v.key)
    return out
