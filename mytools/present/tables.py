"""Tables for the chapters: recomputed-vs-published, sensitivity, included studies, outcome
measures, what is known about a result; and the HTML they are shown as.

Every function returns a :class:`pandas.DataFrame` (text cells already formatted the way the
book prints them) or HTML. Nothing here computes statistics or loads data: results and the
``Dataset`` are passed in. Summary-of-findings tables are in :mod:`.sof`, the prose's values in :mod:`.analysis_values`.
"""
from __future__ import annotations

import math
from html import escape
from typing import Any, Iterable, Mapping, Sequence

import pandas as pd

from ..analyses.variants import DATA_VARIANTS
from ..engine.variants import VARIANTS
from . import grade
from .wording import reason_text

__all__ = ["OUTCOME_MEASURES", "STATUS_WORDS", "fmt_ci", "comparison_table", "sensitivity_table",
           "included_studies_table", "outcome_measures_table", "known_facts_table", "to_html",
           "report_html", "show", "study_numbers_table"]


def _get(obj: Any, name: str, default: Any = None) -> Any:
    if isinstance(obj, Mapping):
        return obj.get(name, default)
    return getattr(obj, name, default)


#: What each reproduction status means, in words for the reader.
STATUS_WORDS: dict[str, str] = {
    "reproduced": "reproduced: recomputed from study-level inputs, equal to the published result "
    "at its published precision",
    "approximate": "approximately reproduced: recomputed from inputs that are partly "
    "approximated; close to, but not exactly, the published result",
    "restated": "restated, not reproduced: the only input is the review's own single-study "
    "estimate and CI, so the book can only repeat it",
    "not_reproducible": "not reproducible: the study-level numbers the review pooled are not "
    "available in any readable source",
    "not_compared": "outside the review's abstract: computed here from trial data, with no "
    "published pooled result to compare",
    "recomputed": "recomputed: no published pooled result to compare with (outside the review's "
    "abstract)",
}


#: Outcome measures the reviews use: scale, direction, and where the description comes from.
OUTCOME_MEASURES: list[dict[str, str]] = [
    {"measure": "HAQ-DI (Health Assessment Questionnaire Disability Index)",
     "what": "self-reported disability in daily activities", "scale": "0 to 3",
     "better": "lower", "source": "Bruce & Fries 2003"},
    {"measure": "MMT-8 (Manual Muscle Testing of 8 muscle groups)",
     "what": "muscle strength, examiner-graded", "scale": "0 to 80 (0 to 150 bilateral)",
     "better": "higher", "source": "Rider et al. 2010; 2025 review abstract"},
    {"measure": "IMACS definition of improvement (DOI)",
     "what": "responder: at least 3 of 6 core-set measures improve by 20% or more, at most 2 "
     "worsen by 25% or more (MMT not among them)", "scale": "yes / no",
     "better": "yes", "source": "Rider et al. 2004"},
    {"measure": "ACR/EULAR total improvement score (TIS)",
     "what": "weighted sum of improvement in 6 core-set measures; thresholds 20 (minimal), "
     "40 (moderate), 60 (major)", "scale": "0 to 100", "better": "higher",
     "source": "Aggarwal et al. 2017"},
    {"measure": "PRINTO definition of improvement (juvenile DM)",
     "what": "responder: at least 20% improvement in 3 of 6 core-set measures, at most 1 "
     "worsening by more than 30% (not muscle strength)", "scale": "yes / no",
     "better": "yes", "source": "Ruperto et al. 2010"},
    {"measure": "CDASI activity (Cutaneous DM Disease Area and Severity Index)",
     "what": "skin disease activity", "scale": "0 to 100", "better": "lower",
     "source": "2025 review abstract"},
    {"measure": "ALS-FRS (Amyotrophic Lateral Sclerosis Functional Rating Scale)",
     "what": "physical function (used by the methotrexate trial)", "scale": "0 to 40",
     "better": "higher", "source": "2025 review abstract"},
]


def _missing(x: Any) -> bool:
    if x is None:
        return True
    try:
        return bool(pd.isna(x))
    except (TypeError, ValueError):
        return False

def _num(x: Any, digits: int = 2) -> str:
    """``x`` to ``digits`` decimals; a positive number that would print as zero keeps one
    significant digit instead (a Hartung–Knapp ratio limit 0.0037 prints ``0.004``, not ``0.00``).

    >>> _num(0.0037), _num(0.96), _num(-1.5), _num(0.0)
    ('0.004', '0.96', '−1.50', '0.00')
    """
    if _missing(x):
        return "not available"
    v = float(x)
    if 0 < v < 0.5 * 10 ** -digits:
        v = float(f"{v:.1g}")  # one significant digit: 0.00096 -> 0.001
        digits = max(digits, int(-math.floor(math.log10(v))))
    return f"{v:.{digits}f}".replace("-", "\u2212")

