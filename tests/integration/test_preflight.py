"""Preflight on the emulator, as on a real account: a quota too low for prod's reservations
and a domain that does not delegate to its zone are found read-only, and a launch is refused
before any stack changes; a first launch without delegation stops before the certificate
with the NS records to add, and completes once they are added.

The module's emulator plants a new account's low Lambda quota (250 concurrent executions:
prod reserves 201 and Lambda keeps 100 unreserved); the delegation is planted through
Route 53 itself, with a parent zone in the tooling account (local_aws/emulator/public_dns.py)."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from blueprints.project import load_project
from local_aws.client import control
from local_aws.client.endpoint import environment_variables
from local_aws.client.launched import sceptre_launch
from local_aws.client.paths import PROJECT_DIR
from scripts import preflight as preflight_script
from tests.integration.conftest import account_client, bootstrap_account, start_emulator, tooling_client

pytestmark = pytest.mark.integration

QUOTA = 250


@pytest.fixture(scope="module")
def emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[control.Emulator]:
    state = tmp_path_factory.mktemp("preflight-emulator")
    with environment_variables({"MOTO_LAMBDA_CONCURRENCY_QUOTA": str(QUOTA)}):
        running = start_emulator(state)
    yield running
    control.stop(state)


def _preflight(emulator: control.Emulator, env: str) -> list[str]:
    with environment_variables(emulator.environment({})):
        problems, _ = preflight_script.run(env, local=False)
    return [str(p) for p in problems]


def _stacks(emulator: control.Emulator, env: str) -> set[str]:
    names = set()
    for region in ("eu-west-1", "us-east-1"):
        client = account_client(emulator, env, "cloudformation", region)
        names |= {
            s["StackName"] for s in client.list_stacks()["StackSummaries"] if s["StackStatus"] != "DELETE_COMPLETE"
        }
    return names


def test_an_unbootstrapped_account_is_told_to_bootstrap(emulator):
    found = _preflight(emulator, "prod")
    assert any(p.startswith("problem [bootstrap]: no stack payments-prod-bootstrap") for p in found)
    assert any(p.startswith("problem [api-gateway-account]") for p in found)


def test_a_quota_below_prods_reservations_refuses_the_launch_before_any_change(emulator):
    bootstrap_account(emulator, "prod")
    (concurrency,) = [p for p in _preflight(emulator, "prod") if p.startswith("problem")]
    assert concurrency == (
        "problem [lambda-concurrency]: Lambda's concurrent executions quota in eu-west-1 is 250: the functions "
        "reserve 201, and Lambda keeps 100 unreserved, so it must be at least 301; request an increase of "
        "'Concurrent executions' (L-B99A9384) in Service Quotas, or lower functions.reserved_concurrency"
    )
    launch = sceptre_launch(emulator, "prod")
    assert launch.returncode != 0
    assert "refusing to launch payments-prod-" in launch.output and "nothing was changed" in launch.output
    assert "at least 301" in launch.output
    assert _stacks(emulator, "prod") == {"payments-prod-bootstrap"}


def test_lambda_refuses_a_reservation_that_leaves_fewer_than_100_unreserved(emulator):
    """The emulator enforces what Lambda does, for CloudFormation's functions as for
    PutFunctionConcurrency."""
    client = account_client(emulator, "dev", "lambda")
    assert client.get_account_settings()["AccountLimit"]["ConcurrentExecutions"] == QUOTA
    trust = {
        "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]
    }
    role = account_client(emulator, "dev", "iam").create_role(
        RoleName="any", AssumeRolePolicyDocument=json.dumps(trust)
    )
    client.create_function(
        FunctionName="greedy",
        Runtime="python3.12",
        Role=role["Role"]["Arn"],
        Handler="handler.handle",
        Code={"ZipFile": b"PK\x05\x06" + b"\x00" * 18},
    )
    with pytest.raises(client.exceptions.InvalidParameterValueException, match=r"below its minimum value of \[100\]"):
        client.put_function_concurrency(FunctionName="greedy", ReservedConcurrentExecutions=QUOTA - 99)
    client.put_function_concurrency(FunctionName="greedy", ReservedConcurrentExecutions=QUOTA - 100)
    assert client.get_account_settings()["AccountLimit"]["UnreservedConcurrentExecutions"] == 100

    cloudformation = account_client(emulator, "dev", "cloudformation")
    function = {
        "Type": "AWS::Lambda::Function",
        "Properties": {
            "Runtime": "python3.12",
            "Role": role["Role"]["Arn"],
            "Handler": "handler.handle",
            "Code": {"ZipFile": "def handle(event, context): return None"},
            "ReservedConcurrentExecutions": 1,
        },
    }
    cloudformation.create_stack(StackName="greedier", TemplateBody=json.dumps({"Resources": {"Fn": function}}))
    (stack,) = cloudformation.describe_stacks(StackName="greedier")["Stacks"]
    assert stack["StackStatus"] == "ROLLBACK_COMPLETE"
    reasons = [
        e.get("ResourceStatusReason", "")
        for e in cloudformation.describe_stack_events(StackName="greedier")["StackEvents"]
    ]
    assert any("below its minimum value of [100]" in r for r in reasons)
    client.delete_function(FunctionName="greedy")


def _parent_zone(emulator: control.Emulator) -> str:
    """The parent domain's zone, `example.com` in the tooling account (where the parent
    domain's owner keeps it): from now on, only its NS records delegate."""
    route53 = tooling_client(emulator, "route53", "us-east-1")
    zones = route53.list_hosted_zones_by_name(DNSName="example.com")["HostedZones"]
    if zones and zones[0]["Name"] == "example.com.":
        return zones[0]["Id"]
    return route53.create_hosted_zone(Name="example.com", CallerReference="parent")["HostedZone"]["Id"]


