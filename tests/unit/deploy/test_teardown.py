"""The teardown's refusal, offline: an environment whose settings keep data is refused before
any AWS call, naming each setting and its file; and a failed deletion is reported with the
stack, its reason and each failed resource."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest

from blueprints.deploy.preflight import CallFailed
from blueprints.deploy.rendering import render_environment
from blueprints.deploy.teardown import TeardownFailed, TeardownRefused, refusal, teardown
from blueprints.project import load_project
from scripts.destroy import main as destroy
from tests.conftest import PROJECT_DIR

PROJECT = load_project(PROJECT_DIR)


def _no_call(*args: Any) -> Mapping[str, Any]:
    raise AssertionError(f"an AWS call was made: {args}")


@pytest.mark.parametrize("env", ["staging", "prod"])
def test_environments_that_keep_data_are_refused_before_any_call(env, capsys):
    environment = PROJECT.environment(env)
    with pytest.raises(TeardownRefused) as refused:
        teardown(environment, _no_call, {})
    message = str(refused.value)
    for setting in ("environment.retain_data", "environment.deletion_protection", "environment.protect_stacks"):
        assert setting in message
    assert "storage.logs_version_protection" in message and f"config/{env}/config.yaml" in message
    assert destroy(["--env", env, "--yes"]) == 1  # the command refuses it too, with no AWS at hand
    assert "Nothing was changed" in capsys.readouterr().err


def test_dev_keeps_no_data():
    assert refusal(PROJECT.environment("dev")) is None


def test_a_failed_deletion_names_the_stack_its_reason_and_each_failed_resource():
    stacks = {"zone": render_environment(PROJECT_DIR, "dev")["zone"]}
    status = {"payments-dev-zone": "CREATE_COMPLETE"}

    def call(service: str, operation: str, params: Mapping[str, Any], region: str) -> Mapping[str, Any]:
        name = params.get("StackName", "")
        if operation == "describe_stacks":
            return {"Stacks": [{"StackId": "payments-dev-zone", "StackStatus": status[name]}]}
        if operation == "delete_stack":
            status[name] = "DELETE_FAILED"
            return {}
        if operation == "get_template":
            return {"TemplateBody": {"Resources": {}}}
        if operation == "list_stack_resources":
            return {"StackResourceSummaries": []}
        if operation == "describe_stack_events":
            return {
                "StackEvents": [
                    {"LogicalResourceId": name, "ResourceStatus": "DELETE_FAILED", "ResourceStatusReason": "1 failed"},
                    {
                        "LogicalResourceId": "HostedZone",
                        "ResourceType": "AWS::Route53::HostedZone",
                        "PhysicalResourceId": "Z1",
                        "ResourceStatus": "DELETE_FAILED",
                        "ResourceStatusReason": "HostedZoneNotEmpty: a record by hand",
                    },
                    {"LogicalResourceId": name, "ResourceStatus": "DELETE_IN_PROGRESS"},
                    {"LogicalResourceId": "Old", "ResourceType": "X", "ResourceStatus": "DELETE_FAILED"},
                ]
            }
        raise CallFailed("Unexpected", operation)

    with pytest.raises(TeardownFailed) as failed:
        teardown(PROJECT.environment("dev"), call, stacks, log=lambda _: None, sleep=lambda _: None)
    message = str(failed.value)
    assert "dev/zone: payments-dev-zone is DELETE_FAILED in eu-west-1: 1 failed" in message
    assert "HostedZone (AWS::Route53::HostedZone Z1): HostedZoneNotEmpty: a record by hand" in message
    assert "Old" not in message  # an earlier attempt's failure
    assert "make destroy ENV=dev" in message
