"""Sphinx extension: the students' download (data files and a starter notebook) in the built book.

On ``builder-inited`` (before any page is read) it writes the zip with
:func:`mytools.teaching.student_pack.write_pack` to ``_build/downloads/iim-student-pack.zip``
beside the book's sources (git-ignored, like all of ``_build/``). The teaching guide and the data
page link to it with the ``{download}`` role, so Sphinx copies it into the site's ``_downloads/``
and, with ``-W``, a missing zip fails the build. Loaded by ``_config.yml``
(``sphinx.local_extensions``). The install line comes from ``_config.yml``'s ``repository.url``.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

#: where the pages' {download} role finds the zip, relative to the book's root
PACK = Path("_build") / "downloads" / "iim-student-pack.zip"


def write_student_pack(app: Any) -> None:
    from mytools.teaching.student_pack import write_pack

    srcdir = Path(app.srcdir)
    write_pack(srcdir / PACK, config=srcdir / "_config.yml")


def setup(app: Any) -> dict[str, Any]:
    app.connect("builder-inited", write_student_pack)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
