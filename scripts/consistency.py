"""Render every environment and explain each difference between them by its setting.

    python -m scripts.consistency

Exits 1 when a difference has no setting that explains it (or the configuration is
refused, e.g. an invariant setting varied per environment).
"""

from __future__ import annotations

import sys

from blueprints.consistency import check, format_report
from blueprints.core import ConfigError
from blueprints.environments import load_project
from local_aws.launched import PROJECT_DIR


def main() -> int:
    try:
        report = check(load_project(PROJECT_DIR), PROJECT_DIR)
    except ConfigError as err:
        print(f"configuration refused: {err}", file=sys.stderr)
        return 1
    print(format_report(report))
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
