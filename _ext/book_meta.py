"""Sphinx extension: the version and build date in the footer; executed notebooks to download.

The version is read from ``pyproject.toml`` beside ``_config.yml`` (one place to change it); the
build date is today's date in UTC, or the date of ``SOURCE_DATE_EPOCH`` when that is set (for
reproducible builds). Loaded by ``_config.yml`` (``sphinx.local_extensions``).

The download button's ``.ipynb`` is copied by the theme from ``_build/jupyter_execute``, where
myst-nb 1.4 writes the notebook *without* outputs when it takes them from the execution cache
(a warm rebuild); :func:`executed_downloads` puts the cached outputs back, so the download is the
executed notebook whether the build was clean or warm.
"""
from __future__ import annotations

import datetime
import os
import tomllib
from pathlib import Path
from typing import Any


def book_version(srcdir: Path) -> str:
    """``project.version`` of the pyproject.toml in ``srcdir``; "unknown" when there is none."""
    path = Path(srcdir) / "pyproject.toml"
    try:
        return str(tomllib.loads(path.read_text(encoding="utf-8"))["project"]["version"])
    except (OSError, KeyError, tomllib.TOMLDecodeError):
        return "unknown"


def build_date() -> str:
    """The build date as YYYY-MM-DD (UTC); ``SOURCE_DATE_EPOCH`` fixes it."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    when = (datetime.datetime.fromtimestamp(int(epoch), datetime.timezone.utc) if epoch
            else datetime.datetime.now(datetime.timezone.utc))
    return when.strftime("%Y-%m-%d")


def _config_inited(app: Any, config: Any) -> None:
    version = book_version(app.srcdir)
    config.version = config.release = version
    options = dict(config.html_theme_options or {})
    footer = options.get("extra_footer", "")
    options["extra_footer"] = (f'{footer}<p class="book-meta">Version {version}, '
                               f'built {build_date()}.</p>')
    config.html_theme_options = options
    # MyST substitutions for the landing page's "How to cite" block
    url = (getattr(config, "html_theme_options", {}) or {}).get("repository_url", "")
    subs = dict(getattr(config, "myst_substitutions", None) or {})
    # plain text: the theme would shorten a link to "org/repo", and a citation needs the full URL
    subs.update(book_version=version, build_date=build_date(), repository_url=url)
    config.myst_substitutions = subs


def _needs_outputs(nb: Any) -> bool:
    return any(c.get("execution_count") is None for c in nb.cells
               if c.cell_type == "code" and c.source.strip())


def executed_downloads(app: Any, env: Any) -> None:
    """Fill the notebooks in myst-nb's output folder with their cached outputs (see above)."""
    config = getattr(env, "mystnb_config", None)
    if config is None or not config.execution_cache_path or not config.output_folder:
        return
    import nbformat
    from jupyter_cache import get_cache
    from myst_nb.ext.glue import extract_glue_data_cell

    cache = None
    for path in sorted(Path(config.output_folder).rglob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        if not _needs_outputs(nb):
            continue
        cache = cache or get_cache(config.execution_cache_path)
        try:
            _, merged = cache.merge_match_into_notebook(nb)
        except KeyError:  # not in the cache (not executed): leave it as it is
            continue
        for cell in merged.cells:
            if cell.cell_type == "code":
                extract_glue_data_cell(cell)  # as myst-nb does: drop the hidden glue outputs
        nbformat.write(merged, path)


def singlehtml_handlers(app: Any) -> None:
    """The single-page HTML builder (``bash .ci/pdf``) gets every HTML node visitor.

    Sphinx looks visitors up by builder name before format: once any extension registers one
    for ``singlehtml``, nodes that were registered for ``html`` only (myst-nb's
    ``HideCodeCellNode``, the ``hide-input`` tag) become unknown there and the build fails.
    """
    if app.builder.name != "singlehtml":
        return
    handlers = app.registry.translation_handlers
    single = handlers.setdefault("singlehtml", {})
    for node, visitors in handlers.get("html", {}).items():
        single.setdefault(node, visitors)


def setup(app: Any) -> dict[str, Any]:
    app.connect("config-inited", _config_inited)
    app.connect("builder-inited", singlehtml_handlers)
    app.connect("env-updated", executed_downloads)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
