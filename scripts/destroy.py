"""Tear an environment down: every stack deleted, with its data (blueprints.deploy.teardown).

    python -m scripts.destroy --env dev            (make destroy ENV=dev)
    python -m scripts.destroy --env dev --local    (make destroy ENV=dev LOCAL=1)

Refused, before any AWS call, for an environment whose settings keep data (retain_data,
deletion_protection, protect_stacks, the logs bucket's version protection or Object Lock:
staging and prod), naming the setting. Otherwise it acts as `sceptre launch` does: with the
shell's credentials (a deployer of the environment), through the environment's deploy role,
refusing to start when that acts in another account. It asks for the environment's name to
be typed unless `--yes`. Run it again after a failure: stacks already gone are skipped.
`--local` tears down the environment launched on the local emulator. Exit status 0 when every
stack is gone, 1 when refused or a stack could not be deleted, 2 when the configuration does
not load.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from blueprints.core import ConfigError
from blueprints.deploy.accounts import WrongAccountError, deploy_session
from blueprints.deploy.preflight import CallFailed, session_caller
from blueprints.deploy.rendering import render_environment
from blueprints.deploy.teardown import TeardownFailed, TeardownRefused, refusal, teardown
from blueprints.project import load_project

PROJECT_DIR = Path(__file__).resolve().parent.parent / "sceptre_project"


def run(
    environment: str, *, local: bool, confirmed: bool, project_dir: Path = PROJECT_DIR, poll: float = 5.0
) -> list[str]:
    """Delete the environment's stacks; the stacks this run deleted."""
    env = load_project(project_dir).environment(environment)
    refused = refusal(env)
    if refused:
        raise TeardownRefused(refused)
    if local:
        from local_aws.client import control  # noqa: PLC0415
        from local_aws.client.accounts import deployer_credentials  # noqa: PLC0415

        emulator = control.current()
        if emulator is None:
            raise TeardownFailed("the emulator is not running: nothing is launched there")
        os.environ.update(emulator.environment())
        os.environ.update(deployer_credentials(emulator, project_dir, environment))
    if not confirmed and not _confirm(env.name, env.settings.account_id):
        raise TeardownRefused(f"not confirmed: nothing was changed in {env.name}")
    session = deploy_session(env, doing=f"tear down {environment}")
    stacks = render_environment(project_dir, environment)
    return teardown(env, session_caller(session), stacks, poll=poll)


def _confirm(environment: str, account: str) -> bool:
    if not sys.stdin.isatty():
        return False
    print(f"This deletes every stack of {environment} in account {account}, with its tables, buckets and logs.")
    return input(f"Type {environment!r} to go on: ").strip() == environment


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--env", required=True)
    parser.add_argument("--local", action="store_true", help="tear down the environment launched on the emulator")
    parser.add_argument("--yes", action="store_true", help="do not ask for the environment's name")
    args = parser.parse_args(argv)
    from botocore.exceptions import BotoCoreError, ClientError  # noqa: PLC0415

    try:
        run(args.env, local=args.local, confirmed=args.yes)
    except ConfigError as err:
        print(err, file=sys.stderr)
        return 2
    except (TeardownRefused, TeardownFailed, WrongAccountError, CallFailed, ClientError, BotoCoreError) as err:
        print(f"teardown of {args.env}: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
