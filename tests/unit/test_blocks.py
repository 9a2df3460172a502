"""The building blocks on their own: secure defaults, refused combinations named, and
least-privilege grants; and a stack of another project composed from them passes cfn-lint."""

from __future__ import annotations

import json

import pytest
from awacs import dynamodb as awsddb
from cfnlint.api import lint_by_config
from cfnlint.config import ManualArgs
from troposphere import Parameter, Ref, Template, ec2, encode_to_dict, s3

from blueprints.blocks import (
    READ_DATA,
    Attribute,
    BlockError,
    GlobalIndex,
    SecureBucket,
    Table,
    TableReference,
    Vpc,
    VpcFunction,
)
from blueprints.blocks.rest_api import ApiStage, RestApi
from blueprints.contract import Parameter as RouteParameter
from blueprints.contract import Route
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
            "DeletionPolicy": "Retain",
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


@pytest.mark.parametrize(
    ("options", "words"),
    [
        ({"read_capacity": None}, "billing PROVISIONED needs read_capacity and write_capacity"),
        ({"billing": "PAY_PER_REQUEST"}, "billing PAY_PER_REQUEST takes no read_capacity or write_capacity"),
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
    assert [s["Sid"] for s in statements] == ["WriteOwnLogs", "AttachToVpc", "WriteTraces", "ReadOrders"]
    function = assertions.properties("OrdersFunction")
    assert function["TracingConfig"] == {"Mode": "Active"} and "ReservedConcurrentExecutions" not in function
    with pytest.raises(BlockError, match="timeout_seconds"):
        _function(Template(), timeout_seconds=0)


def test_a_vpc_without_nat_has_no_way_out_but_its_endpoints():
    t = Template()
    vpc = Vpc(t, "Vpc", name="orders-dev", cidr="10.50.0.0/16", log_retention_days=30)
    assertions = TemplateAssertions(t.to_dict())
    assertions.resource_count_is("AWS::EC2::NatGateway", 0)
    routes = assertions.resources("AWS::EC2::Route")
    assert list(routes) == ["PublicDefaultRoute"]
    assert len(vpc.private_subnets) == len(vpc.public_subnets) == 2
    assertions.resource_count_is("AWS::EC2::VPCEndpoint", 2)
    with pytest.raises(BlockError, match="3 NAT gateways but only 2 availability zones"):
        Vpc(Template(), "Vpc", name="x", cidr="10.50.0.0/16", log_retention_days=30, nat_gateways=3)


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
    vpc = Vpc(t, "Vpc", name="orders-dev", cidr="10.50.0.0/16", log_retention_days=30)
    _function(
        t,
        subnet_ids=[Ref(s) for s in vpc.private_subnets],
        security_group_ids=(Ref(t.add_resource(_security_group(vpc))),),
        grants=(table.reference().grant_read_data(sid="ReadOrders"),),
    )
    SecureBucket(t, "ReportsBucket", name="orders-reports", lifecycle_rules=[EXPIRE]).policy()
    path = tmp_path / "orders.json"
    path.write_text(json.dumps(t.to_dict()))
    matches = lint_by_config(ManualArgs(templates=[str(path)], regions=["eu-west-1"], include_checks=["I"]))
    assert [f"{m.rule.id} {m.message}" for m in matches] == []


def _json(value: object) -> object:
    return json.loads(json.dumps(encode_to_dict(value)))


def _security_group(vpc: Vpc) -> object:
    return ec2.SecurityGroup(
        "FunctionSecurityGroup",
        GroupDescription="orders function",
        VpcId=Ref(vpc.vpc),
        SecurityGroupEgress=[
            ec2.SecurityGroupRule(IpProtocol="tcp", FromPort=443, ToPort=443, CidrIp="10.50.0.0/16", Description="in")
        ],
    )
