"""Numbers a chapter glues into its prose: one dict per analysis, keys ``<analysis_id>_<field>``.

Glue the float, format in the role (``{glue:text}`ivig_tis20_est:.2f```). Unknown values are
left out, so a page that glues one fails the build instead of printing an invented number.
Nothing here runs an analysis: results (and sensitivity frames) are passed in.
"""
from __future__ import annotations

import re
from typing import Any, Callable, Mapping

import pandas as pd

from ..analyses.variants import DATA_VARIANTS
from ..engine.variants import VARIANTS
from . import sof
from .tables import STATUS_WORDS, _get, _missing, sensitivity_table

__all__ = ["glue_values", "glue_analysis", "glue_dict", "glue_chapter",
           "sensitivity_glue_values", "glue_sensitivity", "review_glue_values", "natural_units_values",
           "natural_units_text", "month_year", "more_fewer", "signed", "width_word", "counting_glue_values", "count_word", "trials_by_population", "direction_glue_values", "rows_vs_list",
           "comparison_trials",
           "study_glue_values"]

Glue = Callable[..., Any]


def _absolute(ar: Any) -> dict[str, Any]:
    pub = _get(ar, "published") or {}
    if _missing(pub.get("estimate")) or str(pub.get("measure", "")).upper() != "RR":
        return {}
    ev, n = sof.control_counts(_get(ar, "inputs"))
    if not n:
        return {}
    s = sof.from_registry(ar, outcome="", statement_outcome="", intervention="")
    if not s.certainty:
        s = sof.SofInput(**{**s.__dict__, "certainty": "low"})
    r = sof.sof_row(s)["risk"]
    return {"acr": r.assumed, "cr": r.risk, "cr_lo": r.low, "cr_hi": r.high, "rd": r.difference,
            "rd_lo": r.difference_low, "rd_hi": r.difference_high,
            "rd_words": more_fewer(r.difference), "rd_lo_words": more_fewer(r.difference_low),
            "rd_hi_words": more_fewer(r.difference_high) + ("*" if r.capped else ""),
            "capped_note": (f"*capped: the control risk times the upper RR limit is {r.raw_high} per "
                            "1000, and a risk cannot exceed 1000 per 1000" if r.capped else
                            "no limit is capped")}


def more_fewer(v: float, digits: int = 0) -> str:
    """A signed difference in words, as the SoF tables print it: ``-36`` -> ``"36 fewer"``.

    >>> more_fewer(-36), more_fewer(244), more_fewer(0)
    ('36 fewer', '244 more', '0 more')
    """
    return f"{abs(v):.{digits}f} {'fewer' if v < 0 else 'more'}"


def signed(v: float, digits: int = 2) -> str:
    """A number with a typographic minus sign: ``signed(-6.09)`` -> ``"−6.09"``."""
    return f"{v:.{digits}f}".replace("-", "\u2212")


def width_word(lo: float, hi: float, ref_lo: float, ref_hi: float, log: bool = True) -> str:
    """``"wider"`` or ``"narrower"``: the interval (lo, hi) against (ref_lo, ref_hi), compared on
    the log scale for ratios.

    >>> width_word(0.41, 0.99, 0.37, 1.05)
    'narrower'
    """
    import math

    f = math.log if log else (lambda x: x)
    return "wider" if f(hi) - f(lo) > f(ref_hi) - f(ref_lo) else "narrower"


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", str(text).lower()).strip("_")


