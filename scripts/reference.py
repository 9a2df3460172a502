"""Print the settings reference made from the config models, or (--write) rewrite
docs/reference.md; --check exits 1 when that page is stale. A test keeps the page current.

    python -m scripts.reference --write
"""

from __future__ import annotations

import argparse
import sys

from blueprints.reports.reference import build
from scripts import ROOT, check_or_write

PAGE = ROOT / "docs" / "reference.md"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    action = parser.add_mutually_exclusive_group()
    action.add_argument("--write", action="store_true", help=f"rewrite {PAGE.relative_to(ROOT)}")
    action.add_argument("--check", action="store_true", help=f"fail if {PAGE.relative_to(ROOT)} is stale")
    args = parser.parse_args(argv)
    page = build()
    if args.check or args.write:
        return check_or_write(PAGE, page, check=args.check)
    print(page, end="")
    return 0


if __name__ == "__main__":
    sys.exit(main())
