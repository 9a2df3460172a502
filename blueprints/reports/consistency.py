"""The environment consistency contract.

Environments may differ only through settings declared `per_environment`. This module
renders every stack of every environment and explains each structural difference
(a resource present in one environment and not another, a property value that differs)
by the setting that causes it:

- Each environment is also rendered under the reference environment's name. A blueprint
  that reads the environment's name to decide behaviour renders differently there; those
  differences are *unexplained*.
- The reference environment is rendered with one per-environment setting at a time
  changed to another environment's value; the paths that change are that setting's doing.
- Sceptre stack definitions must be the same file in every environment.

Names and tags that contain the environment's name are normalised before comparing.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from blueprints.core import Context
from blueprints.project.environment import Environment, Project
from blueprints.project.settings import SharedSettings

_MISSING = "<absent>"


@dataclass
class Difference:
    """One path whose value is not the same in every environment."""

    stack: str
    path: str
    values: dict[str, Any]  # environment -> value (or _MISSING)
    causes: list[str] = field(default_factory=list)  # settings that explain it
    name_driven: bool = False  # differs because the blueprint read the environment's name

    @property
    def explained(self) -> bool:
        return bool(self.causes)

    def describe(self) -> str:
        shown = ", ".join(f"{env}={_short(value)}" for env, value in self.values.items())
        if self.name_driven:
            cause = "  UNEXPLAINED: depends on the environment's name, not on a setting"
        elif self.causes:
            cause = " <- " + ", ".join(self.causes)
        else:
            cause = "  UNEXPLAINED: no setting causes this"
        return f"{self.path}: {shown}{cause}"


@dataclass
class ConsistencyReport:
    environments: list[str]
    differences: list[Difference]
    problems: list[str]  # unexplained findings that are not template paths

    @property
    def unexplained(self) -> list[Difference]:
        return [d for d in self.differences if not d.explained]

    @property
    def ok(self) -> bool:
        return not self.unexplained and not self.problems

    def by_stack(self) -> Iterator[tuple[str, list[Difference]]]:
        for stack in dict.fromkeys(d.stack for d in self.differences):
            found = [d for d in self.differences if d.stack == stack]
            if found:
                yield stack, found


def _short(value: Any, limit: int = 60) -> str:
    text = value if value == _MISSING else json.dumps(value, sort_keys=True, default=str)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def flatten(node: Any, prefix: str = "") -> dict[str, Any]:
    """Leaf paths of a template; a resource's presence is the path of its Type."""
    if isinstance(node, dict) and node:
        out: dict[str, Any] = {}
        for key, value in node.items():
            out.update(flatten(value, f"{prefix}.{key}" if prefix else str(key)))
        return out
    if isinstance(node, list) and node:
        out = {}
        for index, value in enumerate(node):
            out.update(flatten(value, f"{prefix}[{index}]"))
        return out
    return {prefix: node}


# Every environment is also rendered under this name: then only settings can differ.
NEUTRAL_NAME = "anyenv"


def _renamed(value: Any, old: str, new: str) -> Any:
    if not isinstance(value, str):
        return value
    return re.sub(rf"(?<![A-Za-z0-9]){re.escape(old)}(?![A-Za-z0-9])", new, value)


def render(
    env: Environment, stack: str, *, overrides: dict[str, Any] | None = None, name: str | None = None
) -> dict[str, Any]:
    """A stack of `env`, flattened; optionally with settings overridden or under another name."""
    blueprint = env.blueprint(stack)
    config = blueprint.config.model_copy(update=overrides or {})
    context = Context(project=env.project, environment=name or env.name)
    return flatten(json.loads(type(blueprint)(config, context).render()))


def _setting_name(stack: str, setting: str) -> str:
    return setting if setting in SharedSettings.model_fields else f"{stack}.{setting}"


def _differing(a: dict[str, Any], b: dict[str, Any]) -> list[str]:
    return sorted(p for p in a.keys() | b.keys() if a.get(p, _MISSING) != b.get(p, _MISSING))


def check(project: Project, project_dir: Path | None = None) -> ConsistencyReport:
    """Every structural difference between the environments, with its cause."""
    differences: list[Difference] = []
    problems = _stack_files_differ(project, project_dir) if project_dir is not None else []
    for stack in project.stacks:
        # Only environments that have the stack are compared (others declare it absent).
        names = [name for name, env in project.environments.items() if stack in env.stacks]
        reference = project.environments[names[0]]
        neutral = {name: render(project.environments[name], stack, name=NEUTRAL_NAME) for name in names}
        # Rendered under its own name, an environment may differ from its neutral rendering
        # only where its name is written into a name or tag.
        for name in names:
            actual = render(project.environments[name], stack)
            for path in _differing(actual, neutral[name]):
                if _renamed(actual.get(path, _MISSING), name, NEUTRAL_NAME) != neutral[name].get(path, _MISSING):
                    values = {name: actual.get(path, _MISSING), f"{name} renamed": neutral[name].get(path, _MISSING)}
                    differences.append(Difference(stack, path, values, [], name_driven=True))
        causes: dict[str, set[str]] = {}
        base = neutral[reference.name]
        reference_config = reference.config(stack)
        for name in names[1:]:
            config = project.environments[name].config(stack)
            for setting in type(reference_config).per_environment_fields():
                value = getattr(config, setting)
                if value != getattr(reference_config, setting):
                    changed = render(reference, stack, overrides={setting: value}, name=NEUTRAL_NAME)
                    for path in _differing(base, changed):
                        causes.setdefault(path, set()).add(_setting_name(stack, setting))
        for path in sorted({p for r in neutral.values() for p in r}):
            values = {name: neutral[name].get(path, _MISSING) for name in names}
            if len({json.dumps(v, sort_keys=True, default=str) for v in values.values()}) > 1:
                differences.append(Difference(stack, path, values, sorted(causes.get(path, set()))))
    return ConsistencyReport(list(project.environments), differences, problems)


def _stack_files_differ(project: Project, project_dir: Path) -> list[str]:
    """Stack definitions must be identical in every environment (one file, linked)."""
    problems = []
    config = project_dir / "config"
    for stack in project.stacks:
        names = [name for name, env in project.environments.items() if stack in env.stacks]
        texts = {}
        for name in names:
            path = config / name / f"{stack}.yaml"
            texts[name] = path.read_text() if path.is_file() else _MISSING
        if len(set(texts.values())) > 1:
            differing = [name for name, text in texts.items() if text != texts[names[0]]]
            problems.append(
                f"{stack}: the stack definition differs in {', '.join(differing)} (config/<env>/{stack}.yaml)"
            )
    return problems


def format_report(report: ConsistencyReport) -> str:
    lines = [f"environments: {', '.join(report.environments)} (reference: {report.environments[0]})"]
    for stack, found in report.by_stack():
        lines.append(f"\n{stack}")
        lines += [f"  {d.describe()}" for d in found]
    if report.problems:
        lines.append("\nstack definitions")
        lines += [f"  UNEXPLAINED: {p}" for p in report.problems]
    explained = len(report.differences) - len(report.unexplained)
    lines.append(
        f"\n{len(report.differences)} differences: {explained} explained by settings, "
        f"{len(report.unexplained) + len(report.problems)} unexplained"
    )
    return "\n".join(lines)
