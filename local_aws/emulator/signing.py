"""Lambda code signing on the emulator: what moto 5.2 lacks for it. Imported by the
emulator process only, registered by local_aws/emulator/registry.py.

- Signer signing jobs (StartSigningJob, DescribeSigningJob): moto's signer backend keeps
  signing profiles only. A job here "signs" by copying the source object version to
  `<destination prefix><job id>.zip` and completes at once, reporting `Succeeded` and the
  signed object as the real API does; a job whose source cannot be read reports `Failed`
  with the reason, and a canceled profile signs nothing.
- CloudFormation models of AWS::Signer::SigningProfile (through moto's signer backend) and
  AWS::Lambda::CodeSigningConfig (kept on the Lambda backend and served by
  GetCodeSigningConfig), with the Ref and GetAtt values CloudFormation documents.
- AWS::S3::Bucket keeps the VersioningConfiguration its template declares (moto's model
  drops it): Signer signs only a version of an object.
- AWS::Lambda::Function keeps its CodeSigningConfigArn (moto's CloudFormation model drops
  it), and with an `Enforce` config Lambda's deployment check: a package must be a signed
  object that a profile version the config allows produced, byte for byte
  (https://docs.aws.amazon.com/lambda/latest/dg/configuration-codesigning.html).
"""

from __future__ import annotations

import hashlib
import json
import re
import string
import time
import uuid
from typing import Any, Self, cast
from urllib.parse import unquote

from moto.awslambda import urls as lambda_urls
from moto.awslambda.exceptions import LambdaClientError
from moto.awslambda.models import LambdaFunction, lambda_backends
from moto.awslambda.responses import LambdaResponse
from moto.core.common_models import CloudFormationModel
from moto.core.exceptions import JsonRESTError
from moto.moto_api._internal import mock_random
from moto.s3.models import FakeBucket, s3_backends
from moto.signer import urls as signer_urls
from moto.signer.models import SignerBackend, signer_backends
from moto.signer.responses import SignerResponse
from moto.utilities.utils import get_partition

from local_aws.emulator.services.base import EmulatedResource

SIGNED_SUFFIX = ".zip"


class _SignerNotFound(JsonRESTError):
    code = 404

    def __init__(self, message: str) -> None:
        super().__init__("ResourceNotFoundException", message)


class _SignerValidation(JsonRESTError):
    code = 400

    def __init__(self, message: str) -> None:
        super().__init__("ValidationException", message)


class CodeVerificationFailed(LambdaClientError):
    """What Lambda answers when an Enforce config refuses a package."""

    code = 400

    def __init__(self, message: str) -> None:
        super().__init__("CodeVerificationFailedException", message)


# --- signing jobs ---------------------------------------------------------------------------


def _jobs(backend: SignerBackend) -> dict[str, dict[str, Any]]:
    jobs: dict[str, dict[str, Any]] = vars(backend).setdefault("signing_jobs", {})
    return jobs


def _signatures(backend: SignerBackend) -> dict[str, str]:
    """SHA-256 of every signed object -> the profile version ARN that signed it."""
    signatures: dict[str, str] = vars(backend).setdefault("signatures", {})
    return signatures


def _months(period: dict[str, Any]) -> float:
    factor = {"DAYS": 1 / 30, "MONTHS": 1.0, "YEARS": 12.0}[str(period.get("type", "MONTHS")).upper()]
    return float(period.get("value", 135)) * factor


