"""dev and prod launched on the emulator, checked through the service APIs for what the
emulator really keeps (properties it ignores are asserted on the rendered templates)."""

from __future__ import annotations

import ipaddress
import json
import subprocess

import boto3
import pytest

from blueprints.contract import ROUTES
from blueprints.project import BLUEPRINTS
from blueprints.stacks.bootstrap import bootstrap_stack_name
from blueprints.stacks.functions import FUNCTIONS
from local_aws.client import control
from local_aws.client.launched import SCEPTRE, LaunchedEnvironment, replication_report, sceptre_launch
from tests.conftest import PROJECT_DIR
from tests.integration.conftest import bootstrap_account, copy_project, start_emulator

ENVS = ("dev", "prod")
pytestmark = pytest.mark.integration


def _client(service: str, env: LaunchedEnvironment, stack: str = "functions"):
    """A client in the environment's account, in the region of its `stack`."""
    return env.client(service, env.region(stack))


def _account(env: LaunchedEnvironment) -> str:
    """The account the environment's clients act in: its own, as its settings say."""
    account: str = env.client("sts", "us-east-1").get_caller_identity()["Account"]
    assert account == env.settings.settings.account_id
    return account


@pytest.mark.parametrize("env", ENVS)
def test_every_stack_is_created_with_every_resource_and_output(launched, env):
    environment = launched[env]
    assert sorted(environment.stacks) == sorted(BLUEPRINTS)
    for stack in environment.stacks.values():
        assert stack.status == "CREATE_COMPLETE"
    assert environment.gaps() == []


@pytest.mark.parametrize("env", ENVS)
def test_tables_have_their_keys_and_index(launched, env):
    environment = launched[env]
    dynamodb = _client("dynamodb", environment)
    transactions = dynamodb.describe_table(TableName=environment.output("data", "TransactionsTableName"))["Table"]
    assert transactions["KeySchema"] == [
        {"AttributeName": "transactionId", "KeyType": "HASH"},
        {"AttributeName": "timestamp", "KeyType": "RANGE"},
    ]
    (index,) = transactions["GlobalSecondaryIndexes"]
    assert index["IndexName"] == "CustomerIndex"
    assert [k["AttributeName"] for k in index["KeySchema"]] == ["customerId", "timestamp"]
    sessions = dynamodb.describe_table(TableName=environment.output("data", "SessionsTableName"))["Table"]
    assert sessions["KeySchema"] == [{"AttributeName": "sessionId", "KeyType": "HASH"}]
    assert transactions["TableName"] == f"payments-{env}-transactions"