def _arms(ar: Any) -> dict[str, Any]:
    """Per-study arm sizes (``<study>_n_int``/``_n_ctl``, study = review label slug) and, for a
    single dichotomous study, the arm risks in percent and their difference in points."""
    from .forest_adapt import study_frame

    res = _get(ar, "result")
    inputs = _get(ar, "inputs")
    if res is None or inputs is None:
        return {}
    st = study_frame(res.studies).reset_index(drop=True)
    names = list(inputs.get("review_label", inputs.get("label", pd.Series(dtype=str))))
    out: dict[str, Any] = {}
    if "n_intervention" not in st or len(names) != len(st):
        return out
    out["n_int"] = int(st["n_intervention"].sum())
    out["n_ctl"] = int(st["n_control"].sum())
    for name, (_, r) in zip(names, st.iterrows()):
        out[f"{_slug(name)}_n_int"] = int(r["n_intervention"])
        out[f"{_slug(name)}_n_ctl"] = int(r["n_control"])
    if len(st) == 1 and "events_intervention" in st:
        r = st.iloc[0]
        pi = 100 * r["events_intervention"] / r["n_intervention"]
        pc = 100 * r["events_control"] / r["n_control"]
        out.update(risk_int=float(pi), risk_ctl=float(pc), rd_pts=float(pi - pc))
    return out


def glue_values(ar: Any) -> dict[str, Any]:
    """Values a chapter glues for one analysis, keyed ``<analysis_id>_<field>``.

    Fields: ``est, lo, hi, p, z, i2, tau2, k_rec, n_rec`` (recomputed; only when there is a pooled
    result), ``pub_est, pub_lo, pub_hi, k, n, certainty`` (published), ``acr, cr, cr_lo, cr_hi,
    rd, rd_lo, rd_hi`` (per 1000, risk ratios with control-arm counts), ``n_int, n_ctl`` and
    ``<study>_n_int/_n_ctl`` (arm sizes in the analysis), ``risk_int, risk_ctl, rd_pts`` (one
    dichotomous study: percent and percentage points), ``timepoint``,
    ``status`` (short phrase), ``status_text`` and ``reason``.
    """
    aid = _get(ar, "id")
    out: dict[str, Any] = {}
    res = _get(ar, "result")
    status = str(_get(ar, "status", ""))
    if res is not None and status != "not_reproducible":
        out.update({"est": res.estimate, "lo": res.ci_low, "hi": res.ci_high, "p": res.p,
                    "z": abs(res.z) if res.z is not None else None, "i2": res.i2,
                    "tau2": res.tau2, "k_rec": res.k})
        st = res.studies
        if {"n_intervention", "n_control"} <= set(st.columns):
            out["n_rec"] = int(st["n_intervention"].sum() + st["n_control"].sum())
    pub = _get(ar, "published") or {}
    for src, dst in (("estimate", "pub_est"), ("ci_low", "pub_lo"), ("ci_high", "pub_hi"),
                     ("k", "k"), ("participants", "n"), ("certainty", "certainty")):
        if not _missing(pub.get(src)):
            out[dst] = pub[src]
    for key in ("k", "n"):
        if key in out:
            out[key] = int(out[key])
    for key in ("est", "lo", "hi", "pub_est", "pub_lo", "pub_hi"):  # text with a typographic minus
        if key in out and not _missing(out[key]):
            out[f"{key}_t"] = signed(float(out[key]))
    out.update(_absolute(ar))
    out.update(_arms(ar))
    spec = dict(_get(ar, "spec") or {})
    if not _missing(spec.get("timepoint")):
        out["timepoint"] = str(spec["timepoint"])
    out["status"] = STATUS_WORDS.get(status, status).split(":")[0]
    out["status_text"] = STATUS_WORDS.get(status, status)
    from .wording import reason_text  # statuses and reasons are codes; wording makes the sentence

    out["reason"] = reason_text(ar)
    return {f"{aid}_{k}": v for k, v in out.items() if v is not None and not _missing(v)}


def glue_dict(values: Mapping[str, Any], glue: Glue) -> list[str]:
    """``glue(key, value, display=False)`` for every item; return the keys."""
    for key, value in values.items():
        glue(key, value, display=False)
    return list(values)


