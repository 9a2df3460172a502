"""Updates of a launched environment as CloudFormation runs them, on a private emulator: a new
VPC under running functions (replacements first, a cleanup that leaves behind what Lambda still
holds), and a failed update whose rollback fails, recovered with `make recover`'s code."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import yaml

from blueprints.deploy.recover import RecoveryFailed
from local_aws.client import control
from local_aws.client.accounts import deployer_credentials
from local_aws.client.endpoint import environment_variables
from local_aws.client.launched import sceptre_launch
from scripts.recover import run as recover_stack
from tests.integration.conftest import bootstrap_account, copy_project, start_emulator
from tests.integration.test_guard import OwnLaunch

pytestmark = pytest.mark.integration
NEW_CIDR = "10.40.0.0/16"  # dev is 10.10, staging 10.20, prod 10.30


@pytest.fixture(scope="module")
def dev(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OwnLaunch]:
    """dev's functions and the stacks they need (network, data, storage), launched once from a
    copy of the project on this module's emulator."""
    root = tmp_path_factory.mktemp("updates")
    project = copy_project(root)
    emulator = start_emulator(root / "emulator")
    try:
        bootstrap_account(emulator, "dev", project)
        launched = sceptre_launch(emulator, "dev/functions.yaml", project)
        assert launched.returncode == 0, launched.output[-3000:]
        yield OwnLaunch(project, emulator)
    finally:
        control.stop(root / "emulator")


def _set_stack_setting(own: OwnLaunch, stack: str, key: str, value: object) -> None:
    config = own.project / "config" / own.env / "config.yaml"
    settings = yaml.safe_load(config.read_text())
    settings["environment"]["stacks"][stack][key] = value
    config.write_text(yaml.safe_dump(settings, sort_keys=False))


def _status(own: OwnLaunch, stack: str) -> str:
    (described,) = own.client("cloudformation").describe_stacks(StackName=f"payments-dev-{stack}")["Stacks"]
    return str(described["StackStatus"])


def _events(own: OwnLaunch, stack: str, status: str) -> dict[str, str]:
    """Logical id -> reason of the stack's resource events of that status, newest first."""
    events = own.client("cloudformation").describe_stack_events(StackName=f"payments-dev-{stack}")["StackEvents"]
    found: dict[str, str] = {}
    for event in events:
        if event["ResourceStatus"] == status and event["ResourceType"] != "AWS::CloudFormation::Stack":
            found.setdefault(event["LogicalResourceId"], event.get("ResourceStatusReason", ""))
    return found


def _live(own: OwnLaunch) -> dict[str, dict[str, Any]]:
    """Each function's configuration as its `live` alias runs it."""
    lambda_ = own.client("lambda")
    names = [f["FunctionName"] for f in lambda_.list_functions()["Functions"]]
    return {name: lambda_.get_function_configuration(FunctionName=name, Qualifier="live") for name in names}


def _inputs(configuration: dict[str, Any]) -> str:
    """The `inputs` digest a version's description carries (LiveAlias, !digest)."""
    return configuration["Description"].rsplit("inputs ", 1)[1]


def _logs_expiry(own: OwnLaunch) -> int:
    """The API logs' expiry in the storage stack's deployed template."""
    body = own.client("cloudformation").get_template(StackName="payments-dev-storage")["TemplateBody"]
    template = body if isinstance(body, dict) else yaml.safe_load(body)  # as Sceptre sent it
    (rule,) = template["Resources"]["LogsBucket"]["Properties"]["LifecycleConfiguration"]["Rules"]
    return int(rule["ExpirationInDays"])


