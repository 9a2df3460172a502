"""Environment settings read from the Sceptre project's stack-group `config.yaml` files,
validated as a whole (every environment, every stack) and turned into blueprints.

Layout of `config/<env>/config.yaml`::

    region: eu-west-1              # Sceptre's own key; the region of the environment
    environment:
      domain: api.dev.example.com  # environment-wide settings ...
      log_retention_days: 7
      retain_data: false
      deletion_protection: false
      stacks:                      # ... and per-stack settings, keyed by blueprint name
        network: {cidr: 10.10.0.0/16, nat_gateways: 0}
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from blueprints.core import ANY_STACK, ConfigError
from blueprints.project.environment import Environment, Project
from blueprints.project.locations import file_location, yaml_syntax
from blueprints.project.rules import validate_project
from blueprints.project.settings import EnvironmentSettings

ENVIRONMENT_NAME = re.compile(r"^[a-z][a-z0-9]{1,15}$")


_REGION = re.compile(r"^[a-z]{2}(-gov)?-[a-z]+-\d$")


def load_project(project_dir: str | Path) -> Project:
    """Read `config/config.yaml` and every `config/<env>/config.yaml`, validated."""
    config_dir = Path(project_dir) / "config"
    root = read_yaml(config_dir / "config.yaml")
    project_code = root.get("project_code")
    if not isinstance(project_code, str) or not re.fullmatch(r"[a-z][a-z0-9-]{1,20}", project_code):
        raise ConfigError(
            f"project_code must be a short lower-case name, got {project_code!r}",
            environment=ANY_STACK,
            stack=ANY_STACK,
            field="project_code",
        )
    declared = root.get("environments")
    groups = sorted(p.name for p in config_dir.iterdir() if (p / "config.yaml").is_file())
    if not isinstance(declared, list) or not declared or sorted(map(str, declared)) != groups:
        raise ConfigError(
            f"must list every stack group under config/ in promotion order (groups found: {groups})",
            environment=ANY_STACK,
            stack=ANY_STACK,
            field="environments",
        )
    environments = {}
    for name in declared:
        env = _load_environment(project_code, config_dir / name, default_region=root.get("region"))
        environments[env.name] = env
    return validate_project(Project(project_code, environments))


def _load_environment(project: str, group: Path, *, default_region: object) -> Environment:
    name = group.name
    where = {"environment": name, "stack": ANY_STACK}
    if not ENVIRONMENT_NAME.fullmatch(name):
        raise ConfigError("environment names are 2-16 lower-case letters and digits", field="environment", **where)
    raw = read_yaml(group / "config.yaml")
    region = raw.get("region", default_region)
    if not isinstance(region, str) or not _REGION.fullmatch(region):
        raise ConfigError(f"{region!r} is not an AWS region", field="region", **where)
    if "environment" not in raw:
        raise ConfigError("missing the 'environment' settings block", field="environment", **where)
    try:
        settings = EnvironmentSettings.model_validate(raw["environment"])
    except ValidationError as err:
        first = err.errors()[0]["loc"]
        stack = str(first[1]) if len(first) > 1 and first[0] == "stacks" else ANY_STACK
        prefix = "environment."
        raise ConfigError.from_validation(
            err, environment=name, stack=stack, prefix=prefix, model=EnvironmentSettings
        ) from err
    return Environment(project=project, name=name, region=region, settings=settings, stacks=_stack_files(group))


def _stack_files(group: Path) -> dict[str, str]:
    """Stack name -> blueprint, for each stack file of the group rendered by the `blueprint`
    template handler (stacks of other template types are Sceptre's own business)."""
    stacks = {}
    for path in sorted(group.glob("*.yaml")):
        if path.name == "config.yaml":
            continue
        template = read_yaml(path, jinja=True).get("template")
        if isinstance(template, dict) and template.get("type") == "blueprint":
            reference = template.get("name")
            if not isinstance(reference, str) or not reference:
                raise ConfigError(
                    "a blueprint stack names its blueprint: `template: {type: blueprint, name: <name>}`",
                    environment=group.name,
                    stack=path.stem,
                    field="template.name",
                )
            stacks[path.stem] = reference
    return stacks


# Sceptre renders stack files with Jinja first; only `template:` is read here, so
# expressions are blanked out rather than rendered.
_JINJA = re.compile(r"{{.*?}}|{%.*?%}|{#.*?#}", re.DOTALL)


def read_yaml(path: Path, *, jinja: bool = False) -> dict[str, Any]:
    """A configuration file's mapping; a file that cannot be read, is not YAML or not a mapping
    is a ConfigError naming the file (and for a syntax error, leading with its file and line)."""
    group = path.parent.name if path.absolute().parent.parent.name == "config" else ANY_STACK  # else config/config.yaml
    where = {"environment": group, "stack": ANY_STACK, "field": path.name}
    try:
        text = path.read_text(encoding="utf-8")
        # Expressions blanked line for line: a syntax error's line is the file's.
        blanked = _JINJA.sub(lambda m: "jinja" + "\n" * m.group().count("\n"), text) if jinja else text
        data = yaml.load(blanked, Loader=_TolerantLoader)  # noqa: S506 - safe subclass
    except OSError as err:
        raise ConfigError(str(err), **where) from err
    except UnicodeDecodeError as err:
        raise ConfigError(f"is not UTF-8 text ({err.reason} at byte {err.start})", **where) from err
    except yaml.YAMLError as err:
        reason, line = yaml_syntax(err)
        raise ConfigError(reason, **where, located_at=str(file_location(path, line))) from err
    if not isinstance(data, dict):
        raise ConfigError("expected a mapping", **where, located_at=str(file_location(path, 1)))
    return data


# libyaml's loader is 8x faster than the pure-Python one, with the same results.
_SafeLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _TolerantLoader(_SafeLoader):  # type: ignore[misc,valid-type]
    """Safe YAML that reads Sceptre resolver tags (`!stack_output ...`) as plain strings."""


_TolerantLoader.add_multi_constructor("!", lambda loader, suffix, node: f"!{suffix} {node.value}")