def _delegate(emulator: control.Emulator, domain: str, servers: list[str]) -> None:
    tooling_client(emulator, "route53", "us-east-1").change_resource_record_sets(
        HostedZoneId=_parent_zone(emulator),
        ChangeBatch={
            "Changes": [
                {
                    "Action": "UPSERT",
                    "ResourceRecordSet": {
                        "Name": domain,
                        "Type": "NS",
                        "TTL": 300,
                        "ResourceRecords": [{"Value": s} for s in servers],
                    },
                }
            ]
        },
    )


def test_a_first_launch_stops_before_the_certificate_until_the_domain_delegates(emulator):
    env = load_project(PROJECT_DIR).environment("staging")
    _parent_zone(emulator)  # the parent zone exists and delegates nothing yet
    bootstrap_account(emulator, "staging")
    first = sceptre_launch(emulator, "staging")
    assert first.returncode != 0
    assert "refusing to launch payments-staging-certificate" in first.output
    assert (
        f"{env.settings.domain} does not delegate to its hosted zone (the public DNS gives no NS records"
        in first.output
    )
    assert "payments-staging-certificate" not in _stacks(emulator, "staging")
    zone = account_client(emulator, "staging", "route53").get_hosted_zone(
        Id=_output(emulator, "staging", "zone", "HostedZoneId")
    )
    servers = zone["DelegationSet"]["NameServers"]
    assert f"add the NS record {env.settings.domain}. NS {' '.join(sorted(s + '.' for s in servers))}" in first.output

    _delegate(emulator, env.settings.domain, servers)
    assert [p for p in _preflight(emulator, "staging") if p.startswith("problem")] == []
    second = sceptre_launch(emulator, "staging")
    assert second.returncode == 0, second.output[-3000:]
    assert "payments-staging-cdn" in _stacks(emulator, "staging")

    # A delegation that goes stale (the parent names other name servers) refuses the next
    # launch before any stack changes.
    _delegate(emulator, env.settings.domain, ["ns-1.elsewhere.example.net"])
    (stale,) = [p for p in _preflight(emulator, "staging") if p.startswith("problem")]
    assert "the public DNS gives ns-1.elsewhere.example.net." in stale
    refused = sceptre_launch(emulator, "staging")
    assert refused.returncode != 0 and "nothing was changed" in refused.output


def _output(emulator: control.Emulator, env: str, stack: str, key: str) -> str:
    client = account_client(emulator, env, "cloudformation")
    (found,) = client.describe_stacks(StackName=f"payments-{env}-{stack}")["Stacks"]
    return next(o["OutputValue"] for o in found["Outputs"] if o["OutputKey"] == key)


def test_the_preflight_command_prints_one_line_per_finding_and_exits_non_zero(emulator, capsys):
    with environment_variables(emulator.environment({})):
        status = preflight_script.main(["--env", "prod"])
    lines = capsys.readouterr().out.strip().splitlines()
    assert status == 1
    assert any(line.startswith("problem [lambda-concurrency]: ") for line in lines)
    assert lines[-1] == "preflight of prod in account 333333333333: 1 problem(s), 1 warning(s); nothing was changed"
