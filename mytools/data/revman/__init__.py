"""Read every RevMan / Cochrane review-data format into one model, :class:`ReviewData`.

>>> from mytools.data.revman import read_review   # doctest: +SKIP
>>> review = read_review("CD015855-data-rows.csv")  # doctest: +SKIP

Formats: Cochrane / RevMan Web data packages (spec v1, v2.2, v2.3; outer zip, inner zip, folder,
``…-analysis-data`` folder), bare ``…-data-rows.csv`` files, RevMan 5 ``.rm5`` XML and RevMan 5
CSV exports. See ``read.py`` for the dispatch, ``model.py`` for the columns.
"""
from mytools.data.revman.model import ReviewData, canonical_measure
from mytools.data.revman.read import read_review
from mytools.data.revman.safeio import ZipLimits

__all__ = ["ReviewData", "read_review", "ZipLimits", "canonical_measure"]
