"""Sphinx extension: the book's version and build date in the footer of every page.

The version is read from ``pyproject.toml`` beside ``_config.yml`` (one place to change it); the
build date is today's date in UTC, or the date of ``SOURCE_DATE_EPOCH`` when that is set (for
reproducible builds). Loaded by ``_config.yml`` (``sphinx.local_extensions``).
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
    subs.update(book_version=version, build_date=build_date(), repository_url=f"<{url}>" if url else "")
    config.myst_substitutions = subs


def setup(app: Any) -> dict[str, Any]:
    app.connect("config-inited", _config_inited)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
