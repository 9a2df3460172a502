"""An environment rendered offline by Sceptre itself (its stack configs, dependencies, regions
and the templates the `blueprint` handler makes), with no AWS call; Sceptre's plan machinery
is imported only when rendering."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class RenderedStack:
    """One stack as Sceptre sees it: where it goes, what it needs, and its template."""

    name: str  # e.g. "dev/network"
    external_name: str  # the CloudFormation stack name, e.g. "payments-dev-network"
    region: str
    dependencies: tuple[str, ...]
    parameters: tuple[str, ...]  # parameter names the stack config supplies
    template: str

    @property
    def stack(self) -> str:
        return self.name.rpartition("/")[2]


def render_environment(project_dir: str | Path, environment: str) -> dict[str, RenderedStack]:
    """Every stack of `environment`, rendered by Sceptre with no AWS call. Keyed by stack."""
    from sceptre.context import SceptreContext  # noqa: PLC0415 - Sceptre's plan machinery only here
    from sceptre.plan.plan import SceptrePlan  # noqa: PLC0415

    context = SceptreContext(project_path=str(Path(project_dir).resolve()), command_path=environment)
    plan = SceptrePlan(context)
    rendered = {}
    for stack, body in plan.dump_template().items():
        item = RenderedStack(
            name=stack.name,
            external_name=stack.external_name,
            region=stack.region,
            dependencies=tuple(sorted(str(d) for d in stack.dependencies)),
            # the raw config: reading stack.parameters would resolve !stack_output (an AWS call)
            parameters=tuple(sorted(stack.config.get("parameters", {}))),
            template=body.removeprefix("---\n"),  # Sceptre marks every body as a YAML document
        )
        rendered[item.stack] = item
    return dict(sorted(rendered.items()))


def dependency_depth(stacks: dict[str, RenderedStack]) -> dict[str, int]:
    """Launch level of each stack: 1 for no dependencies, else 1 + deepest dependency."""
    levels: dict[str, int] = {}

    def level(name: str) -> int:
        if name not in levels:
            deps = stacks[name].dependencies
            levels[name] = 1 + max((level(d.rpartition("/")[2]) for d in deps), default=0)
        return levels[name]

    for name in stacks:
        level(name)
    return levels
