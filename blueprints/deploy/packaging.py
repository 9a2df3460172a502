"""Lambda packages: deterministic zips, content-addressed, built outside `build()`, and
signed with AWS Signer.

The same source (and the same pinned requirements) always gives the same bytes: entries
sorted, timestamps and permissions fixed, caches left out. The object key is the zip's
SHA-256, so unchanged code means an unchanged `<Function>CodeKey` parameter and no
stack update.

A signature differs at every signing (it carries its time), so the signed package is kept
under a content address too: `signed/<profile version>/<function>/<sha256 of the unsigned
zip>.zip`, reused while its signature stays valid. Unchanged code signed by the same profile
version resolves to the same key; a new profile version (the only one the functions' code
signing config allows) gives new keys, and so new deployments.
"""

from __future__ import annotations

import hashlib
import io
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from blueprints.core.artifacts import SIGNED_PREFIX, SIGNING_JOBS_PREFIX
from blueprints.stacks.functions.settings import ARCHITECTURE, RUNTIME

ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)  # the earliest date a zip entry can carry
_SKIP_DIRS = {"__pycache__", ".pytest_cache", ".mypy_cache"}
_SKIP_SUFFIXES = {".pyc", ".pyo"}
_PLATFORMS = {"arm64": "manylinux2014_aarch64", "x86_64": "manylinux2014_x86_64"}


@dataclass(frozen=True)
class Package:
    """A built function package."""

    name: str
    content: bytes

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.content).hexdigest()

    @property
    def key(self) -> str:
        """Content-addressed object key in the artifacts bucket."""
        return f"functions/{self.name}/{self.sha256}.zip"


def _files(root: Path) -> list[tuple[str, Path]]:
    found = []
    for path in root.rglob("*"):
        relative = path.relative_to(root)
        if path.is_file() and not (_SKIP_DIRS & set(relative.parts)) and path.suffix not in _SKIP_SUFFIXES:
            found.append((relative.as_posix(), path))
    return sorted(found)


def zip_directories(*roots: Path | tuple[Path, str]) -> bytes:
    """One zip of the files under `roots`, byte-stable. A root given as (path, prefix) is
    placed under that prefix; later roots win on equal paths."""
    entries: dict[str, Path] = {}
    for root in roots:
        path, prefix = root if isinstance(root, tuple) else (root, "")
        entries.update({prefix + name: file for name, file in _files(path)})
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for name in sorted(entries):
            info = zipfile.ZipInfo(name, date_time=ZIP_EPOCH)
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, entries[name].read_bytes(), compresslevel=9)
    return buffer.getvalue()


def install_requirements(requirements: Path, target: Path) -> None:
    """Install pinned requirements as wheels for the Lambda runtime and architecture."""
    python_version = RUNTIME.removeprefix("python")
    subprocess.run(  # noqa: S603 - fixed argv
        [
            sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
            "--no-compile", "--only-binary=:all:", "--implementation", "cp",
            "--python-version", python_version, "--platform", _PLATFORMS[ARCHITECTURE],
            "--target", str(target), "--requirement", str(requirements),
        ],
        check=True,
    )  # fmt: skip


def build_package(source: Path, shared: tuple[Path, ...] = (), cache: Path | None = None) -> Package:
    """Zip a function directory with the `shared` packages (each under its own name) and
    its `requirements.txt` installed for Lambda. Installed requirements are kept in
    `cache`, keyed by the requirements' content and the target platform."""
    if not (source / "handler.py").is_file():
        raise FileNotFoundError(f"{source} has no handler.py")
    roots: list[Path | tuple[Path, str]] = [(s, f"{s.name}/") for s in shared]
    requirements = source / "requirements.txt"
    text = requirements.read_text() if requirements.is_file() else ""
    if not [line for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]:
        return Package(source.name, zip_directories(*roots, source))
    key = hashlib.sha256(f"{RUNTIME} {ARCHITECTURE}\n{text}".encode()).hexdigest()[:24]
    with tempfile.TemporaryDirectory() as scratch:
        target = cache / key if cache is not None else Path(scratch) / key
        if not target.is_dir():
            partial = Path(scratch) / "install"
            install_requirements(requirements, partial)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(partial, target)  # complete installs only: a failed one leaves nothing
        return Package(source.name, zip_directories(target, *roots, source))


EXPIRES_AT = "signature-expires-at"  # object metadata of a signed package (ISO 8601, UTC)
RESIGN_WITHIN = timedelta(days=30)  # sign again when the signature expires sooner than this
_NOT_FOUND = {"404", "NoSuchKey", "NotFound"}


class SigningFailed(RuntimeError):
    """A package could not be signed; the message names where and why."""


def _wait(seconds: float) -> None:
    time.sleep(seconds)


