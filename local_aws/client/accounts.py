"""Accounts on the emulator: moto keeps every account's resources apart, and credentials
from STS AssumeRole into `arn:aws:iam::<account>:role/<name>` act in that account (moto
lets the emulator's fixed credentials, which act in its default account 123456789012, the
tooling account where CI's role lives, assume any role).

`admin_session` stands for an administrator of an account (the role AWS Organizations
makes in each member account): what bootstraps it, and what tests and local tools use to
look inside it."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from pathlib import Path

import boto3

from blueprints.core import ConfigError
from blueprints.deploy.accounts import assume, bootstrap
from blueprints.project import load_project
from local_aws.client.endpoint import CREDENTIALS, Emulator, environment_variables
from local_aws.client.paths import PROJECT_DIR

ADMIN_ROLE = "OrganizationAccountAccessRole"
TOOLING_ACCOUNT = "123456789012"  # where the emulator's fixed credentials act


@cache
def _role(url: str, pid: int, arn: str, session_name: str, region: str) -> boto3.Session:
    """One session per running emulator (its pid: a restarted one has forgotten them)."""
    del pid
    base = boto3.Session(
        aws_access_key_id=CREDENTIALS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
    )
    return assume(base, arn, session_name, region, endpoint_url=url)


def admin_session(emulator: Emulator, account_id: str, region: str = "eu-west-1") -> boto3.Session:
    """A session acting as the administrator of `account_id` on the emulator (one per
    emulator, account and region; moto's session credentials do not expire while it runs)."""
    return _role(emulator.url, emulator.pid, f"arn:aws:iam::{account_id}:role/{ADMIN_ROLE}", "local-admin", region)


def deployer_credentials(emulator: Emulator, project_dir: Path, environment: str) -> dict[str, str]:
    """Environment variables that make a command act as the environment's first deployer, as
    CI does: credentials of that role (assumed with the emulator's fixed credentials, which
    act in the tooling account), or none when the deployer is an account root (the fixed
    credentials are a principal of the tooling account) or the project does not load (the
    launch reports that itself)."""
    try:
        env = load_project(project_dir).environment(environment.partition("/")[0])
    except ConfigError:
        return {}
    deployer = env.settings.deployers[0]
    if deployer.endswith(":root"):
        return {}
    credentials = _role(emulator.url, emulator.pid, deployer, "ci", env.region).get_credentials()
    return {
        "AWS_ACCESS_KEY_ID": credentials.access_key,
        "AWS_SECRET_ACCESS_KEY": credentials.secret_key,
        "AWS_SESSION_TOKEN": credentials.token,
    }


def bootstrap_account(
    emulator: Emulator,
    environment: str,
    project_dir: Path = PROJECT_DIR,
    *,
    log: Callable[[str], None] = lambda message: None,
) -> dict[str, str]:
    """Bootstrap `environment`'s account on `emulator` as its administrator, as
    `make bootstrap` does on AWS (idempotent); the bootstrap's outputs."""
    env = load_project(project_dir).environment(environment)
    with environment_variables(emulator.environment({})):
        return bootstrap(env, admin_session(emulator, env.settings.account_id, env.region), log=log)
