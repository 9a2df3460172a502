"""The stateful-change guard on the emulator: every destructive change is refused before
anything changes and the data stays; a change the environment allows goes through."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from botocore.exceptions import ClientError
from click.testing import CliRunner
from sceptre.cli import cli
from sceptre.connection_manager import ConnectionManager
from troposphere import Parameter, Sub

from blueprints.blocks import Vpc
from blueprints.core import Context
from blueprints.stacks.data import DataBlueprint
from blueprints.stacks.storage import template as storage
from local_aws.client import control
from local_aws.client.accounts import deployer_credentials
from local_aws.client.endpoint import environment_variables
from local_aws.client.launched import sceptre_launch
from scripts.recover import run as recover_stack
from tests.integration.conftest import account_client, bootstrap_account, copy_project, start_emulator

pytestmark = pytest.mark.integration
TRANSACTIONS = "payments-dev-transactions"


def _rename_transactions_table(monkeypatch):
    original = Context.name
    monkeypatch.setattr(
        Context, "name", lambda self, *parts: original(self, *parts) + ("-v2" if parts == ("transactions",) else "")
    )


def _drop_sessions_table(monkeypatch):
    original = DataBlueprint._table
    monkeypatch.setattr(
        DataBlueprint,
        "_table",
        lambda self, t, name, **kw: None if name == "Sessions" else original(self, t, name, **kw),
    )


def _rename_transactions_logical_id(monkeypatch):
    original = DataBlueprint._table
    monkeypatch.setattr(
        DataBlueprint,
        "_table",
        lambda self, t, name, **kw: original(self, t, "Payments" if name == "Transactions" else name, **kw),
    )


def _rename_artifacts_bucket(monkeypatch):
    original = storage.SecureBucket

    def renamed(template, logical_id, **options):
        if logical_id == "ArtifactsBucket":
            options["name"] = "artifacts-renamed"
        return original(template, logical_id, **options)

    monkeypatch.setattr(storage, "SecureBucket", renamed)


DESTRUCTIVE: list[tuple[str, Callable, list[str]]] = [
    (
        "data",
        _rename_transactions_table,
        ["TransactionsTable", "create-only property TableName", '"payments-dev-transactions-v2"'],
    ),
    ("data", _drop_sessions_table, ["SessionsTable", "logical ID (removed or renamed"]),
    ("data", _rename_transactions_logical_id, ["TransactionsTable", "logical ID (removed or renamed"]),
    (
        "storage",
        _rename_artifacts_bucket,
        ["ArtifactsBucket", "create-only property BucketName", '"artifacts-renamed"'],
    ),
]


@dataclass(frozen=True)
class OwnLaunch:
    """A copy of the project with some of an environment's stacks launched from it on a fresh
    emulator."""

    project: Path
    emulator: control.Emulator
    env: str = "dev"

    def client(self, service: str) -> Any:
        """A client in the environment's account (its region)."""
        return account_client(self.emulator, self.env, service, project_dir=self.project)


@pytest.fixture
def launch_own(tmp_path, monkeypatch) -> Iterator[Callable[..., OwnLaunch]]:
    """`launch_own(*stacks, env="dev", settings={})`: a fresh emulator with the environment's
    account bootstrapped and those of its stacks launched from a copy of the project whose
    `environment:` settings are updated with `settings` (only what a test changes: each is a
    first-level stack)."""
    project = copy_project(tmp_path)
    state = tmp_path / "emulator"
    emulator = start_emulator(state)
    for key, value in emulator.environment({}).items():
        monkeypatch.setenv(key, value)

    def launch(*stacks: str, env: str = "dev", settings: dict[str, Any] | None = None) -> OwnLaunch:
        for key, value in (settings or {}).items():
            _set(project, key, value, env)
        bootstrap_account(emulator, env, project)
        for stack in stacks:
            launched = sceptre_launch(emulator, f"{env}/{stack}.yaml", project)
            assert launched.returncode == 0, launched.output[-3000:]
        return OwnLaunch(project, emulator, env)

    try:
        yield launch
    finally:
        control.stop(state)


def _refusal(output: str) -> str:
    """The guard's refusal as Sceptre's CLI prints a SceptreException: one JSON string line."""
    (line,) = [line for line in output.splitlines() if line.startswith('"refusing to update')]
    message: str = json.loads(line)
    return message


def _launch_in_process(project, stack: str, env: str = "dev"):
    # Sceptre caches boto sessions and clients per process: start clean, on this emulator.
    ConnectionManager._boto_sessions.clear()
    ConnectionManager._clients.clear()
    return CliRunner().invoke(cli, ["--dir", str(project), "launch", "--yes", f"{env}/{stack}.yaml"])


