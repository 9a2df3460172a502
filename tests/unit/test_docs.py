"""The README's environments and stacks tables match the code, and its Python examples run."""

from __future__ import annotations

import re

from blueprints.deploy.rendering import dependency_depth
from blueprints.project import BLUEPRINTS
from scripts.environments_table import readme_with_table
from scripts.report import PAGE, build
from tests.conftest import ROOT


def test_environments_table_is_current():
    readme = (ROOT / "README.md").read_text()
    assert readme_with_table(readme) == readme, "run: .venv/bin/python scripts/environments_table.py --write"


def test_stacks_table_matches_levels_regions_and_dependencies(project, rendered):
    readme = (ROOT / "README.md").read_text()
    rows = re.findall(r"^\| (\d) \| `(\w+)` \| (\S+|\*\*us-east-1\*\*) \| .* \| (.*) \|$", readme, re.MULTILINE)
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


def test_the_readmes_python_examples_run(capsys):
    """The README's Python blocks, in order and in one namespace (a later one uses what an
    earlier one made), run as written: an example a reader copies works."""
    blocks = re.findall(r"^```python\n(.*?)^```", (ROOT / "README.md").read_text(), re.MULTILINE | re.DOTALL)
    assert len(blocks) >= 3
    namespace: dict[str, object] = {}
    for number, block in enumerate(blocks, 1):
        exec(compile(block, f"README.md python block {number}", "exec"), namespace)
    assert '"AWSTemplateFormatVersion"' in capsys.readouterr().out  # the first block prints its template
