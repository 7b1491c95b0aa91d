"""Read every RevMan / Cochrane review-data format into one model, :class:`ReviewData`.

>>> from mytools.data.revman import read_review
>>> review = read_review("CD015855-data-rows.csv")  # doctest: +SKIP
>>> review.analyses, review.rows, review.subgroups  # doctest: +SKIP

Formats (``ReviewData.format``): Cochrane / RevMan Web data packages (``datapackage-1``,
``datapackage-2.2``, ``datapackage-2.3``; outer zip with the inner ``-data.zip``, inner zip,
extracted folder, a ``…-analysis-data`` folder), bare ``…-data-rows.csv`` files (``data-rows-1``,
``data-rows-2``), RevMan 5 ``.rm5`` XML (``rm5``) and RevMan 5 CSV exports (``revman5-csv``).
The version comes from column names, never positions (``datarows.py``, ``datapackage.py``).

Decisions (see the modules):

* Not applicable = NaN: v1's zero-filled cells and v2's blanks both become NaN for inputs that do
  not apply to the analysis's data type (``model.APPLICABLE``); a real 0 event count stays 0.
* A bare data-rows file has no settings: ``data_type`` is inferred per analysis from the filled
  cells (``datarows.infer_data_types``: SD → continuous, O−E → o_e, GIV Mean → generic, events →
  dichotomous, GIV SE → generic, N only → dichotomous); ``settings_source = "none"``, method,
  measure and model stay None. It decides all 1,303 analyses of the 40-review sample and all 51 of
  CD015855.
* Encoding: UTF-8 (BOM stripped); bytes that are not UTF-8 are decoded as Windows-1252 with a note
  naming line and byte column; bytes that are neither raise (``safeio.decode``).
* Untrusted input: zips are read in memory with :class:`ZipLimits` (members, sizes, compression
  ratio), member names with ``..``/absolute paths/drive letters are refused, one nested zip level;
  XML through ``defusedxml``. Errors are :class:`mytools.data.DataError` naming file (zip member),
  line, column, study and analysis.
"""
from mytools.data.revman.model import ReviewData, canonical_measure
from mytools.data.revman.read import read_review
from mytools.data.revman.safeio import ZipLimits

__all__ = ["ReviewData", "read_review", "ZipLimits", "canonical_measure"]
