"""The building blocks on their own: secure defaults, refused combinations named, and
least-privilege grants; and a stack of another project composed from them passes cfn-lint."""

from __future__ import annotations

import json
import re

import pytest
from awacs import dynamodb as awsddb
from awacs import s3 as awss3
from awacs.aws import Action
from cfnlint.api import lint_by_config
from cfnlint.config import ManualArgs
from pydantic import TypeAdapter, ValidationError
from troposphere import Parameter, Ref, Template, encode_to_dict, s3

from blueprints.blocks import (
    READ_DATA,
    ApiStage,
    Attribute,
    BlockError,
    EdgeWebAcl,
    EndpointGrant,
    GlobalIndex,
    SecureBucket,
    Table,
    TableReference,
    Vpc,
    VpcFunction,
)
from blueprints.blocks.rest_api import RestApi
from blueprints.contract import Parameter as RouteParameter
from blueprints.contract import Route
from blueprints.core import LOG_RETENTION_DAYS, LogRetentionDays
from blueprints.core.policies import ENCRYPTED_WITH_SSE_S3, SERVER_ACCESS_LOGS_NEED_SSE_S3, TERMINAL_LOG_BUCKET
from blueprints.testing import TemplateAssertions

ORDER_ID = Attribute(name="orderId")
EXPIRE = s3.LifecycleRule(Id="expire", Status="Enabled", ExpirationInDays=30)


def _table(t: Template | None = None, **options: object) -> tuple[Template, Table]:
    t = t or Template()
    defaults: dict[str, object] = {"name": "orders", "partition_key": ORDER_ID, "read_capacity": 1, "write_capacity": 1}
    return t, Table(t, "OrdersTable", **{**defaults, **options})


def test_a_table_is_secure_and_retained_by_default():
    t, _ = _table()
    table = TemplateAssertions(t.to_dict())
    table.has_resource(
        "AWS::DynamoDB::Table",
        {
            "DeletionPolicy": "RetainExceptOnCreate",
            "UpdateReplacePolicy": "Retain",
            "Properties": {
                "TableName": "orders",
                "SSESpecification": {"SSEEnabled": True},
                "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True},
                "DeletionProtectionEnabled": True,
            },
        },
    )
    table.has_output("OrdersTableName")
    table.has_output("OrdersTableArn")


SCALING = {"min_read_capacity": 1, "max_read_capacity": 5, "min_write_capacity": 1, "max_write_capacity": 5}


@pytest.mark.parametrize(
    ("options", "words"),
    [
        ({"read_capacity": None}, "billing PROVISIONED needs read_capacity and write_capacity, or autoscaling"),
        (
            {"billing": "PAY_PER_REQUEST"},
            "billing PAY_PER_REQUEST takes no read_capacity, write_capacity or autoscaling",
        ),
        ({"autoscaling": SCALING}, "with autoscaling, the starting capacity is its minimum"),
        (
            {"read_capacity": None, "write_capacity": None, "autoscaling": {**SCALING, "min_read_capacity": 9}},
            "min_read_capacity (9) exceeds max_read_capacity (5)",
        ),
        ({"ttl_attribute": "orderId"}, "ttl_attribute 'orderId' cannot be a key attribute"),
        ({"read_capacity": 0}, "read_capacity"),
        ({"colour": "blue"}, "colour"),
    ],
)
def test_a_table_refuses_bad_combinations_by_name(options, words):
    with pytest.raises(BlockError, match="Table 'OrdersTable'") as caught:
        _table(**options)
    assert words in str(caught.value)


def test_an_on_demand_table_has_no_throughput_anywhere():
    index = GlobalIndex(name="ByCustomer", partition_key=Attribute(name="customerId"))
    t, _ = _table(billing="PAY_PER_REQUEST", read_capacity=None, write_capacity=None, indexes=(index,))
    props = TemplateAssertions(t.to_dict()).properties("OrdersTable")
    assert props["BillingMode"] == "PAY_PER_REQUEST" and "ProvisionedThroughput" not in props
    assert "ProvisionedThroughput" not in props["GlobalSecondaryIndexes"][0]


