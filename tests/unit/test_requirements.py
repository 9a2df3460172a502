"""One test per requirement of the reference design and each of its twelve fixes, asserted
on the templates Sceptre renders for the environments it concerns."""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import pytest
from cfnlint.schema import PROVIDER_SCHEMA_MANAGER

from blueprints.blocks.rest_api import route_id
from blueprints.contract import BACKOFFICE_READ, CUSTOMER_SCOPE, RESOURCE_SERVER, ROUTES
from blueprints.stacks.functions import DEPLOYED, FUNCTIONS
from blueprints.testing import Capture, Match
from tests.conftest import ENVIRONMENTS, ROOT

PROTECTED = ("staging", "prod")
GATEWAY_SERVICES = ("s3", "dynamodb")  # reached through gateway endpoints, NAT or not
ALIAS_RECORDS = ("A", "AAAA")  # the domain's alias records to the distribution


# Fix 1 (critical): globally unique bucket names from environment, account id and region.
@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_logs_bucket_name_is_unique_per_env_account_and_region(template, env):
    t = template(env, "storage")
    t.has_resource_properties(
        "AWS::S3::Bucket", {"BucketName": {"Fn::Sub": f"api-logs-{env}-${{AWS::AccountId}}-${{AWS::Region}}"}}
    )
    unique = rf"-{env}-(.+-)?" + re.escape("${AWS::AccountId}-${AWS::Region}") + "$"
    t.all_resources_properties("AWS::S3::Bucket", {"BucketName": {"Fn::Sub": Match.string_like_regexp(unique)}})


# Fix 2 (critical): least-privilege security groups (and least egress: tests/unit/stacks/test_egress.py).
@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_lambda_security_group_allows_only_https_out_and_nothing_in(template, env):
    sg = template(env, "network").properties("LambdaSecurityGroup")
    assert "SecurityGroupIngress" not in sg
    assert [(r["IpProtocol"], r["FromPort"], r["ToPort"]) for r in sg["SecurityGroupEgress"]] == [("tcp", 443, 443)] * 3
    assert not [r for r in sg["SecurityGroupEgress"] if "CidrIp" in r or "CidrIpv6" in r]


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_endpoint_security_group_allows_https_only_from_the_lambda_group(template, env):
    t = template(env, "network")
    sg = t.properties("EndpointSecurityGroup")
    assert "SecurityGroupIngress" not in sg  # its one rule is a resource of its own (no cycle)
    t.has_resource_properties(
        "AWS::EC2::SecurityGroupIngress",
        {
            "GroupId": {"Ref": "EndpointSecurityGroup"},
            "IpProtocol": "tcp",
            "FromPort": 443,
            "ToPort": 443,
            "SourceSecurityGroupId": {"Ref": "LambdaSecurityGroup"},
        },
    )
    t.resource_count_is("AWS::EC2::SecurityGroupIngress", 1)
    # The one egress rule matches no traffic (it replaces the default allow-all).
    assert sg["SecurityGroupEgress"][0]["CidrIp"] == "255.255.255.255/32"
    # No group lets the internet in, and every rule has a description (a group without rules passes).
    undescribed = Match.not_(Match.array_with([{"Description": Match.not_(Match.string_like_regexp(r"\S"))}]))
    t.all_resources_properties(
        "AWS::EC2::SecurityGroup",
        {
            "SecurityGroupIngress": Match.not_(Match.array_with([{"CidrIp": "0.0.0.0/0"}])),
            "SecurityGroupEgress": undescribed,
        },
    )
    t.all_resources_properties("AWS::EC2::SecurityGroup", {"SecurityGroupIngress": undescribed})
    t.all_resources_properties("AWS::EC2::SecurityGroupIngress", {"Description": Match.string_like_regexp(r"\S")})


