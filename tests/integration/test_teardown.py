"""Tearing dev down on a private emulator that deletes as AWS does (local_aws/emulator/deletion_rules.py):
what would stop the deletion is refused first, then `teardown` clears it, a run interrupted
half-way is finished by the next, and dev launches again afterwards."""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from blueprints.deploy.accounts import deploy_session
from blueprints.deploy.preflight import Call, session_caller
from blueprints.deploy.rendering import render_environment
from blueprints.deploy.teardown import teardown
from blueprints.project import load_project
from local_aws.client import control
from local_aws.client.accounts import deployer_credentials
from local_aws.client.endpoint import environment_variables
from local_aws.client.launched import sceptre_launch
from tests.integration.conftest import account_client, bootstrap_account, copy_project, start_emulator

pytestmark = pytest.mark.integration
RELEASE_SECONDS = "2"


@dataclass(frozen=True)
class Dev:
    project: Path
    emulator: control.Emulator

    def client(self, service: str, region: str | None = None) -> Any:
        return account_client(self.emulator, "dev", service, region, project_dir=self.project)

    def caller(self) -> Call:
        """Calls as the teardown makes them: as CI, through dev's deploy role."""
        env = load_project(self.project).environment("dev")
        with environment_variables(deployer_credentials(self.emulator, self.project, "dev")):
            return session_caller(deploy_session(env, doing="tear down dev"))


@pytest.fixture(scope="module")
def dev(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Dev]:
    root = tmp_path_factory.mktemp("teardown")
    project = copy_project(root)
    state = root / "emulator"
    os.environ["MOTO_LAMBDA_ENI_RELEASE_SECONDS"] = RELEASE_SECONDS  # read by the emulator it starts
    try:
        emulator = start_emulator(state)
    finally:
        del os.environ["MOTO_LAMBDA_ENI_RELEASE_SECONDS"]
    try:
        bootstrap_account(emulator, "dev", project)
        launched = sceptre_launch(emulator, "dev", project)
        assert launched.returncode == 0, launched.output[-3000:]
        yield Dev(project, emulator)
    finally:
        control.stop(state)


@pytest.fixture(autouse=True)
def _point_at_emulator(dev: Dev, monkeypatch: pytest.MonkeyPatch) -> None:
    """This module's own emulator, not the session's (the teardown's clients read the endpoint)."""
    for key in control.UNSET:
        monkeypatch.delenv(key, raising=False)
    for key, value in dev.emulator.environment({}).items():
        monkeypatch.setenv(key, value)


def _outputs(dev: Dev, stack: str, region: str = "eu-west-1") -> dict[str, str]:
    described = dev.client("cloudformation", region).describe_stacks(StackName=f"payments-dev-{stack}")["Stacks"][0]
    return {o["OutputKey"]: o["OutputValue"] for o in described["Outputs"]}


def _code(call: Any, **kwargs: Any) -> str:
    with pytest.raises(ClientError) as refused:
        call(**kwargs)
    return str(refused.value.response["Error"]["Code"])