def glue_analysis(ar: Any, glue: Glue, prefix: str = "") -> list[str]:
    """Glue every value of :func:`glue_values` (keys prefixed by `prefix`); return the keys."""
    return glue_dict({f"{prefix}{k}": v for k, v in glue_values(ar).items()}, glue)


def glue_chapter(ars: Mapping[str, Any], glue: Glue) -> list[str]:
    """:func:`glue_analysis` for every analysis of a chapter; returns all keys glued."""
    keys: list[str] = []
    for ar in ars.values():
        keys += glue_analysis(ar, glue)
    return keys


def sensitivity_glue_values(analysis_id: str, frame: pd.DataFrame) -> dict[str, Any]:
    """``<id>_sens_<variant>_{est,lo,hi}`` for every estimable variant of a sensitivity frame; the
    ``variant`` column holds the engine's variant keys (``random_dl``, ``reml_hksj`` …,
    :data:`mytools.engine.variants.VARIANTS`) or :data:`mytools.analyses.variants.DATA_VARIANTS` keys."""
    out: dict[str, Any] = {}
    for _, row in frame.iterrows():
        key = str(row["variant"])
        if key not in VARIANTS and key not in DATA_VARIANTS:
            raise ValueError(f"unknown analysis variant {key!r} in a sensitivity frame; expected a key of "
                             "mytools.engine.variants.VARIANTS")
        if _missing(row["estimate"]):
            continue
        for field, col in (("est", "estimate"), ("lo", "ci_low"), ("hi", "ci_high")):
            out[f"{analysis_id}_sens_{key}_{field}"] = float(row[col])
    out.update(_sensitivity_words(analysis_id, out))
    return out


def _sensitivity_words(aid: str, v: Mapping[str, float]) -> dict[str, str]:
    """``<id>_sens_<variant>_width`` ("wider"/"narrower" than the registered interval) and
    ``<id>_sens_<variant>_null`` ("includes 1"/"excludes 1", 0 for differences) for each
    non-registered variant."""
    ref = (v.get(f"{aid}_sens_revman_lo"), v.get(f"{aid}_sens_revman_hi"))
    out: dict[str, str] = {}
    for key in list(v):
        if not key.endswith("_lo") or key == f"{aid}_sens_revman_lo":
            continue
        base = key[:-3]
        lo, hi = v[key], v.get(f"{base}_hi")
        if hi is None or lo is None:
            continue
        log = lo > 0  # ratio measures are pooled and compared on the log scale
        null = 1.0 if log else 0.0
        out[f"{base}_null"] = f"{'includes' if lo <= null <= hi else 'excludes'} {null:g}"
        if None not in ref and (not log or min(ref) > 0):
            out[f"{base}_width"] = width_word(lo, hi, ref[0], ref[1], log=log)
    return out


def glue_sensitivity(analysis_id: str, frame: pd.DataFrame, glue: Glue) -> pd.DataFrame:
    """Glue the numbers of a sensitivity frame (computed by ``mytools.analyses``) and return
    the formatted table."""
    glue_dict(sensitivity_glue_values(analysis_id, frame), glue)
    return sensitivity_table(frame)


_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
           "October", "November", "December")


def month_year(date: Any) -> str:
    """``"2011-08"`` -> ``"August 2011"``; ``"2023-02-03"`` -> ``"3 February 2023"``; other text as is.

    >>> month_year("2011-08"), month_year("2023-02-03"), month_year("2015")
    ('August 2011', '3 February 2023', '2015')
    """
    m = re.fullmatch(r"(\d{4})-(\d{2})(?:-(\d{2}))?", str(date).strip())
    if not m:
        return str(date)
    year, month, day = m.group(1), _MONTHS[int(m.group(2)) - 1], m.group(3)
    return f"{int(day)} {month} {year}" if day else f"{month} {year}"