def start_signing_job(backend: SignerBackend, params: dict[str, Any]) -> dict[str, Any]:
    """StartSigningJob: sign (copy) the source object version into the destination prefix."""
    name = params.get("profileName", "")
    profile = backend.signing_profiles.get(name)
    if profile is None:
        raise _SignerNotFound(f"signing profile {name} does not exist")
    if profile.status != "Active":
        raise _SignerValidation(f"signing profile {name} is {profile.status}: it cannot start signing jobs")
    source = params["source"]["s3"]
    destination = params["destination"]["s3"]
    job_id = str(uuid.uuid4())
    now = time.time()
    job: dict[str, Any] = {
        "jobId": job_id,
        "source": {"s3": dict(source)},
        "platformId": profile.platform_id,
        "platformDisplayName": "AWS Lambda",
        "profileName": name,
        "profileVersion": profile.profile_version,
        "signingMaterial": {},
        "signingParameters": {},
        "createdAt": now,
        "completedAt": now,
        "requestedBy": f"arn:aws:iam::{backend.account_id}:root",
        "jobOwner": backend.account_id,
        "jobInvoker": backend.account_id,
    }
    s3 = s3_backends[backend.account_id][get_partition(backend.region_name)]
    try:
        obj = s3.get_object(source["bucketName"], source["key"], version_id=source.get("version"))
    except Exception:  # moto raises per-case errors (bucket, key, version): all are "cannot read"
        obj = None
    if obj is None:
        job.update(
            status="Failed",
            statusReason=(
                f"Unable to read the source object s3://{source['bucketName']}/{source['key']} "
                f"version {source.get('version')}"
            ),
        )
    else:
        key = f"{destination.get('prefix', '')}{job_id}{SIGNED_SUFFIX}"
        s3.put_object(destination["bucketName"], key, obj.value)
        _signatures(backend)[hashlib.sha256(obj.value).hexdigest()] = profile.profile_version_arn
        job.update(
            status="Succeeded",
            statusReason="Signing Succeeded",
            signedObject={"s3": {"bucketName": destination["bucketName"], "key": key}},
            signatureExpiresAt=now + _months(profile.signature_validity_period) * 30 * 86400,
        )
    _jobs(backend)[job_id] = job
    return {"jobId": job_id, "jobOwner": backend.account_id}


def describe_signing_job(backend: SignerBackend, job_id: str) -> dict[str, Any]:
    job = _jobs(backend).get(job_id)
    if job is None:
        raise _SignerNotFound(f"signing job {job_id} does not exist")
    return job


def _start_signing_job(self: SignerResponse) -> str:
    return json.dumps(start_signing_job(self.signer_backend, json.loads(self.body)))


def _describe_signing_job(self: SignerResponse) -> str:
    return json.dumps(describe_signing_job(self.signer_backend, unquote(self.path.rstrip("/").split("/")[-1])))


# --- CloudFormation models ------------------------------------------------------------------


class SigningProfile(EmulatedResource, CloudFormationModel):
    """AWS::Signer::SigningProfile through moto's signer backend. Ref is the profile's ARN;
    CloudFormation names the profile (ProfileName is read-only in the resource schema)."""

    ATTRIBUTES = ("Arn", "ProfileName", "ProfileVersion", "ProfileVersionArn")

    def __init__(self, profile: Any) -> None:
        self.physical_resource_id = self.arn = profile.arn
        self.profile_name = profile.name
        self.profile_version = profile.profile_version
        self.profile_version_arn = profile.profile_version_arn

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::Signer::SigningProfile"

    @classmethod
    def create_from_cloudformation_json(
        cls, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str, **kwargs: Any
    ) -> Self:
        props = cloudformation_json["Properties"]
        period = props.get("SignatureValidityPeriod")
        name = re.sub(r"[^0-9A-Za-z_]", "_", resource_name)[:51] + "_" + mock_random.get_random_string(12)
        profile = signer_backends[account_id][region_name].put_signing_profile(
            profile_name=name,
            signature_validity_period={"type": period["Type"], "value": int(period["Value"])} if period else None,
            platform_id=props["PlatformId"],
            signing_material={},
            tags={t["Key"]: t["Value"] for t in props.get("Tags", [])},
        )
        return cls(profile)

    def delete(self, account_id: str, region_name: str) -> None:
        """Deleting the resource cancels the profile, as Signer does."""
        backend = signer_backends[account_id][region_name]
        if self.profile_name in backend.signing_profiles:
            backend.cancel_signing_profile(self.profile_name)


def _configs(account_id: str, region_name: str) -> dict[str, dict[str, Any]]:
    configs: dict[str, dict[str, Any]] = vars(lambda_backends[account_id][region_name]).setdefault(
        "code_signing_configs", {}
    )
    return configs


