"""The numbers a chapter's prose shows: ``v = Values()`` in its first cell, ``{eval}`v["key"]``` in
the text.

The book (myst-nb, ``execute_notebooks: inline``) and JupyterLab (jupyterlab-myst) both evaluate
``{eval}`` roles in the running kernel and show the text/plain form of the result. A lookup
returns :class:`Text`, a string whose repr is itself, so both show ``0.86`` and ``two``, never
``'two'``. A format spec may follow the key: ``v["ivig_i2:.0f"]`` is ``format(value, ".0f")``.
An unknown key raises ``KeyError`` naming it: the strict build fails, nothing is invented.
"""
from __future__ import annotations

from typing import Any


class Text(str):
    """A string shown without quotes (its repr is the text itself).

    >>> Text("two")
    two
    """

    def __repr__(self) -> str:
        return str(self)


class Values(dict):
    """Values for the prose, keyed by name; ``v["key:spec"]`` formats on lookup.

    Calling it stores a value, so it can stand where a ``glue(key, value, display=False)``
    callable is expected.

    >>> v = Values(i2=61.7, k=3)
    >>> v["i2:.0f"], v["k"], v["i2"]
    (62, 3, 61.7)
    >>> v("word", "two", display=False); v["word"]
    two
    """

    def __getitem__(self, key: str) -> Text:
        name, sep, spec = str(key).partition(":")
        if not dict.__contains__(self, name):
            raise KeyError(f"no value {name!r} for the prose: set v[{name!r}] in a cell above "
                           "the text that shows it")
        value = dict.__getitem__(self, name)
        return Text(format(value, spec) if sep else str(value))

    def raw(self, key: str) -> Any:
        """The stored value itself (not its text)."""
        return dict.__getitem__(self, key)

    def __call__(self, key: str, value: Any, display: bool = False) -> None:
        if display:
            raise ValueError(f"{key!r}: Values holds numbers and words for the prose; display a "
                             "figure or table from its own cell instead")
        self[key] = value
