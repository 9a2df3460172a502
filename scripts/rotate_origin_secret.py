"""Rotate an environment's origin secret: the value CloudFront sends in X-Origin-Verify and
the only thing the API stage's web ACL admits.

    python -m scripts.rotate_origin_secret --env dev     (make rotate-origin-secret ENV=dev)

Uses the AWS credentials and endpoint of the shell, as `sceptre` does (for the local
emulator: `eval "$(.venv/bin/python -m local_aws.client.control env)"` first), through the
environment's deploy role, refusing to start when it acts in another account than the
environment's. Three steps, in an order that never refuses a request that came through
CloudFront:

1. a new value becomes `current` and the old current becomes `previous` in the secret
   `<project>-<env>-origin-verify` (us-east-1);
2. `sceptre launch <env>/api.yaml`: the stage's web ACL now admits both values, and
   CloudFront still sends the old one;
3. `sceptre launch <env>/cdn.yaml`: CloudFront sends the new one, which the ACL admits.

The value from before the previous one is refused from step 2 on. Before writing, the
command reads what the distribution sends: if it is already `previous` (an earlier
rotation stopped after step 1 or 2), it writes nothing and finishes that rotation, so
running it again after a failure is always safe.
"""

from __future__ import annotations

import argparse
import json
import secrets
import string
import subprocess
import sys
from pathlib import Path
from typing import Any

from blueprints.blocks.web_acl import ORIGIN_VERIFY_HEADER
from blueprints.core import ConfigError
from blueprints.deploy.accounts import WrongAccountError, deploy_session
from blueprints.project import load_project
from blueprints.stacks.edge import EDGE_REGION, origin_secret_name

PROJECT_DIR = Path(__file__).resolve().parent.parent / "sceptre_project"
SCEPTRE = str(Path(sys.executable).parent / "sceptre")
# As the edge stack generates it: 64 letters and digits (no punctuation: a header value).
ALPHABET = string.ascii_letters + string.digits
LENGTH = 64


class RotationError(RuntimeError):
    """The rotation cannot start or did not finish; the message says what to do."""


def new_value() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def sent_by_distribution(cloudfront: Any, distribution_id: str) -> str | None:
    """The origin-verify value the distribution sends (None if it sends none)."""
    config = cloudfront.get_distribution_config(Id=distribution_id)["DistributionConfig"]
    for origin in config["Origins"].get("Items") or ():
        for header in (origin.get("CustomHeaders") or {}).get("Items") or ():
            if header["HeaderName"].lower() == ORIGIN_VERIFY_HEADER.lower():
                return str(header["HeaderValue"])
    return None


def rotate(environment: str, project_dir: Path = PROJECT_DIR, *, echo: bool = True) -> str:
    """Rotate and roll out; returns what happened (one line)."""
    project = load_project(project_dir)
    if environment not in project.environments:
        raise RotationError(f"no environment {environment!r} (known: {', '.join(sorted(project.environments))})")
    env = project.environments[environment]
    name = origin_secret_name(env.project, environment)
    session = deploy_session(env, doing=f"rotate {name}")
    secretsmanager = session.client("secretsmanager", region_name=EDGE_REGION)
    cloudformation = session.client("cloudformation", region_name=EDGE_REGION)  # the cdn stack's region
    cdn_stack = f"{env.project}-{environment}-cdn"
    try:
        values = json.loads(secretsmanager.get_secret_value(SecretId=name)["SecretString"])
        outputs = cloudformation.describe_stacks(StackName=cdn_stack)["Stacks"][0].get("Outputs", [])
    except secretsmanager.exceptions.ClientError as err:
        raise RotationError(f"{environment} is not launched ({err}): launch it first") from err
    distribution_id = next(o["OutputValue"] for o in outputs if o["OutputKey"] == "DistributionId")
    sent = sent_by_distribution(session.client("cloudfront", region_name=EDGE_REGION), distribution_id)
    if sent == values["current"]:
        secretsmanager.put_secret_value(
            SecretId=name, SecretString=json.dumps({"current": new_value(), "previous": values["current"]})
        )
        done = f"{name}: new current value written; the old one stays admitted as previous"
    else:
        done = f"{name}: CloudFront does not send the current value yet: finishing the rotation, nothing written"
    if echo:
        print(done, flush=True)
    for stack in ("api", "cdn"):  # the ACL admits both values before CloudFront switches
        _launch(project_dir, f"{environment}/{stack}.yaml", echo=echo)
    return done


def _launch(project_dir: Path, path: str, *, echo: bool) -> None:
    result = subprocess.run(  # noqa: S603 - fixed argv
        # With its dependencies (unchanged: "no updates"): !stack_output reads them through them.
        [SCEPTRE, "--dir", str(project_dir), "launch", "--yes", path],
        capture_output=not echo,
        text=True,
        timeout=900,
        check=False,
    )
    if result.returncode != 0:
        raise RotationError(
            f"sceptre launch {path} failed{': ' + (result.stdout or '')[-2000:] if not echo else ''}; "
            "run this command again to finish the rotation (it writes no new value until CloudFront sends "
            "the current one)"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--env", required=True, help="the environment, e.g. dev")
    args = parser.parse_args(argv)
    try:
        rotate(args.env)
    except (RotationError, ConfigError, WrongAccountError) as err:
        print(f"rotation refused or unfinished: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
