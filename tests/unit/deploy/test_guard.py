"""The stateful-change guard and the stack policy, on rendered templates."""

from __future__ import annotations

import copy
import json
import logging
import re
from types import SimpleNamespace

import boto3
import pytest
from botocore.exceptions import ClientError
from botocore.stub import Stubber

from blueprints.deploy.guard import create_only_properties, destructive_changes, stack_policy, updates_in_steps
from blueprints.project import load_project
from blueprints.sceptre import cloudformation
from blueprints.sceptre.cloudformation import ChangeSetFailed
from blueprints.sceptre.hooks.guard_stateful_resources import (
    DestructiveChangeRefused,
    GuardStatefulResourcesHook,
    UpdateInSteps,
)
from blueprints.sceptre.hooks.protect_stack import ProtectStackHook
from tests.conftest import PROJECT_DIR


@pytest.fixture
def data(project):
    return json.loads(project.environments["prod"].render("data"))


def test_an_unchanged_template_is_not_destructive(data):
    assert destructive_changes("data", data, copy.deepcopy(data)) == []


def test_changes_that_keep_the_data_pass(data):
    new = copy.deepcopy(data)
    # Another capacity mode is an update in place (DynamoDB switches a table's billing mode).
    properties = new["Resources"]["TransactionsTable"]["Properties"]
    assert properties["BillingMode"] == "PAY_PER_REQUEST"
    properties["BillingMode"] = "PROVISIONED"
    properties["ProvisionedThroughput"] = {"ReadCapacityUnits": 500, "WriteCapacityUnits": 5}
    new["Resources"]["TransactionsTable"]["Properties"]["Tags"] = []
    assert destructive_changes("data", data, new) == []


def test_a_removed_table_is_destructive(data):
    new = copy.deepcopy(data)
    del new["Resources"]["SessionsTable"]
    (change,) = destructive_changes("data", data, new)
    assert (change.resource, change.type, change.allowance) == (
        "SessionsTable",
        "AWS::DynamoDB::Table",
        "data.SessionsTable",
    )
    assert change.describe() == (
        "SessionsTable (AWS::DynamoDB::Table): logical ID (removed or renamed: CloudFormation deletes it) "
        'would change from "SessionsTable" to (absent)'
    )


def test_a_renamed_logical_id_is_destructive(data):
    new = copy.deepcopy(data)
    new["Resources"]["PaymentsTable"] = new["Resources"].pop("TransactionsTable")
    assert [c.resource for c in destructive_changes("data", data, new)] == ["TransactionsTable"]


def test_a_create_only_property_change_is_destructive(data):
    new = copy.deepcopy(data)
    new["Resources"]["TransactionsTable"]["Properties"]["TableName"] = "payments-prod-transactions-v2"
    (change,) = destructive_changes("data", data, new)
    assert change.what == "create-only property TableName (replacement)"
    assert (change.old, change.new) == ("payments-prod-transactions", "payments-prod-transactions-v2")
    assert '"payments-prod-transactions" to "payments-prod-transactions-v2"' in change.describe()


def test_a_bucket_rename_is_destructive(project):
    storage = json.loads(project.environments["prod"].render("storage"))
    new = copy.deepcopy(storage)
    new["Resources"]["LogsBucket"]["Properties"]["BucketName"] = {"Fn::Sub": "logs-${AWS::AccountId}"}
    (change,) = destructive_changes("storage", storage, new)
    assert (change.resource, change.what) == ("LogsBucket", "create-only property BucketName (replacement)")


def test_a_dropped_retain_is_destructive(data):
    new = copy.deepcopy(data)
    new["Resources"]["IdempotencyTable"]["DeletionPolicy"] = "Delete"
    del new["Resources"]["IdempotencyTable"]["UpdateReplacePolicy"]
    changes = destructive_changes("data", data, new)
    assert [(c.what, c.old, c.new) for c in changes] == [
        ("DeletionPolicy", "RetainExceptOnCreate", "Delete"),
        ("UpdateReplacePolicy", "Retain", "(absent)"),
    ]


def test_a_type_change_is_destructive(data):
    new = copy.deepcopy(data)
    new["Resources"]["SessionsTable"]["Type"] = "AWS::DynamoDB::GlobalTable"
    assert [c.what for c in destructive_changes("data", data, new)] == ["type"]


