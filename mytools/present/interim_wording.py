"""Interim outcome wording for the book's 14 abstract results.

TODO(bookdata): these move into the analysis registry (columns for the SoF outcome wording, the
outcome in a sentence, the verbs, the outcome group and the intervention name); when the typed
results carry them, chapters read them there and this module goes.
"""
from __future__ import annotations

__all__ = ["SOF_WORDING", "SOF_INTERVENTION", "OUTCOME_GROUPS", "COMPARISONS", "outcome_group",
           "sof_inputs", "evidence_frame"]

#: SoF wording per analysis: (outcome in the table, outcome in the sentence, verbs above/below null).
SOF_WORDING: dict[str, tuple[str, str, tuple[str, str]]] = {
    "ivig_disability": ("Disability / function (SMD; higher = better)", "disability",
                        ("improves", "worsens")),
    "ivig_strength": ("Muscle strength (SMD; higher = better)", "muscle strength",
                      ("improves", "worsens")),
    "ivig_tis20": ("ACR/EULAR response (TIS ≥ 20)", "the chance of an ACR/EULAR response",
                   ("increases", "reduces")),
    "ivig_cdasi": ("Skin activity, CDASI (0–100; lower = better)", "skin disease activity",
                   ("increases", "reduces")),
    "ivig_sae": ("Serious adverse events", "serious adverse events", ("increases", "reduces")),
    "ivig_withdrawals": ("Withdrawals (lack of benefit or adverse events)", "withdrawals",
                         ("increases", "reduces")),
    "aza_strength": ("Improvement in muscle strength", "the chance of improved muscle strength",
                     ("increases", "reduces")),
    "aza_steroid_dose": ("Cumulative steroid dose (mg/kg)", "the cumulative steroid dose",
                         ("increases", "reduces")),
    "mtx_function": ("Function, ALS-FRS (0–40; higher = better)", "function",
                     ("improves", "worsens")),
    "mtx_strength": ("Muscle strength, MMT (0–80; higher = better)", "muscle strength",
                     ("improves", "worsens")),
    "mtx_imacs": ("IMACS definition of improvement", "the chance of an IMACS improvement",
                  ("increases", "reduces")),
    "mtx_printo": ("PRINTO improvement (new-onset jDM)", "the chance of a PRINTO improvement",
                   ("increases", "reduces")),
    "mtx_sae": ("Serious adverse events", "serious adverse events", ("increases", "reduces")),
    "mtx_withdrawals": ("Withdrawals (lack of benefit or adverse events)", "withdrawals",
                        ("increases", "reduces")),
}

#: Intervention named in the SoF statements, by the comparison prefix of the analysis id.
SOF_INTERVENTION: dict[str, str] = {"ivig": "IVIg", "aza": "azathioprine", "mtx": "methotrexate"}

#: Comparison (evidence-map row) by the comparison prefix of the analysis id.
COMPARISONS: dict[str, str] = {"ivig": "IVIg vs placebo", "aza": "Azathioprine vs placebo",
                               "mtx": "Methotrexate vs placebo"}

#: Evidence-map columns, keyed by the outcome part of an analysis id.
OUTCOME_GROUPS: dict[str, str] = {
    "disability": "Disability / function",
    "function": "Disability / function",
    "strength": "Muscle strength",
    "tis20": "Composite response",
    "imacs": "Composite response",
    "printo": "Composite response",
    "cdasi": "Skin activity (CDASI)",
    "steroid_dose": "Steroid dose",
    "sae": "Serious adverse events",
    "withdrawals": "Withdrawals",
}


def outcome_group(analysis_id: str) -> str:
    """Evidence-map column for an analysis id (``ivig_tis20`` -> 'Composite response')."""
    suffix = analysis_id.split("_", 1)[1] if "_" in analysis_id else analysis_id
    if suffix not in OUTCOME_GROUPS:
        raise ValueError(f"outcome_group: no outcome group for analysis id {analysis_id!r}")
    return OUTCOME_GROUPS[suffix]


def sof_inputs(ars: list, comments: dict | None = None, footnotes: dict | None = None) -> list:
    """:class:`~mytools.present.sof.SofInput` for registry results, with the wording above."""
    from .sof import from_registry

    out = []
    for ar in ars:
        o, so, verbs = SOF_WORDING[ar.id]
        out.append(from_registry(ar, outcome=o, statement_outcome=so, verbs=verbs,
                                 intervention=SOF_INTERVENTION[ar.id.split("_")[0]],
                                 comments=(comments or {}).get(ar.id, ""),
                                 footnote=(footnotes or {}).get(ar.id, "")))
    return out


def evidence_frame(published, report):
    """Evidence-map frame of the 2025 abstract's results: ``published`` results and the
    ``mytools.analyses.analyses()`` report (for the statuses), both passed in."""
    from .evidence_map import evidence_map_frame

    pub = published[(published["review_id"] == "cochrane2025") & published["abstract_no"].notna()]
    ids = list(pub["analysis_id"])
    return evidence_map_frame(pub, dict(zip(report["analysis_id"], report["status"])),
                              {a: COMPARISONS[a.split("_")[0]] for a in ids},
                              {a: outcome_group(a) for a in ids},
                              list(dict.fromkeys(OUTCOME_GROUPS.values())))
