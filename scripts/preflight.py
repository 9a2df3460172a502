"""Check an environment's account before a launch, reading only (blueprints.deploy.preflight).

    python -m scripts.preflight --env prod            (make preflight ENV=prod)
    python -m scripts.preflight --env dev --local     (make preflight ENV=dev LOCAL=1)

Acts as `sceptre launch` does: with the shell's credentials (a deployer of the environment),
through the environment's deploy role, refusing to start when it acts in another account.
`--local` runs against the local emulator instead (started if needed), as the environment's
first deployer. One line per problem or warning, each naming what to do; exit status 1 when
there is any problem (warnings alone: 0), 2 when the configuration does not load.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from blueprints.core import ConfigError
from blueprints.deploy.accounts import WrongAccountError, deploy_session
from blueprints.deploy.preflight import CallFailed, Problem, preflight, session_caller
from blueprints.project import load_project
from blueprints.stacks.bootstrap import deploy_role_name

PROJECT_DIR = Path(__file__).resolve().parent.parent / "sceptre_project"


def run(environment: str, *, local: bool, project_dir: Path = PROJECT_DIR) -> tuple[list[Problem], str]:
    """The environment's problems, and the account they were read in."""
    from botocore.exceptions import BotoCoreError, ClientError  # noqa: PLC0415

    env = load_project(project_dir).environment(environment)
    if local:
        from local_aws.client import control  # noqa: PLC0415
        from local_aws.client.accounts import deployer_credentials  # noqa: PLC0415

        emulator = control.start()
        os.environ.update(emulator.environment())
        os.environ.update(deployer_credentials(emulator, project_dir, environment))
    account = env.settings.account_id
    try:
        session = deploy_session(env, doing=f"preflight of {environment}")
    except WrongAccountError as err:
        return [Problem("account", str(err))], account
    except (ClientError, BotoCoreError) as err:
        role = deploy_role_name(env.context)
        return [
            Problem(
                "bootstrap",
                f"cannot act as {role} in account {account} ({err}): run `make bootstrap ENV={environment}` as the "
                "account's administrator, or add these credentials' principal to environment.deployers",
            )
        ], account
    try:
        return preflight(env, session_caller(session), project_dir), account
    except CallFailed as err:
        return [Problem("preflight", f"could not read the account: {err}")], account


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--env", required=True)
    parser.add_argument("--local", action="store_true", help="check the environment on the local emulator")
    args = parser.parse_args(argv)
    try:
        problems, account = run(args.env, local=args.local)
    except ConfigError as err:
        print(err, file=sys.stderr)
        return 2
    for problem in problems:
        print(problem)
    blocking = [p for p in problems if not p.warning]
    print(
        f"preflight of {args.env} in account {account}: {len(blocking)} problem(s), "
        f"{len(problems) - len(blocking)} warning(s); nothing was changed"
    )
    return 1 if blocking else 0


if __name__ == "__main__":
    sys.exit(main())
