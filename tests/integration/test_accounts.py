"""One account per environment on one emulator: each account holds only its environment's
stacks and resources; a launch or a bootstrap with another account's credentials is refused
before anything is created; the deploy role trusts only the configured deployers."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from blueprints.deploy.accounts import WrongAccountError
from blueprints.project import load_project
from local_aws.client import control
from local_aws.client.accounts import TOOLING_ACCOUNT, admin_session
from local_aws.client.endpoint import environment_variables
from local_aws.client.launched import sceptre_launch
from local_aws.client.paths import PROJECT_DIR
from scripts.bootstrap import bootstrap
from tests.integration.conftest import account_client, bootstrap_account, copy_project, start_emulator, tooling_client

PROJECT = load_project(PROJECT_DIR)
REGIONS = ("eu-west-1", "us-east-1")


def _stacks(client_for: Callable[[str], Any]) -> set[str]:
    """Names of the live stacks an account holds (`client_for(region)`: its CloudFormation
    client there), in both regions the environments use."""
    names = set()
    for region in REGIONS:
        client = client_for(region)
        for page in client.get_paginator("list_stacks").paginate():
            names |= {s["StackName"] for s in page["StackSummaries"] if s["StackStatus"] != "DELETE_COMPLETE"}
    return names


def test_each_account_holds_only_its_environments_stacks(launched, emulator):
    for env in launched:
        stacks = _stacks(lambda region, env=env: account_client(emulator, env, "cloudformation", region))
        own = {s.rendered.external_name for s in launched[env].stacks.values()} | {f"payments-{env}-bootstrap"}
        assert stacks == own, env
    in_tooling = _stacks(lambda region: tooling_client(emulator, "cloudformation", region))
    assert not {name for name in in_tooling if name.startswith("payments-")}, TOOLING_ACCOUNT


def test_each_account_holds_only_its_environments_resources(launched):
    for env, environment in launched.items():
        tables = set(environment.client("dynamodb").list_tables()["TableNames"])
        assert tables and all(t.startswith(f"payments-{env}-") for t in tables), (env, tables)
        functions = {f["FunctionName"] for f in environment.client("lambda").list_functions()["Functions"]}
        assert functions and all(f.startswith(f"payments-{env}-") for f in functions), (env, functions)
        buckets = {b["Name"] for b in environment.client("s3").list_buckets()["Buckets"]}
        account = environment.settings.settings.account_id
        assert buckets and all(f"-{env}-" in b and account in b for b in buckets), (env, buckets)
        arn = environment.output("data", "TransactionsTableArn")
        assert f":{account}:" in arn


def test_the_deploy_role_trusts_only_the_configured_deployers(launched):
    """moto does not enforce trust policies: the deployed role's policy is read back instead."""
    for env, environment in launched.items():
        iam = environment.client("iam")
        role = iam.get_role(RoleName=f"payments-{env}-deploy")["Role"]
        statements = role["AssumeRolePolicyDocument"]["Statement"]
        assert statements == [
            {
                "Effect": "Allow",
                "Principal": {"AWS": list(environment.settings.settings.deployers)},
                "Action": ["sts:AssumeRole"],
            }
        ]
        cloudformation = iam.get_role(RoleName=f"payments-{env}-cloudformation")["Role"]
        principal = cloudformation["AssumeRolePolicyDocument"]["Statement"][0]["Principal"]
        assert principal == {"Service": ["cloudformation.amazonaws.com"]}
        attached = iam.list_attached_role_policies(RoleName=f"payments-{env}-cloudformation")["AttachedPolicies"]
        assert attached and all(f":{environment.settings.settings.account_id}:" in p["PolicyArn"] for p in attached)


def test_an_unchanged_bootstrap_changes_nothing(launched, emulator):
    before = account_client(emulator, "dev", "cloudformation").describe_stacks(StackName="payments-dev-bootstrap")
    outputs = bootstrap_account(emulator, "dev")
    after = account_client(emulator, "dev", "cloudformation").describe_stacks(StackName="payments-dev-bootstrap")
    assert before["Stacks"] == after["Stacks"]  # no update: same status and times
    assert outputs["DeployRoleArn"] == "arn:aws:iam::111111111111:role/payments-dev-deploy"


def test_a_bootstrap_with_another_accounts_credentials_is_refused(launched, emulator):
    prod = PROJECT.environment("prod")
    dev_admin = admin_session(emulator, PROJECT.environment("dev").settings.account_id, prod.region)
    with environment_variables(emulator.environment({})), pytest.raises(WrongAccountError) as refused:
        bootstrap(prod, dev_admin, log=lambda _: None)
    assert "act in account 111111111111, but environment 'prod' lives in account 333333333333" in str(refused.value)


@pytest.fixture
def fresh(tmp_path, monkeypatch) -> Iterator[tuple[Path, control.Emulator]]:
    """A copy of the project (with the code it packages) and an empty emulator."""
    project = copy_project(tmp_path)
    state = tmp_path / "emulator"
    emulator = start_emulator(state)
    for key, value in emulator.environment({}).items():
        monkeypatch.setenv(key, value)
    try:
        yield project, emulator
    finally:
        control.stop(state)


def test_a_launch_of_prod_with_devs_credentials_is_refused_before_anything_is_created(fresh):
    """prod's stack group names dev's deploy role (a copy-paste slip): every stack's account
    check refuses, naming both accounts, and no account holds anything of prod."""
    project, emulator = fresh
    config = project / "config" / "prod" / "config.yaml"
    data = yaml.safe_load(config.read_text())
    data["sceptre_role"] = "arn:aws:iam::111111111111:role/payments-dev-deploy"
    config.write_text(yaml.safe_dump(data, sort_keys=False))
    bootstrap_account(emulator, "dev", project)

    launch = sceptre_launch(emulator, "prod", project)

    assert launch.returncode != 0
    assert "act in account 111111111111, but environment 'prod' lives in account 333333333333" in launch.output
    assert "Nothing was changed" in launch.output
    for env in ("dev", "prod"):
        stacks = _stacks(lambda region, env=env: account_client(emulator, env, "cloudformation", region, project))
        assert not {s for s in stacks if s.startswith("payments-prod-")}, env
        assert not account_client(emulator, env, "s3", project_dir=project).list_buckets()["Buckets"], env
