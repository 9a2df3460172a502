"""Rotates a secret whose value is a random key used by this service alone (the cursor
signing key): Secrets Manager's four rotation steps
(https://docs.aws.amazon.com/secretsmanager/latest/userguide/rotate-secrets_lambda-functions.html).

createSecret  a new random value as the AWSPENDING version of the request's token
setSecret     nothing: no other system holds the key
testSecret    the pending value is there and is a key of the expected length
finishSecret  AWSCURRENT moves to the new version (and AWSPENDING leaves it); Secrets
              Manager labels the old one AWSPREVIOUS, which readers keep accepting until
              the next rotation

Every step is idempotent: Secrets Manager retries a step that failed or timed out.
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError
from common.clients import client
from common.log import Logger

KEY_LENGTH = 64
LOG = Logger(service="secret-rotator")
SECRETS = client("secretsmanager")  # every step needs it, and no request waits for a rotation


def handler(event: dict[str, Any], context: Any) -> None:
    secret, token, step = event["SecretId"], event["ClientRequestToken"], event["Step"]
    versions = SECRETS.describe_secret(SecretId=secret).get("VersionIdsToStages", {})
    if token not in versions:
        raise ValueError(f"version {token} of the secret is not being rotated")
    if "AWSCURRENT" in versions[token]:
        LOG.info("already current", extra={"step": step})
        return
    if "AWSPENDING" not in versions[token]:
        raise ValueError(f"version {token} of the secret is not AWSPENDING")
    steps = {"createSecret": _create, "setSecret": _set, "testSecret": _test, "finishSecret": _finish}
    if step not in steps:
        raise ValueError(f"unknown rotation step {step!r}")
    steps[step](secret, token, versions)
    LOG.info("rotation step done", extra={"step": step})


def _create(secret: str, token: str, versions: dict[str, list[str]]) -> None:
    try:
        SECRETS.get_secret_value(SecretId=secret, VersionId=token, VersionStage="AWSPENDING")
        return  # created by an earlier attempt of this step
    except ClientError as err:
        if err.response["Error"]["Code"] != "ResourceNotFoundException":
            raise
    value = SECRETS.get_random_password(PasswordLength=KEY_LENGTH, ExcludePunctuation=True)["RandomPassword"]
    SECRETS.put_secret_value(
        SecretId=secret, ClientRequestToken=token, SecretString=value, VersionStages=["AWSPENDING"]
    )


def _set(secret: str, token: str, versions: dict[str, list[str]]) -> None:
    """The key lives only in the secret: no other system to update."""


def _test(secret: str, token: str, versions: dict[str, list[str]]) -> None:
    value = SECRETS.get_secret_value(SecretId=secret, VersionId=token, VersionStage="AWSPENDING")["SecretString"]
    if len(value) != KEY_LENGTH:
        raise ValueError(f"the pending key has {len(value)} characters, not {KEY_LENGTH}")


def _finish(secret: str, token: str, versions: dict[str, list[str]]) -> None:
    current = next(version for version, stages in versions.items() if "AWSCURRENT" in stages)
    SECRETS.update_secret_version_stage(
        SecretId=secret, VersionStage="AWSCURRENT", MoveToVersionId=token, RemoveFromVersionId=current
    )
    # Done: no version stays pending, so the next rotation can start.
    SECRETS.update_secret_version_stage(SecretId=secret, VersionStage="AWSPENDING", RemoveFromVersionId=token)