def fmt_ci(est: Any, lo: Any, hi: Any, digits: int = 2) -> str:
    """``1.80 (1.26 to 2.56)`` (Cochrane style; minus signs typographic); unknown -> 'not available'."""
    if _missing(est):
        return "not available"
    return f"{_num(est, digits)} ({_num(lo, digits)} to {_num(hi, digits)})"

def comparison_table(ars: Iterable[Any], reasons: bool = False,
                     outcomes: Mapping[str, str] | None = None) -> pd.DataFrame:
    """Published versus recomputed, one row per analysis, with the status in words.

    Outcome names are ``outcomes[id]`` where given (the registry's short wording); ``reasons=True`` adds the
    one-sentence reason from ``mytools.analyses``.
    """
    rows = []
    for ar in ars:
        spec = dict(_get(ar, "spec") or {})
        pub = _get(ar, "published") or {}
        res = _get(ar, "result")
        status = str(_get(ar, "status", ""))
        no = spec.get("abstract_no")
        rows.append({
            "#": "" if _missing(no) else int(no),
            "Outcome": (outcomes or {}).get(_get(ar, "id"), spec.get("outcome", _get(ar, "id"))),
            "Measure": pub.get("measure") or spec.get("measure"),
            "Published (95% CI)": fmt_ci(pub.get("estimate"), pub.get("ci_low"), pub.get("ci_high")),
            "Recomputed (95% CI)": (fmt_ci(res.estimate, res.ci_low, res.ci_high)
                                    if res is not None and status != "not_reproducible"
                                    else "not recomputable"),
            "Studies / participants": (f"{int(pub['k'])} / {int(pub['participants'])}"
                                       if not _missing(pub.get("k")) and not _missing(pub.get("participants"))
                                       else "not available"),
            "Status": STATUS_WORDS.get(status, status).split(":")[0],
            "Why": reason_text(ar),
        })
    df = pd.DataFrame(rows)
    return df if reasons else df.drop(columns="Why")

def outcome_measures_table() -> pd.DataFrame:
    """The outcome measures the reviews use, with their scales and which direction is better."""
    df = pd.DataFrame(OUTCOME_MEASURES)
    return df.rename(columns={"measure": "Measure", "what": "What it measures", "scale": "Scale",
                              "better": "Better is", "source": "Source"})

def known_facts_table(ar: Any) -> pd.DataFrame:
    """What is known about a result that cannot be recomputed: published numbers and what is missing."""
    spec = dict(_get(ar, "spec") or {})
    pub = _get(ar, "published") or {}
    inputs = _get(ar, "inputs")
    rows = [
        ("Published estimate (95% CI)", f"{pub.get('measure', spec.get('measure'))} "
         + fmt_ci(pub.get("estimate"), pub.get("ci_low"), pub.get("ci_high"))),
        ("Studies", "not available" if _missing(pub.get("k")) else str(int(pub["k"]))),
        ("Participants", "not available" if _missing(pub.get("participants")) else str(int(pub["participants"]))),
        ("Certainty (GRADE)", grade.certainty_symbols(pub.get("certainty", ""))),
    ]
    if inputs is not None and len(inputs):
        key = "label" if "label" in inputs else "study_id"
        ids = list(dict.fromkeys(inputs[key])) if key in inputs else []
        if ids:
            rows.append(("Studies in the book's data", ", ".join(map(str, ids))))
        if "provenance" in inputs and key in inputs:
            na = inputs[inputs["provenance"] == "not_available"]
            ok = inputs[inputs["provenance"] != "not_available"]
            if len(na):
                rows.append(("Study-level numbers not available for",
                             ", ".join(dict.fromkeys(str(s) for s in na[key]))))
            if len(ok):
                rows.append(("Study-level numbers known for",
                             ", ".join(dict.fromkeys(str(s) for s in ok[key]))
                             + " (not enough to recompute the pooled result)"))
    rows.append(("Why it cannot be recomputed", reason_text(ar)))
    return pd.DataFrame(rows, columns=["", "What is known"])