def review_glue_values(reviews: pd.DataFrame, prefix: str = "background") -> dict[str, Any]:
    """``<prefix>_<review_id>_{k,n,year,search}`` from the reviews table (known values only)."""
    out: dict[str, Any] = {}
    for _, r in reviews.iterrows():
        rid = r["review_id"]
        for col, field, conv in (("n_studies", "k", int), ("n_participants", "n", int),
                                 ("year", "year", int), ("search_date", "search", month_year)):
            if col in r.index and not _missing(r[col]):
                out[f"{prefix}_{rid}_{field}"] = conv(r[col])
    return out


def natural_units_values(ar: Any, study: str, key: str) -> dict[str, float]:
    """An SMD re-expressed on one study's scale: ``<key>_sd`` (the pooled SD of that study's arms
    in the analysis), ``<key>_est/_lo/_hi`` (the published SMD and CI × that SD).

    The SD is the study's own, as entered in the review's data rows (Handbook 15.5.3.2)."""
    inputs = _get(ar, "inputs")
    names = inputs.get("review_label", inputs["label"])
    row = inputs[names == study]
    if len(row) != 1:
        raise ValueError(f"natural_units_values: no single row for study {study!r} in {_get(ar, 'id')}")
    r = row.iloc[0]
    sd = sof.pooled_sd(float(r["n_intervention"]), float(r["sd_intervention"]), float(r["n_control"]), float(r["sd_control"]))
    pub = _get(ar, "published") or {}
    est, lo, hi = sof.reexpress_smd(float(pub["estimate"]), float(pub["ci_low"]), float(pub["ci_high"]), sd)
    return {f"{key}_sd": sd, f"{key}_est": est, f"{key}_lo": lo, f"{key}_hi": hi}


def natural_units_text(ar: Any, study: str, scale: str, digits: int = 1) -> str:
    """E.g. ``"SMD 0.86, about 0.37 HAQ-DI points better (0.22 to 0.52)"`` (positive SMD = better,
    as in the review's analyses; see :func:`natural_units_values`)."""
    v = list(natural_units_values(ar, study, "x").values())
    pub = (_get(ar, "published") or {})["estimate"]
    word = "better" if v[1] >= 0 else "worse"
    return (f"SMD {pub:.2f}, about {abs(v[1]):.{digits}f} {scale} points {word} "
            f"({v[2]:.{digits}f} to {v[3]:.{digits}f})")


def study_glue_values(studies: pd.DataFrame, ids: Mapping[str, str], prefix: str,
                      columns: tuple[str, ...] = ("population", "intervention", "comparator",
                                                  "duration")) -> dict[str, str]:
    """``<prefix>_<key>_<column>`` text from the studies table, for ``{key: study_id}``."""
    st = studies.set_index("study_id")
    return {f"{prefix}_{key}_{c}": str(st.loc[sid, c]) for key, sid in ids.items() for c in columns
            if c in st.columns and not _missing(st.loc[sid, c])}


def _study_totals(rows: pd.DataFrame) -> pd.DataFrame:
    r = rows.assign(total=rows["n_intervention"].fillna(0) + rows["n_control"].fillna(0))
    return r.groupby(["analysis", "study"], as_index=False)["total"].sum()


def counting_glue_values(rows: pd.DataFrame, group: int, analyses: Mapping[str, str]) -> dict[str, Any]:
    """Participants counted by each analysis of one comparison of the review's data rows, against
    the usual size of its trials (each trial's most frequent arm total over the comparison's
    analyses, i.e. the number randomised unless most analyses re-count it).

    Keys, for each ``key -> analysis``: ``<key>_rows_n`` (sum of both arms), ``<key>_usual_n``,
    ``<key>_excess`` (difference), ``<key>_count_phrase`` ("5 more than the 139 randomised into
    its trials" or "the 154 randomised into its trials, no more") and ``<key>_studies``.
    """
    sub = rows[rows["group"] == group]
    tot = _study_totals(sub)
    usual = tot.groupby("study")["total"].agg(lambda s: s.mode().iloc[0])
    out: dict[str, Any] = {}
    for key, aid in analyses.items():
        t = tot[tot["analysis"] == aid]
        n = int(t["total"].sum())
        u = int(sum(usual[s] for s in t["study"]))
        out[f"{key}_rows_n"] = n
        out[f"{key}_usual_n"] = u
        out[f"{key}_excess"] = n - u
        out[f"{key}_count_phrase"] = (f"{n - u} more than the {u} randomised into its trials" if n > u
                                      else f"the {u} randomised into its trials, no more")
        out[f"{key}_studies"] = ", ".join(t["study"])
    return out


