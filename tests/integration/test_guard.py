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
from click.testing import CliRunner
from sceptre.cli import cli
from sceptre.connection_manager import ConnectionManager

from blueprints import storage
from blueprints.blocks import Vpc
from blueprints.core import Context
from blueprints.data import DataBlueprint
from local_aws import control
from local_aws.launched import sceptre_launch
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
    """A copy of the project with some of dev's stacks launched from it on a fresh emulator."""

    project: Path
    emulator: control.Emulator

    def client(self, service: str) -> Any:
        """A client in dev's account (its region)."""
        return account_client(self.emulator, "dev", service, project_dir=self.project)


@pytest.fixture
def launch_own(tmp_path, monkeypatch) -> Iterator[Callable[..., OwnLaunch]]:
    """`launch_own(*stacks)`: a fresh emulator with dev's account bootstrapped and those of
    dev's stacks launched from a copy of the project (only what a test changes: each is a
    first-level stack)."""
    project = copy_project(tmp_path)
    state = tmp_path / "emulator"
    emulator = start_emulator(state)
    for key, value in emulator.environment({}).items():
        monkeypatch.setenv(key, value)

    def launch(*stacks: str) -> OwnLaunch:
        bootstrap_account(emulator, "dev", project)
        for stack in stacks:
            launched = sceptre_launch(emulator, f"dev/{stack}.yaml", project)
            assert launched.returncode == 0, launched.output[-3000:]
        return OwnLaunch(project, emulator)

    try:
        yield launch
    finally:
        control.stop(state)


def _refusal(output: str) -> str:
    """The guard's refusal as Sceptre's CLI prints a SceptreException: one JSON string line."""
    (line,) = [line for line in output.splitlines() if line.startswith('"refusing to update')]
    message: str = json.loads(line)
    return message


def _launch_in_process(project, stack: str):
    # Sceptre caches boto sessions and clients per process: start clean, on this emulator.
    ConnectionManager._boto_sessions.clear()
    ConnectionManager._clients.clear()
    return CliRunner().invoke(cli, ["--dir", str(project), "launch", "--yes", f"dev/{stack}.yaml"])


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


def test_a_destructive_change_the_environment_allows_goes_through(launch_own, monkeypatch):
    own = launch_own("network")
    config = own.project / "config" / "dev" / "config.yaml"
    settings = yaml.safe_load(config.read_text())
    settings["environment"]["allow_destructive_changes"] = ["network.FlowLogGroup"]
    config.write_text(yaml.safe_dump(settings, sort_keys=False))
    original = Vpc._flow_logs

    def named_flow_logs(self):
        original(self)
        self.template.resources["FlowLogGroup"].LogGroupName = "/vpc/payments-dev/flow-logs"  # create-only: new

    monkeypatch.setattr(Vpc, "_flow_logs", named_flow_logs)
    result = _launch_in_process(own.project, "network")
    assert result.exit_code == 0, result.output
    template = own.client("cloudformation").get_template(StackName="payments-dev-network")
    assert "/vpc/payments-dev/flow-logs" in str(template["TemplateBody"])


def _set(project, key: str, value: object) -> None:
    config = project / "config" / "dev" / "config.yaml"
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