def _table(df: pd.DataFrame, attrs: str, caption: str | None = None,
           nowrap: Sequence[str] = ()) -> str:
    """``<table>`` of ``df`` (no index, text escaped); each cell carries its column name in
    ``data-label`` so that a phone can show a row as a stack of "column: value" lines."""
    def td(text: Any, col: str) -> str:
        style = ' style="white-space:nowrap"' if col in nowrap else ""
        return (f'<td data-label="{escape(col, quote=True)}"{style}>'
                f"{escape('' if _missing(text) else str(text))}</td>")
    cols = [str(c) for c in df.columns]
    head = "".join(f'<th scope="col">{escape(c)}</th>' for c in cols)
    body = "".join("<tr>" + "".join(td(v, c) for v, c in zip(row, cols)) + "</tr>"
                   for row in df.itertuples(index=False, name=None))
    cap = (f'<caption style="color:inherit;font-weight:600">{escape(caption)}</caption>'
           if caption else "")
    return f"<table {attrs}>{cap}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


#: On a phone, wide tables of up to this many rows become stacks of cards; longer ones scroll in
#: a box with a sticky header and first column (58 cards of the data page's registry were over
#: 12,000 px long).
STACK_ROWS = 12


def _prose(df: pd.DataFrame) -> bool:
    """True for a table of sentences (a quarter of its cells over 45 characters): on a phone it
    reads better as cards than in a sideways-scrolling box."""
    lengths = sorted(len(str(v)) for v in df.to_numpy().ravel() if not _missing(v))
    return bool(lengths) and lengths[(3 * len(lengths)) // 4] > 45


def to_html(df: pd.DataFrame, caption: str | None = None, *, stack: bool | None = None) -> str:
    """HTML table (no index, cell text escaped) for a glued or displayed table; footnote for
    capped risks.

    Tables of four or more columns use the page's full width (the theme's ``full-width``: into
    the right margin from 992 px) and wrap their text instead of scrolling. On a screen under
    600 px (``_static/mytools-layout.css``) a short one (up to :data:`STACK_ROWS` rows) or one of
    sentences shows each row as a stack of "column: value" lines; a longer one scrolls inside its
    own box, at most 75% of the screen high, with its header row and first column in view (sticky).
    The wrapper scrolls sideways only if a table still cannot fit. ``stack=True`` stacks a wide
    table on a phone whatever its length (a table whose every row is read as a whole)."""
    wide = len(df.columns) >= 4
    sticky = wide and len(df) > STACK_ROWS and not _prose(df) and not stack
    phone = " mytools-sticky" if sticky else " mytools-stack" if wide else ""
    two = " mytools-sticky2" if sticky and str(df.columns[0]).strip() in ("#", "") else ""
    # class "dataframe": the theme's dark mode styles such tables as tables, not as raw HTML output
    cls = "dataframe table mytools-table" + phone + two
    table = _table(df, f'class="{cls}" style="font-size:0.85em"', caption)
    wrap = "mytools-table-wrap" + (" full-width" if wide else "") + (" mytools-sticky" if sticky else "")
    html = f'<div class="{wrap}" style="overflow-x:auto">{table}</div>'
    notes = df.attrs.get("footnotes") or []
    if notes:
        html += "".join(f'<p class="mytools-footnote">[{i}] {escape(n)}</p>'
                        for i, n in enumerate(notes, 1))
    if df.attrs.get("capped"):
        html += ("<p class=\"mytools-footnote\">* Capped at 1000 per 1000: the control risk \u00d7 "
                 "the RR's CI limit exceeds 1000 per 1000, and a risk cannot exceed 1000 per 1000. "
                 + " ".join(escape(n) for n in df.attrs.get("cap_notes") or []) + "</p>")
    return html

def report_html(df: pd.DataFrame, table_id: str, nowrap: Sequence[str] = ()) -> str:
    """A wide report table (no index) with an ``id`` for tests, numbers in ``nowrap`` columns kept
    on one line, inside a horizontally scrollable block whose first column stays in view (sticky,
    under 600 px); on a narrow screen a visible line under it says that it scrolls sideways."""
    two = " mytools-sticky2" if str(df.columns[0]).strip() in ("#", "") else ""
    table = _table(df, f'id="{table_id}" class="dataframe table mytools-table mytools-sticky{two}" '
                   'style="font-size:0.85em"', nowrap=nowrap)
    return (f'<div class="mytools-table-wrap full-width mytools-sticky" style="overflow-x:auto">'
            f'{table}</div><p class="mytools-scroll-hint">\u2194 Scroll the table sideways to see '
            'all columns; its first column stays in view.</p>')

def show(df: pd.DataFrame, caption: str | None = None, *, stack: bool | None = None) -> Any:
    """The table as an IPython HTML object (what a chapter cell returns to display it);
    ``stack``: as in :func:`to_html`."""
    from IPython.display import HTML

    return HTML(to_html(df, caption, stack=stack))

def variant_label(key: str) -> str:
    """The table label of a variant key (engine registry, or the book's data variants).

    >>> variant_label("reml_hksj")
    'random effects, REML + Hartung–Knapp'
    """
    if key in VARIANTS:
        return VARIANTS[key].label
    if key in DATA_VARIANTS:
        return DATA_VARIANTS[key][0]
    raise ValueError(f"unknown analysis variant {key!r}")


def sensitivity_table(frame: pd.DataFrame) -> pd.DataFrame:
    """Format a sensitivity frame (one row per variant: ``variant`` (an engine variant key),
    ``label``, ``estimate, ci_low, ci_high, k, tau2, i2, note``). The label is the registry's
    (``VARIANTS[key].label``) when the frame has none. With one study there is no between-study
    variance: τ² and I² print "n/a"."""
    def het(v: Any, k: Any, fmt: str) -> str:
        if _missing(k) or int(k) < 2:
            return "n/a"
        return "\u2014" if _missing(v) else format(float(v), fmt)
    return pd.DataFrame({
        "Variant": [variant_label(v) for v in frame["variant"]] if "label" not in frame else frame["label"],
        "Estimate (95% CI)": [fmt_ci(e, lo, hi) if not _missing(e) else "not estimable"
                              for e, lo, hi in zip(frame["estimate"], frame["ci_low"], frame["ci_high"])],
        "Studies": [("" if _missing(k) else int(k)) for k in frame["k"]],
        "Tau\u00b2": [het(t, k, ".3f") for t, k in zip(frame["tau2"], frame["k"])],
        "I\u00b2": [het(i, k, ".0f") + ("%" if not _missing(k) and int(k) >= 2 and not _missing(i) else "")
                    for i, k in zip(frame["i2"], frame["k"])],
        "Note": frame["note"].fillna("") if "note" in frame else "",
    })


def included_studies_table(data: Any, review_id: str = "cochrane2025",
                           inclusions: Sequence[str] = ("included", "unclear")) -> pd.DataFrame:
    """The studies a review includes (from the ``Dataset`` passed in), with design and arms."""
    rs = data.review_studies
    rs = rs[(rs["review_id"] == review_id) & (rs["inclusion"].isin(inclusions))]
    st = data.studies.set_index("study_id")
    rows = []
    for _, r in rs.iterrows():
        s = st.loc[r["study_id"]] if r["study_id"] in st.index else None

        def g(col: str) -> Any:
            return None if s is None or col not in s.index or _missing(s[col]) else s[col]
        n = g("n_randomised")
        rows.append({
            "Study": g("label") or r["study_id"],
            "Design": str(g("design") or "unknown").replace("_", " "),
            "Population": g("population") or "not known",
            "Randomised": int(float(n)) if n is not None and str(n).replace(".", "", 1).isdigit() else "not known",
            "Intervention": g("intervention") or "not known",
            "Comparator": g("comparator") or "not known",
            "In the 2025 review": "included" if r["inclusion"] == "included" else "inclusion unconfirmed",
        })
    return pd.DataFrame(rows)


def study_numbers_table(rows: pd.DataFrame, book: pd.DataFrame) -> pd.DataFrame:
    """RevMan's own per-study numbers beside the book's: weight and estimate [95% CI].

    ``rows``: the review's study rows (``study``, ``revman_weight``, ``revman_estimate``,
    ``revman_ci_low``, ``revman_ci_high``); ``book``: the engine's per-study table in the same
    order (``weight_percent``, ``estimate``, ``ci_low``, ``ci_high``).
    """
    def ci(e: Any, lo: Any, hi: Any) -> str:
        return "not estimable" if _missing(e) else f"{_num(e)} [{_num(lo)}, {_num(hi)}]"

    def w(x: Any) -> str:
        return "" if _missing(x) else f"{float(x):.1f}%"
    return pd.DataFrame({
        "Study": list(rows["study"]),
        "Weight, RevMan": [w(x) for x in rows["revman_weight"]],
        "Weight, this book": [w(x) for x in book["weight_percent"]],
        "Estimate [95% CI], RevMan": [ci(*t) for t in zip(rows["revman_estimate"], rows["revman_ci_low"],
                                                         rows["revman_ci_high"])],
        "Estimate [95% CI], this book": [ci(*t) for t in zip(book["estimate"], book["ci_low"],
                                                            book["ci_high"])],
    })
