"""Read a launched environment back through the AWS APIs (main environment: boto3).

Used by `make demo`, the integration tests and the launch benchmark against the local
emulator; it works the same against a real account.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import yaml

from blueprints.deploy.accounts import deploy_session
from blueprints.deploy.rendering import RenderedStack, render_environment
from blueprints.project import load_project
from blueprints.stacks.functions import DEPLOYED, LIVE_ALIAS, FunctionSpec
from local_aws.client import control
from local_aws.client.accounts import bootstrap_account, deployer_credentials
from local_aws.client.endpoint import Emulator
from local_aws.client.paths import PROJECT_DIR

SCEPTRE = str(Path(sys.executable).parent / "sceptre")


@dataclass(frozen=True)
class Launch:
    returncode: int
    output: str  # empty when the output went to the terminal


def sceptre_launch(
    emulator: Emulator,
    environment: str,
    project_dir: Path = PROJECT_DIR,
    *,
    capture: bool = True,
    sceptre: Path | str = SCEPTRE,
) -> Launch:
    """`sceptre launch --yes <environment>` exactly as CI runs it, against `emulator`, as the
    environment's first deployer (`sceptre`: the command of another installation, e.g. one
    made from the wheel)."""
    result = subprocess.run(  # noqa: S603 - fixed argv
        [str(sceptre), "--dir", str(project_dir), "launch", "--yes", environment],
        env={**emulator.environment(), **deployer_credentials(emulator, project_dir, environment)},
        capture_output=capture,
        text=True,
        timeout=900,
        check=False,
    )
    return Launch(result.returncode, (result.stdout or "") + (result.stderr or ""))


@contextlib.contextmanager
def fresh_launch(environment: str) -> Iterator[tuple[Emulator, Path]]:
    """`environment` bootstrapped and launched (`sceptre launch`) on an emulator of its own, with
    this process pointed at it, and stopped afterwards: the emulator and its state directory.
    A launch that fails ends the process with Sceptre's last output (for benchmarks)."""
    with tempfile.TemporaryDirectory() as directory:
        state = Path(directory)
        emulator = control.start(state)
        try:
            bootstrap_account(emulator, environment)
            launched = sceptre_launch(emulator, environment)
            if launched.returncode != 0:
                raise SystemExit(f"launch of {environment} failed:\n{launched.output[-3000:]}")
            os.environ.update(emulator.environment({}))
            yield emulator, state
        finally:
            control.stop(state)


@dataclass
class LaunchedStack:
    """One deployed stack next to the template it was launched from."""

    rendered: RenderedStack
    status: str
    outputs: dict[str, str]
    resources: dict[str, dict[str, Any]]  # logical id -> StackResource
    template_resources: dict[str, str] = field(default_factory=dict)  # logical id -> type

    @property
    def missing_resources(self) -> dict[str, str]:
        """Template resources the deployment does not hold (skipped by the emulator)."""
        return {k: t for k, t in self.template_resources.items() if k not in self.resources}

    @property
    def missing_outputs(self) -> list[str]:
        declared = json.loads(self.rendered.template).get("Outputs", {})
        return sorted(set(declared) - set(self.outputs))


