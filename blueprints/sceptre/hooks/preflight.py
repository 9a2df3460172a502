"""`!preflight`: the read-only checks of `blueprints.deploy.preflight` on the environment's
account before a stack's first change, once per launch."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sceptre.exceptions import SceptreException
from sceptre.hooks import Hook

from blueprints.sceptre.errors import reported
from blueprints.sceptre.loaded import environment_of

if TYPE_CHECKING:
    from blueprints.project import Environment


class PreflightFailed(SceptreException):  # type: ignore[misc]
    """The account is not ready for the launch: one line per problem, nothing was changed."""


# One preflight per environment and process: Sceptre runs a level's stacks in threads, and
# each stack's hook waits for the first one's answer.
_PREFLIGHTS: dict[tuple[str, str], list[Any]] = {}
_PREFLIGHTS_LOCK = threading.Lock()


class PreflightHook(Hook):  # type: ignore[misc]
    """`!preflight`: before a stack's first change, the read-only checks of
    `blueprints.deploy.preflight` on the environment's account (once per launch), refusing the launch
    when any problem is found; warnings are logged. A stack that creates a DNS-validated
    certificate also waits for nothing: it is refused, with the NS records to add, unless the
    domain delegates to its zone now (on a first launch, after the zone stack was created)."""

    def run(self) -> None:
        from blueprints.deploy.preflight import as_caller, delegation, preflight  # noqa: PLC0415

        project_dir = self.stack.stack_group_config["project_path"]
        with reported(project_dir):
            env, name = environment_of(self.stack)
        manager = self.stack.connection_manager
        call = as_caller(
            lambda service, operation, params, region: manager.call(service, operation, params, region=region)
        )
        with _PREFLIGHTS_LOCK:
            key = (str(Path(project_dir).resolve()), env.name)
            if key not in _PREFLIGHTS:
                _PREFLIGHTS[key] = preflight(env, call, project_dir)
                for problem in _PREFLIGHTS[key]:
                    self.logger.warning("%s - %s", self.stack.name, problem)
            problems = [p for p in _PREFLIGHTS[key] if not p.warning]
        if not problems and _validates_by_dns(env, name):
            problems = [p for p in [delegation(env, call, project_dir, first_launch_ok=False)] if p]
        if problems:
            raise PreflightFailed(
                "\n".join(
                    [f"refusing to launch {self.stack.external_name} ({env.name}/{name}); nothing was changed:"]
                    + [f"  {p}" for p in problems]
                )
            )


def _validates_by_dns(env: Environment, stack: str) -> bool:
    return any(
        r["Type"] == "AWS::CertificateManager::Certificate" and r["Properties"].get("ValidationMethod") == "DNS"
        for r in env.blueprint(stack).body()["Resources"].values()
    )
