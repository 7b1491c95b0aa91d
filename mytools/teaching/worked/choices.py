"""RevMan 5's defaults against modern choices, applied to every re-computable analysis."""
from __future__ import annotations

from typing import Any, Mapping

import numpy as np
import pandas as pd
from scipy import stats

from ...analyses import analyses, analysis, reanalyse
from ...data import Dataset
from ...engine.pooling import i2_from_tau2
from .hand import Z95

CHOICES: dict[str, str] = {
    "dl": "random effects, DL, Wald CI",
    "reml_hk": "random effects, REML τ², Hartung–Knapp CI",
    "pi": "95% prediction interval (DL)",
    "no_cc": "MH without the 0.5 correction",
    "i2_tau2": "I² from τ² (REML)",
}


def _excludes_null(lo: float, hi: float, log_scale: bool) -> bool:
    null = 1.0 if log_scale else 0.0
    return bool(lo > null or hi < null)


def _fmt(est: float, lo: float, hi: float) -> str:
    return f"{est:.2f} ({lo:.2f} to {hi:.2f})"


def choices_long(data: Dataset, review_id: str = "cochrane2025", in_abstract_only: bool = True) -> pd.DataFrame:
    """Every re-computable analysis under RevMan 5's choice and each modern alternative (long form).

    Columns: analysis_id, abstract_no, k, choice, estimate, ci_low, ci_high, excludes_null,
    revman_excludes_null, changes_conclusion, applicable, note.  Variants are computed with
    ``mytools.analyses.reanalyse`` (DL; REML + Hartung–Knapp 2001 / IntHout et al. 2014; zero-cell
    rule) and ``mytools.pooling.i2_from_tau2`` (Higgins & Thompson 2002); the prediction interval is
    θ ± t_{k−2}·√(τ² + SE²) (Higgins et al. 2009), defined for k ≥ 3 only.  A choice "changes a
    conclusion" when its 95% interval excludes the null and RevMan's does not, or vice versa.
    """
    reg = analyses(data)
    reg = reg[(reg["review_id"] == review_id)]
    if in_abstract_only:
        reg = reg[reg["in_abstract"].astype(str).str.lower().isin(["true", "1"])]
    rows: list[dict[str, Any]] = []
    for aid in reg["analysis_id"]:
        a = analysis(aid, data)
        if a.result is None or a.status == "restated":
            continue
        base = a.result
        log = bool(base.log_scale)
        base_sig = _excludes_null(base.ci_low, base.ci_high, log)
        common = {"analysis_id": aid, "name": short_name(aid, a.spec), "abstract_no": a.spec.get("abstract_no"), "k": base.k,
                  "measure": base.measure, "revman_excludes_null": base_sig}

        def add(choice: str, est: float, lo: float, hi: float, applicable: bool, note: str = "",
                *, common: dict = common, log: bool = log, base_sig: bool = base_sig) -> None:
            sig = _excludes_null(lo, hi, log) if applicable else base_sig
            rows.append({**common, "choice": choice, "estimate": est, "ci_low": lo, "ci_high": hi,
                         "excludes_null": sig, "changes_conclusion": bool(applicable and sig != base_sig),
                         "applicable": applicable, "note": note})

        add("revman", base.estimate, base.ci_low, base.ci_high, True, f"{base.method} {base.model}")
        dl = reanalyse(aid, data, model="random", tau2_method="DL")
        add("dl", dl.estimate, dl.ci_low, dl.ci_high, True,
            "identical to fixed effect (k = 1)" if base.k == 1 else f"τ² = {dl.tau2:.3g}")
        if base.k >= 2:
            hk = reanalyse(aid, data, model="random", tau2_method="REML", ci="hksj")
            add("reml_hk", hk.estimate, hk.ci_low, hk.ci_high, True, f"t on {base.k - 1} df")
            v = base.studies.loc[base.studies["estimable"], "se"].to_numpy(dtype=float) ** 2
            i2t = float(i2_from_tau2(hk.tau2, v))
            add("i2_tau2", i2t, np.nan, np.nan, False, f"I² from Q = {base.i2:.0f}%, from τ² = {i2t:.0f}%")
        else:
            add("reml_hk", np.nan, np.nan, np.nan, False, "needs k ≥ 2")
            add("i2_tau2", np.nan, np.nan, np.nan, False, "needs k ≥ 2")
        if dl.pi_low is not None:
            add("pi", dl.estimate, dl.pi_low, dl.pi_high, True, "prediction interval")
        else:
            add("pi", np.nan, np.nan, np.nan, False, "needs k ≥ 3")
        inp = a.inputs
        if base.measure in ("RR", "OR", "RD") and {"events_t", "events_c"} <= set(inp.columns):
            zero = bool(((inp["events_t"] == 0) | (inp["events_c"] == 0)
                         | (inp["events_t"] == inp["n_t"]) | (inp["events_c"] == inp["n_c"])).any())
            if zero:
                nc = reanalyse(aid, data, zero_cell="none")
                add("no_cc", nc.estimate, nc.ci_low, nc.ci_high, True, "raw counts in the MH sums")
            else:
                add("no_cc", np.nan, np.nan, np.nan, False, "no zero cells")
        else:
            add("no_cc", np.nan, np.nan, np.nan, False, "not a 2×2 analysis")
    return pd.DataFrame(rows)


