"""The project: the settings of every environment read from a Sceptre project's `config/`
files (`loader`, `settings`), the blueprints stack files name (`registry`), the rules across
environments (`rules`), and where in those files a setting is (`locations`).

The names below are imported on first use: `blueprints.project.locations` alone imports no
stack.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from blueprints.project.environment import Environment, Project
    from blueprints.project.loader import load_project
    from blueprints.project.registry import BLUEPRINTS, ENTRY_POINT_GROUP, blueprint_class
    from blueprints.project.settings import (
        DATA_KEEPING_SETTINGS,
        STORAGE_DATA_KEEPING_SETTINGS,
        EnvironmentSettings,
        SharedSettings,
    )

_EXPORTS = {
    "Environment": "blueprints.project.environment",
    "Project": "blueprints.project.environment",
    "load_project": "blueprints.project.loader",
    "BLUEPRINTS": "blueprints.project.registry",
    "ENTRY_POINT_GROUP": "blueprints.project.registry",
    "blueprint_class": "blueprints.project.registry",
    "DATA_KEEPING_SETTINGS": "blueprints.project.settings",
    "STORAGE_DATA_KEEPING_SETTINGS": "blueprints.project.settings",
    "EnvironmentSettings": "blueprints.project.settings",
    "SharedSettings": "blueprints.project.settings",
}

__all__ = [
    "BLUEPRINTS",
    "DATA_KEEPING_SETTINGS",
    "ENTRY_POINT_GROUP",
    "STORAGE_DATA_KEEPING_SETTINGS",
    "Environment",
    "EnvironmentSettings",
    "Project",
    "SharedSettings",
    "blueprint_class",
    "load_project",
]


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'blueprints.project' has no attribute {name!r}")
    value = getattr(importlib.import_module(_EXPORTS[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