def test_grants_cover_the_table_and_the_indexes_it_is_queried_by():
    index = GlobalIndex(name="ByCustomer", partition_key=Attribute(name="customerId"))
    _, table = _table(indexes=(index,))
    read = _json(table.reference().grant_read_data(sid="ReadOrders"))
    assert sorted(read["Action"]) == sorted(a.JSONrepr() for a in READ_DATA)
    assert read["Resource"] == [
        {"Fn::GetAtt": ["OrdersTable", "Arn"]},
        {"Fn::Sub": ["${Arn}/index/ByCustomer", {"Arn": {"Fn::GetAtt": ["OrdersTable", "Arn"]}}]},
    ]
    write = _json(table.reference().grant_write_data(sid="WriteOrders"))
    assert write["Resource"] == [{"Fn::GetAtt": ["OrdersTable", "Arn"]}]  # writes go to the table only
    by_parameter = TableReference(Ref(Parameter("OrdersTableArn", Type="String")), indexes=("ByCustomer",))
    query = _json(by_parameter.grant([awsddb.Query], sid="Query"))
    assert query["Resource"] == [{"Ref": "OrdersTableArn"}, {"Fn::Sub": "${OrdersTableArn}/index/ByCustomer"}]
    with pytest.raises(ValueError, match="no such index"):
        by_parameter.grant([awsddb.Query], sid="Query", indexes=("Other",))


def test_a_bucket_is_private_encrypted_versioned_and_tls_only():
    t = Template()
    bucket = SecureBucket(t, "ReportsBucket", name="reports", lifecycle_rules=[EXPIRE])
    bucket.policy()
    assertions = TemplateAssertions(t.to_dict())
    props = assertions.properties("ReportsBucket")
    assert props["PublicAccessBlockConfiguration"] == dict.fromkeys(
        ("BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets"), True
    )
    assert props["VersioningConfiguration"] == {"Status": "Enabled"}
    assert props["OwnershipControls"]["Rules"] == [{"ObjectOwnership": "BucketOwnerEnforced"}]
    (statement,) = assertions.properties("ReportsBucketPolicy")["PolicyDocument"]["Statement"]
    assert statement["Effect"] == "Deny" and statement["Condition"] == {"Bool": {"aws:SecureTransport": False}}
    with pytest.raises(BlockError, match="lifecycle_rules"):
        SecureBucket(Template(), "B", name="b", lifecycle_rules=[])
    with pytest.raises(BlockError, match="access_logs_prefix without access_logs_bucket"):
        SecureBucket(Template(), "B", name="b", lifecycle_rules=[EXPIRE], access_logs_prefix="x/")


def _skips(t: Template, logical_id: str) -> dict[str, str]:
    resource = t.to_dict()["Resources"][logical_id]
    return {s["id"]: s["comment"] for s in resource.get("Metadata", {}).get("checkov", {}).get("skip", [])}


def test_a_bucket_records_the_findings_its_options_explain():
    t = Template()
    SecureBucket(t, "Plain", name="plain", lifecycle_rules=[EXPIRE])
    SecureBucket(t, "BySettings", name="settings", lifecycle_rules=[EXPIRE], kms_key_by_settings=True)
    SecureBucket(t, "Keyed", name="keyed", lifecycle_rules=[EXPIRE], kms_key="arn:key", kms_key_by_settings=True)
    SecureBucket(t, "Logs", name="logs", lifecycle_rules=[EXPIRE], holds_logs=True, receives_server_access_logs=True)
    SecureBucket(
        t, "LoggedLogs", name="logged-logs", lifecycle_rules=[EXPIRE], holds_logs=True, access_logs_bucket="logs"
    )
    assert _skips(t, "Plain") == {}  # nothing explains SSE-S3 or the missing access logs: reported
    assert _skips(t, "BySettings") == {"CKV_AWS_145": ENCRYPTED_WITH_SSE_S3}
    assert _skips(t, "Keyed") == {}
    assert _skips(t, "Logs") == {"CKV_AWS_145": SERVER_ACCESS_LOGS_NEED_SSE_S3, "CKV_AWS_18": TERMINAL_LOG_BUCKET}
    assert _skips(t, "LoggedLogs") == {}
    with pytest.raises(BlockError, match="receives_server_access_logs with kms_key"):
        SecureBucket(
            Template(), "B", name="bucket", lifecycle_rules=[EXPIRE], kms_key="k", receives_server_access_logs=True
        )
    with pytest.raises(BlockError, match="receives_server_access_logs with object_lock_days"):
        SecureBucket(
            Template(),
            "B",
            name="bucket",
            lifecycle_rules=[EXPIRE],
            object_lock_days=1,
            receives_server_access_logs=True,
        )


