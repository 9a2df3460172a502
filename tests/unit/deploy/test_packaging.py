"""Function packages: byte-stable zips, content-addressed keys, uploaded once."""

from __future__ import annotations

import io
import json
import os
import zipfile
from pathlib import Path
from types import SimpleNamespace

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from blueprints.deploy import packaging
from blueprints.deploy.packaging import build_package, zip_directories
from blueprints.sceptre.resolvers.function_package import FunctionPackageResolver
from tests.conftest import ROOT


def _function(tmp_path: Path, name: str = "fn", body: str = "def handler(e, c):\n    return e\n") -> Path:
    source = tmp_path / name
    source.mkdir()
    (source / "handler.py").write_text(body)
    (source / "__pycache__").mkdir()
    (source / "__pycache__" / "handler.cpython-311.pyc").write_bytes(b"junk")
    (source / "stale.pyc").write_bytes(b"junk")
    return source


def test_zip_is_byte_stable_whatever_the_file_times(tmp_path):
    source = _function(tmp_path)
    first = build_package(source)
    os.utime(source / "handler.py", (1_000_000, 1_000_000))
    second = build_package(source)
    assert first.content == second.content
    assert first.key == f"functions/fn/{first.sha256}.zip"
    with zipfile.ZipFile(io.BytesIO(first.content)) as archive:
        assert archive.namelist() == ["handler.py"]  # caches left out
        info = archive.getinfo("handler.py")
        assert info.date_time == packaging.ZIP_EPOCH
        assert info.external_attr >> 16 == 0o644


def test_changed_code_changes_the_key(tmp_path):
    before = build_package(_function(tmp_path, "a"))
    after = build_package(_function(tmp_path, "b", body="def handler(e, c):\n    return None\n"))
    assert before.sha256 != after.sha256


def test_entries_are_sorted_and_later_roots_win(tmp_path):
    deps, source = tmp_path / "deps", tmp_path / "src"
    (deps / "pkg").mkdir(parents=True)
    (deps / "pkg" / "__init__.py").write_text("x = 1\n")
    (deps / "handler.py").write_text("shadowed\n")
    source.mkdir()
    (source / "handler.py").write_text("mine\n")
    with zipfile.ZipFile(io.BytesIO(zip_directories(deps, source))) as archive:
        assert archive.namelist() == ["handler.py", "pkg/__init__.py"]
        assert archive.read("handler.py") == b"mine\n"


def test_a_directory_without_handler_is_refused(tmp_path):
    with pytest.raises(FileNotFoundError, match="has no handler.py"):
        build_package(tmp_path)


def test_requirements_are_installed_for_the_lambda_platform(tmp_path, monkeypatch):
    source = _function(tmp_path)
    (source / "requirements.txt").write_text("# pinned\nsomething==1.0\n")
    calls = []

    def fake_run(argv, check):
        calls.append(argv)
        target = Path(argv[argv.index("--target") + 1])
        (target / "something").mkdir(parents=True)
        (target / "something" / "__init__.py").write_text("")

    monkeypatch.setattr(packaging.subprocess, "run", fake_run)
    package = build_package(source)
    argv = calls[0]
    assert argv[argv.index("--platform") + 1] == "manylinux2014_aarch64"
    assert argv[argv.index("--python-version") + 1] == "3.12"
    assert "--only-binary=:all:" in argv
    with zipfile.ZipFile(io.BytesIO(package.content)) as archive:
        assert archive.namelist() == ["handler.py", "requirements.txt", "something/__init__.py"]


def test_comment_only_requirements_install_nothing(tmp_path, monkeypatch):
    source = _function(tmp_path)
    (source / "requirements.txt").write_text("# boto3 is in the Lambda runtime\n\n")
    monkeypatch.setattr(packaging.subprocess, "run", lambda *a, **k: pytest.fail("pip was run"))
    build_package(source)


# What functions.yaml zips beside every handler: the shared plumbing and the API contract.
SHARED = (ROOT / "lambda_code" / "common", ROOT / "blueprints" / "contract")