def test_stateless_resources_are_not_guarded(project):
    functions = json.loads(project.environments["prod"].render("functions"))
    new = copy.deepcopy(functions)
    del new["Resources"]["PaymentProcessorFunction"]
    new["Resources"]["PaymentProcessorRole"]["Type"] = "AWS::IAM::User"
    # Only the retained log groups are stateful here, and they are untouched.
    assert destructive_changes("functions", functions, new) == []


def test_a_key_schema_change_is_destructive(data):
    """DynamoDB's schema lists KeySchema only as conditionally create-only; it still replaces."""
    new = copy.deepcopy(data)
    new["Resources"]["SessionsTable"]["Properties"]["KeySchema"][0]["AttributeName"] = "id"
    (change,) = destructive_changes("data", data, new)
    assert (change.resource, change.what) == ("SessionsTable", "create-only property KeySchema (replacement)")


def test_removing_or_replacing_a_key_is_destructive(data):
    removed = copy.deepcopy(data)
    del removed["Resources"]["DataKey"]
    assert [(c.resource, c.type) for c in destructive_changes("data", data, removed)] == [("DataKey", "AWS::KMS::Key")]
    replaced = copy.deepcopy(data)
    replaced["Resources"]["DataKeyV2"] = replaced["Resources"].pop("DataKey")
    assert [c.resource for c in destructive_changes("data", data, replaced)] == ["DataKey"]


def test_turning_customer_managed_keys_off_is_refused(project):
    """An environment that drops its keys would lose what they encrypt: the guard names each key."""
    prod = project.environments["prod"]
    with_keys = json.loads(prod.render("data"))
    settings = prod.settings.model_copy(update={"customer_managed_keys": False})
    without = json.loads(type(prod)(prod.project, prod.name, prod.region, settings, prod.stacks).render("data"))
    assert "DataKey" not in without["Resources"]
    assert [c.resource for c in destructive_changes("data", with_keys, without)] == ["DataKey"]


def test_a_key_is_stateful_even_where_data_is_not_retained(project):
    """A key is guarded even where the environment does not retain data: a new one cannot decrypt."""
    prod = project.environments["prod"]
    settings = prod.settings.model_copy(update={"retain_data": False})
    data = json.loads(type(prod)(prod.project, prod.name, prod.region, settings, prod.stacks).render("data"))
    assert data["Resources"]["DataKey"]["DeletionPolicy"] == "Delete"
    new = copy.deepcopy(data)
    del new["Resources"]["DataKey"]
    assert [c.resource for c in destructive_changes("data", data, new)] == ["DataKey"]


def test_create_only_properties_come_from_the_resource_schemas():
    assert ("TableName",) in create_only_properties("AWS::DynamoDB::Table")
    assert ("KeySchema",) in create_only_properties("AWS::DynamoDB::Table")
    assert ("BucketName",) in create_only_properties("AWS::S3::Bucket")
    assert ("LogGroupName",) in create_only_properties("AWS::Logs::LogGroup")


def test_stack_policy_denies_replacing_or_deleting_stateful_resources(project):
    policy = stack_policy(json.loads(project.environments["prod"].render("data")))
    deny, allow = policy["Statement"]
    assert deny == {
        "Effect": "Deny",
        "Principal": "*",
        "Action": ["Update:Replace", "Update:Delete"],
        "Resource": [
            "LogicalResourceId/DataKey",
            "LogicalResourceId/IdempotencyTable",
            "LogicalResourceId/SessionsTable",
            "LogicalResourceId/TransactionsTable",
        ],
    }
    assert allow["Action"] == "Update:*"
    assert stack_policy(json.loads(project.environments["prod"].render("certificate"))) is None