def _function(t: Template, **options: object) -> VpcFunction:
    defaults: dict[str, object] = {
        "name": "orders-api",
        "description": "Orders",
        "code_bucket": "artifacts",
        "code_key": "orders.zip",
        "memory_mb": 256,
        "timeout_seconds": 10,
        "subnet_ids": ["subnet-1"],
        "security_group_ids": ("sg-1",),
        "log_retention_days": 30,
    }
    return VpcFunction(t, "Orders", **{**defaults, **options})


def test_a_function_gets_its_own_role_log_group_and_only_its_grants():
    t, table = _table()
    _function(t, grants=(table.reference().grant([awsddb.GetItem], sid="ReadOrders"),))
    assertions = TemplateAssertions(t.to_dict())
    assertions.has_resource_properties(
        "AWS::Logs::LogGroup", {"LogGroupName": "/aws/lambda/orders-api", "RetentionInDays": 30}
    )
    statements = assertions.properties("OrdersRole")["Policies"][0]["PolicyDocument"]["Statement"]
    assert [s["Sid"] for s in statements] == [
        "WriteOwnLogs",
        "AttachToVpc",
        "ManageOwnInterfaces",
        "ListInterfaces",
        "WriteTraces",
        "ReadOrders",
    ]
    # Network interfaces are scoped to this account and region and the function's own groups;
    # only listing them and writing traces, which accept no resource, take "*".
    by_sid = {s["Sid"]: s for s in statements}
    assert [s for s in statements if s["Resource"] == ["*"]] == [by_sid["ListInterfaces"], by_sid["WriteTraces"]]
    assert {
        "Fn::Sub": [
            "${Arn}/${Group}",
            {
                "Arn": {"Fn::Sub": "arn:${AWS::Partition}:ec2:${AWS::Region}:${AWS::AccountId}:security-group"},
                "Group": "sg-1",
            },
        ]
    } in by_sid["AttachToVpc"]["Resource"]
    function = assertions.properties("OrdersFunction")
    assert function["TracingConfig"] == {"Mode": "Active"} and "ReservedConcurrentExecutions" not in function
    with pytest.raises(BlockError, match="timeout_seconds"):
        _function(Template(), timeout_seconds=0)


def _stage(t: Template, **options: object) -> ApiStage:
    t.add_parameter(function := Parameter("OrdersFunctionArn", Type="String"))
    t.add_parameter(pool := Parameter("UserPoolArn", Type="String"))
    api = RestApi(
        t, "RestApi", name="orders", description="Orders", routes=(ROUTE,), schemas={},
        function_arns={"orders-api": function}, user_pool_arn=pool, stage_name="v1",
    )  # fmt: skip
    defaults: dict[str, object] = {
        "api": api, "stage_name": "v1", "throttling_rate_limit": 5, "throttling_burst_limit": 10,
        "access_log_format": "{}", "access_log_group_name": "/orders/access", "log_retention_days": 30,
    }  # fmt: skip
    return ApiStage(t, "Stage", **{**defaults, **options})


def _web_acl(t: Template, **options: object) -> EdgeWebAcl:
    defaults = {"name": "orders", "rate_limit": 1000, "log_group_name": "aws-waf-logs-orders", "log_retention_days": 30}
    return EdgeWebAcl(t, "WebAcl", **{**defaults, **options})


LOGGING_BLOCKS = {
    "VpcFunction": _function,
    "ApiStage": _stage,
    "Vpc": lambda t, **options: Vpc(t, "Vpc", **{"name": "orders", "cidr": "10.50.0.0/16", **options}),
    "EdgeWebAcl": _web_acl,
}


