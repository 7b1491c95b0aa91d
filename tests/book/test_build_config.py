"""The book's configuration: the settings the build, the tests and Binder rely on."""
from __future__ import annotations

import json
import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


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
    # inline: the prose's {eval} roles are evaluated in the chapter's kernel (README, "Numbers in
    # the prose"); only v["..."] may be evaluated
    assert execute["execute_notebooks"] == "inline"
    assert config()["sphinx"]["config"]["nb_eval_name_regex"].startswith("^v\\[")
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
    # Colab opens only .ipynb files from GitHub and the chapters are MyST .md: no Colab button
    # (it would lead to an error); readers download the executed .ipynb or use Binder.
    assert not cfg["launch_buttons"].get("colab_url"), "a Colab button would open a .md file"
    assert cfg["sphinx"]["config"]["html_theme_options"]["use_download_button"] is True


def test_toc_parts_and_pages():
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    assert toc["root"] == "intro"
    assert [p["caption"] for p in toc["parts"]] == [
        "The evidence", "Three reviews compared", "Methods", "Appendices"]
    assert all(p.get("numbered") for p in toc["parts"])
    assert toc_files() == [
        "intro", "chapters/bottom-line", "chapters/background", "chapters/ivig",
        "chapters/azathioprine", "chapters/methotrexate", "chapters/few-trials", "chapters/reviews-compared",
        "chapters/methods", "chapters/bias", "chapters/data-and-analyses", "chapters/data",
        "chapters/reproducibility", "chapters/teaching-guide", "chapters/glossary", "chapters/references"]


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


def pyproject() -> dict:
    import tomllib

    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def test_licences_are_stated():
    """MIT for the code (LICENSE), CC BY 4.0 for the text: in LICENSE, the footer and intro."""
    text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert text.startswith("MIT License") and "CC BY 4.0" in text
    assert pyproject()["project"]["license"] == {"text": "MIT"}
    cfg = config()
    assert "creativecommons.org/licenses/by/4.0" in cfg["html"]["extra_footer"]
    assert "CC BY 4.0" in cfg["parse"]["myst_substitutions"]["content_licence"]
    intro = (ROOT / "intro.md").read_text(encoding="utf-8")
    assert "{{ content_licence }}" in intro and "How to cite this book" in intro
    assert "book_meta" in cfg["sphinx"]["local_extensions"]


def test_citation_cff_is_valid_cff_1_2_0():
    """CITATION.cff: the required keys of CFF 1.2.0, and the version of pyproject.toml."""
    cff = yaml.safe_load((ROOT / "CITATION.cff").read_text(encoding="utf-8"))
    assert cff["cff-version"] == "1.2.0"
    assert cff["message"] and cff["title"] == config()["title"]
    assert cff["authors"] and all(a.get("name") or a.get("family-names") for a in cff["authors"])
    assert cff["version"] == pyproject()["project"]["version"]
    assert cff["license"] == ["MIT", "CC-BY-4.0"]
    assert cff["repository-code"] == config()["repository"]["url"]
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", str(cff["date-released"]))


def test_changelog_has_this_release():
    text = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    version = pyproject()["project"]["version"]
    assert re.search(rf"^## \[?{re.escape(version)}\]?", text, re.M), f"no entry for {version}"
    assert len(re.findall(r"^## ", text, re.M)) >= 2, "the first release and this release"


def test_every_chapter_has_a_kernelspec():
    """`jupytext --to ipynb --execute chapters/X.md` needs a kernelspec in every chapter."""
    for path in sorted((ROOT / "chapters").glob("*.md")):
        head = path.read_text(encoding="utf-8").split("\n---", 1)[0]
        assert "kernelspec:" in head and "name: python3" in head, f"{path.name}: no kernelspec"


def test_jupytext_executes_the_pages_without_code(tmp_path):
    """The README's way to run one chapter works on the pages without code cells too."""
    import subprocess
    import sys

    exe = Path(sys.executable).with_name("jupytext")
    for page in ("references", "glossary"):
        out = tmp_path / f"{page}.ipynb"
        result = subprocess.run(
            [str(exe), "--to", "ipynb", "--execute", "--output", str(out),
             str(ROOT / "chapters" / f"{page}.md")],
            capture_output=True, text=True, timeout=300, cwd=ROOT / "chapters")
        assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
        assert json.loads(out.read_text())["metadata"]["kernelspec"]["name"] == "python3"


def test_sidebar_title_is_short_and_the_full_title_stays_on_the_landing_page():
    """Issue #21: the 102-character title filled seven sidebar lines at 1280 px."""
    cfg = config()
    short = cfg["sphinx"]["config"]["html_title"]
    assert len(short) <= 40 and len(cfg["title"]) > len(short)
    assert cfg["html"]["home_page_in_navbar"] is False  # the long title is not listed in the sidebar
    intro = (ROOT / "intro.md").read_text(encoding="utf-8")
    assert f"# {cfg['title']}" in intro


def test_data_and_analyses_headings_name_the_comparisons():
    """Issue #21: the contents read "8.1 Comparison 1"; each heading now names the drugs, and must
    say what the registry says (data/analyses.csv, via present.data_analyses.comparison_titles)."""
    from mytools.data import load_data
    from mytools.present.data_analyses import comparison_titles

    titles = comparison_titles(load_data().analyses)
    page = (ROOT / "chapters" / "data-and-analyses.md").read_text(encoding="utf-8")
    heads = re.findall(r"^## Comparison (\d+): (.+)$", page, flags=re.M)
    assert {int(n): t for n, t in heads} == titles
