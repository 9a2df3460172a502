"""Lambda code signing on the emulator: Signer's signing jobs, the code signing config every
launched function has, the signed packages in the artifacts bucket, and Enforce refusing an
unsigned package."""

from __future__ import annotations

import json

import boto3
import pytest
from botocore.exceptions import ClientError

from blueprints.stacks.functions import DEPLOYED
from local_aws.client.launched import LaunchedEnvironment

ENVS = ("dev", "prod")
REGION = "eu-west-1"
pytestmark = pytest.mark.integration


def _versioned_bucket(s3, name: str) -> None:
    s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": REGION})
    s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})


def test_a_signing_job_signs_an_object_version_into_the_destination_prefix(emulator):
    # Not an environment's: in the tooling account, where the emulator's credentials act.
    s3, signer = boto3.client("s3", region_name=REGION), boto3.client("signer", region_name=REGION)
    _versioned_bucket(s3, "signing-jobs-test")
    profile = signer.put_signing_profile(profileName="jobs_test", platformId="AWSLambda-SHA384-ECDSA")
    version = s3.put_object(Bucket="signing-jobs-test", Key="fn/a.zip", Body=b"PK-package")["VersionId"]
    source = {"s3": {"bucketName": "signing-jobs-test", "key": "fn/a.zip", "version": version}}
    destination = {"s3": {"bucketName": "signing-jobs-test", "prefix": "signed/"}}
    job_id = signer.start_signing_job(source=source, destination=destination, profileName="jobs_test")["jobId"]
    job = signer.describe_signing_job(jobId=job_id)
    assert job["status"] == "Succeeded"
    assert job["profileVersion"] == profile["profileVersion"]
    assert job["signedObject"]["s3"] == {"bucketName": "signing-jobs-test", "key": f"signed/{job_id}.zip"}
    assert job["signatureExpiresAt"] > job["createdAt"]
    signed = s3.get_object(Bucket="signing-jobs-test", Key=f"signed/{job_id}.zip")["Body"].read()
    assert signed == b"PK-package"

    gone = {"s3": {**source["s3"], "version": "no-such-version"}}
    failed = signer.describe_signing_job(
        jobId=signer.start_signing_job(source=gone, destination=destination, profileName="jobs_test")["jobId"]
    )
    assert failed["status"] == "Failed" and "Unable to read the source object" in failed["statusReason"]
    assert "signedObject" not in failed

    with pytest.raises(ClientError, match="ResourceNotFoundException"):
        signer.start_signing_job(source=source, destination=destination, profileName="no_such_profile")
    signer.cancel_signing_profile(profileName="jobs_test")
    with pytest.raises(ClientError, match="Canceled"):
        signer.start_signing_job(source=source, destination=destination, profileName="jobs_test")


def _parameters(environment: LaunchedEnvironment, stack: str) -> dict[str, str]:
    cloudformation = environment.client("cloudformation", environment.region(stack))
    name = environment.stacks[stack].rendered.external_name
    described = cloudformation.describe_stacks(StackName=name)["Stacks"][0]
    return {p["ParameterKey"]: p["ParameterValue"] for p in described.get("Parameters", [])}


@pytest.mark.parametrize("env", ENVS)
def test_every_function_deploys_only_code_signed_by_the_environments_profile(launched, env):
    environment = launched[env]
    client = environment.client("lambda", environment.region("functions"))
    allowed = environment.output("storage", "SigningProfileVersionArn")
    configs = set()
    for spec in DEPLOYED:
        name = environment.output("functions", f"{spec.title}FunctionName")
        configs.add(client.get_function_code_signing_config(FunctionName=name)["CodeSigningConfigArn"])
    (arn,) = configs  # one config for the whole stack
    config = client.get_code_signing_config(CodeSigningConfigArn=arn)["CodeSigningConfig"]
    assert config["CodeSigningPolicies"] == {"UntrustedArtifactOnDeployment": "Enforce"}
    assert config["AllowedPublishers"] == {"SigningProfileVersionArns": [allowed]}
    profile = environment.client("signer", environment.region("storage")).get_signing_profile(
        profileName=environment.output("storage", "SigningProfileName")
    )
    assert profile["profileVersionArn"] == allowed and profile["status"] == "Active"


@pytest.mark.parametrize("env", ENVS)
def test_each_function_runs_its_signed_package_from_the_artifacts_bucket(launched, env):
    environment = launched[env]
    s3 = environment.client("s3", environment.region("storage"))
    bucket = environment.output("storage", "ArtifactsBucketName")
    version = environment.output("storage", "SigningProfileVersionArn").rsplit("/", 1)[1]
    parameters = _parameters(environment, "functions")
    for spec in DEPLOYED:
        key = parameters[spec.code_key_parameter]
        assert key.startswith(f"signed/{version}/{spec.source_dir}/") and key.endswith(".zip"), key
        head = s3.head_object(Bucket=bucket, Key=key)
        assert "signature-expires-at" in head["Metadata"]
        unsigned = f"functions/{spec.source_dir}/{key.rsplit('/', 1)[1]}"
        s3.head_object(Bucket=bucket, Key=unsigned)  # the content-addressed source of the signing job
    jobs = s3.list_objects_v2(Bucket=bucket, Prefix="signed/jobs/").get("KeyCount", 0)
    assert jobs == 0  # each job's output was copied to its content address and removed


def test_enforce_refuses_an_unsigned_package(emulator):
    s3 = boto3.client("s3", region_name=REGION)
    _versioned_bucket(s3, "unsigned-packages")
    s3.put_object(Bucket="unsigned-packages", Key="fn.zip", Body=b"PK-unsigned")
    template = {
        "Resources": {
            "Config": {
                "Type": "AWS::Lambda::CodeSigningConfig",
                "Properties": {
                    "AllowedPublishers": {
                        "SigningProfileVersionArns": [
                            "arn:aws:signer:eu-west-1:123456789012:/signing-profiles/someone/abcdefghij"
                        ]
                    },
                    "CodeSigningPolicies": {"UntrustedArtifactOnDeployment": "Enforce"},
                },
            },
            "Function": {
                "Type": "AWS::Lambda::Function",
                "Properties": {
                    "FunctionName": "unsigned-fn",
                    "Runtime": "python3.12",
                    "Handler": "handler.handler",
                    "Role": "arn:aws:iam::123456789012:role/unsigned-fn",
                    "Code": {"S3Bucket": "unsigned-packages", "S3Key": "fn.zip"},
                    "CodeSigningConfigArn": {"Fn::GetAtt": ["Config", "CodeSigningConfigArn"]},
                },
            },
        }
    }
    cloudformation = boto3.client("cloudformation", region_name=REGION)
    cloudformation.create_stack(StackName="unsigned-code", TemplateBody=json.dumps(template))
    stack = cloudformation.describe_stacks(StackName="unsigned-code")["Stacks"][0]
    assert stack["StackStatus"] == "ROLLBACK_COMPLETE"
    events = cloudformation.describe_stack_events(StackName="unsigned-code")["StackEvents"]
    reasons = [e.get("ResourceStatusReason", "") for e in events if e["ResourceStatus"] == "CREATE_FAILED"]
    assert any("CodeVerificationFailedException" in r or "not signed" in r for r in reasons), reasons
    with pytest.raises(ClientError, match="ResourceNotFoundException|Function not found"):
        boto3.client("lambda", region_name=REGION).get_function(FunctionName="unsigned-fn")