# Fixes 3 and 5 (critical, high): certificate before CloudFront before Route53, and the
# alias pointing at the distribution's real domain name.
@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_certificate_then_cloudfront_then_alias_to_the_real_distribution_domain(rendered, template, env):
    cdn = template(env, "cdn")
    assert f"{env}/certificate" in rendered[env]["cdn"].dependencies
    cdn.has_resource_properties(
        "AWS::CloudFront::Distribution",
        {"DistributionConfig": {"ViewerCertificate": {"AcmCertificateArn": {"Ref": "CertificateArn"}}}},
    )
    cdn.resource_count_is("AWS::Route53::RecordSet", len(ALIAS_RECORDS))
    for record_type in ALIAS_RECORDS:
        cdn.has_resource_properties(
            "AWS::Route53::RecordSet",
            {
                "Type": record_type,
                "AliasTarget": {
                    "DNSName": {"Fn::GetAtt": ["Distribution", "DomainName"]},
                    "HostedZoneId": "Z2FDTNDATAQYW2",
                },
            },
        )


# Fix 4 (high): DNS-validated certificate in us-east-1, no wildcard.
@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_certificate_is_dns_validated_in_us_east_1(project, rendered, template, env):
    assert rendered[env]["certificate"].region == "us-east-1"
    domain = project.environments[env].settings.domain
    t = template(env, "certificate")
    t.has_resource_properties(
        "AWS::CertificateManager::Certificate",
        {
            "DomainName": domain,
            "ValidationMethod": "DNS",
            "DomainValidationOptions": [{"DomainName": domain, "HostedZoneId": {"Ref": "HostedZoneId"}}],
            "SubjectAlternativeNames": Match.absent(),
        },
    )
    assert t.template["Rules"]["CertificateRegion"]["Assertions"][0]["Assert"] == {
        "Fn::Equals": [{"Ref": "AWS::Region"}, "us-east-1"]
    }


# Fix 6 (high): AWS clients created once per container, never per call: only common.clients
# creates them (one per service per container, tested in tests/unit/handlers), and every
# handler takes its clients from there.
CLIENT_FACTORIES = {"client", "resource", "Session", "create_client", "get_session"}  # boto3's and botocore's
CLIENTS_MODULE = ROOT / "lambda_code" / "common" / "clients.py"


def _creations(path: Path) -> list[str]:
    """Calls in `path` that make an AWS client or session (`boto3.client(...)`, `x.create_client(...)`)."""
    return [
        ast.unparse(node)
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in CLIENT_FACTORIES
    ]


@pytest.mark.parametrize("source_dir", [spec.source_dir for spec in DEPLOYED])
def test_handlers_create_aws_clients_once_per_container(source_dir):
    handler = ROOT / "lambda_code" / source_dir / "handler.py"
    packaged = [handler, *sorted((ROOT / "lambda_code" / "common").glob("*.py"))]
    elsewhere = {path.name: _creations(path) for path in packaged if path != CLIENTS_MODULE}
    assert {name: calls for name, calls in elsewhere.items() if calls} == {}, "a client made outside common.clients"
    imports = {node.module for node in ast.walk(ast.parse(handler.read_text())) if isinstance(node, ast.ImportFrom)}
    assert "common.clients" in imports, "the handler does not take its clients from common.clients"


def test_the_client_check_finds_the_one_place_that_makes_clients():
    assert sorted(_creations(CLIENTS_MODULE)) == [
        "_session().create_client(service, config=timeouts().config())",
        "botocore.session.get_session()",
    ]


# Fix 7 (high): tables are never deleted and recreated; protected and retained in prod.
@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_tables_cannot_be_silently_replaced(template, env):
    deletion, replacement = ("RetainExceptOnCreate", "Retain") if env in PROTECTED else ("Delete", "Delete")
    template(env, "data").all_resources(
        "AWS::DynamoDB::Table",
        {
            "DeletionPolicy": deletion,
            "UpdateReplacePolicy": replacement,
            # A fixed physical name makes CloudFormation refuse a replacement instead of
            # creating a new, empty table and deleting the old one.
            "Properties": {"TableName": Match.string_like_regexp(f"^payments-{env}-")},
        },
    )


