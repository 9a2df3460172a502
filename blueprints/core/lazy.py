"""Module attributes made on first use (PEP 562): a package whose names are imported when first
asked for, so that importing it costs nothing but its own `__init__` and `from package import
Name` still works; and a module's old names for renamed objects, which warn."""

from __future__ import annotations

import importlib
import warnings
from collections.abc import Callable, Mapping
from typing import Any


def lazy_exports(
    package: str, exports: Mapping[str, str], namespace: dict[str, Any]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """The package's `__getattr__` and `__dir__`: `exports` maps each name to the module that
    defines it; a name is imported when first asked for, then kept in `namespace`."""

    def __getattr__(name: str) -> Any:
        if name not in exports:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(exports[name]), name)
        namespace[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted({*namespace, *exports})

    return __getattr__, __dir__


def renamed(module: str, old_names: Mapping[str, str]) -> Callable[[str], Any]:
    """A module's `__getattr__` for names it renamed, kept for one release: `old_names` maps
    each old name to the new one, whose object an old name gives, with a DeprecationWarning.
    Defined under `if not TYPE_CHECKING:`, so that a type checker still reports an unknown name."""

    def __getattr__(name: str) -> Any:
        if name not in old_names:
            raise AttributeError(f"module {module!r} has no attribute {name!r}")
        new = old_names[name]
        warnings.warn(f"{module}.{name} is now {module}.{new}", DeprecationWarning, stacklevel=2)
        return getattr(importlib.import_module(module), new)

    return __getattr__