def comparison_trials(rows: pd.DataFrame, group: int) -> list[str]:
    """The distinct studies with a row in any analysis of comparison `group`, in row order."""
    return list(dict.fromkeys(rows.loc[rows["group"] == group, "study"]))


def count_word(n: int) -> str:
    """A small count in words, as prose writes it: ``count_word(2)`` -> ``"two"``.

    >>> count_word(2), count_word(12)
    ('two', '12')
    """
    words = ("no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")
    return words[n] if 0 <= n < len(words) else str(n)


def trials_by_population(rows: pd.DataFrame, group: int, study_map: pd.DataFrame,
                         studies: pd.DataFrame, word: str) -> list[str]:
    """Review labels of the trials in comparison `group` whose population (``studies.csv``,
    via ``review_study_map.csv``) starts with `word` (e.g. ``"adults"``, ``"children"``)."""
    labels = comparison_trials(rows, group)
    ids = study_map.set_index("review_label")["study_id"]
    pop = studies.set_index("study_id")["population"].astype(str).str.lower()
    return [lab for lab in labels if lab in ids and pop.get(ids[lab], "").startswith(word.lower())]


def direction_glue_values(key: str, estimate: float, low: float, high: float, null: float = 0.0,
                          up: str = "higher", down: str = "lower") -> dict[str, str]:
    """Words for a point estimate and its interval: ``<key>_direction`` (`up` or `down`, the side
    of `null` the point estimate is on) and ``<key>_span`` ("spans both directions" when the
    interval includes `null`, else "is entirely <direction>").

    >>> direction_glue_values("d", 12.06, -6.09, 30.21)["d_span"]
    'spans both directions'
    """
    direction = up if estimate > null else down
    span = "spans both directions" if low <= null <= high else f"is entirely {direction}"
    return {f"{key}_direction": direction, f"{key}_span": span}


def rows_vs_list(rows: pd.DataFrame, study_map: pd.DataFrame, review_studies: pd.DataFrame,
                 studies: pd.DataFrame, prefix: str) -> dict[str, Any]:
    """Compare the studies named in one review's data rows with the book's reconstructed list of
    its included studies (``review_studies.csv``, one review's rows). Keys: ``<prefix>_rows_k``
    (labels in the rows), ``<prefix>_rows_not_listed`` (labels in the rows whose study the list does
    not mark included) and ``<prefix>_listed_not_in_rows`` (studies the list marks included, other
    than placeholders, that no row names), both as "A, B" or "none"."""
    labels = list(dict.fromkeys(rows["study"]))
    ids = study_map.drop_duplicates("review_label").set_index("review_label")["study_id"]
    in_rows = {ids.get(lab, lab) for lab in labels}
    inc = review_studies[review_studies["inclusion"] == "included"]
    kind = studies.set_index("study_id")["record_type"]
    listed = {s for s in inc["study_id"] if kind.get(s) != "placeholder"}
    name = studies.set_index("study_id")["label"]
    not_listed = [lab for lab in labels if ids.get(lab, lab) not in set(inc["study_id"])]
    not_rows = sorted(name.get(s, s) for s in listed - in_rows)
    return {f"{prefix}_rows_k": len(labels),
            f"{prefix}_rows_not_listed": ", ".join(not_listed) or "none",
            f"{prefix}_listed_not_in_rows": ", ".join(not_rows) or "none"}