def test_the_real_handlers_package_with_the_shared_code_and_nothing_else():
    """The handlers need only what the Lambda runtime has (botocore): the package is the
    handler, `common` and the contract; no dependency is zipped that nothing imports."""
    stack = (ROOT / "sceptre_project" / "stacks" / "functions.yaml").read_text()
    assert stack.count("shared: [../lambda_code/common, ../blueprints/contract]") == 2
    for name in ("payment_processor", "session_manager"):
        package = build_package(ROOT / "lambda_code" / name, SHARED, ROOT / ".build" / "lambda-deps")
        with zipfile.ZipFile(io.BytesIO(package.content)) as archive:
            names = archive.namelist()
        assert {"handler.py", "common/api.py", "contract/__init__.py"} <= set(names)
        assert {n.split("/")[0] for n in names} == {"handler.py", "common", "contract"}
        assert not [n for n in names if n.endswith(".pyc")]
        assert package == build_package(ROOT / "lambda_code" / name, SHARED, ROOT / ".build" / "lambda-deps")


def test_a_function_with_requirements_gets_real_wheels_for_lambda(tmp_path):
    """Real pip, real wheels for python3.12 on arm64 (cached in .build/ as launches do)."""
    source = tmp_path / "fn"
    source.mkdir()
    (source / "handler.py").write_text("def handler(event, context):\n    return {}\n")
    (source / "requirements.txt").write_text("aws-lambda-powertools==3.37.0\n")
    package = build_package(source, (), ROOT / ".build" / "lambda-deps")
    with zipfile.ZipFile(io.BytesIO(package.content)) as archive:
        names = archive.namelist()
    assert {"handler.py", "aws_lambda_powertools/__init__.py"} <= set(names)
    assert not [n for n in names if n.endswith(".pyc")]
    assert package == build_package(source, (), ROOT / ".build" / "lambda-deps")


class _ConnectionManager:
    """Sceptre's ConnectionManager.call, backed by boto3 (under moto here)."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    def call(self, service, command, kwargs, region=None):
        self.calls.append(command)
        return getattr(boto3.client(service, region_name=region), command)(**kwargs)


@pytest.fixture
def s3(monkeypatch):
    monkeypatch.delenv("AWS_ENDPOINT_URL")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        client = boto3.client("s3", region_name="eu-west-1")
        client.create_bucket(Bucket="artifacts", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
        yield client


def _resolver(tmp_path: Path, source: str, bucket: str = "artifacts") -> FunctionPackageResolver:
    stack = SimpleNamespace(
        name="dev/functions",
        region="eu-west-1",
        stack_group_config={"project_path": str(tmp_path / "project")},
        connection_manager=_ConnectionManager(),
    )
    resolver = FunctionPackageResolver({"source": source, "bucket": bucket}, stack)
    return resolver


def test_resolver_uploads_once_and_returns_the_content_address(tmp_path, s3):
    _function(tmp_path, "code")
    (tmp_path / "project").mkdir()
    first = _resolver(tmp_path, "../code")
    key = first.resolve()
    assert key.startswith("functions/code/") and key.endswith(".zip")
    assert first.stack.connection_manager.calls == ["head_object", "put_object"]
    assert s3.get_object(Bucket="artifacts", Key=key)["Body"].read() == build_package(tmp_path / "code").content

    second = _resolver(tmp_path, "../code")
    assert second.resolve() == key
    assert second.stack.connection_manager.calls == ["head_object"]  # already there: no upload


def test_resolver_reports_other_s3_errors(tmp_path, s3):
    """Only 'not found' means 'upload it'; a refusal is reported, and nothing is uploaded."""
    _function(tmp_path, "code")
    (tmp_path / "project").mkdir()
    deny = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "arn:aws:s3:::artifacts/*"}],
    }
    s3.put_bucket_policy(Bucket="artifacts", Policy=json.dumps(deny))
    resolver = _resolver(tmp_path, "../code")
    with pytest.raises(ClientError, match="403"):
        resolver.resolve()
    assert resolver.stack.connection_manager.calls == ["head_object"]