def _config_document(arn: str, config_id: str, props: dict[str, Any]) -> dict[str, Any]:
    """A code signing config as GetCodeSigningConfig returns it."""
    return {
        "CodeSigningConfigArn": arn,
        "CodeSigningConfigId": config_id,
        "Description": props.get("Description", ""),
        "AllowedPublishers": {
            "SigningProfileVersionArns": list(props["AllowedPublishers"]["SigningProfileVersionArns"])
        },
        "CodeSigningPolicies": {
            "UntrustedArtifactOnDeployment": props.get("CodeSigningPolicies", {}).get(
                "UntrustedArtifactOnDeployment", "Warn"
            )
        },
        "LastModified": time.strftime("%Y-%m-%dT%H:%M:%S.000+0000", time.gmtime()),
    }


class CodeSigningConfig(EmulatedResource, CloudFormationModel):
    """AWS::Lambda::CodeSigningConfig, kept on moto's Lambda backend. Ref is its ARN;
    updates keep the ARN, as Lambda's UpdateCodeSigningConfig does."""

    ATTRIBUTES = ("CodeSigningConfigArn", "CodeSigningConfigId")

    def __init__(self, arn: str, config_id: str, account_id: str, region_name: str) -> None:
        self.physical_resource_id = self.code_signing_config_arn = arn
        self.code_signing_config_id = config_id
        self.account_id, self.region_name = account_id, region_name

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::Lambda::CodeSigningConfig"

    @classmethod
    def create_from_cloudformation_json(
        cls, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str, **kwargs: Any
    ) -> Self:
        config_id = "csc-" + "".join(mock_random.choice(string.ascii_lowercase + string.digits) for _ in range(17))
        arn = f"arn:{get_partition(region_name)}:lambda:{region_name}:{account_id}:code-signing-config:{config_id}"
        _configs(account_id, region_name)[arn] = _config_document(arn, config_id, cloudformation_json["Properties"])
        return cls(arn, config_id, account_id, region_name)

    @classmethod
    def update_from_cloudformation_json(
        cls,
        original_resource: Any,
        new_resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
    ) -> Self:
        arn, config_id = original_resource.code_signing_config_arn, original_resource.code_signing_config_id
        _configs(account_id, region_name)[arn] = _config_document(arn, config_id, cloudformation_json["Properties"])
        return cast("Self", original_resource)

    def delete(self, account_id: str, region_name: str) -> None:
        _configs(account_id, region_name).pop(self.code_signing_config_arn, None)


def _get_code_signing_config(self: LambdaResponse) -> Any:
    arn = unquote(self.path.split("/code-signing-configs/", 1)[1])
    config = _configs(self.current_account, self.region).get(arn)
    if config is None:
        body = {"Type": "User", "Message": f"The code signing configuration cannot be found. Check that {arn} exists."}
        return 404, {"x-amzn-errortype": "ResourceNotFoundException"}, json.dumps(body)
    return 200, {}, json.dumps({"CodeSigningConfig": config})


# --- functions keep their config, and Enforce is enforced -------------------------------------

_create_function = LambdaFunction.create_from_cloudformation_json.__func__  # type: ignore[attr-defined]
_update_function = LambdaFunction.update_from_cloudformation_json.__func__  # type: ignore[attr-defined]


def verify_code(account_id: str, region_name: str, properties: dict[str, Any]) -> None:
    """Lambda's deployment check under an Enforce code signing config: the package must be
    byte for byte what a signing job of an allowed profile version produced."""
    arn = properties.get("CodeSigningConfigArn")
    if not arn:
        return
    config = _configs(account_id, region_name).get(arn)
    if config is None:
        raise CodeVerificationFailed(f"The code signing configuration {arn} does not exist")
    if config["CodeSigningPolicies"]["UntrustedArtifactOnDeployment"] != "Enforce":
        return
    code = properties["Code"]
    s3 = s3_backends[account_id][get_partition(region_name)]
    obj = s3.get_object(code["S3Bucket"], code["S3Key"], version_id=code.get("S3ObjectVersion"))
    digest = hashlib.sha256(obj.value if obj is not None else b"").hexdigest()
    signer = _signatures(signer_backends[account_id][region_name]).get(digest)
    if signer not in config["AllowedPublishers"]["SigningProfileVersionArns"]:
        raise CodeVerificationFailed(
            f"Lambda cannot deploy the function. The code s3://{code['S3Bucket']}/{code['S3Key']} is "
            + ("not signed" if signer is None else f"signed by {signer}, which {arn} does not allow")
        )


