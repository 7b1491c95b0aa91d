"""Step tables: each hand value of :mod:`.hand` beside the engine's answer and the published one."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd

from ...analyses import analysis
from ...data import Dataset
from ...engine.pooling import pool_binary, pool_continuous
from .hand import FLEISS1993_MENTAL_HEALTH, hand_binary_rr, hand_smd, hedges_j_exact, hedges_j_revman

STEP_COLUMNS = ["step", "study", "quantity", "formula", "by_hand", "mytools", "published"]


@dataclass
class _Steps:
    rows: list[dict[str, Any]]

    def add(self, step: str, quantity: str, formula: str, by_hand: Any, mytools: Any = None,
            study: Sequence[str] | str = "pooled", published: float | None = None) -> None:
        hand = np.atleast_1d(np.asarray(by_hand, dtype=float))
        eng = (np.full(hand.shape, np.nan) if mytools is None
               else np.atleast_1d(np.asarray(mytools, dtype=float)))
        studies = [study] if isinstance(study, str) else list(study)
        for i, h in enumerate(hand):
            self.rows.append({"step": step, "study": studies[i], "quantity": quantity, "formula": formula,
                              "by_hand": float(h), "mytools": float(eng[i]),
                              "published": np.nan if published is None else float(published)})

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.rows, columns=STEP_COLUMNS)


def binary_step_table(
    events_intervention: Sequence[int], n_intervention: Sequence[int], events_control: Sequence[int], n_control: Sequence[int],
    labels: Sequence[str], published: Mapping[str, float] | None = None,
) -> pd.DataFrame:
    """Step table of a Mantel–Haenszel RR analysis: hand value, ``mytools`` value, published value.

    Steps: per-study RR and SE(ln RR); MH pieces R_i, S_i, weights and the Greenland–Robins P_i;
    pooled RR_MH, SE, 95% CI; inverse-variance weights, Q, I², DL τ², random-effects weights and
    estimate.  The engine's answers come from ``pool_binary`` (fixed MH, and random DL).
    """
    h = hand_binary_rr(events_intervention, n_intervention, events_control, n_control)
    fe = pool_binary(events_intervention, n_intervention, events_control, n_control, measure="RR", method="MH", model="fixed", labels=labels)
    re = pool_binary(events_intervention, n_intervention, events_control, n_control, measure="RR", method="MH", model="random",
                     tau2_method="DL", labels=labels)
    pub = dict(published or {})
    s = _Steps([])
    lab = list(labels)
    s.add("1 per-study effect", "RR", "(a/n₁)/(c/n₂)", h["rr"], fe.studies["estimate"], lab)
    s.add("1 per-study effect", "SE(ln RR)", "√(1/a − 1/n₁ + 1/c − 1/n₂)", h["se_log_rr"], fe.studies["se"], lab)
    s.add("2 Mantel–Haenszel", "R", "a·n₂/N", h["R"], None, lab)
    s.add("2 Mantel–Haenszel", "S", "c·n₁/N", h["S"], None, lab)
    s.add("2 Mantel–Haenszel", "MH weight (%)", "100·S/ΣS", h["mh_weight_percent"], fe.studies["weight_percent"], lab)
    s.add("2 Mantel–Haenszel", "P (Greenland–Robins)", "(n₁n₂(a+c) − a·c·N)/N²", h["P"], None, lab)
    s.add("2 Mantel–Haenszel", "RR (MH, fixed)", "ΣR/ΣS", h["rr_mh"], fe.estimate, published=pub.get("estimate"))
    s.add("2 Mantel–Haenszel", "SE(ln RR MH)", "√(ΣP/(ΣR·ΣS))", h["se_log_rr_mh"], fe.se)
    s.add("2 Mantel–Haenszel", "95% CI, lower", "exp(ln RR − 1.96·SE)", h["ci_low"], fe.ci_low, published=pub.get("ci_low"))
    s.add("2 Mantel–Haenszel", "95% CI, upper", "exp(ln RR + 1.96·SE)", h["ci_high"], fe.ci_high, published=pub.get("ci_high"))
    s.add("2 Mantel–Haenszel", "P value", "2·Φ(−|ln RR/SE|)", h["p"], fe.p)
    s.add("3 heterogeneity", "w = 1/SE²", "1/SE(ln RR)²", h["w_iv"], None, lab)
    s.add("3 heterogeneity", "Q", "Σw·(ln RR − ln RR_MH)²", h["q"], fe.q)
    s.add("3 heterogeneity", "I² (%)", "100·max(0, (Q − df)/Q)", h["i2"], fe.i2)
    s.add("4 random effects (DL)", "τ² (DL)", "max(0, (Q − df)/(Σw − Σw²/Σw))", h["tau2"], re.tau2)
    s.add("4 random effects (DL)", "random weight (%)", "100·w*/Σw*, w* = 1/(SE² + τ²)", h["w_re_percent"], re.studies["weight_percent"], lab)
    s.add("4 random effects (DL)", "RR (random)", "exp(Σw*·ln RR/Σw*)", h["rr_re"], re.estimate)
    s.add("4 random effects (DL)", "95% CI (random), lower", "exp(ln RR − 1.96/√Σw*)", h["ci_low_re"], re.ci_low)
    s.add("4 random effects (DL)", "95% CI (random), upper", "exp(ln RR + 1.96/√Σw*)", h["ci_high_re"], re.ci_high)
    return s.frame()


def smd_step_table(studies: pd.DataFrame = FLEISS1993_MENTAL_HEALTH,
                   published: Mapping[str, float] | None = None) -> pd.DataFrame:
    """Step table of an SMD (Hedges' g) analysis: RevMan's J and SE vs the exact J, IV pooling, Q, I², τ².

    ``studies`` has columns label, mean_intervention, sd_intervention, n_intervention, mean_control, sd_control, n_control.  The engine's answers come
    from ``pool_continuous(measure="SMD", smd="revman")`` (fixed and random DL) and, for the exact
    correction, ``smd="exact"``.
    """
    cols = [studies[c].to_numpy() for c in ("mean_intervention", "sd_intervention", "n_intervention", "mean_control", "sd_control", "n_control")]
    lab = [str(x) for x in studies["label"]]
    h = hand_smd(*cols)
    fe = pool_continuous(*cols, measure="SMD", smd="revman", model="fixed", labels=lab)
    re = pool_continuous(*cols, measure="SMD", smd="revman", model="random", tau2_method="DL", labels=lab)
    ex = pool_continuous(*cols, measure="SMD", smd="exact", model="fixed", labels=lab)
    s = _Steps([])
    s.add("1 per-study effect", "pooled SD", "√(((n₁−1)s₁² + (n₂−1)s₂²)/(N−2))", h["s_pooled"], None, lab)
    s.add("1 per-study effect", "d", "(m₁ − m₂)/SD_pooled", h["d"], None, lab)
    s.add("1 per-study effect", "J (RevMan)", "1 − 3/(4N − 9)", h["j"], None, lab)
    s.add("1 per-study effect", "J (exact)", "Γ(m/2)/(√(m/2)·Γ((m−1)/2)), m = N − 2", h["j_exact"], None, lab)
    s.add("1 per-study effect", "g (RevMan J)", "J·d", h["g"], fe.studies["estimate"], lab)
    s.add("1 per-study effect", "g (exact J)", "J_exact·d", h["g_exact"], ex.studies["estimate"], lab)
    s.add("1 per-study effect", "SE(g) (RevMan)", "√(N/(n₁n₂) + g²/(2(N − 3.94)))", h["se_g"], fe.studies["se"], lab)
    s.add("2 fixed effect (IV)", "weight (%)", "100·w/Σw, w = 1/SE²", h["w_iv_percent"], fe.studies["weight_percent"], lab)
    pub = dict(published or {})
    s.add("2 fixed effect (IV)", "SMD (fixed)", "Σw·g/Σw", h["g_fixed"], fe.estimate, published=pub.get("estimate"))
    s.add("2 fixed effect (IV)", "95% CI, lower", "SMD − 1.96/√Σw", h["ci_low"], fe.ci_low,
          published=pub.get("ci_low"))
    s.add("2 fixed effect (IV)", "95% CI, upper", "SMD + 1.96/√Σw", h["ci_high"], fe.ci_high,
          published=pub.get("ci_high"))
    s.add("3 heterogeneity", "Q", "Σw·(g − SMD)²", h["q"], fe.q)
    s.add("3 heterogeneity", "I² (%)", "100·max(0, (Q − df)/Q)", h["i2"], fe.i2)
    s.add("4 random effects (DL)", "τ² (DL)", "max(0, (Q − df)/(Σw − Σw²/Σw))", h["tau2"], re.tau2)
    s.add("4 random effects (DL)", "SMD (random)", "Σw*·g/Σw*, w* = 1/(SE² + τ²)", h["y_re"], re.estimate)
    return s.frame()


def display_steps(table: pd.DataFrame, digits: int = 4, skip: Sequence[str] = ()) -> pd.DataFrame:
    """Reader-facing version of a step table: rounded numbers and an 'agrees' mark.

    Column '=' is ✓ when |by hand − mytools| ≤ 1e-9·max(1, |by hand|), the difference otherwise,
    and — when the engine does not report that intermediate quantity; ``skip`` leaves out quantities.
    """
    out = table.copy()

    def agree(row: pd.Series) -> str:
        if np.isnan(row["mytools"]):
            return "—"
        diff = abs(row["by_hand"] - row["mytools"])
        return "✓" if diff <= 1e-9 * max(1.0, abs(row["by_hand"])) else f"{diff:.2g}"

    out["agrees"] = out.apply(agree, axis=1)
    fmt = f"{{:.{digits}f}}"
    for c in ("by_hand", "mytools", "published"):
        out[c] = out[c].map(lambda x: "" if pd.isna(x) else fmt.format(x))
    out = out.rename(columns={"by_hand": "by hand", "agrees": "agree"})
    if (out["published"] == "").all():
        out = out.drop(columns="published")
    if skip:
        out = out[~out["quantity"].isin(skip)]
    return out.drop(columns="step").set_index(["quantity", "study"])


def hedges_correction_table(sizes: pd.DataFrame) -> pd.DataFrame:
    """RevMan's J = 1 − 3/(4N − 9) vs the exact J for given trials (columns label, n_intervention, n_control).

    Adds N, both J's, and the relative difference of g (J_RevMan/J_exact − 1), in percent.
    """
    n_total = sizes["n_intervention"].to_numpy(dtype=float) + sizes["n_control"].to_numpy(dtype=float)
    j_r = hedges_j_revman(n_total)
    j_e = hedges_j_exact(n_total)
    return pd.DataFrame({
        "trial": sizes["label"].to_numpy(), "N": n_total.astype(int), "J (RevMan)": j_r,
        "J (exact)": j_e, "g difference (%)": 100.0 * (j_r / j_e - 1.0),
    })


def analysis_step_table(data: Dataset, analysis_id: str = "ivig_sae") -> pd.DataFrame:
    """:func:`binary_step_table` for a registered 2×2 analysis of ``data``, inputs and published
    result read via :func:`mytools.analyses.analysis` (nothing typed in)."""
    a = analysis(analysis_id, data)
    inp = a.inputs
    need = {"events_intervention", "n_intervention", "events_control", "n_control", "label"}
    if not need <= set(inp.columns):
        raise ValueError(f"{analysis_id}: inputs lack {sorted(need - set(inp.columns))}; a 2×2 analysis is needed")
    pub = a.published or {}
    return binary_step_table(inp["events_intervention"].astype(int).tolist(), inp["n_intervention"].astype(int).tolist(),
                             inp["events_control"].astype(int).tolist(), inp["n_control"].astype(int).tolist(),
                             [str(x) for x in inp["label"]],
                             {k: pub[k] for k in ("estimate", "ci_low", "ci_high") if pub.get(k) is not None})


_ARM_NAMES = {"mean_intervention": "mean_intervention", "sd_intervention": "sd_intervention", "n_intervention": "n_intervention",
              "mean_control": "mean_control", "sd_control": "sd_control", "n_control": "n_control",
              "events_intervention": "events_intervention", "events_control": "events_control"}


def arm_inputs(data: Dataset, analysis_id: str) -> tuple[pd.DataFrame, dict]:
    """Per-study inputs of a registered analysis with the worked tables' short column names
    (``mean_intervention`` … ``n_control``, ``label``), and its published result (a dict, possibly empty)."""
    a = analysis(analysis_id, data)
    return a.inputs.rename(columns=_ARM_NAMES), dict(a.published or {})


def analysis_smd_table(data: Dataset, analysis_id: str = "ivig_disability") -> pd.DataFrame:
    """:func:`smd_step_table` for a registered SMD analysis of ``data`` (the review's own rows)."""
    inp, pub = arm_inputs(data, analysis_id)
    need = ["label", "mean_intervention", "sd_intervention", "n_intervention", "mean_control", "sd_control", "n_control"]
    if not set(need) <= set(inp.columns) or inp[need[1:]].isna().any().any():
        raise ValueError(f"{analysis_id}: per-arm means, SDs and sizes are needed for every study")
    return smd_step_table(inp[need].reset_index(drop=True),
                          {k: pub[k] for k in ("estimate", "ci_low", "ci_high") if pub.get(k) is not None})


def step_value(table: pd.DataFrame, quantity: str, study: str = "pooled", column: str = "by_hand") -> float:
    """One number from a step table (for the prose), e.g. ``step_value(t, "Q")``."""
    sel = table[(table["quantity"] == quantity) & (table["study"] == study)]
    if len(sel) != 1:
        raise KeyError(f"step table has {len(sel)} rows for quantity={quantity!r}, study={study!r}")
    return float(sel[column].iloc[0])


def study_labels(table: pd.DataFrame) -> list[str]:
    """The studies of a step table, in table order (the pooled rows left out)."""
    s = table.loc[table["study"] != "pooled", "study"]
    return list(dict.fromkeys(s))


def review_hedges_table(data: Dataset,
                        study_ids: Sequence[str] = ("Dalakas1993", "Miyasaka2012", "Aggarwal2022")) -> pd.DataFrame:
    """:func:`hedges_correction_table` for trials of this review, arm sizes from ``data.studies``."""
    st = data.studies.set_index("study_id")
    missing = [s for s in study_ids if s not in st.index]
    if missing:
        raise ValueError(f"data/studies.csv: study_id {missing} not found")
    sizes = pd.DataFrame({"label": st.loc[list(study_ids), "label"].to_numpy(),
                          "n_intervention": pd.to_numeric(st.loc[list(study_ids), "n_intervention"]).to_numpy(),
                          "n_control": pd.to_numeric(st.loc[list(study_ids), "n_control"]).to_numpy()})
    if sizes[["n_intervention", "n_control"]].isna().any().any():
        raise ValueError("data/studies.csv: n_intervention/n_control missing for one of " + ", ".join(study_ids))
    return hedges_correction_table(sizes)