class _Recorder:
    """Sceptre's ConnectionManager.call, answering get_template from a dict and describe_stacks
    with `status`; records every call as (service, command, kwargs, region)."""

    region, profile, sceptre_role = "eu-west-1", None, "arn:aws:iam::333333333333:role/payments-prod-deploy"

    def __init__(self, deployed=None, error=None, status="UPDATE_COMPLETE", change_set=None):
        self.deployed, self.error, self.status, self.calls = deployed, error, status, []
        self.clients = {}
        # DescribeChangeSet's answer: by default, nothing to change.
        self.change_set = change_set or {
            "Status": "FAILED",
            "StatusReason": "The submitted information didn't contain changes.",
        }

    def _get_client(self, service, region, profile, stack_name, sceptre_role):
        """The client Sceptre keeps for these (made offline: nothing is sent unless stubbed)."""
        key = (service, region, profile, stack_name, sceptre_role)
        if key not in self.clients:
            self.clients[key] = boto3.client(
                service, region_name=region, aws_access_key_id="a", aws_secret_access_key="b"
            )
        return self.clients[key]

    def call(self, service, command, kwargs, region=None):
        self.calls.append((service, command, kwargs, region))
        if command == "get_template":
            if self.error:
                raise self.error
            return {"TemplateBody": self.deployed}
        if command == "describe_stacks":
            return {"Stacks": [{"StackStatus": self.status}]}
        if command == "describe_change_set":
            return self.change_set
        return {}

    def commands(self):
        return [command for _, command, _, _ in self.calls]


def _stack(name, connection_manager):
    return SimpleNamespace(
        name=name,
        external_name=f"payments-{name.replace('/', '-')}",
        region="eu-west-1",
        stack_group_config={"project_path": str(PROJECT_DIR)},
        connection_manager=connection_manager,
        # What Sceptre's update sends, and so the guard's change set: resolved parameters, the body, the role.
        parameters={"PrivateSubnetIds": ["subnet-1", "subnet-2"], "Unset": None},
        template=SimpleNamespace(get_boto_call_parameter=lambda: {"TemplateBody": '{"Resources": {}}'}),
        cloudformation_service_role="arn:aws:iam::333333333333:role/payments-prod-cloudformation",
    )


def _get_template(name):
    """The one call the guard makes: read the deployed template, in the stack's region."""
    return ("cloudformation", "get_template", {"StackName": f"payments-{name.replace('/', '-')}"}, "eu-west-1")


def test_protect_hook_locks_protected_environments_only(project):
    deployed = json.loads(project.environments["prod"].render("data"))
    prod = _Recorder(deployed)
    ProtectStackHook(stack=_stack("prod/data", prod)).run()
    name = {"StackName": "payments-prod-data"}
    assert prod.calls == [
        ("cloudformation", "describe_stacks", name, "eu-west-1"),
        ("cloudformation", "update_termination_protection", {**name, "EnableTerminationProtection": True}, "eu-west-1"),
        _get_template("prod/data"),  # the policy protects what is deployed
        (
            "cloudformation",
            "set_stack_policy",
            {**name, "StackPolicyBody": json.dumps(stack_policy(deployed))},
            "eu-west-1",
        ),
    ]
    certificate = _Recorder(json.loads(project.environments["prod"].render("certificate")))
    ProtectStackHook(stack=_stack("prod/certificate", certificate)).run()
    assert [command for _, command, _, _ in certificate.calls] == [
        "describe_stacks",
        "update_termination_protection",
        "get_template",  # nothing stateful: no policy
    ]
    dev = _Recorder()
    ProtectStackHook(stack=_stack("dev/data", dev)).run()
    assert dev.calls == []


@pytest.mark.parametrize("status", ["ROLLBACK_COMPLETE", "ROLLBACK_FAILED", "CREATE_FAILED", "UPDATE_ROLLBACK_FAILED"])
def test_protect_hook_leaves_a_stack_whose_launch_did_not_complete(project, status, caplog):
    """Sceptre runs after-launch hooks after a failed launch too; a stack whose create rolled
    back must stay deletable, or the next launch (delete, then create) is refused."""
    recorder = _Recorder(status=status)
    ProtectStackHook(stack=_stack("prod/data", recorder)).run()
    assert [command for _, command, _, _ in recorder.calls] == ["describe_stacks"]
    assert f"not protected: the stack is {status}" in caplog.text


def test_protect_hook_keeps_protecting_a_stack_whose_update_rolled_back(project):
    recorder = _Recorder(json.loads(project.environments["prod"].render("data")), status="UPDATE_ROLLBACK_COMPLETE")
    ProtectStackHook(stack=_stack("prod/data", recorder)).run()
    assert "set_stack_policy" in [command for _, command, _, _ in recorder.calls]


