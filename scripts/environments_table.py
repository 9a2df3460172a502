"""Print the environments table from the Sceptre config, or (--write) refresh it in README.md
between the `environments:start` / `environments:end` markers. A test keeps them equal."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from blueprints.project import load_project
from blueprints.reports.environments import settings_table

ROOT = Path(__file__).resolve().parent.parent
SECTION = re.compile(r"(<!-- environments:start -->\n)(.*?)(\n<!-- environments:end -->)", re.DOTALL)


def readme_with_table(readme: str) -> str:
    table = settings_table(load_project(ROOT / "sceptre_project"))
    if not SECTION.search(readme):
        raise SystemExit("README.md has no environments:start/end markers")
    return SECTION.sub(lambda m: m.group(1) + table + m.group(3), readme)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--write", action="store_true", help="rewrite the table in README.md")
    args = parser.parse_args()
    readme = ROOT / "README.md"
    if args.write:
        readme.write_text(readme_with_table(readme.read_text()))
    else:
        print(settings_table(load_project(ROOT / "sceptre_project")))


if __name__ == "__main__":
    main()
