"""The documentation says what the code does: the environments and stacks tables match the
code, the generated pages are current, the Python examples run as written, and every page is
in the site's navigation. Each check names the page it reads."""

from __future__ import annotations

import json
import re

import pytest
import yaml

from blueprints.deploy.rendering import dependency_depth
from blueprints.project import BLUEPRINTS
from scripts import openapi_page
from scripts.environments_table import PAGE as SETTINGS_PAGE
from scripts.environments_table import page_with_table
from scripts.report import PAGE, build
from tests.conftest import ROOT

DOCS = ROOT / "docs"
README = ROOT / "README.md"
ARCHITECTURE = DOCS / "architecture.md"
LIBRARY = DOCS / "library.md"
README_MAX_LINES = 250


def _python_blocks(page: str) -> list[str]:
    return re.findall(r"^```python\n(.*?)^```", page, re.MULTILINE | re.DOTALL)


def test_environments_table_is_current():
    page = SETTINGS_PAGE.read_text()
    assert page_with_table(page) == page, "run: .venv/bin/python scripts/environments_table.py --write"


def test_stacks_table_matches_levels_regions_and_dependencies(project, rendered):
    """The stacks table of the Architecture page (docs/architecture.md)."""
    page = ARCHITECTURE.read_text()
    rows = re.findall(r"^\| (\d) \| `(\w+)` \| (\S+|\*\*us-east-1\*\*) \| .* \| (.*) \|$", page, re.MULTILINE)
    # Level 0: the account's bootstrap, made once per account before any stack (not by Sceptre).
    assert rows[0] == ("0", "bootstrap", "env", "-")
    rows = rows[1:]
    assert len(rows) == len(BLUEPRINTS)
    dev = rendered["dev"]
    levels = dependency_depth(dev)
    for level, stack, region, needs in rows:
        assert int(level) == levels[stack], stack
        expected_region = "us-east-1" if dev[stack].region == "us-east-1" else project.environments["dev"].region
        assert (region.strip("*") if region != "env" else project.environments["dev"].region) == expected_region
        wanted = {d.rpartition("/")[2] for d in dev[stack].dependencies}
        assert ({n.strip() for n in needs.split(",")} - {"-"}) == wanted, stack


def test_the_environments_page_is_current():
    assert PAGE.read_text() == build(), "run: make report"


def test_the_operations_page_is_current():
    """docs/openapi.md is docs/openapi.json as a page (whose own test keeps it current)."""
    assert openapi_page.PAGE.read_text() == openapi_page.build(), "run: make report"


def test_the_operations_page_names_every_operation_and_schema():
    page = openapi_page.build()
    document = json.loads(openapi_page.DOCUMENT.read_text())
    for path, item in document["paths"].items():
        for method in set(item) & set(openapi_page.METHODS):
            assert f"### {method.upper()} {path}\n" in page
            assert f"`{item[method]['operationId']}`" in page
    for name in document["components"]["schemas"]:
        assert f"### {name} {{#schema-{name.lower()}}}" in page


def test_the_readmes_library_example_runs(capsys):
    """The README's one library example runs as written and prints its template."""
    blocks = _python_blocks(README.read_text())
    assert len(blocks) == 1
    exec(compile(blocks[0], "README.md python block 1", "exec"), {})
    assert '"AWSTemplateFormatVersion"' in capsys.readouterr().out


def test_the_library_pages_python_examples_run(capsys):
    """The Python blocks of Using the library (docs/library.md), in order and in one namespace
    (a later one uses what an earlier one made), run as written: an example a reader copies
    works."""
    blocks = _python_blocks(LIBRARY.read_text())
    assert len(blocks) >= 3
    namespace: dict[str, object] = {}
    for number, block in enumerate(blocks, 1):
        exec(compile(block, f"docs/library.md python block {number}", "exec"), namespace)
    assert '"AWSTemplateFormatVersion"' in capsys.readouterr().out  # the first block prints its template


def test_the_readme_is_short():
    lines = len(README.read_text().splitlines())
    assert lines <= README_MAX_LINES, f"README.md has {lines} lines: move the detail to a page under docs/"


def test_the_quick_start_calls_are_the_same_everywhere():
    """The README, the Home page and the HTTP API page show the same calls of the emulator's
    control command (the README's are run by tests/integration/test_api_http.py)."""

    def calls(text: str) -> set[str]:
        return {
            re.sub(r"\s+#.*$", "", line).strip() for line in text.splitlines() if "-m local_aws.client.control" in line
        }

    readme = calls(README.read_text())
    assert any("--print-sub" in call for call in readme)
    assert calls((DOCS / "index.md").read_text()) <= readme
    assert readme <= calls((DOCS / "http-api.md").read_text())


def _nav_pages(entries: list[object]) -> list[str]:
    pages: list[str] = []
    for entry in entries:
        value = next(iter(entry.values())) if isinstance(entry, dict) else entry
        pages += _nav_pages(value) if isinstance(value, list) else [str(value)]
    return pages


def test_every_page_is_in_the_sites_navigation():
    """mkdocs.yml's nav lists every page under docs/ and nothing else (`make docs` refuses a
    page missing from nav too; this says which, offline and at once)."""
    config = yaml.safe_load((ROOT / "mkdocs.yml").read_text())
    listed = _nav_pages(config["nav"])
    pages = sorted(str(p.relative_to(DOCS)) for p in DOCS.rglob("*.md"))
    assert sorted(set(pages) - set(listed)) == [], "pages missing from mkdocs.yml's nav"
    assert sorted(set(listed) - set(pages)) == [], "nav entries with no page"
    assert len(listed) == len(set(listed)), "a page listed twice"


@pytest.mark.parametrize(("package", "page"), [("blocks", "api/blocks.md"), ("core", "api/core.md")])
def test_the_api_pages_show_every_module(package, page):
    """Every public module of blueprints.blocks and blueprints.core has its section on its API
    page (mkdocstrings renders it from the docstrings; a module that is gone fails `make docs`)."""
    text = (DOCS / page).read_text()
    modules = sorted(p.stem for p in (ROOT / "blueprints" / package).glob("*.py") if not p.stem.startswith("_"))
    assert [m for m in modules if f"::: blueprints.{package}.{m}\n" not in text] == []


def test_the_readmes_links_reach_files():
    """The README links to the site's pages as files of the repository (readable where the
    repository is); each must exist."""
    targets = re.findall(r"\]\(([^)#]+)(?:#[^)]*)?\)", README.read_text())
    local = [t for t in targets if not re.match(r"[a-z]+://", t)]
    assert local, "the README links to the documentation"
    assert [t for t in local if not (ROOT / t).exists()] == []