# Fix 8 (medium): no NAT gateway in dev; now in no environment, since the functions' security
# group reaches only the VPC endpoints (tests/unit/stacks/test_egress.py).
@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_nat_gateways_per_environment(project, template, env):
    assert project.environments[env].blueprint("network").config.nat_gateways == 0
    t = template(env, "network")
    t.resource_count_is("AWS::EC2::NatGateway", 0)
    t.resource_count_is("AWS::EC2::EIP", 0)
    t.resource_properties_count_is("AWS::EC2::Route", {"NatGatewayId": Match.any_value()}, 0)
    # The functions reach DynamoDB and S3 through the gateway endpoints, and Secrets
    # Manager (the cursor key) through an interface endpoint.
    t.resource_properties_count_is("AWS::EC2::VPCEndpoint", {"VpcEndpointType": "Gateway"}, len(GATEWAY_SERVICES))
    t.has_resource_properties(
        "AWS::EC2::VPCEndpoint",
        {"ServiceName": {"Fn::Sub": "com.amazonaws.${AWS::Region}.secretsmanager"}, "VpcEndpointType": "Interface"},
    )


# Fix 11 (low): log retention per environment, decided in one place.
@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_every_log_group_has_the_environments_retention(project, rendered, template, env):
    retention = project.environments[env].settings.log_retention_days
    groups = {
        stack: set(template(env, stack).all_resources_properties("AWS::Logs::LogGroup", {"RetentionInDays": retention}))
        for stack in rendered[env]
        if template(env, stack).resources("AWS::Logs::LogGroup")
    }
    assert groups == {
        "network": {"FlowLogGroup"},
        "functions": {f"{spec.title}LogGroup" for spec in DEPLOYED},
        "api": {"AccessLogGroup", "ExecutionLogGroup"},
        "edge": {"WebAclLogGroup"},
    }


def test_retention_is_set_once_per_environment_in_config():
    for env in ENVIRONMENTS:
        text = (ROOT / "sceptre_project" / "config" / env / "config.yaml").read_text()
        assert text.count("retention") == 1, env


# Fix 12 (low): deletion protection in prod (and staging), off in dev.
@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_deletion_protection(template, env):
    protected = env in PROTECTED
    template(env, "data").all_resources_properties("AWS::DynamoDB::Table", {"DeletionProtectionEnabled": protected})
    deletion, replacement = ("RetainExceptOnCreate", "Retain") if protected else ("Delete", "Delete")
    for stack, type_ in (("storage", "AWS::S3::Bucket"), ("zone", "AWS::Route53::HostedZone")):
        template(env, stack).all_resources(type_, {"DeletionPolicy": deletion, "UpdateReplacePolicy": replacement})


# Point-in-time recovery: off in dev, on elsewhere; encryption on everywhere.
@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_tables_pitr_and_encryption(template, env):
    pitr = env != "dev"
    pattern = {
        "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": pitr},
        "SSESpecification": {"SSEEnabled": True},
    }
    template(env, "data").all_resources_properties("AWS::DynamoDB::Table", pattern)


# The design's table shapes.
@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_table_keys_index_and_ttl(template, env):
    t = template(env, "data")
    t.has_resource_properties(
        "AWS::DynamoDB::Table",
        {
            "KeySchema": [
                {"AttributeName": "transactionId", "KeyType": "HASH"},
                {"AttributeName": "timestamp", "KeyType": "RANGE"},
            ],
            "GlobalSecondaryIndexes": [
                {
                    "IndexName": "CustomerIndex",
                    "KeySchema": [
                        {"AttributeName": "customerId", "KeyType": "HASH"},
                        {"AttributeName": "timestamp", "KeyType": "RANGE"},
                    ],
                    "Projection": {"ProjectionType": "ALL"},
                }
            ],
        },
    )
    t.has_resource_properties(
        "AWS::DynamoDB::Table",
        {
            "KeySchema": [{"AttributeName": "sessionId", "KeyType": "HASH"}],
            "TimeToLiveSpecification": {"AttributeName": "expiresAt", "Enabled": True},
        },
    )


