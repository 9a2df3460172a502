"""`make recover`: a stuck stack brought back to a state a launch continues from, against an
account's answers (the same code runs against the emulator and a real account)."""

from __future__ import annotations

from typing import Any

import pytest

from blueprints.deploy.preflight import CallFailed
from blueprints.deploy.recover import RecoveryFailed, recover
from blueprints.deploy.rendering import RenderedStack
from scripts.recover import main

STACK = RenderedStack("prod/functions", "payments-prod-functions", "eu-west-1", (), (), "{}")
ROLE = "arn:aws:iam::333333333333:role/payments-prod-cloudformation"


class Account:
    """CloudFormation's answers for one stack: its statuses in turn, and what was called."""

    def __init__(self, *statuses: str, events: list[dict[str, Any]] | None = None) -> None:
        self.statuses, self.events, self.calls = list(statuses), events or [], []

    def __call__(self, service: str, operation: str, params: Any, region: str) -> Any:
        self.calls.append((operation, dict(params), region))
        if operation == "describe_stacks":
            status = self.statuses.pop(0) if len(self.statuses) > 1 else self.statuses[0]
            if status == "(absent)":
                raise CallFailed("ValidationError", "Stack with id payments-prod-functions does not exist")
            return {"Stacks": [{"StackStatus": status}]}
        if operation == "describe_stack_events":
            return {"StackEvents": self.events}
        return {}

    def operations(self) -> list[str]:
        return [operation for operation, _, _ in self.calls if not operation.startswith("describe")]


FAILED_ROLLBACK = [  # newest first
    {
        "LogicalResourceId": "payments-prod-functions",
        "ResourceType": "AWS::CloudFormation::Stack",
        "ResourceStatus": "UPDATE_ROLLBACK_FAILED",
        "ResourceStatusReason": "The following resource(s) failed",
    },
    {
        "LogicalResourceId": "PaymentProcessorAlias",
        "ResourceType": "AWS::Lambda::Alias",
        "ResourceStatus": "UPDATE_FAILED",
        "ResourceStatusReason": "Version 7 does not exist",
    },
    {
        "LogicalResourceId": "PaymentProcessorAlias",
        "ResourceType": "AWS::Lambda::Alias",
        "ResourceStatus": "UPDATE_IN_PROGRESS",
    },
]


def test_a_failed_rollback_is_continued_with_the_cloudformation_role(project):
    account = Account(
        "UPDATE_ROLLBACK_FAILED", "UPDATE_ROLLBACK_IN_PROGRESS", "UPDATE_ROLLBACK_COMPLETE", events=FAILED_ROLLBACK
    )
    lines: list[str] = []
    outcome = recover(project.environment("prod"), STACK, account, log=lines.append, poll_seconds=0)
    assert (outcome.status, outcome.actions) == ("UPDATE_ROLLBACK_COMPLETE", ("ContinueUpdateRollback",))
    (continued,) = [params for operation, params, _ in account.calls if operation == "continue_update_rollback"]
    assert continued == {"StackName": "payments-prod-functions", "RoleARN": ROLE}
    assert any(
        "PaymentProcessorAlias (AWS::Lambda::Alias) UPDATE_FAILED: Version 7 does not exist" in line for line in lines
    )
    assert lines[-1] == "prod/functions: UPDATE_ROLLBACK_COMPLETE: a launch continues from here"


def test_resources_named_to_skip_are_skipped_and_said_to_need_a_hand(project):
    account = Account("UPDATE_ROLLBACK_FAILED", "UPDATE_ROLLBACK_COMPLETE", events=FAILED_ROLLBACK)
    lines: list[str] = []
    recover(
        project.environment("prod"), STACK, account, skip=("PaymentProcessorAlias",), log=lines.append, poll_seconds=0
    )
    (continued,) = [params for operation, params, _ in account.calls if operation == "continue_update_rollback"]
    assert continued["ResourcesToSkip"] == ["PaymentProcessorAlias"]
    assert any("put them right by hand" in line for line in lines)


def test_a_stuck_update_is_cancelled_and_rolled_back(project):
    account = Account("UPDATE_IN_PROGRESS", "UPDATE_ROLLBACK_IN_PROGRESS", "UPDATE_ROLLBACK_COMPLETE")
    outcome = recover(project.environment("prod"), STACK, account, log=lambda _: None, poll_seconds=0)
    assert (outcome.status, outcome.actions) == ("UPDATE_ROLLBACK_COMPLETE", ("CancelUpdateStack",))


@pytest.mark.parametrize("status", ["UPDATE_COMPLETE", "CREATE_COMPLETE", "ROLLBACK_COMPLETE", "(absent)"])
def test_a_stack_that_is_not_stuck_is_left_alone(project, status):
    account = Account(status)
    outcome = recover(project.environment("prod"), STACK, account, log=lambda _: None, poll_seconds=0)
    assert (outcome.status, outcome.actions, account.operations()) == (status, (), [])


@pytest.mark.parametrize(
    ("statuses", "words"),
    [
        (("UPDATE_ROLLBACK_FAILED", "UPDATE_ROLLBACK_FAILED"), "SKIP=<LogicalId>"),
        (("ROLLBACK_FAILED",), "holds no data yet"),
        (("DELETE_FAILED",), "make destroy"),
    ],
)
def test_what_cannot_be_recovered_says_what_to_do_and_deletes_nothing(project, statuses, words):
    account = Account(*statuses, events=FAILED_ROLLBACK)
    with pytest.raises(RecoveryFailed, match=words):
        recover(project.environment("prod"), STACK, account, log=lambda _: None, poll_seconds=0)
    assert "delete_stack" not in account.operations()


def test_a_rollback_that_does_not_settle_in_time_is_reported(project):
    account = Account("UPDATE_ROLLBACK_FAILED", "UPDATE_ROLLBACK_IN_PROGRESS")
    with pytest.raises(RecoveryFailed, match="still UPDATE_ROLLBACK_IN_PROGRESS"):
        recover(project.environment("prod"), STACK, account, log=lambda _: None, poll_seconds=0, timeout_seconds=0)


def test_make_recover_names_an_unknown_stack_and_touches_no_account(capsys, monkeypatch):
    def no_session(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("a session was made for the account")

    monkeypatch.setattr("scripts.recover.deploy_session", no_session)
    assert main(["--env", "dev", "--stack", "fuctions"]) == 2
    error = capsys.readouterr().err
    assert "environment 'dev', stack 'fuctions', field 'STACK': no such stack: one of " in error
    assert "functions" in error
