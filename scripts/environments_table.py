"""Print the environments table from the Sceptre config, or (--write) refresh it in
docs/settings.md (the "Environments and settings" page of the documentation site) between the
`environments:start` / `environments:end` markers. A test keeps them equal."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from blueprints.project import load_project
from blueprints.reports.environments import settings_table

ROOT = Path(__file__).resolve().parent.parent
PAGE = ROOT / "docs" / "settings.md"
SECTION = re.compile(r"(<!-- environments:start -->\n)(.*?)(\n<!-- environments:end -->)", re.DOTALL)


def page_with_table(page: str) -> str:
    """The page's text with the table between its markers made from the current config."""
    table = settings_table(load_project(ROOT / "sceptre_project"))
    if not SECTION.search(page):
        raise SystemExit(f"{PAGE.relative_to(ROOT)} has no environments:start/end markers")
    return SECTION.sub(lambda m: m.group(1) + table + m.group(3), page)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--write", action="store_true", help=f"rewrite the table in {PAGE.relative_to(ROOT)}")
    args = parser.parse_args()
    if args.write:
        PAGE.write_text(page_with_table(PAGE.read_text()))
    else:
        print(settings_table(load_project(ROOT / "sceptre_project")))


if __name__ == "__main__":
    main()
