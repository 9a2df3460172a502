"""The emulator enforces the function execution roles' identity policies on their calls, as
IAM does: a permission removed from the payment function's role, or narrowed to another
table, fails the payment on the emulator as it would on AWS (the handler gets
AccessDeniedException and answers 500); restored, the payment is recorded again."""

from __future__ import annotations

import ast
import json
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from local_aws.client.callers import Environment, send

pytestmark = pytest.mark.integration


@pytest.fixture
def payment_role(launched) -> Iterator[Callable[[Callable[[dict[str, Any]], None]], Any]]:
    """Change the dev payment function role's policy for one block; restored after it."""
    iam = launched["dev"].client("iam")
    (name,) = [r["RoleName"] for r in iam.list_roles()["Roles"] if "-PaymentProcessorRole-" in r["RoleName"]]
    (policy,) = iam.list_role_policies(RoleName=name)["PolicyNames"]
    stored = iam.get_role_policy(RoleName=name, PolicyName=policy)["PolicyDocument"]
    # moto answers a role policy a template made as Python's repr of the document
    original = stored if isinstance(stored, dict) else ast.literal_eval(stored)

    @contextmanager
    def changed(change: Callable[[dict[str, Any]], None]) -> Iterator[None]:
        document = json.loads(json.dumps(original))
        change(document)
        iam.put_role_policy(RoleName=name, PolicyName=policy, PolicyDocument=json.dumps(document))
        try:
            yield
        finally:
            iam.put_role_policy(RoleName=name, PolicyName=policy, PolicyDocument=json.dumps(original))

    yield changed


def _pay(launched, emulator) -> int:
    env = Environment("dev", emulator)
    token = env.customer_token("enforced")
    key = {"Idempotency-Key": f"iam-{uuid.uuid4()}"}
    return send("POST", f"{env.url}/payments", {"amount": "1.00", "currency": "EUR"}, token=token, headers=key).status


def _statement(document: dict[str, Any], sid: str) -> dict[str, Any]:
    return next(s for s in document["Statement"] if s.get("Sid") == sid)


def test_a_removed_permission_fails_the_call(launched, emulator, payment_role):
    def without_put(document):
        statement = _statement(document, "UseTransactionsTable")
        statement["Action"] = [a for a in statement["Action"] if a != "dynamodb:PutItem"]

    with payment_role(without_put):
        assert _pay(launched, emulator) == 500
    assert _pay(launched, emulator) == 201


def test_a_permission_on_another_table_fails_the_call(launched, emulator, payment_role):
    def on_the_sessions_table(document):
        statement = _statement(document, "UseIdempotencyTable")
        statement["Resource"] = [r.replace("-idempotency", "-sessions") for r in statement["Resource"]]

    with payment_role(on_the_sessions_table):
        assert _pay(launched, emulator) == 500
    assert _pay(launched, emulator) == 201


def test_the_refusal_is_iams(launched, emulator, emulator_state, payment_role):
    """What the handler got: DynamoDB's AccessDeniedException, naming the action and table."""

    def without_put(document):
        statement = _statement(document, "UseTransactionsTable")
        statement["Action"] = [a for a in statement["Action"] if a != "dynamodb:PutItem"]

    with payment_role(without_put):
        assert _pay(launched, emulator) == 500
    text = "".join(p.read_text() for p in (emulator_state / "frontdoor" / "logs").glob("*payment-processor*.log"))
    assert "AccessDeniedException" in text
    table = "arn:aws:dynamodb:eu-west-1:111111111111:table/payments-dev-transactions"
    assert f"is not authorized to perform: dynamodb:PutItem on resource: {table}" in text


def test_the_deploy_role_may_act_on_its_environments_stacks_only(launched, emulator):
    """The deploy role's CloudFormation calls are checked too: its own stacks, and nothing
    else (ListStacks takes no stack, and its policy does not grant it)."""
    from blueprints.deploy.accounts import deploy_session  # noqa: PLC0415
    from local_aws.client.endpoint import environment_variables  # noqa: PLC0415

    with environment_variables(emulator.environment({})):
        cloudformation = deploy_session(launched["dev"].settings, doing="test").client("cloudformation")
        assert cloudformation.describe_stacks(StackName="payments-dev-data")["Stacks"]
        for call in (lambda: cloudformation.describe_stacks(StackName="orders-dev-data"), cloudformation.list_stacks):
            with pytest.raises(cloudformation.exceptions.ClientError, match="AccessDenied.*payments-dev-deploy"):
                call()


def test_the_deploy_role_may_use_the_artifacts_bucket_as_its_policy_says(launched, emulator):
    """Its S3 calls are checked too: packages read and written in the artifacts bucket, only
    signing jobs' outputs deleted, no other bucket listed."""
    from blueprints.deploy.accounts import deploy_session  # noqa: PLC0415
    from local_aws.client.endpoint import environment_variables  # noqa: PLC0415

    dev = launched["dev"]
    artifacts, logs = dev.output("storage", "ArtifactsBucketName"), dev.output("storage", "LogsBucketName")
    with environment_variables(emulator.environment({})):
        s3 = deploy_session(dev.settings, doing="test").client("s3")
        assert s3.list_objects_v2(Bucket=artifacts, Prefix="functions/")["KeyCount"] > 0
        s3.put_object(Bucket=artifacts, Key="signed/jobs/enforced.zip", Body=b"x")
        s3.delete_object(Bucket=artifacts, Key="signed/jobs/enforced.zip")
        for call in (
            lambda: s3.delete_object(Bucket=artifacts, Key="functions/anything.zip"),
            lambda: s3.list_objects_v2(Bucket=logs),
        ):
            with pytest.raises(s3.exceptions.ClientError, match="AccessDenied"):
                call()
