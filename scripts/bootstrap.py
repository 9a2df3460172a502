"""Bootstrap an environment's AWS account: its deploy role, its CloudFormation role and the
account-wide API Gateway settings (blueprints/stacks/bootstrap/), as the stack
`<project>-<env>-bootstrap` in the environment's region.

    python -m scripts.bootstrap --env prod                      (make bootstrap ENV=prod)
    python -m scripts.bootstrap --env prod --role-arn arn:aws:iam::<account>:role/OrganizationAccountAccessRole

Run it once per account, and again whenever the environment's stacks start using a new
resource type (the CloudFormation role allows only the types they use), as an administrator
of the account: with the shell's credentials, or a role assumed with them (`--role-arn`, e.g.
the role AWS Organizations makes in a member account). It refuses to run when those
credentials act in another account than `environment.account_id`. Idempotent: an unchanged
bootstrap changes nothing. The stack gets termination protection.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import boto3
from botocore.exceptions import ClientError

from blueprints.core import ConfigError
from blueprints.deploy.accounts import BootstrapError, WrongAccountError, assume, bootstrap
from blueprints.project import load_project

PROJECT_DIR = Path(__file__).resolve().parent.parent / "sceptre_project"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--env", required=True, help="the environment whose account to bootstrap, e.g. prod")
    parser.add_argument("--role-arn", help="an administrator role of the account to assume first")
    parser.add_argument("--dir", type=Path, default=PROJECT_DIR, help="the Sceptre project (default: this one)")
    args = parser.parse_args(argv)
    try:
        env = load_project(args.dir).environment(args.env)
        session = boto3.Session()
        if args.role_arn:
            session = assume(session, args.role_arn, f"bootstrap-{env.name}", env.region)
        outputs = bootstrap(env, session)
    except (ConfigError, WrongAccountError, BootstrapError, ClientError) as err:
        print(f"bootstrap of {args.env} failed: {err}", file=sys.stderr)
        return 1
    for key, value in sorted(outputs.items()):
        print(f"  {key}  {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
