"""Lambda code signing: the signing profile, the code signing config every function has, the
VpcFunction option, and the `!function_package` resolver signing packages with Signer."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import jinja2
import pytest
import yaml
from botocore.exceptions import ClientError
from sceptre.exceptions import SceptreException
from troposphere import Template

from blueprints.blocks.function import VpcFunctionOptions
from blueprints.deploy import packaging
from blueprints.deploy.packaging import EXPIRES_AT, ArtifactStore, SigningFailed, build_package
from blueprints.sceptre.errors import BlueprintConfigError
from blueprints.sceptre.resolvers.function_package import FunctionPackageResolver
from blueprints.stacks.functions import DEPLOYED
from blueprints.testing import Match, TemplateAssertions
from tests.conftest import ENVIRONMENTS, PROJECT_DIR
from tests.unit.blocks.test_blocks import _function
from tests.unit.sceptre.test_render import _TaggedLoader

PROFILE_VERSION_ARN = {"Ref": "SigningProfileVersionArn"}
CONFIG_ARN = {"Fn::GetAtt": ["CodeSigningConfig", "CodeSigningConfigArn"]}


# --- rendered templates ---------------------------------------------------------------------


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_the_storage_stack_has_a_lambda_signing_profile_and_names_it(template, env):
    storage = template(env, "storage")
    storage.resource_count_is("AWS::Signer::SigningProfile", 1)
    storage.has_resource_properties(
        "AWS::Signer::SigningProfile",
        {"PlatformId": "AWSLambda-SHA384-ECDSA", "SignatureValidityPeriod": {"Type": "MONTHS", "Value": 135}},
    )
    storage.has_output("SigningProfileName", {"Value": {"Fn::GetAtt": ["LambdaSigningProfile", "ProfileName"]}})
    storage.has_output(
        "SigningProfileVersionArn", {"Value": {"Fn::GetAtt": ["LambdaSigningProfile", "ProfileVersionArn"]}}
    )


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_every_function_enforces_signatures_of_that_profile_version(template, env):
    functions = template(env, "functions")
    functions.resource_count_is("AWS::Lambda::CodeSigningConfig", 1)
    functions.has_resource_properties(
        "AWS::Lambda::CodeSigningConfig",
        {
            "AllowedPublishers": {"SigningProfileVersionArns": [PROFILE_VERSION_ARN]},
            "CodeSigningPolicies": {"UntrustedArtifactOnDeployment": "Enforce"},
        },
    )
    functions.resource_count_is("AWS::Lambda::Function", len(DEPLOYED))
    functions.all_resources_properties("AWS::Lambda::Function", {"CodeSigningConfigArn": CONFIG_ARN})


def test_no_template_of_any_environment_accepts_unsigned_code(rendered):
    for env in ENVIRONMENTS:
        for stack, item in rendered[env].items():
            assert "CKV_AWS_272" not in item.template, (env, stack)


def test_the_stack_file_signs_every_package_with_the_storage_stacks_profile():
    text = jinja2.Template((PROJECT_DIR / "stacks" / "functions.yaml").read_text()).render(stack_group_path="dev")
    parameters = yaml.load(text, Loader=_TaggedLoader)["parameters"]
    assert parameters["SigningProfileVersionArn"] == ("!stack_output", "dev/storage.yaml::SigningProfileVersionArn")
    for spec in DEPLOYED:
        tag, argument = parameters[spec.code_key_parameter]
        assert tag == "!function_package"
        assert argument["signing_profile"] == ("!stack_output", "dev/storage.yaml::SigningProfileName"), spec.name


# --- the VpcFunction option -------------------------------------------------------------------


def _skips(assertions: TemplateAssertions) -> dict[str, str]:
    metadata = assertions.template["Resources"]["OrdersFunction"].get("Metadata", {})
    return {s["id"]: s["comment"] for s in metadata.get("checkov", {}).get("skip", [])}


def test_a_function_with_a_code_signing_config_has_it_and_accepts_no_finding_for_it():
    t = Template()
    arn = "arn:aws:lambda:eu-west-1:123456789012:code-signing-config:csc-0123456789abcdefg"
    _function(t, code_signing_config=arn)
    assertions = TemplateAssertions(t.to_dict())
    assertions.has_resource_properties("AWS::Lambda::Function", {"CodeSigningConfigArn": arn})
    assert "CKV_AWS_272" not in _skips(assertions)


def test_a_function_without_one_says_so_truthfully():
    t = Template()
    _function(t)
    assertions = TemplateAssertions(t.to_dict())
    assertions.has_resource_properties("AWS::Lambda::Function", {"CodeSigningConfigArn": Match.absent()})
    reason = _skips(assertions)["CKV_AWS_272"]
    assert "code_signing_config" in reason
    assert not re.search(r"\b(yet|planned|later|todo)\b", reason, re.IGNORECASE)


def test_the_option_is_documented_with_its_default():
    description = VpcFunctionOptions.model_fields["code_signing_config"].description or ""
    assert VpcFunctionOptions.model_fields["code_signing_config"].default is None
    assert "default none" in description and "CodeSigningConfig" in description


# --- signing packages -------------------------------------------------------------------------

BUCKET = "artifacts"
PROFILE = "payments_dev_signer"
VERSION = "a1b2c3d4e5"
JOB = "0f1e2d3c-job"
LATER = datetime(2040, 1, 1, tzinfo=UTC)
NOW = datetime(2030, 1, 1, tzinfo=UTC)


def _not_found(operation: str) -> ClientError:
    return ClientError({"Error": {"Code": "404", "Message": "Not Found"}}, operation)


class _Aws:
    """Sceptre's ConnectionManager.call, scripted: S3 as a dict of objects, Signer's jobs
    answering `statuses` in turn."""

    def __init__(self, statuses: tuple[str, ...] = ("Succeeded",), versioned: bool = True) -> None:
        self.objects: dict[str, dict[str, Any]] = {}
        self.statuses = list(statuses)
        self.versioned = versioned
        self.profile_status = "Active"
        self.calls: list[str] = []
        self.started: dict[str, Any] = {}

    def call(self, service: str, command: str, kwargs: dict[str, Any], region: str | None = None) -> Any:
        assert region == "eu-west-1"
        self.calls.append(command)
        return getattr(self, command)(**kwargs)

    def get_signing_profile(self, profileName: str) -> dict[str, Any]:
        assert profileName == PROFILE
        return {"profileName": PROFILE, "profileVersion": VERSION, "status": self.profile_status}

    def head_object(self, Bucket: str, Key: str) -> dict[str, Any]:
        if Key not in self.objects:
            raise _not_found("HeadObject")
        return self.objects[Key]

    def put_object(self, Bucket: str, Key: str, Body: bytes) -> dict[str, Any]:
        self.objects[Key] = {"VersionId": "v1" if self.versioned else "null", "Body": Body}
        return {"VersionId": self.objects[Key]["VersionId"]}

    def start_signing_job(self, **kwargs: Any) -> dict[str, Any]:
        self.started = kwargs
        return {"jobId": JOB}

    def describe_signing_job(self, jobId: str) -> dict[str, Any]:
        status = self.statuses.pop(0)
        job: dict[str, Any] = {"jobId": jobId, "status": status}
        if status == "Succeeded":
            key = f"signed/jobs/{jobId}.zip"
            self.objects[key] = {"Body": b"signed:" + self.objects[self.started["source"]["s3"]["key"]]["Body"]}
            job["signedObject"] = {"s3": {"bucketName": BUCKET, "key": key}}
            job["signatureExpiresAt"] = LATER
        elif status == "Failed":
            job["statusReason"] = "Unable to sign: the object is already signed"
        return job

    def copy_object(self, Bucket: str, Key: str, CopySource: dict[str, str], **kwargs: Any) -> dict[str, Any]:
        self.objects[Key] = {**self.objects[CopySource["Key"]], "Metadata": kwargs["Metadata"]}
        return {}

    def delete_object(self, Bucket: str, Key: str) -> dict[str, Any]:
        del self.objects[Key]
        return {}


def _source(tmp_path: Path) -> Path:
    source = tmp_path / "code"
    source.mkdir(exist_ok=True)
    (source / "handler.py").write_text("def handler(event, context):\n    return event\n")
    (tmp_path / "project").mkdir(exist_ok=True)
    return source


def _resolver(tmp_path: Path, aws: _Aws, **arguments: Any) -> FunctionPackageResolver:
    stack = SimpleNamespace(
        name="dev/functions",
        region="eu-west-1",
        stack_group_config={"project_path": str(tmp_path / "project")},
        connection_manager=aws,
    )
    argument = {"source": "../code", "bucket": BUCKET, "signing_profile": PROFILE, **arguments}
    return FunctionPackageResolver(argument, stack)


def test_the_resolver_signs_the_uploaded_version_and_resolves_to_the_signed_content_address(tmp_path):
    package = build_package(_source(tmp_path))
    aws = _Aws()
    key = _resolver(tmp_path, aws).resolve()
    assert key == f"signed/{VERSION}/code/{package.sha256}.zip"
    assert aws.started["source"] == {"s3": {"bucketName": BUCKET, "key": package.key, "version": "v1"}}
    assert aws.started["destination"] == {"s3": {"bucketName": BUCKET, "prefix": "signed/jobs/"}}
    assert aws.started["profileName"] == PROFILE
    assert aws.objects[key]["Body"] == b"signed:" + package.content
    assert aws.objects[key]["Metadata"][EXPIRES_AT] == LATER.isoformat()
    assert sorted(aws.objects) == sorted([package.key, key])  # the job's own output is removed
    assert aws.calls == [
        "get_signing_profile",
        "head_object",
        "head_object",
        "put_object",
        "start_signing_job",
        "describe_signing_job",
        "copy_object",
        "delete_object",
    ]


def test_an_unchanged_package_reuses_its_signed_object_without_signing_again(tmp_path):
    _source(tmp_path)
    aws = _Aws()
    first = _resolver(tmp_path, aws).resolve()
    aws.calls.clear()
    assert _resolver(tmp_path, aws).resolve() == first
    assert aws.calls == ["get_signing_profile", "head_object"]


def test_a_signature_about_to_expire_is_renewed_under_the_same_key(tmp_path):
    package = build_package(_source(tmp_path))
    aws = _Aws(statuses=("Succeeded",))
    key = f"signed/{VERSION}/code/{package.sha256}.zip"
    soon = datetime.now(UTC) + timedelta(days=3)
    aws.objects[key] = {"Metadata": {EXPIRES_AT: soon.isoformat()}, "Body": b"old"}
    assert _resolver(tmp_path, aws).resolve() == key
    assert "start_signing_job" in aws.calls
    assert aws.objects[key]["Body"] == b"signed:" + package.content


def test_a_failed_signing_job_stops_the_launch_naming_the_stack_the_job_and_its_reason(tmp_path, monkeypatch):
    _source(tmp_path)
    aws = _Aws(statuses=("InProgress", "Failed"))
    sleeps: list[float] = []
    monkeypatch.setattr(packaging.time, "sleep", sleeps.append)
    with pytest.raises(SceptreException) as caught:
        _resolver(tmp_path, aws).resolve()
    message = str(caught.value)
    assert isinstance(caught.value, FunctionPackageResolver.SigningFailed)
    assert message.startswith("environment 'dev', stack 'functions': signing functions/code/")
    assert f"profile '{PROFILE}'" in message and f"job {JOB} is Failed" in message
    assert "Unable to sign: the object is already signed" in message
    assert "\n" not in message
    assert sleeps == [2.0]  # polled again once while InProgress
    assert "copy_object" not in aws.calls


def test_a_job_that_never_finishes_is_reported_not_awaited_forever(tmp_path):
    package = build_package(_source(tmp_path))
    aws = _Aws(statuses=("InProgress",) * 3)
    store = ArtifactStore(
        lambda service, command, **kw: aws.call(service, command, kw, region="eu-west-1"),
        BUCKET,
        "environment 'dev', stack 'functions'",
        max_polls=3,
        sleep=lambda seconds: None,
    )
    with pytest.raises(SigningFailed, match=f"job {JOB} still InProgress after 6 s"):
        store.signed(package, PROFILE)


def test_a_canceled_profile_or_an_unversioned_bucket_is_refused_before_any_job(tmp_path):
    package = build_package(_source(tmp_path))
    canceled = _Aws()
    canceled.profile_status = "Canceled"
    unversioned = _Aws(versioned=False)
    for aws, words in ((canceled, "is Canceled"), (unversioned, "is not versioned")):
        store = ArtifactStore(
            lambda service, command, a=aws, **kw: a.call(service, command, kw, region="eu-west-1"),
            BUCKET,
            "environment 'dev', stack 'functions'",
            now=lambda: NOW,
        )
        with pytest.raises(SigningFailed, match=rf"^environment 'dev', stack 'functions': .*{words}"):
            store.signed(package, PROFILE)
        assert "start_signing_job" not in aws.calls


def test_without_a_signing_profile_the_unsigned_key_is_resolved_as_before(tmp_path):
    package = build_package(_source(tmp_path))
    aws = _Aws()
    resolver = _resolver(tmp_path, aws)
    resolver.argument = {"source": "../code", "bucket": BUCKET}
    assert resolver.resolve() == package.key
    assert aws.calls == ["head_object", "put_object"]


def _line_of(path: Path, text: str) -> int:
    return next(i for i, line in enumerate(path.read_text().splitlines(), 1) if text in line)


@pytest.mark.parametrize(
    ("profile", "words"),
    [
        ("payments-dev", "'signing_profile' is a Signer profile name"),
        ("x", "'signing_profile' is a Signer profile name"),
        (["p"], "'signing_profile' is a Signer profile name"),
    ],
)
def test_a_bad_signing_profile_argument_is_located_before_any_aws_call(project_copy, profile, words):
    root = project_copy()
    (root.parent / "code").mkdir()
    (root.parent / "code" / "handler.py").write_text("")
    stack = SimpleNamespace(name="dev/functions", region="eu-west-1", stack_group_config={"project_path": str(root)})
    resolver = FunctionPackageResolver({"source": "../code", "bucket": BUCKET, "signing_profile": profile}, stack)
    line = _line_of(root / "stacks" / "functions.yaml", "parameters:")
    with pytest.raises(BlueprintConfigError, match=rf"^stacks/functions.yaml:{line}: .*field 'parameters': .*{words}"):
        resolver.resolve()  # the fake stack has no connection manager: no AWS call