def test_the_emulator_refuses_to_delete_what_aws_refuses(dev: Dev) -> None:
    # ACM wrote the certificate's validation record into the zone, and the zone is not empty.
    certificate = _outputs(dev, "certificate", "us-east-1")["CertificateArn"]
    options = dev.client("acm", "us-east-1").describe_certificate(CertificateArn=certificate)["Certificate"]
    record = options["DomainValidationOptions"][0]["ResourceRecord"]
    zone = _outputs(dev, "zone")["HostedZoneId"]
    route53 = dev.client("route53")
    names = {(r["Name"], r["Type"]) for r in route53.list_resource_record_sets(HostedZoneId=zone)["ResourceRecordSets"]}
    assert (record["Name"], "CNAME") in names
    assert _code(route53.delete_hosted_zone, Id=zone) == "HostedZoneNotEmpty"
    # The functions hold Lambda's network interfaces in the private subnets, with their group.
    ec2 = dev.client("ec2")
    network = _outputs(dev, "network")
    held = ec2.describe_network_interfaces(
        Filters=[
            {"Name": "description", "Values": ["AWS Lambda VPC ENI*"]},
            {"Name": "vpc-id", "Values": [network["VpcId"]]},
        ]
    )["NetworkInterfaces"]
    subnets = network["PrivateSubnetIds"].split(",")
    assert {i["SubnetId"] for i in held} == set(subnets)
    assert all(i["InterfaceType"] == "lambda" and i["Status"] == "in-use" for i in held)
    assert _code(ec2.delete_subnet, SubnetId=subnets[0]) == "DependencyViolation"
    assert _code(ec2.delete_security_group, GroupId=network["LambdaSecurityGroupId"]) == "DependencyViolation"
    # A versioned bucket holding only a delete marker is not empty.
    s3 = dev.client("s3")
    s3.create_bucket(Bucket="marker-only", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    s3.put_bucket_versioning(Bucket="marker-only", VersioningConfiguration={"Status": "Enabled"})
    s3.put_object(Bucket="marker-only", Key="k", Body=b"x")
    s3.delete_object(Bucket="marker-only", Key="k")
    version = s3.list_object_versions(Bucket="marker-only")["Versions"][0]["VersionId"]
    s3.delete_object(Bucket="marker-only", Key="k", VersionId=version)
    assert _code(s3.delete_bucket, Bucket="marker-only") == "BucketNotEmpty"


def test_a_stack_that_cannot_be_deleted_fails_naming_its_resource(dev: Dev) -> None:
    s3 = dev.client("s3")
    cloudformation = dev.client("cloudformation")
    template = '{"Resources": {"Kept": {"Type": "AWS::S3::Bucket", "Properties": {"BucketName": "full-bucket"}}}}'
    cloudformation.create_stack(StackName="not-payments", TemplateBody=template)
    s3.put_object(Bucket="full-bucket", Key="k", Body=b"x")
    cloudformation.delete_stack(StackName="not-payments")
    assert cloudformation.describe_stacks(StackName="not-payments")["Stacks"][0]["StackStatus"] == "DELETE_FAILED"
    events = cloudformation.describe_stack_events(StackName="not-payments")["StackEvents"]
    failed = [e for e in events if e["ResourceStatus"] == "DELETE_FAILED" and e["LogicalResourceId"] == "Kept"]
    assert failed and failed[0]["ResourceStatusReason"].startswith("BucketNotEmpty")
    s3.delete_object(Bucket="full-bucket", Key="k")
    cloudformation.delete_stack(StackName="not-payments")  # the retry deletes what is left
    assert _code(cloudformation.describe_stacks, StackName="not-payments") == "ValidationError"


class Interrupted(Exception):
    """Stands for a teardown stopped half-way (a lost connection, Ctrl-C)."""


def _interrupted_at(call: Call, stack_name: str) -> Call:
    def interrupting(service: str, operation: str, params: Mapping[str, Any], region: str) -> Mapping[str, Any]:
        if operation == "delete_stack" and params["StackName"] == stack_name:
            raise Interrupted(stack_name)
        return call(service, operation, params, region)

    return interrupting


def test_dev_is_torn_down_across_an_interruption_and_launches_again(dev: Dev) -> None:
    s3 = dev.client("s3")
    buckets = [
        _outputs(dev, "storage")[key] for key in ("LogsBucketName", "ArtifactsBucketName", "ServerAccessLogsBucketName")
    ]
    for bucket in buckets:  # versions and delete markers in every bucket
        for body in (b"one", b"two"):
            s3.put_object(Bucket=bucket, Key="teardown/object", Body=body)
        s3.delete_object(Bucket=bucket, Key="teardown/object")
    env = load_project(dev.project).environment("dev")
    stacks = render_environment(dev.project, "dev")
    call = dev.caller()
    lines: list[str] = []

    with pytest.raises(Interrupted):
        teardown(env, _interrupted_at(call, "payments-dev-storage"), stacks, log=lines.append, poll=0.5)
    assert "dev/functions: payments-dev-functions deleted" in lines
    # The network stack went only once Lambda had released its interfaces (after RELEASE_SECONDS).
    assert any("Lambda released its network interfaces" in line for line in lines), lines

    lines.clear()
    deleted = teardown(env, call, stacks, log=lines.append, poll=0.5)
    text = "\n".join(lines)
    assert "dev/functions: payments-dev-functions is already gone" in text
    assert set(deleted) == {"storage", "zone"}  # the interrupted run deleted everything else
    assert "removed the certificate's DNS validation record(s)" in text
    assert all(f"emptied bucket {bucket}" in text for bucket in buckets)
    for stack in stacks.values():
        client = dev.client("cloudformation", stack.region)
        assert _code(client.describe_stacks, StackName=stack.external_name) == "ValidationError", stack.name
    assert teardown(env, call, stacks, log=lines.append, poll=0.5) == []  # nothing left to do

    relaunched = sceptre_launch(dev.emulator, "dev", dev.project)
    assert relaunched.returncode == 0, relaunched.output[-3000:]
