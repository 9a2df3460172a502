"""The blueprints a stack file can name: the built-in stacks by name, those other installed
packages register under the `payments_blueprints.blueprints` entry points, or `module:Class`.

The built-ins are named by module path and imported on first use: a stack's settings module
when its config is validated (`config_model`), its template module only when it is built
(`blueprint_class`). So loading a project imports no template, and rendering one stack imports
its own template alone."""

from __future__ import annotations

import difflib
import functools
import importlib
from collections.abc import Iterator, Mapping, MutableMapping
from importlib.metadata import EntryPoint, entry_points
from typing import TYPE_CHECKING, Any

from blueprints.core.errors import ConfigError
from blueprints.stacks import NAMES

if TYPE_CHECKING:
    from blueprints.core.blueprint import Blueprint
    from blueprints.core.config import StackConfig


def _built_in(name: str) -> tuple[str, str]:
    """`module:Class` of a built-in stack's config model and of its blueprint: the package
    `blueprints.stacks.<name>`, its `settings` module's `<Name>Config` and its `template`
    module's `<Name>Blueprint`."""
    title = name.capitalize()
    return (
        f"blueprints.stacks.{name}.settings:{title}Config",
        f"blueprints.stacks.{name}.template:{title}Blueprint",
    )


# The built-in stacks, in launch order: name -> (config model, blueprint), each `module:Class`.
BUILT_IN: Mapping[str, tuple[str, str]] = {name: _built_in(name) for name in NAMES}


def _load(reference: str) -> Any:
    module_name, _, attribute = reference.partition(":")
    return getattr(importlib.import_module(module_name), attribute)


class Blueprints(MutableMapping[str, "type[Blueprint[Any]]"]):
    """The built-in blueprints by name, in launch order: a blueprint's template module is
    imported when the blueprint is first looked up (iterating, `in` and `len` import none).
    A blueprint set here (a test's stand-in) replaces the built-in, settings included."""

    def __init__(self, built_in: Mapping[str, tuple[str, str]]) -> None:
        self._paths = dict(built_in)
        self._loaded: dict[str, type[Blueprint[Any]]] = {}

    def __getitem__(self, name: str) -> type[Blueprint[Any]]:
        if name not in self._loaded:
            self._loaded[name] = _load(self._paths[name][1])
        return self._loaded[name]

    def __setitem__(self, name: str, blueprint: type[Blueprint[Any]]) -> None:
        self._paths.setdefault(name, ("", ""))
        self._loaded[name] = blueprint

    def __delitem__(self, name: str) -> None:
        del self._paths[name]
        self._loaded.pop(name, None)

    def __contains__(self, name: object) -> bool:
        return name in self._paths

    def __iter__(self) -> Iterator[str]:
        return iter(self._paths)

    def __len__(self) -> int:
        return len(self._paths)

    def config_model(self, name: str) -> type[StackConfig]:
        """The config model of the blueprint `name`, from its settings module alone while the
        blueprint itself is not loaded."""
        if name in self._loaded:
            return self._loaded[name].config_model
        model: type[StackConfig] = _load(self._paths[name][0])
        return model

    def __repr__(self) -> str:
        return f"Blueprints({', '.join(self._paths)})"


BLUEPRINTS = Blueprints(BUILT_IN)


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
    from blueprints.core.blueprint import Blueprint  # noqa: PLC0415 - troposphere, once a stack is built

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


def config_model(reference: str, *, environment: str, stack: str) -> type[StackConfig]:
    """The config model of the blueprint a stack config names: a built-in's from its settings
    module (its template is not imported); any other's from its class, which is loaded."""
    if ":" not in reference and reference in BLUEPRINTS:
        return BLUEPRINTS.config_model(reference)
    return blueprint_class(reference, environment=environment, stack=stack).config_model