@pytest.mark.parametrize("block", LOGGING_BLOCKS)
def test_every_block_with_a_log_group_takes_only_a_retention_cloudwatch_logs_has(block):
    """`log_retention_days` is one of LOG_RETENTION_DAYS wherever it is accepted, refused with
    the same message as the environment-wide setting; a wrong one would fail only at launch."""
    make = LOGGING_BLOCKS[block]
    t = Template()
    make(t, log_retention_days=LOG_RETENTION_DAYS[-1])
    assert {r.RetentionInDays for r in t.resources.values() if r.resource_type == "AWS::Logs::LogGroup"} == {3653}
    for days in (8, 0, -7, 3650):
        with pytest.raises(ValidationError) as core:
            TypeAdapter(LogRetentionDays).validate_python(days)
        with pytest.raises(BlockError) as caught:
            make(Template(), log_retention_days=days)
        assert str(caught.value).endswith(f"log_retention_days: {core.value.errors()[0]['msg']}"), str(caught.value)
        assert f"{days} is not a CloudWatch Logs retention period (one of 1, 3, 5, 7, 14, 30," in str(caught.value)


def test_a_vpc_without_nat_has_no_way_out_but_its_endpoints():
    t = Template()
    vpc = Vpc(t, "Vpc", name="orders-dev", cidr="10.50.0.0/16", log_retention_days=30)
    assertions = TemplateAssertions(t.to_dict())
    assertions.resource_count_is("AWS::EC2::NatGateway", 0)
    # No NAT gateway: no public subnet, no internet gateway, no route anywhere but the endpoints'.
    assert assertions.resources("AWS::EC2::Route") == {}
    assertions.resource_count_is("AWS::EC2::InternetGateway", 0)
    assert vpc.public_subnets == [] and len(vpc.private_subnets) == 2
    # The private subnets keep their blocks (the public eighths stay reserved).
    assert [assertions.properties(s.title)["CidrBlock"] for s in vpc.private_subnets] == vpc.subnet_cidrs()[1]
    assert vpc.subnet_cidrs()[1] == ["10.50.64.0/19", "10.50.96.0/19"]
    assertions.resource_count_is("AWS::EC2::VPCEndpoint", 2)
    with pytest.raises(BlockError, match="3 NAT gateways but only 2 availability zones"):
        Vpc(Template(), "Vpc", name="x", cidr="10.50.0.0/16", log_retention_days=30, nat_gateways=3)


def test_nat_gateways_bring_their_public_subnets_and_are_refused_without_them():
    t = Template()
    vpc = Vpc(t, "Vpc", name="orders-dev", cidr="10.50.0.0/16", log_retention_days=30, nat_gateways=1)
    assertions = TemplateAssertions(t.to_dict())
    assert len(vpc.public_subnets) == 2
    assertions.resource_count_is("AWS::EC2::InternetGateway", 1)
    assert sorted(assertions.resources("AWS::EC2::Route")) == [
        "PrivateDefaultRoute0",
        "PrivateDefaultRoute1",
        "PublicDefaultRoute",
    ]
    # Public subnets without NAT, when a team asks for them (e.g. for its load balancer).
    t = Template()
    Vpc(t, "Vpc", name="orders-dev", cidr="10.50.0.0/16", log_retention_days=30, public_subnets=True)
    assertions = TemplateAssertions(t.to_dict())
    assertions.resource_count_is("AWS::EC2::InternetGateway", 1)
    assertions.resource_count_is("AWS::EC2::NatGateway", 0)
    with pytest.raises(BlockError, match="public_subnets is false but nat_gateways is 1: a NAT gateway sits in"):
        Vpc(
            Template(),
            "Vpc",
            name="x",
            cidr="10.50.0.0/16",
            log_retention_days=30,
            nat_gateways=1,
            public_subnets=False,
        )


PREFIX_LISTS = {"s3": "pl-6da54004", "dynamodb": "pl-6fa54006"}