def test_guard_hook_passes_a_first_launch_and_an_unchanged_stack(project):
    missing = ClientError(
        {"Error": {"Code": "ValidationError", "Message": "Stack with id x does not exist"}}, "GetTemplate"
    )
    first = _Recorder(error=missing)
    GuardStatefulResourcesHook(stack=_stack("prod/data", first)).run()
    deployed = "---\n" + project.environments["prod"].render("data")  # as Sceptre sent it
    unchanged = _Recorder(deployed)
    GuardStatefulResourcesHook(stack=_stack("prod/data", unchanged)).run()
    # A first launch reads the deployed template; an unchanged stack also asks CloudFormation,
    # whose change set finds nothing; neither changes anything.
    assert first.calls == [_get_template("prod/data")]
    assert unchanged.commands() == ["get_template", "create_change_set", "describe_change_set", "delete_change_set"]


def test_guard_hook_reports_other_errors(project):
    denied = ClientError({"Error": {"Code": "AccessDenied", "Message": "no"}}, "GetTemplate")
    recorder = _Recorder(error=denied)
    with pytest.raises(ClientError, match="AccessDenied"):
        GuardStatefulResourcesHook(stack=_stack("prod/data", recorder)).run()
    assert recorder.calls == [_get_template("prod/data")]


def test_guard_hook_refuses_and_names_the_setting(project, data, caplog):
    old = copy.deepcopy(data)
    old["Resources"]["TransactionsTable"]["Properties"]["TableName"] = "payments-prod-ledger"
    recorder = _Recorder(old)
    with caplog.at_level(logging.ERROR), pytest.raises(DestructiveChangeRefused) as caught:
        GuardStatefulResourcesHook(stack=_stack("prod/data", recorder)).run()
    assert recorder.calls == [_get_template("prod/data")]  # refused before changing anything
    # One line for Sceptre's CLI to print (it prints a SceptreException as one line, exit 1) ...
    assert str(caught.value) == (
        "refusing to update payments-prod-data (prod/data): it would replace or delete data: TransactionsTable "
        "(create-only property TableName (replacement)). Nothing was changed. If this is intended, list "
        "[data.TransactionsTable] under environment.allow_destructive_changes in config/prod/config.yaml."
    )
    # ... after the log has shown each change with its values.
    assert [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR] == [
        "prod/data - would replace or delete data: TransactionsTable (AWS::DynamoDB::Table): create-only property "
        "TableName "
        '(replacement) would change from "payments-prod-ledger" to "payments-prod-transactions"'
    ]


def test_guard_hook_lets_an_allowed_change_through_with_a_warning(project, project_copy, data, caplog):
    root = project_copy("dev", lambda d: d["environment"].update(allow_destructive_changes=["data.TransactionsTable"]))
    old = json.loads(load_project(root).environments["dev"].render("data"))
    old["Resources"]["TransactionsTable"]["Properties"]["TableName"] = "payments-dev-ledger"
    recorder = _Recorder(old)
    stack = _stack("dev/data", recorder)
    stack.stack_group_config["project_path"] = str(root)
    hook = GuardStatefulResourcesHook(stack=stack)
    hook.run()
    assert recorder.commands() == ["get_template", "create_change_set", "describe_change_set", "delete_change_set"]
    assert "allowed by environment.allow_destructive_changes: TransactionsTable" in caplog.text


@pytest.fixture(autouse=True)
def _fresh_change_sets(monkeypatch):
    """Each test's change sets are its own (the hook keeps CloudFormation's answer per process)."""
    monkeypatch.setattr(cloudformation, "_CHANGE_SETS", {})


def _answer(*changes, status="CREATE_COMPLETE"):
    return {"Status": status, "Changes": [{"Type": "Resource", "ResourceChange": c} for c in changes]}


def _replacement(logical_id, kind, replacement, *through):
    details = [
        {"Target": {"Attribute": "Properties", "Name": p, "RequiresRecreation": "Conditionally"}} for p in through
    ]
    return {
        "Action": "Modify",
        "LogicalResourceId": logical_id,
        "ResourceType": kind,
        "Replacement": replacement,
        "Details": details,
    }


