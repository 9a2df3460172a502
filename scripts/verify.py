"""Verify a launched environment end to end, through its public URL (blueprints.deploy.verify).

    python -m scripts.verify --env prod [--role-arn <admin role>]    (make verify ENV=prod [ROLE=...])
    python -m scripts.verify --env dev --local                       (make verify ENV=dev LOCAL=1)

Acts as the environment's administrator, like `make bootstrap`: the shell's credentials, or
the role `--role-arn` names (assumed with them), refused unless they act in the
environment's account. It creates and then removes two test customers and a back-office app
client, records one test payment of 0.01 EUR, and sets the edge's blocked-requests alarm
(which pages nobody) to ALARM and back to OK. `--local` verifies the environment launched on
the local emulator, as its account's administrator, through the emulator's front door.
One line per check; exit status 1 when one failed ("not yet" alone: 0), 2 when the
configuration does not load.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import boto3

from blueprints.core import ConfigError
from blueprints.deploy.accounts import WrongAccountError, assume, check_account
from blueprints.deploy.verify import Check, public_endpoints, stack_outputs, verify
from blueprints.project import load_project

PROJECT_DIR = Path(__file__).resolve().parent.parent / "sceptre_project"


def run(
    environment: str, *, local: bool, role_arn: str | None = None, wait: float = 60.0, project_dir: Path = PROJECT_DIR
) -> list[Check]:
    env = load_project(project_dir).environment(environment)
    if local:
        from local_aws.client import control  # noqa: PLC0415
        from local_aws.client.accounts import admin_session  # noqa: PLC0415
        from local_aws.client.callers import emulator_endpoints  # noqa: PLC0415

        emulator = control.current()
        if emulator is None:
            raise SystemExit(f"the emulator is not running: launch the environment first (make demo ENV={environment})")
        os.environ.update(emulator.environment())
        session = admin_session(emulator, env.settings.account_id, env.region)
        outputs = stack_outputs(env, session, project_dir)
        endpoints = emulator_endpoints(emulator, outputs)
    else:
        session = boto3.Session()
        if role_arn:
            session = assume(session, role_arn, f"{env.project}-{env.name}-verify", env.region)
        outputs = stack_outputs(env, session, project_dir)
        endpoints = public_endpoints(outputs)
    check_account(session, env, doing=f"verify {environment}")
    return verify(env, session, endpoints, outputs, wait=wait)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--env", required=True)
    parser.add_argument("--local", action="store_true", help="verify the environment launched on the local emulator")
    parser.add_argument("--role-arn", help="an administrator role of the environment's account to assume")
    parser.add_argument("--wait", type=float, default=60.0, help="seconds to wait for alarms and logs (default 60)")
    args = parser.parse_args(argv)
    try:
        checks = run(args.env, local=args.local, role_arn=args.role_arn, wait=args.wait)
    except ConfigError as err:
        print(err, file=sys.stderr)
        return 2
    except WrongAccountError as err:
        print(err, file=sys.stderr)
        return 1
    for check in checks:
        print(check)
    failed = [c for c in checks if not c.passed and not c.warning]
    waiting = [c for c in checks if c.warning]
    passed = len(checks) - len(failed) - len(waiting)
    print(f"verify {args.env}: {passed} ok, {len(failed)} failed, {len(waiting)} not yet")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
