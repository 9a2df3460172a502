"""The package's module paths before its layout by layer (`blueprints.api`,
`blueprints.environments`, `blueprints.sceptre_adapter`, ...), kept for one release.

Importing an old path warns (`DeprecationWarning`, naming the new modules) and gives a module
holding the same objects as the new ones: every public name of its new modules, and any other
name on first use. The old paths are served by an import hook rather than files, so that no
file remains where a module used to be.
"""

from __future__ import annotations

import importlib
import importlib.machinery
import sys
import warnings
from collections.abc import Sequence
from types import ModuleType
from typing import TYPE_CHECKING, Any, cast

if TYPE_CHECKING:
    from importlib.abc import Loader

# Old module -> the modules its names live in now (a name is taken from the first that has it).
MOVED: dict[str, tuple[str, ...]] = {
    **{f"blueprints.{name}": (f"blueprints.stacks.{name}",) for name in (
        "api", "bootstrap", "cdn", "certificate", "data", "edge", "functions", "identity", "monitoring",
        "network", "storage", "zone",
    )},
    **{f"blueprints.{name}": (f"blueprints.deploy.{name}",) for name in (
        "accounts", "guard", "packaging", "preflight", "recover", "teardown", "verify",
    )},
    **{f"blueprints.{name}": (f"blueprints.reports.{name}",) for name in (
        "consistency", "costs", "openapi", "reference",
    )},
    "blueprints.config_locations": ("blueprints.project.locations",),
    "blueprints.environments": (
        "blueprints.project.settings",
        "blueprints.project.registry",
        "blueprints.project.environment",
        "blueprints.project.loader",
        "blueprints.project.rules",
        "blueprints.reports.environments",
    ),
    "blueprints.errors": ("blueprints.core.errors",),
    "blueprints.permissions": ("blueprints.core.permissions",),
    "blueprints.sceptre_adapter": (
        "blueprints.sceptre.errors",
        "blueprints.sceptre.loaded",
        "blueprints.sceptre.template_handlers.blueprint",
        "blueprints.sceptre.resolvers.account_role",
        "blueprints.sceptre.resolvers.digest",
        "blueprints.sceptre.resolvers.function_package",
        "blueprints.sceptre.resolvers.managed_prefix_list",
        "blueprints.sceptre.resolvers.origin_verify",
        "blueprints.sceptre.hooks.check_account",
        "blueprints.sceptre.hooks.guard_stateful_resources",
        "blueprints.sceptre.hooks.preflight",
        "blueprints.sceptre.hooks.protect_stack",
        "blueprints.sceptre.hooks.validate_environment",
        "blueprints.sceptre.cloudformation",
        "blueprints.deploy.guard",
        "blueprints.deploy.rendering",
    ),
}  # fmt: skip


class _MovedModules:
    """Finds and loads the old module paths of `MOVED`, and nothing else (an import system
    finder and loader)."""

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        return importlib.machinery.ModuleSpec(fullname, cast("Loader", self)) if fullname in MOVED else None

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType | None:
        return None  # the default module

    def exec_module(self, module: ModuleType) -> None:
        targets = MOVED[module.__name__]
        warnings.warn(
            f"{module.__name__} is deprecated and will be removed in the next release: "
            f"import from {' or '.join(targets)}",
            DeprecationWarning,
            stacklevel=_importer_level(),
        )
        modules = [importlib.import_module(target) for target in targets]
        for new in reversed(modules):  # the first module that has a name wins
            module.__dict__.update(
                {k: v for k, v in vars(new).items() if not k.startswith("_") and not isinstance(v, ModuleType)}
            )

        def __getattr__(name: str) -> Any:  # private names, on first use
            for new in modules:
                if hasattr(new, name):
                    return getattr(new, name)
            raise AttributeError(f"module {module.__name__!r} has no attribute {name!r}")

        module.__getattr__ = __getattr__  # type: ignore[method-assign]
        module.__doc__ = f"Deprecated: moved to {' and '.join(targets)}."


def _importer_level() -> int:
    """The `stacklevel` of the code that imported the old path. `warnings` itself skips the
    import system's own frames when counting; `importlib.import_module` is counted."""
    frame, level = sys._getframe(2), 2  # the frame above exec_module
    while frame is not None and (_internal(frame.f_code.co_filename) or frame.f_globals.get("__name__") == "importlib"):
        level += 0 if _internal(frame.f_code.co_filename) else 1
        frame = frame.f_back  # type: ignore[assignment]
    return level


def _internal(filename: str) -> bool:
    return "importlib" in filename and "_bootstrap" in filename


def install() -> None:
    """Serve the old paths (once per interpreter)."""
    if not any(isinstance(finder, _MovedModules) for finder in sys.meta_path):
        sys.meta_path.insert(0, _MovedModules())
