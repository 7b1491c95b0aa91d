"""The book's configuration: the settings the build, the tests and Binder rely on."""
from __future__ import annotations

import json
import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def config() -> dict:
    return yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))


def toc_files() -> list[str]:
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    files = [toc["root"]]
    for part in toc["parts"]:
        files += [c["file"] for c in part["chapters"]]
    return files


def test_execution_fails_on_notebook_errors():
    execute = config()["execute"]
    assert execute["execute_notebooks"] == "cache"
    assert execute["raise_on_error"] is True
    assert execute["allow_errors"] is False
    assert execute["timeout"] > 0


def test_only_toc_files_are_built_and_nitpicky():
    cfg = config()
    assert cfg["only_build_toc_files"] is True
    assert cfg["sphinx"]["config"]["nitpicky"] is True
    assert "sphinx_exercise" in cfg["sphinx"]["extra_extensions"]


def test_citations_are_author_year_from_references_bib():
    cfg = config()
    assert cfg["bibtex_bibfiles"] == ["references.bib"]
    assert cfg["sphinx"]["config"]["bibtex_reference_style"] == "author_year"


def test_launch_buttons_use_the_one_repository_setting():
    cfg = config()
    assert re.fullmatch(r"https://github\.com/[^/]+/[^/]+", cfg["repository"]["url"])
    assert cfg["launch_buttons"]["binderhub_url"] == "https://mybinder.org"
    assert cfg["launch_buttons"]["colab_url"] == "https://colab.research.google.com"
    assert cfg["sphinx"]["config"]["html_theme_options"]["use_download_button"] is True


def test_toc_parts_and_pages():
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    assert toc["root"] == "intro"
    assert [p["caption"] for p in toc["parts"]] == [
        "The evidence", "Three reviews compared", "Methods", "Appendices"]
    assert all(p.get("numbered") for p in toc["parts"])
    assert toc_files() == [
        "intro", "chapters/background", "chapters/ivig", "chapters/azathioprine",
        "chapters/methotrexate", "chapters/reviews-compared", "chapters/methods",
        "chapters/data", "chapters/reproducibility", "chapters/references"]


def test_every_toc_page_exists_and_starts_with_its_label():
    for page in toc_files():
        path = ROOT / f"{page}.md"
        assert path.exists(), f"{page} is in _toc.yml but {path} is missing"
        label = Path(page).name
        assert f"({label})=" in path.read_text(encoding="utf-8"), (
            f"{path} has no '({label})=' label before its title")


def test_no_ipynb_in_the_repository():
    found = [p for p in ROOT.rglob("*.ipynb")
             if not {".venv", "_build", ".ipynb_checkpoints"} & set(p.relative_to(ROOT).parts)]
    assert not found, f"notebooks are MyST .md files; remove: {found}"


def test_binder_opens_markdown_as_notebooks():
    """On Binder the repository is the home folder, so ~/.jupyter is the repository's .jupyter."""
    settings = json.loads(
        (ROOT / ".jupyter" / "labconfig" / "default_setting_overrides.json").read_text())
    viewers = settings["@jupyterlab/docmanager-extension:plugin"]["defaultViewers"]
    assert viewers["markdown"] == "Jupytext Notebook"
    assert viewers["myst"] == "Jupytext Notebook"
    requirements = (ROOT / "requirements.txt").read_text()
    assert re.search(r"^jupytext==", requirements, re.M), "Binder needs jupytext"
    assert re.search(r"^-e \.$", requirements, re.M), "Binder needs mytools"


def test_every_reference_key_is_unique():
    keys = re.findall(r"^@\w+\{([^,\s]+),", (ROOT / "references.bib").read_text(), re.M)
    duplicates = sorted({k for k in keys if keys.count(k) > 1})
    assert not duplicates, f"duplicate keys in references.bib: {duplicates}"