# Lambda: explicit memory/timeout, X-Ray, current runtime, reserved concurrency, private
# subnets, one role and one log group per function.
@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_functions_are_configured_per_environment_and_isolated(project, template, env):
    cfg = project.environments[env].settings.stacks["functions"]
    t = template(env, "functions")
    placement = {
        "TracingConfig": Match.exact({"Mode": "Active"}),
        "Runtime": "python3.12",
        "VpcConfig": Match.exact(
            {"SubnetIds": {"Ref": "PrivateSubnetIds"}, "SecurityGroupIds": [{"Ref": "LambdaSecurityGroupId"}]}
        ),
    }
    functions = t.all_resources_properties("AWS::Lambda::Function", placement)
    assert functions == sorted(f"{spec.title}Function" for spec in DEPLOYED)
    for spec in FUNCTIONS:  # the API's functions are sized by the environment
        t.has_resource_properties(
            "AWS::Lambda::Function",
            {
                "FunctionName": f"payments-{env}-{spec.name}",
                "MemorySize": cfg["memory_mb"],
                "Timeout": cfg["timeout_seconds"],
                "ReservedConcurrentExecutions": cfg["reserved_concurrency"],
            },
        )
    for spec in DEPLOYED:  # its own role and its own log group
        props = t.properties(f"{spec.title}Function")
        assert props["Role"] == {"Fn::GetAtt": [f"{spec.title}Role", "Arn"]}
        assert props["LoggingConfig"] == {"LogGroup": {"Ref": f"{spec.title}LogGroup"}}
    # One execution role per function, and where deployments are gradual one CodeDeploy role per function.
    gradual = cfg.get("deployment", "AllAtOnce") != "AllAtOnce"
    t.resource_count_is("AWS::IAM::Role", len(DEPLOYED) * (2 if gradual else 1))
    t.has_resource_properties(
        "AWS::Lambda::Function",
        {"Environment": {"Variables": {"TRANSACTIONS_TABLE": {"Ref": "TransactionsTableName"}}}},
    )
    t.has_resource_properties(
        "AWS::Lambda::Function",
        {"Environment": {"Variables": {"SESSIONS_TABLE": {"Ref": "SessionsTableName"}, "SESSION_TTL_SECONDS": "3600"}}},
    )


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_iam_is_least_privilege(rendered, env):
    """No wildcard action anywhere; '*' resources only for actions AWS gives no resource-level
    permissions: ENI description, X-Ray writes, random password generation."""
    wildcard_ok = {"ec2:DescribeNetworkInterfaces", "xray:PutTraceSegments", "secretsmanager:GetRandomPassword"}
    for stack, item in rendered[env].items():
        for logical_id, resource in json.loads(item.template)["Resources"].items():
            if resource["Type"] != "AWS::IAM::Role":
                continue
            trust = resource["Properties"]["AssumeRolePolicyDocument"]["Statement"]
            assert len(trust) == 1 and list(trust[0]["Principal"]) == ["Service"]
            assert len(trust[0]["Principal"]["Service"]) == 1
            for policy in resource["Properties"]["Policies"]:
                for statement in policy["PolicyDocument"]["Statement"]:
                    assert statement["Effect"] == "Allow"
                    assert all("*" not in action for action in statement["Action"]), (stack, logical_id)
                    if "*" in statement["Resource"]:
                        assert statement["Resource"] == ["*"] and wildcard_ok & set(statement["Action"]), statement


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_each_function_may_touch_only_its_own_table(template, env):
    t = template(env, "functions")
    payment = t.properties("PaymentProcessorRole")["Policies"][0]["PolicyDocument"]["Statement"]
    session = t.properties("SessionManagerRole")["Policies"][0]["PolicyDocument"]["Statement"]
    assert {s["Sid"] for s in payment if s["Action"][0].startswith("dynamodb:")} == {
        "UseTransactionsTable",
        "UseIdempotencyTable",
    }
    assert {s["Sid"] for s in session if s["Action"][0].startswith("dynamodb:")} == {"UseSessionsTable"}
    assert next(s for s in payment if s["Sid"] == "ReadCursorSigningKey") == {
        "Sid": "ReadCursorSigningKey",
        "Effect": "Allow",
        "Action": ["secretsmanager:GetSecretValue"],
        "Resource": [{"Ref": "CursorSigningSecret"}],
    }
    assert not [s for s in session if s["Action"][0].startswith("secretsmanager:")]
    transactions = next(s for s in payment if s["Sid"] == "UseTransactionsTable")
    assert transactions["Action"] == ["dynamodb:PutItem", "dynamodb:GetItem", "dynamodb:Query"]
    assert transactions["Resource"] == [
        {"Ref": "TransactionsTableArn"},
        {"Fn::Sub": "${TransactionsTableArn}/index/CustomerIndex"},
    ]


