"""Render every environment and explain each difference between them by its setting.

    python -m scripts.consistency                      # the rendered templates
    python -m scripts.consistency --launched dev prod  # and those environments as deployed

Exits 1 when a difference has no setting that explains it (or the configuration is
refused, e.g. an invariant setting varied per environment). With --launched (AWS
credentials or the emulator's environment), also when a deployed stack is out of date
with its rendered template or the launched environments run different function code.
"""

from __future__ import annotations

import argparse
import sys

from blueprints.core import ConfigError
from blueprints.project import load_project
from blueprints.reports.consistency import check, format_report
from local_aws.client.launched import LaunchedEnvironment, replication_report
from local_aws.client.paths import PROJECT_DIR


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--launched", nargs="+", metavar="ENV", help="also check these launched environments")
    args = parser.parse_args()
    try:
        report = check(load_project(PROJECT_DIR), PROJECT_DIR)
    except ConfigError as err:
        print(f"configuration refused: {err}", file=sys.stderr)
        return 1
    print(format_report(report))
    ok = report.ok
    if args.launched:
        lines, launched_ok = replication_report([LaunchedEnvironment(env) for env in args.launched])
        print("\nlaunched\n" + "\n".join(f"  {line}" for line in lines))
        ok &= launched_ok
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
