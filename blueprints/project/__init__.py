"""The project: the settings of every environment read from a Sceptre project's `config/`
files (`loader`, `settings`), the blueprints stack files name (`registry`), the rules across
environments (`rules`), and where in those files a setting is (`locations`).

The names below are imported on first use: `blueprints.project.locations` alone imports no
stack.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from blueprints.core.lazy import lazy_exports

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

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())