def _missing(error: Exception) -> bool:
    response = getattr(error, "response", None) or {}
    return str(response.get("Error", {}).get("Code")) in _NOT_FOUND


@dataclass
class ArtifactStore:
    """Function packages in an artifacts bucket, uploaded once and signed once.

    `call(service, command, **kwargs)` makes the AWS calls (the resolver passes Sceptre's
    connection manager, so the stack's own credentials and region are used); `where` (e.g.
    "environment 'dev', stack 'functions'") starts every error message.

    Signing follows AWS Signer's job API: the source is a version of the uploaded object
    (Signer requires a versioned bucket), the signed object lands under a prefix of the same
    bucket, and the job is polled until it is no longer InProgress
    (https://docs.aws.amazon.com/signer/latest/api/API_StartSigningJob.html,
    https://docs.aws.amazon.com/signer/latest/developerguide/signing-jobs-lambda.html).
    """

    call: Callable[..., Any]
    bucket: str
    where: str
    poll_seconds: float = 2.0
    max_polls: int = 300  # 10 minutes at 2 s; signing a zip takes seconds
    sleep: Callable[[float], None] = field(default_factory=lambda: _wait)
    now: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    log: Callable[[str], None] = field(default=lambda message: None)

    def upload(self, package: Package) -> str:
        """Upload the unsigned package unless its content address exists; its version id."""
        try:
            head = self.call("s3", "head_object", Bucket=self.bucket, Key=package.key)
        except Exception as err:
            if not _missing(err):
                raise
            head = self.call("s3", "put_object", Bucket=self.bucket, Key=package.key, Body=package.content)
            self.log(f"uploaded {package.key} ({len(package.content)} bytes)")
        return str(head.get("VersionId") or "")

    def signed(self, package: Package, profile: str) -> str:
        """The key of `package` signed by the signing profile named `profile`: reused when
        the same profile version signed it and the signature stays valid, else signed now."""
        described = self.call("signer", "get_signing_profile", profileName=profile)
        if described.get("status", "Active") != "Active":
            raise SigningFailed(
                f"{self.where}: signing profile {profile!r} is {described['status']}: it signs nothing more"
            )
        key = f"{SIGNED_PREFIX}{described['profileVersion']}/{package.name}/{package.sha256}.zip"
        try:
            head = self.call("s3", "head_object", Bucket=self.bucket, Key=key)
        except Exception as err:
            if not _missing(err):
                raise
        else:
            expires = head.get("Metadata", {}).get(EXPIRES_AT)
            if expires and datetime.fromisoformat(expires) > self.now() + RESIGN_WITHIN:
                return key
        version = self.upload(package)
        if not version or version == "null":
            raise SigningFailed(
                f"{self.where}: bucket {self.bucket!r} is not versioned: Signer signs only a version of an object"
            )
        job = self._sign(package, profile, version)
        signed = job["signedObject"]["s3"]
        expires_at = job.get("signatureExpiresAt")
        metadata = {"signing-job": job["jobId"]}
        if isinstance(expires_at, datetime):
            metadata[EXPIRES_AT] = expires_at.astimezone(UTC).isoformat()
        self.call(
            "s3",
            "copy_object",
            Bucket=self.bucket,
            Key=key,
            CopySource={"Bucket": signed["bucketName"], "Key": signed["key"]},
            Metadata=metadata,
            MetadataDirective="REPLACE",
        )
        self.call("s3", "delete_object", Bucket=signed["bucketName"], Key=signed["key"])
        self.log(f"signed {package.key} with profile {profile} (job {job['jobId']}): {key}")
        return key

    def _sign(self, package: Package, profile: str, version: str) -> dict[str, Any]:
        started = self.call(
            "signer",
            "start_signing_job",
            source={"s3": {"bucketName": self.bucket, "key": package.key, "version": version}},
            destination={"s3": {"bucketName": self.bucket, "prefix": SIGNING_JOBS_PREFIX}},
            profileName=profile,
            clientRequestToken=str(uuid.uuid4()),
        )
        job_id = started["jobId"]
        for _ in range(self.max_polls):
            job: dict[str, Any] = self.call("signer", "describe_signing_job", jobId=job_id)
            status = job.get("status")
            if status == "Succeeded":
                return job
            if status != "InProgress":
                raise SigningFailed(
                    f"{self.where}: signing {package.key} with profile {profile!r} failed: job {job_id} is "
                    f"{status}: {job.get('statusReason') or 'no reason given'}"
                )
            self.sleep(self.poll_seconds)
        raise SigningFailed(
            f"{self.where}: signing {package.key} with profile {profile!r}: job {job_id} still InProgress after "
            f"{self.max_polls * self.poll_seconds:.0f} s"
        )
