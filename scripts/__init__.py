"""Command-line scripts of the project (run as `python -m scripts.<name>`)."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def check_or_write(page: Path, content: str, *, check: bool) -> int:
    """Rewrite a generated page, or (check) exit status 1 if the committed one is stale."""
    name = page.relative_to(ROOT)
    if check:
        if not page.is_file() or page.read_text() != content:
            print(f"{name} is stale: run `make report`", file=sys.stderr)
            return 1
        return 0
    page.write_text(content)
    print(f"wrote {name}")
    return 0
