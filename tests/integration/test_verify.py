"""`make verify` on the launched dev and prod: the command a team runs after a launch on a
real account, run here against the emulator, and shown to catch an alarm that cannot reach
its topic (the key statement the alarm topics had before: a condition CloudWatch is not
documented to send)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from blueprints.deploy.verify import stack_outputs, verify
from local_aws.client.callers import emulator_endpoints
from local_aws.client.paths import PROJECT_DIR, ROOT
from tests.integration.conftest import admin

pytestmark = pytest.mark.integration

HTTP_CHECKS = ("unauthenticated", "payment", "retry", "isolation", "no path around CloudFront", "back office read-only")


def _verify(env: str, emulator_state) -> subprocess.CompletedProcess[str]:
    shell = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    shell["EMULATOR_STATE_DIR"] = str(emulator_state)
    return subprocess.run(
        [sys.executable, "-m", "scripts.verify", "--env", env, "--local", "--wait", "2"],
        env=shell, capture_output=True, text=True, check=False, timeout=300, cwd=ROOT,
    )  # fmt: skip


def _marks(output: str) -> dict[str, str]:
    """check name -> its mark (ok, FAILED, not yet)."""
    marks = {}
    for line in output.splitlines():
        if "[" in line and "]" in line:
            mark, _, rest = line.partition("[")
            marks[rest.split("]", 1)[0]] = mark.strip()
    return marks


@pytest.mark.parametrize("env", ["dev", "prod"])
def test_verify_passes_on_a_launched_environment_and_leaves_no_test_caller(launched, emulator_state, env):
    run = _verify(env, emulator_state)
    assert run.returncode == 0, run.stdout + run.stderr
    marks = _marks(run.stdout)
    assert {name: marks[name] for name in (*HTTP_CHECKS, "alarm delivery")} == dict.fromkeys(
        (*HTTP_CHECKS, "alarm delivery"), "ok"
    )
    # The front door writes the stage's access logs, as API Gateway does; the edge's web ACL
    # and CloudFront's log delivery are not emulated: "not yet", with what to check.
    assert marks["stage access logs"] == "ok"
    assert {marks[n] for n in ("web ACL logs", "CloudFront access logs")} == {"not yet"}
    cognito = launched[env].client("cognito-idp")
    pool = launched[env].output("identity", "UserPoolId")
    users = [u["Username"] for u in cognito.list_users(UserPoolId=pool)["Users"]]
    clients = [
        c["ClientName"] for c in cognito.list_user_pool_clients(UserPoolId=pool, MaxResults=60)["UserPoolClients"]
    ]
    assert not [u for u in users if u.startswith("verify-")]
    assert not [c for c in clients if c.startswith("verify-")]


def test_an_alarm_whose_topic_key_asks_for_an_undocumented_condition_never_arrives(launched, emulator):
    """The alarm topics' key as it was: CloudWatch admitted only with aws:SourceAccount, which
    it is not documented to send to KMS. The emulator sends none, so the alarm is muted.
    (blueprints.deploy.verify in this process, as the command runs it.)"""
    dev = launched["dev"]
    kms = dev.client("kms", "us-east-1")
    key = dev.output("edge", "AlarmTopicsKeyArn")
    original = kms.get_key_policy(KeyId=key, PolicyName="default")["Policy"]
    policy = json.loads(original)
    for statement in policy["Statement"]:
        if statement.get("Sid") == "ServicesPublish":
            statement["Action"] = ["kms:Decrypt", "kms:GenerateDataKey"]
            statement["Condition"] = {"StringEquals": {"aws:SourceAccount": dev.settings.settings.account_id}}
    kms.put_key_policy(KeyId=key, PolicyName="default", Policy=json.dumps(policy))
    session = admin(emulator, "dev")
    outputs = stack_outputs(dev.settings, session, PROJECT_DIR)
    try:
        checks = verify(dev.settings, session, emulator_endpoints(emulator, outputs), outputs, wait=1)
    finally:
        kms.put_key_policy(KeyId=key, PolicyName="default", Policy=original)
    by_name = {c.name: c for c in checks}
    assert [c.name for c in checks if not c.passed and not c.warning] == ["alarm delivery"]
    assert "does not have authorization to access the SNS topic encryption key" in by_name["alarm delivery"].detail
    assert str(by_name["alarm delivery"]).startswith("FAILED  [alarm delivery] payments-dev-edge-blocked-requests")
