"""The students' download (issue #21): one zip with the book's data files and a starter notebook.

``write_pack(out)`` writes ``iim-student-pack/`` into a zip: ``data/`` (``datapackage.json``, every
resource it lists and their Table Schemas, copied byte for byte, so the ``source`` and
``provenance`` columns stay as they are), ``README.txt`` (what each file is, the terms of the
review's rows, how to install the package) and ``starter.ipynb``, generated at pack time from the
jupytext MyST source ``starter.md`` beside this module (no .ipynb is kept in the repository).
The install line is built from ``repository.url`` in the book's ``_config.yml`` (the one place it
is written). The zip is deterministic: names sorted, fixed timestamps and permissions, so two
builds of the same sources are identical byte for byte.
Used by ``python -m mytools student-pack OUT.zip`` and by the book's ``_ext/student_pack.py``.
"""
from __future__ import annotations

import importlib.metadata as md
import io
import json
import zipfile
from pathlib import Path

import jupytext
import yaml

from mytools.data import DATA_DIR

__all__ = ["ROOT_FOLDER", "STARTER", "pack_members", "repository_url", "readme_text",
           "starter_notebook", "write_pack", "default_config"]

ROOT_FOLDER = "iim-student-pack"
STARTER = Path(__file__).with_name("starter.md")
#: 1980-01-01, the earliest time a zip can store: no build time leaks into the file
_FIXED_TIME = (1980, 1, 1, 0, 0, 0)


def default_config() -> Path:
    """The book's ``_config.yml``: beside the data folder in a clone, else in the current folder."""
    beside = Path(DATA_DIR).parent / "_config.yml"
    return beside if beside.is_file() else Path("_config.yml")


def repository_url(config: Path | str) -> str:
    """``repository.url`` of the book's ``_config.yml``; ValueError naming the file if it is missing."""
    path = Path(config)
    try:
        url = (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("repository", {}).get("url")
    except OSError as exc:
        raise ValueError(f"{path}: cannot read the book's configuration ({exc}); the students' pack "
                         "is built in a clone of the book's repository (or pass --config)") from exc
    if not isinstance(url, str) or not url.startswith(("https://", "http://")):
        raise ValueError(f"{path}: expected repository.url to be the repository's http(s) URL, found {url!r}")
    return url.rstrip("/")


def _package(data_dir: Path) -> dict:
    return json.loads((data_dir / "datapackage.json").read_text(encoding="utf-8"))


def pack_members(data_dir: Path | str = DATA_DIR) -> list[str]:
    """The data files that go into the zip, relative to ``data_dir``: ``datapackage.json`` and, for
    every resource it lists, its file and its Table Schema (sorted, each once)."""
    names = {"datapackage.json"}
    for res in _package(Path(data_dir))["resources"]:
        names.update(res[key] for key in ("path", "schema") if res.get(key))
    return sorted(names)


def _terms(res: dict) -> list[str]:
    lines = [f"  Source: {s['title']} <{s['path']}>" for s in res.get("sources", [])]
    lines += [f"  Terms: {t['title']} <{t['path']}>" for t in res.get("licenses", [])]
    return lines


def _file_lines(data_dir: Path, pkg: dict) -> list[str]:
    lines = ["data/datapackage.json", "  The data package: every file below, its schema, sources and terms.", ""]
    for res in pkg["resources"]:
        schema = json.loads((data_dir / res["schema"]).read_text(encoding="utf-8"))
        lines.append(f"data/{res['path']}")
        lines.append(f"  {res.get('title') or schema.get('title', res['name'])}.")
        if schema.get("description"):
            lines.append(f"  {schema['description']}")
        lines += _terms(res)
        lines += ["", f"data/{res['schema']}", "  Its Table Schema: every column, its type, unit and meaning.", ""]
    return lines


def readme_text(url: str, data_dir: Path | str = DATA_DIR) -> str:
    """README.txt of the pack: what each file is, the terms of the review's rows, how to install."""
    data_dir = Path(data_dir)
    pkg = _package(data_dir)
    try:
        meta = md.metadata("mytools")
        version, python = meta["Version"], f"Python {meta['Requires-Python'] or ''}".strip()
    except md.PackageNotFoundError:
        version, python = "unknown", "Python"
    text = [
        f"{pkg['title']}: the students' pack (mytools {version})",
        "",
        "starter.ipynb",
        "  A starter notebook: reads the CSV files in data/ with pandas, pools one analysis of the",
        "  2025 Cochrane review by hand with numpy, and checks the answer against the book's package",
        "  mytools and against the numbers RevMan printed in the review's own data rows.",
        "",
        *_file_lines(data_dir, pkg),
        "Terms: the review's data rows (data/CD015855-data-rows.csv) are reproduced unchanged from the",
        "review's published data package, with attribution, under the terms listed with that file above;",
        "the other tables were compiled for the book and each row names its source (the 'source' and",
        "'provenance' columns). The book's data page states the terms of every source.",
        "",
        "How to run the starter notebook",
        f"  1. {python} and a virtual environment:",
        "       python -m venv venv",
        "       . venv/bin/activate            (Windows: venv\\Scripts\\activate)",
        "  2. The book's package (it brings pandas, numpy and scipy):",
        f'       pip install "git+{url}"',
        "  3. Something that opens notebooks, if you have none:",
        "       pip install jupyterlab",
        "  4. In the unzipped folder (starter.ipynb beside data/):",
        f"       cd {ROOT_FOLDER}",
        "       jupyter lab starter.ipynb",
        "     and run all cells. The notebook reads the files in data/ beside it.",
        "",
        f"The book and its repository: {url}",
    ]
    return "\n".join(text) + "\n"


def starter_notebook(source: Path | str = STARTER) -> str:
    """The starter notebook as .ipynb JSON, converted from its jupytext MyST source; no outputs, no
    jupytext metadata, cell ids numbered in order (so the text is the same on every build)."""
    nb = jupytext.reads(Path(source).read_text(encoding="utf-8"), fmt="md:myst")
    nb.metadata.pop("jupytext", None)
    nb.metadata["language_info"] = {"name": "python"}
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"cell-{i:02d}"
    return jupytext.writes(nb, fmt="ipynb")


def _add(zf: zipfile.ZipFile, name: str, payload: bytes) -> None:
    info = zipfile.ZipInfo(f"{ROOT_FOLDER}/{name}", date_time=_FIXED_TIME)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    info.create_system = 3  # Unix: the same file whichever system builds it
    zf.writestr(info, payload)


def write_pack(out: Path | str, *, config: Path | str | None = None, data_dir: Path | str = DATA_DIR,
               starter: Path | str = STARTER) -> Path:
    """Write the students' zip to ``out`` (its folder is created); returns the path. A file that
    already holds the same bytes is left untouched (so its time does not change)."""
    data_dir, out = Path(data_dir), Path(out)
    url = repository_url(config if config is not None else default_config())
    files = {f"data/{name}": (data_dir / name).read_bytes() for name in pack_members(data_dir)}
    files["README.txt"] = readme_text(url, data_dir).encode("utf-8")
    files["starter.ipynb"] = starter_notebook(starter).encode("utf-8")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        for name in sorted(files):
            _add(zf, name, files[name])
    payload = buffer.getvalue()
    if not (out.is_file() and out.read_bytes() == payload):
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(payload)
    return out
