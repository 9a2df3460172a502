"""Get one stack of an environment out of a state no launch continues from (blueprints.deploy.recover).

    python -m scripts.recover --env prod --stack functions                 (make recover ENV=prod STACK=functions)
    python -m scripts.recover --env prod --stack api --skip ApiDeployment  (SKIP=ApiDeployment)
    python -m scripts.recover --env dev --stack data --local               (LOCAL=1)

Acts as `sceptre launch` does: with the shell's credentials (a deployer of the environment),
through the environment's deploy role, refusing to start when that acts in another account.
Exit status 0 when the stack can be launched again, 1 when it cannot (the reason and the
failed resources are printed), 2 when the configuration or the stack name is wrong.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from blueprints.core import ConfigError
from blueprints.deploy.accounts import WrongAccountError, deploy_session
from blueprints.deploy.preflight import CallFailed, session_caller
from blueprints.deploy.recover import Outcome, RecoveryFailed, recover
from blueprints.deploy.rendering import render_environment
from blueprints.project import load_project

PROJECT_DIR = Path(__file__).resolve().parent.parent / "sceptre_project"


def run(
    environment: str, stack: str, *, local: bool, skip: tuple[str, ...] = (), project_dir: Path = PROJECT_DIR
) -> Outcome:
    env = load_project(project_dir).environment(environment)
    stacks = render_environment(project_dir, environment)
    if stack not in stacks:
        raise ConfigError(
            f"no such stack: one of {', '.join(stacks)}", environment=environment, stack=stack, field="STACK"
        )
    if local:
        from local_aws.client import control  # noqa: PLC0415
        from local_aws.client.accounts import deployer_credentials  # noqa: PLC0415

        emulator = control.start()
        os.environ.update(emulator.environment())
        os.environ.update(deployer_credentials(emulator, project_dir, environment))
    session = deploy_session(env, doing=f"recover {environment}/{stack}")
    return recover(env, stacks[stack], session_caller(session), skip=skip, poll_seconds=1 if local else 10)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--env", required=True)
    parser.add_argument("--stack", required=True, help="the stack file's name, e.g. functions")
    parser.add_argument("--skip", default="", help="logical IDs the rollback may skip, comma-separated")
    parser.add_argument("--local", action="store_true", help="recover the stack launched on the emulator")
    args = parser.parse_args(argv)
    from botocore.exceptions import BotoCoreError, ClientError  # noqa: PLC0415

    skip = tuple(s.strip() for s in args.skip.split(",") if s.strip())
    try:
        outcome = run(args.env, args.stack, local=args.local, skip=skip)
    except ConfigError as err:
        print(err, file=sys.stderr)
        return 2
    except (RecoveryFailed, WrongAccountError, CallFailed, ClientError, BotoCoreError) as err:
        print(f"recovery of {args.env}/{args.stack}: {err}", file=sys.stderr)
        return 1
    done = ", ".join(outcome.actions) or "nothing needed"
    print(f"recovery of {args.env}/{args.stack}: {outcome.status} ({done})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