def test_every_destructive_change_is_refused_and_the_data_stays(launch_own):
    own = launch_own("data", "storage")
    dynamodb, cloudformation = own.client("dynamodb"), own.client("cloudformation")
    item = {"transactionId": {"S": "t-1"}, "timestamp": {"N": "1"}, "customerId": {"S": "c-1"}}
    dynamodb.put_item(TableName=TRANSACTIONS, Item=item)
    before = {
        s: cloudformation.get_template(StackName=f"payments-dev-{s}")["TemplateBody"] for s in ("data", "storage")
    }
    for stack, inject, words in DESTRUCTIVE:
        with pytest.MonkeyPatch.context() as patch:
            inject(patch)
            result = _launch_in_process(own.project, stack)
        # Sceptre's own one-line error and exit code, no traceback; each change logged before it.
        assert result.exit_code == 1, (inject.__name__, result.output)
        assert "Traceback" not in result.output
        message = _refusal(result.output)
        assert message.startswith(f"refusing to update payments-dev-{stack} (dev/{stack})"), message
        assert words[0] in message and words[1] in message, message
        assert all(word in result.output for word in words), result.output
        assert "environment.allow_destructive_changes in config/dev/config.yaml" in message
    assert (
        dynamodb.get_item(TableName=TRANSACTIONS, Key={k: item[k] for k in ("transactionId", "timestamp")})["Item"]
        == item
    )
    for stack, body in before.items():
        assert cloudformation.get_template(StackName=f"payments-dev-{stack}")["TemplateBody"] == body
    assert "UPDATE" not in cloudformation.describe_stacks(StackName="payments-dev-data")["Stacks"][0]["StackStatus"]


def _denied(policy: dict[str, Any]) -> list[str]:
    return next(s["Resource"] for s in policy["Statement"] if s["Effect"] == "Deny")


def test_a_destructive_change_the_environment_allows_passes_in_a_protected_environment(launch_own, monkeypatch):
    """prod's stacks carry a stack policy denying the replacement of every stateful resource:
    the one change prod's settings allow passes (its update carries the narrowest override),
    the policy stays as it was, and a change nobody allowed is still refused by CloudFormation."""
    own = launch_own("network", env="prod")
    cloudformation = own.client("cloudformation")
    stack = "payments-prod-network"
    policy = json.loads(cloudformation.get_stack_policy(StackName=stack)["StackPolicyBody"])
    assert {"LogicalResourceId/FlowLogGroup", "LogicalResourceId/NetworkKey"} <= set(_denied(policy))
    _set(own.project, "allow_destructive_changes", ["network.FlowLogGroup"], "prod")
    original = Vpc._flow_logs

    def named_flow_logs(self):
        original(self)
        self.template.resources["FlowLogGroup"].LogGroupName = "/vpc/payments-prod/flow-logs"  # create-only: new

    monkeypatch.setattr(Vpc, "_flow_logs", named_flow_logs)
    result = _launch_in_process(own.project, "network", "prod")
    assert result.exit_code == 0, result.output
    assert "/vpc/payments-prod/flow-logs" in str(cloudformation.get_template(StackName=stack)["TemplateBody"])
    assert json.loads(cloudformation.get_stack_policy(StackName=stack)["StackPolicyBody"]) == policy

    # The override was for that update only: straight to CloudFormation, around the guard,
    # renaming the group again is refused by the stack policy and rolls back, changing nothing.
    deployed = cloudformation.get_template(StackName=stack)["TemplateBody"]
    template = deployed if isinstance(deployed, dict) else yaml.safe_load(deployed)  # as Sceptre sent it
    template["Resources"]["FlowLogGroup"]["Properties"]["LogGroupName"] = "/vpc/payments-prod/renamed"
    parameters = [
        {"ParameterKey": p["ParameterKey"], "UsePreviousValue": True}
        for p in cloudformation.describe_stacks(StackName=stack)["Stacks"][0].get("Parameters", [])
    ]
    cloudformation.update_stack(
        StackName=stack, TemplateBody=json.dumps(template), Parameters=parameters, Capabilities=["CAPABILITY_IAM"]
    )
    (described,) = cloudformation.describe_stacks(StackName=stack)["Stacks"]
    assert described["StackStatus"] == "UPDATE_ROLLBACK_COMPLETE"
    events = cloudformation.describe_stack_events(StackName=stack)["StackEvents"]
    denied = "Action denied by stack policy: [Update:Replace] on resource [LogicalResourceId/FlowLogGroup]"
    assert any(denied == e.get("ResourceStatusReason") for e in events), events[:5]
    assert "/vpc/payments-prod/flow-logs" in str(cloudformation.get_template(StackName=stack)["TemplateBody"])
    assert not own.client("logs").describe_log_groups(logGroupNamePrefix="/vpc/payments-prod/renamed")["logGroups"]
    # A rolled-back update is not stuck: recovery, as the deploy role, finds nothing to do.
    with (
        environment_variables(own.emulator.environment({})),
        environment_variables(deployer_credentials(own.emulator, own.project, "prod")),
    ):
        outcome = recover_stack("prod", "network", local=False, project_dir=own.project)
    assert (outcome.status, outcome.actions) == ("UPDATE_ROLLBACK_COMPLETE", ())
    with pytest.raises(ClientError, match="can not continue update rollback"):
        cloudformation.continue_update_rollback(StackName=stack)