def test_the_change_set_is_the_update_sceptre_sends_and_is_deleted(project):
    deployed = json.loads(project.environments["prod"].render("data"))
    recorder = _Recorder(deployed, change_set=_answer())
    GuardStatefulResourcesHook(stack=_stack("prod/data", recorder)).run()
    (created,) = [kwargs for _, command, kwargs, _ in recorder.calls if command == "create_change_set"]
    (deleted,) = [kwargs for _, command, kwargs, _ in recorder.calls if command == "delete_change_set"]
    assert created["ChangeSetType"] == "UPDATE" and created["StackName"] == "payments-prod-data"
    assert created["Parameters"] == [{"ParameterKey": "PrivateSubnetIds", "ParameterValue": "subnet-1,subnet-2"}]
    assert created["TemplateBody"] == '{"Resources": {}}'
    assert created["RoleARN"] == "arn:aws:iam::333333333333:role/payments-prod-cloudformation"
    assert "CAPABILITY_NAMED_IAM" in created["Capabilities"]
    assert deleted == {"StackName": "payments-prod-data", "ChangeSetName": created["ChangeSetName"]}
    assert "execute_change_set" not in recorder.commands()


@pytest.mark.parametrize(
    ("change", "words"),
    [
        (
            _replacement("TransactionsTable", "AWS::DynamoDB::Table", "Conditional", "KeySchema"),
            "TransactionsTable (replacement (CloudFormation's change set: Replacement Conditional, through KeySchema))",
        ),
        (
            _replacement("DataKey", "AWS::KMS::Key", "True"),
            "DataKey (replacement (CloudFormation's change set: Replacement True))",
        ),
        (
            {"Action": "Remove", "LogicalResourceId": "SessionsTable", "ResourceType": "AWS::DynamoDB::Table"},
            "SessionsTable (removal (CloudFormation's change set: Remove))",
        ),
    ],
)
def test_what_cloudformations_change_set_would_replace_is_refused(project, change, words):
    """The schemas see the templates; CloudFormation's answer also sees parameter values and
    what no schema lists (a key, a user pool): a stateful resource it would replace (or may:
    Conditional) or remove is refused like any other, and the change set is deleted."""
    deployed = json.loads(project.environments["prod"].render("data"))
    recorder = _Recorder(deployed, change_set=_answer(change))
    with pytest.raises(DestructiveChangeRefused, match=re.escape(words)):
        GuardStatefulResourcesHook(stack=_stack("prod/data", recorder)).run()
    assert recorder.commands()[-1] == "delete_change_set"


def test_replacing_what_keeps_no_data_passes(project):
    deployed = json.loads(project.environments["prod"].render("functions"))
    version = _replacement("PaymentProcessorVersion", "AWS::Lambda::Version", "True", "Description")
    alarm = _replacement("TransactionsTableThrottlesAlarm", "AWS::CloudWatch::Alarm", "True", "AlarmName")
    recorder = _Recorder(deployed, change_set=_answer(version, alarm))
    GuardStatefulResourcesHook(stack=_stack("prod/functions", recorder)).run()
    assert "delete_change_set" in recorder.commands()


@pytest.mark.parametrize(
    ("answer", "words"),
    [
        ({"Status": "FAILED", "StatusReason": "Template format error"}, "failed: Template format error"),
        ({"Status": "CREATE_PENDING"}, "still CREATE_PENDING"),
    ],
)
def test_a_change_set_cloudformation_cannot_make_stops_the_launch(project, monkeypatch, answer, words):
    monkeypatch.setattr(cloudformation, "CHANGE_SET_WAIT_SECONDS", 0)
    recorder = _Recorder(json.loads(project.environments["prod"].render("data")), change_set=answer)
    with pytest.raises(ChangeSetFailed, match=words):
        GuardStatefulResourcesHook(stack=_stack("prod/data", recorder)).run()
    assert recorder.commands()[-1] == "delete_change_set"


