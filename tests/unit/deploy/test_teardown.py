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


class Account:
    """CloudFormation and S3 answers for dev's storage stack: one bucket it deletes, and what
    emptying it and deleting the stack meet."""

    def __init__(self, *, stuck: bool = False, bucket: str = "versions", refused: bool = False) -> None:
        self.stuck, self.bucket, self.refused = stuck, bucket, refused
        self.status = "CREATE_COMPLETE"
        self.versions = [{"Key": f"k{i}", "VersionId": f"v{i}"} for i in range(1500)]
        self.calls: list[str] = []

    def __call__(self, service: str, operation: str, params: Mapping[str, Any], region: str) -> Mapping[str, Any]:
        self.calls.append(operation)
        if operation == "describe_stacks":
            return {"Stacks": [{"StackId": "payments-dev-storage", "StackStatus": self.status}]}
        if operation == "delete_stack":
            self.status = "DELETE_IN_PROGRESS" if self.stuck else "DELETE_COMPLETE"
            return {}
        if operation == "get_template":
            return {"TemplateBody": '{"Resources": {"Logs": {"Type": "AWS::S3::Bucket"}}}'}  # a string, as sent
        if operation == "list_stack_resources":
            summary = {"LogicalResourceId": "Logs", "ResourceType": "AWS::S3::Bucket", "PhysicalResourceId": "logs"}
            return {"StackResourceSummaries": [summary]}
        if operation == "list_object_versions":
            if self.bucket == "gone":
                raise CallFailed("NoSuchBucket", "The specified bucket does not exist")
            return {"Versions": self.versions[:1000], "DeleteMarkers": []}
        if operation == "delete_objects":
            if self.refused:
                return {"Errors": [{"Key": "k0", "VersionId": "v0", "Code": "AccessDenied", "Message": "Object Lock"}]}
            deleted = {(o["Key"], o["VersionId"]) for o in params["Delete"]["Objects"]}
            self.versions = [v for v in self.versions if (v["Key"], v["VersionId"]) not in deleted]
            return {}
        raise CallFailed("Unexpected", operation)


def _storage() -> dict[str, Any]:
    return {"storage": render_environment(PROJECT_DIR, "dev")["storage"]}


def test_a_bucket_is_emptied_a_thousand_versions_at_a_time_before_its_stack_is_deleted():
    account, said = Account(), []
    assert teardown(PROJECT.environment("dev"), account, _storage(), log=said.append, sleep=lambda _: None) == [
        "storage"
    ]
    assert account.versions == []
    assert account.calls.count("delete_objects") == 2  # 1,000 then 500: S3 takes 1,000 keys a call
    assert account.calls.index("delete_stack") > account.calls.index("delete_objects")
    assert "dev/storage: emptied bucket logs (1500 object versions and delete markers deleted)" in said


def test_a_bucket_already_gone_is_not_an_error():
    account = Account(bucket="gone")
    assert teardown(PROJECT.environment("dev"), account, _storage(), log=lambda _: None) == ["storage"]


def test_versions_that_cannot_be_deleted_stop_the_teardown_before_the_stack_is():
    account = Account(refused=True)
    with pytest.raises(TeardownFailed, match=r"cannot empty bucket logs: 1 version\(s\) not deleted, e\.g\. k0 "):
        teardown(PROJECT.environment("dev"), account, _storage(), log=lambda _: None)
    assert "delete_stack" not in account.calls


def test_a_stack_still_deleting_after_the_timeout_says_to_run_again_later():
    now = [0.0]
    account = Account(stuck=True)

    def sleep(seconds: float) -> None:
        now[0] += seconds

    with pytest.raises(
        TeardownFailed, match=r"payments-dev-storage still deleting after 60 minutes: run `make destroy"
    ):
        teardown(PROJECT.environment("dev"), account, _storage(), log=lambda _: None, sleep=sleep, clock=lambda: now[0])
    assert now[0] >= 3600