class LaunchedEnvironment:
    """Every stack of one environment, read back from CloudFormation in the environment's
    account: through `session` (e.g. an administrator's), or by default as the account's
    deploy role, assumed with the caller's credentials."""

    def __init__(
        self, environment: str, project_dir: Path = PROJECT_DIR, *, session: boto3.Session | None = None
    ) -> None:
        self.name = environment
        self.settings = load_project(project_dir).environment(environment)
        self.session = session or deploy_session(self.settings, doing=f"read {environment}")
        self.stacks: dict[str, LaunchedStack] = {}
        for stack, rendered in render_environment(project_dir, environment).items():
            cloudformation = self.client("cloudformation", rendered.region)
            described = cloudformation.describe_stacks(StackName=rendered.external_name)["Stacks"][0]
            resources = cloudformation.describe_stack_resources(StackName=rendered.external_name)["StackResources"]
            template = json.loads(rendered.template)
            self.stacks[stack] = LaunchedStack(
                rendered=rendered,
                status=described["StackStatus"],
                outputs={o["OutputKey"]: o["OutputValue"] for o in described.get("Outputs", [])},
                resources={r["LogicalResourceId"]: r for r in resources},
                template_resources={k: v["Type"] for k, v in template["Resources"].items()},
            )

    def client(self, service: str, region: str | None = None) -> Any:
        """A client acting in the environment's account (default region: the environment's)."""
        return self.session.client(service, region_name=region or self.settings.region)

    def output(self, stack: str, key: str) -> str:
        return self.stacks[stack].outputs[key]

    def region(self, stack: str = "functions") -> str:
        return self.stacks[stack].rendered.region

    def gaps(self) -> list[str]:
        """Everything the deployment lacks compared with the templates, one line each."""
        lines = []
        for name, stack in self.stacks.items():
            lines += [f"{name}: resource {k} ({t}) was not created" for k, t in stack.missing_resources.items()]
            lines += [f"{name}: output {k} is missing" for k in stack.missing_outputs]
        return lines

    def out_of_date(self) -> list[str]:
        """Stacks whose deployed template differs from the one rendered now."""
        stale = []
        for name, stack in self.stacks.items():
            client = self.client("cloudformation", stack.rendered.region)
            body = client.get_template(StackName=stack.rendered.external_name)["TemplateBody"]
            deployed = body if isinstance(body, dict) else yaml.safe_load(body)
            if deployed != json.loads(stack.rendered.template):
                stale.append(name)
        return stale

    def code_hashes(self) -> dict[str, str]:
        """Function name -> the SHA-256 of the unsigned package its stack deploys (the
        content address in its code key: signed packages differ per environment, as each
        signature does, while the source is the same), or "drift" when the function (its
        $LATEST, or the version its live alias points at, which callers run) holds other code
        than the object its stack names (a change made outside CloudFormation)."""
        client = self.client("lambda")
        s3 = self.client("s3")
        bucket = self.output("storage", "ArtifactsBucketName")
        cloudformation = self.client("cloudformation")
        stack = cloudformation.describe_stacks(StackName=self.stacks["functions"].rendered.external_name)["Stacks"][0]
        parameters = {p["ParameterKey"]: p["ParameterValue"] for p in stack["Parameters"]}
        hashes = {}
        for spec in DEPLOYED:
            key = parameters[spec.code_key_parameter]
            name = self.output("functions", f"{spec.title}FunctionName")
            deployed = {
                client.get_function_configuration(FunctionName=name, **qualifier)["CodeSha256"]
                for qualifier in ({}, {"Qualifier": LIVE_ALIAS})
            }
            named = hashlib.sha256(s3.get_object(Bucket=bucket, Key=key)["Body"].read()).digest()
            same = deployed == {base64.b64encode(named).decode()}
            hashes[spec.name] = key.rpartition("/")[2].removesuffix(".zip") if same else "drift"
        return hashes

    def function_environment(self, spec: FunctionSpec) -> dict[str, str]:
        """The deployed function's environment variables, read from its configuration."""
        client = self.client("lambda")
        name = self.output("functions", f"{spec.title}FunctionName")
        variables: dict[str, str] = client.get_function_configuration(FunctionName=name)["Environment"]["Variables"]
        return variables


def replication_report(environments: list[LaunchedEnvironment]) -> tuple[list[str], bool]:
    """Lines saying which launched stacks are out of date and whether every environment
    runs the same function code; and whether all is in order."""
    lines, ok = [], True
    for env in environments:
        stale = env.out_of_date()
        ok &= not stale
        lines.append(f"{env.name}: " + (f"out of date: {', '.join(stale)}" if stale else "every stack up to date"))
    hashes = {env.name: env.code_hashes() for env in environments}
    for spec in DEPLOYED:
        by_env = {name: code[spec.name] for name, code in hashes.items()}
        same = len(set(by_env.values())) == 1
        ok &= same
        shown = ", ".join(f"{name}={sha[:12]}" for name, sha in by_env.items())
        lines.append(f"{spec.name} code: {'the same everywhere' if same else 'DIFFERS'} ({shown})")
    return lines, ok
