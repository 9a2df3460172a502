"""One naming rule for every block module: `__all__` lists what other code may use (each block,
its `<Block>Options`, the references, helpers and types around it), every other module-level
name starts with `_`; the options' names before that rule still work, with a warning."""

from __future__ import annotations

import ast
import importlib
import inspect
from pathlib import Path

import pytest

import blueprints.blocks
from blueprints.blocks.base import Block

BLOCKS = Path(blueprints.blocks.__file__).parent
MODULES = sorted(path.stem for path in BLOCKS.glob("*.py") if path.stem != "__init__")


def _top_level(module: str) -> tuple[set[str], set[str]]:
    """Names the module binds at its top level: those it defines, and those it imports."""
    defined: set[str] = set()
    imported: set[str] = set()
    for node in ast.parse((BLOCKS / f"{module}.py").read_text()).body:
        if isinstance(node, ast.FunctionDef | ast.ClassDef):
            defined.add(node.name)
        elif isinstance(node, ast.Assign):
            defined.update(target.id for target in node.targets if isinstance(target, ast.Name))
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            defined.add(node.target.id)
        elif isinstance(node, ast.ImportFrom):
            imported.update(alias.asname or alias.name for alias in node.names)
    return defined - {"__all__"}, imported


@pytest.mark.parametrize("module", MODULES)
def test_a_block_module_exports_exactly_its_public_names(module: str) -> None:
    """Besides what it defines, a module may export a name it re-exports from below (an option
    type shared with a stack's settings, defined in core so that settings need no blocks)."""
    imported = importlib.import_module(f"blueprints.blocks.{module}")
    defined, from_elsewhere = _top_level(module)
    public = {name for name in defined if not name.startswith("_")}
    assert public <= set(imported.__all__)
    assert set(imported.__all__) - public <= from_elsewhere
    assert all(hasattr(imported, name) for name in imported.__all__)


@pytest.mark.parametrize("module", MODULES)
def test_every_block_names_its_options_after_itself(module: str) -> None:
    imported = importlib.import_module(f"blueprints.blocks.{module}")
    for name, value in inspect.getmembers(imported, inspect.isclass):
        if issubclass(value, Block) and value is not Block and value.__module__ == imported.__name__:
            assert value.Options.__name__ == f"{name}Options"
            assert value.Options.__name__ in imported.__all__


def test_the_package_exports_only_what_its_modules_export() -> None:
    exported = set().union(*(importlib.import_module(f"blueprints.blocks.{m}").__all__ for m in MODULES))
    assert set(blueprints.blocks.__all__) <= exported


@pytest.mark.parametrize(
    ("module", "old", "new"),
    [
        ("alarms", "TopicOptions", "AlarmTopicsOptions"),
        ("alarms", "AlarmOptions", "MetricAlarmOptions"),
        ("bucket", "BucketOptions", "SecureBucketOptions"),
        ("distribution", "DistributionOptions", "ApiDistributionOptions"),
        ("distribution", "AliasOptions", "AliasRecordsOptions"),
        ("function", "FunctionOptions", "VpcFunctionOptions"),
        ("function", "AliasOptions", "LiveAliasOptions"),
        ("function", "DeploymentGroupOptions", "LambdaDeploymentGroupOptions"),
        ("key", "KeyOptions", "EncryptionKeyOptions"),
        ("rest_api", "StageOptions", "ApiStageOptions"),
    ],
)
def test_an_old_options_name_warns_and_gives_the_new_class(module: str, old: str, new: str) -> None:
    imported = importlib.import_module(f"blueprints.blocks.{module}")
    with pytest.warns(DeprecationWarning, match=f"blueprints.blocks.{module}.{old} is now .*{new}"):
        assert getattr(imported, old) is getattr(imported, new)


def test_an_unknown_name_is_still_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="has no attribute 'FunctionOption'"):
        importlib.import_module("blueprints.blocks.function").FunctionOption  # noqa: B018