# API: proxy routes, a validator on every method, permissions scoped by route ARN and
# account, stage logs/metrics/tracing/throttling.
@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_api_methods_are_validated_and_permissions_scoped(template, env):
    t = template(env, "api")
    t.resource_count_is("AWS::ApiGateway::Method", len(ROUTES))
    t.all_resources_properties(
        "AWS::ApiGateway::Method",
        {"RequestValidatorId": {"Ref": "RequestValidator"}, "Integration": {"Type": "AWS_PROXY"}},
    )
    t.resource_count_is("AWS::Lambda::Permission", len(ROUTES))
    stage_arn = re.escape("arn:${AWS::Partition}:execute-api:${AWS::Region}:${AWS::AccountId}:${RestApi}/v1/")
    t.all_resources_properties(
        "AWS::Lambda::Permission",
        {
            "SourceAccount": {"Ref": "AWS::AccountId"},
            "SourceArn": {"Fn::Sub": Match.string_like_regexp(f"^{stage_arn}")},
        },
    )
    t.has_resource_properties(
        "AWS::Lambda::Permission",
        {
            "SourceArn": {
                "Fn::Sub": Match.exact(
                    "arn:${AWS::Partition}:execute-api:${AWS::Region}:${AWS::AccountId}:${RestApi}/v1/GET/payments/*"
                )
            }
        },
    )


