"""`!function_package {...}`: a function's package, built, uploaded under its content
address (and signed, given a signing profile); resolves to the object key."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sceptre.exceptions import SceptreException
from sceptre.resolvers import Resolver

from blueprints.core.errors import ConfigError
from blueprints.sceptre.errors import reported

if TYPE_CHECKING:
    from blueprints.deploy.packaging import Package


class FunctionPackageResolver(Resolver):  # type: ignore[misc]
    """`!function_package {source: <dir>, shared: [<dir>...], bucket: <bucket>,
    signing_profile: <profile name>}`: build the function's package (with the shared
    packages), upload it to `bucket` under its content address unless already there, and
    resolve to the object key. Directories are relative to the Sceptre project directory;
    installed requirements are cached in `.build/` next to it.

    With `signing_profile` (an AWS Signer profile of the AWSLambda-SHA384-ECDSA platform, in
    the stack's region), the package is signed by a Signer signing job and the resolver
    resolves to the signed package's key instead, `signed/<profile version>/<dir>/<sha256>.zip`,
    reused while that profile version's signature on it stays valid (see
    `blueprints.deploy.packaging.ArtifactStore`). A function with an enforcing code signing config
    deploys only signed packages. Without it, the unsigned key.

    Only launches resolve parameters: `generate` stays offline and never packages.
    """

    class SigningFailed(SceptreException):  # type: ignore[misc]
        """Signing a package failed: Sceptre's CLI prints it as one line and exits 1."""

    _PROFILE_NAME = re.compile(r"[A-Za-z0-9_]{2,64}")  # Signer's profile name pattern

    def resolve(self) -> str:
        from blueprints.deploy.packaging import ArtifactStore, SigningFailed  # noqa: PLC0415 - not at plugin import

        project = Path(self.stack.stack_group_config["project_path"]).resolve()
        with reported(project):
            source, shared, bucket, profile = self._arguments(project)
            package = _package(source, shared, project.parent / ".build" / "lambda-deps")
        environment, _, stack = str(self.stack.name).partition("/")
        where = f"environment {environment!r}, stack {stack!r}"
        store = ArtifactStore(self._call, bucket, where, log=self.logger.info)
        if profile is None:
            store.upload(package)
            return package.key
        try:
            key = store.signed(package, profile)
        except SigningFailed as err:
            raise self.SigningFailed(str(err)) from err
        return key

    def _arguments(self, project: Path) -> tuple[Path, tuple[Path, ...], str, str | None]:
        """(source, shared, bucket, signing profile), checked: a mistake here is a configuration
        error of the stack."""
        environment, _, stack = str(self.stack.name).partition("/")

        def refuse(problem: str) -> ConfigError:
            usage = (
                "!function_package {source: <dir>, shared: [<dir>, ...], bucket: <bucket>, "
                "signing_profile: <profile name>}"
            )
            return ConfigError(f"{problem} (usage: {usage})", environment=environment, stack=stack, field="parameters")

        arguments = self.argument
        if not isinstance(arguments, dict) or not {"source", "bucket"} <= arguments.keys():
            raise refuse(f"needs 'source' and 'bucket', got {arguments!r}")
        unknown = sorted(arguments.keys() - {"source", "shared", "bucket", "signing_profile"})
        if unknown:
            raise refuse(f"unknown argument {unknown[0]!r}")
        shared = arguments.get("shared", [])
        if not isinstance(shared, list):
            raise refuse(f"'shared' is a list of directories, got {shared!r}")
        profile = arguments.get("signing_profile")
        if profile is not None and not (isinstance(profile, str) and self._PROFILE_NAME.fullmatch(profile)):
            raise refuse(f"'signing_profile' is a Signer profile name (2-64 letters, digits, _), got {profile!r}")
        source = (project / str(arguments["source"])).resolve()
        if not (source / "handler.py").is_file():
            raise refuse(f"source {arguments['source']!r}: no handler.py in {source}")
        for directory in shared:
            if not (project / str(directory)).resolve().is_dir():
                raise refuse(f"shared {directory!r}: no such directory {(project / str(directory)).resolve()}")
        return source, tuple((project / str(s)).resolve() for s in shared), arguments["bucket"], profile

    def _call(self, service: str, command: str, **kwargs: Any) -> Any:
        return self.stack.connection_manager.call(service, command, kwargs, region=self.stack.region)


_PACKAGES: dict[str, Package] = {}


def _package(source: Path, shared: tuple[Path, ...], cache: Path) -> Package:
    """Build once per process and source content: Sceptre may resolve a parameter twice."""
    digest = hashlib.sha256()
    for root in (source, *shared):
        for path in sorted(p for p in root.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
            digest.update(f"{root}/{path.relative_to(root).as_posix()}".encode() + b"\0" + path.read_bytes())
    key = digest.hexdigest()
    if key not in _PACKAGES:
        from blueprints.deploy.packaging import build_package  # noqa: PLC0415 - not at plugin import

        _PACKAGES[key] = build_package(source, shared, cache)
    return _PACKAGES[key]
