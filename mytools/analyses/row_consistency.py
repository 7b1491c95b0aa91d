"""Do a review's own rows agree with themselves? The same arm of the same trial, entered in two
analyses of the same outcome, should carry the same mean and SD up to the rounding of the digits
stored. Where it does not, the page that shows those rows says so (issue #21: ProDERM's HAQ placebo
arm is 0.16, SD 0.344 in analysis 1.1 and 0.20, SD 0.34 in analysis 1.2 of the 2025 review).
"""
from __future__ import annotations

from typing import Sequence

import pandas as pd

__all__ = ["arm_disagreements"]

_ARMS = ("intervention", "control")


def _digits(x: float) -> int:
    """Decimals a stored number carries (0.344389 -> 6, 0.2 -> 1)."""
    text = f"{x:.10f}".rstrip("0")
    return len(text.split(".")[1]) if "." in text else 0


def arm_disagreements(rows: pd.DataFrame, study: str, analyses: Sequence[str]) -> pd.DataFrame:
    """The arms of ``study`` whose mean or SD differs between the first of ``analyses`` and any
    other by more than half a unit in the last digit the coarser of the two rows carries. A row's
    precision is the most decimals any of its means and SDs shows (a CSV drops trailing zeros: a row
    of 0.6, 0.51, 0.2, 0.34 was entered to 2 decimals), so 0.344389 vs 0.34 agrees and 0.16 vs
    0.20 does not.

    Columns: ``arm``, ``quantity`` (mean or sd), ``analysis_a``, ``value_a``, ``analysis_b``,
    ``value_b``, ``n_a``, ``n_b``. Raises ``KeyError`` naming a missing analysis or study.

    >>> rows = pd.DataFrame({"analysis": ["1.1", "1.2"], "study": ["T", "T"],
    ...     "mean_intervention": [0.6, 0.6], "sd_intervention": [0.51088, 0.51],
    ...     "n_intervention": [47, 47], "mean_control": [0.16, 0.2],
    ...     "sd_control": [0.344389, 0.34], "n_control": [48, 48]})
    >>> arm_disagreements(rows, "T", ["1.1", "1.2"])[["arm", "quantity", "value_a", "value_b"]].values.tolist()
    [['control', 'mean', 0.16, 0.2]]
    """
    sel = rows[rows["study"] == study].set_index("analysis")
    missing = [a for a in analyses if a not in sel.index]
    if missing:
        raise KeyError(f"study {study!r} has no row in analyses {', '.join(missing)}")
    cols = [f"{q}_{arm}" for arm in _ARMS for q in ("mean", "sd")]
    prec = {a: max(_digits(float(sel.at[a, c])) for c in cols) for a in analyses}
    first, out = analyses[0], []
    for other in analyses[1:]:
        for arm in _ARMS:
            for qty in ("mean", "sd"):
                a, b = float(sel.at[first, f"{qty}_{arm}"]), float(sel.at[other, f"{qty}_{arm}"])
                tol = 0.5 * 10.0 ** -min(prec[first], prec[other]) + 1e-12
                if abs(a - b) > tol:
                    out.append({"arm": arm, "quantity": qty, "analysis_a": first, "value_a": a,
                                "analysis_b": other, "value_b": b,
                                "n_a": int(sel.at[first, f"n_{arm}"]), "n_b": int(sel.at[other, f"n_{arm}"])})
    return pd.DataFrame(out, columns=["arm", "quantity", "analysis_a", "value_a", "analysis_b",
                                      "value_b", "n_a", "n_b"])
