"""WAF at the edge and no path around CloudFront, on launched environments: the web ACLs,
their association and logging as the emulator keeps them, then over HTTP through the
front door: the distribution's path is served, the stage's own path refuses every request
without the origin secret before any function runs, and a rotation of the secret never
refuses the distribution's traffic."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest

from local_aws.client import callers
from local_aws.client.callers import Environment, Reply
from local_aws.client.control import Emulator
from local_aws.client.launched import LaunchedEnvironment
from tests.conftest import measured
from tests.integration.conftest import account_client

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]
PAYMENT = {"amount": "4.20", "currency": "EUR"}
HEADER = "X-Origin-Verify"


def send(*args, **kwargs) -> Reply:
    """dev's stage is throttled (10/s): wait out a 429 as a client would."""
    return callers.send(*args, **{"patience": 10.0, **kwargs})


def _eventually(check: Callable[[], bool], what: str, timeout: float = 15.0) -> None:
    """The front door re-reads a stage's web ACL and a distribution at most once a second."""
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, what
        time.sleep(0.2)


# --- what the emulator keeps -----------------------------------------------------------------


@pytest.mark.parametrize("env", ["dev", "prod"])
def test_the_web_acls_their_association_and_logging_exist(launched, env):
    launched_env: LaunchedEnvironment = launched[env]
    edge, api = launched_env.stacks["edge"].outputs, launched_env.stacks["api"].outputs
    global_waf = launched_env.client("wafv2", "us-east-1")
    acl = global_waf.get_web_acl(Name=f"payments-{env}-edge", Scope="CLOUDFRONT", Id=edge["WebAclId"])["WebACL"]
    assert acl["ARN"] == edge["WebAclArn"] and ":global/webacl/" in acl["ARN"]
    managed = {
        r["Statement"]["ManagedRuleGroupStatement"]["Name"]
        for r in acl["Rules"]
        if "ManagedRuleGroupStatement" in r["Statement"]
    }
    assert managed == {
        "AWSManagedRulesCommonRuleSet",
        "AWSManagedRulesKnownBadInputsRuleSet",
        "AWSManagedRulesAmazonIpReputationList",
    }
    assert any("RateBasedStatement" in r["Statement"] for r in acl["Rules"])
    logging = global_waf.get_logging_configuration(ResourceArn=edge["WebAclArn"])["LoggingConfiguration"]
    account = launched_env.settings.settings.account_id
    assert acl["ARN"].split(":")[4] == account
    assert logging["LogDestinationConfigs"] == [
        f"arn:aws:logs:us-east-1:{account}:log-group:aws-waf-logs-payments-{env}"
    ]
    assert logging["RedactedFields"] == [{"SingleHeader": {"Name": "authorization"}}]
    groups = launched_env.client("logs", "us-east-1").describe_log_groups(
        logGroupNamePrefix=f"aws-waf-logs-payments-{env}"
    )["logGroups"]
    assert [g["logGroupName"] for g in groups] == [f"aws-waf-logs-payments-{env}"]
    region = launched_env.region("api")
    stage_arn = f"arn:aws:apigateway:{region}::/restapis/{api['RestApiId']}/stages/{api['StageName']}"
    regional = launched_env.client("wafv2", region).get_web_acl_for_resource(ResourceArn=stage_arn)["WebACL"]
    assert regional["Name"] == f"payments-{env}-origin" and "Block" in regional["DefaultAction"]
    (rule,) = regional["Rules"]
    values = [m["ByteMatchStatement"]["SearchString"] for m in rule["Statement"]["OrStatement"]["Statements"]]
    secret = json.loads(
        launched_env.client("secretsmanager", "us-east-1").get_secret_value(SecretId=f"payments-{env}-origin-verify")[
            "SecretString"
        ]
    )
    assert values[0] == secret["current"].encode() and len(secret["current"]) == 64
    distribution = launched_env.client("cloudfront", "us-east-1").get_distribution_config(
        Id=launched_env.stacks["cdn"].outputs["DistributionId"]
    )["DistributionConfig"]
    assert distribution["WebACLId"] == edge["WebAclArn"]
    headers = distribution["Origins"]["Items"][0]["CustomHeaders"]["Items"]
    assert headers == [{"HeaderName": HEADER, "HeaderValue": secret["current"]}]


# --- over HTTP ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def dev(launched, emulator: Emulator) -> Environment:
    return Environment("dev", emulator)


@pytest.fixture(scope="module")
def alice(dev: Environment) -> str:
    return dev.customer_token("alice")


def _secret(dev: Environment) -> dict[str, str]:
    client = account_client(dev.emulator, dev.name, "secretsmanager", "us-east-1")
    values: dict[str, str] = json.loads(client.get_secret_value(SecretId="payments-dev-origin-verify")["SecretString"])
    return values


def _payments_count(dev: Environment) -> int:
    table = dev.outputs("data")["TransactionsTableName"]
    client = account_client(dev.emulator, dev.name, "dynamodb", dev.region)
    return int(client.scan(TableName=table, Select="COUNT")["Count"])