@pytest.mark.parametrize("env", ENVS)
def test_logs_bucket_name_and_encryption(launched, env):
    environment = launched[env]
    s3 = _client("s3", environment, "storage")
    account = _account(environment)
    name = environment.output("storage", "LogsBucketName")
    assert name == f"api-logs-{env}-{account}-{environment.region('storage')}"
    rules = s3.get_bucket_encryption(Bucket=name)["ServerSideEncryptionConfiguration"]["Rules"]
    # prod keeps its logs under its own key (tests/integration/test_protection.py), dev under S3's.
    assert rules[0]["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == ("aws:kms" if env == "prod" else "AES256")
    policy = json.loads(s3.get_bucket_policy(Bucket=name)["Policy"])
    assert policy["Statement"][0]["Sid"] == "DenyInsecureTransport"


@pytest.mark.parametrize("env", ENVS)
def test_vpc_subnets_and_nat_per_environment(launched, project, env):
    """No NAT gateway in any environment, hence no public subnet and no internet gateway:
    the VPC's only ways out are its endpoints."""
    assert project.environments[env].blueprint("network").config.nat_gateways == 0
    environment = launched[env]
    ec2 = _client("ec2", environment, "network")
    vpc_id = environment.output("network", "VpcId")
    (vpc,) = ec2.describe_vpcs(VpcIds=[vpc_id])["Vpcs"]
    cidr = ipaddress.IPv4Network(vpc["CidrBlock"])
    subnets = ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["Subnets"]
    assert sorted(s["SubnetId"] for s in subnets) == sorted(
        environment.output("network", "PrivateSubnetIds").split(",")
    )
    assert all(ipaddress.IPv4Network(s["CidrBlock"]).subnet_of(cidr) for s in subnets)
    nats = ec2.describe_nat_gateways(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["NatGateways"]
    assert [n for n in nats if n["State"] != "deleted"] == []
    assert (
        ec2.describe_internet_gateways(Filters=[{"Name": "attachment.vpc-id", "Values": [vpc_id]}])["InternetGateways"]
        == []
    )
    endpoints = ec2.describe_vpc_endpoints(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["VpcEndpoints"]
    kinds = sorted((e["ServiceName"].rsplit(".", 1)[1], e["VpcEndpointType"]) for e in endpoints)
    assert kinds == [("dynamodb", "Gateway"), ("s3", "Gateway"), ("secretsmanager", "Interface")]


def _prefix_list_ids(ec2, region: str) -> set[str]:
    """The AWS-managed prefix lists of the gateway endpoints' services, looked up by name."""
    ids = set()
    for service in ("s3", "dynamodb"):
        name = f"com.amazonaws.{region}.{service}"
        found = ec2.describe_managed_prefix_lists(Filters=[{"Name": "prefix-list-name", "Values": [name]}])
        ids |= {p["PrefixListId"] for p in found["PrefixLists"] if p["OwnerId"] == "AWS"}
    return ids


@pytest.mark.parametrize("env", ENVS)
def test_security_group_rules(launched, env):
    """The functions' group: nothing in; HTTPS out to the gateway endpoints' prefix lists (as
    `!managed_prefix_list` resolved them at launch) and to the endpoints' group only."""
    environment = launched[env]
    ec2 = _client("ec2", environment, "network")
    lambda_sg_id = environment.output("network", "LambdaSecurityGroupId")
    endpoint_sg_id = environment.output("network", "EndpointSecurityGroupId")
    groups = {
        g["GroupId"]: g for g in ec2.describe_security_groups(GroupIds=[lambda_sg_id, endpoint_sg_id])["SecurityGroups"]
    }
    lambda_sg, endpoint_sg = groups[lambda_sg_id], groups[endpoint_sg_id]
    assert lambda_sg["IpPermissions"] == []
    egress = lambda_sg["IpPermissionsEgress"]
    assert {(p["IpProtocol"], p["FromPort"], p["ToPort"]) for p in egress} == {("tcp", 443, 443)}
    assert [r for p in egress for r in p["IpRanges"] + p.get("Ipv6Ranges", [])] == []
    prefix_lists = {pl["PrefixListId"] for p in egress for pl in p.get("PrefixListIds", [])}
    assert len(prefix_lists) == 2
    assert prefix_lists == _prefix_list_ids(ec2, environment.region("network"))
    assert [pair["GroupId"] for p in egress for pair in p["UserIdGroupPairs"]] == [endpoint_sg_id]
    (ingress,) = endpoint_sg["IpPermissions"]
    assert (ingress["FromPort"], ingress["ToPort"]) == (443, 443)
    assert [pair["GroupId"] for pair in ingress["UserIdGroupPairs"]] == [lambda_sg_id]
    assert ingress["IpRanges"] == []
    assert [r["CidrIp"] for p in endpoint_sg["IpPermissionsEgress"] for r in p["IpRanges"]] == ["255.255.255.255/32"]


@pytest.mark.parametrize("env", ENVS)
def test_endpoint_policies_name_only_this_environments_resources(launched, env):
    environment = launched[env]
    region = environment.region("network")
    ec2 = _client("ec2", environment, "network")
    account = _account(environment)
    vpc_id = environment.output("network", "VpcId")
    endpoints = ec2.describe_vpc_endpoints(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["VpcEndpoints"]
    own = (f"payments-{env}-", f"-{env}-{account}-{region}/")
    for endpoint in endpoints:
        service = endpoint["ServiceName"].rsplit(".", 1)[1]
        statements = json.loads(endpoint["PolicyDocument"])["Statement"]
        assert statements, service
        for statement in statements:
            assert statement["Effect"] == "Allow" and statement["Principal"] == "*"
            assert statement["Condition"]["StringEquals"]["aws:PrincipalAccount"] == account
            assert all(a.startswith(f"{service}:") and "*" not in a for a in statement["Action"])
            for resource in statement["Resource"]:
                if resource == "*":
                    assert statement["Action"] == ["secretsmanager:GetRandomPassword"]
                    continue
                assert f":{account}:" in resource or statement["Condition"]["StringEquals"]["aws:ResourceAccount"] == (
                    account
                ), resource
                assert any(part in resource for part in own), resource
    tables = [environment.output("data", f"{t}TableName") for t in ("Transactions", "Sessions", "Idempotency")]
    (dynamodb,) = [e for e in endpoints if e["ServiceName"].endswith(".dynamodb")]
    (table_pattern, _) = json.loads(dynamodb["PolicyDocument"])["Statement"][0]["Resource"]
    assert all(table_pattern.rstrip("*") in f"arn:aws:dynamodb:{region}:{account}:table/{t}" for t in tables)


@pytest.mark.parametrize("env", ENVS)
def test_functions_run_in_the_private_subnets_as_configured(launched, project, env):
    environment = launched[env]
    settings = project.environments[env].settings.stacks["functions"]
    client = _client("lambda", environment)
    private = set(environment.output("network", "PrivateSubnetIds").split(","))
    for title, table_var in (("PaymentProcessor", "TRANSACTIONS_TABLE"), ("SessionManager", "SESSIONS_TABLE")):
        config = client.get_function_configuration(FunctionName=environment.output("functions", f"{title}FunctionName"))
        assert config["Runtime"] == "python3.12"
        assert config["MemorySize"] == settings["memory_mb"]
        assert config["Timeout"] == settings["timeout_seconds"]
        assert set(config["VpcConfig"]["SubnetIds"]) == private
        assert config["VpcConfig"]["SecurityGroupIds"] == [environment.output("network", "LambdaSecurityGroupId")]
        assert table_var in config["Environment"]["Variables"]
        assert config["Environment"]["Variables"][table_var].startswith(f"payments-{env}-")


@pytest.mark.parametrize("env", ENVS)
def test_api_has_every_route(launched, project, env):
    environment = launched[env]
    client = _client("apigateway", environment, "api")
    api_id = environment.output("api", "RestApiId")
    resources = client.get_resources(restApiId=api_id, embed=["methods"])["items"]
    deployed = {(method, r["path"]) for r in resources for method in r.get("resourceMethods", {})}
    assert deployed == {(route.method, route.path) for route in ROUTES}
    stage = client.get_stage(restApiId=api_id, stageName=environment.output("api", "StageName"))
    assert stage["tracingEnabled"] is True
    assert stage["accessLogSettings"]["destinationArn"].endswith(environment.output("api", "AccessLogGroupName"))
    settings = project.environments[env].settings.stacks["api"]
    method_settings = stage["methodSettings"]["*/*"]
    assert method_settings["throttlingRateLimit"] == settings["throttling_rate_limit"]
    assert method_settings["throttlingBurstLimit"] == settings["throttling_burst_limit"]
    assert method_settings["metricsEnabled"] is True and method_settings["dataTraceEnabled"] is False
    # The account-wide execution log role is the one the account's bootstrap made.
    bootstrap = environment.client("cloudformation").describe_stack_resource(
        StackName=bootstrap_stack_name(environment.settings.context), LogicalResourceId="ApiGatewayCloudWatchRole"
    )["StackResourceDetail"]
    assert "ApiGatewayCloudWatchRole" not in environment.stacks["api"].resources
    assert client.get_account()["cloudwatchRoleArn"].rsplit("/", 1)[1] == bootstrap["PhysicalResourceId"]
    assert client.get_account()["cloudwatchRoleArn"].split(":")[4] == _account(environment)
    assert {m["name"] for m in client.get_models(restApiId=api_id)["items"]} == {"PaymentRequest", "SessionRequest"}
    responses = {r["responseType"] for r in client.get_gateway_responses(restApiId=api_id)["items"]}
    assert {"BAD_REQUEST_BODY", "BAD_REQUEST_PARAMETERS", "DEFAULT_4XX", "DEFAULT_5XX"} <= responses
    validators = client.get_request_validators(restApiId=api_id)["items"]
    assert [(v["validateRequestBody"], v["validateRequestParameters"]) for v in validators] == [(True, True)]


@pytest.mark.parametrize("env", ENVS)
def test_certificate_lives_in_us_east_1(launched, env):
    environment = launched[env]
    arn = environment.output("certificate", "CertificateArn")
    assert arn.split(":")[3] == "us-east-1"
    us_east_1 = environment.client("acm", "us-east-1").list_certificates()["CertificateSummaryList"]
    assert arn in [c["CertificateArn"] for c in us_east_1]
    home = environment.client("acm", environment.region()).list_certificates()["CertificateSummaryList"]
    assert arn not in [c["CertificateArn"] for c in home]


@pytest.mark.parametrize("env", ENVS)
def test_alias_points_at_the_real_distribution_domain(launched, project, env):
    environment = launched[env]
    domain = project.environments[env].settings.domain
    distribution = environment.client("cloudfront", "us-east-1").get_distribution(
        Id=environment.output("cdn", "DistributionId")
    )["Distribution"]
    assert distribution["DomainName"] == environment.output("cdn", "DistributionDomainName")
    assert distribution["DistributionConfig"]["Aliases"]["Items"] == [domain]
    behavior = distribution["DistributionConfig"]["DefaultCacheBehavior"]
    headers_policy = environment.stacks["cdn"].resources["SecurityHeadersPolicy"]["PhysicalResourceId"]
    assert behavior["ResponseHeadersPolicyId"] == headers_policy
    assert behavior["ViewerProtocolPolicy"] == "https-only"
    viewer = distribution["DistributionConfig"]["ViewerCertificate"]
    assert viewer["ACMCertificateArn"] == environment.output("certificate", "CertificateArn")
    assert viewer["MinimumProtocolVersion"] == "TLSv1.2_2021"
    records = environment.client("route53", "us-east-1").list_resource_record_sets(
        HostedZoneId=environment.output("zone", "HostedZoneId")
    )["ResourceRecordSets"]
    aliases = {r["Type"]: r["AliasTarget"]["DNSName"].rstrip(".") for r in records if "AliasTarget" in r}
    assert aliases == {"A": distribution["DomainName"], "AAAA": distribution["DomainName"]}


def test_second_launch_of_an_unchanged_environment_updates_nothing(launched, emulator):
    environment = launched["dev"]
    before = {
        name: environment.client("cloudformation", s.rendered.region).describe_stacks(
            StackName=s.rendered.external_name
        )["Stacks"][0]
        for name, s in environment.stacks.items()
    }
    again = sceptre_launch(emulator, "dev")
    assert again.returncode == 0, again.output[-3000:]
    assert again.output.count("No updates to perform") == len(before)
    assert "UPDATE_IN_PROGRESS" not in again.output
    assert "uploaded" not in again.output  # packages already in the bucket, by content address
    for name, stack in environment.stacks.items():
        after = environment.client("cloudformation", stack.rendered.region).describe_stacks(
            StackName=stack.rendered.external_name
        )["Stacks"][0]
        assert after.get("LastUpdatedTime") == before[name].get("LastUpdatedTime"), name


def test_a_launch_failing_part_way_names_the_stack_and_a_corrected_launch_converges(tmp_path):
    """On a fresh emulator: cdn (level 4) gets a hosted zone that does not exist."""
    project = copy_project(tmp_path)
    cdn = project / "stacks" / "cdn.yaml"
    good = cdn.read_text()
    cdn.write_text(
        good.replace(
            "HostedZoneId: !stack_output {{ stack_group_path }}/zone.yaml::HostedZoneId", "HostedZoneId: ZNOTAREALZONE"
        )
    )
    state = tmp_path / "emulator"
    emulator = start_emulator(state)
    try:
        bootstrap_account(emulator, "dev", project)
        failed = sceptre_launch(emulator, "dev", project)
        assert failed.returncode != 0
        assert "dev/cdn payments-dev-cdn AWS::CloudFormation::Stack CREATE_FAILED" in failed.output
        assert "No hosted zone found with ID: ZNOTAREALZONE" in failed.output
        assert "dev/api payments-dev-api AWS::CloudFormation::Stack CREATE_COMPLETE" in failed.output

        cdn.write_text(good)
        fixed = sceptre_launch(emulator, "dev", project)
        assert fixed.returncode == 0, fixed.output[-3000:]
        assert "dev/cdn payments-dev-cdn AWS::CloudFormation::Stack CREATE_COMPLETE" in fixed.output
        # everything else was already there
        assert fixed.output.count("No updates to perform") == len(BLUEPRINTS) - 1
    finally:
        control.stop(state)


def test_a_resource_type_the_emulator_cannot_create_fails_the_stack_loudly():
    cloudformation = boto3.client("cloudformation", region_name="eu-west-1")  # the tooling account's
    template = {
        "Resources": {
            "Bucket": {"Type": "AWS::S3::Bucket"},
            "Api": {"Type": "AWS::AppSync::GraphQLApi", "Properties": {"Name": "x", "AuthenticationType": "API_KEY"}},
        }
    }
    cloudformation.create_stack(StackName="unemulated", TemplateBody=json.dumps(template))
    assert cloudformation.describe_stacks(StackName="unemulated")["Stacks"][0]["StackStatus"] == "ROLLBACK_COMPLETE"
    reasons = [
        e.get("ResourceStatusReason", "")
        for e in cloudformation.describe_stack_events(StackName="unemulated")["StackEvents"]
    ]
    assert any("AWS::AppSync::GraphQLApi is not emulated by the local AWS" in r for r in reasons), reasons


def test_prod_is_locked_and_dev_is_not(launched):
    for env, protected in (("prod", True), ("dev", False)):
        for name, stack in launched[env].stacks.items():
            cloudformation = launched[env].client("cloudformation", stack.rendered.region)
            described = cloudformation.describe_stacks(StackName=stack.rendered.external_name)["Stacks"][0]
            assert described.get("EnableTerminationProtection", False) is protected, (env, name)
            policy = cloudformation.get_stack_policy(StackName=stack.rendered.external_name).get("StackPolicyBody")
            if protected and name == "data":
                deny = json.loads(policy)["Statement"][0]
                assert deny["Action"] == ["Update:Replace", "Update:Delete"]
                assert "LogicalResourceId/TransactionsTable" in deny["Resource"]
            elif not protected:
                assert policy is None, (env, name)


def test_prod_cannot_be_torn_down_by_one_command(launched, emulator):
    result = subprocess.run(
        [SCEPTRE, "--dir", str(PROJECT_DIR), "delete", "--yes", "prod"],
        env=emulator.environment(),
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0
    assert "TerminationProtection is enabled" in result.stdout + result.stderr
    for stack in launched["prod"].stacks.values():
        cloudformation = launched["prod"].client("cloudformation", stack.rendered.region)
        status = cloudformation.describe_stacks(StackName=stack.rendered.external_name)["Stacks"][0]["StackStatus"]
        assert status.endswith("_COMPLETE") and not status.startswith("DELETE"), stack.rendered.name


def test_replication_every_stack_up_to_date_and_the_same_code_everywhere(launched):
    lines, ok = replication_report(list(launched.values()))
    assert ok, lines
    assert lines[:2] == ["dev: every stack up to date", "prod: every stack up to date"]
    assert all("the same everywhere" in line for line in lines[2:])


def test_replication_reports_drift_and_differing_code(launched):
    prod = launched["prod"]
    name = prod.output("functions", "SessionManagerFunctionName")
    client = prod.client("lambda")
    parameters = cloudformation_parameters(prod, "functions")
    bucket = prod.output("storage", "ArtifactsBucketName")
    # A hot fix signed with the environment's own profile (code signing refuses anything
    # else), deployed around CloudFormation.
    s3 = prod.client("s3")
    version = s3.put_object(Bucket=bucket, Key="hotfix.zip", Body=b"not the same")["VersionId"]
    signer = prod.client("signer")
    job = signer.start_signing_job(
        source={"s3": {"bucketName": bucket, "key": "hotfix.zip", "version": version}},
        destination={"s3": {"bucketName": bucket, "prefix": "hotfix/"}},
        profileName=prod.output("storage", "SigningProfileName"),
    )
    signed = signer.describe_signing_job(jobId=job["jobId"])["signedObject"]["s3"]["key"]
    client.update_function_code(FunctionName=name, S3Bucket=bucket, S3Key=signed)
    cloudformation = prod.client("cloudformation")
    template = json.loads(prod.stacks["zone"].rendered.template)
    template["Resources"]["CaaRecord"]["Properties"]["TTL"] = "60"
    cloudformation.update_stack(StackName="payments-prod-zone", TemplateBody=json.dumps(template))
    try:
        lines, ok = replication_report(list(launched.values()))
        assert not ok
        assert "prod: out of date: zone" in lines
        assert any(line.startswith("session-manager code: DIFFERS") and "prod=drift" in line for line in lines)
    finally:
        cloudformation.update_stack(StackName="payments-prod-zone", TemplateBody=prod.stacks["zone"].rendered.template)
        client.update_function_code(FunctionName=name, S3Bucket=bucket, S3Key=parameters["SessionManagerCodeKey"])
    assert replication_report(list(launched.values()))[1]


def cloudformation_parameters(environment, stack):
    client = environment.client("cloudformation", environment.stacks[stack].rendered.region)
    described = client.describe_stacks(StackName=environment.stacks[stack].rendered.external_name)["Stacks"][0]
    return {p["ParameterKey"]: p["ParameterValue"] for p in described["Parameters"]}


def test_each_environment_reads_its_own_cursor_secret(launched):
    """Secrets without a Name get a unique one, as in CloudFormation: dev's and prod's are two
    secrets, each in its environment's account and readable under the ARN its function holds."""
    arns = {}
    for env in ENVS:
        environment = launched[env]
        spec = next(s for s in FUNCTIONS if s.reads_cursor_secret)
        arns[env] = environment.function_environment(spec)["CURSOR_SECRET_ARN"]
        assert arns[env].split(":")[4] == environment.settings.settings.account_id
        secret = _client("secretsmanager", environment).get_secret_value(SecretId=arns[env])
        assert len(secret["SecretString"]) == 64
    assert len(set(arns.values())) == len(ENVS)
