"""Versions, live aliases and deployment groups on the emulator.

The models first, on small stacks of their own: a version published per package, the alias
moved to it (at once: the emulator runs no CodeDeploy deployment), the replaced version
deleted after the update unless retained, provisioned concurrency and the deployment group
read back through the service APIs. Then the project: dev launched from a copy on an
emulator of its own, a function's code changed and launched again publishes a new version,
moves its alias and the API runs the new code; an unchanged launch updates no stack."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import io
import json
import uuid
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from blueprints.deploy.rendering import render_environment
from blueprints.stacks.functions import DEPLOYED, FUNCTIONS, LIVE_ALIAS, SECRET_ROTATOR
from local_aws.client import control
from local_aws.client.callers import Environment, send
from local_aws.client.launched import sceptre_launch
from tests.integration.conftest import account_client, bootstrap_account, copy_project, start_emulator, tooling_client

pytestmark = pytest.mark.integration

# A region no environment of the project uses, so these stacks never meet theirs.
REGION = "ca-central-1"
BUCKET = "deployments-models-code"
FUNCTION = "deployments-models-fn"


def _package(text: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("index.py", f"def handler(event, context):\n    return {text!r}\n")
    return buffer.getvalue()


def _sha(data: bytes) -> str:
    return base64.b64encode(hashlib.sha256(data).digest()).decode()


def _template(*, retain_versions: bool = False) -> dict[str, Any]:
    version: dict[str, Any] = {
        "Type": "AWS::Lambda::Version",
        "Properties": {
            "FunctionName": {"Ref": "Function"},
            "Description": {"Fn::Sub": ["package ${Package}", {"Package": {"Ref": "CodeKey"}}]},
        },
    }
    if retain_versions:
        version["UpdateReplacePolicy"] = version["DeletionPolicy"] = "Retain"
    return {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Parameters": {"CodeKey": {"Type": "String"}},
        "Resources": {
            # The alias first: updates run in dependency order, not in the template's.
            "Alias": {
                "Type": "AWS::Lambda::Alias",
                "UpdatePolicy": {
                    "CodeDeployLambdaAliasUpdate": {
                        "ApplicationName": {"Ref": "Application"},
                        "DeploymentGroupName": {"Ref": "Group"},
                    }
                },
                "Properties": {
                    "FunctionName": {"Ref": "Function"},
                    "FunctionVersion": {"Fn::GetAtt": ["Version", "Version"]},
                    "Name": LIVE_ALIAS,
                    "ProvisionedConcurrencyConfig": {"ProvisionedConcurrentExecutions": 2},
                },
            },
            "Version": version,
            "Role": {
                "Type": "AWS::IAM::Role",
                "Properties": {
                    "AssumeRolePolicyDocument": {
                        "Version": "2012-10-17",
                        "Statement": [
                            {
                                "Effect": "Allow",
                                "Principal": {"Service": ["lambda.amazonaws.com", "codedeploy.amazonaws.com"]},
                                "Action": ["sts:AssumeRole"],
                            }
                        ],
                    }
                },
            },
            "Function": {
                "Type": "AWS::Lambda::Function",
                "Properties": {
                    "FunctionName": FUNCTION,
                    "Runtime": "python3.12",
                    "Handler": "index.handler",
                    "Role": {"Fn::GetAtt": ["Role", "Arn"]},
                    "Code": {"S3Bucket": BUCKET, "S3Key": {"Ref": "CodeKey"}},
                },
            },
            "Application": {
                "Type": "AWS::CodeDeploy::Application",
                "Properties": {"ApplicationName": "deployments-models", "ComputePlatform": "Lambda"},
            },
            "Group": {
                "Type": "AWS::CodeDeploy::DeploymentGroup",
                "Properties": {
                    "ApplicationName": {"Ref": "Application"},
                    "DeploymentGroupName": "fn",
                    "DeploymentConfigName": "CodeDeployDefault.LambdaCanary10Percent5Minutes",
                    "DeploymentStyle": {"DeploymentType": "BLUE_GREEN", "DeploymentOption": "WITH_TRAFFIC_CONTROL"},
                    "ServiceRoleArn": {"Fn::GetAtt": ["Role", "Arn"]},
                    "AutoRollbackConfiguration": {
                        "Enabled": True,
                        "Events": ["DEPLOYMENT_FAILURE", "DEPLOYMENT_STOP_ON_ALARM"],
                    },
                },
            },
        },
        "Outputs": {
            "AliasArn": {"Value": {"Ref": "Alias"}},
            "VersionArn": {"Value": {"Ref": "Version"}},
            "Version": {"Value": {"Fn::GetAtt": ["Version", "Version"]}},
        },
    }


@dataclass
class ModelStack:
    emulator: control.Emulator
    name: str
    packages: dict[str, bytes]

    def client(self, service: str) -> Any:
        return tooling_client(self.emulator, service, REGION)

    def launch(self, key: str, **template: bool) -> dict[str, str]:
        cloudformation = self.client("cloudformation")
        body = json.dumps(_template(**template))
        parameters = [{"ParameterKey": "CodeKey", "ParameterValue": key}]
        try:
            cloudformation.describe_stacks(StackName=self.name)
        except cloudformation.exceptions.ClientError:
            cloudformation.create_stack(StackName=self.name, TemplateBody=body, Parameters=parameters)
        else:
            cloudformation.update_stack(StackName=self.name, TemplateBody=body, Parameters=parameters)
        stack = cloudformation.describe_stacks(StackName=self.name)["Stacks"][0]
        assert stack["StackStatus"].endswith("_COMPLETE") and "ROLLBACK" not in stack["StackStatus"], stack
        return {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}

    def versions(self) -> list[str]:
        return [
            v["Version"] for v in self.client("lambda").list_versions_by_function(FunctionName=FUNCTION)["Versions"]
        ]

    def alias(self) -> dict[str, Any]:
        alias: dict[str, Any] = self.client("lambda").get_alias(FunctionName=FUNCTION, Name=LIVE_ALIAS)
        return alias


@pytest.fixture
def models(emulator: control.Emulator) -> Iterator[ModelStack]:
    s3 = tooling_client(emulator, "s3", REGION)
    s3.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION})
    packages = {key: _package(key) for key in ("one.zip", "two.zip", "three.zip")}
    for key, data in packages.items():
        s3.put_object(Bucket=BUCKET, Key=key, Body=data)
    stack = ModelStack(emulator, f"deployments-{uuid.uuid4().hex[:8]}", packages)
    try:
        yield stack
    finally:
        with contextlib.suppress(ClientError):
            stack.client("cloudformation").delete_stack(StackName=stack.name)
        for key in packages:
            s3.delete_object(Bucket=BUCKET, Key=key)
        s3.delete_bucket(Bucket=BUCKET)


def test_a_version_alias_and_deployment_group_are_created_and_read_back(models):
    outputs = models.launch("one.zip")
    lambda_ = models.client("lambda")
    arn = lambda_.get_function_configuration(FunctionName=FUNCTION)["FunctionArn"]
    assert outputs == {"AliasArn": f"{arn}:{LIVE_ALIAS}", "VersionArn": f"{arn}:1", "Version": "1"}
    assert models.alias()["FunctionVersion"] == "1"
    assert models.versions() == ["$LATEST", "1"]
    published = lambda_.get_function_configuration(FunctionName=outputs["VersionArn"])
    assert published["CodeSha256"] == _sha(models.packages["one.zip"])
    assert published["Description"] == "package one.zip"
    provisioned = lambda_.get_provisioned_concurrency_config(FunctionName=FUNCTION, Qualifier=LIVE_ALIAS)
    assert (provisioned["RequestedProvisionedConcurrentExecutions"], provisioned["Status"]) == (2, "READY")
    with pytest.raises(lambda_.exceptions.ProvisionedConcurrencyConfigNotFoundException):
        lambda_.get_provisioned_concurrency_config(FunctionName=FUNCTION, Qualifier="1")
    codedeploy = models.client("codedeploy")
    assert (
        codedeploy.get_application(applicationName="deployments-models")["application"]["computePlatform"] == "Lambda"
    )
    group = codedeploy.get_deployment_group(applicationName="deployments-models", deploymentGroupName="fn")
    info = group["deploymentGroupInfo"]
    assert info["deploymentConfigName"] == "CodeDeployDefault.LambdaCanary10Percent5Minutes"
    assert info["deploymentStyle"] == {"deploymentType": "BLUE_GREEN", "deploymentOption": "WITH_TRAFFIC_CONTROL"}
    assert info["autoRollbackConfiguration"] == {
        "enabled": True,
        "events": ["DEPLOYMENT_FAILURE", "DEPLOYMENT_STOP_ON_ALARM"],
    }


def test_a_new_package_publishes_a_version_moves_the_alias_and_deletes_the_old_one(models):
    models.launch("one.zip")
    outputs = models.launch("two.zip")
    assert outputs["Version"] == "2" and outputs["AliasArn"].endswith(f":{LIVE_ALIAS}")
    assert models.alias()["FunctionVersion"] == "2"  # at once: no CodeDeploy shift on the emulator
    assert models.versions() == ["$LATEST", "2"]  # CloudFormation's cleanup deleted version 1
    live = models.client("lambda").get_function_configuration(FunctionName=FUNCTION, Qualifier=LIVE_ALIAS)
    assert live["CodeSha256"] == _sha(models.packages["two.zip"])
    # Numbers are never reused, whatever was deleted; a retained version stays.
    models.launch("three.zip", retain_versions=True)
    outputs = models.launch("one.zip", retain_versions=True)
    assert outputs["Version"] == "4" and models.alias()["FunctionVersion"] == "4"
    assert models.versions() == ["$LATEST", "2", "3", "4"]  # the new template's policy retained 2 and 3


def test_deleting_the_stack_removes_function_aliases_and_deployments(models):
    models.launch("one.zip")
    models.client("cloudformation").delete_stack(StackName=models.name)
    lambda_ = models.client("lambda")
    with pytest.raises(lambda_.exceptions.ResourceNotFoundException):
        lambda_.get_function(FunctionName=FUNCTION)
    assert "deployments-models" not in models.client("codedeploy").list_applications()["applications"]


# --- the project ------------------------------------------------------------------------


@dataclass(frozen=True)
class OwnLaunch:
    """A copy of the project with dev launched from it on a fresh emulator."""

    root: Path
    emulator: control.Emulator
    state: Path

    @property
    def project(self) -> Path:
        return self.root / "sceptre_project"

    def client(self, service: str) -> Any:
        return account_client(self.emulator, "dev", service, project_dir=self.project)

    def live(self, function: str) -> dict[str, Any]:
        lambda_ = self.client("lambda")
        alias = lambda_.get_alias(FunctionName=function, Name=LIVE_ALIAS)
        configuration = lambda_.get_function_configuration(FunctionName=function, Qualifier=LIVE_ALIAS)
        latest = lambda_.get_function_configuration(FunctionName=function)
        versions = [v["Version"] for v in lambda_.list_versions_by_function(FunctionName=function)["Versions"]]
        return {
            "version": alias["FunctionVersion"],
            "sha": configuration["CodeSha256"],
            "latest": latest["CodeSha256"],
            "versions": versions,
        }


@pytest.fixture(scope="module")
def own_launch(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OwnLaunch]:
    root = tmp_path_factory.mktemp("deployments")
    copy_project(root)
    state = root / "emulator"
    emulator = start_emulator(state)
    try:
        bootstrap_account(emulator, "dev", root / "sceptre_project")
        launch = sceptre_launch(emulator, "dev", root / "sceptre_project")
        assert launch.returncode == 0, launch.output[-3000:]
        yield OwnLaunch(root, emulator, state)
    finally:
        control.stop(state)


def test_a_code_change_publishes_a_version_the_alias_moves_to_and_the_api_runs(own_launch, monkeypatch):
    for key, value in own_launch.emulator.environment({}).items():
        monkeypatch.setenv(key, value)
    session_manager = next(spec for spec in FUNCTIONS if spec.source_dir == "session_manager")
    names = {spec.name: f"payments-dev-{spec.name}" for spec in DEPLOYED}
    before = {name: own_launch.live(function) for name, function in names.items()}
    for state in before.values():  # one published version per function, the alias on it
        assert state["versions"] == ["$LATEST", state["version"]]
        assert state["sha"] == state["latest"]

    marker = f"release {uuid.uuid4()}"
    handler = own_launch.root / "lambda_code" / session_manager.source_dir / "handler.py"
    handler.write_text(handler.read_text() + f"\nprint({marker!r})\n")
    again = sceptre_launch(own_launch.emulator, "dev", own_launch.project)
    assert again.returncode == 0, again.output[-3000:]
    stacks = render_environment(own_launch.project, "dev")
    # Only the functions stack changes: the API keeps naming the same alias ARN.
    assert again.output.count("No updates to perform") == len(stacks) - 1, again.output[-3000:]
    assert "dev/functions payments-dev-functions AWS::CloudFormation::Stack UPDATE_COMPLETE" in again.output

    after = {name: own_launch.live(function) for name, function in names.items()}
    moved = after[session_manager.name]
    assert int(moved["version"]) > int(before[session_manager.name]["version"])
    assert moved["sha"] == moved["latest"] != before[session_manager.name]["sha"]
    assert moved["versions"] == ["$LATEST", moved["version"]]  # the replaced version is gone
    for name in names.keys() - {session_manager.name}:  # the other functions kept their version
        assert after[name] == before[name], name

    # The API invokes the alias: the front door runs the new version's code.
    dev = Environment("dev", own_launch.emulator, own_launch.project)
    created = send("POST", f"{dev.url}/sessions", {}, token=dev.customer_token("alice"), patience=10.0)
    assert created.status == 201, created.json
    log = (own_launch.state / "frontdoor" / "logs" / f"{names[session_manager.name]}.log").read_text()
    assert marker in log
    assert f"Version: {moved['version']}" in log


def test_an_unchanged_relaunch_updates_no_stack(own_launch, monkeypatch):
    for key, value in own_launch.emulator.environment({}).items():
        monkeypatch.setenv(key, value)
    before = own_launch.live(f"payments-dev-{SECRET_ROTATOR.name}")
    again = sceptre_launch(own_launch.emulator, "dev", own_launch.project)
    assert again.returncode == 0, again.output[-3000:]
    assert again.output.count("No updates to perform") == len(render_environment(own_launch.project, "dev"))
    assert "UPDATE_IN_PROGRESS" not in again.output
    assert own_launch.live(f"payments-dev-{SECRET_ROTATOR.name}") == before
