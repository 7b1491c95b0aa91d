"""Numbers put into words as the prose writes them: signed differences ("36 fewer"), a typographic
minus, "wider"/"narrower", dates, small counts in words, the direction of an interval.

Pure functions of numbers and text; the values a chapter shows are in :mod:`.analysis_values` and
:mod:`.trial_counts`, and go into the chapter's :class:`~mytools.present.values.Values`.
"""
from __future__ import annotations

import math
import re
from typing import Any, Iterable

__all__ = ["more_fewer", "signed", "width_word", "month_year", "count_word", "counted", "and_list", "direction_words"]


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
    f = math.log if log else (lambda x: x)
    return "wider" if f(hi) - f(lo) > f(ref_hi) - f(ref_lo) else "narrower"


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


def count_word(n: int) -> str:
    """A small count in words, as prose writes it: ``count_word(2)`` -> ``"two"``.

    >>> count_word(2), count_word(12)
    ('two', '12')
    """
    words = ("no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")
    return words[n] if 0 <= n < len(words) else str(n)


def and_list(items: Iterable[Any], empty: str = "none") -> str:
    """Items in prose: ``["1.3", "1.7", "1.8"]`` -> ``"1.3, 1.7 and 1.8"``; none -> ``empty``.

    >>> and_list(["a"]), and_list(["a", "b", "c"]), and_list([])
    ('a', 'a, b and c', 'none')
    """
    s = [str(x) for x in items]
    return empty if not s else s[0] if len(s) == 1 else ", ".join(s[:-1]) + " and " + s[-1]


def counted(n: int, noun: str) -> str:
    """A count with its noun in the right number, as prose writes it.

    >>> counted(1, "trial"), counted(3, "trial"), counted(12, "study")
    ('one trial', 'three trials', '12 studies')
    """
    plural = noun if n == 1 else (noun[:-1] + "ies" if noun.endswith("y") else noun + "s")
    return f"{count_word(n)} {plural}"


def direction_words(key: str, estimate: float, low: float, high: float, null: float = 0.0,
                          up: str = "higher", down: str = "lower") -> dict[str, str]:
    """Words for a point estimate and its interval: ``<key>_direction`` (`up` or `down`, the side
    of `null` the point estimate is on) and ``<key>_span`` ("spans both directions" when the
    interval includes `null`, else "is entirely <direction>").

    >>> direction_words("d", 12.06, -6.09, 30.21)["d_span"]
    'spans both directions'
    """
    direction = up if estimate > null else down
    span = "spans both directions" if low <= null <= high else f"is entirely {direction}"
    return {f"{key}_direction": direction, f"{key}_span": span}