def test_a_first_create_that_fails_can_be_launched_again(launch_own):
    """A protected environment's first create fails half-way (a table of its name already
    exists): it rolls back, taking the tables it had made with it (no data can exist yet), stays
    deletable, and once the cause is gone the next launch creates it and protects it."""
    own = launch_own(env="dev", settings={"retain_data": True, "protect_stacks": True})
    dynamodb, cloudformation = own.client("dynamodb"), own.client("cloudformation")
    dynamodb.create_table(  # in the way: the data stack makes its tables in template order, this one last
        TableName=TRANSACTIONS,
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    failed = sceptre_launch(own.emulator, "dev/data.yaml", own.project)
    assert failed.returncode != 0, failed.output[-3000:]
    (described,) = cloudformation.describe_stacks(StackName="payments-dev-data")["Stacks"]
    assert described["StackStatus"] == "ROLLBACK_COMPLETE"
    assert not described.get("EnableTerminationProtection")
    assert dynamodb.list_tables()["TableNames"] == [TRANSACTIONS]  # the rollback removed the two it had made

    dynamodb.delete_table(TableName=TRANSACTIONS)
    relaunched = sceptre_launch(own.emulator, "dev/data.yaml", own.project)
    assert relaunched.returncode == 0, relaunched.output[-3000:]
    (described,) = cloudformation.describe_stacks(StackName="payments-dev-data")["Stacks"]
    assert described["StackStatus"] == "CREATE_COMPLETE"
    assert described["EnableTerminationProtection"]
    assert len(dynamodb.list_tables()["TableNames"]) == 3


def _set(project, key: str, value: object, env: str = "dev") -> None:
    config = project / "config" / env / "config.yaml"
    settings = yaml.safe_load(config.read_text())
    settings["environment"][key] = value
    config.write_text(yaml.safe_dump(settings, sort_keys=False))


def test_keys_can_be_added_to_live_tables_but_never_taken_away(launch_own):
    """Turning customer-managed keys on re-encrypts the tables in place (nothing replaced,
    the data stays); turning them off again would lose the key: refused, naming it."""
    own = launch_own("data")
    dynamodb = own.client("dynamodb")
    item = {"transactionId": {"S": "t-2"}, "timestamp": {"N": "2"}, "customerId": {"S": "c-2"}}
    dynamodb.put_item(TableName=TRANSACTIONS, Item=item)
    _set(own.project, "customer_managed_keys", True)
    # New resource types (keys): the account's CloudFormation role is bootstrapped for them first.
    bootstrap_account(own.emulator, "dev", own.project)
    result = _launch_in_process(own.project, "data")
    assert result.exit_code == 0, result.output
    key = own.client("kms").describe_key(KeyId="alias/payments-dev-data")["KeyMetadata"]
    table = dynamodb.describe_table(TableName=TRANSACTIONS)["Table"]
    assert table["SSEDescription"]["KMSMasterKeyArn"] == key["Arn"]
    _set(own.project, "customer_managed_keys", False)
    result = _launch_in_process(own.project, "data")
    assert result.exit_code == 1, result.output
    assert "DataKey (logical ID (removed or renamed" in _refusal(result.output)
    assert "DataKey (AWS::KMS::Key)" in result.output  # the logged line
    assert dynamodb.get_item(TableName=TRANSACTIONS, Key={k: item[k] for k in ("transactionId", "timestamp")})["Item"]


def test_a_replacement_only_cloudformation_sees_is_refused(launch_own, monkeypatch):
    """A table named from a parameter: a new value leaves the template as it was, so the
    schemas see nothing, but CloudFormation's change set says Replacement True. The guard reads
    that answer and refuses before anything changes; the change set it made is gone."""
    own = launch_own(env="dev")
    stack_file = own.project / "stacks" / "data.yaml"
    stack_file.write_text(stack_file.read_text().replace("template:", "parameters:\n  TableSuffix: a\ntemplate:", 1))
    original = DataBlueprint.define

    def named_by_a_parameter(self, t):
        original(self, t)
        t.add_parameter(Parameter("TableSuffix", Type="String"))
        t.resources["TransactionsTable"].TableName = Sub(f"{TRANSACTIONS}-${{TableSuffix}}")

    monkeypatch.setattr(DataBlueprint, "define", named_by_a_parameter)
    assert _launch_in_process(own.project, "data").exit_code == 0
    stack_file.write_text(stack_file.read_text().replace("TableSuffix: a", "TableSuffix: b"))
    result = _launch_in_process(own.project, "data")
    assert result.exit_code == 1, result.output
    message = _refusal(result.output)
    assert (
        "TransactionsTable (replacement (CloudFormation's change set: Replacement True, through TableName))" in message
    )
    cloudformation, dynamodb = own.client("cloudformation"), own.client("dynamodb")
    assert cloudformation.list_change_sets(StackName="payments-dev-data")["Summaries"] == []
    assert f"{TRANSACTIONS}-a" in dynamodb.list_tables()["TableNames"]
    assert "UPDATE" not in cloudformation.describe_stacks(StackName="payments-dev-data")["Stacks"][0]["StackStatus"]