def _least_egress_vpc(t: Template, **options: object) -> Vpc:
    defaults: dict[str, object] = {
        "name": "orders-dev",
        "cidr": "10.50.0.0/16",
        "log_retention_days": 30,
        "gateway_prefix_lists": PREFIX_LISTS,
        "interface_endpoints": ("secretsmanager",),
    }
    return Vpc(t, "Vpc", **{**defaults, **options})


def test_a_least_egress_group_reaches_the_endpoints_and_nothing_else():
    t = Template()
    vpc = _least_egress_vpc(t)
    vpc.least_egress("OrdersSecurityGroup", description="orders functions", name="orders-dev-functions")
    assertions = TemplateAssertions(t.to_dict())
    group = assertions.properties("OrdersSecurityGroup")
    assert "SecurityGroupIngress" not in group
    assert [
        (
            r["IpProtocol"],
            r["FromPort"],
            r["ToPort"],
            r.get("DestinationPrefixListId"),
            r.get("DestinationSecurityGroupId"),
        )
        for r in group["SecurityGroupEgress"]
    ] == [
        ("tcp", 443, 443, "pl-6da54004", None),
        ("tcp", 443, 443, "pl-6fa54006", None),
        ("tcp", 443, 443, None, {"Ref": "EndpointSecurityGroup"}),
    ]
    # The endpoint group lets in HTTPS from the clients' group through its own resource
    # (inline rules naming each other would be a circular dependency), and sends nothing.
    endpoints = assertions.properties("EndpointSecurityGroup")
    assert "SecurityGroupIngress" not in endpoints
    assert endpoints["SecurityGroupEgress"][0]["CidrIp"] == "255.255.255.255/32"
    assert assertions.properties("EndpointIngressFromOrdersSecurityGroup") == {
        "GroupId": {"Ref": "EndpointSecurityGroup"},
        "IpProtocol": "tcp",
        "FromPort": 443,
        "ToPort": 443,
        "SourceSecurityGroupId": {"Ref": "OrdersSecurityGroup"},
        "Description": "HTTPS from orders-dev-functions",
    }
    assertions.has_resource_properties(
        "AWS::EC2::VPCEndpoint",
        {"VpcEndpointType": "Interface", "SecurityGroupIds": [{"Ref": "EndpointSecurityGroup"}]},
    )


@pytest.mark.parametrize(
    ("options", "words"),
    [
        ({"gateway_prefix_lists": {"s3": "pl-6da54004"}}, "gateway_prefix_lists lacks ['dynamodb']"),
        ({"gateway_endpoints": (), "gateway_prefix_lists": {}, "interface_endpoints": ()}, "has nothing to reach"),
    ],
)
def test_a_least_egress_group_is_refused_when_it_cannot_be_least(options, words):
    vpc = _least_egress_vpc(Template(), **options)
    with pytest.raises(BlockError, match=re.escape(words)):
        vpc.least_egress("OrdersSecurityGroup", description="orders", name="orders")


GET_ORDERS = EndpointGrant(sid="Orders", actions=(awsddb.GetItem,), resources=("arn:aws:dynamodb:*:*:table/orders",))


@pytest.mark.parametrize(
    ("options", "words"),
    [
        ({"gateway_prefix_lists": {**PREFIX_LISTS, "sqs": "pl-12345678"}}, "gateway_prefix_lists names ['sqs']"),
        ({"endpoint_policies": {"sqs": (GET_ORDERS,)}}, "endpoint_policies names ['sqs']"),
        ({"interface_endpoints": ("s3",)}, "['s3'] are both gateway_endpoints and interface_endpoints"),
    ],
)
def test_a_vpc_refuses_endpoint_options_it_cannot_apply(options, words):
    with pytest.raises(BlockError, match=re.escape(words)):
        _least_egress_vpc(Template(), **options)