SHORT_CHOICES: dict[str, str] = {
    "revman": "RevMan 5 (published method)",
    "dl": "random, DL",
    "reml_hk": "random, REML + HK",
    "pi": "95% prediction interval",
    "i2_tau2": "I²: from Q → from τ²",
    "no_cc": "no 0.5 correction",
}


def choices_table(long: pd.DataFrame) -> pd.DataFrame:
    """The reader's table: one row per analysis, RevMan 5 next to each modern choice.

    Cells show 'estimate (lower to upper)'; '—' where a choice does not apply (the reason is in
    ``choices_long``'s ``note``); a ★ where the choice changes whether the 95% interval excludes
    no effect; for I², 'from Q → from τ²' in percent.
    """
    out: dict[str, dict[str, str]] = {}
    for _, grp in long.groupby("analysis_id", sort=False):
        name = str(grp["name"].iloc[0])
        row = {"k": str(int(grp["k"].iloc[0]))}
        for _, r in grp.iterrows():
            if r["choice"] == "i2_tau2":
                i2q = r["note"].split("from Q = ")[1].split("%")[0] if "from Q" in r["note"] else ""
                cell = "—" if np.isnan(r["estimate"]) else f"{i2q}% → {r['estimate']:.0f}%"
            elif r["applicable"]:
                cell = _fmt(r["estimate"], r["ci_low"], r["ci_high"]) + (" ★" if r["changes_conclusion"] else "")
            else:
                cell = "—"
            row[SHORT_CHOICES[r["choice"]]] = cell
        out[name] = row
    table = pd.DataFrame.from_dict(out, orient="index")
    table.index.name = "result (2025 abstract no.)"
    return table


def choices_summary(long: pd.DataFrame) -> pd.DataFrame:
    """Per modern choice: in how many analyses it applies and in how many it changes a conclusion."""
    rows = []
    for key, label in CHOICES.items():
        g = long[long["choice"] == key]
        changed = g.loc[g["changes_conclusion"], "analysis_id"].tolist()
        rows.append({"choice": label, "analyses": int(g["analysis_id"].nunique()),
                     "applicable": int(g["applicable"].sum()) if key != "i2_tau2" else int(g["estimate"].notna().sum()),
                     "changes_conclusion": len(changed),
                     "changed_in": "; ".join(g.loc[g["changes_conclusion"], "name"]) or "none"})
    return pd.DataFrame(rows).set_index("choice")


def choices_counts(long: pd.DataFrame) -> dict[str, int]:
    """Counts the page quotes about the analyses in ``choices_long()``: how many there are
    (``n``), how many pool at least two (``k2``) and at least three (``k3``) studies."""
    k = long.groupby("analysis_id")["k"].first()
    return {"n": int(k.size), "k2": int((k >= 2).sum()), "k3": int((k >= 3).sum())}



def short_name(analysis_id: str, spec: Mapping[str, Any]) -> str:
    """'#5 IVIg: serious adverse events'-style short name of a registered analysis."""
    outcome = str(spec["outcome"]).split(",")[0].split(" (")[0]
    if len(outcome) > 36:
        outcome = outcome[:35].rstrip() + "…"
    comp = str(spec["comparison"]).split(" (")[0].split(" vs ")[0]
    no = spec.get("abstract_no")
    if len(outcome) > 1 and outcome[1].islower():
        outcome = outcome[0].lower() + outcome[1:]
    return (f"#{int(no)} " if no not in (None, "") else "") + f"{comp}: {outcome}"


def wald_vs_t_critical(df: int) -> tuple[float, float]:
    """The 97.5% quantiles used by a Wald (normal) and a Hartung–Knapp (t on ``df`` d.f.) interval."""
    return Z95, float(stats.t.ppf(0.975, df))


def choices_verdict(summary: pd.DataFrame) -> str:
    """One sentence for the prose, from ``choices_summary``: which choices change a conclusion."""
    changed = summary[summary["changes_conclusion"] > 0]
    if changed.empty:
        return "the review's conclusions do not depend on RevMan's methodological defaults"
    parts = [f"{name} (in {row.changed_in})" for name, row in changed.iterrows()]
    return "the conclusion depends on the method for " + "; ".join(parts)


#: Reader-facing column names for ``choices_summary``.
SUMMARY_LABELS: dict[str, str] = {
    "analyses": "results", "applicable": "applies to", "changes_conclusion": "changes a conclusion",
    "changed_in": "where",
}
