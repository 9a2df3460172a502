"""The blueprints a stack file can name: the built-in stacks by name, those other installed
packages register under the `payments_blueprints.blueprints` entry points, or `module:Class`."""

from __future__ import annotations

import difflib
import functools
import importlib
from importlib.metadata import EntryPoint, entry_points
from typing import Any

from blueprints.core import Blueprint, ConfigError
from blueprints.stacks.api import ApiBlueprint
from blueprints.stacks.cdn import CdnBlueprint
from blueprints.stacks.certificate import CertificateBlueprint
from blueprints.stacks.data import DataBlueprint
from blueprints.stacks.edge import EdgeBlueprint
from blueprints.stacks.functions import FunctionsBlueprint
from blueprints.stacks.identity import IdentityBlueprint
from blueprints.stacks.monitoring import MonitoringBlueprint
from blueprints.stacks.network import NetworkBlueprint
from blueprints.stacks.storage import StorageBlueprint
from blueprints.stacks.zone import ZoneBlueprint

BLUEPRINTS: dict[str, type[Blueprint[Any]]] = {
    b.name: b
    for b in (
        NetworkBlueprint,
        DataBlueprint,
        StorageBlueprint,
        ZoneBlueprint,
        IdentityBlueprint,
        CertificateBlueprint,
        EdgeBlueprint,
        FunctionsBlueprint,
        ApiBlueprint,
        CdnBlueprint,
        MonitoringBlueprint,
    )
}


# Other packages register their blueprints under this entry-point group (name = Class path);
# a stack config may also name one directly as `module:Class`.
ENTRY_POINT_GROUP = "payments_blueprints.blueprints"


@functools.cache
def _registered() -> dict[str, EntryPoint]:
    """Blueprints other installed packages register (loaded only when a stack names them)."""
    return {entry.name: entry for entry in entry_points(group=ENTRY_POINT_GROUP)}


def blueprint_class(reference: str, *, environment: str, stack: str) -> type[Blueprint[Any]]:
    """The blueprint a stack config names: a built-in (`network`), one another package
    registers under the `payments_blueprints.blueprints` entry points, or `module:Class`."""
    where = {"environment": environment, "stack": stack, "field": "template.name"}
    if ":" in reference:
        module_name, _, attribute = reference.partition(":")
        try:
            found: object = getattr(importlib.import_module(module_name), attribute)
        except (ImportError, AttributeError) as err:
            raise ConfigError(f"cannot load {reference!r}: {err}", **where) from None
    elif reference in BLUEPRINTS:
        found = BLUEPRINTS[reference]
    elif reference in _registered():
        found = _registered()[reference].load()
    else:
        known = sorted({*BLUEPRINTS, *_registered()})
        close = difflib.get_close_matches(reference, known, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise ConfigError(
            f"no blueprint named {reference!r}{hint}; known: {', '.join(known)}, or 'module:Class'", **where
        )
    if not (isinstance(found, type) and issubclass(found, Blueprint)):
        raise ConfigError(f"{reference!r} is not a Blueprint subclass", **where)
    return found