def test_endpoint_policies_let_this_accounts_principals_do_explicit_actions_only():
    t = Template()
    objects = EndpointGrant(
        sid="Exports", actions=(awss3.GetObject,), resources=("arn:aws:s3:::orders-exports/*",), resource_account=True
    )
    _least_egress_vpc(t, endpoint_policies={"dynamodb": (GET_ORDERS,), "s3": (objects,)})
    assertions = TemplateAssertions(t.to_dict())
    account = {"Ref": "AWS::AccountId"}
    assert assertions.properties("DynamoDbGatewayEndpoint")["PolicyDocument"]["Statement"] == [
        {
            "Sid": "Orders",
            "Effect": "Allow",
            "Principal": "*",
            "Action": ["dynamodb:GetItem"],
            "Resource": ["arn:aws:dynamodb:*:*:table/orders"],
            "Condition": {"StringEquals": {"aws:PrincipalAccount": account}},
        }
    ]
    (s3_statement,) = assertions.properties("S3GatewayEndpoint")["PolicyDocument"]["Statement"]
    assert s3_statement["Condition"] == {
        "StringEquals": {"aws:PrincipalAccount": account, "aws:ResourceAccount": account}
    }
    # An endpoint without an entry keeps AWS's default policy.
    assert "PolicyDocument" not in assertions.properties("SecretsmanagerInterfaceEndpoint")
    with pytest.raises(ValueError, match="wildcard action"):
        EndpointGrant(sid="All", actions=(Action("dynamodb", "*"),), resources=("arn:aws:dynamodb:*:*:table/orders",))


ROUTE = Route(
    "GET",
    "/orders/{orderId}",
    "orders-api",
    "getOrder",
    "Read an order.",
    scopes=("orders/read",),
    responses={200: ("The order.", None)},
    parameters=(RouteParameter("orderId", "path", True, "The order."),),
)


def test_a_rest_api_from_a_route_list_authorizes_validates_and_scopes_each_route():
    t = Template()
    function = Parameter("OrdersFunctionArn", Type="String")
    pool = Parameter("UserPoolArn", Type="String")
    t.add_parameter(function)
    t.add_parameter(pool)
    api = RestApi(
        t, "RestApi", name="orders", description="Orders", routes=(ROUTE,), schemas={},
        function_arns={"orders-api": function}, user_pool_arn=pool, stage_name="v1",
    )  # fmt: skip
    ApiStage(
        t, "Stage", api=api, stage_name="v1", throttling_rate_limit=5, throttling_burst_limit=10,
        access_log_format="{}", access_log_group_name="/orders/access", log_retention_days=30,
    )  # fmt: skip
    assertions = TemplateAssertions(t.to_dict())
    method = assertions.properties("GetOrdersOrderIdMethod")
    assert method["AuthorizationType"] == "COGNITO_USER_POOLS" and method["AuthorizationScopes"] == ["orders/read"]
    assert method["RequestParameters"] == {"method.request.path.orderId": True}
    assert method["RequestValidatorId"] == {"Ref": "RequestValidator"}
    permission = assertions.properties("GetOrdersOrderIdPermission")
    assert permission["SourceArn"]["Fn::Sub"].endswith("${RestApi}/v1/GET/orders/*")
    with pytest.raises(BlockError, match="no function_arns entry for 'orders-api'"):
        RestApi(
            Template(), "RestApi", name="o", description="o", routes=(ROUTE,), schemas={}, function_arns={},
            user_pool_arn=pool, stage_name="v1",
        )  # fmt: skip


def test_another_projects_stack_made_of_blocks_passes_cfn_lint(tmp_path):
    t, table = _table(point_in_time_recovery=False)
    vpc = _least_egress_vpc(t, endpoint_policies={"dynamodb": (GET_ORDERS,)})
    functions = vpc.least_egress("FunctionSecurityGroup", description="orders function", name="orders-dev-function")
    _function(
        t,
        subnet_ids=[Ref(s) for s in vpc.private_subnets],
        security_group_ids=(Ref(functions),),
        grants=(table.reference().grant_read_data(sid="ReadOrders"),),
    )
    SecureBucket(t, "ReportsBucket", name="orders-reports", lifecycle_rules=[EXPIRE]).policy()
    path = tmp_path / "orders.json"
    path.write_text(json.dumps(t.to_dict()))
    matches = lint_by_config(ManualArgs(templates=[str(path)], regions=["eu-west-1"], include_checks=["I"]))
    assert [f"{m.rule.id} {m.message}" for m in matches] == []


def _json(value: object) -> object:
    return json.loads(json.dumps(encode_to_dict(value)))