def test_a_new_vpc_cidr_moves_the_functions_to_the_new_network(dev):
    """network.cidr changes: CloudFormation replaces the VPC, its subnets and groups (new ones
    first), the functions publish versions on the new network, and the old subnets and group,
    which Lambda's interfaces still hold during the network stack's cleanup, are left behind
    (DELETE_FAILED) without failing the update."""
    before = _live(dev)
    old_subnets = {s for c in before.values() for s in c["VpcConfig"]["SubnetIds"]}
    _set_stack_setting(dev, "network", "cidr", NEW_CIDR)

    launched = sceptre_launch(dev.emulator, "dev/functions.yaml", dev.project)
    assert launched.returncode == 0, launched.output[-3000:]
    assert _status(dev, "network") == "UPDATE_COMPLETE"
    outputs = {
        o["OutputKey"]: o["OutputValue"]
        for o in dev.client("cloudformation").describe_stacks(StackName="payments-dev-network")["Stacks"][0]["Outputs"]
    }
    subnets = outputs["PrivateSubnetIds"].split(",")
    ec2 = dev.client("ec2")
    described = ec2.describe_subnets(SubnetIds=subnets)["Subnets"]
    assert {s["VpcId"] for s in described} == {outputs["VpcId"]}
    assert ec2.describe_vpcs(VpcIds=[outputs["VpcId"]])["Vpcs"][0]["CidrBlock"] == NEW_CIDR
    after = _live(dev)
    for name, configuration in after.items():
        assert sorted(configuration["VpcConfig"]["SubnetIds"]) == sorted(subnets), name
        assert configuration["VpcConfig"]["SecurityGroupIds"] == [outputs["LambdaSecurityGroupId"]], name
        assert int(configuration["Version"]) > int(before[name]["Version"]), name
        assert _inputs(configuration) != _inputs(before[name]), name
    # The cleanup could not delete what Lambda's interfaces held: left behind, reported, and
    # still there (AWS leaves them for someone to delete once the functions have moved).
    left = _events(dev, "network", "DELETE_FAILED")
    assert {"PrivateSubnet0", "PrivateSubnet1", "LambdaSecurityGroup", "Vpc"} <= set(left), left
    assert all(reason.startswith("DependencyViolation") for reason in left.values()), left
    assert {s["SubnetId"] for s in ec2.describe_subnets(SubnetIds=sorted(old_subnets))["Subnets"]} == old_subnets


def test_a_rollback_that_fails_is_recovered_by_skipping_the_resource(dev):
    """The API logs bucket is deleted by hand; the next update (a new log expiry) fails on it,
    and so does its rollback: UPDATE_ROLLBACK_FAILED. Recovery as the deployer (the deploy
    role's ContinueUpdateRollback, as the emulator enforces it) fails again until the bucket is
    skipped; once it is put right by hand, a launch updates the stack."""
    cloudformation, s3 = dev.client("cloudformation"), dev.client("s3")
    bucket = cloudformation.describe_stack_resource(StackName="payments-dev-storage", LogicalResourceId="LogsBucket")[
        "StackResourceDetail"
    ]["PhysicalResourceId"]
    s3.delete_bucket(Bucket=bucket)
    _set_stack_setting(dev, "storage", "log_expiration_days", 60)

    failed = sceptre_launch(dev.emulator, "dev/storage.yaml", dev.project)
    assert failed.returncode != 0, failed.output[-3000:]
    assert _status(dev, "storage") == "UPDATE_ROLLBACK_FAILED"
    assert _events(dev, "storage", "UPDATE_FAILED")["LogsBucket"].startswith("NoSuchBucket")

    def recover(*skip: str) -> Any:
        with (
            environment_variables(dev.emulator.environment({})),
            environment_variables(deployer_credentials(dev.emulator, dev.project, "dev")),
        ):
            return recover_stack("dev", "storage", local=False, skip=skip, project_dir=dev.project)

    with pytest.raises(RecoveryFailed, match="UPDATE_ROLLBACK_FAILED: name the resources .* SKIP="):
        recover()
    outcome = recover("LogsBucket")
    assert (outcome.status, outcome.actions) == ("UPDATE_ROLLBACK_COMPLETE", ("ContinueUpdateRollback",))
    assert _events(dev, "storage", "UPDATE_COMPLETE")["LogsBucket"] == "Resource skipped during UpdateRollback"
    assert _logs_expiry(dev) == 30  # the template it rolled back to

    s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    relaunched = sceptre_launch(dev.emulator, "dev/storage.yaml", dev.project)
    assert relaunched.returncode == 0, relaunched.output[-3000:]
    assert _status(dev, "storage") == "UPDATE_COMPLETE"
    assert _logs_expiry(dev) == 60