def _pay(url: str, token: str, headers: dict[str, str] | None = None) -> Reply:
    return send(
        "POST",
        f"{url}/payments",
        PAYMENT,
        token=token,
        headers={"Idempotency-Key": f"edge-{uuid.uuid4()}", **(headers or {})},
    )


def _refused_by_waf(reply: Reply) -> bool:
    return (
        reply.status == 403
        and reply.json == {"error": {"code": "Forbidden", "message": "call the API through its domain name"}}
        and reply.headers.get("Content-Type") == "application/json"
    )


def test_the_documented_url_is_the_distribution_and_direct_is_the_stage(dev, emulator_state):
    shell = measured({k: v for k, v in os.environ.items() if not k.startswith("AWS_")})
    shell["EMULATOR_STATE_DIR"] = str(emulator_state)

    def url(*flags: str) -> str:
        run = subprocess.run(
            [sys.executable, "-m", "local_aws.client.control", "url", "--env", "dev", *flags],
            env=shell, capture_output=True, text=True, check=False, timeout=120, cwd=ROOT,
        )  # fmt: skip
        assert run.returncode == 0, run.stderr
        return run.stdout.strip()

    assert url() == dev.url and "/distributions/" in dev.url
    assert url("--direct") == dev.direct_url and "/restapis/" in dev.direct_url


def test_the_stage_refuses_a_request_without_the_origin_secret_before_any_function_runs(dev, alice):
    before = _payments_count(dev)
    refused = _pay(dev.direct_url, alice)
    assert _refused_by_waf(refused), refused
    assert "x-amzn-ErrorType" in refused.headers
    assert _payments_count(dev) == before  # no function ran: nothing was written
    wrong = _pay(dev.direct_url, alice, {HEADER: "x" * 64})
    assert _refused_by_waf(wrong), wrong
    assert _refused_by_waf(send("GET", f"{dev.direct_url}/no/such/route"))  # before routing, too
    assert _payments_count(dev) == before


def test_the_same_request_through_the_distribution_is_served(dev, alice):
    before = _payments_count(dev)
    paid = _pay(dev.url, alice)
    assert paid.status == 201, paid.text
    assert _payments_count(dev) == before + 1
    # CloudFront replaces a viewer's header of the same name with its own value.
    forged = _pay(dev.url, alice, {HEADER: "forged"})
    assert forged.status == 201, forged.text
    read = send("GET", f"{dev.url}/payments/{paid.json['transactionId']}", token=alice)
    assert (read.status, read.json) == (200, paid.json)


def _rotate(dev: Environment) -> None:
    run = subprocess.run(
        [sys.executable, "-m", "scripts.rotate_origin_secret", "--env", "dev"],
        env=dev.emulator.environment(), capture_output=True, text=True, check=False, timeout=600, cwd=ROOT,
    )  # fmt: skip
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]


def _admitted(dev: Environment, token: str, value: str) -> bool:
    reply = _pay(dev.direct_url, token, {HEADER: value})
    return reply.status == 201


def test_a_rotation_keeps_both_values_admitted_and_the_distribution_serving(dev, alice):
    first = _secret(dev)["current"]
    _rotate(dev)
    second = _secret(dev)
    assert second["previous"] == first and second["current"] != first and len(second["current"]) == 64
    _eventually(lambda: _admitted(dev, alice, second["current"]), "the new value is admitted directly")
    assert _admitted(dev, alice, first), "the previous value stays admitted"
    assert _pay(dev.url, alice).status == 201
    distribution = account_client(dev.emulator, dev.name, "cloudfront", "us-east-1")
    config = distribution.get_distribution_config(Id=dev.outputs("cdn")["DistributionId"])["DistributionConfig"]
    assert config["Origins"]["Items"][0]["CustomHeaders"]["Items"][0]["HeaderValue"] == second["current"]

    _rotate(dev)
    third = _secret(dev)
    assert third["previous"] == second["current"]
    _eventually(lambda: _refused_by_waf(_pay(dev.direct_url, alice, {HEADER: first})), "the value before is refused")
    assert _admitted(dev, alice, third["current"]) and _admitted(dev, alice, second["current"])
    assert _pay(dev.url, alice).status == 201


def test_a_rotation_interrupted_after_writing_is_finished_not_repeated(dev, alice):
    """CloudFront still sends the old value (the command stopped after writing): running it
    again writes nothing new and rolls the written value out."""
    values = _secret(dev)
    client = account_client(dev.emulator, dev.name, "secretsmanager", "us-east-1")
    written = {"current": "n" * 64, "previous": values["current"]}
    client.put_secret_value(SecretId="payments-dev-origin-verify", SecretString=json.dumps(written))
    _rotate(dev)
    assert _secret(dev) == written
    _eventually(lambda: _admitted(dev, alice, "n" * 64), "the written value is rolled out")
    assert _pay(dev.url, alice).status == 201
