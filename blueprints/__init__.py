"""Typed troposphere blueprints for a multi-environment payments/session API, with Sceptre plugins.

One subpackage per layer, each importing only those below it (tests/unit/test_layers.py):
`sceptre` (the plugins) -> `deploy` -> `checks`, `reports` -> `project` (settings, loader,
registry) -> `stacks` (one package per stack: settings, template) -> `blocks`, `testing` -> `core` -> `contract`.

The names below are the package's public API; each is imported on first use, so
`import blueprints` costs next to nothing and never imports Sceptre, cfn-lint or boto3
(only the Sceptre plugins, `blueprints.sceptre`, need Sceptre, and only the stateful-change
guard cfn-lint). The stack blueprints live in their packages (`blueprints.stacks.network.NetworkBlueprint`, ...).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from blueprints import _moved

_moved.install()  # the module paths before the layout by layer, deprecated

if TYPE_CHECKING:
    from blueprints.core import (
        Blueprint,
        BlueprintError,
        ConfigError,
        Context,
        StackConfig,
        is_per_environment,
        per_environment,
    )
    from blueprints.project.environment import Environment, Project
    from blueprints.project.loader import load_project
    from blueprints.testing import Match, TemplateAssertions

    __version__: str

_EXPORTS = {
    "Blueprint": "blueprints.core",
    "BlueprintError": "blueprints.core",
    "ConfigError": "blueprints.core",
    "Context": "blueprints.core",
    "StackConfig": "blueprints.core",
    "is_per_environment": "blueprints.core",
    "per_environment": "blueprints.core",
    "Environment": "blueprints.project.environment",
    "Project": "blueprints.project.environment",
    "load_project": "blueprints.project.loader",
    "Match": "blueprints.testing",
    "TemplateAssertions": "blueprints.testing",
}

__all__ = [
    "Blueprint",
    "BlueprintError",
    "ConfigError",
    "Context",
    "Environment",
    "Match",
    "Project",
    "StackConfig",
    "TemplateAssertions",
    "__version__",
    "is_per_environment",
    "load_project",
    "per_environment",
]

DISTRIBUTION = "payments-blueprints"


def _version() -> str:
    """The installed distribution's version: pyproject.toml's `version` is its only source."""
    from importlib.metadata import PackageNotFoundError, version  # noqa: PLC0415 - import on first use

    try:
        return version(DISTRIBUTION)
    except PackageNotFoundError:  # imported from a source tree that was never installed
        return "0+unknown"


def __getattr__(name: str) -> Any:
    if name == "__version__":
        value: Any = _version()
    elif name in _EXPORTS:
        value = getattr(importlib.import_module(_EXPORTS[name]), name)
    else:
        raise AttributeError(f"module 'blueprints' has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
