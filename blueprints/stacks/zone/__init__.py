"""Zone: the environment's public hosted zone (or an existing one), with a CAA record
that lets only Amazon issue certificates for the API's domain.

Its `settings` module holds the config model and what other code reads of the stack without
building it; its `template` module the blueprint. Each name below is imported on first use
(see `blueprints.stacks`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from blueprints.core.lazy import lazy_exports

if TYPE_CHECKING:
    from blueprints.stacks.zone.settings import ZoneConfig
    from blueprints.stacks.zone.template import ZoneBlueprint

_EXPORTS = {
    "ZoneConfig": "blueprints.stacks.zone.settings",
    "ZoneBlueprint": "blueprints.stacks.zone.template",
}

__all__ = ["ZoneBlueprint", "ZoneConfig"]

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())