def test_two_index_changes_in_one_update_are_refused_with_their_steps(project, data):
    """DynamoDB creates or deletes one global secondary index per update: a renamed index (one
    deletion, one creation) must go in two launches, said before anything is sent."""
    old = copy.deepcopy(data)
    index = old["Resources"]["TransactionsTable"]["Properties"]["GlobalSecondaryIndexes"][0]
    index["IndexName"] = "ByCustomer"
    recorder = _Recorder(old)
    with pytest.raises(UpdateInSteps) as caught:
        GuardStatefulResourcesHook(stack=_stack("prod/data", recorder)).run()
    assert recorder.commands() == ["get_template"]
    assert "TransactionsTable (AWS::DynamoDB::Table): DynamoDB creates or deletes one global secondary index" in str(
        caught.value
    )
    assert "1. delete ByCustomer; 2. create CustomerIndex" in str(caught.value)
    one = copy.deepcopy(data)
    one["Resources"]["TransactionsTable"]["Properties"]["GlobalSecondaryIndexes"] = []
    assert updates_in_steps("data", one, data) == []  # one creation alone is one update


def test_an_allowed_change_overrides_the_stack_policy_for_its_update_only(project, project_copy, data):
    """A protected stack's policy denies replacing its tables; the update that the environment
    allows carries a policy for that update alone, opening exactly the table it changes, on
    the client Sceptre's stack actions send UpdateStack with."""
    allowed = ["data.TransactionsTable", "data.SessionsTable"]  # only the first changes now
    root = project_copy("prod", lambda d: d["environment"].update(allow_destructive_changes=allowed))
    old = copy.deepcopy(data)
    old["Resources"]["TransactionsTable"]["Properties"]["TableName"] = "payments-prod-ledger"
    recorder = _Recorder(old)
    # The client Sceptre's stack actions use: the stack's region, profile and role, no stack name.
    client = recorder._get_client("cloudformation", "eu-west-1", None, None, recorder.sceptre_role)
    stack = _stack("prod/data", recorder)
    stack.stack_group_config["project_path"] = str(root)
    GuardStatefulResourcesHook(stack=stack).run()
    GuardStatefulResourcesHook(stack=stack).run()  # a launch runs it before launch and before update
    sent = []
    client.meta.events.register(
        "before-parameter-build.cloudformation.UpdateStack", lambda params, **_: sent.append(params)
    )
    with Stubber(client) as stubber:
        for _ in range(3):
            stubber.add_response("update_stack", {"StackId": "x"})
        client.update_stack(StackName="payments-prod-network", TemplateBody="{}")  # another stack's: not for it
        client.update_stack(StackName="payments-prod-data", TemplateBody="{}")
        client.update_stack(StackName="payments-prod-data", TemplateBody="{}")  # a later update: no override
    assert ["StackPolicyDuringUpdateBody" in params for params in sent] == [False, True, False]
    deny, allow = json.loads(sent[1]["StackPolicyDuringUpdateBody"])["Statement"]
    assert deny["Action"] == ["Update:Replace", "Update:Delete"]
    assert deny["Resource"] == [
        "LogicalResourceId/DataKey",
        "LogicalResourceId/IdempotencyTable",
        "LogicalResourceId/SessionsTable",  # allowed, but not changed by this update
    ]
    assert allow == {"Effect": "Allow", "Principal": "*", "Action": "Update:*", "Resource": "*"}


@pytest.mark.parametrize("env", ["dev", "prod"])
def test_the_user_pool_is_guarded_like_the_data_it_holds(project, env):
    """Losing the pool loses every customer's account: removing or renaming it is refused
    in every environment (dev too: the pool is stateful whether or not it is retained)."""
    identity = json.loads(project.environments[env].render("identity"))
    removed = copy.deepcopy(identity)
    del removed["Resources"]["UserPool"]
    renamed = copy.deepcopy(identity)
    renamed["Resources"]["CustomerPool"] = renamed["Resources"].pop("UserPool")
    for new in (removed, renamed):
        changes = destructive_changes("identity", identity, new)
        assert [(c.resource, c.type, c.allowance) for c in changes] == [
            ("UserPool", "AWS::Cognito::UserPool", "identity.UserPool")
        ]
    settings_only = copy.deepcopy(identity)
    settings_only["Resources"]["UserPool"]["Properties"]["MfaConfiguration"] = "ON"
    assert destructive_changes("identity", identity, settings_only) == []
    if env == "prod":
        policy = stack_policy(identity)
        denied = next(s for s in policy["Statement"] if s["Effect"] == "Deny")
        assert denied["Resource"] == ["LogicalResourceId/UserPool"]