def _function_with_code_signing(
    cls: Any,
    /,
    resource_name: str,
    cloudformation_json: dict[str, Any],
    account_id: str,
    region_name: str,
    **kwargs: Any,
) -> Any:
    """AWS::Lambda::Function keeping CodeSigningConfigArn (GetFunctionCodeSigningConfig
    reads it back), after the Enforce check."""
    props = cloudformation_json["Properties"]
    verify_code(account_id, region_name, props)
    function = _create_function(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs)
    function.code_signing_config_arn = props.get("CodeSigningConfigArn")
    return function


def _function_update_with_code_signing(
    cls: Any,
    /,
    original_resource: Any,
    new_resource_name: str,
    cloudformation_json: dict[str, Any],
    account_id: str,
    region_name: str,
) -> Any:
    """Updates check new code only: a config applies to deployments, not to running code."""
    props = cloudformation_json["Properties"]
    if props.get("Code") != getattr(original_resource, "code", None):
        verify_code(account_id, region_name, props)
    function = _update_function(cls, original_resource, new_resource_name, cloudformation_json, account_id, region_name)
    function.code_signing_config_arn = props.get("CodeSigningConfigArn")
    return function


_create_bucket = FakeBucket.create_from_cloudformation_json.__func__  # type: ignore[attr-defined]
_update_bucket = FakeBucket.update_from_cloudformation_json.__func__  # type: ignore[attr-defined]


def _versioning(bucket: Any, cloudformation_json: dict[str, Any], account_id: str, region_name: str) -> Any:
    status = cloudformation_json.get("Properties", {}).get("VersioningConfiguration", {}).get("Status")
    if status:
        s3_backends[account_id][get_partition(region_name)].put_bucket_versioning(bucket.name, status)
    return bucket


def _bucket_with_versioning(
    cls: Any,
    /,
    resource_name: str,
    cloudformation_json: dict[str, Any],
    account_id: str,
    region_name: str,
    **kwargs: Any,
) -> Any:
    bucket = _create_bucket(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs)
    return _versioning(bucket, cloudformation_json, account_id, region_name)


def _bucket_update_with_versioning(
    cls: Any,
    /,
    original_resource: Any,
    new_resource_name: str,
    cloudformation_json: dict[str, Any],
    account_id: str,
    region_name: str,
) -> Any:
    bucket = _update_bucket(cls, original_resource, new_resource_name, cloudformation_json, account_id, region_name)
    return _versioning(bucket, cloudformation_json, account_id, region_name)


MODELS = (SigningProfile, CodeSigningConfig)


def register() -> None:
    """Serve the signing-job and code-signing-config APIs, and keep the functions' and buckets'
    settings code signing needs. Idempotent."""
    signer_urls.url_paths["{0}/signing-jobs$"] = SignerResponse.dispatch
    signer_urls.url_paths["{0}/signing-jobs/(?P<job_id>[^/]+)$"] = SignerResponse.dispatch
    SignerResponse.start_signing_job = _start_signing_job  # type: ignore[attr-defined]
    SignerResponse.describe_signing_job = _describe_signing_job  # type: ignore[attr-defined]
    lambda_urls.url_paths[r"{0}/(?P<api_version>[^/]+)/code-signing-configs/(?P<arn>.+)$"] = LambdaResponse.dispatch
    LambdaResponse.get_code_signing_config = _get_code_signing_config  # type: ignore[attr-defined]
    LambdaFunction.create_from_cloudformation_json = classmethod(_function_with_code_signing)  # type: ignore[method-assign,assignment]
    LambdaFunction.update_from_cloudformation_json = classmethod(_function_update_with_code_signing)  # type: ignore[method-assign,assignment]
    FakeBucket.create_from_cloudformation_json = classmethod(_bucket_with_versioning)  # type: ignore[method-assign,assignment]
    FakeBucket.update_from_cloudformation_json = classmethod(_bucket_update_with_versioning)  # type: ignore[method-assign,assignment]