# Security defaults: a Cognito authorizer on every method, scopes per method from the contract.
@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_every_method_needs_a_user_pool_token_with_a_scope_of_its_route(rendered, template, env):
    t = template(env, "api")
    (authorizer,) = t.resources("AWS::ApiGateway::Authorizer")
    t.has_resource_properties(
        "AWS::ApiGateway::Authorizer",
        {
            "Type": "COGNITO_USER_POOLS",
            "ProviderARNs": [{"Ref": "UserPoolArn"}],
            "IdentitySource": "method.request.header.Authorization",
        },
    )
    assert f"{env}/identity" in rendered[env]["api"].dependencies
    by_route = {
        (m["Properties"]["HttpMethod"], m["Properties"]["OperationName"]): m["Properties"]
        for m in t.resources("AWS::ApiGateway::Method").values()
    }
    assert set(by_route) == {(r.method, r.operation_id) for r in ROUTES}
    for route in ROUTES:
        method = by_route[(route.method, route.operation_id)]
        assert method["AuthorizationType"] == "COGNITO_USER_POOLS"
        assert method["AuthorizerId"] == {"Ref": authorizer}
        assert method["AuthorizationScopes"] == list(route.scopes)
        assert "Metadata" not in t.resources()[f"{route_id(route)}Method"]
    # Customers write and read their own; back office only reads; nothing else writes.
    writers = {r.operation_id for r in ROUTES if r.method != "GET"}
    assert all(
        by_route[(r.method, r.operation_id)]["AuthorizationScopes"] == [CUSTOMER_SCOPE]
        for r in ROUTES
        if r.operation_id in writers
    )
    assert {r.operation_id for r in ROUTES if BACKOFFICE_READ in r.scopes} == {"getPayment", "listCustomerPayments"}
    t.has_resource_properties(
        "AWS::ApiGateway::GatewayResponse",
        {"ResponseType": "UNAUTHORIZED", "ResponseParameters": {"gatewayresponse.header.WWW-Authenticate": "'Bearer'"}},
    )


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_the_user_pool_has_secure_defaults_and_is_protected_where_data_is(project, template, env):
    settings = project.environments[env].settings
    t = template(env, "identity")
    pool = t.has_resource(
        "AWS::Cognito::UserPool",
        {
            "DeletionPolicy": "RetainExceptOnCreate" if settings.retain_data else "Delete",
            "UpdateReplacePolicy": "Retain" if settings.retain_data else "Delete",
            "Properties": {
                "AdminCreateUserConfig": {"AllowAdminCreateUserOnly": True},  # no self sign-up
                "DeletionProtection": "ACTIVE" if settings.deletion_protection else "INACTIVE",
                "MfaConfiguration": "OPTIONAL",
                "EnabledMfas": ["SOFTWARE_TOKEN_MFA"],
                "UsernameConfiguration": {"CaseSensitive": False},
            },
        },
    )
    assert pool == ["UserPool"]
    policy = t.properties("UserPool")["Policies"]["PasswordPolicy"]
    assert policy["MinimumLength"] >= 12
    assert all(policy[k] for k in ("RequireLowercase", "RequireUppercase", "RequireNumbers", "RequireSymbols"))
    client = t.properties("CustomerClient")
    assert client["PreventUserExistenceErrors"] == "ENABLED"  # no user enumeration
    assert client["GenerateSecret"] is False and client["EnableTokenRevocation"] is True
    assert set(client["ExplicitAuthFlows"]) == {"ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"}
    assert (client["AccessTokenValidity"], client["TokenValidityUnits"]["AccessToken"]) == (60, "minutes")
    assert "AllowedOAuthFlows" not in client  # customers get no client-credentials tokens
    server = t.properties("ApiResourceServer")
    assert server["Identifier"] == RESOURCE_SERVER
    assert [f"{RESOURCE_SERVER}/{s['ScopeName']}" for s in server["Scopes"]] == [BACKOFFICE_READ]


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_api_stage_logs_traces_and_throttles(project, template, env):
    cfg = project.environments[env].settings.stacks["api"]
    t = template(env, "api")
    t.has_resource_properties(
        "AWS::ApiGateway::Stage",
        {
            "TracingEnabled": True,
            "AccessLogSetting": {"DestinationArn": {"Fn::GetAtt": ["AccessLogGroup", "Arn"]}},
            "MethodSettings": [
                {
                    "ResourcePath": "/*",
                    "HttpMethod": "*",
                    "MetricsEnabled": True,
                    "LoggingLevel": "INFO",
                    "DataTraceEnabled": False,
                    "ThrottlingRateLimit": cfg["throttling_rate_limit"],
                    "ThrottlingBurstLimit": cfg["throttling_burst_limit"],
                }
            ],
        },
    )
    stage = next(iter(t.resources("AWS::ApiGateway::Stage").values()))
    assert json.loads(stage["Properties"]["AccessLogSetting"]["Format"])["requestId"] == "$context.requestId"
    assert stage["DependsOn"] == ["ExecutionLogGroup"]
    # The account-wide CloudWatch role is the account's bootstrap's (blueprints/stacks/bootstrap/).
    t.resource_count_is("AWS::ApiGateway::Account", 0)


# CloudFront: TLS 1.2_2021, SNI, HTTPS-only to viewer and origin, no caching, logging,
# security headers.
@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_cloudfront_is_https_only_and_logs(template, env):
    t = template(env, "cdn")
    t.has_resource_properties(
        "AWS::CloudFront::Distribution",
        {
            "DistributionConfig": {
                "ViewerCertificate": {"SslSupportMethod": "sni-only", "MinimumProtocolVersion": "TLSv1.2_2021"},
                "Origins": [
                    {
                        "DomainName": {"Ref": "ApiDomainName"},
                        "OriginPath": {"Fn::Sub": "/${StageName}"},
                        "CustomOriginConfig": {"OriginProtocolPolicy": "https-only", "OriginSSLProtocols": ["TLSv1.2"]},
                    }
                ],
                "DefaultCacheBehavior": {
                    "ViewerProtocolPolicy": "https-only",
                    "CachePolicyId": "4135ea2d-6df8-44a3-9df3-4b5a84be39ad",
                    "ResponseHeadersPolicyId": {"Ref": "SecurityHeadersPolicy"},
                },
                "Logging": {"Bucket": {"Ref": "LogsBucketDomainName"}},
            }
        },
    )
    t.has_resource_properties(
        "AWS::CloudFront::ResponseHeadersPolicy",
        {"ResponseHeadersPolicyConfig": {"SecurityHeadersConfig": {"FrameOptions": {"FrameOption": "DENY"}}}},
    )


# S3: encryption, versioning, all public-access blocks, lifecycle, TLS-only policy.
@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_buckets_are_private_encrypted_versioned_and_tls_only(project, template, env):
    t = template(env, "storage")
    expiry = project.environments[env].settings.stacks["storage"]["log_expiration_days"]
    secure = {
        "BucketEncryption": Match.any_value(),
        "VersioningConfiguration": {"Status": "Enabled"},
        "PublicAccessBlockConfiguration": {
            "BlockPublicAcls": True,
            "BlockPublicPolicy": True,
            "IgnorePublicAcls": True,
            "RestrictPublicBuckets": True,
        },
        "LifecycleConfiguration": Match.any_value(),
    }
    buckets = t.all_resources_properties("AWS::S3::Bucket", secure)
    t.has_resource_properties("AWS::S3::Bucket", {"LifecycleConfiguration": {"Rules": [{"ExpirationInDays": expiry}]}})
    bucket = Capture()
    t.all_resources_properties(
        "AWS::S3::BucketPolicy",
        {
            "Bucket": bucket,
            "PolicyDocument": {
                "Statement": Match.array_with(
                    [
                        {
                            "Effect": "Deny",
                            "Principal": "*",
                            "Action": ["s3:*"],
                            "Condition": {"Bool": {"aws:SecureTransport": False}},
                        }
                    ]
                )
            },
        },
    )
    assert sorted(b["Ref"] for b in bucket.values) == buckets  # one TLS-only policy per bucket


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_vpc_has_flow_logs_private_subnets_and_gateway_endpoints(project, template, env):
    zones = project.environments[env].blueprint("network").config.availability_zones
    t = template(env, "network")
    t.has_resource_properties("AWS::EC2::FlowLog", {"ResourceType": "VPC", "TrafficType": "ALL"})
    # A private subnet per AZ, and a public one only where NAT gateways need it (nowhere).
    public = zones if project.environments[env].blueprint("network").config.nat_gateways else 0
    t.resource_count_is("AWS::EC2::Subnet", zones + public)
    t.all_resources_properties("AWS::EC2::Subnet", {"MapPublicIpOnLaunch": False})
    for service in GATEWAY_SERVICES:
        t.has_resource_properties(
            "AWS::EC2::VPCEndpoint",
            {"ServiceName": {"Fn::Sub": f"com.amazonaws.${{AWS::Region}}.{service}"}, "VpcEndpointType": "Gateway"},
        )


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_every_taggable_resource_carries_the_standard_tags(rendered, env):
    for stack, item in rendered[env].items():
        for logical_id, resource in json.loads(item.template)["Resources"].items():
            schema = PROVIDER_SCHEMA_MANAGER.get_resource_schema("us-east-1", resource["Type"]).schema["properties"]
            key = "HostedZoneTags" if "HostedZoneTags" in schema else "Tags"
            if key not in schema:
                continue  # the resource type takes no tags
            tags = resource.get("Properties", {}).get(key)
            assert tags, f"{env}/{stack} {logical_id} ({resource['Type']}) has no tags"
            as_dict = tags if isinstance(tags, dict) else {tag["Key"]: tag["Value"] for tag in tags}
            assert as_dict["Environment"] == env and as_dict["Stack"] == stack, logical_id
            assert as_dict["Project"] == "payments"


def test_no_missing_authorizer_is_accepted_anywhere(rendered):
    for env, stacks in rendered.items():
        for stack, item in stacks.items():
            assert "CKV_AWS_59" not in item.template, f"{env}/{stack}"


def test_every_suppression_carries_a_reason(rendered):
    for env in ENVIRONMENTS:
        for item in rendered[env].values():
            for resource in json.loads(item.template)["Resources"].values():
                for skip in resource.get("Metadata", {}).get("checkov", {}).get("skip", []):
                    assert skip["id"].startswith("CKV") and len(skip["comment"]) > 20


def test_handler_sources_exist_for_every_function():
    for spec in DEPLOYED:
        assert Path(ROOT / "lambda_code" / spec.source_dir / "handler.py").is_file()
